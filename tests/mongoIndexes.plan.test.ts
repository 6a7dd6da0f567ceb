// Planning: desired indexes versus real `listIndexes` output, without a server.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INDEX_CATALOG, type IndexDefinition } from "../facts/indexes";
import {
  changedProperties,
  classifyChange,
  collationSatisfies,
  connectionFacts,
  defaultIndexName,
  indexModel,
  missingPrivileges,
  normalizeListedIndex,
  planDiff,
  planReconcile,
  redactSecrets,
  specsByCollection,
  specsEquivalent,
  validateDefinitions,
  type IndexSpecs,
  type ListedIndex,
  type ResourceState,
} from "../planes/data/mongoIndexes/plan";

// Documents as `listIndexes` returns them from MongoDB 7 (and older servers' extra fields).
const ID_INDEX: ListedIndex = { v: 2, key: { _id: 1 }, name: "_id_" };
const LISTED_TTL: ListedIndex = { v: 2, key: { completed_at: 1 }, name: "completed_at_1", expireAfterSeconds: 2592000 };
const LISTED_COMPOUND: ListedIndex = { v: 2, key: { status: 1, created_at: 1, document_id: 1 }, name: "status_1_created_at_1_document_id_1" };
const LISTED_LEGACY: ListedIndex = { v: 1, key: { document_id: 1.0, status: 1.0 }, name: "document_id_1_status_1", ns: "enrichment.review_queue", background: true, unique: false };
const LISTED_COLLATED: ListedIndex = {
  v: 2,
  key: { email: 1 },
  name: "email_1",
  unique: true,
  collation: {
    locale: "en",
    caseLevel: false,
    caseFirst: "off",
    strength: 2,
    numericOrdering: false,
    alternate: "non-ignorable",
    maxVariable: "punct",
    normalization: false,
    backwards: false,
    version: "57.1",
  },
};
const LISTED_TEXT: ListedIndex = {
  v: 2,
  key: { tenant: 1, _fts: "text", _ftsx: 1 },
  name: "tenant_1_title_text_body_text",
  weights: { body: 1, title: 1 },
  default_language: "english",
  language_override: "language",
  textIndexVersion: 3,
};
const LISTED_PARTIAL: ListedIndex = { v: 2, key: { status: 1 }, name: "pending", partialFilterExpression: { status: { $eq: "pending" }, priority: { $gt: 2 } } };

const REVIEW_QUEUE = specsByCollection(INDEX_CATALOG).get("review_queue") as IndexSpecs;

describe("catalog", () => {
  const specPath = join(__dirname, "..", "..", "shared", "spec.md");

  // The platform's spec lives beside the repository (../shared/spec.md), not in it: a clone elsewhere says so in the title.
  const haveSpec = existsSync(specPath);
  const title = haveSpec
    ? "holds exactly the spec's eight indexes (parsed from spec.md)"
    : `holds exactly the spec's eight indexes: skipped, ${specPath} (the platform's spec, kept beside the repository) is absent`;
  it.skipIf(!haveSpec)(title, () => {
    const section = readFileSync(specPath, "utf8").split("## MongoDB indexes")[1].split("\n## ")[0];
    const rows = section
      .split("\n")
      .filter((line) => /^\|\s*[a-z_]+\s*\|/.test(line) && !line.includes("collection"))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const fromSpec = rows.map(([, collection, keys, options]) => ({
      collection,
      keys: keys.split(",").map((pair) => {
        const [field, direction] = pair.trim().split(/\s+/);
        return [field, Number(direction)];
      }),
      ttl: /expireAfterSeconds (\d+)/.exec(options)?.[1],
    }));
    expect(fromSpec).toHaveLength(8);
    expect(INDEX_CATALOG.map((d) => ({ collection: d.collection, keys: d.keys, ttl: d.expireAfterSeconds?.toString() }))).toEqual(fromSpec);
  });

  it("names indexes the way MongoDB does and groups them by collection", () => {
    expect(defaultIndexName([["status", 1], ["created_at", -1]])).toBe("status_1_created_at_-1");
    const grouped = specsByCollection(INDEX_CATALOG);
    expect(Object.fromEntries([...grouped].map(([c, specs]) => [c, Object.keys(specs)]))).toEqual({
      ocr_jobs: ["job_id_1_status_1_created_at_1"],
      enriched_documents: ["document_id_1_completeness_score_1", "status_1_created_at_-1"],
      review_queue: ["status_1_created_at_1_document_id_1", "document_id_1_status_1", "completed_at_1"],
      cost_records: ["enrichment_job_id_1_created_at_1", "timestamp_1"],
    });
    expect(validateDefinitions(INDEX_CATALOG)).toEqual([]);
  });
});

