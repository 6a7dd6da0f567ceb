// The reconciler's scenario suite against a real MongoDB, when MONGODB_URI is set:
//   docker run -d -p 27017:27017 mongo:7
//   MONGODB_URI=mongodb://127.0.0.1:27017 npx vitest run tests/mongoIndexes
// Each test works in a database of its own and drops it afterwards.
import { randomBytes } from "node:crypto";
import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import type { ListedIndex } from "../planes/data/mongoIndexes/plan";
import { defineReconcilerScenarios, type IndexBackend } from "./mongoIndexes.support";
import { tool } from "./tools";

// An optional tool of tests/tools.json: never provided by .ci/run, so this skips even in CI.
const MONGODB_URI = tool("mongodb").path;
const SKIP_MESSAGE = `skipped: ${tool("mongodb").missing}`;

if (!MONGODB_URI) {
  console.warn(`tests/mongoIndexes.real.test.ts: ${SKIP_MESSAGE}`);
}

async function realBackend(uri: string): Promise<IndexBackend> {
  const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 }).connect();
  const database = `reconciler_test_${randomBytes(4).toString("hex")}`;
  const db = client.db(database);
  return {
    uri,
    database,
    listIndexes: async (collection) => {
      try {
        return (await db.collection(collection).listIndexes().toArray()) as unknown as ListedIndex[];
      } catch (error) {
        if ((error as { code?: number }).code === 26) return [];
        throw error;
      }
    },
    createIndexDirectly: async (collection, { v: _version, ...index }) => {
      await db.command({ createIndexes: collection, indexes: [index] });
    },
    dropIndexDirectly: async (collection, name) => {
      await db.collection(collection).dropIndex(name);
    },
    setTtlDirectly: async (collection, name, seconds) => {
      await db.command({ collMod: collection, index: { name, expireAfterSeconds: seconds } });
    },
    insertDocuments: async (collection, count) => {
      await db.collection(collection).insertMany(Array.from({ length: count }, (_, i) => ({ n: i })));
    },
    countDocuments: (collection) => db.collection(collection).countDocuments(),
    close: async () => {
      await db.dropDatabase();
      await client.close();
    },
  };
}

defineReconcilerScenarios(`provider against a real MongoDB${MONGODB_URI ? "" : ` (${SKIP_MESSAGE})`}`, () => realBackend(MONGODB_URI as string), { skip: !MONGODB_URI });

describe("real MongoDB", () => {
  // Named so that the report itself says why it did not run.
  it.skipIf(!MONGODB_URI)(`answers at MONGODB_URI and is recent enough for TTL changes by collMod (${MONGODB_URI ? "MongoDB >= 5.1" : SKIP_MESSAGE})`, async () => {
    const client = await new MongoClient(MONGODB_URI as string, { serverSelectionTimeoutMS: 5_000 }).connect();
    try {
      const { version } = (await client.db("admin").command({ buildInfo: 1 })) as { version: string };
      const [major, minor] = version.split(".").map(Number);
      expect(major > 5 || (major === 5 && minor >= 1), `MongoDB ${version}`).toBe(true);
    } finally {
      await client.close();
    }
  });
});
