// Evaluates the Pulumi program for one stack under Pulumi's mock runtime and records every
// resource registration as the engine would receive it. The Pulumi runtime is process-global:
// evaluate once per process, or as synth/server.ts does (fresh program modules each time); tests
// use synthesize() from ./index.
import * as path from "node:path";
import { PROJECT, SECRET_KEYS, SettingsSchema } from "../config/schema";
import { readStackFile, SECRET_PLACEHOLDER } from "../config/stackFile";
import { STACK_FILE_ENV } from "../config/yamlReaders";
import type * as Pulumi from "@pulumi/pulumi";
import { SynthMocks } from "./mocks";

export const REPO_ROOT = path.resolve(__dirname, "..");

export interface EvaluateOptions {
  stack: string;
  /** A stack file to evaluate instead of `Pulumi.<stack>.yaml`. */
  configFile?: string;
  /** Values merged over the stack file's (objects merged deeply), for tests and benchmarks. */
  overrides?: Record<string, unknown>;
  /** Evaluate as `pulumi preview` does (unknown outputs stay unknown). */
  preview?: boolean;
  /** Secret config values (by key, e.g. slackWebhookUrl), as `pulumi config set --secret` would hold them. */
  secrets?: Record<string, string>;
  /**
   * In-process only: called with each record and its raw inputs (secrets revealed, resource
   * references as URNs, unknowns as UNKNOWN_VALUE) before the mocks see the registration. The raw
   * inputs stay in memory: the records keep only scrubbed inputs.
   */
  onRegister?: (record: ResourceRecord, raw: RawInputs) => void;
}

/** A registration's inputs as sent, with every secret revealed, and the dotted paths that were secret. */
export interface RawInputs {
  inputs: Record<string, unknown>;
  secretPaths: string[];
}

/** One registration, as the engine receives it. Secret values are the string "[secret]". */
export interface ResourceRecord {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependsOn: string[];
  inputs: Record<string, unknown>;
  protect: boolean;
  /** Below: what the contract of resources.json leaves out, for tests. */
  custom: boolean;
  provider: string | null;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** The option as registered, so tests can assert the program sets none (it sends read-back forms instead). */
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  /** Dotted paths of inputs that were secret, e.g. `uploads.0.content`. */
  secretPaths: string[];
  /** Input name -> URNs it depends on, as the engine keeps them (policy stack args). */
  propertyDependencies: Record<string, string[]>;
}

export interface Evaluation {
  stack: string;
  records: ResourceRecord[];
  outputs: Record<string, unknown>;
  /** Things the synth substituted (placeholders for secrets not in the file). */
  notices: string[];
}

export const SECRET_MARK = "[secret]";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The wire form of an unknown output (what preview sends for values not known yet). */
export const UNKNOWN_VALUE = UNKNOWN;

/** Like scrub, but keeps secret values (unwrapped) and unknowns; resource references become URNs. */
export function reveal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reveal);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return reveal(obj.value);
    if (obj[SIG_KEY] === RESOURCE_SIG) return obj.urn;
    return Object.fromEntries(Object.entries(obj).map(([key, item]) => [key, reveal(item)]));
  }
  return value;
}

/** Replaces secrets with SECRET_MARK, resource references with their URN; collects secret paths. */
export function scrub(value: unknown, at: string, secretPaths: string[]): unknown {
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map((item, i) => scrub(item, at ? `${at}.${i}` : String(i), secretPaths));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) {
      secretPaths.push(at);
      return SECRET_MARK;
    }
    if (obj[SIG_KEY] === RESOURCE_SIG) return obj.urn;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(obj)) {
      if (key === "__provider" && typeof item === "string") {
        // The serialized dynamic provider: keep its size and a hash, not kilobytes of code.
        out[key] = `[serialized dynamic provider, ${item.length} bytes]`;
        continue;
      }
      out[key] = scrub(item, at ? `${at}.${key}` : key, secretPaths);
    }
    return out;
  }
  return value;
}

function mergeDeep(base: unknown, over: unknown): unknown {
  if (over && typeof over === "object" && !Array.isArray(over) && base && typeof base === "object" && !Array.isArray(base)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(over)) out[key] = mergeDeep(out[key], value);
    return out;
  }
  return over;
}

/** What a stack's config puts in the environment (as Pulumi's language host would), and the notices of placeholders. */
export interface StackConfigEnvironment {
  /** PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS and the stack file's path (STACK_FILE_ENV). */
  env: Record<string, string>;
  notices: string[];
}

/**
 * The environment evaluate() runs the program in, computed without installing it: what
 * `npm run synth -- --policy` hands the policy pack when the evaluation ran elsewhere (tests).
 */