describe("normalizing listIndexes output", () => {
  it("keeps key order and drops fields that are not options (v, ns, background, false booleans)", () => {
    expect(normalizeListedIndex(LISTED_COMPOUND).spec).toEqual({ keys: [["status", 1], ["created_at", 1], ["document_id", 1]] });
    expect(normalizeListedIndex(LISTED_LEGACY)).toEqual({ name: "document_id_1_status_1", spec: { keys: [["document_id", 1], ["status", 1]] } });
    expect(normalizeListedIndex(LISTED_TTL).spec).toEqual({ keys: [["completed_at", 1]], expireAfterSeconds: 2592000 });
  });

  it("rebuilds text keys from weights and drops the collation's ICU version", () => {
    expect(normalizeListedIndex(LISTED_TEXT).spec.keys).toEqual([["tenant", 1], ["body", "text"], ["title", "text"]]);
    expect(normalizeListedIndex(LISTED_COLLATED).spec.collation).not.toHaveProperty("version");
  });

  it("matches declarations: key order and direction matter, defaults and option key order do not", () => {
    const listed = normalizeListedIndex(LISTED_COMPOUND).spec;
    expect(specsEquivalent({ keys: [["status", 1], ["created_at", 1], ["document_id", 1]], unique: false }, listed)).toBe(true);
    expect(specsEquivalent({ keys: [["created_at", 1], ["status", 1], ["document_id", 1]] }, listed)).toBe(false);
    expect(specsEquivalent({ keys: [["status", 1], ["created_at", -1], ["document_id", 1]] }, listed)).toBe(false);
    expect(specsEquivalent({ keys: [["tenant", 1], ["title", "text"], ["body", "text"]] }, normalizeListedIndex(LISTED_TEXT).spec)).toBe(true);
    expect(specsEquivalent({ keys: [["status", 1]], partialFilterExpression: { priority: { $gt: 2 }, status: { $eq: "pending" } } }, normalizeListedIndex(LISTED_PARTIAL).spec)).toBe(true);
  });

  it("compares a declared collation with the server's expanded one", () => {
    const held = normalizeListedIndex(LISTED_COLLATED).spec.collation;
    expect(collationSatisfies({ locale: "en", strength: 2 }, held)).toBe(true);
    // Strength left out means the default 3, which is not what the server holds.
    expect(collationSatisfies({ locale: "en" }, held)).toBe(false);
    expect(collationSatisfies({ locale: "fr", strength: 2 }, held)).toBe(false);
    expect(collationSatisfies({ locale: "simple" }, undefined)).toBe(true);
  });
});

