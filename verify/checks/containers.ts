// The containers and their published ports: every container the stack deploys is there, running,
// healthy by its own healthcheck, restarts unless-stopped, has memory and CPU limits; host ports
// are bound exactly as exposure.publish says (nothing else, data services on loopback only), and
// each published port answers where an operator's client would connect.
import * as net from "node:net";
import type Docker from "dockerode";
import type { Settings } from "../../config/schema";
import { LOOPBACK_ONLY_SERVICES } from "../../facts/services";
import { STACK_LABEL } from "../docker";
import { cannotRun, fail, ok, type CheckOutcome, type VerifyContext } from "../context";
import type { Endpoint } from "../reach";

/** What is wrong with one inspected container (empty when nothing). */
export function healthProblems(name: string, info: Pick<Docker.ContainerInspectInfo, "State" | "HostConfig">): string[] {
  const problems: string[] = [];
  const state = info.State;
  if (!state.Running) problems.push(`${name}: not running (status ${state.Status}, exit code ${state.ExitCode}${state.Error ? `, ${state.Error}` : ""})`);
  const health = state.Health;
  if (!health) problems.push(`${name}: has no healthcheck`);
  // A stopped container's health says nothing more than that it is stopped.
  else if (health.Status !== "healthy" && state.Running) {
    const last = health.Log?.[health.Log.length - 1];
    const output = last ? `; last probe exited ${last.ExitCode}: ${String(last.Output ?? "").trim().slice(0, 200)}` : "";
    problems.push(`${name}: health ${health.Status} (failing streak ${health.FailingStreak})${output}`);
  }
  const restart = info.HostConfig.RestartPolicy?.Name;
  if (restart !== "unless-stopped") problems.push(`${name}: restart policy ${restart || "none"}, expected unless-stopped`);
  if (!(Number(info.HostConfig.Memory) > 0)) problems.push(`${name}: no memory limit (HostConfig.Memory ${info.HostConfig.Memory})`);
  const cpu = Number(info.HostConfig.NanoCpus ?? 0) > 0 || (Number(info.HostConfig.CpuQuota ?? 0) > 0 && Number(info.HostConfig.CpuPeriod ?? 0) > 0);
  if (!cpu) problems.push(`${name}: no CPU limit (NanoCpus ${info.HostConfig.NanoCpus ?? 0}, CpuQuota ${info.HostConfig.CpuQuota ?? 0})`);
  return problems;
}

/** The stack's expected containers against the ones found: missing, and labelled but not expected. */
export function compareContainerSets(expected: readonly string[], found: readonly string[]): { missing: string[]; unexpected: string[] } {
  return { missing: expected.filter((name) => !found.includes(name)), unexpected: found.filter((name) => !expected.includes(name)) };
}

const limits = (info: Docker.ContainerInspectInfo) => `${Math.round(Number(info.HostConfig.Memory) / 1048576)} MB/${Number(info.HostConfig.NanoCpus ?? 0) / 1e9} CPU`;

export async function checkContainers(ctx: VerifyContext): Promise<CheckOutcome> {
  const containers = await ctx.containers(true);
  const expected = ctx.outputs.containers;
  const lookedAt = `containers labelled ${STACK_LABEL}=${ctx.stack} on ${ctx.engine.host}${expected ? `, against the ${expected.length} the stack output \`containers\` lists` : ""}`;
  const problems = containers.flatMap((c) => healthProblems(c.name, c.info));
  const notes: string[] = [];
  if (expected) {
    const { missing, unexpected } = compareContainerSets(expected, containers.map((c) => c.name));
    for (const name of missing) problems.push(`${name}: does not exist (the stack deployed it)`);
    if (unexpected.length) notes.push(`labelled for the stack but not deployed by it: ${unexpected.join(", ")}`);
  }
  if (containers.length === 0 && !expected) problems.push(`no container carries the label ${STACK_LABEL}=${ctx.stack}`);
  if (problems.length) return fail(lookedAt, `${problems.length} problem(s) in ${containers.length} containers: ${problems.join("; ")}${notes.length ? ` (${notes.join("; ")})` : ""}`);
  const summary = `${containers.length} containers running and healthy, restart unless-stopped, with limits: ${containers.map((c) => `${c.name} ${limits(c.info)}`).join(", ")}${notes.length ? `; ${notes.join("; ")}` : ""}`;
  if (!expected) {
    return cannotRun(lookedAt, `${summary}; but the stack has no \`containers\` output, so a container removed by hand would go unnoticed`, "run `pulumi up` with this program: it exports `containers`");
  }
  return ok(lookedAt, summary);
}

export interface HostBinding {
  ip: string;
  port: number;
  /** `8443/tcp`: the container side, for the message (unknown on the expected side). */
  containerPort?: string;
}

/** Publish keys served by another container: the edge's plain-HTTP redirect is on the edge. */
const PUBLISH_KEY_CONTAINER: Record<string, string> = { "edge-http": "edge" };

/** Service label -> the host bindings the config asks for. */
export function expectedBindings(exposure: Settings["exposure"]): Record<string, HostBinding[]> {
  const out: Record<string, HostBinding[]> = {};
  for (const [key, entry] of Object.entries(exposure.publish)) {
    const service = PUBLISH_KEY_CONTAINER[key] ?? key;
    (out[service] ??= []).push({ ip: entry.address ?? exposure.bindAddress, port: entry.port });
  }
  return out;
}

