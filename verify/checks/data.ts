// The data and model planes: the NSQ topic exists, each model of the release is in Ollama, the
// MongoDB indexes of facts/indexes.ts are on the server as declared (read by the index
// reconciler's own `read`, so verify and `pulumi refresh` see the same thing), and the
// application user can write: one probe document in a scratch collection, removed again.
import { MongoClient } from "mongodb";
import { INDEX_CATALOG } from "../../facts/indexes";
import { PORTS } from "../../facts/services";
import { describeSpec, specsByCollection, specsEquivalent, type IndexSpecs } from "../../planes/data/mongoIndexes/plan";
import { mongoIndexesProvider } from "../../planes/data/mongoIndexes/provider";
import { describeExec, exec } from "../docker";
import { askService, cannotRun, fail, ok, serviceContainer, type CheckOutcome, type VerifyContext } from "../context";

/**
 * Topic names in nsqd's `/stats?format=json`. NSQ 1.x answers the stats object bare; before 1.0 it
 * was wrapped in `{status_code, data}`: both are read. Throws on anything else.
 */
export function topicNames(statsJson: string): string[] {
  const parsed = JSON.parse(statsJson) as { topics?: { topic_name?: string }[]; data?: { topics?: { topic_name?: string }[] } };
  const topics = parsed.topics ?? parsed.data?.topics;
  if (!Array.isArray(topics)) throw new Error(`no "topics" array in the stats answer: ${statsJson.slice(0, 200)}`);
  return topics.map((topic) => String(topic.topic_name));
}

export async function checkNsqTopic(ctx: VerifyContext): Promise<CheckOutcome> {
  const topic = ctx.settings.nsq.topic;
  const stats = await askService(ctx, "nsqd", PORTS.nsqdHttp, "/stats?format=json");
  const lookedAt = `nsqd's topics (${stats.via})`;
  if (!stats.answer) return fail(lookedAt, `could not read nsqd's stats: ${stats.error}`);
  if (stats.answer.status !== 200) return fail(lookedAt, `nsqd answered ${stats.answer.status}: ${stats.answer.body.slice(0, 200)}`);
  let topics: string[];
  try {
    topics = topicNames(stats.answer.body);
  } catch (error) {
    return fail(lookedAt, (error as Error).message);
  }
  if (!topics.includes(topic)) return fail(lookedAt, `topic "${topic}" (nsq.topic) is not on nsqd; it lists ${topics.length ? topics.join(", ") : "no topic"}`);
  return ok(lookedAt, `topic "${topic}" exists (topics: ${topics.join(", ")})`);
}

/** `llama3.2` -> `llama3.2:latest`, as Ollama names a tag without a version. */
export const normalizeTag = (tag: string) => (tag.includes(":") ? tag : `${tag}:latest`);

/** Tags in `ollama list` output (first column, header skipped). */
export function listedTags(output: string): string[] {
  return output
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter(Boolean)
    .map(normalizeTag);
}

/** Models of the release that `ollama list` does not show. */
export function missingModels(models: Record<string, string>, listed: string[]): string[] {
  return Object.entries(models)
    .filter(([, tag]) => !listed.includes(normalizeTag(tag)))
    .map(([name, tag]) => `${name} (${normalizeTag(tag)})`);
}

export async function checkModels(ctx: VerifyContext): Promise<CheckOutcome> {
  const models = ctx.settings.release.models;
  const ollama = await serviceContainer(ctx, "ollama");
  const cmd = ["ollama", "list"];
  const lookedAt = `\`${cmd.join(" ")}\` in ${ollama?.name ?? `${ctx.prefix}-ollama`}, against release.models`;
  if (!ollama) return fail(lookedAt, `no container with org.enrichment.service=ollama in stack ${ctx.stack}`);
  const list = await exec(ctx.docker, ollama.name, cmd, { timeoutMs: 30_000 });
  if (list.exitCode !== 0) return fail(lookedAt, describeExec(cmd, list));
  const listed = listedTags(list.stdout);
  const missing = missingModels(models, listed);
  if (missing.length) return fail(lookedAt, `not pulled: ${missing.join(", ")}; Ollama lists ${listed.join(", ") || "no model"}`);
  return ok(lookedAt, `every model of release ${ctx.settings.release.version} is pulled: ${Object.values(models).map(normalizeTag).join(", ")}`);
}

/** The URI with its host:port replaced (the reconciler's URI names the Docker host's loopback port). */
export function withEndpoint(uri: string, host: string, port: number): string {
  return uri.replace(/^(mongodb:\/\/(?:[^@/]*@)?)([^/?]+)/, `$1${host}:${port}`);
}