describe("planReconcile on create", () => {
  it("creates what is missing, in declared order, and adopts what exists as declared", () => {
    const plan = planReconcile({ desired: REVIEW_QUEUE, listed: [ID_INDEX, LISTED_TTL, LISTED_LEGACY] });
    expect(plan.create.map((c) => c.name)).toEqual(["status_1_created_at_1_document_id_1"]);
    expect(plan.adopt).toEqual(["document_id_1_status_1", "completed_at_1"]);
    expect(plan.created).toEqual(["status_1_created_at_1_document_id_1"]);
    expect(plan.conflicts).toEqual([]);
    expect(plan.drop).toEqual([]);
  });

  it("reports the same name with other keys as code 86, naming both definitions", () => {
    const listed: ListedIndex = { v: 2, key: { document_id: 1 }, name: "document_id_1_status_1" };
    const [conflict] = planReconcile({ desired: REVIEW_QUEUE, listed: [ID_INDEX, listed] }).conflicts;
    expect(conflict.code).toBe(86);
    expect(conflict.reason).toContain(`declared "document_id_1_status_1" {keys {document_id: 1, status: 1}}`);
    expect(conflict.reason).toContain(`existing "document_id_1_status_1" {keys {document_id: 1}}`);
  });

  it("reports the same name with other options, and the same keys under another name, as code 85", () => {
    const untimed: ListedIndex = { v: 2, key: { completed_at: 1 }, name: "completed_at_1" };
    const renamed: ListedIndex = { v: 2, key: { document_id: 1, status: 1 }, name: "doc_status" };
    const plan = planReconcile({ desired: REVIEW_QUEUE, listed: [ID_INDEX, untimed, renamed] });
    expect(plan.conflicts.map((c) => [c.code, c.declaredName, c.existingName])).toEqual([
      [85, "completed_at_1", "completed_at_1"],
      [85, "document_id_1_status_1", "doc_status"],
    ]);
    expect(plan.conflicts[0].reason).toMatch(/other options.*expireAfterSeconds 2592000/);
  });

  it("does not see a clash where MongoDB sees none (same keys, other collation)", () => {
    const collated: ListedIndex = { ...LISTED_LEGACY, name: "doc_status_en", collation: { locale: "en", strength: 2 } };
    const plan = planReconcile({ desired: REVIEW_QUEUE, listed: [ID_INDEX, collated] });
    expect(plan.conflicts).toEqual([]);
    expect(plan.create.map((c) => c.name)).toContain("document_id_1_status_1");
  });
});

describe("planReconcile on update", () => {
  const previous = { declared: REVIEW_QUEUE, created: ["status_1_created_at_1_document_id_1", "document_id_1_status_1", "completed_at_1"] };
  const listedAsDeclared = [ID_INDEX, LISTED_COMPOUND, LISTED_LEGACY, LISTED_TTL];

  it("does nothing when nothing changed", () => {
    const plan = planReconcile({ desired: REVIEW_QUEUE, listed: listedAsDeclared, previous });
    expect([plan.create, plan.drop, plan.collMod, plan.conflicts, plan.adopt]).toEqual([[], [], [], [], []]);
    expect(plan.created).toEqual(previous.created);
  });

  it("changes only a TTL in place with collMod, and removes a TTL by replacing the index", () => {
    const weekly = { ...REVIEW_QUEUE, completed_at_1: { keys: REVIEW_QUEUE.completed_at_1.keys, expireAfterSeconds: 604800 } };
    const ttlPlan = planReconcile({ desired: weekly, listed: listedAsDeclared, previous });
    expect(ttlPlan.collMod).toEqual([{ name: "completed_at_1", expireAfterSeconds: 604800 }]);
    expect([ttlPlan.create, ttlPlan.drop]).toEqual([[], []]);

    const untimed = { ...REVIEW_QUEUE, completed_at_1: { keys: REVIEW_QUEUE.completed_at_1.keys } };
    const removal = planReconcile({ desired: untimed, listed: listedAsDeclared, previous });
    expect(removal.replace).toEqual(["completed_at_1"]);
    expect(removal.drop).toEqual(["completed_at_1"]);
    expect(removal.create).toEqual([{ name: "completed_at_1", spec: { keys: [["completed_at", 1]] } }]);
  });

  it("replaces an index whose keys or unmodifiable options changed", () => {
    const unique = { ...REVIEW_QUEUE, document_id_1_status_1: { ...REVIEW_QUEUE.document_id_1_status_1, unique: true } };
    const plan = planReconcile({ desired: unique, listed: listedAsDeclared, previous });
    expect(plan.replace).toEqual(["document_id_1_status_1"]);
    expect(plan.conflicts).toEqual([]);
    expect(classifyChange(unique.document_id_1_status_1, REVIEW_QUEUE.document_id_1_status_1)).toBe("replace");
  });

  it("drops an undeclared index it created, releases one it adopted, and rebuilds one dropped behind its back", () => {
    const { document_id_1_status_1: _dropped, completed_at_1: _released, ...rest } = REVIEW_QUEUE;
    const plan = planReconcile({
      desired: rest,
      listed: [ID_INDEX, LISTED_LEGACY, LISTED_TTL],
      previous: { declared: REVIEW_QUEUE, created: ["status_1_created_at_1_document_id_1", "document_id_1_status_1"] },
    });
    expect(plan.drop).toEqual(["document_id_1_status_1"]);
    expect(plan.release).toEqual(["completed_at_1"]);
    expect(plan.create.map((c) => c.name)).toEqual(["status_1_created_at_1_document_id_1"]);
  });

  it("renames an index it created (drop first, then create) but refuses to take the keys of one it adopted", () => {
    const renamed: IndexSpecs = { doc_status: REVIEW_QUEUE.document_id_1_status_1 };
    const declared = { document_id_1_status_1: REVIEW_QUEUE.document_id_1_status_1 };
    const owned = planReconcile({ desired: renamed, listed: [ID_INDEX, LISTED_LEGACY], previous: { declared, created: ["document_id_1_status_1"] } });
    expect([owned.drop, owned.create.map((c) => c.name), owned.conflicts]).toEqual([["document_id_1_status_1"], ["doc_status"], []]);

    const adopted = planReconcile({ desired: renamed, listed: [ID_INDEX, LISTED_LEGACY], previous: { declared, created: [] } });
    expect(adopted.conflicts.map((c) => [c.code, c.existingName])).toEqual([[85, "document_id_1_status_1"]]);
  });

  it("never modifies an index it did not manage before, even under a newly declared name", () => {
    const other: ListedIndex = { v: 2, key: { priority: 1 }, name: "by_priority" };
    const plan = planReconcile({ desired: { ...REVIEW_QUEUE, by_priority: { keys: [["priority", -1]] } }, listed: [...listedAsDeclared, other], previous });
    expect(plan.conflicts.map((c) => c.code)).toEqual([86]);
    expect(plan.drop).toEqual([]);
  });
});

