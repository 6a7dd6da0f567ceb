// The swarm e2e's steps (docs/swarm.md): each takes the context (the real CLI on the swarm stack,
// the lab's nodes, a log, the report) and returns { ok, detail }. run.ts drives them in order;
// a harness that drives scenario files can call them the same way.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { MongoClient } from "mongodb";
import type { PulumiCli, RunResult } from "../engine/pulumi";
import { declaredJobs, targetsVerdict, type ActiveTarget } from "../../../verify/checks/monitoring";
import { INDEX_CATALOG } from "../../../facts/indexes";
import { indexName } from "../../../planes/data/mongoIndexes/plan";
import { SWARM_NODE_LABELS } from "../../../facts/swarm";
import { BACKUP_PATHS } from "../../../facts/backupPaths";
import { snapshotFor } from "../../../release/restore";
import { PROMETHEUS_PATHS } from "../../../facts/monitoringFiles";
import { Lab, runLab } from "./lab";

export interface StepResult {
  ok: boolean;
  detail: string;
}

export interface ServiceReport {
  name: string;
  mode: "replicated" | "global";
  desired: number;
  running: number;
  healthy: number;
  /** Node of each running task. */
  nodes: string[];
  image: string;
}

export interface SwarmReport {
  engine: "pulumi";
  versions: Record<string, string>;
  steps: { name: string; ok: boolean; seconds: number; detail: string }[];
  nodes: { name: string; address: string; role: string; labels: Record<string, string>; resources: string[]; state: string }[];
  services: ServiceReport[];
  /** Service -> node of each task, after the first `up`. */
  placement: Record<string, string[]>;
  secondPreview: { changes: number };
  scaleUp: { changed: string[]; otherChanges: number; workersAfter: number };
  rollback: { pulumiExit: number; updateState: string; message: string; imageBefore: string; imageAfter: string; healthyAfter: boolean };
  rescheduleSeconds: number | null;
  destroy: { refusedFirst: boolean; left: string[] };
}

export function emptySwarmReport(): SwarmReport {
  return {
    engine: "pulumi",
    versions: {},
    steps: [],
    nodes: [],
    services: [],
    placement: {},
    secondPreview: { changes: -1 },
    scaleUp: { changed: [], otherChanges: -1, workersAfter: 0 },
    rollback: { pulumiExit: -1, updateState: "", message: "", imageBefore: "", imageAfter: "", healthyAfter: false },
    rescheduleSeconds: null,
    destroy: { refusedFirst: false, left: [] },
  };
}

export interface SwarmContext {
  cli: PulumiCli;
  lab: Lab;
  stack: string;
  /** Name prefix of the stack's services, secrets, configs, networks and volumes. */
  prefix: string;
  log: (line: string) => void;
  report: SwarmReport;
}

