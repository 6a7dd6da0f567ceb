// Test support for the MongoDB index reconciler (not a test file itself):
// - FakeMongo: a small stateful MongoDB on mongodb-mock-server, spoken to by the real driver over
//   a real socket: handshake, SCRAM-SHA-256 login, listIndexes/createIndexes/dropIndexes/collMod
//   with the server's own conflict rules (codes 85/86), privileges, and injectable faults.
// - IndexBackend + defineReconcilerScenarios: one scenario suite that runs against FakeMongo
//   and, when MONGODB_URI is set, against a real MongoDB.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { INDEX_CATALOG } from "../facts/indexes";
import { normalizeListedIndex, specsByCollection, specsEquivalent, type IndexSpec, type IndexSpecs, type ListedIndex } from "../planes/data/mongoIndexes/plan";
import { mongoIndexesProvider, type CollectionIndexesInputs, type CollectionIndexesOutputs } from "../planes/data/mongoIndexes/provider";

// ---------------------------------------------------------------------------------------------
// mongodb-mock-server has no typings; these are the parts used here.

interface MockRequest {
  document: Record<string, unknown>;
  connection: Socket;
  response: { ns: string };
  reply(document: Record<string, unknown>): void;
}
interface MockServer {
  port: number;
  setMessageHandler(handler: (request: MockRequest) => void): void;
  destroy(): Promise<void>;
}
interface MockServerModule {
  createServer(port: number, host: string): Promise<MockServer>;
  DEFAULT_ISMASTER: Record<string, unknown>;
}
interface MockBson {
  Long: { ZERO: unknown };
  Binary: new (buffer: Buffer) => { value(asRaw: boolean): Buffer };
}

const requireHere = createRequire(__filename);
const mockServerModule = requireHere("mongodb-mock-server") as MockServerModule;
// Replies must be built with the mock server's own bson (v4): a cursor id must be its Long.
const mockBson = createRequire(requireHere.resolve("mongodb-mock-server"))("bson") as MockBson;

// ---------------------------------------------------------------------------------------------
// FakeMongo

export interface Privilege {
  resource: { db?: string; collection?: string; anyResource?: boolean; cluster?: boolean };
  actions: string[];
}

export interface FakeUser {
  password: string;
  /** Defaults to dbAdmin-like rights on every database. */
  privileges?: Privilege[];
}

export type Fault = "hang" | "drop" | { code: number; codeName: string; errmsg: string };

export interface RecordedCommand {
  name: string;
  database: string;
  document: Record<string, unknown>;
}

const FULL_INDEX_RIGHTS: Privilege[] = [
  { resource: { db: "", collection: "" }, actions: ["listIndexes", "createIndex", "dropIndex", "collMod", "find", "insert"] },
];

// What a real server reports for a collation: every field, defaults filled in, ICU version.
const SERVER_COLLATION_DEFAULTS = {
  caseLevel: false,
  caseFirst: "off",
  strength: 3,
  numericOrdering: false,
  alternate: "non-ignorable",
  maxVariable: "punct",
  normalization: false,
  backwards: false,
  version: "57.1",
};

const INDEX_OPTIONS = ["unique", "sparse", "partialFilterExpression", "collation", "expireAfterSeconds"];

function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(value) ?? null);
}

function serverError(code: number, codeName: string, errmsg: string) {
  return { ok: 0, code, codeName, errmsg };
}

interface CollectionState {
  indexes: ListedIndex[];
  documents: number;
}

/** A MongoDB stand-in with a real wire protocol; enough of the server for the index reconciler. */
export class FakeMongo {
  readonly commands: RecordedCommand[] = [];
  private readonly collections = new Map<string, CollectionState>();
  private readonly faults: { command: string; fault: Fault }[] = [];
  private readonly logins = new WeakMap<Socket, string>();
  private readonly conversations = new WeakMap<Socket, { user: string; clientFirstBare: string; serverFirst: string; salt: Buffer; nonce: string }>();

  private constructor(
    private readonly server: MockServer,
    private readonly users: Record<string, FakeUser>,
  ) {}