describe("planDiff (state versus new inputs)", () => {
  const state: ResourceState = {
    connectionUri: "mongodb://app:one@mongo:27017/?authSource=admin",
    database: "enrichment",
    collection: "review_queue",
    indexes: REVIEW_QUEUE,
    createdIndexes: Object.keys(REVIEW_QUEUE),
  };

  it("names a TTL-only change index by index and plans collMod, no replacement", () => {
    const news = { ...state, indexes: { ...REVIEW_QUEUE, completed_at_1: { keys: [["completed_at", 1]], expireAfterSeconds: 86400 } } } as ResourceState;
    expect(planDiff(state, news)).toEqual({
      changes: true,
      replaces: [],
      changedProperties: ["indexes.completed_at_1.expireAfterSeconds"],
      indexActions: { completed_at_1: "collMod" },
    });
  });

  it("names key changes, additions and removals", () => {
    const { completed_at_1: _removed, ...kept } = REVIEW_QUEUE;
    const news: ResourceState = {
      ...state,
      indexes: { ...kept, document_id_1_status_1: { keys: [["status", 1], ["document_id", 1]] }, by_owner: { keys: [["owner", 1]] } },
    };
    const diff = planDiff(state, news);
    expect(diff.changedProperties.sort()).toEqual(["indexes.by_owner", "indexes.completed_at_1", "indexes.document_id_1_status_1.keys"]);
    expect(diff.indexActions).toEqual({ by_owner: "create", completed_at_1: "drop", document_id_1_status_1: "replace" });
  });

  it("sees no change in a different spelling of the same thing", () => {
    const news: ResourceState = { ...state, indexes: { ...REVIEW_QUEUE, document_id_1_status_1: { keys: [["document_id", 1], ["status", 1]], unique: false, sparse: false } } };
    expect(planDiff(state, news).changes).toBe(false);
  });

  it("replaces on another database, collection or server; updates on new credentials only", () => {
    expect(planDiff(state, { ...state, database: "other" }).replaces).toEqual(["database"]);
    expect(planDiff(state, { ...state, collection: "x" }).replaces).toEqual(["collection"]);
    expect(planDiff(state, { ...state, connectionUri: "mongodb://app:one@db2:27017/" }).replaces).toEqual(["connectionUri"]);
    const rotated = planDiff(state, { ...state, connectionUri: "mongodb://app:two@mongo:27017/?authSource=admin" });
    expect([rotated.changes, rotated.replaces, rotated.changedProperties]).toEqual([true, [], ["connectionUri"]]);
    expect(planDiff(state, { ...state, connectionUri: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }).replaces).toEqual([]);
  });
});