/** How long a lost node's tasks may take to run healthy elsewhere: the bound this e2e asserts (measured values in docs/swarm.md). */
export const RESCHEDULE_BOUND_SECONDS = 120;
export const WORKER_NODE = "swl-node3";
const LABEL = (stack: string) => `org.enrichment.stack=${stack}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 2000): Promise<{ value: T; ok: boolean; seconds: number }> {
  const started = Date.now();
  let value = await what();
  while (!done(value) && Date.now() - started < timeoutMs) {
    await sleep(intervalMs);
    value = await what();
  }
  return { value, ok: done(value), seconds: (Date.now() - started) / 1000 };
}

/** Why a CLI run failed: its error lines (not the stack trace's frames), without colour codes. */
export function failed(result: RunResult, what: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = `${result.stdout}\n${result.stderr}`.replace(/\u001b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /error|failed|refused|protected|rollback/i.test(l) && !/^at /.test(l));
  return `${what} exited ${result.code}: ${(errors.length ? errors : lines.slice(-6)).slice(0, 8).join(" | ").slice(0, 900)}`;
}

// ------------------------------------------------------------------------------ the swarm's view

interface TaskInfo {
  service: string;
  node: string;
  nodeState: string;
  state: string;
  container?: string;
  image: string;
  reservesGpu: boolean;
}

async function tasksOf(ctx: SwarmContext): Promise<{ services: { id: string; name: string; spec: Record<string, any>; updateStatus?: { State?: string; Message?: string } }[]; tasks: TaskInfo[]; nodes: Awaited<ReturnType<Lab["swarmNodes"]>> }> {
  const manager = ctx.lab.manager;
  const nodes = await ctx.lab.swarmNodes();
  const services = ((await manager.listServices({ filters: { label: [LABEL(ctx.stack)] } })) as any[]).map((s) => ({
    id: s.ID as string,
    name: (s.Spec.Name as string).replace(`${ctx.prefix}-`, ""),
    spec: s.Spec,
    updateStatus: s.UpdateStatus,
  }));
  const tasks: TaskInfo[] = [];
  for (const service of services) {
    const list = (await manager.listTasks({ filters: { service: [service.id], "desired-state": ["running"] } })) as any[];
    for (const task of list) {
      const node = nodes.get(task.NodeID);
      tasks.push({
        service: service.name,
        node: node?.hostname ?? "(unassigned)",
        nodeState: node?.state ?? "unknown",
        state: task.Status?.State ?? "?",
        container: task.Status?.ContainerStatus?.ContainerID,
        image: String(task.Spec?.ContainerSpec?.Image ?? ""),
        reservesGpu: (task.Spec?.Resources?.Reservations?.GenericResources ?? []).length > 0,
      });
    }
  }
  return { services, tasks, nodes };
}

async function healthOf(ctx: SwarmContext, task: TaskInfo): Promise<string> {
  if (!task.container || task.nodeState !== "ready") return "unknown";
  try {
    const info = (await ctx.lab.client(task.node).getContainer(task.container).inspect()) as { State: { Health?: { Status: string }; Running: boolean } };
    return info.State.Health?.Status ?? (info.State.Running ? "running (no healthcheck)" : "not running");
  } catch (error) {
    return `uninspectable: ${(error as Error).message.slice(0, 80)}`;
  }
}

/** Every service of the stack: desired tasks, running tasks, healthy tasks, and where they run. */
export async function serviceReports(ctx: SwarmContext): Promise<ServiceReport[]> {
  const { services, tasks, nodes } = await tasksOf(ctx);
  const readyNodes = [...nodes.values()].filter((n) => n.state === "ready").length;
  const reports: ServiceReport[] = [];
  for (const service of services) {
    const global = !!service.spec.Mode?.Global;
    const mine = tasks.filter((t) => t.service === service.name && t.state === "running" && t.nodeState === "ready");
    let healthy = 0;
    for (const task of mine) if ((await healthOf(ctx, task)) === "healthy") healthy++;
    reports.push({
      name: service.name,
      mode: global ? "global" : "replicated",
      desired: global ? readyNodes : Number(service.spec.Mode?.Replicated?.Replicas ?? 0),
      running: mine.length,
      healthy,
      nodes: mine.map((t) => t.node).sort(),
      image: String(service.spec.TaskTemplate?.ContainerSpec?.Image ?? ""),
    });
  }
  return reports.sort((a, b) => a.name.localeCompare(b.name));
}

const allHealthy = (reports: ServiceReport[]) => reports.length > 0 && reports.every((r) => r.desired > 0 && r.running === r.desired && r.healthy === r.desired);
const unhealthy = (reports: ServiceReport[]) => reports.filter((r) => !(r.running === r.desired && r.healthy === r.desired)).map((r) => `${r.name} ${r.healthy}/${r.running}/${r.desired}`);

/** A command in a running task's container of a service, on the task's node. */
async function execIn(ctx: SwarmContext, service: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const { tasks } = await tasksOf(ctx);
  const task = tasks.find((t) => t.service === service && t.state === "running" && t.container && t.nodeState === "ready");
  if (!task) return { code: -1, output: `no running task of ${service}` };
  const container = ctx.lab.client(task.node).getContainer(task.container!);
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve());
    stream.on("error", reject);
  });
  // Demultiplex Docker's stream framing (8-byte headers).
  const raw = Buffer.concat(chunks);
  let output = "";
  for (let i = 0; i + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(i + 4);
    output += raw.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  const inspected = await exec.inspect();
  return { code: inspected.ExitCode ?? -1, output };
}

function httpGet(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** Dotted paths where two values differ (the engine's `__defaults` bookkeeping left out). */
export function changedPaths(a: unknown, b: unknown, at = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObject = (v: unknown) => v !== null && typeof v === "object";
  if (!isObject(a) || !isObject(b) || Array.isArray(a) !== Array.isArray(b)) return [at || "(root)"];
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)].filter((k) => k !== "__defaults"));
  return [...keys].flatMap((k) => changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
}

/**
 * Changes a `preview --json` plans, other than `same`: `op name`, the detailed diff's keys, and the
 * inputs that changed (old inputs against new). The bridged provider adds keys of its own to a
 * service's detailed diff (`taskSpec.containerSpec.sysctl`, `env`: "add") whenever the service
 * changes at all; they are not inputs the program changed.
 */
function plannedChanges(previewJson: string): { op: string; urn: string; name: string; keys: string[]; inputKeys: string[] }[] {
  const preview = JSON.parse(previewJson) as {
    steps?: { op: string; urn: string; detailedDiff?: Record<string, unknown>; oldState?: { inputs?: unknown }; newState?: { inputs?: unknown } }[];
  };
  return (preview.steps ?? [])
    .filter((s) => s.op !== "same")
    .map((s) => ({
      op: s.op,
      urn: s.urn,
      name: s.urn.split("::").pop()!,
      keys: Object.keys(s.detailedDiff ?? {}),
      inputKeys: changedPaths(s.oldState?.inputs, s.newState?.inputs),
    }));
}

// ------------------------------------------------------------------------------ the steps

/**
 * Written under the lab's root once a run deployed there. Measured on docker 20.10: after the
 * stack's overlays are deleted (destroy, or an earlier run's removal), the manager's allocator can
 * keep state of the deleted networks ("could not find network allocator state") and then fails
 * every node's attachment to new ones ("node is missing network attachments"): a service that
 * needs one is rejected until the manager's engine restarts. So a run starts on a fresh lab.
 */
export const LAB_USED_MARK = path.join(process.env.SWL_ROOT ?? "/var/lib/swl", ".used-by-e2e");

export async function labUp(ctx: SwarmContext): Promise<StepResult> {
  let recreated = "";
  if (fs.existsSync(LAB_USED_MARK)) {
    const down = await runLab(["down"], 300_000);
    if (down.code !== 0) return { ok: false, detail: `lab.sh down exited ${down.code}: ${down.stderr.trim().slice(-400)}` };
    recreated = "an earlier run had used the lab: recreated it (lab.sh down + up); ";
  }
  const result = await runLab(["up"], 300_000);
  if (result.code !== 0) return { ok: false, detail: `lab.sh up exited ${result.code}: ${result.stderr.trim().slice(-400)}` };
  const nodes = await ctx.lab.swarmNodes();
  ctx.report.nodes = ctx.lab.nodes.map((node) => {
    const seen = [...nodes.values()].find((n) => n.hostname === node.name);
    return { name: node.name, address: node.address, role: node.role, labels: seen?.labels ?? {}, resources: seen?.resources ?? [], state: seen?.state ?? "absent" };
  });
  const notReady = ctx.report.nodes.filter((n) => n.state !== "ready").map((n) => `${n.name} ${n.state}`);
  const upLine = result.stdout.trim().split("\n").filter((l) => l.startsWith("lab: up")).pop() ?? "";
  if (notReady.length === 0) fs.writeFileSync(LAB_USED_MARK, `${new Date().toISOString()}\n`);
  return { ok: notReady.length === 0, detail: `${recreated}${ctx.report.nodes.length} nodes ${notReady.length ? `NOT ready: ${notReady.join(", ")}` : "ready"} (${upLine.replace("lab: ", "")}); ${ctx.report.nodes.map((n) => `${n.name} ${n.role} ${Object.keys(n.labels).join("+") || "-"} ${n.resources.join(",")}`).join("; ")}` };
}

/** Removes what an earlier run left on the nodes: the stack's services, secrets, configs, networks, volumes. */
export async function removeLeftovers(ctx: SwarmContext): Promise<string[]> {
  const removed: string[] = [];
  const filters = { label: [LABEL(ctx.stack)] };
  const manager = ctx.lab.manager;
  for (const s of (await manager.listServices({ filters })) as any[]) {
    await manager.getService(s.ID).remove();
    removed.push(`service ${s.Spec.Name}`);
  }
  // Exited containers of the stack's tasks (a one-shot step's, an earlier run's) hold their volumes: removed on every node.
  for (const node of ctx.lab.nodes) {
    const client = ctx.lab.client(node.name);
    for (const c of await client.listContainers({ all: true, filters: { label: ["com.docker.swarm.service.name"], status: ["exited", "created", "dead"] } })) {
      if (!c.Labels["com.docker.swarm.service.name"]?.startsWith(`${ctx.prefix}-`)) continue;
      await client.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      removed.push(`exited container ${c.Names[0]} (${node.name})`);
    }
  }
  // Tasks take a moment to go on every node; secrets, configs, networks and volumes in use cannot be removed before.
  const stackContainers = async () => {
    let count = 0;
    for (const node of ctx.lab.nodes) count += (await ctx.lab.client(node.name).listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name`] } })).filter((c) => c.Labels["com.docker.swarm.service.name"]?.startsWith(`${ctx.prefix}-`)).length;
    return count;
  };
  await waitFor(stackContainers, (n) => n === 0, 90_000, 1000);
  for (const s of (await manager.listSecrets({ filters })) as any[]) {
    await manager.getSecret(s.ID).remove();
    removed.push(`secret ${s.Spec.Name}`);
  }
  for (const c of (await (manager as any).listConfigs({ filters })) as any[]) {
    await (manager as any).getConfig(c.ID).remove();
    removed.push(`config ${c.Spec.Name}`);
  }
  for (const n of (await manager.listNetworks({ filters })) as any[]) {
    const error = await manager.getNetwork(n.Id).remove().then(() => undefined, (e: Error) => e.message);
    removed.push(`network ${n.Name}${error ? ` NOT removed: ${error}` : ""}`);
  }
  for (const node of ctx.lab.nodes) {
    const client = ctx.lab.client(node.name);
    const { Volumes } = (await client.listVolumes({ filters })) as { Volumes: { Name: string }[] };
    for (const v of Volumes ?? []) {
      const error = await client.getVolume(v.Name).remove({ force: true }).then(() => undefined, (e: Error) => e.message);
      removed.push(`volume ${v.Name} (${node.name})${error ? ` NOT removed: ${error}` : ""}`);
    }
  }
  return removed;
}