  /** Starts a fake on a free port; with `users`, every command needs a SCRAM-SHA-256 login. */
  static async start(users: Record<string, FakeUser> = {}): Promise<FakeMongo> {
    const server = await mockServerModule.createServer(0, "127.0.0.1");
    const fake = new FakeMongo(server, users);
    server.setMessageHandler((request) => fake.handle(request));
    return fake;
  }

  get port(): number {
    return this.server.port;
  }

  uri(credentials?: { user: string; password: string }): string {
    const auth = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@` : "";
    return `mongodb://${auth}127.0.0.1:${this.port}/?directConnection=true${credentials ? "&authSource=admin" : ""}`;
  }

  async stop(): Promise<void> {
    await this.server.destroy();
  }

  /** The next `command` meets `fault` instead of an answer. */
  failNext(command: string, fault: Fault): void {
    this.faults.push({ command, fault });
  }

  count(command: string, collection?: string): number {
    return this.commands.filter((c) => c.name === command && (collection === undefined || c.document[command] === collection)).length;
  }

  // Direct access to the "server's" data, as another operator or application would change it.
  listIndexes(database: string, collection: string): ListedIndex[] {
    return structuredClone(this.collections.get(`${database}.${collection}`)?.indexes ?? []);
  }
  createIndexDirectly(database: string, collection: string, index: ListedIndex): void {
    const state = this.ensureCollection(database, collection);
    state.indexes.push(this.asStored({ ...index, key: { ...index.key } }));
  }
  dropIndexDirectly(database: string, collection: string, name: string): void {
    const state = this.ensureCollection(database, collection);
    state.indexes = state.indexes.filter((index) => index.name !== name);
  }
  setTtlDirectly(database: string, collection: string, name: string, seconds: number): void {
    const index = this.ensureCollection(database, collection).indexes.find((i) => i.name === name);
    if (!index) throw new Error(`no index ${name}`);
    index.expireAfterSeconds = seconds;
  }
  insertDocuments(database: string, collection: string, count: number): void {
    this.ensureCollection(database, collection).documents += count;
  }
  countDocuments(database: string, collection: string): number {
    return this.collections.get(`${database}.${collection}`)?.documents ?? 0;
  }

  private ensureCollection(database: string, collection: string): CollectionState {
    const key = `${database}.${collection}`;
    let state = this.collections.get(key);
    if (!state) {
      state = { indexes: [{ v: 2, key: { _id: 1 }, name: "_id_" }], documents: 0 };
      this.collections.set(key, state);
    }
    return state;
  }

  /** The stored form: v: 2 first, then key, name, options; collations expanded like a server. */
  private asStored(request: Record<string, unknown>): ListedIndex {
    const stored: ListedIndex = { v: 2, key: request.key as Record<string, unknown>, name: request.name as string };
    for (const option of INDEX_OPTIONS) {
      if (request[option] === undefined) continue;
      stored[option] = option === "collation" ? { ...SERVER_COLLATION_DEFAULTS, ...(request.collation as object) } : request[option];
    }
    return stored;
  }

  private handle(request: MockRequest): void {
    const document = request.document;
    const name = Object.keys(document)[0];
    const database = request.response.ns.split(".")[0];
    this.commands.push({ name, database, document });
    const faultIndex = this.faults.findIndex((f) => f.command === name);
    if (faultIndex >= 0) {
      const [{ fault }] = this.faults.splice(faultIndex, 1);
      if (fault === "hang") return;
      if (fault === "drop") {
        request.connection.destroy();
        return;
      }
      request.reply(serverError(fault.code, fault.codeName, fault.errmsg));
      return;
    }
    request.reply(this.answer(name, database, document, request.connection));
  }

