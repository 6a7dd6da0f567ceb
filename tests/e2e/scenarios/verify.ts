// e2e scenario steps (issue 19, "done when"): `npm run verify` fails, naming the check, when the
// live stack is broken by hand, and passes again once it is repaired. Four breaks:
//
//   verify detects a stopped container       docker stop <prefix>-nsqadmin        -> containers
//   verify detects a dropped index           cost_records.timestamp_1 dropped     -> mongodb-indexes
//   verify detects a secret file's mode      0400 -> 0444 on a secret file        -> secret-files
//   verify detects a certificate from another CA   the edge serves a leaf of a new CA -> edge-tls
//
// Each function breaks one thing, runs verify (exit 1, the check failed), repairs it the way an
// operator would (start the container; recreate the index as declared; restore the file; put the
// stack's certificate back and reload nginx), runs verify again (exit 0), and returns { ok, detail }.
// The repair runs whatever happened in between. Everything goes through the Docker engine and the
// stack's MongoDB; nothing here knows how the stack was deployed.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type Docker from "dockerode";
import { MongoClient } from "mongodb";
import * as tar from "tar-stream";
import type { Settings } from "../../../config/schema";
import { INDEX_CATALOG } from "../../../facts/indexes";
import { EDGE_CONTAINER_PATHS } from "../../../planes/edge/edgeConfig";
import { describeSpec, indexModel, specsByCollection } from "../../../planes/data/mongoIndexes/plan";
import { exec, poll, readArchive, type ArchiveEntry } from "../../../verify/docker";
import type { VerifyReport } from "../../../verify/render";
import type { E2ECheck, E2EContext } from "../context";
import { runVerify, VERIFY_TIMEOUT_MS } from "../verify/stack";

export interface VerifyScenarioContext {
  docker: Docker;
  /** Prefix of the stack's container names (`e2e`). */
  prefix: string;
  settings: Settings;
  /** The application user's URI on MongoDB's published port (the stack output mongodbAdminUri). */
  mongodbUri: string;
  /** `npm run verify -- --stack <stack> --json <args>` against the deployed stack. */
  runVerify(args?: string[]): Promise<{ code: number; report?: VerifyReport; stderr: string }>;
  log(line: string): void;
}

export interface StepResult {
  ok: boolean;
  detail: string;
  /** verify's two JSON reports: after the break and after the repair (the e2e report keeps them). */
  json?: { broken?: VerifyReport; repaired?: VerifyReport };
}

interface Break {
  /** The catalog check that must fail. */
  check: string;
  /** Breaks the stack; returns what it did. */
  apply(): Promise<string>;
  /** Undoes it; returns what it did. */
  repair(): Promise<string>;
}

const failedChecks = (report?: VerifyReport) => report?.checks.filter((c) => c.status === "fail").map((c) => c.name) ?? [];
const describeRun = (run: { code: number; report?: VerifyReport; stderr: string }) =>
  run.report ? `exit ${run.code}, failed: ${failedChecks(run.report).join(", ") || "none"}` : `exit ${run.code} without a report: ${run.stderr.trim().slice(-500)}`;

/** Break, verify (exit 1 naming the check), repair, verify (exit 0). */
async function breakAndRepair(ctx: VerifyScenarioContext, scenario: Break): Promise<StepResult> {
  let broke = "";
  let repaired = "";
  let broken: Awaited<ReturnType<VerifyScenarioContext["runVerify"]>> | undefined;
  try {
    broke = await scenario.apply();
    ctx.log(`broken: ${broke}; running verify`);
    broken = await ctx.runVerify();
  } finally {
    repaired = await scenario.repair();
    ctx.log(`repaired: ${repaired}; running verify again`);
  }
  const again = await ctx.runVerify();
  const named = broken?.report?.checks.find((c) => c.name === scenario.check);
  const problems = [
    broken?.code === 1 ? "" : `after the break verify exited ${broken?.code} (expected 1)`,
    named?.status === "fail" ? "" : `after the break ${scenario.check} was ${named?.status ?? "not reported"} (expected fail)`,
    again.code === 0 ? "" : `after the repair verify exited ${again.code} (expected 0): ${describeRun(again)}`,
  ].filter(Boolean);
  const detail = `${broke}: verify ${broken ? describeRun(broken) : "did not run"}${named ? `; ${scenario.check}: ${named.detail.slice(0, 600)}` : ""}; then ${repaired}: verify ${describeRun(again)}`;
  return { ok: problems.length === 0, detail: problems.length ? `${problems.join("; ")} (${detail})` : detail, json: { broken: broken?.report, repaired: again.report } };
}

