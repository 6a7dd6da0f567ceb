// The single-host e2e that `npm run e2e` runs (tests/e2e/run.ts parses the flags and hands over):
// deploys the e2e stack onto the local Docker engine with the real Pulumi engine (the CLI, the
// Node.js language host, the bridged upstream Docker provider and the stand-in random, tls and
// command plugins that tests/e2e/engine/build.sh builds), exercises it, tears it down and writes
// `.e2e/report.json` (docs/e2e.md). Each step is timed; a failed step prints what explains it; the
// run exits non-zero when any step or check failed.
import Docker from "dockerode";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { MongoClient } from "mongodb";
import { readStackFile } from "../../config/stackFile";
import type { E2EFlags } from "./run.usage";
import type { E2ECheck, E2EContext, StepResult } from "./context";
import { emptyReport, summaryLines, writeReport, type E2EReport } from "./report";
import { MINIO_CONTAINER } from "./backup/check";
import { BACKUP_PATHS, BACKUP_SERVICE } from "../../facts/backupPaths";
import { LABEL_PREFIX } from "../../facts/services";
import { releaseLabel } from "../../release/restore";
import { exec } from "../../verify/docker";
import { loadToolchain, PulumiCli, REPO, type RunResult, type Toolchain } from "./engine/pulumi";
import { describeSteps, readEvents, type EventSummary } from "./engine/events";
import { BACKEND_DIR, buildContext, E2E_DIR, E2E_STACK, e2eCli, generatedConfigSecrets, mergeDeep, mongoPort, nameOfUrn, nestOverrides, SINK, stackResources, STACK_FILE, writeStackFile } from "./stack";
import { scanForSecrets } from "./secretScan";
import { putUploadsAsProvider, type ProviderUpload } from "../fixtures/engine";
import { ROLLOUT_STEPS, rolloutContext } from "./scenarios/rollout";
import { describeTree } from "./processTree";
import { collectOutput } from "./output";
import { INGESTION_STEPS, type IngestionStepContext } from "./scenarios/ingestion";
import { TSX_LOADER } from "../../synth/index";
import { childEnd } from "../../release/childEnd";

const IMAGES_JSON = path.join(E2E_DIR, "images.json");
/** Images the e2e uses beside the stack (the alert sink), written by build.sh. */
const SUPPORT_JSON = path.join(E2E_DIR, "support-images.json");
const FIXTURES = path.join(REPO, "tests/fixtures/preview");
const PREFIX = E2E_STACK;
/** The drift the e2e makes by hand: one container removed, one index altered. */
const DRIFT = { container: "nsqadmin", collection: "cost_records", index: "timestamp_1", indexResource: "mongodb-indexes-cost_records" };
/** An index made by hand before an `up`: the reconciler must never drop it. */
const HAND_INDEX = { collection: "review_queue", name: "e2e_by_hand_1", keys: { e2e_by_hand: 1 } };
/** Workers 1 -> 2, as an operator scales: `pulumi config set --path`. */
const SCALE = { key: "enrichment:workers.replicas", value: "2" };
/** A new release (issue 12, item 3): its snapshot must be dumped and verified before any release container is replaced. */
const RELEASE = { key: "enrichment:release.version", version: "e2e-2" };
const CONTAINER_TYPE = "docker:index/container:Container";

/** The command's flags (tests/e2e/run.ts parsed them with tests/e2e/run.usage.ts). */
let flags: E2EFlags;

const docker = new Docker();
const report: E2EReport = emptyReport("pulumi");
let failed = false;
/** Everything the CLI printed in this run: scanned for plaintext secrets. */
const cliOutput: string[] = [];

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * A step that has not ended after this long fails with what was still running: every step here
 * takes seconds to five minutes, and a hang must show itself in CI's log, not run into CI's own
 * time limit. The step's work is left behind (its commands have deadlines of their own).
 */
const STEP_DEADLINE_MS = 20 * 60_000;

/** The step in progress (for a report when the run is stopped from outside). */
let currentStep: { name: string; started: number } | undefined;

async function step(name: string, run: () => Promise<StepResult>): Promise<StepResult> {
  log(`\n== ${name}`);
  const started = Date.now();
  currentStep = { name, started };
  let result: StepResult;
  let timer: NodeJS.Timeout | undefined;
  try {
    result = await Promise.race([
      run(),
      new Promise<StepResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `still running after ${STEP_DEADLINE_MS / 60_000} min; the e2e's processes then:\n${describeTree(process.pid)}` }),
          STEP_DEADLINE_MS,
        );
      }),
    ]);
  } catch (error) {
    result = { ok: false, detail: `threw: ${(error as Error).stack ?? String(error)}` };
  } finally {
    clearTimeout(timer);
    currentStep = undefined;
  }
  const seconds = (Date.now() - started) / 1000;
  report.steps.push({ name, ok: result.ok, seconds: Number(seconds.toFixed(1)), detail: result.detail, ...(result.json === undefined ? {} : { json: result.json }) });
  log(`${result.ok ? "ok" : "FAILED"} ${name} (${seconds.toFixed(1)} s): ${result.detail}`);
  if (!result.ok) failed = true;
  writeReport(path.join(E2E_DIR, "report.json"), report);
  return result;
}

/**
 * Runs a command, streaming its output; resolves with the code and the output. Waited for as the
 * CLI's runs are (release/childEnd.ts): a process it started that keeps its output open does not
 * hold the e2e past its exit.
 */
async function run(command: string, args: string[], options: { stdin?: string; quiet?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...(options.env ?? {}) }, stdio: ["pipe", "pipe", "pipe"] });
  const output = collectOutput(child, options);
  const end = await childEnd(child, {
    onLinger: () => void (output.stderr += `\n[${command} exited (${child.exitCode}) but a process it started kept its output open]\n`),
  });
  if (end.error) output.stderr += `\n[${command} could not run: ${end.error.message}]\n`;
  return { code: end.code ?? 255, stdout: output.stdout, stderr: output.stderr };
}

// ------------------------------------------------------------------------------------------ the engine

let toolchain: Toolchain;
let cli: PulumiCli;

/** Keeps what the CLI printed (for the secrets scan) and returns the result. */
function kept(result: RunResult): RunResult {
  cliOutput.push(result.stdout, result.stderr);
  return result;
}