  private answer(name: string, database: string, document: Record<string, unknown>, connection: Socket): Record<string, unknown> {
    switch (name) {
      case "ismaster":
      case "isMaster":
      case "hello":
        return {
          ...mockServerModule.DEFAULT_ISMASTER,
          // The v7 driver needs wire version >= 9; the mock-server flag keeps it on OP_QUERY.
          maxWireVersion: 21,
          minWireVersion: 0,
          logicalSessionTimeoutMinutes: 30,
          localTime: new Date(),
          ...(document.saslSupportedMechs ? { saslSupportedMechs: ["SCRAM-SHA-256"] } : {}),
        };
      case "saslStart":
        return this.saslStart(document, connection);
      case "saslContinue":
        return this.saslContinue(document, connection);
      case "endSessions":
      case "ping":
        return { ok: 1 };
    }
    const user = this.logins.get(connection);
    if (Object.keys(this.users).length > 0 && !user) {
      return serverError(13, "Unauthorized", `Command ${name} requires authentication`);
    }
    if (name === "connectionStatus") {
      return {
        authInfo: {
          authenticatedUsers: user ? [{ user, db: "admin" }] : [],
          authenticatedUserRoles: user ? [{ role: "custom", db: "admin" }] : [],
          ...(document.showPrivileges ? { authenticatedUserPrivileges: user ? (this.users[user].privileges ?? FULL_INDEX_RIGHTS) : [] } : {}),
        },
        ok: 1,
      };
    }
    const collection = document[name] as string;
    const action = { listIndexes: "listIndexes", createIndexes: "createIndex", dropIndexes: "dropIndex", collMod: "collMod" }[name];
    if (!action) return serverError(59, "CommandNotFound", `no such command: '${name}'`);
    if (user && !this.allowed(user, database, collection, action)) {
      return serverError(13, "Unauthorized", `not authorized on ${database} to execute command { ${name}: "${collection}" }`);
    }
    const key = `${database}.${collection}`;
    const state = this.collections.get(key);
    switch (name) {
      case "listIndexes":
        if (!state) return serverError(26, "NamespaceNotFound", `ns does not exist: ${key}`);
        return { cursor: { id: mockBson.Long.ZERO, ns: key, firstBatch: structuredClone(state.indexes) }, ok: 1 };
      case "createIndexes":
        return this.createIndexes(database, collection, document.indexes as Record<string, unknown>[]);
      case "dropIndexes": {
        if (!state) return serverError(26, "NamespaceNotFound", `ns not found ${key}`);
        const names = ([] as string[]).concat(document.index as string | string[]);
        const missing = names.find((n) => !state.indexes.some((i) => i.name === n));
        if (missing) return serverError(27, "IndexNotFound", `index not found with name [${missing}]`);
        state.indexes = state.indexes.filter((i) => !names.includes(i.name));
        return { nIndexesWas: state.indexes.length + names.length, ok: 1 };
      }
      default: {
        const change = document.index as { name: string; expireAfterSeconds: number };
        const index = state?.indexes.find((i) => i.name === change.name);
        if (!index) return serverError(27, "IndexNotFound", `cannot find index ${change.name} for ns ${key}`);
        const old = index.expireAfterSeconds;
        index.expireAfterSeconds = change.expireAfterSeconds;
        return { expireAfterSeconds_old: old, expireAfterSeconds_new: change.expireAfterSeconds, ok: 1 };
      }
    }
  }

  private allowed(user: string, database: string, collection: string, action: string): boolean {
    return (this.users[user].privileges ?? FULL_INDEX_RIGHTS).some(
      (p) =>
        p.actions.includes(action) &&
        (p.resource.anyResource === true || ((p.resource.db === "" || p.resource.db === database) && (p.resource.collection === "" || p.resource.collection === collection))),
    );
  }