export function stackConfigEnvironment(options: EvaluateOptions): StackConfigEnvironment {
  const filePath = options.configFile ?? path.join(REPO_ROOT, `Pulumi.${options.stack}.yaml`);
  const file = readStackFile(filePath);
  const values: Record<string, unknown> = { ...file.raw.values };
  for (const [key, value] of Object.entries(options.overrides ?? {})) values[key] = mergeDeep(values[key], value);
  const secretKeys = new Set(file.raw.secretKeys);
  for (const [key, value] of Object.entries(options.secrets ?? {})) {
    values[key] = value;
    secretKeys.add(key);
  }
  const notices: string[] = [];
  // Placeholders only for the secrets this configuration requires; if the settings do not parse,
  // the program reports that itself.
  const plain = Object.fromEntries(Object.entries(values).filter(([key]) => !(key in SECRET_KEYS)));
  const parsed = SettingsSchema.safeParse(plain);
  for (const [key, declared] of Object.entries(SECRET_KEYS)) {
    if (!(key in values) && parsed.success && declared.requiredWhen(parsed.data)) {
      values[key] = SECRET_PLACEHOLDER(key);
      secretKeys.add(key);
      notices.push(`${PROJECT}:${key} is not set in the stack file; the synth uses a placeholder (pulumi up needs \`pulumi config set --secret ${PROJECT}:${key}\`)`);
    }
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) env[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  // Other namespaces reach the program as they would from the engine: providers' keys, and typos it refuses.
  for (const [key, value] of Object.entries(file.otherKeys)) env[key] = typeof value === "string" ? value : JSON.stringify(value);
  return {
    env: {
      // The program checks the file's values for readings that differ between Pulumi's CLI and this reader.
      [STACK_FILE_ENV]: path.resolve(filePath),
      PULUMI_CONFIG: JSON.stringify(env),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify([...secretKeys].map((key) => `${PROJECT}:${key}`)),
    },
    notices,
  };
}

/** Puts the stack's config where Pulumi's language host would: the environment. */
function installConfig(options: EvaluateOptions): string[] {
  const { env, notices } = stackConfigEnvironment(options);
  Object.assign(process.env, env);
  return notices;
}

interface RawRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

/** How the program's entry module is loaded. */
export type ProgramLoader = (entry: string) => Promise<Record<string, unknown>>;

/** import(): in a vitest suite (its module runner loads the TypeScript). */
const importProgram: ProgramLoader = (entry) => import(entry) as Promise<Record<string, unknown>>;
/**
 * require(): in the processes the synth starts (`node --require tsx/cjs`: the commands,
 * synth/child.ts, synth/server.ts, which deletes the program's modules from the cache first).
 * tsx's CommonJS hooks load TypeScript through require() only.
 */
export const requireProgram: ProgramLoader = async (entry) => require(entry) as Record<string, unknown>;

/**
 * Turns off, in this process, what makes every registration costly under tsx: the SDK takes a
 * stack trace for each resource and for each of its promises, and Node maps every frame through
 * tsx's source maps. `npm run synth -- --stack staging` took 7.1 CPU-s with them and 5.5 without
 * (2026-12-05). For processes that report an evaluation's errors by their message: the synth
 * server and child, and `npm run synth` while it evaluates. Returns what turns them back on.
 */
export function withoutStackTraces(): () => void {
  const limit = Error.stackTraceLimit;
  const sourceMaps = process.sourceMapsEnabled;
  Error.stackTraceLimit = 0;
  // The SDK lifts the limit while it takes each resource's source position; unmapped, those frames cost little.
  process.setSourceMapsEnabled(false);
  return () => {
    Error.stackTraceLimit = limit;
    process.setSourceMapsEnabled(sourceMaps);
  };
}

export async function evaluate(options: EvaluateOptions, loadProgram: ProgramLoader = importProgram): Promise<Evaluation> {
  const notices = installConfig(options);
  // Loaded only now: the SDK reads its config from the environment set above.
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  // ...unless something imported the SDK earlier (a config module importing a component): its
  // store then holds the environment of that moment, so hand it the config explicitly too.
  const sdkConfig = require("@pulumi/pulumi/runtime/config") as unknown as {
    setAllConfig(config: Record<string, string>, secretKeys?: string[]): void;
  };
  sdkConfig.setAllConfig(JSON.parse(process.env.PULUMI_CONFIG ?? "{}"), JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]"));
  // waitForRPCs is internal to the SDK (not in its typings).
  const settings = require("@pulumi/pulumi/runtime/settings") as unknown as {
    getMonitor(): unknown;
    waitForRPCs(): Promise<void>;
  };
  await pulumi.runtime.setMocks(new SynthMocks(), PROJECT, options.stack, options.preview ?? false);

  const monitor = settings.getMonitor() as unknown as {
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RawRequest, cb: (err: unknown, resp: unknown) => void): void;
  };
  const records: ResourceRecord[] = [];
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const dependsOn = new Set(req.getDependenciesList());
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      propertyDependencies[key] = deps.getUrnsList().filter(Boolean).sort();
      deps.getUrnsList().forEach((urn) => dependsOn.add(urn));
    });
    const secretPaths: string[] = [];
    const object = req.getObject()?.toJavaScript() ?? {};
    const inputs = scrub(object, "", secretPaths) as Record<string, unknown>;
    const provider = req.getProvider();
    const record: ResourceRecord = {
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent() || null,
      dependsOn: [...dependsOn].filter(Boolean).sort(),
      inputs,
      protect: req.getProtect() === true,
      custom: req.getCustom(),
      provider: provider ? provider.split("::").slice(0, -1).join("::") : null,
      retainOnDelete: req.getRetainondelete() === true,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      secretPaths,
      propertyDependencies,
    };
    records.push(record);
    options.onRegister?.(record, { inputs: reveal(object) as Record<string, unknown>, secretPaths: [...secretPaths] });
    original(req, callback);
  };

  const program = await loadProgram(path.join(REPO_ROOT, "index.ts"));
  await settings.waitForRPCs();

  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) {
    if (key === "default" || key === "__esModule") continue;
    const output = pulumi.output(value) as Pulumi.Output<unknown>;
    // A preview against real state leaves some outputs unknown; apply() would never call back.
    if (!(await (output as unknown as { isKnown: Promise<boolean> }).isKnown)) {
      outputs[key] = "[unknown]";
      continue;
    }
    const [resolved, secret] = await Promise.all([
      new Promise((resolve) => output.apply((v: unknown) => resolve(v))),
      (output as unknown as { isSecret: Promise<boolean> }).isSecret,
    ]);
    outputs[key] = secret ? SECRET_MARK : resolved;
  }
  await settings.waitForRPCs();
  return { stack: options.stack, records, outputs, notices };
}