async function waitHealthy(docker: Docker, name: string, timeoutMs = 120_000): Promise<string> {
  const result = await poll(
    async () => (await docker.getContainer(name).inspect()).State.Health?.Status ?? "none",
    (status) => status === "healthy",
    { tries: 200, timeoutMs, intervalMs: 1_000 },
  );
  return result.value;
}

/** A stopped container: `containers` must fail; `docker start` repairs it. */
export function stoppedContainer(ctx: VerifyScenarioContext, service = "nsqadmin"): Promise<StepResult> {
  const name = `${ctx.prefix}-${service}`;
  return breakAndRepair(ctx, {
    check: "containers",
    apply: async () => {
      await ctx.docker.getContainer(name).stop({ t: 5 });
      return `docker stop ${name}`;
    },
    repair: async () => {
      await ctx.docker.getContainer(name).start().catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304) throw error;
      });
      return `docker start ${name} (${await waitHealthy(ctx.docker, name)})`;
    },
  });
}

/** A dropped index: `mongodb-indexes` must fail; creating it as declared repairs it. */
export function droppedIndex(ctx: VerifyScenarioContext, collection = "cost_records", name = "timestamp_1"): Promise<StepResult> {
  const spec = specsByCollection(INDEX_CATALOG).get(collection)?.[name];
  const withDb = async <T>(fn: (client: MongoClient) => Promise<T>) => {
    const client = new MongoClient(ctx.mongodbUri, { serverSelectionTimeoutMS: 15_000 });
    try {
      await client.connect();
      return await fn(client);
    } finally {
      await client.close().catch(() => undefined);
    }
  };
  const db = ctx.settings.mongodb.database;
  return breakAndRepair(ctx, {
    check: "mongodb-indexes",
    apply: async () => {
      if (!spec) throw new Error(`facts/indexes.ts declares no ${collection}.${name}`);
      await withDb((client) => client.db(db).collection(collection).dropIndex(name));
      return `dropIndex ${db}.${collection}.${name}`;
    },
    repair: async () => {
      await withDb((client) => client.db(db).command({ createIndexes: collection, indexes: [indexModel({ name, spec: spec! })] }));
      return `createIndexes ${db}.${collection} ${name} {${describeSpec(spec!)}} (as declared)`;
    },
  });
}

/** One file into a container through the archive API, with the given mode and owner. */
async function putFile(docker: Docker, container: string, file: string, content: Buffer, header: { mode: number; uid: number; gid: number }): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: path.posix.basename(file), mode: header.mode & 0o7777, uid: header.uid, gid: header.gid }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  await docker.getContainer(container).putArchive(Buffer.concat(chunks), { path: path.posix.dirname(file) });
}

async function readFile(docker: Docker, container: string, file: string): Promise<ArchiveEntry> {
  const entry = (await readArchive(docker, container, file))?.find((e) => e.type === "file");
  if (!entry) throw new Error(`${container} has no ${file}`);
  return entry;
}

/** A secret file made readable by everyone: `secret-files` must fail; putting the file back 0400 repairs it. */
export async function secretFileMode(ctx: VerifyScenarioContext, service = "mcp-server"): Promise<StepResult> {
  const container = `${ctx.prefix}-${service}`;
  const secrets = ((await readArchive(ctx.docker, container, "/run/secrets")) ?? []).filter((e) => e.type === "file");
  const original = secrets[0];
  if (!original) return { ok: false, detail: `${container} has no file under /run/secrets` };
  const file = `/run/${original.name}`;
  return breakAndRepair(ctx, {
    check: "secret-files",
    apply: async () => {
      await putFile(ctx.docker, container, file, original.content, { ...original, mode: 0o444 });
      const now = await readFile(ctx.docker, container, file);
      return `${container}:${file} put back with mode 0${(now.mode & 0o777).toString(8)} (was 0${(original.mode & 0o777).toString(8)}, ${original.uid}:${original.gid})`;
    },
    repair: async () => {
      await putFile(ctx.docker, container, file, original.content, original);
      const now = await readFile(ctx.docker, container, file);
      return `${container}:${file} mode 0${(now.mode & 0o777).toString(8)} ${now.uid}:${now.gid} again`;
    },
  });
}