  /** The server's rules, all-or-nothing: a conflict anywhere fails the whole command. */
  private createIndexes(database: string, collection: string, requested: Record<string, unknown>[]): Record<string, unknown> {
    const existing = this.collections.get(`${database}.${collection}`)?.indexes ?? [{ v: 2, key: { _id: 1 }, name: "_id_" }];
    const keyText = (index: Record<string, unknown>) => JSON.stringify(Object.entries(index.key as object));
    const identity = (index: Record<string, unknown>) => keyText(index) + sortedJson([index.collation ?? null, index.partialFilterExpression ?? null]);
    const options = (index: Record<string, unknown>) => sortedJson(INDEX_OPTIONS.map((o) => index[o] ?? null));
    const toCreate: ListedIndex[] = [];
    for (const wanted of requested.map((r) => this.asStored(r))) {
      const sameName = existing.find((i) => i.name === wanted.name);
      if (sameName) {
        if (keyText(sameName) !== keyText(wanted)) {
          return serverError(86, "IndexKeySpecsConflict", `An existing index has the same name as the requested index but different keys. Requested index: ${sortedJson(wanted)}, existing index: ${sortedJson(sameName)}`);
        }
        if (options(sameName) !== options(wanted)) {
          return serverError(85, "IndexOptionsConflict", `An equivalent index already exists with the same name but different options. Requested index: ${sortedJson(wanted)}, existing index: ${sortedJson(sameName)}`);
        }
        continue;
      }
      const sameKeys = existing.find((i) => identity(i) === identity(wanted));
      if (sameKeys) return serverError(85, "IndexOptionsConflict", `Index already exists with a different name: ${sameKeys.name}`);
      toCreate.push(wanted);
    }
    const state = this.ensureCollection(database, collection);
    const before = state.indexes.length;
    state.indexes.push(...toCreate);
    return { numIndexesBefore: before, numIndexesAfter: state.indexes.length, ...(toCreate.length === 0 ? { note: "all indexes already exist" } : {}), ok: 1 };
  }

  // SCRAM-SHA-256 (RFC 7677) as the server plays it, so URIs with credentials log in for real.
  private saslStart(document: Record<string, unknown>, connection: Socket): Record<string, unknown> {
    const clientFirst = (document.payload as { value(raw: boolean): Buffer }).value(true).toString();
    const clientFirstBare = clientFirst.replace(/^n,[^,]*,/, "");
    const fields = Object.fromEntries(clientFirstBare.split(",").map((f) => [f[0], f.slice(2)]));
    const user = fields.n.replace(/=2C/g, ",").replace(/=3D/g, "=");
    if (document.mechanism !== "SCRAM-SHA-256" || !this.users[user]) return serverError(18, "AuthenticationFailed", "Authentication failed.");
    const salt = randomBytes(16);
    const nonce = fields.r + randomBytes(18).toString("base64");
    const serverFirst = `r=${nonce},s=${salt.toString("base64")},i=4096`;
    this.conversations.set(connection, { user, clientFirstBare, serverFirst, salt, nonce });
    return { conversationId: 1, done: false, payload: new mockBson.Binary(Buffer.from(serverFirst)), ok: 1 };
  }

  private saslContinue(document: Record<string, unknown>, connection: Socket): Record<string, unknown> {
    const conversation = this.conversations.get(connection);
    if (!conversation) return serverError(17, "ProtocolError", "No SASL session state found");
    const clientFinal = (document.payload as { value(raw: boolean): Buffer }).value(true).toString();
    const withoutProof = clientFinal.replace(/,p=[^,]*$/, "");
    const proof = Buffer.from(/,p=([^,]*)$/.exec(clientFinal)?.[1] ?? "", "base64");
    const saltedPassword = pbkdf2Sync(this.users[conversation.user].password, conversation.salt, 4096, 32, "sha256");
    const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
    const clientKey = hmac(saltedPassword, "Client Key");
    const authMessage = `${conversation.clientFirstBare},${conversation.serverFirst},${withoutProof}`;
    const clientSignature = hmac(createHash("sha256").update(clientKey).digest(), authMessage);
    const expected = Buffer.from(clientKey.map((byte, i) => byte ^ clientSignature[i]));
    if (!withoutProof.includes(`r=${conversation.nonce}`) || !expected.equals(proof)) {
      return serverError(18, "AuthenticationFailed", "Authentication failed.");
    }
    this.logins.set(connection, conversation.user);
    const serverSignature = hmac(hmac(saltedPassword, "Server Key"), authMessage).toString("base64");
    return { conversationId: 1, done: true, payload: new mockBson.Binary(Buffer.from(`v=${serverSignature}`)), ok: 1 };
  }
}

// ---------------------------------------------------------------------------------------------
// One scenario suite, two backends

