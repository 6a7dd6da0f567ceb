// The monitoring plane: every Prometheus target up and every rule of the uploaded rule files
// loaded; Alertmanager runs the config the program uploaded, which names its secret files and
// holds none of their contents; with --send-test-alert, one alert delivered to a receiver (seen in
// Alertmanager's own notification counters); the backups are fresh by the backup metrics, with
// the alerts' thresholds; Grafana has every provisioned dashboard.
import * as YAML from "yaml";
import { requiredAlertmanagerSecrets, type AlertingSettings } from "../../config/monitoring";
import { BACKUP_SERVICE, OFFSITE_SERVICE } from "../../facts/backupPaths";
import { PORTS } from "../../facts/services";
import { ALERTMANAGER_CONFIG_PATH, ALERTMANAGER_SECRET_PATHS, GRAFANA_PATHS, PROMETHEUS_PATHS, RECEIVERS } from "../../facts/monitoringFiles";
import { poll, readArchive, readFileText } from "../docker";
import { askService, cannotRun, fail, ok, serviceContainer, skipped, type CheckOutcome, type VerifyContext } from "../context";
import { durationMs } from "../http";
import { edgeRequest, routeFor } from "./edge";

// ------------------------------------------------------------------------------ Prometheus

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
  const notUp = active.filter((t) => t.health !== "up").map((t) => `${jobOf(t)} ${t.labels?.instance ?? t.scrapeUrl ?? "?"} ${t.health ?? "?"}${t.lastError ? `: ${t.lastError}` : ""}`);
  return { ok: active.length > 0 && notUp.length === 0 && missingJobs.length === 0 && unexpectedJobs.length === 0, notUp, missingJobs, unexpectedJobs, total: active.length };
}

async function prometheusJson<T>(ctx: VerifyContext, path: string): Promise<{ data?: T; error?: string; via: string }> {
  const asked = await askService(ctx, "prometheus", PORTS.prometheus, path);
  if (!asked.answer) return { error: asked.error, via: asked.via };
  if (asked.answer.status !== 200) return { error: `answered ${asked.answer.status}: ${asked.answer.body.slice(0, 200)}`, via: asked.via };
  try {
    return { data: (JSON.parse(asked.answer.body) as { data: T }).data, via: asked.via };
  } catch {
    return { error: `not JSON: ${asked.answer.body.slice(0, 200)}`, via: asked.via };
  }
}

export async function checkPrometheusTargets(ctx: VerifyContext): Promise<CheckOutcome> {
  const prometheus = await serviceContainer(ctx, "prometheus");
  const path = "/api/v1/targets?state=active";
  let lookedAt = `Prometheus's ${path} against the jobs of ${PROMETHEUS_PATHS.config} in ${ctx.prefix}-prometheus`;
  if (!prometheus) return fail(lookedAt, `no container with org.enrichment.service=prometheus in stack ${ctx.stack}`);
  const yml = await readFileText(ctx.docker, prometheus.name, PROMETHEUS_PATHS.config);
  if (yml === null) return fail(lookedAt, `${prometheus.name} has no ${PROMETHEUS_PATHS.config}`);
  const declared = declaredJobs(yml);
  if (declared.length === 0) return fail(lookedAt, `${PROMETHEUS_PATHS.config} declares no scrape job`);

  // A target is scraped once per interval: three intervals and start-up at most, never past 4 minutes.
  const intervalMs = durationMs(ctx.settings.monitoring.scrapeInterval) ?? 15_000;
  const timeoutMs = Math.min(240_000, Math.max(60_000, 3 * intervalMs + 30_000));
  let lastError = "";
  let first = true;
  const result = await poll(
    async () => {
      const fetched = await prometheusJson<{ activeTargets?: ActiveTarget[] }>(ctx, path);
      lookedAt = `Prometheus's active targets (${fetched.via}) against the ${declared.length} jobs of ${PROMETHEUS_PATHS.config}`;
      lastError = fetched.error ?? "";
      const verdict = fetched.data ? targetsVerdict(fetched.data.activeTargets ?? [], declared) : undefined;
      if (first && !verdict?.ok) ctx.log(`prometheus-targets: not all up yet; asking again every 5 s for at most ${Math.round(timeoutMs / 1000)} s`);
      first = false;
      return verdict;
    },
    (verdict) => verdict?.ok === true,
    { tries: 60, timeoutMs, intervalMs: 5_000 },
  );
  const verdict = result.value;
  const waited = `${Math.round(result.elapsedMs / 1000)} s, ${result.tries} tries`;
  if (!verdict) return fail(lookedAt, `could not read Prometheus's targets (${waited}): ${lastError}`);
  if (verdict.ok) return ok(lookedAt, `all ${verdict.total} active targets up across ${declared.join(", ")} (${waited})`);
  const parts = [
    verdict.total === 0 ? "no active target" : "",
    verdict.notUp.length ? `${verdict.notUp.length} of ${verdict.total} targets not up: ${verdict.notUp.join("; ")}` : "",
    verdict.missingJobs.length ? `declared jobs with no active target: ${verdict.missingJobs.join(", ")}` : "",
    verdict.unexpectedJobs.length ? `scrape pools not in ${PROMETHEUS_PATHS.config}: ${verdict.unexpectedJobs.join(", ")}` : "",
  ].filter(Boolean);
  return fail(lookedAt, `after ${waited}: ${parts.join("; ")}`);
}

