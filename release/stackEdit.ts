// Reads, validates and edits Pulumi.<stack>.yaml for promote and rollback. Edits go through the
// YAML Document (not a re-dump of the data), so comments, key order and quoting survive, and
// only `enrichment:release` / `enrichment:releaseHistory` change. `secure:` values are never
// decrypted, printed or touched.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { ConfigError, parseStackConfig } from "../config/load";
import { PROJECT, Release, SECRET_KEYS, SecretKey, Settings } from "../config/schema";
import { parseStackFile, SECRET_PLACEHOLDER, StackFile, StackFileError } from "../config/stackFile";
import { UsageError } from "./cli";
import { quoteForBothReaders } from "../config/yamlReaders";

export type HistoryEntry = Settings["releaseHistory"][number];

export const RELEASE_KEY = `${PROJECT}:release`;
export const HISTORY_KEY = `${PROJECT}:releaseHistory`;
/** Older entries fall off the file (git keeps them); rollback rarely needs more than a few. */
export const HISTORY_LIMIT = 10;

export interface LoadedStack {
  stack: string;
  path: string;
  text: string;
  file: StackFile;
  settings: Settings;
}

export function stackFilePath(dir: string, stack: string): string {
  return path.join(dir, `Pulumi.${stack}.yaml`);
}

export interface Validation {
  file?: StackFile;
  settings?: Settings;
  problems: string[];
}

/**
 * Validates a stack file's text with the program's own rules (config/load.ts parseStackConfig).
 * Secrets are checked for form only (a secret key must be `secure:`); a required secret that is
 * not set yet is no concern of promote and rollback, which never change secrets: `pulumi up`
 * names a missing one.
 */
export function validateStackText(stack: string, text: string, filePath: string): Validation {
  let file: StackFile;
  try {
    file = parseStackFile(text, filePath);
  } catch (error) {
    if (error instanceof StackFileError) return { problems: [error.message] };
    throw error;
  }
  const values = { ...file.raw.values };
  const secretKeys = new Set(file.raw.secretKeys);
  const unset = (Object.keys(SECRET_KEYS) as SecretKey[]).filter((key) => !(key in values));
  for (const key of unset) {
    values[key] = SECRET_PLACEHOLDER(key);
    secretKeys.add(key);
  }
  try {
    // Secrets are never read here (only validation matters), so a placeholder stands for each:
    // the Pulumi SDK, whose secret outputs the program uses, stays unloaded.
    const config = parseStackConfig(stack, { values, secretKeys, problems: file.raw.problems }, () => "[offline]");
    return { file, settings: config.settings, problems: [] };
  } catch (error) {
    if (error instanceof ConfigError) return { file, problems: error.problems };
    throw error;
  }
}

/** Reads and validates a stack file; a missing or invalid file is a UsageError (exit 3). */
export function loadStack(stack: string, filePath: string): LoadedStack {
  if (!fs.existsSync(filePath)) throw new UsageError(`${filePath}: no such stack file`);
  const text = fs.readFileSync(filePath, "utf8");
  const result = validateStackText(stack, text, filePath);
  if (result.problems.length > 0 || !result.file || !result.settings) {
    throw new UsageError(`${filePath} does not validate; fix it first (nothing was changed):`, result.problems);
  }
  return { stack, path: filePath, text, file: result.file, settings: result.settings };
}

/** Validates the text about to be written; refuses (UsageError, exit 3) when it would not validate. */
export function checkBeforeWrite(stack: string, filePath: string, text: string): void {
  const result = validateStackText(stack, text, filePath);
  if (result.problems.length > 0) {
    throw new UsageError(`refusing to write ${filePath}: the result would not validate (nothing was changed):`, result.problems);
  }
}

