// The database: access control on, and the indexes the checklist lists.
import { CHECKLIST_INDEXES, INDEX_RESOURCE, MONGODB, TYPES } from "./facts";
import { commandOf, known, serviceOf, UNKNOWN } from "./read";
import type { ResourceEntry, StackEntry } from "./types";

export const mongodbAuth: ResourceEntry = {
  kind: "resource",
  name: "data-mongodb-auth",
  why: "A MongoDB without access control lets anything on the private network read and rewrite every document.",
  checklist: "Authentication configured (username/password)",
  types: [TYPES.container],
  validate(_ctx, args, report) {
    if (serviceOf(args.props) !== MONGODB.service) args.notApplicable("not the MongoDB container");
    if (!commandOf(args.props).includes(MONGODB.authFlag)) report(`mongod runs without ${MONGODB.authFlag}`);
  },
};

export const checklistIndexes: StackEntry = {
  kind: "stack",
  name: "data-checklist-indexes",
  why: "The queries the services run on these fields scan whole collections without an index.",
  checklist: "Indexes created: ocr_jobs on job_id, status, created_at; enriched_documents on document_id, completeness_score; review_queue on status, created_at, document_id; cost_records on enrichment_job_id, created_at",
  validate(_ctx, { resources }, report) {
    const covered = new Map<string, Set<string>>();
    for (const r of resources.filter((r) => r.type === INDEX_RESOURCE.type)) {
      const collection = known(() => r.props[INDEX_RESOURCE.collectionProp] as string | undefined);
      const indexes = known(() => r.props[INDEX_RESOURCE.indexesProp] as Record<string, { keys?: [string, unknown][] | Record<string, unknown> }> | undefined);
      if (collection === UNKNOWN || indexes === UNKNOWN || typeof collection !== "string") continue;
      const fields = covered.get(collection) ?? new Set<string>();
      // Keys as the catalog writes them ([[field, direction], ...]) or as a key document.
      for (const index of Object.values(indexes ?? {})) {
        const keys = index.keys ?? [];
        for (const field of Array.isArray(keys) ? keys.map(([f]) => f) : Object.keys(keys)) fields.add(field);
      }
      covered.set(collection, fields);
    }
    for (const [collection, fields] of Object.entries(CHECKLIST_INDEXES)) {
      const have = covered.get(collection);
      const missing = fields.filter((f) => !have?.has(f));
      if (!have) report(`no index resource manages ${collection} (facts/indexes.ts)`);
      else if (missing.length) report(`${collection}: no index covers ${missing.join(", ")}`);
    }
  },
};

export const DATA_POLICIES = [mongodbAuth, checklistIndexes];