/** Rule names (alert or record) per group of a Prometheus rule file. */
export function ruleFileRules(text: string): { group: string; name: string }[] {
  const doc = YAML.parse(text) as { groups?: { name?: string; rules?: { alert?: string; record?: string }[] }[] } | null;
  return (doc?.groups ?? []).flatMap((group) => (group.rules ?? []).map((rule) => ({ group: String(group.name), name: String(rule.alert ?? rule.record) })));
}

export interface LoadedRule {
  name: string;
  health?: string;
  lastError?: string;
}

/**
 * Rules of the files that Prometheus has not loaded, and loaded rules that fail to evaluate. Counted
 * per group and name: one alert may have two rules (warning and critical) under one name.
 */
export function rulesVerdict(fromFiles: { group: string; name: string }[], loaded: { name: string; rules: LoadedRule[] }[]): { missing: string[]; failing: string[]; total: number } {
  const count = (keys: string[]) => keys.reduce((m, key) => m.set(key, (m.get(key) ?? 0) + 1), new Map<string, number>());
  const have = count(loaded.flatMap((group) => group.rules.map((rule) => `${group.name}/${rule.name}`)));
  const want = count(fromFiles.map((rule) => `${rule.group}/${rule.name}`));
  const missing = [...want].filter(([key, n]) => (have.get(key) ?? 0) < n).map(([key, n]) => (n > 1 ? `${key} (${have.get(key) ?? 0} of ${n})` : key));
  const failing = loaded.flatMap((group) => group.rules.filter((rule) => rule.health === "err").map((rule) => `${group.name}/${rule.name}: ${rule.lastError ?? "error"}`));
  return { missing, failing, total: loaded.reduce((n, group) => n + group.rules.length, 0) };
}

export async function checkPrometheusRules(ctx: VerifyContext): Promise<CheckOutcome> {
  const prometheus = await serviceContainer(ctx, "prometheus");
  let lookedAt = `Prometheus's /api/v1/rules against the rule files under ${PROMETHEUS_PATHS.rules} in ${ctx.prefix}-prometheus`;
  if (!prometheus) return fail(lookedAt, `no container with org.enrichment.service=prometheus in stack ${ctx.stack}`);
  const files = (await readArchive(ctx.docker, prometheus.name, PROMETHEUS_PATHS.rules)) ?? [];
  const fromFiles = files.filter((f) => f.type === "file" && /\.ya?ml$/.test(f.name)).flatMap((f) => ruleFileRules(f.content.toString("utf8")));
  if (fromFiles.length === 0) return fail(lookedAt, `no rule in ${PROMETHEUS_PATHS.rules} (the program uploads the alert catalog there)`);
  const fetched = await prometheusJson<{ groups?: { name: string; rules: LoadedRule[] }[] }>(ctx, "/api/v1/rules");
  lookedAt = `Prometheus's rules (${fetched.via}) against the ${fromFiles.length} rules of the files under ${PROMETHEUS_PATHS.rules}`;
  if (!fetched.data) return fail(lookedAt, `could not read Prometheus's rules: ${fetched.error}`);
  const verdict = rulesVerdict(fromFiles, fetched.data.groups ?? []);
  const problems = [
    verdict.missing.length ? `${verdict.missing.length} rules of the files are not loaded (a file Prometheus refused, or it was not reloaded): ${verdict.missing.join(", ")}` : "",
    verdict.failing.length ? `${verdict.failing.length} rules fail to evaluate: ${verdict.failing.join("; ")}` : "",
  ].filter(Boolean);
  if (problems.length) return fail(lookedAt, problems.join("; "));
  return ok(lookedAt, `all ${fromFiles.length} rules of ${files.filter((f) => f.type === "file").length} files loaded, none failing`);
}

