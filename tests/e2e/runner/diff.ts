// Diffs as the providers compute them: new inputs against the state (the outputs of the last
// create/update/read, in the forms the provider reads back). Which properties force a
// replacement comes from each provider's schema (for containers: ForceNew in kreuzwerker's
// internal/provider/resource_docker_container.go).
import { UNKNOWN_VALUE } from "../../../synth/evaluate";
import type { Props } from "./docker";

export interface PropertyDiff {
  kind: "add" | "add-replace" | "update" | "update-replace" | "delete" | "delete-replace";
  inputDiff: boolean;
}

export interface DiffResult {
  changes: boolean;
  /** Top-level properties that changed. */
  diffReasons: string[];
  /** Top-level properties whose change forces a replacement. */
  replaceReasons: string[];
  detailedDiff: Record<string, PropertyDiff> | null;
}

export const NO_DIFF: DiffResult = { changes: false, diffReasons: [], replaceReasons: [], detailedDiff: null };

interface Schema {
  /** Properties whose change replaces the resource ("*" = every property not in `inPlace`). */
  forceNew: ReadonlySet<string> | "*";
  inPlace?: ReadonlySet<string>;
  /** Properties that are sets (order does not matter). */
  sets?: ReadonlySet<string>;
  /** Defaults the provider fills in nested elements before comparing (`ports[].ip`). */
  elementDefaults?: Record<string, Props>;
  /** Properties never compared (the runner's own bookkeeping, provider-internal inputs). */
  ignored?: ReadonlySet<string>;
}

const CONTAINER: Schema = {
  forceNew: new Set([
    "name", "readOnly", "image", "hostname", "domainname", "command", "entrypoints", "user", "dns", "dnsOpts", "dnsSearch",
    "publishAllPorts", "workingDir", "capabilities", "securityOpts", "runtime", "platform", "stopSignal", "stopTimeout", "mounts",
    "volumes", "ports", "hosts", "ulimits", "envs", "privileged", "devices", "deviceRequests", "labels", "shmSize", "logDriver",
    "logOpts", "networkMode", "networksAdvanced", "pidMode", "usernsMode", "uploads", "sysctls", "ipcMode", "groupAdds", "tty",
    "stdinOpen", "storageOpts", "gpus", "cpus", "cgroupnsMode", "cgroupParent",
  ]),
  sets: new Set(["envs", "labels", "networksAdvanced", "uploads", "volumes", "dns", "dnsOpts", "dnsSearch", "groupAdds", "hosts", "ulimits", "devices", "mounts", "securityOpts"]),
  elementDefaults: {
    ports: { ip: "0.0.0.0", protocol: "tcp" },
    uploads: { executable: false },
    volumes: { readOnly: false },
  },
};

export const SCHEMAS: Record<string, Schema> = {
  "docker:index/container:Container": CONTAINER,
  "docker:index/network:Network": { forceNew: "*", sets: new Set(["labels", "ipamConfigs"]) },
  "docker:index/volume:Volume": { forceNew: "*", sets: new Set(["labels"]) },
  "docker:index/remoteImage:RemoteImage": { forceNew: new Set(["name", "triggers", "pullTriggers", "platform", "build"]) },
  "random:index/randomPassword:RandomPassword": { forceNew: "*" },
  "tls:index/privateKey:PrivateKey": { forceNew: "*" },
  "tls:index/certRequest:CertRequest": { forceNew: "*" },
  "tls:index/selfSignedCert:SelfSignedCert": { forceNew: "*", inPlace: new Set(["earlyRenewalHours"]) },
  "tls:index/locallySignedCert:LocallySignedCert": { forceNew: "*", inPlace: new Set(["earlyRenewalHours"]) },
  // pulumi-command: a trigger replaces; a changed command or environment is an update (runs update, else create).
  "command:local:Command": { forceNew: new Set(["triggers"]) },
  "pulumi:providers:docker": { forceNew: new Set(), ignored: new Set(["version"]) },
};

const isEmpty = (v: unknown) => (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);
const isObject = (v: unknown): v is Props => v !== null && typeof v === "object" && !Array.isArray(v);

/** Canonical text of a value for set membership and equality. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value)) return `{${Object.keys(value).filter((k) => value[k] !== undefined).sort().map((k) => `${k}:${canonical(value[k])}`).join(",")}}`;
  return JSON.stringify(value);
}

/** Keeps, in `old`, only what `news` sets (Optional+Computed properties the program leaves out are not compared). */
function project(news: unknown, old: unknown, defaults?: Props): unknown {
  if (isObject(news) && isObject(old)) {
    const withDefaults = { ...(defaults ?? {}), ...news };
    return Object.fromEntries(Object.keys(withDefaults).map((k) => [k, project(withDefaults[k], old[k])]));
  }
  return old;
}

function withDefaults(value: unknown, defaults?: Props): unknown {
  if (!defaults) return value;
  if (Array.isArray(value)) return value.map((item) => (isObject(item) ? { ...defaults, ...item } : item));
  return value;
}

