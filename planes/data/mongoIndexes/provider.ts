// The dynamic provider that reconciles one collection's declared indexes with MongoDB.
//
// Pulumi serializes this object's methods (and everything they reference) into text that its
// dynamic-provider host later loads with require-from-string, from the project directory. Hence:
// - the methods never reference an imported module: a captured module does not serialize (it
//   drags in native code) and a relative require("./plan") would resolve against the host's
//   working directory, not this folder. `mongodb` is require()d inside the methods; the pure
//   planning functions are copied into `planner` below and serialized by value with it.
// - the connection URI only ever arrives in the method arguments (inputs/state), never in a
//   closure, so the serialized provider holds no secret.
import type * as pulumi from "@pulumi/pulumi";
import type { Db } from "mongodb";
import * as plan from "./plan";
import type { ConnectionStatus, IndexSpecs, ListedIndex, ReconcilePlan } from "./plan";

export interface ConnectionTimeouts {
  /** How long to look for a usable server (unreachable host, wrong port). */
  serverSelectionMs?: number;
  /** How long to wait for the TCP/TLS connection. */
  connectMs?: number;
  /** Server-side limit (maxTimeMS) of each command; the socket waits a little longer. */
  commandMs?: number;
}

export interface CollectionIndexesInputs {
  /** mongodb:// URI with credentials: secret in inputs and state. */
  connectionUri: string;
  database: string;
  collection: string;
  /** Declared indexes keyed by name. */
  indexes: IndexSpecs;
  timeouts?: ConnectionTimeouts;
}

export interface CollectionIndexesOutputs extends CollectionIndexesInputs {
  /** Names this resource built: the only ones `delete` drops. */
  createdIndexes: string[];
  /** Names that already existed as declared: kept on delete. */
  adoptedIndexes: string[];
}

export const DEFAULT_TIMEOUTS: Required<ConnectionTimeouts> = { serverSelectionMs: 15_000, connectMs: 10_000, commandMs: 60_000 };

// What the methods use from ./plan, as plain function values (see the header).
const planner = {
  planReconcile: plan.planReconcile,
  planDiff: plan.planDiff,
  normalizeSpec: plan.normalizeSpec,
  normalizeListedIndex: plan.normalizeListedIndex,
  specsEquivalent: plan.specsEquivalent,
  validateCollectionIndexes: plan.validateCollectionIndexes,
  missingPrivileges: plan.missingPrivileges,
  actionsNeeded: plan.actionsNeeded,
  indexModel: plan.indexModel,
  connectionFacts: plan.connectionFacts,
  redactSecrets: plan.redactSecrets,
  UNKNOWN_VALUE: plan.UNKNOWN_VALUE,
};

const SOCKET_GRACE_MS = 1_000;
const NAMESPACE_NOT_FOUND = 26;

/** Where a provider call is, for error messages: the current step and what already changed. */
interface Progress {
  step: string;
  applied: string[];
  /** Set while a changing command is in flight: if the connection fails then, its outcome is unknown. */
  changing?: boolean;
}

interface ReconcilerError extends Error {
  fromIndexReconciler: true;
}

function reconcilerError(message: string): ReconcilerError {
  return Object.assign(new Error(message), { fromIndexReconciler: true as const });
}

function resolveTimeouts(timeouts: ConnectionTimeouts | undefined): Required<ConnectionTimeouts> {
  return {
    serverSelectionMs: timeouts?.serverSelectionMs ?? DEFAULT_TIMEOUTS.serverSelectionMs,
    connectMs: timeouts?.connectMs ?? DEFAULT_TIMEOUTS.connectMs,
    commandMs: timeouts?.commandMs ?? DEFAULT_TIMEOUTS.commandMs,
  };
}

interface DriverError {
  name?: string;
  code?: unknown;
  codeName?: string;
  message?: string;
  cause?: unknown;
}

function errorChain(error: unknown): DriverError[] {
  const chain: DriverError[] = [];
  for (let current = error; current && typeof current === "object" && chain.length < 5; current = (current as DriverError).cause) {
    chain.push(current as DriverError);
  }
  return chain;
}

/**
 * Turns a driver error into one that says what went wrong in the reconciler's terms, with every
 * credential removed (driver messages can quote the URI).
 */
