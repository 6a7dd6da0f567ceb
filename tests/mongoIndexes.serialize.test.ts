// The component under Pulumi mocks: what it registers, that the connection URI is a secret and
// never inside the serialized provider, and that the serialized provider (loaded the way the
// SDK's dynamic-provider host loads it) still works against a MongoDB.
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectionIndexesInputs, CollectionIndexesOutputs } from "../planes/data/mongoIndexes/provider";
import { FakeMongo } from "./mongoIndexes.support";

type ComponentModule = typeof import("../planes/data/mongoIndexes");

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const PASSWORD = "Sup3r-s3cret/pw";
const CONNECTION_URI = `mongodb://root:${encodeURIComponent(PASSWORD)}@mongodb:27017/?authSource=admin`;

interface RawRegistration {
  type: string;
  name: string;
  parent: string;
  object: Record<string, unknown>;
  additionalSecretOutputs: string[];
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getObject(): { toJavaScript(): Record<string, unknown> };
  getAdditionalsecretoutputsList(): string[];
}

const registrations: RawRegistration[] = [];
let components: ComponentModule;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: () => ({}),
    },
    "enrichment",
    "test",
    false,
  );
  // The raw register request keeps what MockResourceArgs drops (secret signatures, parent, ...).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): { registerResource(req: RegisterRequest, cb: unknown): unknown } };
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    registrations.push({
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      object: req.getObject().toJavaScript(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return register(req, callback);
  };
  // Imported only now: the program must see the mocks.
  components = await import("../planes/data/mongoIndexes");
});

function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

