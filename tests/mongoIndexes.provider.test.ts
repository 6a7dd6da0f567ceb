// The provider's methods with the real driver over a real socket, against FakeMongo
// (mongodb-mock-server): the shared scenarios, the commands actually sent, and the faults.
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mongoIndexesProvider, type CollectionIndexesInputs } from "../planes/data/mongoIndexes/provider";
import { CATALOG_SPECS, catalogInputs, defineReconcilerScenarios, FakeMongo, fakeBackend } from "./mongoIndexes.support";

const PASSWORD = "pa:ss@w/rd-7Q";
const USER = "reconciler";

defineReconcilerScenarios("provider against mongodb-mock-server (FakeMongo)", async () => {
  const fake = await FakeMongo.start();
  return { ...fakeBackend(fake), close: () => fake.stop() };
});

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function withFastTimeouts(inputs: CollectionIndexesInputs, commandMs = 400): CollectionIndexesInputs {
  return { ...inputs, timeouts: { serverSelectionMs: 600, connectMs: 400, commandMs } };
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

describe("commands sent", () => {
  let fake: FakeMongo;
  beforeAll(async () => {
    fake = await FakeMongo.start({ [USER]: { password: PASSWORD } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it("logs in with the URI's credentials and builds each collection's missing indexes in a single createIndexes", async () => {
    const uri = fake.uri({ user: USER, password: PASSWORD });
    for (const collection of CATALOG_SPECS.keys()) {
      await mongoIndexesProvider.create({ ...catalogInputs(fakeBackend(fake), collection), connectionUri: uri });
    }
    const creates = fake.commands.filter((c) => c.name === "createIndexes");
    expect(creates.map((c) => c.document.createIndexes)).toEqual(["ocr_jobs", "enriched_documents", "review_queue", "cost_records"]);
    const sentNames = creates.map((c) => (c.document.indexes as { name: string }[]).map((i) => i.name));
    expect(sentNames).toEqual([...CATALOG_SPECS.values()].map((specs) => Object.keys(specs)));
    expect(fake.count("saslStart")).toBeGreaterThanOrEqual(4);
    expect(fake.count("saslContinue")).toBeGreaterThanOrEqual(4);
  });

  it("sends keys in declared order and the TTL option as declared", async () => {
    const reviewQueue = fake.commands.find((c) => c.name === "createIndexes" && c.document.createIndexes === "review_queue");
    const sent = reviewQueue?.document.indexes as { key: Record<string, number>; name: string; expireAfterSeconds?: number }[];
    expect(Object.keys(sent[0].key)).toEqual(["status", "created_at", "document_id"]);
    expect(sent.find((i) => i.name === "completed_at_1")?.expireAfterSeconds).toBe(2592000);
    expect(sent.filter((i) => i.name !== "completed_at_1").every((i) => i.expireAfterSeconds === undefined)).toBe(true);
    expect(typeof reviewQueue?.document.maxTimeMS).toBe("number");
  });

  it("sends nothing but reads when everything is already there (all adopted)", async () => {
    const before = fake.count("createIndexes");
    const result = await mongoIndexesProvider.create({ ...catalogInputs(fakeBackend(fake), "review_queue"), connectionUri: fake.uri({ user: USER, password: PASSWORD }) });
    expect(fake.count("createIndexes")).toBe(before);
    expect(result.outs?.adoptedIndexes).toHaveLength(3);
  });

  it("delete drops its indexes with one dropIndexes naming exactly them", async () => {
    const fresh = await FakeMongo.start({ [USER]: { password: PASSWORD } });
    try {
      const inputs = { ...catalogInputs(fakeBackend(fresh), "review_queue"), connectionUri: fresh.uri({ user: USER, password: PASSWORD }) };
      fresh.createIndexDirectly("enrichment", "review_queue", { v: 2, key: { completed_at: 1 }, name: "completed_at_1", expireAfterSeconds: 2592000 });
      const created = await mongoIndexesProvider.create(inputs);
      await mongoIndexesProvider.delete!(created.id, created.outs!);
      const drops = fresh.commands.filter((c) => c.name === "dropIndexes");
      expect(drops).toHaveLength(1);
      expect([...(drops[0].document.index as string[])].sort()).toEqual(["document_id_1_status_1", "status_1_created_at_1_document_id_1"]);
      expect(fresh.listIndexes("enrichment", "review_queue").map((i) => i.name)).toEqual(["_id_", "completed_at_1"]);
    } finally {
      await fresh.stop();
    }
  });
});

describe("faults end in an error that says which, with no credentials and nothing half-applied", () => {
  let fake: FakeMongo;
  afterEach(async () => {
    await fake?.stop();
  });

  it("an unreachable server: cannot reach MongoDB at <host>", async () => {
    fake = await FakeMongo.start();
    const port = await closedPort();
    const uri = `mongodb://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/?authSource=admin`;
    const error = await failureOf(mongoIndexesProvider.create(withFastTimeouts({ ...catalogInputs(fakeBackend(fake), "ocr_jobs"), connectionUri: uri })));
    expect(error.message).toMatch(new RegExp(`cannot reach MongoDB at mongodb://127\\.0\\.0\\.1:${port}/`));
    expect(error.message).toContain("Nothing was changed");
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain(encodeURIComponent(PASSWORD));
    expect(error.stack ?? "").not.toContain(encodeURIComponent(PASSWORD));
  });

  it("a wrong password: login failed for user <user>, and no command ran", async () => {
    fake = await FakeMongo.start({ [USER]: { password: PASSWORD } });
    const inputs = { ...catalogInputs(fakeBackend(fake), "ocr_jobs"), connectionUri: fake.uri({ user: USER, password: "not-the-password" }) };
    const error = await failureOf(mongoIndexesProvider.create(withFastTimeouts(inputs)));
    expect(error.message).toContain(`login failed for user ${USER}`);
    expect(error.message).not.toContain("not-the-password");
    expect(fake.count("listIndexes") + fake.count("createIndexes")).toBe(0);
  });

  it("a user without index rights: missing privilege ... needs dbAdmin, checked before anything is built", async () => {
    fake = await FakeMongo.start({ [USER]: { password: PASSWORD, privileges: [{ resource: { db: "enrichment", collection: "" }, actions: ["find", "listIndexes"] }] } });
    const inputs = { ...catalogInputs(fakeBackend(fake), "ocr_jobs"), connectionUri: fake.uri({ user: USER, password: PASSWORD }) };
    const error = await failureOf(mongoIndexesProvider.create(withFastTimeouts(inputs)));
    expect(error.message).toMatch(/missing privilege: user reconciler@admin lacks createIndex on enrichment\.ocr_jobs; it needs dbAdmin on enrichment/);
    expect(fake.count("createIndexes")).toBe(0);
  });

  it("a server that refuses the command itself (code 13) is reported as a missing privilege too", async () => {
    fake = await FakeMongo.start();
    fake.failNext("createIndexes", { code: 13, codeName: "Unauthorized", errmsg: "not authorized on enrichment to execute command { createIndexes: ... }" });
    const error = await failureOf(mongoIndexesProvider.create(withFastTimeouts(catalogInputs(fakeBackend(fake), "ocr_jobs"))));
    expect(error.message).toMatch(/missing privilege: .*createIndexes of job_id_1_status_1_created_at_1 on enrichment\.ocr_jobs; it needs dbAdmin on enrichment/);
  });

  it("a server that does not answer: did not answer ... within, before any change", async () => {
    fake = await FakeMongo.start();
    // The driver retries a read once after a network error: both attempts hang.
    fake.failNext("listIndexes", "hang");
    fake.failNext("listIndexes", "hang");
    const started = Date.now();
    const error = await failureOf(mongoIndexesProvider.create(withFastTimeouts(catalogInputs(fakeBackend(fake), "ocr_jobs"), 300)));
    expect(error.message).toMatch(/did not answer listIndexes on enrichment\.ocr_jobs within 300 ms/);
    expect(error.message).toContain("Nothing was changed");
    expect(fake.count("createIndexes")).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a connection dropped during createIndexes: says so and that the outcome must be refreshed", async () => {
    fake = await FakeMongo.start();
    fake.failNext("createIndexes", "drop");
    const error = await failureOf(mongoIndexesProvider.create(withFastTimeouts(catalogInputs(fakeBackend(fake), "ocr_jobs"))));
    expect(error.message).toMatch(/connection to MongoDB at mongodb:\/\/127\.0\.0\.1:\d+\/ dropped during createIndexes/);
    expect(error.message).toMatch(/outcome of createIndexes of job_id_1_status_1_created_at_1 is unknown.*pulumi refresh/);
  });

  it("a conflict the server finds itself (an index created meanwhile) comes back as code 85 with its message", async () => {
    fake = await FakeMongo.start();
    fake.failNext("createIndexes", { code: 85, codeName: "IndexOptionsConflict", errmsg: "Index already exists with a different name: by_job" });
    const error = await failureOf(mongoIndexesProvider.create(withFastTimeouts(catalogInputs(fakeBackend(fake), "ocr_jobs"))));
    expect(error.message).toMatch(/index conflict on enrichment\.ocr_jobs .*MongoDB code 85 IndexOptionsConflict.*different name: by_job/);
  });

  it("a failure half-way through an update says what was already applied", async () => {
    fake = await FakeMongo.start();
    const inputs = catalogInputs(fakeBackend(fake), "review_queue");
    const created = await mongoIndexesProvider.create(inputs);
    fake.setTtlDirectly("enrichment", "review_queue", "completed_at_1", 5);
    fake.dropIndexDirectly("enrichment", "review_queue", "document_id_1_status_1");
    fake.failNext("createIndexes", { code: 8000, codeName: "AtlasError", errmsg: "disk full" });
    const error = await failureOf(mongoIndexesProvider.update!(created.id, { ...created.outs!, indexes: { ...created.outs!.indexes, completed_at_1: { keys: [["completed_at", 1]], expireAfterSeconds: 5 } } }, inputs));
    expect(error.message).toMatch(/createIndexes of document_id_1_status_1 on enrichment\.review_queue .*failed \(MongoDB code 8000 AtlasError\): disk full/);
    expect(error.message).toMatch(/Already applied before the failure: set expireAfterSeconds of completed_at_1 to 2592000.*pulumi refresh/);
  });

  it("an index that vanished before delete is not an error, and nothing else is dropped", async () => {
    fake = await FakeMongo.start();
    const created = await mongoIndexesProvider.create(catalogInputs(fakeBackend(fake), "enriched_documents"));
    fake.dropIndexDirectly("enrichment", "enriched_documents", "status_1_created_at_-1");
    await mongoIndexesProvider.delete!(created.id, created.outs!);
    const drops = fake.commands.filter((c) => c.name === "dropIndexes");
    expect(drops.map((d) => d.document.index)).toEqual([["document_id_1_completeness_score_1"]]);
  });
});

describe("check", () => {
  it("reports invalid inputs by property, without echoing the URI", async () => {
    const result = await mongoIndexesProvider.check!(
      {} as CollectionIndexesInputs,
      {
        connectionUri: `http://${USER}:${PASSWORD}@example`,
        database: "bad.name",
        collection: "review_queue",
        indexes: { ttl: { keys: [["a", 1], ["b", 1]], expireAfterSeconds: 60 }, none: { keys: [] } },
      },
    );
    const failures = result.failures ?? [];
    expect(failures.map((f) => f.property).sort()).toEqual(["connectionUri", "database", "indexes", "indexes"]);
    expect(failures.map((f) => f.reason).join("\n")).not.toContain(PASSWORD);
    expect(failures.find((f) => f.reason.includes("TTL"))?.reason).toMatch(/single-field index/);
  });

  it("accepts unknown values during a preview and normalizes index options", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const result = await mongoIndexesProvider.check!(
      {} as CollectionIndexesInputs,
      { connectionUri: unknown, database: "enrichment", collection: "cost_records", indexes: { timestamp_1: { keys: [["timestamp", 1]], unique: false, sparse: false } } },
    );
    expect(result.failures).toEqual([]);
    expect(result.inputs?.indexes).toEqual({ timestamp_1: { keys: [["timestamp", 1]] } });
    expect(result.inputs?.connectionUri).toBe(unknown);
  });
});