/** `pulumi <operation>` with an event log; the events say what each resource did. */
async function engineOp(name: string, operation: "preview" | "up" | "destroy", opts: { json?: boolean; refresh?: boolean; expectNoChanges?: boolean; quiet?: boolean; extra?: string[] } = {}): Promise<{ result: RunResult; events: EventSummary }> {
  const eventLog = path.join(E2E_DIR, `events-${name}.jsonl`);
  fs.rmSync(eventLog, { force: true });
  const extra = ["--event-log", eventLog, ...(opts.extra ?? [])];
  const result =
    operation === "preview"
      ? await cli.preview({ json: opts.json, refresh: opts.refresh, expectNoChanges: opts.expectNoChanges, quiet: opts.quiet, extra })
      : operation === "up"
        ? await cli.up({ refresh: opts.refresh, quiet: opts.quiet, extra })
        : await cli.destroy({ quiet: opts.quiet, extra });
  kept(result);
  return { result, events: readEvents(eventLog) };
}

function describeErrors(events: EventSummary, result: RunResult): string {
  const lines = events.errors.map((e) => `${e.urn ? nameOfUrn(e.urn) : "program"}: ${e.message}`);
  return lines.length ? lines.join("\n") : `exit ${result.code}: ${result.stderr.trim().slice(-3000) || result.stdout.trim().slice(-3000)}`;
}

/** Parsed `pulumi preview --json`. */
interface PreviewJson {
  steps?: { op: string; urn: string; diffReasons?: string[]; replaceReasons?: string[] }[];
  changeSummary?: Record<string, number>;
  diagnostics?: { message: string; severity: string; urn?: string }[];
}
const changedSteps = (preview: PreviewJson) => (preview.steps ?? []).filter((s) => !["same", "read", "refresh"].includes(s.op));
function describePreview(preview: PreviewJson): string {
  return describeSteps(changedSteps(preview).map((s) => ({ urn: s.urn, type: s.urn.split("::")[2]!.split("$").pop()!, name: nameOfUrn(s.urn), op: s.op, diffs: [...(s.diffReasons ?? []), ...(s.replaceReasons ?? [])], failed: false })));
}
function parsePreview(stdout: string): PreviewJson | undefined {
  try {
    return JSON.parse(stdout) as PreviewJson;
  } catch {
    return undefined;
  }
}

/** Every container of the stack, and whether Docker reports it healthy now. */
async function unhealthyContainers(): Promise<string[]> {
  const unhealthy: string[] = [];
  for (const c of await docker.listContainers({ all: true, filters: { label: [`org.enrichment.stack=${E2E_STACK}`] } })) {
    const info = await docker.getContainer(c.Id).inspect();
    if (info.State.Health?.Status !== "healthy") unhealthy.push(`${c.Names[0]} ${info.State.Status}/${info.State.Health?.Status ?? "no healthcheck"}\n${await containerLogs(c.Id, 30)}`);
  }
  return unhealthy;
}

async function containerLogs(id: string, tail = 40): Promise<string> {
  try {
    const buffer = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail })) as unknown as Buffer;
    // Strip the 8-byte multiplexing headers.
    const out: string[] = [];
    for (let i = 0; i + 8 <= buffer.length; ) {
      const size = buffer.readUInt32BE(i + 4);
      out.push(buffer.subarray(i + 8, i + 8 + size).toString());
      i += 8 + size;
    }
    return out.join("").split("\n").map((l) => `    | ${l}`).join("\n");
  } catch (error) {
    return `    | (no logs: ${(error as Error).message})`;
  }
}

async function removeContainer(name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true, v: false })
    .catch(() => undefined);
}

// ------------------------------------------------------------------------------------------

/** `--real-images`: the shipped staging stack's pinned images and GPU settings. */
function realImageOverrides(): Record<string, unknown> {
  const staging = readStackFile(path.join(REPO, "Pulumi.staging.yaml")).raw.values as Record<string, Record<string, unknown>>;
  return {
    images: staging.images,
    release: { images: (staging.release as { images: unknown }).images },
    ollama: { gpus: (staging.ollama as { gpus?: string } | undefined)?.gpus ?? "all" },
    monitoring: { gpuMetrics: (staging.monitoring as { gpuMetrics?: boolean } | undefined)?.gpuMetrics ?? true },
  };
}

async function withMongo<T>(uri: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 20_000, connectTimeoutMS: 10_000 });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

function rootUri(ctx: E2EContext): string {
  const s = ctx.settings.mongodb;
  return `mongodb://root:${encodeURIComponent(ctx.secrets["mongodb-root-password"] ?? "")}@${s.adminHost}:${mongoPort(ctx.settings)}/?authSource=admin&directConnection=true`;
}

