// `npm run e2e`: deploys the e2e stack onto the local Docker engine, exercises it, tears it down
// and writes `.e2e/report.json` (docs/e2e.md). Each step is timed; a failed step prints the logs
// that explain it; the run exits non-zero when any step or check failed.
//
//   npm run e2e                  images from tests/e2e/images/build.sh (stand-ins + Debian/Go builds)
//   npm run e2e -- --real-images the shipped staging stack's pinned images, `gpus` as it configures
//   npm run e2e -- --keep        leave the stack running after the checks (no drift/destroy steps)
//   npm run e2e -- --reuse-images  the images of the last build.sh run (.e2e/images.json), no build
//   npm run e2e -- --overrides f.json  stack values merged last (e.g. one locally built image to try)
//   npm run e2e -- --reuse-images --from-checks  on a stack left by --keep: from the sink and checks on
//   npm run e2e -- --reuse-images --from-drift   on a stack left by --keep (scaled to 2): drift and destroy
//   npm run e2e -- --record-fixtures  also save the real previews as tests/fixtures/preview/e2e-*.json
//
// The engine is the fallback runner (tests/e2e/runner): the Pulumi provider plugins cannot be
// built from published Go modules here (docs/e2e.md says which module and why).
import Docker from "dockerode";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { MongoClient } from "mongodb";
import { readStackFile } from "../../config/stackFile";
import { EXIT, EXIT_TABLE, parseOptions, UsageError } from "../../release/cli";
import { SECRET_KEYS, SettingsSchema } from "../../config/schema";
import type { E2ECheck, E2EContext, StepResult } from "./context";
import { emptyReport, summaryLines, writeReport, type E2EReport } from "./report";
import { CACHE_DIR, DEFAULT_CONFIG, DEFAULT_STATE, E2E_STACK, nestOverrides, SECRETS_FILE, SINK, stackSecrets, type RunReport } from "./runner/cli";
import { containerLogs, createContainer, deleteContainer, pullImage, type Props } from "./runner/docker";
import { StateStore } from "./runner/state";
import { MINIO_CONTAINER } from "./backup/check";
import { BACKUP_PATHS, BACKUP_SERVICE } from "../../facts/backupPaths";
import { LABEL_PREFIX } from "../../facts/services";
import { releaseLabel } from "../../release/restore";
import { exec } from "./checks/support/docker";

const REPO = path.resolve(__dirname, "../..");
const E2E_DIR = path.join(REPO, ".e2e");
const TSX = path.join(REPO, "node_modules/.bin/tsx");
const CLI = path.join(__dirname, "runner/cli.ts");
const IMAGES_JSON = path.join(E2E_DIR, "images.json");
/** Images the e2e uses beside the stack (the alert sink), written by build.sh. */
const SUPPORT_JSON = path.join(E2E_DIR, "support-images.json");
const FIXTURES = path.join(REPO, "tests/fixtures/preview");
const PREFIX = E2E_STACK;
/** The drift the e2e makes by hand: one container removed, one index altered. */
const DRIFT = { container: "nsqadmin", collection: "cost_records", index: "timestamp_1", indexResource: "mongodb-indexes-cost_records" };
/** An index made by hand before an `up`: the reconciler must never drop it. */
const HAND_INDEX = { collection: "review_queue", name: "e2e_by_hand_1", keys: { e2e_by_hand: 1 } };
const SCALE = 'workers={"replicas":2}';
/** A new release (issue 12, item 3): its snapshot must be dumped and verified before any release container is replaced. */
const RELEASE = { version: "e2e-2", set: 'release={"version":"e2e-2"}' };