export async function firstUp(ctx: SwarmContext): Promise<StepResult> {
  const result = await ctx.cli.up({ quiet: true });
  if (result.code !== 0) return { ok: false, detail: failed(result, "pulumi up") };
  const created = [...result.stdout.matchAll(/\+ (\d+) created/g)].pop()?.[1] ?? "?";
  return { ok: true, detail: `pulumi up: ${created} created in ${result.seconds.toFixed(0)} s (the provider waited for every replicated service to run healthy)` };
}

export async function convergedAndHealthy(ctx: SwarmContext): Promise<StepResult> {
  const { value, ok, seconds } = await waitFor(() => serviceReports(ctx), allHealthy, 180_000, 3000);
  ctx.report.services = value;
  return {
    ok,
    detail: ok
      ? `${value.length} services, ${value.reduce((n, r) => n + r.healthy, 0)} tasks, every one running and healthy (after ${seconds.toFixed(0)} s more)`
      : `not healthy after ${seconds.toFixed(0)} s: ${unhealthy(value).join(", ")} (healthy/running/desired)`,
  };
}

export async function placement(ctx: SwarmContext): Promise<StepResult> {
  const { tasks, nodes } = await tasksOf(ctx);
  const running = tasks.filter((t) => t.state === "running");
  const byService = new Map<string, string[]>();
  for (const t of running) byService.set(t.service, [...(byService.get(t.service) ?? []), t.node].sort());
  ctx.report.placement = Object.fromEntries([...byService.entries()].sort(([a], [b]) => a.localeCompare(b)));
  const withLabel = (label: string) => [...nodes.values()].filter((n) => n.labels[label] === "true").map((n) => n.hostname);
  const dataNodes = withLabel(SWARM_NODE_LABELS.data);
  const gpuNodes = [...nodes.values()].filter((n) => n.resources.some((r) => r.startsWith("NVIDIA-GPU="))).map((n) => n.hostname);
  const edgeNodes = withLabel(SWARM_NODE_LABELS.edge);
  const problems: string[] = [];
  const pinned = (service: string, where: string[], what: string) => {
    const at = byService.get(service) ?? [];
    if (at.length === 0) problems.push(`${service} runs nowhere`);
    for (const node of at) if (!where.includes(node)) problems.push(`${service} runs on ${node}, not on ${what} (${where.join(", ")})`);
  };
  for (const service of ["mongodb", "nsqd", "prometheus", "alertmanager", "grafana", "mongodb-backup", "mongodb-backup-metrics"]) pinned(service, dataNodes, "the data node");
  pinned("ollama", gpuNodes, "the GPU node");
  pinned("edge", edgeNodes, "the edge node");
  const gpuTasks = running.filter((t) => t.reservesGpu);
  for (const t of gpuTasks) if (!gpuNodes.includes(t.node)) problems.push(`${t.service} reserves the GPU and runs on ${t.node}`);
  if (gpuTasks.length === 0) problems.push("no task reserves the GPU generic resource");
  const spread = (service: string) => new Set(byService.get(service) ?? []).size;
  for (const service of ["enrichment-worker", "review-api", "cost-api"]) if (spread(service) < 2) problems.push(`${service}'s replicas are not spread: ${(byService.get(service) ?? []).join(", ")}`);
  const perNode = ["node-exporter", "cadvisor"].filter((s) => spread(s) !== nodes.size);
  if (perNode.length) problems.push(`not one per node: ${perNode.join(", ")}`);
  return {
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join("; ")
      : `data (${dataNodes.join(",")}): mongodb, nsqd, prometheus, alertmanager, grafana, backups; GPU (${gpuNodes.join(",")}): ollama only (${gpuTasks.length} GPU task); edge (${edgeNodes.join(",")}); spread: enrichment-worker ${(byService.get("enrichment-worker") ?? []).join("+")}, review-api ${(byService.get("review-api") ?? []).join("+")}, cost-api ${(byService.get("cost-api") ?? []).join("+")}; exporters on every node`,
  };
}

