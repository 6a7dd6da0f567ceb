// Pure planning for the MongoDB index reconciler: no driver, no Pulumi, no I/O.
//
// The dynamic provider ships these functions inside its serialized code (Pulumi serializes
// functions by value), so nothing here may import a module at run time: only `import type`.
import type { IndexDefinition, IndexDirection, IndexKey } from "../../../facts/indexes";

/**
 * The comparable form of one index, as inputs, state and plans hold it. False booleans and
 * absent options are left out, so that "unique: false" and "no unique" compare equal.
 */
export interface IndexSpec {
  keys: IndexKey[];
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Record<string, unknown>;
  collation?: Record<string, unknown>;
  expireAfterSeconds?: number;
}

/** Indexes of one collection keyed by index name (the name is the index's identity in MongoDB). */
export type IndexSpecs = Record<string, IndexSpec>;

export interface NamedIndexSpec {
  name: string;
  spec: IndexSpec;
}

/** One document of `listIndexes` output, as the driver returns it. */
export interface ListedIndex {
  name: string;
  key: Record<string, unknown>;
  v?: number;
  unique?: unknown;
  sparse?: unknown;
  partialFilterExpression?: Record<string, unknown>;
  collation?: Record<string, unknown>;
  expireAfterSeconds?: unknown;
  weights?: Record<string, unknown>;
  [option: string]: unknown;
}

/** Pulumi's marker for a value not known yet (during preview). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The options a spec may carry besides keys, in the order diffs report them. */
export const INDEX_OPTION_NAMES = ["unique", "sparse", "partialFilterExpression", "collation", "expireAfterSeconds"] as const;

const VALID_DIRECTIONS: readonly unknown[] = [1, -1, "text", "2dsphere", "hashed"];
const MAX_TTL_SECONDS = 2147483647;
// Collation fields whose server default does not depend on the locale (MongoDB docs, "Collation").
const LOCALE_INDEPENDENT_COLLATION_DEFAULTS: Record<string, unknown> = {
  caseLevel: false,
  strength: 3,
  numericOrdering: false,
  alternate: "non-ignorable",
  maxVariable: "punct",
  normalization: false,
};

// ---------------------------------------------------------------------------------------------
// Names and normalization

/** MongoDB's default index name: `field_1_other_-1`. */
export function defaultIndexName(keys: readonly IndexKey[]): string {
  return keys.map(([field, direction]) => `${field}_${direction}`).join("_");
}

export function indexName(definition: Pick<IndexDefinition, "keys" | "name">): string {
  return definition.name ?? defaultIndexName(definition.keys);
}

/**
 * Text fields of a text index come back from the server as `_fts`/`_ftsx` plus a `weights`
 * document whose order is not the declared one: compare them as a sorted block.
 */
function canonicalKeys(keys: readonly IndexKey[]): IndexKey[] {
  const firstText = keys.findIndex(([, direction]) => direction === "text");
  if (firstText < 0) return keys.map(([field, direction]) => [field, direction]);
  const textFields = keys.filter(([, d]) => d === "text").map(([field]) => field).sort();
  const others = keys.filter(([, d]) => d !== "text");
  const before = others.filter((_, i) => i < firstText);
  const after = others.filter((_, i) => i >= firstText);
  return [...before, ...textFields.map((field): IndexKey => [field, "text"]), ...after];
}

/** Turns any value into plain JSON-able data (state travels through protobuf Structs). */
export function toPlainData(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(toPlainData);
  if (typeof value === "object") {
    const bsonType = (value as { _bsontype?: unknown })._bsontype;
    if (typeof bsonType === "string") {
      // Long, Decimal128, ObjectId...: keep a readable, comparable form.
      const asNumber = Number((value as { toString(): string }).toString());
      return ["Long", "Int32", "Double"].includes(bsonType) && Number.isFinite(asNumber) ? asNumber : String(value);
    }
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) result[k] = toPlainData(v);
    }
    return result;
  }
  return String(value);
}