/** A MongoDB the scenarios can run against, plus direct access "behind the provider's back". */
export interface IndexBackend {
  uri: string;
  database: string;
  listIndexes(collection: string): Promise<ListedIndex[]>;
  createIndexDirectly(collection: string, index: ListedIndex): Promise<void>;
  dropIndexDirectly(collection: string, name: string): Promise<void>;
  setTtlDirectly(collection: string, name: string, seconds: number): Promise<void>;
  insertDocuments(collection: string, count: number): Promise<void>;
  countDocuments(collection: string): Promise<number>;
  /** How many times a command reached the server, where the backend can tell. */
  commandCount?(command: string, collection?: string): number;
  close(): Promise<void>;
}

export function fakeBackend(fake: FakeMongo, database = "enrichment"): IndexBackend {
  return {
    uri: fake.uri(),
    database,
    listIndexes: async (c) => fake.listIndexes(database, c),
    createIndexDirectly: async (c, index) => fake.createIndexDirectly(database, c, index),
    dropIndexDirectly: async (c, name) => fake.dropIndexDirectly(database, c, name),
    setTtlDirectly: async (c, name, seconds) => fake.setTtlDirectly(database, c, name, seconds),
    insertDocuments: async (c, n) => fake.insertDocuments(database, c, n),
    countDocuments: async (c) => fake.countDocuments(database, c),
    commandCount: (command, collection) => fake.count(command, collection),
    close: async () => undefined,
  };
}

export const CATALOG_SPECS: Map<string, IndexSpecs> = specsByCollection(INDEX_CATALOG);

export function catalogInputs(backend: Pick<IndexBackend, "uri" | "database">, collection: string, indexes?: IndexSpecs): CollectionIndexesInputs {
  const declared = indexes ?? CATALOG_SPECS.get(collection);
  if (!declared) throw new Error(`no catalog entry for ${collection}`);
  return { connectionUri: backend.uri, database: backend.database, collection, indexes: structuredClone(declared), timeouts: { serverSelectionMs: 5_000, connectMs: 5_000, commandMs: 10_000 } };
}

async function specsOnServer(backend: IndexBackend, collection: string): Promise<Map<string, IndexSpec>> {
  return new Map((await backend.listIndexes(collection)).map((doc) => [doc.name, normalizeListedIndex(doc).spec]));
}

async function expectHeld(backend: IndexBackend, collection: string, declared: IndexSpecs): Promise<void> {
  const held = await specsOnServer(backend, collection);
  for (const [name, spec] of Object.entries(declared)) {
    expect(held.has(name), `${collection} should hold ${name}`).toBe(true);
    expect(specsEquivalent(spec, held.get(name) as IndexSpec), `${collection}.${name} as declared`).toBe(true);
  }
}

/**
 * The provider's behaviour on any MongoDB. `makeBackend` gives each test a fresh database.
 * The provider is the object the resource serializes; its methods are called as Pulumi would.
 */