/** The one-shot steps ran as swarm jobs wherever their service runs: topic, model pulls, snapshot, and the index reconciler's connection. */
export async function oneShotSteps(ctx: SwarmContext, settings: { topic: string; models: string[]; release: string; database: string; adminHost: string; adminPort: number }): Promise<StepResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const stats = await execIn(ctx, "nsqd", ["wget", "-q", "-O", "-", "http://127.0.0.1:4151/stats?format=json"]);
  const topics = stats.code === 0 ? ((JSON.parse(stats.output) as { topics?: { topic_name: string }[] }).topics ?? []).map((t) => t.topic_name) : [];
  if (!topics.includes(settings.topic)) problems.push(`topic ${settings.topic} not in nsqd (${stats.code === 0 ? topics.join(", ") || "none" : stats.output.slice(0, 200)})`);
  else notes.push(`topic ${settings.topic} on nsqd`);
  const list = await execIn(ctx, "ollama", ["ollama", "list"]);
  const missing = settings.models.filter((tag) => !list.output.includes(tag));
  if (list.code !== 0 || missing.length) problems.push(`models not pulled: ${missing.join(", ")} (${list.output.slice(0, 200)})`);
  else notes.push(`models ${settings.models.join(", ")} on ollama`);
  const archives = await execIn(ctx, "mongodb-backup", ["ls", BACKUP_PATHS.dumpArchives]);
  const snapshot = snapshotFor(archives.output.split("\n").map((name) => name.trim()), settings.release);
  if (!snapshot) problems.push(`no pre-release snapshot of ${settings.release} on the backup volume (${archives.output.replace(/\n/g, " ").slice(0, 300)})`);
  else notes.push(`snapshot ${snapshot} on the data node's backup volume`);
  const outputs = await ctx.cli.stackOutputs({ showSecrets: true });
  const uri = String(outputs.mongodbConnectionUri ?? "").replace(/@mongodb:27017\//, `@${settings.adminHost}:${settings.adminPort}/`);
  try {
    const client = await MongoClient.connect(`${uri}${uri.includes("?") ? "&" : "?"}directConnection=true`, { serverSelectionTimeoutMS: 10_000 });
    try {
      for (const collection of [...new Set(INDEX_CATALOG.map((i) => i.collection))]) {
        const names = (await client.db(settings.database).collection(collection).listIndexes().toArray()).map((i) => String(i.name));
        const declared = INDEX_CATALOG.filter((i) => i.collection === collection).map(indexName);
        const absent = declared.filter((name) => !names.includes(name));
        if (absent.length) problems.push(`${collection} lacks ${absent.join(", ")}`);
      }
      notes.push(`the ${INDEX_CATALOG.length} declared indexes, reconciled through ${settings.adminHost}:${settings.adminPort} (the data node's host-mode port)`);
    } finally {
      await client.close();
    }
  } catch (error) {
    problems.push(`MongoDB at ${settings.adminHost}:${settings.adminPort}: ${(error as Error).message}`);
  }
  // A step's task and container are gone once it is done: nothing holds a volume or a node.
  const leftover: string[] = [];
  for (const node of ctx.lab.nodes) {
    for (const c of await ctx.lab.client(node.name).listContainers({ all: true, filters: { label: ["com.docker.swarm.service.name"] } })) {
      if (c.Labels["com.docker.swarm.service.name"]?.startsWith(`${ctx.prefix}-`) && c.Labels["com.docker.swarm.service.name"]!.includes("-job-")) leftover.push(`${c.Names[0]} (${node.name}, ${c.State})`);
    }
  }
  if (leftover.length) problems.push(`one-shot steps left containers behind: ${leftover.join(", ")}`);
  else notes.push("no step left a container behind");
  return { ok: problems.length === 0, detail: problems.length ? problems.join("; ") : notes.join("; ") };
}