/** A CA and a leaf for `dnsNames` (openssl), as an operator might install by mistake. */
function certificateFromAnotherCa(dnsNames: string[]): { fullChain: Buffer; key: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-other-ca-"));
  try {
    const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-subj", "/CN=another CA", "-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${dnsNames[0]}`, "-keyout", "leaf.key", "-out", "leaf.csr"]);
    fs.writeFileSync(path.join(dir, "san.ext"), `subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(",")}\n`);
    run(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "365", "-out", "leaf.pem", "-extfile", "san.ext"]);
    return { fullChain: Buffer.concat([fs.readFileSync(path.join(dir, "leaf.pem")), fs.readFileSync(path.join(dir, "ca.pem"))]), key: fs.readFileSync(path.join(dir, "leaf.key")) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function reloadNginx(ctx: VerifyScenarioContext, container: string): Promise<string> {
  const result = await exec(ctx.docker, container, ["nginx", "-s", "reload"], { timeoutMs: 20_000 });
  if (result.exitCode !== 0) throw new Error(`nginx -s reload in ${container}: ${result.error ?? result.stderr.trim()}`);
  // nginx re-reads the files in its master; the new workers serve the new certificate a moment later.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return "nginx -s reload";
}

/** The edge serving a certificate of another CA (same names, valid dates): `edge-tls` must fail; the stack's files back repair it. */
export async function certificateFromOtherCa(ctx: VerifyScenarioContext): Promise<StepResult> {
  const container = `${ctx.prefix}-edge`;
  const chain = await readFile(ctx.docker, container, EDGE_CONTAINER_PATHS.certificate);
  const key = await readFile(ctx.docker, container, EDGE_CONTAINER_PATHS.certificateKey);
  const other = certificateFromAnotherCa(ctx.settings.tls.dnsNames);
  return breakAndRepair(ctx, {
    check: "edge-tls",
    apply: async () => {
      await putFile(ctx.docker, container, EDGE_CONTAINER_PATHS.certificate, other.fullChain, chain);
      await putFile(ctx.docker, container, EDGE_CONTAINER_PATHS.certificateKey, other.key, key);
      return `${container} given a leaf for ${ctx.settings.tls.dnsNames.join(", ")} signed by "another CA", then ${await reloadNginx(ctx, container)}`;
    },
    repair: async () => {
      await putFile(ctx.docker, container, EDGE_CONTAINER_PATHS.certificate, chain.content, chain);
      await putFile(ctx.docker, container, EDGE_CONTAINER_PATHS.certificateKey, key.content, key);
      return `the stack's certificate and key put back in ${container}, then ${await reloadNginx(ctx, container)}`;
    },
  });
}

/** The four, by e2e step name. */
export const VERIFY_SCENARIOS: readonly { step: string; run: (ctx: VerifyScenarioContext) => Promise<StepResult> }[] = [
  { step: "verify detects a stopped container", run: (ctx) => stoppedContainer(ctx) },
  { step: "verify detects a dropped index", run: (ctx) => droppedIndex(ctx) },
  { step: "verify detects a secret file's mode", run: (ctx) => secretFileMode(ctx) },
  { step: "verify detects a certificate from another CA", run: (ctx) => certificateFromOtherCa(ctx) },
];

/** The scenario's context from the one every e2e step gets (the app user's URI is the stack output mongodbAdminUri's). */
export function scenarioContext(ctx: E2EContext): VerifyScenarioContext {
  return { docker: ctx.docker, prefix: ctx.prefix, settings: ctx.settings, mongodbUri: ctx.mongodbAdminUri, runVerify: (args = []) => runVerify(args), log: ctx.log };
}

/** The four as e2e steps (tests/e2e/checks/support/all.ts runs them after the `verify` step, before the second preview, which then shows that each repair left nothing behind). */
export const VERIFY_SCENARIO_STEPS: readonly E2ECheck[] = VERIFY_SCENARIOS.map((scenario) => ({
  name: scenario.step.replace(/[^a-z]+/gi, "-").toLowerCase(),
  step: scenario.step,
  // Two runs of verify (after the break, after the repair) and the repair itself.
  timeoutMs: 2 * VERIFY_TIMEOUT_MS + 2 * 60_000,
  check: (ctx) => scenario.run(scenarioContext(ctx)),
}));
