// Published ports are bound only where the stack config says: every container of the stack is
// inspected, its configured (HostConfig.PortBindings) and actual (NetworkSettings.Ports) host
// bindings compared with `exposure.publish`; nothing on a wildcard address unless configured, and
// the data and model services only on loopback.
import type { E2ECheck, E2EContext } from "../context";
import type { Settings } from "../../../config/schema";
import { LOOPBACK_ONLY_SERVICES } from "../../../facts/services";
import { stackContainers, guarded } from "./support/docker";

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
  const matches = (want: HostBinding, got: HostBinding) =>
    want.port === got.port && (want.ip === got.ip || (isWildcard(want.ip) && isWildcard(got.ip)));
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

export async function checkPorts(ctx: E2EContext) {
  const containers = await stackContainers(ctx);
  if (containers.length === 0) return { ok: false, detail: `no container carries the label org.enrichment.stack=${ctx.stack}` };
  const expected = expectedBindings(ctx.settings.exposure);
  const problems: string[] = [];
  const seen: string[] = [];
  for (const c of containers) {
    const want = expected[c.service] ?? [];
    const configured = bindingsOf(c.info.HostConfig.PortBindings as PortMap);
    const actual = bindingsOf(c.info.NetworkSettings.Ports as PortMap);
    problems.push(...bindingProblems(c.service, want, configured, "HostConfig.PortBindings"));
    problems.push(...bindingProblems(c.service, want, actual, "NetworkSettings.Ports"));
    for (const b of actual) seen.push(`${c.service} ${show(b)}`);
  }
  const services = new Set(containers.map((c) => c.service));
  for (const service of Object.keys(expected)) {
    if (!services.has(service)) problems.push(`${service}: exposure.publish lists it, but no container of the stack has org.enrichment.service=${service}`);
  }
  const unique = [...new Set(problems)];
  if (unique.length) return { ok: false, detail: `${unique.length} binding problem(s): ${unique.join("; ")}` };
  return { ok: true, detail: `${containers.length} containers inspected; host bindings exactly as configured: ${seen.join(", ") || "none"}` };
}

export const check: E2ECheck = { name: "ports", check: guarded(checkPorts) };