export function defineReconcilerScenarios(label: string, makeBackend: () => Promise<IndexBackend>, options: { skip?: boolean } = {}): void {
  describe.skipIf(Boolean(options.skip))(label, () => {
    let backend: IndexBackend;
    const provider = mongoIndexesProvider;
    beforeEach(async () => {
      backend = await makeBackend();
    });
    afterEach(async () => {
      await backend?.close();
    });

    it("create builds every catalog index, one createIndexes per collection, adopting nothing on an empty database", async () => {
      for (const [collection, declared] of CATALOG_SPECS) {
        const result = await provider.create(catalogInputs(backend, collection));
        expect(result.id).toBe(`${backend.database}.${collection}`);
        expect([...(result.outs?.createdIndexes ?? [])].sort()).toEqual(Object.keys(declared).sort());
        expect(result.outs?.adoptedIndexes).toEqual([]);
        await expectHeld(backend, collection, declared);
        if (backend.commandCount) expect(backend.commandCount("createIndexes", collection)).toBe(1);
      }
      const heldNames = (await Promise.all([...CATALOG_SPECS.keys()].map(async (c) => (await backend.listIndexes(c)).map((i) => i.name).filter((n) => n !== "_id_")))).flat();
      expect(heldNames).toHaveLength(8);
    });

    it("adopts an index that already exists as declared, and delete drops only what it created", async () => {
      await backend.createIndexDirectly("enriched_documents", { v: 2, key: { status: 1, created_at: -1 }, name: "status_1_created_at_-1" });
      await backend.createIndexDirectly("enriched_documents", { v: 2, key: { owner: 1 }, name: "owner_1" });
      await backend.insertDocuments("enriched_documents", 3);

      const created = await provider.create(catalogInputs(backend, "enriched_documents"));
      expect(created.outs?.adoptedIndexes).toEqual(["status_1_created_at_-1"]);
      expect(created.outs?.createdIndexes).toEqual(["document_id_1_completeness_score_1"]);

      await provider.delete?.(created.id, created.outs as CollectionIndexesOutputs);
      const remaining = (await backend.listIndexes("enriched_documents")).map((i) => i.name).sort();
      expect(remaining).toEqual(["_id_", "owner_1", "status_1_created_at_-1"]);
      expect(await backend.countDocuments("enriched_documents")).toBe(3);
    });

    it("refuses the same name with other keys (code 86), naming both definitions, and creates nothing", async () => {
      await backend.createIndexDirectly("enriched_documents", { v: 2, key: { legacy_id: 1 }, name: "document_id_1_completeness_score_1" });
      const before = (await backend.listIndexes("enriched_documents")).map((i) => i.name);
      const failure = provider.create(catalogInputs(backend, "enriched_documents"));
      await expect(failure).rejects.toThrow(/code 86/);
      await expect(failure).rejects.toThrow(/document_id: 1, completeness_score: 1.*legacy_id: 1/s);
      expect((await backend.listIndexes("enriched_documents")).map((i) => i.name)).toEqual(before);
    });

    it("refuses the same keys under another name (code 85) and the same name with other options (code 85)", async () => {
      await backend.createIndexDirectly("enriched_documents", { v: 2, key: { status: 1, created_at: -1 }, name: "by_status" });
      await expect(provider.create(catalogInputs(backend, "enriched_documents"))).rejects.toThrow(/code 85.*"status_1_created_at_-1".*"by_status"/s);
      expect((await backend.listIndexes("enriched_documents")).map((i) => i.name).sort()).toEqual(["_id_", "by_status"]);

      await backend.createIndexDirectly("review_queue", { v: 2, key: { completed_at: 1 }, name: "completed_at_1" });
      await expect(provider.create(catalogInputs(backend, "review_queue"))).rejects.toThrow(/other options \(MongoDB code 85\).*expireAfterSeconds 2592000/s);
    });

    it("refresh after an index was dropped behind the provider's back reads it as gone; the next update rebuilds it", async () => {
      const inputs = catalogInputs(backend, "review_queue");
      const created = await provider.create(inputs);
      const state = created.outs as CollectionIndexesOutputs;

      await backend.dropIndexDirectly("review_queue", "document_id_1_status_1");
      const refreshed = await provider.read!(created.id, state);
      const refreshedState = refreshed.props as CollectionIndexesOutputs;
      expect(Object.keys(refreshedState.indexes).sort()).toEqual(["completed_at_1", "status_1_created_at_1_document_id_1"]);
      expect(refreshedState.createdIndexes).not.toContain("document_id_1_status_1");

      const diff = await provider.diff!(created.id, refreshedState, inputs);
      expect(diff.changes).toBe(true);
      expect(diff.replaces ?? []).toEqual([]);

      await provider.update!(created.id, refreshedState, inputs);
      await expectHeld(backend, "review_queue", inputs.indexes);
      const again = await provider.read!(created.id, state);
      expect(again.props?.indexes).toEqual(state.indexes);
    });

    it("a refresh right after create shows no drift", async () => {
      const inputs = catalogInputs(backend, "cost_records");
      const created = await provider.create(inputs);
      const refreshed = await provider.read!(created.id, created.outs as CollectionIndexesOutputs);
      expect(refreshed.props).toEqual(created.outs);
      const diff = await provider.diff!(created.id, refreshed.props as CollectionIndexesOutputs, inputs);
      expect(diff.changes).toBe(false);
    });

    it("a TTL changed behind its back shows on refresh and is put back in place with collMod, without a rebuild", async () => {
      const inputs = catalogInputs(backend, "review_queue");
      const created = await provider.create(inputs);
      await backend.setTtlDirectly("review_queue", "completed_at_1", 60);

      const refreshed = (await provider.read!(created.id, created.outs as CollectionIndexesOutputs)).props as CollectionIndexesOutputs;
      expect(refreshed.indexes.completed_at_1.expireAfterSeconds).toBe(60);
      const diff = (await provider.diff!(created.id, refreshed, inputs)) as { changes?: boolean; replaces?: string[]; changedProperties?: string[] };
      expect([diff.changes, diff.replaces, diff.changedProperties]).toEqual([true, [], ["indexes.completed_at_1.expireAfterSeconds"]]);

      const creates = backend.commandCount?.("createIndexes", "review_queue");
      const updated = await provider.update!(created.id, refreshed, inputs);
      expect(updated.outs?.createdIndexes).toEqual(created.outs?.createdIndexes);
      const held = await specsOnServer(backend, "review_queue");
      expect(held.get("completed_at_1")?.expireAfterSeconds).toBe(2592000);
      if (backend.commandCount) {
        expect(backend.commandCount("collMod", "review_queue")).toBe(1);
        expect(backend.commandCount("createIndexes", "review_queue")).toBe(creates);
        expect(backend.commandCount("dropIndexes", "review_queue")).toBe(0);
      }
    });

    it("update replaces an index whose keys changed and leaves the others alone", async () => {
      const declared: IndexSpecs = { by_job: { keys: [["job_id", 1]] }, by_status: { keys: [["status", 1]] } };
      const created = await provider.create(catalogInputs(backend, "ocr_jobs", declared));
      const changed: IndexSpecs = { ...declared, by_job: { keys: [["job_id", 1], ["created_at", -1]] } };
      const next = catalogInputs(backend, "ocr_jobs", changed);

      const diff = await provider.diff!(created.id, created.outs as CollectionIndexesOutputs, next);
      expect(diff.changes).toBe(true);
      expect(diff.replaces ?? []).toEqual([]);

      const updated = await provider.update!(created.id, created.outs as CollectionIndexesOutputs, next);
      expect([...(updated.outs?.createdIndexes ?? [])].sort()).toEqual(["by_job", "by_status"]);
      await expectHeld(backend, "ocr_jobs", changed);
    });

    it("update with nothing to change changes nothing", async () => {
      const inputs = catalogInputs(backend, "ocr_jobs");
      const created = await provider.create(inputs);
      const before = await backend.listIndexes("ocr_jobs");
      const counts = ["createIndexes", "dropIndexes", "collMod"].map((c) => backend.commandCount?.(c));
      const diff = await provider.diff!(created.id, created.outs as CollectionIndexesOutputs, inputs);
      expect(diff.changes).toBe(false);
      await provider.update!(created.id, created.outs as CollectionIndexesOutputs, inputs);
      expect(await backend.listIndexes("ocr_jobs")).toEqual(before);
      expect(["createIndexes", "dropIndexes", "collMod"].map((c) => backend.commandCount?.(c))).toEqual(counts);
    });

    it("an index no longer declared is dropped if the resource created it and left alone if it adopted it", async () => {
      await backend.createIndexDirectly("cost_records", { v: 2, key: { timestamp: 1 }, name: "timestamp_1" });
      const created = await provider.create(catalogInputs(backend, "cost_records"));
      expect(created.outs?.adoptedIndexes).toEqual(["timestamp_1"]);
      const updated = await provider.update!(created.id, created.outs as CollectionIndexesOutputs, catalogInputs(backend, "cost_records", {}));
      expect(updated.outs?.createdIndexes).toEqual([]);
      expect((await backend.listIndexes("cost_records")).map((i) => i.name).sort()).toEqual(["_id_", "timestamp_1"]);
    });
  });
}
