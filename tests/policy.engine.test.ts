// The pack behind the real policy server: policy/ is started the way the Pulumi CLI's Node.js
// policy host starts it (`pulumi-analyzer-policy` resolves @pulumi/pulumi/cmd/run-policy-pack from
// the pack's folder and runs it there: ts-node type-checks policy/*.ts against policy/tsconfig.json),
// with the stack's PULUMI_STACK/PULUMI_CONFIG in its environment, and driven over gRPC with the
// engine's own messages (@pulumi/pulumi/proto). It is never imported: constructing a PolicyPack
// starts the server. It must report what the offline runner reports, see secrets as plaintext,
// and survive values that are unknown during preview.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthesize, type ResourceRecord } from "../synth";
import { runPolicies } from "../policy/offline";
import { CATALOG } from "../policy/catalog";
import { CONTAINER, inputs, mutate } from "./policy.support";

const REPO = path.resolve(__dirname, "..");
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (module: string) => require(require.resolve(module, { paths: [pulumiDir] }));
const grpc = fromPulumi("@grpc/grpc-js");
const analyzer = require("@pulumi/pulumi/proto/analyzer_pb");
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb");

const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
/** The engine's wire value of an input that is unknown during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const LEVELS = ["advisory", "mandatory", "disabled", "remediate"];

interface Server {
  process: ChildProcess;
  client: any;
  stderr: string;
}

function startPack(stack: "production" | "staging"): Promise<Server> {
  return new Promise((resolve, reject) => {
    const packDir = path.join(REPO, "policy");
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    // Arguments: the engine's address (unused by a policy pack) and the pack's folder.
    const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
      cwd: packDir,
      env: { ...process.env, PULUMI_STACK: stack, PULUMI_CONFIG: JSON.stringify({ "enrichment:environment": stack }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const server: Server = { process: child, client: undefined, stderr: "" };
    child.stderr!.on("data", (d) => (server.stderr += d));
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const port = /^(\d+)\s*$/m.exec(out)?.[1];
      if (port && !server.client) {
        server.client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        resolve(server);
      }
    });
    child.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${server.stderr}`)));
    setTimeout(() => reject(new Error(`policy pack did not start: ${server.stderr}`)), 120_000);
  });
}

const call = <T>(server: Server, method: string, request: unknown): Promise<T> =>
  new Promise((resolve, reject) => server.client[method](request, (error: Error | null, response: T) => (error ? reject(error) : resolve(response))));

/** A record's inputs as the engine sends them: secrets in their wire form, around the same value. */
function wireProps(record: ResourceRecord, plaintext: Record<string, unknown> = {}): Record<string, unknown> {
  const props = structuredClone(record.inputs) as Record<string, any>;
  for (const at of record.secretPaths) {
    const keys = at.split(".");
    const last = keys.pop()!;
    const holder = keys.reduce((o, k) => o[k], props);
    holder[last] = { ...SECRET_SIG, value: at in plaintext ? plaintext[at] : holder[last] };
  }
  return props;
}

function options(record: ResourceRecord) {
  const opts = new analyzer.AnalyzerResourceOptions();
  opts.setProtect(record.protect);
  opts.setIgnorechangesList(record.ignoreChanges);
  opts.setDeletebeforereplace(record.deleteBeforeReplace);
  opts.setDeletebeforereplacedefined(record.deleteBeforeReplace);
  opts.setAdditionalsecretoutputsList(record.additionalSecretOutputs);
  if (record.parent) opts.setParent(record.parent);
  return opts;
}

function analyzeRequest(record: ResourceRecord, props = wireProps(record)) {
  const req = new analyzer.AnalyzeRequest();
  req.setType(record.type);
  req.setUrn(record.urn);
  req.setName(record.name);
  req.setProperties(Struct.fromJavaScript(props));
  req.setOptions(options(record));
  return req;
}

function stackRequest(records: ResourceRecord[]) {
  const req = new analyzer.AnalyzeStackRequest();
  req.setResourcesList(
    records.map((record) => {
      const r = new analyzer.AnalyzerResource();
      r.setType(record.type);
      r.setUrn(record.urn);
      r.setName(record.name);
      r.setProperties(Struct.fromJavaScript(wireProps(record)));
      r.setOptions(options(record));
      if (record.parent) r.setParent(record.parent);
      r.setDependenciesList(record.dependsOn);
      for (const [key, urns] of Object.entries(record.propertyDependencies)) {
        const deps = new analyzer.AnalyzerPropertyDependencies();
        deps.setUrnsList(urns);
        r.getPropertydependenciesMap().set(key, deps);
      }
      return r;
    }),
  );
  return req;
}

interface Diagnostic {
  policy: string;
  enforcement: string;
  urn: string;
  message: string;
}

/** The server prefixes each message with the policy's description and a newline. */
const diagnostics = (response: any): Diagnostic[] =>
  response.getDiagnosticsList().map((d: any) => ({
    policy: d.getPolicyname(),
    enforcement: LEVELS[d.getEnforcementlevel()]!,
    urn: d.getUrn(),
    message: d.getMessage().startsWith(`${d.getDescription()}\n`) ? d.getMessage().slice(d.getDescription().length + 1) : d.getMessage(),
  }));