const E2E_USAGE = `Usage: npm run e2e -- [options]

Deploys tests/e2e/Pulumi.e2e.yaml onto the local Docker engine, exercises, scales, drifts and
destroys it, and writes .e2e/report.json (docs/e2e.md).

Options:
  --real-images        the shipped staging stack's pinned images and GPU settings (a workstation that can pull)
  --reuse-images       the images of the last build.sh run (.e2e/images.json), no build
  --keep               leave the stack running after the checks (no drift and destroy steps)
  --from-checks        with --reuse-images, on a stack left by --keep: from the sink and checks on
  --from-drift         with --reuse-images, on a stack left by --keep (scaled to 2): drift and destroy
  --overrides <file>   stack values merged last (JSON)
  --record-fixtures    also save the real previews as tests/fixtures/preview/e2e-*.json
  -h, --help           show this help

${EXIT_TABLE}
  (e2e: 1 a step or check failed)`;

const flags = (() => {
  try {
    return parseOptions(process.argv.slice(2), {
      "real-images": { type: "boolean", default: false },
      "reuse-images": { type: "boolean", default: false },
      "from-checks": { type: "boolean", default: false },
      "from-drift": { type: "boolean", default: false },
      "record-fixtures": { type: "boolean", default: false },
      overrides: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    }).values;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message} (npm run e2e -- --help lists the options)\n`);
    process.exit(EXIT.usage);
  }
})();
if (flags.help) {
  process.stdout.write(`${E2E_USAGE}\n`);
  process.exit(EXIT.ok);
}

const docker = new Docker();
const report: E2EReport = emptyReport("runner");
let failed = false;

const log = (line: string) => process.stdout.write(`${line}\n`);

async function step(name: string, run: () => Promise<StepResult>): Promise<StepResult> {
  log(`\n== ${name}`);
  const started = Date.now();
  let result: StepResult;
  try {
    result = await run();
  } catch (error) {
    result = { ok: false, detail: `threw: ${(error as Error).stack ?? String(error)}` };
  }
  const seconds = (Date.now() - started) / 1000;
  report.steps.push({ name, ok: result.ok, seconds: Number(seconds.toFixed(1)), detail: result.detail });
  log(`${result.ok ? "ok" : "FAILED"} ${name} (${seconds.toFixed(1)} s): ${result.detail}`);
  if (!result.ok) failed = true;
  writeReport(path.join(E2E_DIR, "report.json"), report);
  return result;
}

/** Runs a command, streaming its output with a prefix; resolves with the code and the output. */
function run(command: string, args: string[], options: { stdin?: string; quiet?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...(options.env ?? {}) }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGTERM"), options.timeoutMs) : undefined;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!options.quiet) process.stdout.write(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (!options.quiet) process.stderr.write(d);
    });
    if (options.stdin !== undefined) child.stdin.write(options.stdin);
    child.stdin.end();
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 255, stdout, stderr });
    });
  });
}

interface Digest {
  steps: { op: string; urn: string; diffReasons?: string[]; replaceReasons?: string[] }[];
  changeSummary: Record<string, number>;
}

function overridesArgs(): string[] {
  return [...(fs.existsSync(OVERRIDES) ? ["--overrides", OVERRIDES] : [])];
}

/** tsx tests/e2e/runner/cli.ts <args>; the runner's own report is read back from a file. */
async function runner(name: string, args: string[], options: { quiet?: boolean } = {}): Promise<{ code: number; stdout: string; report: RunReport }> {
  const reportFile = path.join(E2E_DIR, `runner-${name}.json`);
  fs.rmSync(reportFile, { force: true });
  const result = await run(TSX, [CLI, ...args, ...overridesArgs(), "--report", reportFile], { quiet: options.quiet, timeoutMs: 40 * 60_000 });
  const parsed = fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, "utf8")) as RunReport) : { operation: args[0]!, ok: false, steps: [], errors: [{ urn: "", message: `the runner wrote no report (exit ${result.code}): ${result.stderr.slice(-2000)}` }], changes: -1, seconds: 0 };
  return { code: result.code, stdout: result.stdout, report: parsed };
}

const nameOf = (urn: string) => urn.split("::").slice(3).join("::");
const typeOf = (urn: string) => urn.split("::")[2]!.split("$").pop()!;
const changed = (digest: Digest) => digest.steps.filter((s) => !["same", "read", "refresh"].includes(s.op));

function describeErrors(result: RunReport): string {
  return result.errors.map((e) => `${e.urn ? nameOf(e.urn) : "program"}: ${e.message}${e.logs ? `\n${e.logs.split("\n").map((l) => `    | ${l}`).join("\n")}` : ""}`).join("\n");
}

function describeChanges(digest: Digest): string {
  const byUrn = new Map<string, { op: string; reasons: string[] }>();
  for (const s of changed(digest)) {
    const entry = byUrn.get(s.urn) ?? { op: s.op === "create-replacement" || s.op === "delete-replaced" ? "replace" : s.op, reasons: [] };
    for (const r of [...(s.diffReasons ?? []), ...(s.replaceReasons ?? [])]) if (!entry.reasons.includes(r)) entry.reasons.push(r);
    byUrn.set(s.urn, entry);
  }
  return [...byUrn].map(([urn, e]) => `${nameOf(urn)} (${typeOf(urn)}) ${e.op}${e.reasons.length ? ` [${e.reasons.join(", ")}]` : ""}`).join("; ");
}

// ------------------------------------------------------------------------------------------

const OVERRIDES = path.join(E2E_DIR, "overrides.json");

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

function mergeDeep(a: unknown, b: unknown): unknown {
  return a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)
    ? Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, k in (b as object) ? mergeDeep((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]) : (a as Record<string, unknown>)[k]]))
    : b;
}

function settingsFor(overrides: Record<string, unknown>) {
  const file = readStackFile(DEFAULT_CONFIG);
  const merged: Record<string, unknown> = { ...file.raw.values };
  for (const [k, v] of Object.entries(overrides)) merged[k] = mergeDeep(merged[k], v);
  return SettingsSchema.parse(Object.fromEntries(Object.entries(merged).filter(([k]) => !(k in SECRET_KEYS))));
}

function openStore(): StateStore {
  return StateStore.open(DEFAULT_STATE, SECRETS_FILE, E2E_STACK);
}

/** The generated values the checks need, from the runner's state (secrets from its 0600 file). */
function buildContext(overrides: Record<string, unknown>): E2EContext {
  const store = openStore();
  const settings = settingsFor(overrides);
  const resources = Object.values(store.state.resources);
  const secrets: Record<string, string> = { ...stackSecrets(store) };
  for (const r of resources) if (r.type === "random:index/randomPassword:RandomPassword") secrets[r.name] = String(r.outputs.result);
  const ca = resources.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert");
  const published: Record<string, string> = {};
  for (const [service, entry] of Object.entries(settings.exposure.publish)) published[service] = `${entry.address ?? settings.exposure.bindAddress}:${entry.port}`;
  const appPassword = secrets["mongodb-app-password"] ?? "";
  return {
    stack: E2E_STACK,
    prefix: PREFIX,
    settings,
    published,
    caCertPem: String(ca?.outputs.certPem ?? ""),
    secrets,
    mongodbAdminUri: `mongodb://${encodeURIComponent(settings.mongodb.appUser)}:${encodeURIComponent(appPassword)}@${settings.mongodb.adminHost}:${mongoPort(settings)}/${settings.mongodb.database}?authSource=${settings.mongodb.database}&directConnection=true`,
    alertSinkUrl: `http://127.0.0.1:${SINK.hostPort}`,
    docker,
    log: (message) => log(`   ${message}`),
  };
}