// ------------------------------------------------------------------------------ Alertmanager

/** Names of the secrets (by where they were found) whose contents appear in a text. */
export function leakedSecrets(text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => value.length >= 8 && text.includes(value))
    .map(([name]) => name);
}

/**
 * Where a loaded config departs from the file it was loaded from (undefined when it does not):
 * Alertmanager reports its config re-marshalled, with every default filled in and durations in
 * their shortest form (`24h` as `1d`), so each value of the file must be there, equal, and lists
 * must match item by item.
 */
export function configDifference(file: unknown, loaded: unknown, at = ""): string | undefined {
  const where = at || "(top)";
  if (Array.isArray(file)) {
    if (!Array.isArray(loaded) || loaded.length !== file.length) return `${where}: ${file.length} items in the file, ${Array.isArray(loaded) ? loaded.length : "none"} loaded`;
    for (const [i, item] of file.entries()) {
      const difference = configDifference(item, loaded[i], `${at}[${i}]`);
      if (difference) return difference;
    }
    return undefined;
  }
  if (file && typeof file === "object") {
    if (!loaded || typeof loaded !== "object") return `${where}: a mapping in the file, ${JSON.stringify(loaded)} loaded`;
    for (const [key, value] of Object.entries(file)) {
      const difference = configDifference(value, (loaded as Record<string, unknown>)[key], at ? `${at}.${key}` : key);
      if (difference) return difference;
    }
    return undefined;
  }
  if (file === loaded) return undefined;
  const fileMs = typeof file === "string" ? durationMs(file) : undefined;
  if (fileMs !== undefined && typeof loaded === "string" && durationMs(loaded) === fileMs) return undefined;
  return `${where}: ${JSON.stringify(file)} in the file, ${JSON.stringify(loaded)} loaded`;
}