describe("validation says what to change", () => {
  it("rejects duplicate names, empty keys, TTL on a compound index and the same keys twice", () => {
    const definitions: IndexDefinition[] = [
      { collection: "c", keys: [["a", 1]], name: "dup" },
      { collection: "c", keys: [["b", 1]], name: "dup" },
      { collection: "c", keys: [] },
      { collection: "c", keys: [["x", 1], ["y", 1]], expireAfterSeconds: 60 },
      { collection: "d", keys: [["k", 1]] },
      { collection: "d", keys: [["k", 1]], name: "k_again" },
    ];
    const problems = validateDefinitions(definitions).join("\n");
    expect(problems).toMatch(/declares index name "dup" twice .*give one of them another `name`/);
    expect(problems).toMatch(/an index on c has no keys: list at least one \[field, direction\] pair/);
    expect(problems).toMatch(/"x_1_y_1" on c has a TTL .* but 2 keys: TTL needs a single-field index/);
    expect(problems).toMatch(/declares the same keys twice, as "k_1" and "k_again"/);
  });
});

describe("privileges", () => {
  const status = (privileges: { resource: Record<string, unknown>; actions: string[] }[]) => ({
    authInfo: { authenticatedUsers: [{ user: "app", db: "admin" }], authenticatedUserPrivileges: privileges },
  });

  it("finds the actions the user lacks on the collection", () => {
    const readWriteOther = status([{ resource: { db: "other", collection: "" }, actions: ["createIndex", "dropIndex"] }]);
    expect(missingPrivileges(readWriteOther, "enrichment", "c", ["listIndexes", "createIndex"])).toEqual(["listIndexes", "createIndex"]);
    const dbAdmin = status([{ resource: { db: "enrichment", collection: "" }, actions: ["listIndexes", "createIndex", "dropIndex", "collMod"] }]);
    expect(missingPrivileges(dbAdmin, "enrichment", "c", ["listIndexes", "createIndex", "collMod"])).toEqual([]);
    expect(missingPrivileges(status([{ resource: { anyResource: true }, actions: ["createIndex"] }]), "x", "y", ["createIndex"])).toEqual([]);
    expect(missingPrivileges(status([{ resource: { cluster: true }, actions: ["createIndex"] }]), "x", "y", ["createIndex"])).toEqual(["createIndex"]);
  });

  it("checks nothing when nobody is logged in (no access control)", () => {
    expect(missingPrivileges({ authInfo: { authenticatedUsers: [] } }, "x", "y", ["createIndex"])).toEqual([]);
  });
});

describe("connection strings", () => {
  const uri = "mongodb://app%40corp:p%40ss%2Fw0rd@mongo-a:27017,mongo-b:27018/enrichment?replicaSet=rs0";

  it("extracts what may be printed", () => {
    expect(connectionFacts(uri)).toEqual({
      hosts: "mongo-a:27017,mongo-b:27018",
      endpoint: "mongodb://mongo-a:27017,mongo-b:27018/",
      username: "app@corp",
      password: "p@ss/w0rd",
      authSource: "enrichment",
    });
    expect(connectionFacts("mongodb://u:p@h/?authSource=admin").authSource).toBe("admin");
  });

  it("redacts the password in any spelling and credentials of any URI", () => {
    const text = `failed for ${uri}; password p@ss/w0rd; encoded p%40ss%2Fw0rd; other mongodb://x:y@z:1/`;
    const redacted = redactSecrets(text, uri);
    expect(redacted).not.toMatch(/p@ss\/w0rd|p%40ss%2Fw0rd|x:y@/);
    expect(redacted).toContain("mongodb://mongo-a:27017,mongo-b:27018/");
  });
});

it("builds createIndexes entries with keys in declared order and only the options that are set", () => {
  const model = indexModel({ name: "n", spec: { keys: [["b", 1], ["a", -1]], unique: true, sparse: false } });
  expect([...(model.key as Map<string, number>).entries()]).toEqual([["b", 1], ["a", -1]]);
  expect(model).toMatchObject({ name: "n", unique: true });
  expect(model).not.toHaveProperty("sparse");
  expect(changedProperties({ keys: [["a", 1]] }, { keys: [["a", 1]], unique: true, expireAfterSeconds: 5 })).toEqual(["unique", "expireAfterSeconds"]);
});