export function describeMongoError(error: unknown, target: CollectionIndexesInputs, progress: Progress): Error {
  if ((error as Partial<ReconcilerError>)?.fromIndexReconciler) return error as Error;
  const facts = planner.connectionFacts(target.connectionUri);
  const timeouts = resolveTimeouts(target.timeouts);
  const chain = errorChain(error);
  const first = chain[0] ?? { message: String(error) };
  const detail = planner.redactSecrets(first.message ?? String(error), target.connectionUri);
  const namespace = `${target.database}.${target.collection}`;
  const user = facts.username ?? "(none in the URI)";
  const has = (test: (e: DriverError) => boolean) => chain.some(test);
  let message: string;
  if (has((e) => e.code === 18 || e.codeName === "AuthenticationFailed")) {
    message = `login failed for user ${user} (authSource ${facts.authSource ?? "admin"}) at ${facts.endpoint}: check the MongoDB password the stack provides`;
  } else if (has((e) => e.code === 13 || e.codeName === "Unauthorized")) {
    message = `missing privilege: user ${user} may not ${progress.step} on ${namespace}; it needs dbAdmin on ${target.database} (server said: ${detail})`;
  } else if (first.name === "MongoServerSelectionError") {
    message = `cannot reach MongoDB at ${facts.endpoint} (no usable server within ${timeouts.serverSelectionMs} ms): ${detail}`;
  } else if (has((e) => e.code === 50 || e.name === "MongoNetworkTimeoutError" || e.name === "MongoOperationTimeoutError")) {
    message = `MongoDB at ${facts.endpoint} did not answer ${progress.step} on ${namespace} within ${timeouts.commandMs} ms: ${detail}`;
  } else if (first.name === "MongoNetworkError") {
    message = `the connection to MongoDB at ${facts.endpoint} dropped during ${progress.step} on ${namespace}: ${detail}`;
  } else if (first.code === 85 || first.code === 86) {
    message = `index conflict on ${namespace} during ${progress.step} (MongoDB code ${String(first.code)} ${first.codeName ?? ""}): ${detail}`;
  } else if (first.name === "MongoParseError" || first.name === "MongoInvalidArgumentError" || first.name === "MongoAPIError" || (progress.step === "connect" && first.code === undefined)) {
    message = `the MongoDB connection URI for ${facts.endpoint} is not usable: ${detail}`;
  } else {
    const code = first.code !== undefined ? ` (MongoDB code ${String(first.code)}${first.codeName ? ` ${first.codeName}` : ""})` : "";
    message = `${progress.step} on ${namespace} at ${facts.endpoint} failed${code}: ${detail}`;
  }
  const connectionLost = has((e) => typeof e.name === "string" && (e.name.startsWith("MongoNetwork") || e.name === "MongoOperationTimeoutError"));
  return reconcilerError(`MongoDB indexes of ${namespace}: ${message}. ${appliedSummary(progress, connectionLost)}`);
}

function appliedSummary(progress: Progress, connectionLost = false): string {
  const refresh = "Run `pulumi refresh` so the state records what the database holds.";
  const unknown = progress.changing && connectionLost ? `The outcome of ${progress.step} is unknown (the connection failed while it ran). ` : "";
  if (progress.applied.length === 0) return unknown ? `${unknown}${refresh}` : "Nothing was changed.";
  return `${unknown}Already applied before the failure: ${progress.applied.join("; ")}. ${refresh}`;
}

/** Connects, runs `work`, always disconnects; every failure comes out described and redacted. */
async function withDatabase<T>(target: CollectionIndexesInputs, progress: Progress, work: (db: Db) => Promise<T>): Promise<T> {
  // Loaded here, not imported: see the header.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mongodb = require("mongodb") as typeof import("mongodb");
  const timeouts = resolveTimeouts(target.timeouts);
  let client: InstanceType<typeof mongodb.MongoClient> | undefined;
  try {
    progress.step = "connect";
    client = new mongodb.MongoClient(target.connectionUri, {
      serverSelectionTimeoutMS: timeouts.serverSelectionMs,
      connectTimeoutMS: timeouts.connectMs,
      socketTimeoutMS: timeouts.commandMs + SOCKET_GRACE_MS,
      maxPoolSize: 1,
      appName: "pulumi-mongo-index-reconciler",
    });
    await client.connect();
    return await work(client.db(target.database));
  } catch (error) {
    throw describeMongoError(error, target, progress);
  } finally {
    await client?.close().catch(() => undefined);
  }
}

async function listIndexes(db: Db, target: CollectionIndexesInputs, progress: Progress): Promise<ListedIndex[]> {
  progress.step = "listIndexes";
  try {
    const listed = await db
      .collection(target.collection)
      .listIndexes({ maxTimeMS: resolveTimeouts(target.timeouts).commandMs })
      .toArray();
    return listed as unknown as ListedIndex[];
  } catch (error) {
    // No collection yet: no indexes; createIndexes will create it.
    if ((error as DriverError).code === NAMESPACE_NOT_FOUND) return [];
    throw error;
  }
}