async function analyzeAll(server: Server, records: ResourceRecord[]): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const record of records) {
    const found = diagnostics(await call(server, "analyze", analyzeRequest(record)));
    // Resource diagnostics carry no urn: the engine attaches the analyzed resource's.
    out.push(...found.map((d) => ({ ...d, urn: d.urn || record.urn })));
  }
  out.push(...diagnostics(await call(server, "analyzeStack", stackRequest(records))));
  return out;
}

const key = (d: { policy: string; enforcement: string; urn?: string; message: string }) => `${d.enforcement} ${d.policy} ${d.urn ?? ""} ${d.message}`;

let production: ResourceRecord[];
let staging: ResourceRecord[];
const servers: Partial<Record<"production" | "staging", Server>> = {};

beforeAll(async () => {
  const [p, s] = await Promise.all([synthesize({ stack: "production" }), synthesize({ stack: "staging" })]);
  production = p.records;
  staging = s.records;
  [servers.production, servers.staging] = await Promise.all([startPack("production"), startPack("staging")]);
}, 180_000);

afterAll(() => {
  for (const server of Object.values(servers)) {
    server?.client?.close();
    server?.process.kill();
  }
});

describe.each(["production", "staging"] as const)("the pack started for %s", (stack) => {
  it("serves every catalog policy at the environment's level and says which rules it applies", async () => {
    const info: any = await call(servers[stack]!, "getAnalyzerInfo", new Empty());
    const policies = info.getPoliciesList().map((p: any) => [p.getName(), LEVELS[p.getEnforcementlevel()]]);
    expect(policies.map(([name]: string[]) => name).sort()).toEqual(CATALOG.map((e) => e.name).sort());
    expect(new Set(policies.map(([, level]: string[]) => level))).toEqual(new Set([stack === "production" ? "mandatory" : "advisory"]));
    expect(servers[stack]!.stderr).toMatch(new RegExp(`applying ${stack} rules \\(stack config enrichment:environment\\)`));
  });

  it("reports exactly what the offline runner reports for the shipped stack", async () => {
    const records = stack === "production" ? production : staging;
    const engine = await analyzeAll(servers[stack]!, records);
    const offline = runPolicies(records, stack).violations;
    expect(engine.map(key).sort()).toEqual(offline.map(key).sort());
  }, 120_000);
});

describe("the entry point", () => {
  it("is imported by no test (constructing the PolicyPack would start a server in the test process)", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const offenders = fs
      .readdirSync(__dirname)
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => /from\s+["']\.\.\/policy(\/index)?["']|require\(["']\.\.\/policy(\/index)?["']\)/.test(fs.readFileSync(path.join(__dirname, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});

describe("secrets and unknowns in the engine", () => {
  it("sees a secret environment entry as plaintext and reports it like the offline [secret]", async () => {
    // A secret interpolated into an environment value, in the engine's wire form.
    const base = production.find((r) => r.type === CONTAINER && r.name === "review-api")!;
    const record = structuredClone(base);
    inputs(record).envs.push("[secret]");
    record.secretPaths = [...record.secretPaths, `envs.${inputs(record).envs.length - 1}`];
    const plaintext = { [`envs.${inputs(record).envs.length - 1}`]: "MONGODB_URI=mongodb://enrichment:s3cret@mongodb:27017/enrichment" };
    const found = diagnostics(await call(servers.production!, "analyze", analyzeRequest(record, wireProps(record, plaintext)))).filter(
      (d) => d.policy === "secrets-not-in-environment",
    );
    const offline = runPolicies([record], "production").violations.filter((v) => v.policy === "secrets-not-in-environment");
    expect(offline).toHaveLength(1);
    expect(found).toHaveLength(offline.length);
    expect(found[0]!.message).toMatch(/MONGODB_URI holds a URL with a password/);
  });

  it("skips values unknown during preview instead of failing the policy", async () => {
    // During a first preview, envs that interpolate a computed value, a secret file's content and
    // the image id are unknown.
    const record = mutate(production, CONTAINER, "review-api", (r) => {
      inputs(r).envs = (inputs(r).envs as string[]).map((e) => (e.startsWith("MONGODB_URI_FILE") ? e : UNKNOWN));
      inputs(r).image = UNKNOWN;
      for (const u of inputs(r).uploads) u.content = UNKNOWN;
    }).find((r) => r.type === CONTAINER && r.name === "review-api")!;
    const response: any = await call(servers.production!, "analyze", analyzeRequest(record, record.inputs));
    const found = diagnostics(response);
    expect(found.filter((d) => /can't run/.test(d.message))).toEqual([]);
    // The same record's other rules still run: break one and it is reported.
    inputs(record).restart = "no";
    const broken = diagnostics(await call(servers.production!, "analyze", analyzeRequest(record, record.inputs)));
    expect(broken.map((d) => d.policy)).toContain("container-restart-unless-stopped");
  });
});