describe("MongoIndexes under Pulumi mocks", () => {
  let component: InstanceType<ComponentModule["MongoIndexes"]>;
  let dynamicResources: RawRegistration[];
  let reviewQueue: RawRegistration;

  beforeAll(async () => {
    component = new components.MongoIndexes("mongo-indexes", { connectionUri: CONNECTION_URI, database: "enrichment" });
    await Promise.all(Object.values(component.collections).map((resource) => settled(resource.urn)));
    await settled(component.urn);
    dynamicResources = registrations.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
    reviewQueue = dynamicResources.find((r) => r.name === "mongo-indexes-review_queue") as RawRegistration;
  });

  it("registers one dynamic resource per collection, named after it, under the component", () => {
    expect(Object.keys(component.collections)).toEqual(["ocr_jobs", "enriched_documents", "review_queue", "cost_records"]);
    // Registration order depends on when each resource's inputs resolve.
    expect(dynamicResources.map((r) => r.name).sort()).toEqual(["mongo-indexes-cost_records", "mongo-indexes-enriched_documents", "mongo-indexes-ocr_jobs", "mongo-indexes-review_queue"]);
    const componentRegistration = registrations.find((r) => r.type === "enrichment:data:MongoIndexes");
    expect(componentRegistration).toBeDefined();
    for (const resource of dynamicResources) expect(resource.parent).toMatch(/enrichment:data:MongoIndexes::mongo-indexes$/);
    const declared = dynamicResources.flatMap((r) => Object.keys(r.object.indexes as object));
    expect(declared).toHaveLength(8);
  });

  it("sends the connection URI as a secret and asks the engine to keep it secret in state", () => {
    for (const resource of dynamicResources) {
      const uri = resource.object.connectionUri as Record<string, unknown>;
      expect(uri[SECRET_SIG]).toBe("1b47061264138c4ac30d75fd1eb44270");
      expect(uri.value).toBe(CONNECTION_URI);
      expect(resource.additionalSecretOutputs).toContain("connectionUri");
    }
  });

  it("serializes a provider that holds neither the URI nor the password, nor any relative require", () => {
    for (const resource of dynamicResources) {
      const text = resource.object.__provider;
      expect(typeof text).toBe("string");
      expect(text as string).not.toContain(PASSWORD);
      expect(text as string).not.toContain(encodeURIComponent(PASSWORD));
      expect(text as string).not.toContain("mongodb:27017");
      // A relative require would resolve against the provider host's working directory.
      expect(text as string).not.toMatch(/require\(["']\.\.?\//);
    }
    // One provider, serialized once: every collection carries the same code.
    expect(new Set(dynamicResources.map((r) => r.object.__provider)).size).toBe(1);
  });

  describe("the serialized provider, loaded the way the SDK's dynamic-provider host loads it", () => {
    type LoadedProvider = Required<pulumi.dynamic.ResourceProvider<CollectionIndexesInputs, CollectionIndexesOutputs>>;
    let loaded: LoadedProvider;
    let fake: FakeMongo;

    beforeAll(async () => {
      // cmd/dynamic-provider does `requireFromString(props.__provider).handler()`.
      const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
      const requireFromString = sdkRequire("require-from-string") as (code: string) => { handler(): LoadedProvider };
      loaded = requireFromString(reviewQueue.object.__provider as string).handler();
      fake = await FakeMongo.start({ root: { password: PASSWORD } });
    });
    afterAll(async () => {
      await fake?.stop();
    });

    it("still has every method", () => {
      expect(["check", "diff", "create", "read", "update", "delete"].filter((m) => typeof loaded[m as keyof LoadedProvider] === "function")).toHaveLength(6);
    });

    it("runs the pure planning it carries (check and diff)", async () => {
      const inputs = reviewQueue.object;
      const news = { ...inputs, connectionUri: CONNECTION_URI } as unknown as CollectionIndexesInputs;
      expect((await loaded.check({} as CollectionIndexesInputs, news)).failures).toEqual([]);
      const ttlChanged = { ...news, indexes: { ...news.indexes, completed_at_1: { keys: [["completed_at", 1]], expireAfterSeconds: 60 } } } as CollectionIndexesInputs;
      const diff = await loaded.diff("id", { ...news, createdIndexes: [], adoptedIndexes: [] }, ttlChanged);
      expect([diff.changes, diff.replaces]).toEqual([true, []]);
    });

    it("loads the driver inside its methods and reconciles a real socket's MongoDB", async () => {
      const inputs = {
        ...(reviewQueue.object as unknown as CollectionIndexesInputs),
        connectionUri: fake.uri({ user: "root", password: PASSWORD }),
        timeouts: { serverSelectionMs: 3_000, connectMs: 3_000, commandMs: 5_000 },
      };
      const created = await loaded.create(inputs);
      // The map came through a protobuf Struct, which does not keep key order (index keys are pairs for that reason).
      expect([...(created.outs?.createdIndexes ?? [])].sort()).toEqual(["completed_at_1", "document_id_1_status_1", "status_1_created_at_1_document_id_1"]);
      expect(fake.count("createIndexes", "review_queue")).toBe(1);
      fake.dropIndexDirectly("enrichment", "review_queue", "completed_at_1");
      const refreshed = await loaded.read(created.id, created.outs as CollectionIndexesOutputs);
      expect(Object.keys(refreshed.props?.indexes ?? {})).not.toContain("completed_at_1");
    });
  });
});

describe("MongoIndexes argument validation", () => {
  it("refuses duplicate names, empty keys and TTL on a compound index, saying what to change", () => {
    const attempt = () =>
      new components.MongoIndexes("bad", {
        connectionUri: CONNECTION_URI,
        database: "enrichment",
        indexes: [
          { collection: "c", keys: [["a", 1]], name: "same" },
          { collection: "c", keys: [["b", 1]], name: "same" },
          { collection: "c", keys: [] },
          { collection: "c", keys: [["x", 1], ["y", -1]], expireAfterSeconds: 60 },
        ],
      });
    expect(attempt).toThrow(components.MongoIndexesError);
    expect(attempt).toThrow(/declares index name "same" twice/);
    expect(attempt).toThrow(/has no keys: list at least one/);
    expect(attempt).toThrow(/TTL needs a single-field index, so index only the date field or drop expireAfterSeconds/);
    expect(registrations.some((r) => r.name === "bad" || r.name.startsWith("bad-"))).toBe(false);
  });
});