/** Everything on the Docker host that carries the stack's prefix. */
async function leftovers(): Promise<string[]> {
  const containers = (await docker.listContainers({ all: true })).flatMap((c) => c.Names.map((n) => n.replace(/^\//, ""))).filter((n) => n.startsWith(`${PREFIX}-`));
  const networks = (await docker.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith(`${PREFIX}-`));
  const volumes = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).filter((n) => n.startsWith(`${PREFIX}-`));
  return [...containers.map((n) => `container ${n}`), ...networks.map((n) => `network ${n}`), ...volumes.map((n) => `volume ${n}`)];
}

async function startSink(image: string, egressNetwork: string): Promise<void> {
  await removeContainer(SINK.container);
  await new Promise<void>((resolve, reject) =>
    docker.pull(image, (error: Error | null, stream: NodeJS.ReadableStream) => (error ? reject(error) : docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())))),
  );
  const container = await docker.createContainer({
    name: SINK.container,
    Image: image,
    Env: [`SINK_ADDR=0.0.0.0:${SINK.port}`],
    Labels: { "org.enrichment.e2e": "sink" },
    ExposedPorts: { [`${SINK.port}/tcp`]: {} },
    HostConfig: { NetworkMode: egressNetwork, PortBindings: { [`${SINK.port}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: String(SINK.hostPort) }] } },
  });
  await container.start();
  // node:http with a timeout, not fetch: undici's sockets do not keep the process alive, and
  // docker-proxy accepts a connection before the sink listens, so a fetch could hang unseen.
  const probe = () =>
    new Promise<number>((resolve) => {
      const req = http.get(`http://127.0.0.1:${SINK.hostPort}/received`, { timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(0));
    });
  for (let i = 0; i < 30; i++) {
    if ((await probe()) === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the sink did not answer on 127.0.0.1:${SINK.hostPort}/received:\n${await containerLogs(SINK.container)}`);
}

/** The checks in ALL_CHECKS' order (backup before restore; the edge last); every module of the folder must be in it. */
async function loadChecks(): Promise<readonly E2ECheck[]> {
  const dir = path.join(__dirname, "checks");
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => f.replace(/\.ts$/, "")) : [];
  const { ALL_CHECKS } = require("./checks/support/all") as typeof import("./checks/support/all");
  const missing = files.filter((f) => !ALL_CHECKS.some((c) => c.name === f));
  if (missing.length) throw new Error(`tests/e2e/checks/${missing.join(", ")} not in ALL_CHECKS (tests/e2e/checks/support/all.ts)`);
  return ALL_CHECKS;
}

async function versions(): Promise<Record<string, string>> {
  const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
  const pkg = (name: string) => lock.packages[`node_modules/${name}`]?.version ?? "?";
  const engine = await docker.version().catch(() => ({ Version: "?", ApiVersion: "?" }));
  return {
    node: process.version,
    docker: `${engine.Version} (API ${engine.ApiVersion})`,
    "@pulumi/pulumi": pkg("@pulumi/pulumi"),
    "@pulumi/docker": pkg("@pulumi/docker"),
    "@pulumi/random": pkg("@pulumi/random"),
    "@pulumi/tls": pkg("@pulumi/tls"),
    "@pulumi/command": pkg("@pulumi/command"),
    images: flags["real-images"] ? "real (Pulumi.staging.yaml)" : "built (tests/e2e/images/build.sh)",
    ...(toolchain ? toolchain.versions : {}),
  };
}

// ------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  fs.mkdirSync(E2E_DIR, { recursive: true });
  const started = Date.now();
  let startedDockerd: number | undefined;

  await step("dockerd", async () => {
    const result = await run("bash", [path.join(__dirname, "dockerd.sh")], { quiet: true });
    const started = /^started (\d+)/.exec(result.stdout.trim());
    if (started) startedDockerd = Number(started[1]);
    return { ok: result.code === 0, detail: result.code === 0 ? (started ? `started dockerd (pid ${started[1]})` : "a Docker engine already answered") : result.stderr.trim() };
  });
  if (failed) return finish(started, startedDockerd);

  let sinkImage = "";
  let overrides: Record<string, unknown> = {};
  await step("images", async () => {
    if (!flags["real-images"] && !flags["reuse-images"]) {
      const result = await run("bash", [path.join(__dirname, "images/build.sh")]);
      if (result.code !== 0) return { ok: false, detail: `tests/e2e/images/build.sh exited ${result.code}:\n${result.stderr.slice(-3000)}` };
    }
    if (!fs.existsSync(IMAGES_JSON)) return { ok: false, detail: `${path.relative(REPO, IMAGES_JSON)} is missing: run bash tests/e2e/images/build.sh` };
    const images = JSON.parse(fs.readFileSync(IMAGES_JSON, "utf8")) as Record<string, string>;
    const support = fs.existsSync(SUPPORT_JSON) ? (JSON.parse(fs.readFileSync(SUPPORT_JSON, "utf8")) as Record<string, string>) : {};
    sinkImage = support.sink ?? support["support.sink"] ?? "";
    if (!sinkImage) return { ok: false, detail: `${path.relative(REPO, SUPPORT_JSON)} names no sink image (key "support.sink"): run bash tests/e2e/images/build.sh` };
    overrides = flags["real-images"] ? realImageOverrides() : nestOverrides(images);
    if (flags.overrides) overrides = mergeDeep(overrides, JSON.parse(fs.readFileSync(flags.overrides, "utf8"))) as Record<string, unknown>;
    return { ok: true, detail: `${Object.keys(images).length} images${flags["real-images"] ? " (real images from Pulumi.staging.yaml; the sink from images.json)" : ""}: ${Object.entries(images).map(([k, v]) => `${k}=${v.split("@")[0]}`).join(", ")}` };
  });
  if (failed) return finish(started, startedDockerd);

  await step("engine", async () => {
    const result = await run("bash", [path.join(__dirname, "engine/build.sh")]);
    if (result.code !== 0) return { ok: false, detail: `tests/e2e/engine/build.sh exited ${result.code}:\n${result.stderr.slice(-3000)}` };
    // The toolchain this build made (another checkout may move `current` meanwhile).
    const built = /^engine: (.+)$/m.exec(result.stdout)?.[1];
    const loaded = built ? loadToolchain(undefined, built.trim()) : { missing: "tests/e2e/engine/build.sh did not name the toolchain it built (its last line, engine: <dir>)" };
    if ("missing" in loaded) return { ok: false, detail: loaded.missing };
    toolchain = loaded;
    cli = e2eCli(toolchain, log);
    const version = kept(await cli.run(["version"], { quiet: true }));
    return { ok: version.code === 0, detail: `pulumi ${version.stdout.trim()}; ${Object.entries(toolchain.versions).map(([k, v]) => `${k} ${v}`).join("; ")}` };
  });
  report.versions = await versions();
  if (failed) return finish(started, startedDockerd);

  const resuming = flags["from-checks"] || flags["from-drift"];
  if (!resuming) {
    // A stack left by an interrupted run would make the first preview lie, and its networks or
    // containers (from a run in another clone, whose backend is not here) would fail the first
    // up on their names: start from nothing. The e2e-* names are the e2e's own on its engine.
    const onTheHost = await leftovers();
    const hadBackend = fs.existsSync(BACKEND_DIR);
    if (hadBackend || onTheHost.length) {
      await step("leftover stack", async () => {
        const removed = await removeStack();
        const from = hadBackend ? "a stack from an earlier run" : `what an earlier run left on the engine without a stack here (${onTheHost.length} e2e-* objects)`;
        return { ok: true, detail: `${from} was removed first: ${removed.join(", ") || "nothing on the host"}` };
      });
    }
    await step("stack", async () => {
      const login = kept(await cli.login());
      if (login.code !== 0) return { ok: false, detail: `pulumi login failed: ${login.stderr.trim()}` };
      writeStackFile(overrides);
      const init = kept(await cli.stackInit());
      if (init.code !== 0) return { ok: false, detail: `pulumi stack init failed: ${init.stderr.trim()}` };
      const secrets = generatedConfigSecrets();
      for (const [key, value] of Object.entries(secrets)) {
        const set = kept(await cli.configSet(`enrichment:${key}`, value, { secret: true }));
        if (set.code !== 0) return { ok: false, detail: `pulumi config set --secret enrichment:${key} failed: ${set.stderr.trim()}` };
      }
      return { ok: true, detail: `logged in to file://${path.relative(REPO, BACKEND_DIR)}; stack ${E2E_STACK} (passphrase secrets provider) with ${path.relative(REPO, STACK_FILE)}; ${Object.keys(secrets).length} secrets set with --secret (${Object.keys(secrets).join(", ")})` };
    });
    if (failed) return teardown(started, startedDockerd);
    await step("policy pack", () => policyPack());
    // Only a failed deploy stops the scenario; every other step's failure is reported and it goes on.
    if (!(await firstDeploy())) return teardown(started, startedDockerd);
  }
  return scenario(started, startedDockerd, sinkImage);
}

/**
 * Issue 18, item 5: the policy pack in a real preview, through its executable launcher
 * (policy/pulumi-analyzer-policy-pack; docs/policy.md). With the e2e stack's own environment
 * (staging) it passes; with production's rules the engine refuses the preview on mandatory
 * violations. CLI 3.276 no longer hands the pack the stack's config: ENRICHMENT_POLICY_ENVIRONMENT names it.
 */
async function policyPack(): Promise<StepResult> {
  const runWith = async (environment: string) => {
    const eventLog = path.join(E2E_DIR, `events-policy-${environment}.jsonl`);
    fs.rmSync(eventLog, { force: true });
    const env = { ...process.env, ENRICHMENT_POLICY_ENVIRONMENT: environment };
    const result = kept(await new PulumiCli({ ...cli.options, env }).preview({ quiet: true, extra: ["--policy-pack", path.join(REPO, "policy/pulumi-analyzer-policy-pack"), "--event-log", eventLog] }));
    const events = readEvents(eventLog);
    const mandatory = [...new Set(events.policyViolations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy))];
    const applied = new RegExp(`applying ${environment} rules`).test(result.stdout + result.stderr);
    return { result, events, mandatory, applied };
  };
  const staging = await runWith("staging");
  const production = await runWith("production");
  const passed = staging.result.code === 0 && staging.applied && staging.events.policyViolations.length === 0 && staging.events.policyStackSummaries.length === 1;
  const refused = production.result.code !== 0 && production.applied && production.mandatory.includes("capacity-workers") && production.mandatory.includes("capacity-metrics-retention");
  return {
    ok: passed && refused,
    detail:
      `\`pulumi preview --policy-pack policy/pulumi-analyzer-policy-pack\` with the stack's staging rules exited ${staging.result.code}, ${staging.applied ? "the pack applied staging rules" : "the pack did NOT say it applied staging rules"}, ${staging.events.policyViolations.length} violations${staging.events.policyViolations.length ? ` (${staging.events.policyViolations.map((v) => `${v.enforcementLevel} ${v.policy}`).join(", ")})` : ""}, stack policies passed: ${staging.events.policyStackSummaries[0]?.passed.length ?? 0}; ` +
      `with production's rules exited ${production.result.code}, mandatory violations: ${production.mandatory.join(", ") || "none"}`,
  };
}

async function firstDeploy(): Promise<boolean> {
  const preview = await step("preview", async () => {
    const { result } = await engineOp("preview-1", "preview", { json: true });
    fs.writeFileSync(path.join(E2E_DIR, "preview-1.json"), result.stdout);
    const preview = parsePreview(result.stdout);
    if (result.code !== 0 || !preview) return { ok: false, detail: `pulumi preview failed (exit ${result.code}):\n${(preview?.diagnostics ?? []).map((d) => d.message).join("\n") || result.stderr.slice(-3000)}` };
    const creates = preview.changeSummary?.create ?? 0;
    return { ok: creates > 0 && changedSteps(preview).every((s) => s.op === "create"), detail: `${creates} to create: ${JSON.stringify(preview.changeSummary)}` };
  });

  const up = await step("up", async () => {
    const { result, events } = await engineOp("up-1", "up");
    for (const s of events.steps.filter((x) => x.type === CONTAINER_TYPE && x.op === "create")) {
      report.containers.push({ name: `${PREFIX}-${s.name}`, healthy: !s.failed && s.seconds !== undefined, secondsToHealthy: s.seconds ?? null });
    }
    if (result.code !== 0) return { ok: false, detail: `pulumi up failed:\n${describeErrors(events, result)}` };
    const unhealthy = await unhealthyContainers();
    if (unhealthy.length) return { ok: false, detail: `not healthy after up: ${unhealthy.join("\n")}` };
    return { ok: true, detail: `${events.changes.filter((s) => s.op === "create").length} resources created in ${result.seconds.toFixed(0)} s; ${report.containers.length} containers healthy` };
  });
  return preview.ok && up.ok;
}

async function scenario(started: number, startedDockerd: number | undefined, sinkImage: string): Promise<number> {
  let ctx: E2EContext | undefined;
  await step("context", async () => {
    ctx = await buildContext(cli, (message) => log(`   ${message}`));
    return { ok: !!ctx.caCertPem, detail: `stack outputs and state read back with the CLI: ${Object.keys(ctx.secrets).length} secrets, CA ${ctx.caCertPem ? "present" : "MISSING"}` };
  });
  if (!ctx) return teardown(started, startedDockerd);
  if (!flags["from-drift"]) await checksAndScale(ctx, sinkImage);
  await step("secrets in state", () => secretsInState(ctx!));
  if (flags.keep) {
    log(`\n--keep: the stack stays up; remove it with \`npm run e2e -- --reuse-images --from-drift\`, or by hand: PULUMI_HOME=${toolchain.pulumiHome} PULUMI_BACKEND_URL=file://${BACKEND_DIR} pulumi state unprotect --all --yes --stack e2e && pulumi destroy --yes --stack e2e --config-file ${STACK_FILE}`);
    return finish(started, startedDockerd);
  }
  await drift(ctx);
  return teardown(started, startedDockerd, ctx);
}

async function checksAndScale(ctx: E2EContext, sinkImage: string): Promise<void> {
  await step("sink", async () => {
    await startSink(sinkImage, `${PREFIX}-egress`);
    return { ok: true, detail: `${SINK.container} on ${PREFIX}-egress, published on 127.0.0.1:${SINK.hostPort}` };
  });

  for (const check of await loadChecks()) {
    const limit = check.timeoutMs ?? 5 * 60_000;
    await step(check.step ?? `check ${check.name}`, async () => {
      return Promise.race([
        check.check(ctx),
        new Promise<StepResult>((resolve) => setTimeout(() => resolve({ ok: false, detail: `timed out after ${limit / 60_000} minutes` }), limit).unref()),
      ]);
    });
  }

  await step("second preview", async () => {
    const { result } = await engineOp("preview-2", "preview", { json: true, expectNoChanges: true });
    fs.writeFileSync(path.join(E2E_DIR, "preview-2.json"), result.stdout);
    const preview = parsePreview(result.stdout) ?? {};
    const changes = new Set(changedSteps(preview).map((s) => s.urn)).size;
    report.secondPreview = { changes };
    if (changes === 0 && result.code === 0 && flags["record-fixtures"]) fs.writeFileSync(path.join(FIXTURES, "e2e-no-drift.json"), result.stdout);
    return { ok: changes === 0 && result.code === 0, detail: changes === 0 ? (result.code === 0 ? "zero changes (pulumi preview --expect-no-changes exited 0)" : `exit ${result.code}: ${result.stderr.slice(-2000)}`) : `${changes} resources would change (a perpetual diff): ${describePreview(preview)}` };
  });

  // Issue 22: the web-ingestion plane on a real engine with a real PostgreSQL (migrations once and
  // again as a no-op, pg_dump restored into the scratch database, metrics scraped, the seed's
  // rollback, the plane off and on). Each `pulumi up` leaves the stack's settings as they were.
  const ingestionCtx = ingestionContext(ctx);
  for (const scenario of INGESTION_STEPS) await step(scenario.name, () => scenario.run(ingestionCtx));

  // The hand-made index exists before the next up; the reconciler must leave it alone (and on destroy).
  await step("index by hand", async () => {
    await withMongo(rootUri(ctx), (client) => client.db(ctx.settings.mongodb.database).collection(HAND_INDEX.collection).createIndex(HAND_INDEX.keys, { name: HAND_INDEX.name }));
    return { ok: true, detail: `${HAND_INDEX.collection}.${HAND_INDEX.name} created with the root user` };
  });

  await step("scale preview", async () => {
    const set = kept(await cli.configSet(SCALE.key, SCALE.value, { path: true }));
    if (set.code !== 0) return { ok: false, detail: `pulumi config set --path ${SCALE.key} ${SCALE.value} failed: ${set.stderr.trim()}` };
    const { result } = await engineOp("preview-scale", "preview", { json: true });
    fs.writeFileSync(path.join(E2E_DIR, "preview-scale.json"), result.stdout);
    const preview = parsePreview(result.stdout);
    if (!preview) return { ok: false, detail: `pulumi preview failed (exit ${result.code}): ${result.stderr.slice(-3000)}` };
    const creates = changedSteps(preview).filter((s) => s.op === "create");
    const createdContainers = creates.filter((s) => s.urn.split("::")[2]!.endsWith(CONTAINER_TYPE)).map((s) => nameOfUrn(s.urn));
    const created = createdContainers.map((n) => `${PREFIX}-${n}`);
    // The new worker's own component (and image handle) are part of creating it; anything else is another change.
    const others = changedSteps(preview).filter((s) => !(s.op === "create" && (createdContainers.includes(nameOfUrn(s.urn)) || !s.urn.includes("docker:"))));
    const otherUrns = new Set(others.map((s) => s.urn));
    report.scaleUp = { created, otherChanges: otherUrns.size };
    const ok = created.length === 1 && created[0] === `${PREFIX}-enrichment-worker-2` && otherUrns.size === 0;
    return { ok, detail: `\`pulumi config set --path ${SCALE.key} ${SCALE.value}\`; the preview creates ${created.join(", ") || "no container"}; ${otherUrns.size} other changes${otherUrns.size ? `: ${describePreview({ steps: others })}` : ""}` };
  });

  await step("scale up", async () => {
    const { result, events } = await engineOp("up-scale", "up");
    if (result.code !== 0) return { ok: false, detail: describeErrors(events, result) };
    const worker = await docker.getContainer(`${PREFIX}-enrichment-worker-2`).inspect().catch(() => undefined);
    return { ok: worker?.State.Health?.Status === "healthy", detail: `${describeSteps(events.changes)}; ${PREFIX}-enrichment-worker-2 ${worker?.State.Health?.Status ?? "missing"}` };
  });

  await step("release change", () => releaseChange());

  // Issue 23: `npm run rollout` on this stack (a bad candidate aborted, a good one to 100 %, a killed
  // run resumed), in the order ROLLOUT_STEPS gives; they leave 4 workers on the last candidate.
  const rollout = rolloutContext(ctx, cli);
  for (const scenario of ROLLOUT_STEPS) await step(scenario.name, () => scenario.run(rollout));
}

/** The ingestion steps' view of the stack: the real CLI's `config set --path` and `up` (with an event log each). */
function ingestionContext(ctx: E2EContext): IngestionStepContext {
  let ups = 0;
  return {
    docker,
    prefix: PREFIX,
    settings: ctx.settings,
    log: (message) => log(`   ${message}`),
    pulumi: {
      async configSet(key, value) {
        const set = kept(await cli.configSet(key, String(value), { path: true }));
        if (set.code !== 0) throw new Error(`pulumi config set --path ${key} ${String(value)} failed: ${set.stderr.trim()}`);
      },
      async up() {
        const { result, events } = await engineOp(`up-ingestion-${++ups}`, "up");
        log(`   pulumi up: ${describeSteps(events.changes) || "no changes"}`);
        return { code: result.code, stdout: result.stdout, stderr: result.code === 0 ? result.stderr : describeErrors(events, result) };
      },
      async preview() {
        const { result } = await engineOp(`preview-ingestion-${ups}`, "preview", { json: true });
        return { code: result.code, stdout: result.stdout, stderr: result.stderr };
      },
    },
  };
}

/**
 * release.version e2e-1 -> e2e-2: the pre-release snapshot runs again and its verified archive is
 * on the backup volume before the first release container is created anew; only the snapshot
 * and the containers that carry the release change (the database, the queue and monitoring keep
 * running); every release container runs e2e-2 and is healthy.
 */
async function releaseChange(): Promise<StepResult> {
  const RELEASE_LABEL = `${LABEL_PREFIX}.release`;
  const before = new Map((await docker.listContainers({ all: true })).map((c) => [c.Names[0]!.replace(/^\//, ""), c.Id]));
  const set = kept(await cli.configSet(RELEASE.key, RELEASE.version, { path: true }));
  if (set.code !== 0) return { ok: false, detail: `pulumi config set --path ${RELEASE.key} failed: ${set.stderr.trim()}` };
  const { result, events } = await engineOp("up-release", "up");
  if (result.code !== 0) return { ok: false, detail: describeErrors(events, result) };
  const snapshotRan = events.changes.some((s) => s.name === "pre-release-snapshot" && ["replace", "create", "create-replacement", "update"].includes(s.op));

  const containers = await docker.listContainers({ all: true, filters: { label: [`${RELEASE_LABEL}`] } });
  const ours = containers.filter((c) => c.Names[0]!.startsWith(`/${PREFIX}-`));
  const stale = ours.filter((c) => c.Labels[RELEASE_LABEL] !== RELEASE.version).map((c) => c.Names[0]!.slice(1));
  const unhealthy: string[] = [];
  let firstCreated = Infinity;
  for (const c of ours) {
    const info = await docker.getContainer(c.Id).inspect();
    if (info.State.Health?.Status !== "healthy") unhealthy.push(`${c.Names[0]!.slice(1)} ${info.State.Health?.Status ?? info.State.Status}`);
    firstCreated = Math.min(firstCreated, Date.parse(info.Created) / 1000);
  }
  // Replaced without carrying the release: a release must not restart what holds the data.
  const releaseNames = new Set(ours.map((c) => c.Names[0]!.slice(1)));
  const restarted: string[] = [];
  for (const [name, id] of before) {
    if (!name.startsWith(`${PREFIX}-`) || releaseNames.has(name)) continue;
    const now = await docker.getContainer(name).inspect().then((i) => i.Id, () => "gone");
    if (now !== id) restarted.push(name);
  }

  // The snapshot's archive, named after the release, and when it was written.
  const backup = `${PREFIX}-${BACKUP_SERVICE}`;
  const label = releaseLabel(RELEASE.version);
  const listed = await exec(docker, backup, ["/bin/sh", "-c", `cd ${BACKUP_PATHS.dumpArchives} && for f in pre-release-${label}-*.archive.gz; do [ -f "$f" ] && echo "$f $(stat -c %Y "$f")"; done; ls`]);
  const [archive, writtenAt] = (listed.stdout.trim().split("\n").find((line) => line.startsWith(`pre-release-${label}-`) && line.includes(" ")) ?? "").split(" ");
  const written = Number(writtenAt);
  const problems = [
    ...(snapshotRan ? [] : ["the pre-release snapshot did not run again"]),
    ...(archive && Number.isFinite(written) ? [] : [`no pre-release-${label}-*.archive.gz on the backup volume (it holds: ${listed.stdout.trim().split("\n").join(" ") || "nothing"}${listed.stderr.trim() ? `; ${listed.stderr.trim()}` : ""})`]),
    ...(Number.isFinite(written) && written <= firstCreated ? [] : [`a release container was created at ${firstCreated}, before the snapshot's archive was written (${written})`]),
    ...(stale.length ? [`still on the old release: ${stale.join(", ")}`] : []),
    ...(unhealthy.length ? [`not healthy: ${unhealthy.join(", ")}`] : []),
    ...(restarted.length ? [`replaced though they carry no release: ${restarted.join(", ")}`] : []),
  ];
  const summary = `\`pulumi config set --path ${RELEASE.key} ${RELEASE.version}\`, up: ${events.changes.length} steps (${events.changes.filter((s) => s.type === CONTAINER_TYPE).length} on containers); ${archive ?? "no archive"} written at ${written}, first release container created at ${firstCreated}; ${ours.length} release containers on ${RELEASE.version}`;
  return { ok: problems.length === 0, detail: problems.length ? `${problems.join("; ")} (${summary})` : summary };
}

/**
 * Issue 18, item 4: no plaintext secret in the backend's files (the state, its history and backups),
 * the stack file, the event logs, or anything the CLI printed in this run.
 */
async function secretsInState(ctx: E2EContext): Promise<StepResult> {
  const resources = await stackResources(cli);
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.secrets)) if (value) values[`config or generated secret ${name}`] = value;
  for (const r of resources) {
    if (r.type === "tls:index/privateKey:PrivateKey") {
      for (const key of ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"]) {
        const pem = r.outputs?.[key];
        if (typeof pem === "string" && pem) values[`${nameOfUrn(r.urn)}.${key}`] = pem;
      }
    }
  }
  const files = [BACKEND_DIR, STACK_FILE, ...fs.readdirSync(E2E_DIR).filter((f) => f.startsWith("events-") || f.startsWith("preview-")).map((f) => path.join(E2E_DIR, f))];
  const found = scanForSecrets(values, files, cliOutput);
  const keys = Object.keys(values).filter((k) => k.includes(".privateKey")).length;
  return {
    ok: found.length === 0 && keys > 0 && Object.keys(values).length > keys,
    detail: found.length
      ? `plaintext secrets found: ${found.map((f) => `${f.secret} in ${f.where}`).join("; ")}`
      : `${Object.keys(values).length} secret values (${keys} private keys, ${Object.keys(values).length - keys} passwords and config secrets) looked for in ${files.length} paths (the backend under ${path.relative(REPO, BACKEND_DIR)}, the stack file, event logs, previews) and ${cliOutput.length} captured CLI streams: none in plain text`,
  };
}

async function drift(ctx: E2EContext): Promise<void> {
  await step("drift", async () => {
    await removeContainer(`${PREFIX}-${DRIFT.container}`);
    await withMongo(rootUri(ctx), async (client) => {
      const collection = client.db(ctx.settings.mongodb.database).collection(DRIFT.collection);
      await collection.dropIndex(DRIFT.index);
      // Altered, not only dropped: the same name over other keys.
      await collection.createIndex({ timestamp: -1 }, { name: DRIFT.index });
    });
    const { result } = await engineOp("preview-drift", "preview", { json: true, refresh: true, expectNoChanges: true });
    fs.writeFileSync(path.join(E2E_DIR, "preview-drift.json"), result.stdout);
    const drift = await run(process.execPath, [...TSX_LOADER, path.join(REPO, "scripts/drift-report.ts"), "-"], { stdin: result.stdout });
    const named = [DRIFT.container, DRIFT.indexResource].filter((n) => drift.stdout.includes(n));
    report.drift = { exitCode: drift.code, named };
    const ok = drift.code === 1 && named.length === 2;
    if (ok && flags["record-fixtures"]) fs.writeFileSync(path.join(FIXTURES, "e2e-drift-container-and-index.json"), result.stdout);
    return { ok, detail: `pulumi preview --refresh --expect-no-changes --json exited ${result.code}; drift-report exited ${drift.code}, named ${named.join(" and ") || "neither"}:\n${drift.stdout.trim()}` };
  });
}

/** Removes a stack left in the backend: unprotects, destroys, removes the stack, then anything named e2e-* by hand. */
async function removeStack(): Promise<string[]> {
  const loggedIn = kept(await cli.login());
  if (loggedIn.code === 0) {
    const exists = kept(await cli.run(["stack", "ls", "--json"], { quiet: true }));
    if (exists.code === 0 && (JSON.parse(exists.stdout || "[]") as { name: string }[]).some((s) => s.name === E2E_STACK)) {
      kept(await cli.run(["state", "unprotect", "--all", "--yes", "--stack", E2E_STACK], { quiet: true }));
      if (fs.existsSync(STACK_FILE)) kept(await cli.destroy({ quiet: true }));
      kept(await cli.stackRemove());
    }
  }
  await removeContainer(SINK.container);
  await removeContainer(MINIO_CONTAINER);
  const removed = await removeLeftovers(true);
  fs.rmSync(BACKEND_DIR, { recursive: true, force: true });
  return removed;
}

/** Removes the stack's leftovers by hand: anything with the prefix (and, with includeVolumes, its volumes). */
async function removeLeftovers(includeVolumes: boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const c of await docker.listContainers({ all: true })) {
    const name = c.Names[0]!.replace(/^\//, "");
    // The backup step's MinIO sits on the stack's private network (restore removes it; an interrupted run may not have).
    if (name.startsWith(`${PREFIX}-`) || name === MINIO_CONTAINER) {
      await removeContainer(c.Id);
      removed.push(`container ${name}`);
    }
  }
  for (const n of await docker.listNetworks()) {
    if (n.Name.startsWith(`${PREFIX}-`)) {
      await docker.getNetwork(n.Id).remove().catch(() => undefined);
      removed.push(`network ${n.Name}`);
    }
  }
  if (includeVolumes) {
    for (const v of (await docker.listVolumes()).Volumes ?? []) {
      if (v.Name.startsWith(`${PREFIX}-`)) {
        await docker.getVolume(v.Name).remove().catch(() => undefined);
        removed.push(`volume ${v.Name}`);
      }
    }
  }
  return removed;
}

interface ContainerInputs {
  image: string;
  command?: string[];
  entrypoints?: string[];
  envs?: string[];
  user?: string;
  groupAdds?: string[];
  hostname?: string;
  volumes?: { volumeName?: string; containerPath: string }[];
  uploads?: ProviderUpload[];
  ports?: { internal: number; external: number; ip?: string }[];
}

async function teardown(started: number, startedDockerd: number | undefined, ctx?: E2EContext): Promise<number> {
  await removeContainer(SINK.container);
  // Normally gone after the restore step; left attached, it would keep the private network from being deleted.
  await removeContainer(MINIO_CONTAINER);
  if (!cli) return finish(started, startedDockerd);
  const before = await stackResources(cli).catch(() => []);
  const mongo = before.find((r) => r.type === CONTAINER_TYPE && nameOfUrn(r.urn) === "mongodb");
  const protectedVolumes = before.filter((r) => r.protect && r.type === "docker:index/volume:Volume").map((r) => `volume ${String(r.inputs?.name)}`);

  await step("destroy", async () => {
    // The engine deletes everything it may, then refuses each protected resource by name.
    const refused = await engineOp("destroy-refused", "destroy", { quiet: true });
    const refusedUrns = new Set(refused.events.errors.filter((e) => e.urn && /cannot be deleted\s+because it is protected/.test(e.message)).map((e) => e.urn!));
    const protectedVolumeUrns = before.filter((r) => r.protect && r.type === "docker:index/volume:Volume").map((r) => r.urn);
    const notRefused = protectedVolumeUrns.filter((u) => !refusedUrns.has(u)).map(nameOfUrn);
    const left = await leftovers();
    report.destroy = { left };
    // Then `--exclude-protected` has nothing left to do and succeeds.
    const excluded = await engineOp("destroy", "destroy", { quiet: true, extra: ["--exclude-protected"] });
    const unexpected = left.filter((l) => !protectedVolumes.includes(l));
    const lost = protectedVolumes.filter((v) => !left.includes(v));
    const ok = refused.result.code !== 0 && protectedVolumeUrns.length > 0 && notRefused.length === 0 && lost.length === 0 && unexpected.length === 0 && excluded.result.code === 0 && (await leftovers()).length === left.length;
    return {
      ok,
      detail:
        `\`pulumi destroy\` exited ${refused.result.code}, deleted ${refused.events.changes.filter((s) => s.op === "delete").length} and refused ${refusedUrns.size} protected resources (${[...refusedUrns].map(nameOfUrn).join(", ")})` +
        `${notRefused.length ? `; protected volumes NOT named as refused: ${notRefused.join(", ")}` : ""}; left on the host: ${left.join(", ") || "nothing"}` +
        `${unexpected.length ? `; NOT expected: ${unexpected.join(", ")}` : ""}${lost.length ? `; protected but GONE: ${lost.join(", ")}` : ""}` +
        `; \`pulumi destroy --exclude-protected\` then exited ${excluded.result.code}${excluded.result.code !== 0 ? `: ${describeErrors(excluded.events, excluded.result)}` : ` (${(excluded.result.stdout.match(/There were no unprotected[^\n]*/) ?? ["nothing to say"])[0]})`}`,
    };
  });

  if (ctx && mongo?.inputs) {
    await step("index by hand survives", async () => {
      // MongoDB again on the retained data volume, off every network of the stack, created from the
      // state's inputs and given its files as the provider gives them.
      const inputs = mongo.inputs as unknown as ContainerInputs;
      const name = `${PREFIX}-verify-mongodb`;
      await removeContainer(name);
      const port = inputs.ports?.find((p) => p.internal === 27017);
      const container = await docker.createContainer({
        name,
        Image: inputs.image,
        Cmd: inputs.command,
        Entrypoint: inputs.entrypoints,
        Env: inputs.envs,
        Hostname: inputs.hostname,
        User: inputs.user,
        ExposedPorts: { "27017/tcp": {} },
        HostConfig: {
          Binds: (inputs.volumes ?? []).filter((v) => v.volumeName).map((v) => `${v.volumeName}:${v.containerPath}`),
          GroupAdd: inputs.groupAdds,
          PortBindings: { "27017/tcp": [{ HostIp: port?.ip ?? "127.0.0.1", HostPort: String(port?.external ?? mongoPort(ctx.settings)) }] },
        },
      });
      try {
        const secretsByPath = new Map<string, string>();
        for (const r of await stackResourcesBefore(before)) secretsByPath.set(r.path, r.value);
        putUploadsAsProvider(name, inputs.uploads ?? [], (u) => secretsByPath.get(u.file) ?? u.content ?? "");
        await container.start();
        const names = await withMongo(rootUri(ctx), async (client) => (await client.db(ctx.settings.mongodb.database).collection(HAND_INDEX.collection).listIndexes().toArray()).map((i) => String(i.name)));
        const survived = names.includes(HAND_INDEX.name);
        const reconcilerLeft = names.filter((n) => n !== "_id_" && n !== HAND_INDEX.name);
        return { ok: survived && reconcilerLeft.length === 0, detail: `${HAND_INDEX.collection} holds ${names.join(", ")}: the hand-made ${HAND_INDEX.name} ${survived ? "survived" : "is GONE"}${reconcilerLeft.length ? `; the reconciler's indexes were not dropped: ${reconcilerLeft.join(", ")}` : "; the reconciler dropped its own"}` };
      } finally {
        await removeContainer(name);
      }
    });
  }

  await step("clean up", async () => {
    const removed = await removeStack();
    const left = await leftovers();
    return { ok: left.length === 0, detail: `state unprotected, destroyed and the stack removed; removed by hand: ${removed.join(", ") || "nothing"}${left.length ? `; STILL THERE: ${left.join(", ")}` : ""} (pulled images stay: keepLocally, and they are the next run's cache)` };
  });
  return finish(started, startedDockerd);
}

/** The uploads' secret contents by path, from the state as exported before the destroy (`--show-secrets`). */
async function stackResourcesBefore(resources: Awaited<ReturnType<typeof stackResources>>): Promise<{ path: string; value: string }[]> {
  const mongo = resources.find((r) => r.type === CONTAINER_TYPE && nameOfUrn(r.urn) === "mongodb");
  return ((mongo?.inputs?.uploads ?? []) as { file: string; content?: string }[]).filter((u) => typeof u.content === "string").map((u) => ({ path: u.file, value: u.content! }));
}

async function finish(started: number, startedDockerd: number | undefined): Promise<number> {
  if (startedDockerd) {
    // Only the daemon this run started.
    try {
      process.kill(startedDockerd, "SIGTERM");
      log(`stopped dockerd (pid ${startedDockerd}), which this run started`);
    } catch {
      // already gone
    }
  }
  writeReport(path.join(E2E_DIR, "report.json"), report);
  log(`\n.e2e/report.json written (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  for (const line of summaryLines(report)) log(line);
  return failed ? 1 : 0;
}

/** Runs the e2e with the parsed flags and exits with its code. */
export function runSingleHost(parsed: E2EFlags): void {
  flags = parsed;
  // A promise nothing can settle any more empties the event loop and Node would exit 0 in silence:
  // say where it stopped, and fail.
  process.on("beforeExit", () => {
    const last = report.steps[report.steps.length - 1]?.name ?? "(none)";
    process.stderr.write(`e2e: stopped after step "${last}" with work pending (a promise that never settled); failing\n`);
    report.steps.push({ name: "run", ok: false, seconds: 0, detail: `stopped after step "${last}" with work pending` });
    writeReport(path.join(E2E_DIR, "report.json"), report);
    for (const line of summaryLines(report)) log(line);
    process.exit(1);
  });

  // Stopped from outside (CI's time budget, ^C): say which step was running and what it ran.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      const running = currentStep ? `"${currentStep.name}" (running for ${((Date.now() - currentStep.started) / 1000).toFixed(0)} s)` : "none";
      process.stderr.write(`e2e: ${signal} during step ${running}; the e2e's processes:\n${describeTree(process.pid)}\n`);
      if (currentStep) report.steps.push({ name: currentStep.name, ok: false, seconds: (Date.now() - currentStep.started) / 1000, detail: `stopped by ${signal} while running` });
      writeReport(path.join(E2E_DIR, "report.json"), report);
      for (const line of summaryLines(report)) log(line);
      process.exit(1);
    });
  }

  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`e2e: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