/** Writes through a temporary file and a rename, so an interrupted write never leaves half a file. */
export function writeAtomically(filePath: string, text: string): void {
  const temporary = path.join(path.dirname(filePath), `.${path.basename(filePath)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, text, { mode: fs.existsSync(filePath) ? fs.statSync(filePath).mode : 0o644 });
  fs.renameSync(temporary, filePath);
}

function configMap(doc: YAML.Document): YAML.YAMLMap {
  const config = doc.get("config", true);
  if (!YAML.isMap(config)) throw new UsageError("the stack file has no 'config:' mapping");
  return config;
}

function keyOf(pair: YAML.Pair): unknown {
  return YAML.isScalar(pair.key) ? pair.key.value : pair.key;
}

function findPair(map: YAML.YAMLMap, key: string): YAML.Pair | undefined {
  return map.items.find((pair) => keyOf(pair) === key);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Makes `node` hold `value`, changing as little as possible: existing keys keep their place,
 * comments and quoting; scalars keep their style; new keys are appended; removed keys go.
 */
function assign(doc: YAML.Document, node: unknown, value: unknown): unknown {
  if (YAML.isMap(node) && isPlainObject(value)) {
    node.items = node.items.filter((pair) => {
      const key = keyOf(pair);
      return typeof key === "string" && key in value;
    });
    for (const [key, child] of Object.entries(value)) {
      const pair = findPair(node, key);
      if (pair) pair.value = assign(doc, pair.value, child);
      else node.items.push(doc.createPair(key, child));
    }
    return node;
  }
  if (YAML.isScalar(node) && value !== null && typeof value !== "object" && typeof node.value === typeof value) {
    node.value = value;
    return node;
  }
  const created = doc.createNode(value);
  if (YAML.isCollection(node) && YAML.isCollection(created)) created.flow = node.flow;
  return created;
}

function historySeq(doc: YAML.Document, config: YAML.YAMLMap): YAML.YAMLSeq {
  const pair = findPair(config, HISTORY_KEY);
  if (pair && YAML.isSeq(pair.value)) return pair.value;
  const seq = new YAML.YAMLSeq(doc.schema);
  if (pair) {
    pair.value = seq;
  } else {
    // A new history goes right below the release it belongs to.
    const releaseIndex = config.items.findIndex((p) => keyOf(p) === RELEASE_KEY);
    config.items.splice(releaseIndex + 1, 0, doc.createPair(HISTORY_KEY, seq));
  }
  return seq;
}

function render(doc: YAML.Document): string {
  // What the tool writes must mean the same to Pulumi's CLI and to the synth (an ISO time written
  // plain is a timestamp to the CLI's Go YAML reader).
  quoteForBothReaders(doc);
  // lineWidth 0: never fold long image references (the files round-trip byte for byte).
  return doc.toString({ lineWidth: 0 });
}

function cloneDocument(stack: LoadedStack): YAML.Document {
  // Edits happen on a fresh parse so the loaded document stays as read.
  return YAML.parseDocument(stack.text);
}

function releasePair(config: YAML.YAMLMap): YAML.Pair {
  const pair = findPair(config, RELEASE_KEY);
  if (!pair) throw new UsageError(`the stack file has no ${RELEASE_KEY} block`);
  return pair;
}

/**
 * The stack file text with `release` installed and the release it replaces recorded first in
 * `releaseHistory` (capped at HISTORY_LIMIT entries).
 */
export function withPromotedRelease(target: LoadedStack, release: Release, replacedAt: Date): string {
  const doc = cloneDocument(target);
  const config = configMap(doc);
  const current = releasePair(config);

  // The replaced release moves into the history as it was written (quoting kept), minus its
  // comments: they describe the live block and would pile up with every promotion.
  const recorded = (YAML.isNode(current.value) ? current.value.clone() : doc.createNode(target.settings.release)) as YAML.Node;
  YAML.visit(recorded, {
    Node(_key, node) {
      node.comment = undefined;
      node.commentBefore = undefined;
      node.spaceBefore = undefined;
    },
  });
  const entry = doc.createNode({ release: null, replacedAt: replacedAt.toISOString(), replacedBy: release.version }) as YAML.YAMLMap;
  entry.set("release", recorded);
  const seq = historySeq(doc, config);
  seq.items.unshift(entry);
  seq.items.splice(HISTORY_LIMIT);
  seq.flow = false;

  current.value = assign(doc, current.value, release);
  return render(doc);
}

/** The stack file text with history entry `index` restored as the release and it and newer entries dropped. */
export function withRolledBackRelease(target: LoadedStack, index: number): string {
  const history = target.settings.releaseHistory;
  const entry = history[index];
  if (!entry) throw new UsageError(`${target.path}: no recorded release at position ${index}`);
  const doc = cloneDocument(target);
  const config = configMap(doc);
  const current = releasePair(config);
  current.value = assign(doc, current.value, entry.release);
  const seq = historySeq(doc, config);
  seq.items.splice(0, index + 1);
  // An empty history reads as `[]`, as in a fresh stack file.
  seq.flow = seq.items.length === 0;
  return render(doc);
}

/** Deep equality of two releases (key order ignored). */
export function sameRelease(a: Release, b: Release): boolean {
  const canonical = (value: unknown): unknown =>
    isPlainObject(value) ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])])) : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** The `enrichment:canary` block as written: what runs the candidate. */
export interface CanaryBlock {
  release: { version: string; images: Record<string, string> };
  workers: number;
  agents: string[];
  agentReplicas?: Record<string, number>;
}

export const CANARY_KEY = `${PROJECT}:canary`;

/**
 * The stack file text with `enrichment:canary` set to `canary` (added below the release
 * history, or the release, when the file has none), or removed when `canary` is undefined.
 * Everything else stays as written.
 */
export function withCanary(text: string, canary: CanaryBlock | undefined): string {
  const doc = YAML.parseDocument(text);
  const config = configMap(doc);
  const pair = findPair(config, CANARY_KEY);
  if (!canary) {
    if (pair) config.items.splice(config.items.indexOf(pair), 1);
    return render(doc);
  }
  // Drop agentReplicas when it is not given, rather than leave a stale one behind.
  const value: Record<string, unknown> = { release: canary.release, workers: canary.workers, agents: canary.agents, ...(canary.agentReplicas ? { agentReplicas: canary.agentReplicas } : {}) };
  if (pair) {
    pair.value = assign(doc, pair.value, value);
  } else {
    const after = [HISTORY_KEY, RELEASE_KEY].map((key) => config.items.findIndex((p) => keyOf(p) === key)).find((index) => index >= 0) ?? config.items.length - 1;
    config.items.splice(after + 1, 0, doc.createPair(CANARY_KEY, value));
  }
  return render(doc);
}