export async function checkAlertmanagerConfig(ctx: VerifyContext): Promise<CheckOutcome> {
  const alerting = ctx.settings.monitoring.alerting;
  const am = await serviceContainer(ctx, "alertmanager");
  let lookedAt = `${ALERTMANAGER_CONFIG_PATH} and the secret files in ${ctx.prefix}-alertmanager, and the config Alertmanager runs (/api/v2/status)`;
  if (!am) return fail(lookedAt, `no container with org.enrichment.service=alertmanager in stack ${ctx.stack}`);
  const config = await readFileText(ctx.docker, am.name, ALERTMANAGER_CONFIG_PATH);
  if (config === null) return fail(lookedAt, `${am.name} has no ${ALERTMANAGER_CONFIG_PATH}`);
  const problems: string[] = [];
  const secrets: Record<string, string> = {};
  for (const key of requiredAlertmanagerSecrets(alerting)) {
    const path = ALERTMANAGER_SECRET_PATHS[key];
    if (!config.includes(path)) problems.push(`${ALERTMANAGER_CONFIG_PATH} does not name ${path} (${key})`);
    const file = await readFileText(ctx.docker, am.name, path);
    if (file === null) problems.push(`${am.name} has no secret file ${path} (${key})`);
    else if (!file.trim()) problems.push(`${path} (${key}) is empty`);
    else secrets[key] = file.trim();
  }
  const leaked = leakedSecrets(config, secrets);
  if (leaked.length) problems.push(`${ALERTMANAGER_CONFIG_PATH} contains the value of ${leaked.join(", ")}; it must name *_file paths only`);
  let receivers: string[] = [];
  try {
    receivers = ((YAML.parse(config) as { receivers?: { name?: string }[] }).receivers ?? []).map((r) => String(r.name));
  } catch (error) {
    problems.push(`${ALERTMANAGER_CONFIG_PATH} is not YAML: ${(error as Error).message}`);
  }
  const absent = Object.values(RECEIVERS).filter((name) => !receivers.includes(name));
  if (absent.length) problems.push(`receivers missing from the config: ${absent.join(", ")}`);
  const status = await askService(ctx, "alertmanager", PORTS.alertmanager, "/api/v2/status");
  lookedAt = `${ALERTMANAGER_CONFIG_PATH} and ${requiredAlertmanagerSecrets(alerting).length} secret files in ${am.name}, and the config Alertmanager runs (${status.via})`;
  if (!status.answer || status.answer.status !== 200) problems.push(`could not read Alertmanager's status: ${status.error ?? `answered ${status.answer?.status}`}`);
  else {
    try {
      const parsed = JSON.parse(status.answer.body) as { config?: { original?: string }; cluster?: { status?: string } };
      const difference = configDifference(YAML.parse(config), YAML.parse(parsed.config?.original ?? "") ?? {});
      if (difference) problems.push(`the config Alertmanager runs is not ${ALERTMANAGER_CONFIG_PATH} as uploaded (not reloaded, or the file refused): ${difference}`);
      if (parsed.cluster?.status && !["ready", "disabled"].includes(parsed.cluster.status)) problems.push(`Alertmanager's cluster status is ${parsed.cluster.status}`);
    } catch {
      problems.push(`/api/v2/status did not answer JSON: ${status.answer.body.slice(0, 200)}`);
    }
  }
  if (problems.length) return fail(lookedAt, problems.join("; "));
  return ok(lookedAt, `Alertmanager runs the uploaded config: receivers ${receivers.join(", ")}; secrets only as files (${Object.keys(secrets).map((k) => ALERTMANAGER_SECRET_PATHS[k as keyof typeof ALERTMANAGER_SECRET_PATHS]).join(", ") || "none enabled"}), none of them in the config`);
}

export interface TestAlertPlan {
  labels: Record<string, string>;
  /** The receiver (facts/monitoringFiles.ts RECEIVERS) the labels route to. */
  receiver: string;
  /** The integration Alertmanager counts the delivery under (alertmanager_notifications_total). */
  integration: "slack" | "email";
}

/**
 * Labels of a test alert and where it goes, or why none can go: Slack (the warning route) when
 * enabled, else e-mail (the info route). Never the critical route: that pages someone.
 */
export function testAlertPlan(alerting: AlertingSettings, runId: string): TestAlertPlan | { problem: string } {
  const labels = (severity: string) => ({ alertname: `VerifyTestAlert${runId}`, severity, service: "verify", verify_run: runId });
  if (alerting.slack.enabled) return { labels: labels("warning"), receiver: RECEIVERS.warning, integration: "slack" };
  if (alerting.email.enabled) return { labels: labels("info"), receiver: RECEIVERS.info, integration: "email" };
  return { problem: "neither Slack nor e-mail is enabled (monitoring.alerting): the only receiver left is PagerDuty, which a test must not page" };
}