/** The loopback port the index reconciler (and the e2e) reaches the managed MongoDB on. */
const mongoPort = (settings: E2EContext["settings"]) => settings.exposure.publish.mongodb?.port ?? 27017;

function rootUri(ctx: E2EContext): string {
  const s = ctx.settings.mongodb;
  return `mongodb://root:${encodeURIComponent(ctx.secrets["mongodb-root-password"] ?? "")}@${s.adminHost}:${mongoPort(ctx.settings)}/?authSource=admin&directConnection=true`;
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

/** Everything on the Docker host that carries the stack's prefix. */
async function leftovers(): Promise<string[]> {
  const containers = (await docker.listContainers({ all: true })).flatMap((c) => c.Names.map((n) => n.replace(/^\//, ""))).filter((n) => n.startsWith(`${PREFIX}-`));
  const networks = (await docker.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith(`${PREFIX}-`));
  const volumes = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).filter((n) => n.startsWith(`${PREFIX}-`));
  return [...containers.map((n) => `container ${n}`), ...networks.map((n) => `network ${n}`), ...volumes.map((n) => `volume ${n}`)];
}

async function startSink(image: string, egressNetwork: string): Promise<void> {
  await deleteContainer(docker, SINK.container);
  const pulled = await pullImage(docker, image);
  const container = await docker.createContainer({
    name: SINK.container,
    Image: String(pulled.imageId),
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
  throw new Error(`the sink did not answer on 127.0.0.1:${SINK.hostPort}/received:\n${await containerLogs(docker, SINK.container)}`);
}

/** The checks in ALL_CHECKS' order (backup before restore; the edge last); every module of the folder must be in it. */
async function loadChecks(): Promise<readonly E2ECheck[]> {
  const dir = path.join(__dirname, "checks");
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => f.replace(/\.ts$/, "")) : [];
  const { ALL_CHECKS } = await import("./checks/support/all");
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
    dockerode: pkg("dockerode"),
    images: flags["real-images"] ? "real (Pulumi.staging.yaml)" : "built (tests/e2e/images/build.sh)",
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
  report.versions = await versions();

  let sinkImage = "";
  await step("images", async () => {
    if (!flags["real-images"] && !flags["reuse-images"]) {
      const result = await run("bash", [path.join(__dirname, "images/build.sh")], { env: { E2E_CACHE: CACHE_DIR } });
      if (result.code !== 0) return { ok: false, detail: `tests/e2e/images/build.sh exited ${result.code}:\n${result.stderr.slice(-3000)}` };
    }
    if (!fs.existsSync(IMAGES_JSON)) return { ok: false, detail: `${path.relative(REPO, IMAGES_JSON)} is missing: run bash tests/e2e/images/build.sh` };
    const images = JSON.parse(fs.readFileSync(IMAGES_JSON, "utf8")) as Record<string, string>;
    const support = fs.existsSync(SUPPORT_JSON) ? (JSON.parse(fs.readFileSync(SUPPORT_JSON, "utf8")) as Record<string, string>) : {};
    sinkImage = support.sink ?? support["support.sink"] ?? "";
    if (!sinkImage) return { ok: false, detail: `${path.relative(REPO, SUPPORT_JSON)} names no sink image (key "support.sink"): run bash tests/e2e/images/build.sh` };
    let overrides = flags["real-images"] ? realImageOverrides() : nestOverrides(images);
    if (flags.overrides) overrides = mergeDeep(overrides, JSON.parse(fs.readFileSync(flags.overrides, "utf8"))) as Record<string, unknown>;
    fs.writeFileSync(OVERRIDES, `${JSON.stringify(overrides, null, 2)}\n`);
    return { ok: true, detail: `${Object.keys(images).length} images${flags["real-images"] ? " (real images from Pulumi.staging.yaml; the sink from images.json)" : ""}: ${Object.entries(images).map(([k, v]) => `${k}=${v.split("@")[0]}`).join(", ")}` };
  });
  if (failed) return finish(started, startedDockerd);
  const overrides = JSON.parse(fs.readFileSync(OVERRIDES, "utf8")) as Record<string, unknown>;

  // A state left by an interrupted run would make the first preview lie: start from nothing.
  if (fs.existsSync(DEFAULT_STATE) && !flags["from-checks"] && !flags["from-drift"]) {
    await step("leftover stack", async () => {
      const result = await runner("cleanup", ["destroy"], { quiet: true });
      await removeLeftovers(true);
      return { ok: true, detail: `a state from an earlier run was destroyed first (${result.report.steps.length} deletes; protected volumes removed by hand)` };
    });
  }

  if (!flags["from-checks"] && !flags["from-drift"]) await firstDeploy();
  if (failed) return teardown(started, startedDockerd);
  return scenario(started, startedDockerd, overrides, sinkImage);
}

async function firstDeploy(): Promise<void> {
  await step("preview", async () => {
    const result = await runner("preview-1", ["preview", "--json"], { quiet: true });
    fs.writeFileSync(path.join(E2E_DIR, "preview-1.json"), result.stdout);
    if (result.code !== 0) return { ok: false, detail: describeErrors(result.report) };
    const digest = JSON.parse(result.stdout) as Digest;
    const creates = digest.changeSummary.create ?? 0;
    return { ok: creates > 0 && changed(digest).every((s) => s.op === "create"), detail: `${creates} to create: ${JSON.stringify(digest.changeSummary)}` };
  });

  await step("up", async () => {
    const result = await runner("up-1", ["up"]);
    for (const s of result.report.steps.filter((x) => x.type === "docker:index/container:Container")) {
      report.containers.push({ name: `${PREFIX}-${s.name}`, healthy: !s.error && s.secondsToHealthy !== undefined, secondsToHealthy: s.secondsToHealthy ?? null });
    }
    if (result.code !== 0) return { ok: false, detail: `up failed:\n${describeErrors(result.report)}` };
    // Every container of the stack healthy, as the Docker engine reports it now.
    const unhealthy: string[] = [];
    for (const c of await docker.listContainers({ all: true, filters: { label: [`org.enrichment.stack=${E2E_STACK}`] } })) {
      const info = await docker.getContainer(c.Id).inspect();
      if (info.State.Health?.Status !== "healthy") unhealthy.push(`${c.Names[0]} ${info.State.Status}/${info.State.Health?.Status ?? "no healthcheck"}\n${await containerLogs(docker, c.Id, 30)}`);
    }
    if (unhealthy.length) return { ok: false, detail: `not healthy after up: ${unhealthy.join("\n")}` };
    return { ok: true, detail: `${result.report.steps.filter((s) => s.op === "create").length} resources created in ${result.report.seconds.toFixed(0)} s; ${report.containers.length} containers healthy` };
  });
}

async function scenario(started: number, startedDockerd: number | undefined, overrides: Record<string, unknown>, sinkImage: string): Promise<number> {
  const ctx = buildContext(overrides);
  if (!flags["from-drift"]) await checksAndScale(ctx, sinkImage);
  if (flags.keep) {
    log("\n--keep: the stack stays up; run `npx tsx tests/e2e/runner/cli.ts destroy` (then remove the protected volumes) to remove it.");
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
    await step(check.step ?? `check ${check.name}`, async () => {
      const result = await Promise.race([
        check.check(ctx),
        new Promise<StepResult>((resolve) => setTimeout(() => resolve({ ok: false, detail: "timed out after 5 minutes" }), 5 * 60_000).unref()),
      ]);
      return result;
    });
  }

  await step("second preview", async () => {
    const result = await runner("preview-2", ["preview", "--json", "--expect-no-changes"], { quiet: true });
    fs.writeFileSync(path.join(E2E_DIR, "preview-2.json"), result.stdout);
    const digest = JSON.parse(result.stdout || '{"steps":[],"changeSummary":{}}') as Digest;
    const changes = new Set(changed(digest).map((s) => s.urn)).size;
    report.secondPreview = { changes };
    if (changes === 0 && result.code === 0 && flags["record-fixtures"]) fs.writeFileSync(path.join(FIXTURES, "e2e-no-drift.json"), result.stdout);
    return { ok: changes === 0 && result.code === 0, detail: changes === 0 ? "zero changes" : `${changes} resources would change (a perpetual diff): ${describeChanges(digest)}` };
  });

  // The hand-made index exists before the next up; the reconciler must leave it alone (and on destroy).
  await step("index by hand", async () => {
    await withMongo(rootUri(ctx), (client) => client.db(ctx.settings.mongodb.database).collection(HAND_INDEX.collection).createIndex(HAND_INDEX.keys, { name: HAND_INDEX.name }));
    return { ok: true, detail: `${HAND_INDEX.collection}.${HAND_INDEX.name} created with the root user` };
  });

  await step("scale preview", async () => {
    const result = await runner("preview-scale", ["preview", "--json", "--set", SCALE], { quiet: true });
    fs.writeFileSync(path.join(E2E_DIR, "preview-scale.json"), result.stdout);
    if (!result.stdout.trim()) return { ok: false, detail: describeErrors(result.report) };
    const digest = JSON.parse(result.stdout) as Digest;
    const creates = changed(digest).filter((s) => s.op === "create");
    const created = creates.filter((s) => typeOf(s.urn) === "docker:index/container:Container").map((s) => `${PREFIX}-${nameOf(s.urn)}`);
    const createdNames = new Set(creates.filter((s) => typeOf(s.urn) === "docker:index/container:Container").map((s) => nameOf(s.urn)));
    // The new worker's own component is part of creating it; anything else is another change.
    const others = changed(digest).filter((s) => !(s.op === "create" && (createdNames.has(nameOf(s.urn)) || !s.urn.includes("docker:"))));
    const otherUrns = new Set(others.map((s) => s.urn));
    report.scaleUp = { created, otherChanges: otherUrns.size };
    const ok = created.length === 1 && created[0] === `${PREFIX}-enrichment-worker-2` && otherUrns.size === 0;
    return { ok, detail: `creates ${created.join(", ") || "no container"}; ${otherUrns.size} other changes${otherUrns.size ? `: ${describeChanges({ ...digest, steps: others })}` : ""}` };
  });

  await step("scale up", async () => {
    const result = await runner("up-scale", ["up", "--set", SCALE]);
    if (result.code !== 0) return { ok: false, detail: describeErrors(result.report) };
    const worker = await docker.getContainer(`${PREFIX}-enrichment-worker-2`).inspect().catch(() => undefined);
    return { ok: worker?.State.Health?.Status === "healthy", detail: `${result.report.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`).join(", ")}; ${PREFIX}-enrichment-worker-2 ${worker?.State.Health?.Status ?? "missing"}` };
  });

  await step("release change", () => releaseChange());
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
  const result = await runner("up-release", ["up", "--set", SCALE, "--set", RELEASE.set]);
  if (result.code !== 0) return { ok: false, detail: describeErrors(result.report) };
  const changes = result.report.steps.filter((s) => s.op !== "same");
  const snapshotRan = changes.some((s) => s.name === "pre-release-snapshot" && (s.op === "replace" || s.op === "create"));

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
  const summary = `${changes.length} changes (${changes.filter((s) => s.type === "docker:index/container:Container").length} containers); ${archive ?? "no archive"} written at ${written}, first release container created at ${firstCreated}; ${ours.length} release containers on ${RELEASE.version}`;
  return { ok: problems.length === 0, detail: problems.length ? `${problems.join("; ")} (${summary})` : summary };
}

async function drift(ctx: E2EContext): Promise<void> {
  await step("drift", async () => {
    await deleteContainer(docker, `${PREFIX}-${DRIFT.container}`);
    await withMongo(rootUri(ctx), async (client) => {
      const collection = client.db(ctx.settings.mongodb.database).collection(DRIFT.collection);
      await collection.dropIndex(DRIFT.index);
      // Altered, not only dropped: the same name over other keys.
      await collection.createIndex({ timestamp: -1 }, { name: DRIFT.index });
    });
    const preview = await runner("preview-drift", ["preview", "--refresh", "--json", "--expect-no-changes", "--set", SCALE, "--set", RELEASE.set], { quiet: true });
    fs.writeFileSync(path.join(E2E_DIR, "preview-drift.json"), preview.stdout);
    const drift = await run(path.join(REPO, "node_modules/.bin/tsx"), [path.join(REPO, "scripts/drift-report.ts"), "-"], { stdin: preview.stdout });
    const named = [DRIFT.container, DRIFT.indexResource].filter((n) => drift.stdout.includes(n));
    report.drift = { exitCode: drift.code, named };
    const ok = drift.code === 1 && named.length === 2;
    if (ok && flags["record-fixtures"]) fs.writeFileSync(path.join(FIXTURES, "e2e-drift-container-and-index.json"), preview.stdout);
    return { ok, detail: `drift-report exited ${drift.code}, named ${named.join(" and ") || "neither"}:\n${drift.stdout.trim()}` };
  });
}

/** Removes the stack's leftovers by hand: the sink, protected volumes, anything with the prefix. */
async function removeLeftovers(includeVolumes: boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const c of await docker.listContainers({ all: true })) {
    const name = c.Names[0]!.replace(/^\//, "");
    // The backup step's MinIO sits on the stack's private network (restore removes it; an interrupted run may not have).
    if (name.startsWith(`${PREFIX}-`) || name === MINIO_CONTAINER) {
      await deleteContainer(docker, c.Id);
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
  openStore().discard();
  return removed;
}

async function teardown(started: number, startedDockerd: number | undefined, ctx?: E2EContext): Promise<number> {
  await deleteContainer(docker, SINK.container);
  // Normally gone after the restore step; left attached, it would keep the private network from being deleted.
  await deleteContainer(docker, MINIO_CONTAINER);
  let mongoInputs: Props | undefined;
  const before = openStore();
  const mongo = Object.values(before.state.resources).find((r) => r.type === "docker:index/container:Container" && r.name === "mongodb");
  if (mongo) mongoInputs = mongo.inputs;

  await step("destroy", async () => {
    const result = await runner("destroy", ["destroy"]);
    const left = await leftovers();
    report.destroy = { left };
    const refused = result.report.errors.filter((e) => /marked for protection/.test(e.message)).map((e) => nameOf(e.urn));
    const protectedVolumes = Object.values(before.state.resources).filter((r) => r.protect).map((r) => `volume ${String(r.inputs.name)}`);
    const unexpected = left.filter((l) => !protectedVolumes.includes(l));
    const lost = protectedVolumes.filter((v) => !left.includes(v));
    const otherErrors = result.report.errors.filter((e) => !/marked for protection/.test(e.message));
    const ok = refused.length === protectedVolumes.length && protectedVolumes.length > 0 && lost.length === 0 && unexpected.length === 0 && otherErrors.length === 0;
    return {
      ok,
      detail: `refused (protected): ${refused.join(", ") || "none"}; left on the host: ${left.join(", ") || "nothing"}${unexpected.length ? `; NOT expected: ${unexpected.join(", ")}` : ""}${lost.length ? `; protected but GONE: ${lost.join(", ")}` : ""}${otherErrors.length ? `; errors: ${describeErrors({ ...result.report, errors: otherErrors })}` : ""}`,
    };
  });

  if (ctx && mongoInputs) {
    await step("index by hand survives", async () => {
      // MongoDB again on the retained data volume, created in the provider's sequence, off every network of the stack.
      const inputs: Props = { ...mongoInputs, name: `${PREFIX}-verify-mongodb`, networksAdvanced: [], labels: [] };
      const created = await createContainer(docker, inputs);
      try {
        const names = await withMongo(rootUri(ctx), async (client) => (await client.db(ctx.settings.mongodb.database).collection(HAND_INDEX.collection).listIndexes().toArray()).map((i) => String(i.name)));
        const survived = names.includes(HAND_INDEX.name);
        const reconcilerLeft = names.filter((n) => n !== "_id_" && n !== HAND_INDEX.name);
        return { ok: survived && reconcilerLeft.length === 0, detail: `${HAND_INDEX.collection} holds ${names.join(", ")}: the hand-made ${HAND_INDEX.name} ${survived ? "survived" : "is GONE"}${reconcilerLeft.length ? `; the reconciler's indexes were not dropped: ${reconcilerLeft.join(", ")}` : "; the reconciler dropped its own"}` };
      } finally {
        await deleteContainer(docker, created.id);
      }
    });
  }

  await step("clean up", async () => {
    const removed = await removeLeftovers(true);
    const left = await leftovers();
    return { ok: left.length === 0, detail: `removed by hand: ${removed.join(", ") || "nothing"}${left.length ? `; STILL THERE: ${left.join(", ")}` : ""} (pulled images stay: keepLocally, and they are the next run's cache)` };
  });
  return finish(started, startedDockerd);
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

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`e2e: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);