/** JSON with object keys sorted: equality of filters and collations regardless of key order. */
function canonicalJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sortKeys(toPlainData(value)));
}

function sameData(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function isTrue(value: unknown): boolean {
  return value === true || value === 1;
}

function asNumber(value: unknown): number | undefined {
  const plain = toPlainData(value);
  return typeof plain === "number" && Number.isFinite(plain) ? plain : undefined;
}

/** The "simple" collation is what MongoDB uses without one: treat it as absent. */
function normalizeCollation(collation: unknown): Record<string, unknown> | undefined {
  if (collation === undefined || collation === null) return undefined;
  const plain = toPlainData(collation) as Record<string, unknown>;
  if (plain.locale === "simple") return undefined;
  // `version` is the ICU version the server recorded, not something a declaration chooses.
  const { version: _icuVersion, ...rest } = plain;
  return rest;
}

/** Normalizes a spec from inputs or state: drops false/empty options, copies keys. */
export function normalizeSpec(spec: IndexSpec): IndexSpec {
  const result: IndexSpec = { keys: canonicalKeys(spec.keys ?? []) };
  if (isTrue(spec.unique)) result.unique = true;
  if (isTrue(spec.sparse)) result.sparse = true;
  if (spec.partialFilterExpression !== undefined && spec.partialFilterExpression !== null) {
    result.partialFilterExpression = toPlainData(spec.partialFilterExpression) as Record<string, unknown>;
  }
  const collation = normalizeCollation(spec.collation);
  if (collation) result.collation = collation;
  const ttl = asNumber(spec.expireAfterSeconds);
  if (ttl !== undefined) result.expireAfterSeconds = ttl;
  return result;
}

export function specFromDefinition(definition: IndexDefinition): IndexSpec {
  return normalizeSpec({
    keys: definition.keys,
    unique: definition.unique,
    sparse: definition.sparse,
    partialFilterExpression: definition.partialFilterExpression,
    collation: definition.collation as Record<string, unknown> | undefined,
    expireAfterSeconds: definition.expireAfterSeconds,
  });
}

/** Groups definitions by collection; within one, indexes keyed by name (first wins). */
export function specsByCollection(definitions: readonly IndexDefinition[]): Map<string, IndexSpecs> {
  const result = new Map<string, IndexSpecs>();
  for (const definition of definitions) {
    const specs = result.get(definition.collection) ?? {};
    const name = indexName(definition);
    if (!(name in specs)) specs[name] = specFromDefinition(definition);
    result.set(definition.collection, specs);
  }
  return result;
}

function normalizeDirection(value: unknown): IndexDirection {
  const plain = toPlainData(value);
  if (typeof plain === "number") return (plain < 0 ? -1 : 1) as IndexDirection;
  return plain as IndexDirection;
}

/** Normalizes one `listIndexes` document to the comparable form. */
export function normalizeListedIndex(listed: ListedIndex): NamedIndexSpec {
  const keys: IndexKey[] = [];
  for (const [field, direction] of Object.entries(listed.key)) {
    if (field === "_fts") {
      for (const textField of Object.keys(listed.weights ?? {})) keys.push([textField, "text"]);
    } else if (field !== "_ftsx") {
      keys.push([field, normalizeDirection(direction)]);
    }
  }
  return {
    name: listed.name,
    spec: normalizeSpec({
      keys,
      unique: isTrue(listed.unique),
      sparse: isTrue(listed.sparse),
      partialFilterExpression: listed.partialFilterExpression,
      collation: listed.collation,
      expireAfterSeconds: asNumber(listed.expireAfterSeconds),
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Comparison

export function sameKeys(a: readonly IndexKey[], b: readonly IndexKey[]): boolean {
  const left = canonicalKeys(a);
  const right = canonicalKeys(b);
  return left.length === right.length && left.every(([field, direction], i) => field === right[i][0] && direction === right[i][1]);
}

/**
 * Whether a server's collation satisfies a declared one. The server reports every field, filled
 * with defaults; a declaration names only some. Fields the declaration leaves out are compared
 * against the defaults that do not depend on the locale; the rest only when declared.
 */
export function collationSatisfies(declared: Record<string, unknown> | undefined, actual: Record<string, unknown> | undefined): boolean {
  const wanted = normalizeCollation(declared);
  const present = normalizeCollation(actual);
  if (!wanted || !present) return !wanted && !present;
  const expected: Record<string, unknown> = { ...LOCALE_INDEPENDENT_COLLATION_DEFAULTS, ...wanted };
  return Object.entries(expected).every(([field, value]) => {
    if (!(field in present) && !(field in wanted)) return true;
    return sameData(present[field], value);
  });
}

/** MongoDB's identity of an index apart from its name: keys, collation and partial filter. */
function sameKeyPattern(declared: IndexSpec, actual: IndexSpec): boolean {
  return (
    sameKeys(declared.keys, actual.keys) &&
    collationSatisfies(declared.collation, actual.collation) &&
    sameData(declared.partialFilterExpression ?? null, actual.partialFilterExpression ?? null)
  );
}

/** Whether what the server holds (`actual`) is what was declared. */
export function specsEquivalent(declared: IndexSpec, actual: IndexSpec): boolean {
  const d = normalizeSpec(declared);
  const a = normalizeSpec(actual);
  return (
    sameKeyPattern(d, a) &&
    Boolean(d.unique) === Boolean(a.unique) &&
    Boolean(d.sparse) === Boolean(a.sparse) &&
    d.expireAfterSeconds === a.expireAfterSeconds
  );
}

/** The properties (keys and options) in which two specs differ, exactly (no collation defaults). */
export function changedProperties(from: IndexSpec, to: IndexSpec): string[] {
  const a = normalizeSpec(from);
  const b = normalizeSpec(to);
  const changed: string[] = [];
  if (!sameKeys(a.keys, b.keys)) changed.push("keys");
  for (const option of INDEX_OPTION_NAMES) {
    if (!sameData(a[option] ?? null, b[option] ?? null)) changed.push(option);
  }
  return changed;
}

/**
 * How to turn `actual` into `declared`: nothing, `collMod` (only the TTL differs and the declared
 * index has one: MongoDB changes or adds expireAfterSeconds in place), or drop and recreate.
 */
export function classifyChange(declared: IndexSpec, actual: IndexSpec): "none" | "collMod" | "replace" {
  if (specsEquivalent(declared, actual)) return "none";
  const d = normalizeSpec(declared);
  const withDeclaredTtl = { ...normalizeSpec(actual), expireAfterSeconds: d.expireAfterSeconds };
  if (d.expireAfterSeconds !== undefined && specsEquivalent(d, withDeclaredTtl)) return "collMod";
  return "replace";
}

// ---------------------------------------------------------------------------------------------
// Validation

function isIntegerLike(field: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(field);
}

/** Problems with one collection's declared indexes, each saying what to change. */
export function validateCollectionIndexes(collection: string, entries: readonly NamedIndexSpec[]): string[] {
  const problems: string[] = [];
  const where = (name: string) => `index "${name}" on ${collection}`;
  if (!collection || collection.includes("$") || collection.includes("\0") || collection.startsWith("system.")) {
    problems.push(`collection name "${collection}" is not usable: use a non-empty name without "$" that does not start with "system."`);
  }
  const seenNames = new Map<string, number>();
  entries.forEach(({ name, spec }, position) => {
    const earlier = seenNames.get(name);
    if (earlier !== undefined) {
      problems.push(
        `collection ${collection} declares index name "${name}" twice (entries ${earlier + 1} and ${position + 1}): give one of them another \`name\` or remove the duplicate`,
      );
    }
    seenNames.set(name, position);
    if (!name || name === "_id_") problems.push(`index name "${name}" on ${collection} is reserved or empty: choose another \`name\``);
    const keys = Array.isArray(spec.keys) ? spec.keys : [];
    if (keys.length === 0) {
      problems.push(`${where(name)} has no keys: list at least one [field, direction] pair`);
      return;
    }
    const fields = new Set<string>();
    for (const key of keys) {
      const [field, direction] = Array.isArray(key) ? key : [undefined, undefined];
      if (typeof field !== "string" || field === "" || field.startsWith("$")) {
        problems.push(`${where(name)} has an invalid field name ${JSON.stringify(field)}: use a non-empty name that does not start with "$"`);
        continue;
      }
      if (keys.length > 1 && isIntegerLike(field)) {
        // JavaScript objects reorder integer-like keys, so the key order could not be verified.
        problems.push(`${where(name)} uses the numeric field name "${field}" in a compound index: rename the field or index it alone`);
      }
      if (fields.has(field)) problems.push(`${where(name)} lists field "${field}" twice: keep it once`);
      fields.add(field);
      if (!VALID_DIRECTIONS.includes(direction)) {
        problems.push(`${where(name)} has direction ${JSON.stringify(direction)} for "${field}": use 1, -1, "text", "2dsphere" or "hashed"`);
      }
    }
    if (spec.expireAfterSeconds !== undefined) {
      const ttl = spec.expireAfterSeconds;
      if (keys.length !== 1) {
        problems.push(
          `${where(name)} has a TTL (expireAfterSeconds) but ${keys.length} keys: TTL needs a single-field index, so index only the date field or drop expireAfterSeconds`,
        );
      } else if (keys[0][1] !== 1 && keys[0][1] !== -1) {
        problems.push(`${where(name)} has a TTL on a ${String(keys[0][1])} key: TTL needs an ascending or descending date field`);
      }
      if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL_SECONDS) {
        problems.push(`${where(name)} has expireAfterSeconds ${JSON.stringify(ttl)}: use a whole number of seconds from 0 to ${MAX_TTL_SECONDS}`);
      }
    }
    if (spec.collation !== undefined && typeof (spec.collation as { locale?: unknown }).locale !== "string") {
      problems.push(`${where(name)} has a collation without a locale: add \`locale\` (e.g. "en")`);
    }
  });
  // Two declarations MongoDB would see as the same index (keys + collation + partial filter).
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const a = entries[i];
      const b = entries[j];
      if (a.name !== b.name && (a.spec.keys ?? []).length > 0 && sameKeyPattern(normalizeSpec(a.spec), normalizeSpec(b.spec))) {
        problems.push(
          `collection ${collection} declares the same keys twice, as "${a.name}" and "${b.name}": MongoDB keeps one index per key pattern, so remove one of them`,
        );
      }
    }
  }
  return problems;
}

/** Problems with a whole declared set (for the component, before anything is registered). */
export function validateDefinitions(definitions: readonly IndexDefinition[]): string[] {
  const byCollection = new Map<string, NamedIndexSpec[]>();
  const problems: string[] = [];
  for (const definition of definitions) {
    if (!Array.isArray(definition.keys) || definition.keys.length === 0) {
      problems.push(`an index on ${definition.collection} has no keys: list at least one [field, direction] pair`);
      continue;
    }
    const entries = byCollection.get(definition.collection) ?? [];
    entries.push({ name: indexName(definition), spec: specFromDefinition(definition) });
    byCollection.set(definition.collection, entries);
  }
  for (const [collection, entries] of byCollection) problems.push(...validateCollectionIndexes(collection, entries));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Reconciliation plan

export interface IndexConflict {
  /** 85 IndexOptionsConflict, 86 IndexKeySpecsConflict: what MongoDB itself would answer. */
  code: 85 | 86;
  declaredName: string;
  declared: IndexSpec;
  existingName: string;
  existing: IndexSpec;
  reason: string;
}

export interface ReconcilePlan {
  /** Built by one `createIndexes` command (new indexes and the new halves of replacements). */
  create: NamedIndexSpec[];
  /** Already there exactly as declared and not made by this resource: adopted, never dropped. */
  adopt: string[];
  /** Only the TTL changes: `collMod` in place. */
  collMod: { name: string; expireAfterSeconds: number }[];
  /** Dropped and recreated because keys or an unmodifiable option changed. */
  replace: string[];
  /** Dropped: created by this resource and no longer declared, plus the old halves of replacements. */
  drop: string[];
  /** Adopted before and no longer declared: left in place, forgotten. */
  release: string[];
  /** Declarations that clash with what exists; nothing may be applied while there are any. */
  conflicts: IndexConflict[];
  /** Ownership after the plan is applied. */
  created: string[];
  adopted: string[];
}

export interface PreviousState {
  /** What the state says is there for each declared name (refresh keeps it honest). */
  declared: IndexSpecs;
  /** Names this resource created, as opposed to adopted. */
  created: readonly string[];
}

export function describeSpec(spec: IndexSpec): string {
  const s = normalizeSpec(spec);
  const parts = [`keys {${s.keys.map(([f, d]) => `${f}: ${JSON.stringify(d)}`).join(", ")}}`];
  for (const option of INDEX_OPTION_NAMES) {
    if (s[option] !== undefined) parts.push(`${option} ${canonicalJson(s[option])}`);
  }
  return parts.join(", ");
}

function conflict(code: 85 | 86, declaredName: string, declared: IndexSpec, existingName: string, existing: IndexSpec): IndexConflict {
  const what =
    code === 86
      ? `an existing index has the name "${existingName}" but other keys`
      : declaredName === existingName
        ? `an existing index has the name "${existingName}" but other options`
        : `the same keys are already indexed under another name, "${existingName}"`;
  return {
    code,
    declaredName,
    declared,
    existingName,
    existing,
    reason:
      `${what} (MongoDB code ${code}): declared "${declaredName}" {${describeSpec(declared)}} vs existing "${existingName}" {${describeSpec(existing)}}. ` +
      `Drop or rename the existing index, or change the declaration to match it.`,
  };
}

/**
 * Plans how to make the collection hold `desired`, given what `listIndexes` returned. Without
 * `previous` (create) nothing existing is ever changed: matches are adopted, clashes are
 * conflicts. With it (update) the indexes the resource already manages may be modified,
 * replaced or dropped; indexes it never declared are still never touched.
 */
export function planReconcile(args: { desired: IndexSpecs; listed: readonly ListedIndex[]; previous?: PreviousState }): ReconcilePlan {
  const existing = new Map(args.listed.map((doc) => [doc.name, normalizeListedIndex(doc).spec]));
  const previousDeclared = args.previous?.declared ?? {};
  const previouslyCreated = new Set(args.previous?.created ?? []);
  const plan: ReconcilePlan = { create: [], adopt: [], collMod: [], replace: [], drop: [], release: [], conflicts: [], created: [], adopted: [] };

  // Names no longer declared: drop what this resource created, forget what it adopted.
  for (const name of Object.keys(previousDeclared)) {
    if (name in args.desired) continue;
    if (previouslyCreated.has(name) && existing.has(name)) plan.drop.push(name);
    else if (!previouslyCreated.has(name)) plan.release.push(name);
  }

  const pendingCreates: NamedIndexSpec[] = [];
  for (const [name, rawSpec] of Object.entries(args.desired)) {
    const spec = normalizeSpec(rawSpec);
    const current = existing.get(name);
    const managed = name in previousDeclared;
    const owned = previouslyCreated.has(name);
    if (current) {
      const change = classifyChange(spec, current);
      if (change === "none") {
        if (owned) plan.created.push(name);
        else {
          plan.adopted.push(name);
          if (!managed) plan.adopt.push(name);
        }
      } else if (!managed) {
        plan.conflicts.push(conflict(sameKeys(spec.keys, current.keys) ? 85 : 86, name, spec, name, current));
      } else if (change === "collMod") {
        plan.collMod.push({ name, expireAfterSeconds: spec.expireAfterSeconds as number });
        (owned ? plan.created : plan.adopted).push(name);
      } else {
        plan.replace.push(name);
        plan.drop.push(name);
        pendingCreates.push({ name, spec });
      }
    } else {
      pendingCreates.push({ name, spec });
    }
  }

  // Same key pattern under another name: MongoDB refuses (85) unless that index is being dropped.
  const dropped = new Set(plan.drop);
  for (const pending of pendingCreates) {
    const clash = [...existing].find(([otherName, other]) => otherName !== pending.name && !dropped.has(otherName) && sameKeyPattern(pending.spec, other));
    if (clash) plan.conflicts.push(conflict(85, pending.name, pending.spec, clash[0], clash[1]));
    else {
      plan.create.push(pending);
      plan.created.push(pending.name);
    }
  }
  return plan;
}

/** Privilege actions a plan needs on the collection (MongoDB's action names). */
export function actionsNeeded(plan: Pick<ReconcilePlan, "create" | "drop" | "collMod">): string[] {
  const actions = ["listIndexes"];
  if (plan.create.length > 0) actions.push("createIndex");
  if (plan.drop.length > 0) actions.push("dropIndex");
  if (plan.collMod.length > 0) actions.push("collMod");
  return actions;
}

interface PrivilegeResource {
  db?: string;
  collection?: string;
  anyResource?: boolean;
  cluster?: boolean;
}

/** The part of `connectionStatus` (with `showPrivileges`) the privilege check reads. */
export interface ConnectionStatus {
  authInfo?: {
    authenticatedUsers?: { user: string; db: string }[];
    authenticatedUserPrivileges?: { resource: PrivilegeResource; actions: string[] }[];
  };
}

/**
 * The actions the logged-in user lacks on `database.collection`. Without an authenticated user
 * (a server without access control) there is nothing to check: the server will say.
 */
export function missingPrivileges(status: ConnectionStatus, database: string, collection: string, actions: readonly string[]): string[] {
  const users = status.authInfo?.authenticatedUsers ?? [];
  if (users.length === 0) return [];
  const applies = (resource: PrivilegeResource) =>
    resource.anyResource === true ||
    (resource.db !== undefined && (resource.db === "" || resource.db === database) && (resource.collection === "" || resource.collection === collection));
  const granted = new Set<string>();
  for (const privilege of status.authInfo?.authenticatedUserPrivileges ?? []) {
    if (applies(privilege.resource)) for (const action of privilege.actions) granted.add(action);
  }
  return actions.filter((action) => !granted.has(action));
}

// ---------------------------------------------------------------------------------------------
// Diff between state and new inputs

export interface ResourceState {
  connectionUri?: string;
  database?: string;
  collection?: string;
  indexes?: IndexSpecs;
  createdIndexes?: string[];
  adoptedIndexes?: string[];
}

export interface PlannedDiff {
  changes: boolean;
  replaces: string[];
  /** Property paths that differ, index by index: `indexes.<name>` or `indexes.<name>.<option>`. */
  changedProperties: string[];
  /** What `update` will do with each changed index. */
  indexActions: Record<string, "create" | "drop" | "release" | "collMod" | "replace">;
}

/**
 * Compares state (olds, as the last apply or refresh left it) with new inputs, without touching
 * the server: a refresh is what brings the server's view into the state.
 */
export function planDiff(olds: ResourceState, news: ResourceState): PlannedDiff {
  const replaces: string[] = [];
  const changed: string[] = [];
  for (const property of ["database", "collection"] as const) {
    if (olds[property] !== news[property]) replaces.push(property);
  }
  if (olds.connectionUri !== news.connectionUri) {
    // Another server is another resource; new credentials for the same server are an update.
    const before = olds.connectionUri ? connectionFacts(olds.connectionUri).hosts : undefined;
    const after = news.connectionUri && news.connectionUri !== UNKNOWN_VALUE ? connectionFacts(news.connectionUri).hosts : undefined;
    if (before !== undefined && after !== undefined && before !== after) replaces.push("connectionUri");
    else changed.push("connectionUri");
  }
  const indexActions: PlannedDiff["indexActions"] = {};
  const oldIndexes = olds.indexes ?? {};
  const newIndexes = news.indexes ?? {};
  const created = new Set(olds.createdIndexes ?? []);
  for (const name of Object.keys(oldIndexes)) {
    if (!(name in newIndexes)) {
      changed.push(`indexes.${name}`);
      indexActions[name] = created.has(name) ? "drop" : "release";
    }
  }
  for (const [name, spec] of Object.entries(newIndexes)) {
    const old = oldIndexes[name];
    if (!old) {
      changed.push(`indexes.${name}`);
      indexActions[name] = "create";
      continue;
    }
    const properties = changedProperties(old, spec);
    if (properties.length === 0) continue;
    changed.push(...properties.map((property) => `indexes.${name}.${property}`));
    indexActions[name] = classifyChange(spec, old) === "collMod" ? "collMod" : "replace";
  }
  return { changes: replaces.length > 0 || changed.length > 0, replaces, changedProperties: [...replaces, ...changed], indexActions };
}

// ---------------------------------------------------------------------------------------------
// Connection strings: facts that are safe to print

export interface ConnectionFacts {
  /** `host:port[,host:port]`, no credentials. */
  hosts: string;
  /** `mongodb://hosts/` without credentials or options: safe in messages. */
  endpoint: string;
  username?: string;
  password?: string;
  authSource?: string;
}

export function connectionFacts(uri: string): ConnectionFacts {
  const match = /^(mongodb(?:\+srv)?):\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?/.exec(uri ?? "");
  if (!match) return { hosts: "(unparseable URI)", endpoint: "(unparseable URI)" };
  const [, scheme, credentials, hosts, path, query] = match;
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  let username: string | undefined;
  let password: string | undefined;
  if (credentials !== undefined) {
    const colon = credentials.indexOf(":");
    username = decode(colon >= 0 ? credentials.slice(0, colon) : credentials);
    password = colon >= 0 ? decode(credentials.slice(colon + 1)) : undefined;
  }
  const params = new URLSearchParams(query ? query.slice(1) : "");
  const pathDatabase = path && path.length > 1 ? decode(path.slice(1)) : undefined;
  const authSource = params.get("authSource") ?? (username !== undefined ? (pathDatabase ?? "admin") : undefined);
  return { hosts, endpoint: `${scheme}://${hosts}/`, username, password, authSource };
}

/** Removes the URI's password (raw and encoded) and any `user:password@` from a text. */
export function redactSecrets(text: string, uri: string | undefined): string {
  let result = String(text);
  if (uri) {
    const { password } = connectionFacts(uri);
    result = result.split(uri).join(connectionFacts(uri).endpoint);
    for (const secret of [password, password && encodeURIComponent(password)]) {
      if (secret && secret.length > 0) result = result.split(secret).join("***");
    }
  }
  return result.replace(/(mongodb(?:\+srv)?:\/\/)[^@/\s]*@/g, "$1***@");
}

/** Keys as a pattern document for commands (a Map keeps the declared order through BSON). */
export function keyPattern(keys: readonly IndexKey[]): Map<string, IndexDirection> {
  return new Map(keys.map(([field, direction]) => [field, direction]));
}

/** The `createIndexes` entry for one index. */
export function indexModel(named: NamedIndexSpec): Record<string, unknown> {
  const { keys, ...options } = normalizeSpec(named.spec);
  return { key: keyPattern(keys), name: named.name, ...options };
}