/** Sum of a counter's samples whose labels include `match`, from Prometheus text exposition. */
export function counterSum(metricsText: string, name: string, match: Record<string, string>): number {
  let total = 0;
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = Object.fromEntries([...(/\{(.*)\}/.exec(line)?.[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(match).every(([key, value]) => labels[key] === undefined || labels[key] === value)) total += Number(line.trim().split(/\s+/).pop());
  }
  return total;
}

async function notificationCounts(ctx: VerifyContext, plan: TestAlertPlan): Promise<{ sent: number; failed: number } | string> {
  const asked = await askService(ctx, "alertmanager", PORTS.alertmanager, "/metrics");
  if (!asked.answer) return asked.error ?? "no answer";
  // receiver_name appears on newer Alertmanagers; where absent, the integration alone is counted.
  const match = { integration: plan.integration, receiver_name: plan.receiver };
  return { sent: counterSum(asked.answer.body, "alertmanager_notifications_total", match), failed: counterSum(asked.answer.body, "alertmanager_notifications_failed_total", match) };
}

export async function checkAlertDelivery(ctx: VerifyContext): Promise<CheckOutcome> {
  const lookedAt = "one test alert posted to Alertmanager (/api/v2/alerts), then its notification counters (/metrics)";
  if (!ctx.sendTestAlert) return skipped(lookedAt, "not asked for: --send-test-alert sends one alert to a receiver (Slack's warning channel, else e-mail) and waits for its delivery");
  const alerting = ctx.settings.monitoring.alerting;
  const runId = Date.now().toString(36);
  const plan = testAlertPlan(alerting, runId);
  if ("problem" in plan) return cannotRun(lookedAt, plan.problem);
  const before = await notificationCounts(ctx, plan);
  if (typeof before === "string") return fail(lookedAt, `could not read Alertmanager's /metrics: ${before}`);
  const now = new Date();
  const alert = (endsAt: Date) =>
    JSON.stringify([
      {
        labels: plan.labels,
        annotations: { summary: "A test alert from `npm run verify -- --send-test-alert`: no action needed.", description: `verify run ${runId}`, runbook_url: "docs/verify.md#alert-delivery" },
        startsAt: now.toISOString(),
        endsAt: endsAt.toISOString(),
      },
    ]);
  const posted = await askService(ctx, "alertmanager", PORTS.alertmanager, "/api/v2/alerts", { method: "POST", body: alert(new Date(now.getTime() + 10 * 60_000)), contentType: "application/json" });
  const where = `${plan.labels.alertname} (receiver ${plan.receiver}, ${plan.integration}) via ${posted.via}`;
  if (!posted.answer || posted.answer.status !== 200) return fail(`${lookedAt}: ${where}`, `could not post the test alert: ${posted.error ?? `answered ${posted.answer?.status}: ${posted.answer?.body.slice(0, 200)}`}`);
  const groupWaitMs = durationMs(alerting.groupWait) ?? 30_000;
  const timeoutMs = Math.min(180_000, groupWaitMs + 60_000);
  ctx.log(`alert-delivery: waiting at most ${Math.round(timeoutMs / 1000)} s (group_wait ${alerting.groupWait} + 60 s) for ${plan.labels.alertname} to be delivered`);
  const result = await poll(
    () => notificationCounts(ctx, plan),
    (counts) => typeof counts !== "string" && (counts.sent > before.sent || counts.failed > before.failed),
    { tries: 120, timeoutMs, intervalMs: 2_000 },
  );
  // Resolve it at once: the receiver gets the resolution instead of a ten-minute leftover.
  await askService(ctx, "alertmanager", PORTS.alertmanager, "/api/v2/alerts", { method: "POST", body: alert(new Date()), contentType: "application/json" });
  const counts = result.value;
  const waited = `${Math.round(result.elapsedMs / 1000)} s`;
  const data = { alertname: plan.labels.alertname, receiver: plan.receiver, integration: plan.integration };
  if (typeof counts === "string") return fail(`${lookedAt}: ${where}`, `Alertmanager's /metrics stopped answering after ${waited}: ${counts}`, undefined, data);
  if (counts.failed > before.failed) return fail(`${lookedAt}: ${where}`, `the ${plan.integration} notification failed after ${waited} (alertmanager_notifications_failed_total ${before.failed} -> ${counts.failed}); Alertmanager's log says why`, undefined, data);
  if (counts.sent <= before.sent) return fail(`${lookedAt}: ${where}`, `no ${plan.integration} notification within ${waited} (alertmanager_notifications_total stayed ${before.sent})`, undefined, data);
  return ok(`${lookedAt}: ${where}`, `delivered after ${waited} (alertmanager_notifications_total{integration="${plan.integration}"} ${before.sent} -> ${counts.sent}, none failed); resolved again`, data);
}

// ------------------------------------------------------------------------------ backups

interface Sample {
  labels: Record<string, string>;
  /** Prometheus's evaluation time and the value, in seconds. */
  at: number;
  value: number;
}

async function promQuery(ctx: VerifyContext, query: string): Promise<{ samples?: Sample[]; error?: string; via: string }> {
  const fetched = await prometheusJson<{ result?: { metric: Record<string, string>; value: [number, string] }[] }>(ctx, `/api/v1/query?query=${encodeURIComponent(query)}`);
  if (!fetched.data) return { error: fetched.error, via: fetched.via };
  return { samples: (fetched.data.result ?? []).map((r) => ({ labels: r.metric, at: Number(r.value[0]), value: Number(r.value[1]) })), via: fetched.via };
}

export interface Freshness {
  what: string;
  /** Seconds since the last success; undefined when it never succeeded (the metric is 0 or absent). */
  ageSeconds?: number;
  maxSeconds: number;
}

/** One line per backup timestamp that is too old or missing (empty when all are fresh). */
export function stale(freshness: Freshness[]): string[] {
  return freshness
    .filter((f) => f.ageSeconds === undefined || f.ageSeconds > f.maxSeconds)
    .map((f) => (f.ageSeconds === undefined ? `${f.what}: never succeeded` : `${f.what}: last success ${hours(f.ageSeconds)} ago, allowed ${hours(f.maxSeconds)}`));
}

const hours = (seconds: number) => (seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`);

async function backupFreshness(ctx: VerifyContext): Promise<{ freshness?: Freshness[]; error?: string; via: string }> {
  const thresholds = ctx.settings.monitoring.thresholds;
  const success = await promQuery(ctx, "enrichment_backup_last_success_timestamp_seconds");
  if (!success.samples) return { error: success.error, via: success.via };
  const restore = await promQuery(ctx, "enrichment_backup_last_restore_test_timestamp_seconds");
  if (!restore.samples) return { error: restore.error, via: restore.via };
  const ageOf = (samples: Sample[], service: string) => {
    const sample = samples.find((s) => s.labels.service === service);
    return sample && sample.value > 0 ? sample.at - sample.value : undefined;
  };
  const freshness: Freshness[] = [{ what: `${BACKUP_SERVICE} dump`, ageSeconds: ageOf(success.samples, BACKUP_SERVICE), maxSeconds: thresholds.backupMaxAgeHours * 3600 }];
  if (ctx.settings.backup.s3) freshness.push({ what: `${OFFSITE_SERVICE} off-host copy`, ageSeconds: ageOf(success.samples, OFFSITE_SERVICE), maxSeconds: thresholds.backupMaxAgeHours * 3600 });
  freshness.push({ what: `${BACKUP_SERVICE} restore test`, ageSeconds: ageOf(restore.samples, BACKUP_SERVICE), maxSeconds: thresholds.restoreTestMaxAgeDays * 86400 });
  return { freshness, via: success.via };
}

/** A backup service younger than this has its catch-up run still going: verify waits for it. */
const CATCH_UP_MINUTES = 15;

export async function checkBackupFreshness(ctx: VerifyContext): Promise<CheckOutcome> {
  const lookedAt = "the backup metrics in Prometheus (enrichment_backup_last_success_timestamp_seconds, enrichment_backup_last_restore_test_timestamp_seconds) against monitoring.thresholds";
  if (!ctx.settings.backup.enabled) return skipped(lookedAt, "backup.enabled is false: this stack runs no backup service");
  let read = await backupFreshness(ctx);
  const where = `${lookedAt} (${read.via})`;
  if (!read.freshness) return fail(where, `could not query Prometheus: ${read.error}`);
  let problems = stale(read.freshness);
  // A fresh stack catches its runs up within minutes of `pulumi up` (planes/backup/scripts/scheduler.sh).
  const backup = await serviceContainer(ctx, BACKUP_SERVICE);
  const startedMs = backup ? Date.parse(backup.info.State.StartedAt) : NaN;
  const young = Number.isFinite(startedMs) && Date.now() - startedMs < CATCH_UP_MINUTES * 60_000;
  if (problems.length && young && read.freshness.some((f) => f.ageSeconds === undefined)) {
    ctx.log(`backup-freshness: ${BACKUP_SERVICE} started ${Math.round((Date.now() - startedMs) / 1000)} s ago; waiting at most 180 s for its catch-up runs`);
    const waited = await poll(
      () => backupFreshness(ctx),
      (r) => !!r.freshness && stale(r.freshness).length === 0,
      { tries: 40, timeoutMs: 180_000, intervalMs: 5_000 },
    );
    read = waited.value;
    if (!read.freshness) return fail(where, `could not query Prometheus: ${read.error}`);
    problems = stale(read.freshness);
  }
  const failedRuns = await promQuery(ctx, 'sum by (service) (increase(enrichment_backup_runs_total{status="failed"}[24h])) > 0');
  const note = failedRuns.samples?.length ? `; failed runs in the last 24 h: ${failedRuns.samples.map((s) => `${s.labels.service} ${Math.round(s.value)}`).join(", ")} (BackupFailed)` : "";
  const summary = read.freshness.map((f) => `${f.what} ${f.ageSeconds === undefined ? "never" : `${hours(f.ageSeconds)} ago`} (allowed ${hours(f.maxSeconds)})`).join(", ");
  if (problems.length) return fail(where, `${problems.join("; ")}${note}`, undefined, { freshness: read.freshness });
  return ok(where, `${summary}${note}`, { freshness: read.freshness });
}

// ------------------------------------------------------------------------------ Grafana

/** uid and title of each provisioned dashboard file's JSON. */
export function provisionedDashboards(files: { name: string; content: string }[]): { uid: string; title: string; file: string }[] {
  return files.map((file) => {
    const json = JSON.parse(file.content) as { uid?: string; title?: string };
    return { uid: String(json.uid), title: String(json.title), file: file.name };
  });
}

export async function checkGrafanaDashboards(ctx: VerifyContext): Promise<CheckOutcome> {
  const grafana = await serviceContainer(ctx, "grafana");
  const dnsName = ctx.settings.tls.dnsNames.find((name) => routeFor(name)?.name === "grafana");
  const lookedAt = `Grafana's /api/search through the edge (https://${dnsName ?? "grafana.<domain>"}, the admin's basic auth) against the dashboard files under ${GRAFANA_PATHS.dashboards} in ${ctx.prefix}-grafana`;
  if (!grafana) return fail(lookedAt, `no container with org.enrichment.service=grafana in stack ${ctx.stack}`);
  const password = ctx.outputs.grafanaAdminPassword;
  if (!password) return cannotRun(lookedAt, "the stack has no output grafanaAdminPassword", "run `pulumi up` with this program: it exports grafanaAdminPassword");
  if (!dnsName) return cannotRun(lookedAt, "no tls.dnsNames entry names the grafana route (grafana.<domain>): Grafana cannot be reached through the edge");
  const entries = (await readArchive(ctx.docker, grafana.name, GRAFANA_PATHS.dashboards)) ?? [];
  let provisioned: { uid: string; title: string; file: string }[];
  try {
    provisioned = provisionedDashboards(entries.filter((e) => e.type === "file" && e.name.endsWith(".json")).map((e) => ({ name: e.name, content: e.content.toString("utf8") })));
  } catch (error) {
    return fail(lookedAt, `a dashboard file under ${GRAFANA_PATHS.dashboards} is not JSON: ${(error as Error).message}`);
  }
  if (provisioned.length === 0) return fail(lookedAt, `no dashboard file under ${GRAFANA_PATHS.dashboards}`);
  const answer = await edgeRequest(ctx, dnsName, "/api/search?type=dash-db", { authorization: `Basic ${Buffer.from(`admin:${password}`).toString("base64")}` });
  if ("tlsFailed" in answer) return cannotRun(lookedAt, `the edge's TLS does not verify, so Grafana was not asked (edge-tls says why): ${answer.tlsFailed}`);
  if ("error" in answer) return fail(lookedAt, answer.error);
  if (answer.answer.status !== 200) return fail(lookedAt, `/api/search answered ${answer.answer.status}${answer.answer.status === 401 ? " (the admin password of the stack output is refused)" : ""}: ${answer.answer.body.slice(0, 200)}`);
  let found: { uid?: string; title?: string }[];
  try {
    found = JSON.parse(answer.answer.body) as { uid?: string; title?: string }[];
  } catch {
    return fail(lookedAt, `/api/search did not answer JSON: ${answer.answer.body.slice(0, 200)}`);
  }
  const uids = new Set(found.map((d) => d.uid));
  const missing = provisioned.filter((d) => !uids.has(d.uid));
  if (missing.length) return fail(lookedAt, `${missing.length} of ${provisioned.length} provisioned dashboards are not in Grafana: ${missing.map((d) => `${d.title} (${d.uid}, ${d.file})`).join(", ")}`);
  return ok(lookedAt, `all ${provisioned.length} provisioned dashboards are in Grafana: ${provisioned.map((d) => d.title).join(", ")}`);
}