/** Fails before any change when the logged-in user lacks what the plan needs. */
async function ensurePrivileges(db: Db, target: CollectionIndexesInputs, progress: Progress, actions: string[]): Promise<void> {
  progress.step = "connectionStatus";
  const status = (await db.command({ connectionStatus: 1, showPrivileges: true })) as ConnectionStatus;
  const missing = planner.missingPrivileges(status, target.database, target.collection, actions);
  if (missing.length === 0) return;
  const user = status.authInfo?.authenticatedUsers?.map((u) => `${u.user}@${u.db}`).join(", ") ?? "(unknown)";
  throw reconcilerError(
    `MongoDB indexes of ${target.database}.${target.collection}: missing privilege: user ${user} lacks ${missing.join(", ")} on ${target.database}.${target.collection}; ` +
      `it needs dbAdmin on ${target.database}. ${appliedSummary(progress)}`,
  );
}

function conflictError(target: CollectionIndexesInputs, reconcile: ReconcilePlan): Error {
  const lines = reconcile.conflicts.map((c) => `  - ${c.reason}`);
  return reconcilerError(
    `MongoDB indexes of ${target.database}.${target.collection}: ${reconcile.conflicts.length} declared index(es) clash with existing ones; nothing was changed:\n${lines.join("\n")}`,
  );
}

/** Applies a plan in the only safe order: collMod, drops (frees names and key patterns), one createIndexes. */
async function applyPlan(db: Db, target: CollectionIndexesInputs, progress: Progress, reconcile: ReconcilePlan): Promise<void> {
  const maxTimeMS = resolveTimeouts(target.timeouts).commandMs;
  progress.changing = true;
  for (const change of reconcile.collMod) {
    progress.step = `collMod of ${change.name}`;
    await db.command({ collMod: target.collection, index: { name: change.name, expireAfterSeconds: change.expireAfterSeconds }, maxTimeMS });
    progress.applied.push(`set expireAfterSeconds of ${change.name} to ${change.expireAfterSeconds}`);
  }
  if (reconcile.drop.length > 0) {
    progress.step = `dropIndexes of ${reconcile.drop.join(", ")}`;
    await db.command({ dropIndexes: target.collection, index: reconcile.drop, maxTimeMS });
    progress.applied.push(`dropped ${reconcile.drop.join(", ")}`);
  }
  if (reconcile.create.length > 0) {
    progress.step = `createIndexes of ${reconcile.create.map((c) => c.name).join(", ")}`;
    await db.command({ createIndexes: target.collection, indexes: reconcile.create.map(planner.indexModel), maxTimeMS });
    progress.applied.push(`created ${reconcile.create.map((c) => c.name).join(", ")}`);
  }
  progress.changing = false;
}

function normalizeIndexes(indexes: IndexSpecs | undefined): IndexSpecs {
  // During a preview the whole map may still be unknown (a marker string): leave it as it is.
  if (!indexes || typeof indexes !== "object") return indexes as unknown as IndexSpecs;
  return Object.fromEntries(Object.entries(indexes).map(([name, spec]) => [name, planner.normalizeSpec(spec)]));
}

function resourceId(target: Pick<CollectionIndexesInputs, "database" | "collection">): string {
  return `${target.database}.${target.collection}`;
}

function outputsFor(inputs: CollectionIndexesInputs, reconcile: ReconcilePlan): CollectionIndexesOutputs {
  return { ...inputs, indexes: normalizeIndexes(inputs.indexes), createdIndexes: reconcile.created, adoptedIndexes: reconcile.adopted };
}

function isKnownString(value: unknown): value is string {
  return typeof value === "string" && value !== planner.UNKNOWN_VALUE;
}