/** The URI without its password, for messages. */
export function redact(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

/** The MongoDB URI verify connects with (the reconciler's), and how it is reached. */
async function mongoTarget(ctx: VerifyContext): Promise<{ uri?: string; via: string; problem?: CheckOutcome }> {
  const uri = ctx.outputs.mongodbAdminUri;
  const what = "the stack output mongodbAdminUri (the index reconciler's connection: the application user)";
  if (!uri) return { via: what, problem: cannotRun(what, "the stack has no output mongodbAdminUri", "run `pulumi up` with this program: it exports mongodbAdminUri") };
  if (ctx.settings.mongodb.mode === "external") return { uri, via: `the external MongoDB ${redact(uri)}` };
  const pending = ctx.reach.endpoint("mongodb");
  if (!pending) return { via: what, problem: fail(what, "exposure.publish.mongodb is not set: the managed MongoDB has no loopback port for the reconciler and verify") };
  const endpoint = await pending;
  return { uri: withEndpoint(uri, endpoint.host, endpoint.port), via: `MongoDB's published port (${endpoint.via}) as the application user` };
}

export interface IndexDrift {
  collection: string;
  name: string;
  declared: string;
  /** What the server holds under that name; undefined when the index is gone. */
  held?: string;
}

/** Declared indexes against what the reconciler's read found (missing or different, by name). */
export function indexDrift(collection: string, declared: IndexSpecs, held: IndexSpecs): IndexDrift[] {
  const drift: IndexDrift[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const found = held[name];
    if (!found) drift.push({ collection, name, declared: describeSpec(spec) });
    else if (!specsEquivalent(spec, found)) drift.push({ collection, name, declared: describeSpec(spec), held: describeSpec(found) });
  }
  return drift;
}

export async function checkMongoIndexes(ctx: VerifyContext): Promise<CheckOutcome> {
  const target = await mongoTarget(ctx);
  const database = ctx.settings.mongodb.database;
  const lookedAt = `the ${INDEX_CATALOG.length} indexes of facts/indexes.ts in ${database}, read by the index reconciler's read through ${target.via}`;
  if (target.problem) return { ...target.problem, lookedAt };
  const drift: IndexDrift[] = [];
  for (const [collection, declared] of specsByCollection(INDEX_CATALOG)) {
    try {
      const read = await mongoIndexesProvider.read!(`${database}.${collection}`, {
        connectionUri: target.uri!,
        database,
        collection,
        indexes: declared,
        createdIndexes: [],
        adoptedIndexes: [],
        timeouts: { serverSelectionMs: 10_000, connectMs: 10_000, commandMs: 20_000 },
      });
      drift.push(...indexDrift(collection, declared, (read.props?.indexes ?? {}) as IndexSpecs));
    } catch (error) {
      return fail(lookedAt, (error as Error).message);
    }
  }
  const ttl = INDEX_CATALOG.filter((d) => d.expireAfterSeconds !== undefined).map((d) => `${d.collection}.${d.keys[0]![0]} expireAfterSeconds ${d.expireAfterSeconds}`);
  if (drift.length) {
    const lines = drift.map((d) => (d.held ? `${d.collection}.${d.name} differs: declared {${d.declared}}, the server has {${d.held}}` : `${d.collection}.${d.name} is missing (declared {${d.declared}})`));
    return fail(lookedAt, `${drift.length} of ${INDEX_CATALOG.length} indexes not as declared: ${lines.join("; ")}`, undefined, { drift });
  }
  return ok(lookedAt, `all ${INDEX_CATALOG.length} indexes exist as declared, with the TTL (${ttl.join(", ") || "none declared"})`);
}

/** The scratch collection of the write probe: created if absent, dropped again when verify made it. */
export const PROBE_COLLECTION = "verify_probe";

export async function checkMongoWrite(ctx: VerifyContext): Promise<CheckOutcome> {
  const target = await mongoTarget(ctx);
  const database = ctx.settings.mongodb.database;
  const lookedAt = `one probe document inserted, read back and deleted in ${database}.${PROBE_COLLECTION} through ${target.via}`;
  if (target.problem) return { ...target.problem, lookedAt };
  const client = new MongoClient(target.uri!, { serverSelectionTimeoutMS: 10_000, connectTimeoutMS: 10_000, socketTimeoutMS: 20_000, maxPoolSize: 1, appName: "npm-run-verify" });
  const probeId = `verify-${Date.now().toString(36)}-${process.pid}`;
  let existed = true;
  let connected = false;
  try {
    await client.connect();
    connected = true;
    const db = client.db(database);
    existed = (await db.listCollections({ name: PROBE_COLLECTION }, { nameOnly: true }).toArray()).length > 0;
    const collection = db.collection<{ _id: string; at: Date; by: string }>(PROBE_COLLECTION);
    const started = Date.now();
    await collection.insertOne({ _id: probeId, at: new Date(), by: "npm run verify" });
    const back = await collection.findOne({ _id: probeId });
    const deleted = await collection.deleteOne({ _id: probeId });
    const ms = Date.now() - started;
    if (!existed && (await collection.countDocuments({}, { limit: 1 })) === 0) await collection.drop().catch(() => undefined);
    if (!back) return fail(lookedAt, `the probe document ${probeId} was inserted but not found again`);
    if (deleted.deletedCount !== 1) return fail(lookedAt, `the probe document ${probeId} was found but ${deleted.deletedCount} documents were deleted`);
    return ok(lookedAt, `insert, read and delete took ${ms} ms; ${existed ? `${PROBE_COLLECTION} existed before and stays` : `${PROBE_COLLECTION} was made for the probe and dropped again`}`);
  } catch (error) {
    return fail(lookedAt, `${redact((error as Error).message)} (as ${redact(target.uri!)})`);
  } finally {
    // Whatever failed above, the probe document does not stay.
    if (connected) {
      await client
        .db(database)
        .collection<{ _id: string }>(PROBE_COLLECTION)
        .deleteOne({ _id: probeId })
        .catch(() => undefined);
    }
    await client.close().catch(() => undefined);
  }
}