/** Secret files: swarm secrets with the reader's uid:gid and mode 0400. */
export async function secretFiles(ctx: SwarmContext, appUser: { uid: number; gid: number }): Promise<StepResult> {
  const checks: { service: string; path: string; want: string }[] = [
    { service: "mongodb", path: "/run/secrets/mongodb-root-password", want: "400 999:999" },
    { service: "enrichment-worker", path: "/run/secrets/mongodb-uri", want: `400 ${appUser.uid}:${appUser.gid}` },
    { service: "grafana", path: "/run/secrets/grafana-admin-password", want: "400 472:0" },
  ];
  const seen: string[] = [];
  const problems: string[] = [];
  for (const check of checks) {
    const result = await execIn(ctx, check.service, ["stat", "-c", "%a %u:%g", check.path]);
    const got = result.output.trim();
    seen.push(`${check.service} ${check.path} ${got}`);
    if (got !== check.want) problems.push(`${check.service} ${check.path}: ${got || result.output} (expected ${check.want})`);
  }
  // Nothing secret in the services' environment.
  const { services } = await tasksOf(ctx);
  const envSecrets = services.flatMap((s) => ((s.spec.TaskTemplate?.ContainerSpec?.Env ?? []) as string[]).filter((e) => /PASSWORD=|SECRET=|_KEY=|URI=/.test(e) && !/_FILE=/.test(e)).map((e) => `${s.name}: ${e.split("=")[0]}`));
  if (envSecrets.length) problems.push(`secret-looking environment values: ${envSecrets.join(", ")}`);
  return { ok: problems.length === 0, detail: problems.length ? problems.join("; ") : `${seen.join("; ")}; no secret in any service's environment` };
}

