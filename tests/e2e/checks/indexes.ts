// The indexes of facts/indexes.ts (eight, with the 30-day TTL on
// review_queue.completed_at) exist on the MongoDB-compatible server, compared key by key and option
// by option with the catalog, which is read here, never copied. Indexes beyond the catalog (made by
// hand) are listed, not failed: the program leaves them alone.
import { MongoClient } from "mongodb";
import type { E2ECheck, E2EContext } from "../context";
import { INDEX_CATALOG, IndexDefinition } from "../../../facts/indexes";
import { guarded } from "./support/docker";

/** The listIndexes fields this check compares. */
export interface ServerIndex {
  name: string;
  key: Record<string, unknown>;
  unique?: unknown;
  sparse?: unknown;
  expireAfterSeconds?: unknown;
  partialFilterExpression?: unknown;
}

const keyText = (keys: [string, unknown][]) => `{ ${keys.map(([f, d]) => `${f}: ${JSON.stringify(d)}`).join(", ")} }`;

/** A BSON number (Int32, Long, Double) or a plain one as a JS number; anything else as it is. */
function plainNumber(value: unknown): unknown {
  if (typeof value === "number") return value;
  if (value && typeof value === "object") {
    const v = value as { toNumber?: () => number; valueOf?: () => unknown };
    if (typeof v.toNumber === "function") return v.toNumber();
    const prim = v.valueOf?.();
    if (typeof prim === "number") return prim;
  }
  if (typeof value === "bigint") return Number(value);
  return value;
}

function sameKeys(definition: IndexDefinition, index: ServerIndex): boolean {
  const actual = Object.entries(index.key);
  return actual.length === definition.keys.length && definition.keys.every(([field, direction], i) => actual[i]![0] === field && plainNumber(actual[i]![1]) === direction);
}

/** Problems with one catalog entry against the collection's indexes (empty when it is there, exactly). */
export function indexProblems(definition: IndexDefinition, indexes: ServerIndex[]): string[] {
  const label = `${definition.collection} ${keyText(definition.keys)}`;
  const match = indexes.find((index) => sameKeys(definition, index));
  if (!match) {
    const near = indexes.filter((i) => i.name !== "_id_").map((i) => `${i.name} ${keyText(Object.entries(i.key))}`);
    return [`${label}: no index with these keys in this order; the collection has ${near.length ? near.join(", ") : "only _id_"}`];
  }
  const problems: string[] = [];
  if (definition.name && match.name !== definition.name) problems.push(`${label}: named ${match.name}, the catalog names it ${definition.name}`);
  const ttl = plainNumber(match.expireAfterSeconds);
  if (definition.expireAfterSeconds !== undefined && ttl !== definition.expireAfterSeconds) {
    problems.push(`${label}: expireAfterSeconds ${ttl === undefined ? "absent" : ttl}, expected ${definition.expireAfterSeconds}`);
  }
  if (definition.expireAfterSeconds === undefined && ttl !== undefined) problems.push(`${label}: has expireAfterSeconds ${ttl}, the catalog sets no TTL`);
  if (!!definition.unique !== !!match.unique) problems.push(`${label}: unique is ${!!match.unique}, expected ${!!definition.unique}`);
  if (!!definition.sparse !== !!match.sparse) problems.push(`${label}: sparse is ${!!match.sparse}, expected ${!!definition.sparse}`);
  const wantFilter = definition.partialFilterExpression ? JSON.stringify(definition.partialFilterExpression) : undefined;
  const gotFilter = match.partialFilterExpression ? JSON.stringify(match.partialFilterExpression) : undefined;
  if (wantFilter !== gotFilter) problems.push(`${label}: partialFilterExpression ${gotFilter ?? "absent"}, expected ${wantFilter ?? "absent"}`);
  return problems;
}

/**
 * Every catalog entry against the server's indexes by collection (a collection absent from
 * `byCollection` does not exist: one problem for it, not one per index); plus the indexes no entry names.
 */
export function compareWithCatalog(catalog: readonly IndexDefinition[], byCollection: Record<string, ServerIndex[]>) {
  const problems: string[] = [];
  for (const collection of [...new Set(catalog.map((d) => d.collection))]) {
    const definitions = catalog.filter((d) => d.collection === collection);
    const indexes = byCollection[collection];
    if (indexes === undefined) problems.push(`collection ${collection} does not exist, so none of its ${definitions.length} catalog index(es) is there`);
    else problems.push(...definitions.flatMap((definition) => indexProblems(definition, indexes)));
  }
  const extra: string[] = [];
  for (const [collection, indexes] of Object.entries(byCollection)) {
    for (const index of indexes) {
      if (index.name === "_id_") continue;
      if (!catalog.some((d) => d.collection === collection && sameKeys(d, index))) extra.push(`${collection}.${index.name}`);
    }
  }
  return { problems, extra };
}

export async function checkIndexes(ctx: E2EContext) {
  const database = ctx.settings.mongodb.database;
  const collections = [...new Set(INDEX_CATALOG.map((d) => d.collection))];
  const client = new MongoClient(ctx.mongodbAdminUri, { serverSelectionTimeoutMS: 15_000, connectTimeoutMS: 10_000, socketTimeoutMS: 20_000,
    // One published loopback port: talk to that server, whatever topology it reports.
    ...(/directConnection=/i.test(ctx.mongodbAdminUri) ? {} : { directConnection: true }),
  });
  const byCollection: Record<string, ServerIndex[]> = {};
  const readErrors: string[] = [];
  try {
    await client.connect();
    const db = client.db(database);
    for (const collection of collections) {
      try {
        byCollection[collection] = (await db.collection(collection).listIndexes().toArray()) as unknown as ServerIndex[];
      } catch (error) {
        // NamespaceNotFound (26): the collection does not exist; compareWithCatalog says so.
        if ((error as { code?: number }).code !== 26) readErrors.push(`listIndexes on ${database}.${collection}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    return { ok: false, detail: `could not connect to MongoDB at ${redact(ctx.mongodbAdminUri)}: ${(error as Error).message}` };
  } finally {
    await client.close().catch(() => undefined);
  }
  const { problems, extra } = compareWithCatalog(INDEX_CATALOG, byCollection);
  const extraNote = extra.length ? `; indexes outside the catalog (left alone): ${extra.join(", ")}` : "";
  if (readErrors.length || problems.length) {
    return { ok: false, detail: `${problems.length + readErrors.length} problem(s) in ${database}: ${[...readErrors, ...problems].join("; ")}${extraNote}` };
  }
  const ttl = INDEX_CATALOG.filter((d) => d.expireAfterSeconds !== undefined).map((d) => `${d.collection}.${d.keys[0]![0]} expireAfterSeconds ${d.expireAfterSeconds}`);
  return { ok: true, detail: `all ${INDEX_CATALOG.length} catalog indexes exist in ${database} as declared (TTL: ${ttl.join(", ") || "none"})${extraNote}` };
}

/** The URI without its password, for messages. */
export function redact(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

export const check: E2ECheck = { name: "indexes", check: guarded(checkIndexes) };
