// The MongoDB indexes the platform needs (spec: "MongoDB indexes"), as data. The reconciler in
// this folder creates them, detects drift on them, and touches nothing else.

/** A key's direction or special index type, as MongoDB writes it in a key pattern. */
export type IndexDirection = 1 | -1 | "text" | "2dsphere" | "hashed";

/** One key of an index: field and direction. Keys are pairs in an array because their order matters. */
export type IndexKey = [field: string, direction: IndexDirection];

/** A collation as MongoDB accepts it; only `locale` is required. */
export interface IndexCollation {
  locale: string;
  caseLevel?: boolean;
  caseFirst?: "upper" | "lower" | "off";
  strength?: 1 | 2 | 3 | 4 | 5;
  numericOrdering?: boolean;
  alternate?: "non-ignorable" | "shifted";
  maxVariable?: "punct" | "space";
  backwards?: boolean;
  normalization?: boolean;
}

export interface IndexDefinition {
  collection: string;
  /** Keys in index order, e.g. `[["status", 1], ["created_at", -1]]`. */
  keys: IndexKey[];
  /** Defaults to MongoDB's own name for the keys (`status_1_created_at_-1`). */
  name?: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Record<string, unknown>;
  collation?: IndexCollation;
  /** TTL in seconds; only on a single-field index. */
  expireAfterSeconds?: number;
}

const THIRTY_DAYS_IN_SECONDS = 30 * 24 * 60 * 60;

/** Exactly the eight indexes of the spec, in its order. */
export const INDEX_CATALOG: readonly IndexDefinition[] = Object.freeze([
  {
    collection: "ocr_jobs",
    keys: [
      ["job_id", 1],
      ["status", 1],
      ["created_at", 1],
    ],
  },
  {
    collection: "enriched_documents",
    keys: [
      ["document_id", 1],
      ["completeness_score", 1],
    ],
  },
  {
    collection: "enriched_documents",
    keys: [
      ["status", 1],
      ["created_at", -1],
    ],
  },
  {
    collection: "review_queue",
    keys: [
      ["status", 1],
      ["created_at", 1],
      ["document_id", 1],
    ],
  },
  {
    collection: "review_queue",
    keys: [
      ["document_id", 1],
      ["status", 1],
    ],
  },
  { collection: "review_queue", keys: [["completed_at", 1]], expireAfterSeconds: THIRTY_DAYS_IN_SECONDS },
  {
    collection: "cost_records",
    keys: [
      ["enrichment_job_id", 1],
      ["created_at", 1],
    ],
  },
  { collection: "cost_records", keys: [["timestamp", 1]] },
] satisfies IndexDefinition[]);
