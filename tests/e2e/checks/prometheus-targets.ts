// Prometheus reports every target it declares up: the jobs of the prometheus.yml the program
// uploaded (read out of the container) are exactly the scrape pools of /api/v1/targets, and every
// active target's health is "up". The first scrapes take a scrape interval or two: bounded retry.
import * as YAML from "yaml";
import type { E2ECheck, E2EContext } from "../context";
import { PROMETHEUS_PATHS } from "../../../planes/monitoring/monitoring";
import { describeExec, exec, poll, readFileText, serviceContainer, guarded } from "./support/docker";
import { hostAddress, isLoopback, request } from "./support/http";
import { durationMs } from "./support/duration";

/** Job names a prometheus.yml declares, in file order. */
export function declaredJobs(prometheusYml: string): string[] {
  const doc = YAML.parse(prometheusYml) as { scrape_configs?: { job_name?: string }[] } | null;
  return (doc?.scrape_configs ?? []).map((job) => String(job.job_name));
}

export interface ActiveTarget {
  scrapePool?: string;
  labels?: Record<string, string>;
  scrapeUrl?: string;
  health?: string;
  lastError?: string;
}

export interface TargetsVerdict {
  ok: boolean;
  /** Targets not (yet) up: `job instance health: lastError`. */
  notUp: string[];
  missingJobs: string[];
  unexpectedJobs: string[];
  total: number;
}

/** Compares `/api/v1/targets` (its `data.activeTargets`) with the declared jobs. */
export function targetsVerdict(active: ActiveTarget[], declared: string[]): TargetsVerdict {
  const jobOf = (t: ActiveTarget) => t.scrapePool ?? t.labels?.job ?? "?";
  const pools = new Set(active.map(jobOf));
  const missingJobs = declared.filter((job) => !pools.has(job));
  const unexpectedJobs = [...pools].filter((job) => !declared.includes(job));
  const notUp = active
    .filter((t) => t.health !== "up")
    .map((t) => `${jobOf(t)} ${t.labels?.instance ?? t.scrapeUrl ?? "?"} ${t.health ?? "?"}${t.lastError ? `: ${t.lastError}` : ""}`);
  return { ok: active.length > 0 && notUp.length === 0 && missingJobs.length === 0 && unexpectedJobs.length === 0, notUp, missingJobs, unexpectedJobs, total: active.length };
}

async function fetchTargets(ctx: E2EContext, container: string): Promise<{ targets?: ActiveTarget[]; error?: string }> {
  const address = hostAddress(ctx, "prometheus");
  const path = "/api/v1/targets?state=active";
  let body: string;
  if (address && isLoopback(address.split(":")[0]!)) {
    try {
      const answer = await request(`http://${address}${path}`, { timeoutMs: 10_000 });
      if (answer.status !== 200) return { error: `GET http://${address}${path} answered ${answer.status}: ${answer.body.slice(0, 200)}` };
      body = answer.body;
    } catch (error) {
      return { error: `GET http://${address}${path}: ${(error as Error).message}` };
    }
  } else {
    // Not published on loopback: ask from inside the container (busybox wget in the prom images).
    const cmd = ["wget", "-q", "-O", "-", `http://127.0.0.1:9090${path}`];
    const result = await exec(ctx.docker, container, cmd, { timeoutMs: 15_000 });
    if (result.exitCode !== 0) return { error: describeExec(cmd, result) };
    body = result.stdout;
  }
  try {
    const parsed = JSON.parse(body) as { status?: string; data?: { activeTargets?: ActiveTarget[] } };
    return { targets: parsed.data?.activeTargets ?? [] };
  } catch {
    return { error: `/api/v1/targets did not answer JSON: ${body.slice(0, 200)}` };
  }
}

export async function checkPrometheusTargets(ctx: E2EContext) {
  const prometheus = await serviceContainer(ctx, "prometheus");
  if (!prometheus) return { ok: false, detail: `no container with org.enrichment.service=prometheus in stack ${ctx.stack}` };
  const yml = await readFileText(ctx.docker, prometheus.name, PROMETHEUS_PATHS.config);
  if (yml === null) return { ok: false, detail: `${prometheus.name} has no ${PROMETHEUS_PATHS.config}` };
  const declared = declaredJobs(yml);
  if (declared.length === 0) return { ok: false, detail: `${PROMETHEUS_PATHS.config} in ${prometheus.name} declares no scrape job` };

  // Every target is scraped once per interval; allow three intervals plus start-up, at most 4 min.
  const intervalMs = durationMs(ctx.settings.monitoring.scrapeInterval) ?? 15_000;
  const timeoutMs = Math.min(240_000, Math.max(60_000, 3 * intervalMs + 30_000));
  let lastError = "";
  const result = await poll(
    async () => {
      const fetched = await fetchTargets(ctx, prometheus.name);
      lastError = fetched.error ?? "";
      return fetched.targets ? targetsVerdict(fetched.targets, declared) : undefined;
    },
    (verdict) => verdict?.ok === true,
    { tries: 60, timeoutMs, intervalMs: 5_000 },
  );
  const verdict = result.value;
  const waited = `${Math.round(result.elapsedMs / 1000)} s, ${result.tries} tries`;
  if (!verdict) return { ok: false, detail: `could not read Prometheus's targets (${waited}): ${lastError}` };
  if (verdict.ok) return { ok: true, detail: `all ${verdict.total} active targets up across the ${declared.length} declared jobs (${declared.join(", ")}) after ${waited}` };
  const parts = [
    verdict.total === 0 ? "no active target" : "",
    verdict.notUp.length ? `${verdict.notUp.length} of ${verdict.total} targets not up: ${verdict.notUp.join("; ")}` : "",
    verdict.missingJobs.length ? `declared jobs with no active target: ${verdict.missingJobs.join(", ")}` : "",
    verdict.unexpectedJobs.length ? `scrape pools not in ${PROMETHEUS_PATHS.config}: ${verdict.unexpectedJobs.join(", ")}` : "",
  ].filter(Boolean);
  return { ok: false, detail: `after ${waited}: ${parts.join("; ")}` };
}

export const check: E2ECheck = { name: "prometheus-targets", check: guarded(checkPrometheusTargets) };
