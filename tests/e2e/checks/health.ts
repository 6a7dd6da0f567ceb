// Every container of the stack is running and healthy (its own healthcheck), restarts
// unless-stopped, and has memory and CPU limits.
import type Docker from "dockerode";
import type { E2ECheck, E2EContext } from "../context";
import { stackContainers, guarded } from "./support/docker";

/** What is wrong with one inspected container (empty when nothing). */
export function healthProblems(name: string, info: Pick<Docker.ContainerInspectInfo, "State" | "HostConfig">): string[] {
  const problems: string[] = [];
  const state = info.State;
  if (!state.Running) problems.push(`${name}: not running (status ${state.Status}, exit code ${state.ExitCode}${state.Error ? `, ${state.Error}` : ""})`);
  const health = state.Health;
  if (!health) problems.push(`${name}: has no healthcheck`);
  else if (health.Status !== "healthy") {
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

const limits = (info: Docker.ContainerInspectInfo) =>
  `${Math.round(Number(info.HostConfig.Memory) / 1048576)} MB/${Number(info.HostConfig.NanoCpus ?? 0) / 1e9} CPU`;

export async function checkHealth(ctx: E2EContext) {
  const containers = await stackContainers(ctx);
  if (containers.length === 0) return { ok: false, detail: `no container carries the label org.enrichment.stack=${ctx.stack}` };
  const problems = containers.flatMap((c) => healthProblems(c.name, c.info));
  if (problems.length) return { ok: false, detail: `${problems.length} problem(s) in ${containers.length} containers: ${problems.join("; ")}` };
  return { ok: true, detail: `${containers.length} containers running and healthy, restart unless-stopped, with limits: ${containers.map((c) => `${c.name} ${limits(c.info)}`).join(", ")}` };
}

export const check: E2ECheck = { name: "health", check: guarded(checkHealth) };
