// The fallback engine's command line, shaped like the Pulumi CLI's:
//   tsx tests/e2e/runner/cli.ts preview [--refresh] [--json] [--expect-no-changes]
//   tsx tests/e2e/runner/cli.ts up [--refresh]
//   tsx tests/e2e/runner/cli.ts destroy
// Options: --config <stack file> (default tests/e2e/Pulumi.e2e.yaml), --overrides <json file>
// (merged over the stack file, e.g. .e2e/images.json), --set <key>=<json> (one value, e.g.
// workers={"replicas":2}), --state <file> (default .e2e/state.json), --report <file> (the
// steps, timings and errors as JSON, for tests/e2e/run.ts).
// One evaluation per process, as for the synth: the Pulumi runtime is process-global.
import Docker from "dockerode";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT } from "../../../config/schema";
import { REPO_ROOT } from "../../../synth/evaluate";
import { RunnerEngine, type Step } from "./engine";
import { StateStore } from "./state";
import { buildDigest, hasChanges } from "./digest";

export const E2E_STACK = "e2e";
export const DEFAULT_CONFIG = path.join(REPO_ROOT, "tests/e2e/Pulumi.e2e.yaml");
export const DEFAULT_STATE = path.join(REPO_ROOT, ".e2e/state.json");
export const CACHE_DIR = process.env.E2E_CACHE || "/var/cache/enrichment-e2e";
export const SECRETS_FILE = path.join(CACHE_DIR, "runner", "secrets.json");
/** The sink Alertmanager posts to (tests/e2e/standins: `sink`), by container name on the egress network. */
export const SINK = { container: `${E2E_STACK}-alert-sink`, port: 9099, hostPort: 39099 };

/** The config secrets the e2e stack needs, generated once per state and kept with it. */
export function stackSecrets(store: StateStore): Record<string, string> {
  return {
    anthropicApiKey: store.configSecret("anthropicApiKey", () => `sk-ant-e2e-${randomBytes(24).toString("hex")}`),
    slackWebhookUrl: store.configSecret("slackWebhookUrl", () => `http://${SINK.container}:${SINK.port}/slack/${randomBytes(12).toString("hex")}`),
    // The off-host copy's S3 keys (backup.s3); the backup step's MinIO takes them as its root user
    // (MinIO wants an access key of >= 3 and a secret of >= 8 characters).
    backupS3AccessKeyId: store.configSecret("backupS3AccessKeyId", () => `e2e${randomBytes(8).toString("hex")}`),
    backupS3SecretAccessKey: store.configSecret("backupS3SecretAccessKey", () => randomBytes(24).toString("hex")),
  };
}

export interface RunReport {
  operation: string;
  ok: boolean;
  steps: Step[];
  errors: { urn: string; message: string; logs?: string }[];
  changes: number;
  seconds: number;
}

export function setValue(overrides: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq < 1) throw new Error(`--set expects <key>=<json>, got ${assignment}`);
  const key = assignment.slice(0, eq);
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  // Merged deeply, as the stack file's values are: `release={"version":"x"}` keeps the release's images.
  overrides[key] = mergeDeep(overrides[key], value);
}

export function mergeDeep(a: unknown, b: unknown): unknown {
  if (!a || !b || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) || Array.isArray(b)) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = mergeDeep(out[k], v);
  return out;
}

/** images.json keys are `images.<name>` / `release.images.<service>`: nest them as stack values. */
export function nestOverrides(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [dotted, value] of Object.entries(flat)) {
    if (dotted === "sink" || dotted.startsWith("e2e.")) continue;
    const parts = dotted.split(".");
    // release.images.<service>: the service name may not be split further.
    const head = parts[0] === "release" && parts[1] === "images" ? ["release", "images", parts.slice(2).join(".")] : parts;
    let cursor = out;
    for (const part of head.slice(0, -1)) cursor = (cursor[part] ??= {}) as Record<string, unknown>;
    cursor[head[head.length - 1]!] = value;
  }
  return out;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      refresh: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "expect-no-changes": { type: "boolean", default: false },
      config: { type: "string", default: DEFAULT_CONFIG },
      overrides: { type: "string", multiple: true, default: [] },
      set: { type: "string", multiple: true, default: [] },
      state: { type: "string", default: DEFAULT_STATE },
      report: { type: "string" },
    },
  });
  const operation = positionals[0];
  if (operation !== "preview" && operation !== "up" && operation !== "destroy") {
    process.stderr.write("usage: tsx tests/e2e/runner/cli.ts preview|up|destroy [--refresh] [--json] [--expect-no-changes] [--overrides file] [--set key=json]\n");
    return 2;
  }
  Error.stackTraceLimit = 0;
  const started = Date.now();
  // --json keeps stdout for the digest only; progress goes to stderr.
  const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const store = StateStore.open(values.state!, SECRETS_FILE, E2E_STACK);
  store.readonly = operation === "preview";
  const docker = new Docker();
  const engine = new RunnerEngine({ operation: operation === "destroy" ? "up" : operation, refresh: values.refresh!, docker, store, stack: E2E_STACK, project: PROJECT, log });

  let overrides: Record<string, unknown> = {};
  for (const file of values.overrides ?? []) overrides = mergeDeep(overrides, nestOverrides(JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>)) as Record<string, unknown>;
  for (const assignment of values.set ?? []) setValue(overrides, assignment);

  if (values.refresh) await engine.refresh();
  if (operation === "destroy") await engine.destroy();
  else await engine.run({ configFile: values.config!, overrides, secrets: stackSecrets(store) });

  const seconds = (Date.now() - started) / 1000;
  const changes = engine.steps.filter((s) => s.op !== "same").length;
  const expectNoChanges = values["expect-no-changes"] === true && hasChanges(engine.steps);
  if (operation === "preview" && values.json) {
    const digest = buildDigest(engine.steps, engine.errors, { stack: E2E_STACK, project: PROJECT, nanoseconds: Math.round(seconds * 1e9), expectNoChanges });
    process.stdout.write(`${JSON.stringify(digest, null, 4)}\n`);
  } else {
    const counts = new Map<string, number>();
    for (const step of engine.steps) counts.set(step.op, (counts.get(step.op) ?? 0) + 1);
    log(`Resources: ${[...counts].map(([op, n]) => `${n} ${op}`).join(", ") || "none"} (${seconds.toFixed(1)} s)`);
    for (const error of engine.errors) {
      log(`error: ${error.urn ? `${error.urn}: ` : ""}${error.message}`);
      if (error.logs) log(error.logs.split("\n").map((l) => `    | ${l}`).join("\n"));
    }
    if (expectNoChanges) log("error: no changes were expected but changes were proposed");
  }
  const ok = engine.errors.length === 0 && !expectNoChanges;
  if (values.report) {
    const report: RunReport = { operation, ok, steps: engine.steps, errors: engine.errors, changes, seconds };
    fs.mkdirSync(path.dirname(values.report), { recursive: true });
    fs.writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
  }
  // As the Pulumi CLI: 255 when the operation failed or changes were not expected.
  return ok ? 0 : 255;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`runner: ${error.stack ?? error.message}\n`);
      process.exit(255);
    },
  );
}