export async function prometheusTargets(ctx: SwarmContext, address: string): Promise<StepResult> {
  const config = await execIn(ctx, "prometheus", ["cat", PROMETHEUS_PATHS.config]);
  if (config.code !== 0) return { ok: false, detail: `cannot read prometheus.yml: ${config.output.slice(0, 200)}` };
  const declared = declaredJobs(config.output);
  const { value, ok, seconds } = await waitFor(
    async () => {
      try {
        const answer = await httpGet(`http://${address}/api/v1/targets?state=active`);
        return targetsVerdict((JSON.parse(answer.body) as { data: { activeTargets: ActiveTarget[] } }).data.activeTargets, declared);
      } catch (error) {
        return { ok: false, notUp: [(error as Error).message], missingJobs: [], unexpectedJobs: [], total: 0 };
      }
    },
    (v) => v.ok,
    120_000,
    5000,
  );
  return {
    ok,
    detail: ok
      ? `${value.total} targets of ${declared.length} jobs up (tasks found by DNS: tasks.<service>), after ${seconds.toFixed(0)} s`
      : `not up after ${seconds.toFixed(0)} s: ${[...value.notUp, ...value.missingJobs.map((j) => `missing job ${j}`), ...value.unexpectedJobs.map((j) => `unexpected job ${j}`)].slice(0, 8).join("; ")}`,
  };
}

export async function secondPreview(ctx: SwarmContext): Promise<StepResult> {
  const result = await ctx.cli.preview({ json: true, quiet: true });
  if (result.code !== 0) return { ok: false, detail: failed(result, "pulumi preview --json") };
  const changes = plannedChanges(result.stdout);
  ctx.report.secondPreview = { changes: changes.length };
  return { ok: changes.length === 0, detail: changes.length ? `${changes.length} changes: ${changes.map((c) => `${c.op} ${c.name} (${c.keys.join(", ")})`).join("; ").slice(0, 800)}` : "zero changes" };
}

export async function scaleWorkers(ctx: SwarmContext, from: number, to: number): Promise<StepResult> {
  const set = await ctx.cli.configSet("enrichment:workers.replicas", String(to), { path: true });
  if (set.code !== 0) return { ok: false, detail: failed(set, "pulumi config set") };
  const preview = await ctx.cli.preview({ json: true, quiet: true });
  if (preview.code !== 0) return { ok: false, detail: failed(preview, "pulumi preview --json") };
  const changes = plannedChanges(preview.stdout);
  const workers = changes.filter((c) => c.urn.endsWith("docker:index/service:Service::enrichment-worker"));
  const others = changes.filter((c) => !workers.includes(c));
  ctx.report.scaleUp.changed = changes.map((c) => `${c.op} ${c.name}: ${c.keys.join(", ")}`);
  ctx.report.scaleUp.otherChanges = others.length;
  const onlyReplicas = workers.length === 1 && workers[0]!.op === "update" && workers[0]!.inputKeys.length > 0 && workers[0]!.inputKeys.every((k) => k.startsWith("mode"));
  const up = await ctx.cli.up({ quiet: true });
  if (up.code !== 0) return { ok: false, detail: failed(up, "pulumi up") };
  const { value } = await waitFor(() => serviceReports(ctx), (r) => r.find((s) => s.name === "enrichment-worker")?.healthy === to, 120_000, 3000);
  const workersAfter = value.find((s) => s.name === "enrichment-worker");
  ctx.report.scaleUp.workersAfter = workersAfter?.healthy ?? 0;
  const ok = onlyReplicas && others.length === 0 && workersAfter?.healthy === to && allHealthy(value);
  return {
    ok,
    detail: `${from} -> ${to}: preview planned ${changes.map((c) => `${c.op} ${c.name} (inputs: ${c.inputKeys.join(", ")}; all keys: ${c.keys.join(", ")})`).join("; ") || "nothing"}; up in ${up.seconds.toFixed(0)} s; ${workersAfter?.healthy ?? 0}/${to} workers healthy on ${[...new Set(workersAfter?.nodes ?? [])].join(", ")}${allHealthy(value) ? "" : `; unhealthy: ${unhealthy(value).join(", ")}`}`,
  };
}