export const mongoIndexesProvider: pulumi.dynamic.ResourceProvider<CollectionIndexesInputs, CollectionIndexesOutputs> = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (isKnownString(news.connectionUri) && !/^mongodb(\+srv)?:\/\//.test(news.connectionUri)) {
      failures.push({ property: "connectionUri", reason: "must be a mongodb:// or mongodb+srv:// URI" });
    }
    if (news.connectionUri !== undefined && typeof news.connectionUri !== "string") {
      failures.push({ property: "connectionUri", reason: "must be a string" });
    }
    if (news.connectionUri === undefined) failures.push({ property: "connectionUri", reason: "is required" });
    if (isKnownString(news.database) && (news.database === "" || /[/\\. "$\0]/.test(news.database))) {
      failures.push({ property: "database", reason: `"${news.database}" is not a valid database name: no empty name, and none of / \\ . " $ or spaces` });
    }
    if (news.database === undefined) failures.push({ property: "database", reason: "is required" });
    if (news.collection === undefined) failures.push({ property: "collection", reason: "is required" });
    if (news.indexes === undefined) failures.push({ property: "indexes", reason: "is required (an empty map declares no index)" });
    const indexes = news.indexes && typeof news.indexes === "object" ? news.indexes : {};
    if (isKnownString(news.collection)) {
      const entries = Object.entries(indexes).map(([name, spec]) => ({ name, spec }));
      for (const reason of planner.validateCollectionIndexes(news.collection, entries)) failures.push({ property: "indexes", reason });
    }
    return { inputs: { ...news, indexes: normalizeIndexes(news.indexes) }, failures };
  },

  async diff(_id, olds, news) {
    const planned = planner.planDiff(olds, { ...news, indexes: normalizeIndexes(news.indexes) });
    // The engine reads changes/replaces; changedProperties (`indexes.<name>.<option>`) is for people and tests.
    const result: pulumi.dynamic.DiffResult & { changedProperties: string[] } = {
      changes: planned.changes,
      replaces: planned.replaces,
      deleteBeforeReplace: false,
      changedProperties: planned.changedProperties,
    };
    return result;
  },

  async create(inputs) {
    const progress: Progress = { step: "create", applied: [] };
    return withDatabase(inputs, progress, async (db) => {
      const listed = await listIndexes(db, inputs, progress);
      const reconcile = planner.planReconcile({ desired: inputs.indexes, listed });
      if (reconcile.conflicts.length > 0) throw conflictError(inputs, reconcile);
      await ensurePrivileges(db, inputs, progress, planner.actionsNeeded(reconcile));
      await applyPlan(db, inputs, progress, reconcile);
      return { id: resourceId(inputs), outs: outputsFor(inputs, reconcile) };
    });
  },

  async read(id, props) {
    if (!props || !isKnownString(props.connectionUri)) {
      throw reconcilerError(`MongoDB indexes ${id}: cannot read without the connection URI in the state; import is not supported, declare the indexes instead`);
    }
    const state = props;
    const progress: Progress = { step: "read", applied: [] };
    return withDatabase(state, progress, async (db) => {
      const actual = new Map((await listIndexes(db, state, progress)).map((doc) => [doc.name, planner.normalizeListedIndex(doc).spec]));
      // What the database holds for each declared name; an index that is gone is left out.
      // An unchanged index keeps its recorded form, so a server's expanded defaults are no drift.
      const indexes: IndexSpecs = {};
      for (const [name, recorded] of Object.entries(state.indexes ?? {})) {
        const held = actual.get(name);
        if (held) indexes[name] = planner.specsEquivalent(recorded, held) ? recorded : held;
      }
      const present = (name: string) => name in indexes;
      return {
        id,
        props: {
          ...state,
          indexes,
          createdIndexes: (state.createdIndexes ?? []).filter(present),
          adoptedIndexes: (state.adoptedIndexes ?? []).filter(present),
        },
      };
    });
  },

  async update(_id, olds, news) {
    const progress: Progress = { step: "update", applied: [] };
    return withDatabase(news, progress, async (db) => {
      const listed = await listIndexes(db, news, progress);
      const reconcile = planner.planReconcile({
        desired: news.indexes,
        listed,
        previous: { declared: olds.indexes ?? {}, created: olds.createdIndexes ?? [] },
      });
      if (reconcile.conflicts.length > 0) throw conflictError(news, reconcile);
      await ensurePrivileges(db, news, progress, planner.actionsNeeded(reconcile));
      await applyPlan(db, news, progress, reconcile);
      return { outs: outputsFor(news, reconcile) };
    });
  },

  async delete(_id, props) {
    const progress: Progress = { step: "delete", applied: [] };
    await withDatabase(props, progress, async (db) => {
      const existing = new Set((await listIndexes(db, props, progress)).map((doc) => doc.name));
      // Only what this resource built; adopted indexes, other indexes and the data stay.
      const drop = (props.createdIndexes ?? []).filter((name) => existing.has(name));
      if (drop.length === 0) return;
      await ensurePrivileges(db, props, progress, planner.actionsNeeded({ create: [], collMod: [], drop }));
      await applyPlan(db, props, progress, { create: [], adopt: [], collMod: [], replace: [], drop, release: [], conflicts: [], created: [], adopted: [] });
    });
  },
};