function hasUnknown(value: unknown): boolean {
  if (value === UNKNOWN_VALUE) return true;
  if (Array.isArray(value)) return value.some(hasUnknown);
  if (isObject(value)) return Object.values(value).some(hasUnknown);
  return false;
}

/** Element paths that differ inside an object (`healthcheck.interval`), or the property itself. */
function innerPaths(key: string, news: unknown, old: unknown, isSet: boolean): string[] {
  if (isObject(news) && isObject(old)) {
    const paths: string[] = [];
    for (const k of Object.keys(news)) if (canonical(news[k]) !== canonical(old[k])) paths.push(`${key}.${k}`);
    return paths.length ? paths : [key];
  }
  if (!isSet && Array.isArray(news) && Array.isArray(old) && news.length === old.length) {
    const paths: string[] = [];
    news.forEach((item, i) => {
      if (canonical(item) === canonical(old[i])) return;
      if (isObject(item) && isObject(old[i])) {
        for (const k of Object.keys(item)) if (canonical(item[k]) !== canonical((old[i] as Props)[k])) paths.push(`${key}[${i}].${k}`);
      } else paths.push(`${key}[${i}]`);
    });
    return paths.length ? paths : [key];
  }
  return [key];
}

/**
 * The provider's diff of `news` (inputs as sent) against `olds` (state outputs) and
 * `oldInputs` (inputs of the last deployment, for properties the program stopped sending).
 */
// `ignoreChanges` is the resource option as the program registered it, honoured as the engine
// does; the program sets none (tests/graph.readback.test.ts), it sends read-back forms instead.
export function diffResource(type: string, olds: Props, oldInputs: Props, news: Props, ignoreChanges: string[] = []): DiffResult {
  const schema = SCHEMAS[type] ?? { forceNew: "*" };
  const diffReasons: string[] = [];
  const replaceReasons: string[] = [];
  const detailedDiff: Record<string, PropertyDiff> = {};
  const forces = (key: string) => (schema.forceNew === "*" ? !schema.inPlace?.has(key) : schema.forceNew.has(key));
  const keys = new Set([...Object.keys(news), ...Object.keys(oldInputs)]);
  for (const key of keys) {
    if (schema.ignored?.has(key) || ignoreChanges.includes(key) || key.startsWith("__")) continue;
    // Terraform treats an empty list or map in the config as not set (no diff against a computed value).
    const next = isEmpty(news[key]) ? undefined : news[key];
    const defaults = schema.elementDefaults?.[key];
    const isSet = schema.sets?.has(key) ?? false;
    let kind: PropertyDiff["kind"] | undefined;
    if (next === undefined) {
      if (!isEmpty(oldInputs[key]) && oldInputs[key] !== undefined) kind = "delete";
    } else if (olds[key] === undefined || olds[key] === null) {
      if (!(Array.isArray(next) && next.length === 0) && !(isObject(next) && Object.keys(next).length === 0)) kind = "add";
    } else {
      const a = withDefaults(next, defaults);
      // The state holds the provider's defaults too (Terraform stores them): apply them to both sides.
      const b = project(a, withDefaults(olds[key], defaults), undefined);
      const equal = hasUnknown(a)
        ? false
        : isSet && Array.isArray(a) && Array.isArray(b)
          ? canonicalSet(a) === canonicalSet(b)
          : canonical(a) === canonical(b);
      if (!equal) kind = "update";
    }
    if (!kind) continue;
    if (process.env.E2E_DEBUG_DIFF && Array.isArray(next) && Array.isArray(olds[key])) {
      // Which set elements differ, by their `file`/`name`/`label` only: never a value (uploads hold secrets).
      const id = (x: unknown) => (isObject(x) ? String(x.file ?? x.name ?? x.label ?? x.containerPath ?? "?") : "?");
      const oldSet = new Set((olds[key] as unknown[]).map(canonical));
      const newSet = new Set((next as unknown[]).map(canonical));
      const added = (next as unknown[]).filter((x) => !oldSet.has(canonical(x))).map(id);
      const removed = (olds[key] as unknown[]).filter((x) => !newSet.has(canonical(x))).map(id);
      process.stderr.write(`diff ${type} ${key}: new-only ${added.join(", ")}; old-only ${removed.join(", ")}\n`);
    }
    const replace = forces(key);
    diffReasons.push(key);
    if (replace) replaceReasons.push(key);
    const fullKind = (replace ? `${kind}-replace` : kind) as PropertyDiff["kind"];
    const paths = kind === "update" ? innerPaths(key, withDefaults(next, defaults), olds[key], isSet) : [key];
    for (const p of paths) detailedDiff[p] = { kind: fullKind, inputDiff: false };
  }
  return { changes: diffReasons.length > 0, diffReasons, replaceReasons, detailedDiff: diffReasons.length ? detailedDiff : null };
}

function canonicalSet(items: unknown[]): string {
  return items
    .map((item) => (isObject(item) ? canonical(Object.fromEntries(Object.entries(item).map(([k, v]) => [k, Array.isArray(v) ? [...v].map(canonical).sort() : v]))) : canonical(item)))
    .sort()
    .join("|");
}