type PortMap = Record<string, { HostIp?: string; HostPort?: string }[] | null | undefined> | null | undefined;

/**
 * Host bindings from Docker's port map (`{"8443/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8443"}]}`).
 * An empty HostIp means every address (Docker writes 0.0.0.0 and :: for it).
 */
export function bindingsOf(map: PortMap): HostBinding[] {
  const out: HostBinding[] = [];
  for (const [containerPort, list] of Object.entries(map ?? {})) {
    for (const binding of list ?? []) {
      if (!binding.HostPort) continue;
      out.push({ ip: binding.HostIp || "0.0.0.0", port: Number(binding.HostPort), containerPort });
    }
  }
  return out;
}

const WILDCARDS = ["0.0.0.0", "::", ""];
const isWildcard = (ip: string) => WILDCARDS.includes(ip);
const show = (b: HostBinding) => `${b.ip.includes(":") ? `[${b.ip}]` : b.ip}:${b.port}${b.containerPort ? `->${b.containerPort}` : ""}`;

/**
 * What is wrong with one container's bindings, one sentence each (empty when right). `actual` may
 * hold Docker's IPv6 twin of a wildcard bind (`::` beside `0.0.0.0`): it counts as the same bind.
 */
export function bindingProblems(service: string, expected: HostBinding[], actual: HostBinding[], source: string): string[] {
  const problems: string[] = [];
  const matches = (want: HostBinding, got: HostBinding) => want.port === got.port && (want.ip === got.ip || (isWildcard(want.ip) && isWildcard(got.ip)));
  for (const got of actual) {
    if (!expected.some((want) => matches(want, got))) {
      problems.push(
        expected.length
          ? `${service}: ${source} binds ${show(got)}, expected only ${expected.map(show).join(", ")}`
          : `${service}: ${source} binds ${show(got)}, expected no published port (not in exposure.publish)`,
      );
    } else if (isWildcard(got.ip) && LOOPBACK_ONLY_SERVICES.includes(service)) {
      problems.push(`${service}: ${source} binds ${show(got)} on every address; a data or model service may bind only loopback`);
    }
    if (!isWildcard(got.ip) && LOOPBACK_ONLY_SERVICES.includes(service) && !got.ip.startsWith("127.") && got.ip !== "::1") {
      problems.push(`${service}: ${source} binds ${show(got)}; a data or model service may bind only loopback`);
    }
  }
  for (const want of expected) {
    if (!actual.some((got) => matches(want, got))) problems.push(`${service}: ${source} lacks ${show(want)} (exposure.publish asks for it)`);
  }
  return problems;
}

/**
 * Whether a TCP port answers: the connection opens and is not closed by the far side within
 * `settleMs` (through the probe, a refused port shows as an at once closed forward).
 */
export function portAnswers(endpoint: Pick<Endpoint, "host" | "port">, settleMs = 750, timeoutMs = 5_000): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    let settled = false;
    const done = (value: true | string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(`no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once("connect", () => setTimeout(() => done(true), settleMs));
    socket.once("data", () => done(true));
    socket.once("end", () => done("the connection was closed at once (nothing listens there)"));
    socket.once("error", (error) => done(error.message));
  });
}

export async function checkPorts(ctx: VerifyContext): Promise<CheckOutcome> {
  const containers = await ctx.containers();
  const lookedAt = `host bindings of the ${containers.length} stack containers (HostConfig.PortBindings and NetworkSettings.Ports) against exposure.publish, and a TCP connection to each published port`;
  if (containers.length === 0) return fail(lookedAt, `no container carries the label ${STACK_LABEL}=${ctx.stack}`);
  const expected = expectedBindings(ctx.settings.exposure);
  const problems: string[] = [];
  const seen: string[] = [];
  for (const c of containers) {
    const want = expected[c.service] ?? [];
    const configured = bindingsOf(c.info.HostConfig.PortBindings as PortMap);
    const actual = bindingsOf(c.info.NetworkSettings.Ports as PortMap);
    problems.push(...bindingProblems(c.service, want, configured, "HostConfig.PortBindings"));
    // A stopped container has no actual bindings: the containers check names it.
    if (c.info.State.Running) problems.push(...bindingProblems(c.service, want, actual, "NetworkSettings.Ports"));
    for (const b of actual) seen.push(`${c.service} ${show(b)}`);
  }
  const services = new Set(containers.map((c) => c.service));
  for (const service of Object.keys(expected)) {
    if (!services.has(service)) problems.push(`${service}: exposure.publish lists it, but no container of the stack has org.enrichment.service=${service}`);
  }
  const answered: string[] = [];
  for (const key of Object.keys(ctx.settings.exposure.publish)) {
    try {
      const endpoint = await ctx.reach.endpoint(key)!;
      const answer = await portAnswers(endpoint);
      if (answer === true) answered.push(`${key} (${endpoint.via})`);
      else problems.push(`${key}: published, but its port does not answer ${endpoint.via}: ${answer}`);
    } catch (error) {
      problems.push(`${key}: could not be reached: ${(error as Error).message}`);
    }
  }
  const unique = [...new Set(problems)];
  if (unique.length) return fail(lookedAt, `${unique.length} problem(s): ${unique.join("; ")}`);
  return ok(lookedAt, `host bindings exactly as configured: ${seen.join(", ") || "none"}; answering: ${answered.join(", ") || "nothing is published"}`);
}