/** A broken image in a rolling update: the swarm rolls the service back by itself, `pulumi up` reports it, the stack stays healthy. */
export async function brokenRollout(ctx: SwarmContext, goodImage: string): Promise<StepResult> {
  const broken = `${goodImage.split("@")[0]!.replace(/:[^:/]*$/, "")}:broken@sha256:${crypto.createHash("sha256").update("a broken image").digest("hex")}`;
  const before = (await serviceReports(ctx)).find((s) => s.name === "enrichment-worker");
  ctx.report.rollback.imageBefore = before?.image ?? "";
  const set = await ctx.cli.configSet("enrichment:release.images.enrichment-worker", broken, { path: true });
  if (set.code !== 0) return { ok: false, detail: failed(set, "pulumi config set") };
  const up = await ctx.cli.up({ quiet: true });
  ctx.report.rollback.pulumiExit = up.code;
  // The provider reports the rollback once the old tasks run again; the swarm marks it completed
  // after its own monitor window.
  const settled = await waitFor(
    async () => (await tasksOf(ctx)).services.find((s) => s.name === "enrichment-worker")?.updateStatus,
    (status) => status?.State !== "rollback_started" && status?.State !== "updating",
    120_000,
    2000,
  );
  ctx.report.rollback.updateState = settled.value?.State ?? "(none)";
  ctx.report.rollback.message = settled.value?.Message ?? "";
  const { value, seconds } = await waitFor(() => serviceReports(ctx), allHealthy, 120_000, 3000);
  const after = value.find((s) => s.name === "enrichment-worker");
  ctx.report.rollback.imageAfter = after?.image ?? "";
  ctx.report.rollback.healthyAfter = allHealthy(value);
  const rolledBack = ctx.report.rollback.updateState === "rollback_completed" && after?.image === before?.image;
  // Back to the good image: the state the failed update left is reconciled by the next up.
  const restore = await ctx.cli.configSet("enrichment:release.images.enrichment-worker", goodImage, { path: true });
  const upAgain = restore.code === 0 ? await ctx.cli.up({ quiet: true }) : restore;
  const preview = upAgain.code === 0 ? await ctx.cli.preview({ json: true, quiet: true }) : upAgain;
  const left = preview.code === 0 ? plannedChanges(preview.stdout) : [];
  const ok = up.code !== 0 && /rollback/.test(up.stdout + up.stderr) && rolledBack && ctx.report.rollback.healthyAfter && upAgain.code === 0 && preview.code === 0 && left.length === 0;
  return {
    ok,
    detail:
      `image -> ${broken.split("/").pop()!.slice(0, 40)}...: pulumi up exited ${up.code} (${/service rollback completed[^\n"]*/.exec(up.stdout + up.stderr)?.[0] ?? "no rollback reported"}); ` +
      `the swarm's update state ${ctx.report.rollback.updateState} (${ctx.report.rollback.message}); workers run ${after?.image === before?.image ? "the previous image" : `${after?.image} (NOT the previous)`}; ` +
      `${ctx.report.rollback.healthyAfter ? `every service healthy ${seconds.toFixed(0)} s later` : `unhealthy: ${unhealthy(value).join(", ")}`}; ` +
      `image restored: up exited ${upAgain.code}, then a preview plans ${preview.code === 0 ? `${left.length} changes` : `nothing (exit ${preview.code})`}`,
  };
}

/** A worker node stops: its tasks run elsewhere and the stack is healthy again within RESCHEDULE_BOUND_SECONDS. */
export async function nodeLost(ctx: SwarmContext, node = WORKER_NODE): Promise<StepResult> {
  const before = await tasksOf(ctx);
  const onNode = before.tasks.filter((t) => t.node === node && t.state === "running").map((t) => t.service);
  const started = Date.now();
  const stop = await runLab(["stop", node]);
  if (stop.code !== 0) return { ok: false, detail: `lab.sh stop ${node} exited ${stop.code}: ${stop.stderr.trim()}` };
  try {
    const down = await waitFor(async () => (await tasksOf(ctx)).nodes, (nodes) => [...nodes.values()].some((n) => n.hostname === node && n.state === "down"), 90_000, 1000);
    const downAfter = (Date.now() - started) / 1000;
    // Every desired task served by a running, healthy task on another node. A surplus is not a
    // failure: once, a 4-replica service kept 5 healthy tasks past the bound after the stop (seen in
    // the final CI run of this session); it is named in the detail.
    const served = (r: ServiceReport[]) => r.length > 0 && r.every((s) => s.desired > 0 && s.running >= s.desired && s.healthy >= s.desired);
    const { value, ok } = await waitFor(() => serviceReports(ctx), (r) => served(r) && r.every((s) => !s.nodes.includes(node)), RESCHEDULE_BOUND_SECONDS * 1000, 2000);
    const surplus = value.filter((r) => r.running > r.desired).map((r) => `${r.name} ${r.running} tasks for ${r.desired}`);
    const seconds = (Date.now() - started) / 1000;
    ctx.report.rescheduleSeconds = ok ? Math.round(seconds) : null;
    const moved = [...new Set(onNode)].filter((s) => value.find((r) => r.name === s)?.mode === "replicated");
    return {
      ok: ok && down.ok,
      detail: ok
        ? `${node} stopped with ${onNode.length} tasks (${[...new Set(onNode)].join(", ")}); the manager saw it down after ${downAfter.toFixed(0)} s; ${moved.join(", ")} ran healthy on other nodes and every service was healthy ${seconds.toFixed(0)} s after the stop (bound ${RESCHEDULE_BOUND_SECONDS} s)${surplus.length ? `; surplus: ${surplus.join(", ")}` : ""}`
        : `not healthy within ${RESCHEDULE_BOUND_SECONDS} s of stopping ${node} (down seen: ${down.ok}): ${unhealthy(value).join(", ")}`,
    };
  } finally {
    await runLab(["start", node]);
    await waitFor(async () => (await tasksOf(ctx)).nodes, (nodes) => [...nodes.values()].every((n) => n.state === "ready"), 60_000, 1000);
  }
}

/** `destroy` is refused by the protected volumes; unprotected, it removes everything and leaves the volumes on their nodes. */
export async function destroy(ctx: SwarmContext): Promise<StepResult> {
  const first = await ctx.cli.destroy({ quiet: true });
  ctx.report.destroy.refusedFirst = first.code !== 0 && /protect/.test(first.stdout + first.stderr);
  const unprotect = await ctx.cli.run(["state", "unprotect", "--all", "--yes", "--stack", ctx.stack], { quiet: true });
  const second = unprotect.code === 0 ? await ctx.cli.destroy({ quiet: true }) : unprotect;
  const left: string[] = [];
  const filters = { label: [LABEL(ctx.stack)] };
  const manager = ctx.lab.manager;
  for (const s of (await manager.listServices({ filters })) as any[]) left.push(`service ${s.Spec.Name}`);
  for (const s of (await manager.listSecrets({ filters })) as any[]) left.push(`secret ${s.Spec.Name}`);
  for (const c of (await (manager as any).listConfigs({ filters })) as any[]) left.push(`config ${c.Spec.Name}`);
  for (const n of (await manager.listNetworks({ filters })) as any[]) left.push(`network ${n.Name}`);
  const volumes: string[] = [];
  for (const node of ctx.lab.nodes) {
    const { Volumes } = (await ctx.lab.client(node.name).listVolumes({ filters })) as { Volumes: { Name: string }[] };
    for (const v of Volumes ?? []) volumes.push(`${v.Name.replace(`${ctx.prefix}-`, "")}@${node.name}`);
  }
  ctx.report.destroy.left = [...left, ...volumes.map((v) => `volume ${v}`)];
  const expected = ["mongodb-data", "mongodb-configdb", "nsqd-data", "prometheus-data", "alertmanager-data", "grafana-data", "mongodb-backups"].map((v) => `${v}@swl-node1`).concat(["ollama-models@swl-node2"]);
  const lost = expected.filter((v) => !volumes.includes(v));
  const ok = ctx.report.destroy.refusedFirst && second.code === 0 && left.length === 0 && lost.length === 0;
  return {
    ok,
    detail: `first destroy ${ctx.report.destroy.refusedFirst ? "refused (protected)" : `NOT refused (exit ${first.code})`}; unprotected, destroy exited ${second.code}${second.code ? ` (${failed(second, "destroy")})` : ""}; left: ${left.join(", ") || "no service, secret, config or network"}; volumes kept on their nodes: ${volumes.sort().join(", ") || "none"}${lost.length ? `; GONE: ${lost.join(", ")}` : ""}`,
  };
}
