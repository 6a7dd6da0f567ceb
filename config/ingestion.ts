// Stack settings of the web-ingestion plane (planes/ingestion, seed 004): whether it runs, its
// third-party images, the seed's .env (feature flags, model names, tuning), its success metrics
// (alert thresholds and promotion gates) and its sizes. The plane's own builds (the ingestion MCP
// server, the SPLADE and Crawl4AI runners) are `release.images` entries, pinned by digest like the
// platform's own images; its secrets are the top-level keys in INGESTION_SECRET_KEYS.
//
// No `ingestion` block: the plane does not exist (today's stacks are unchanged). `enabled: true`:
// the plane runs. `enabled: false`: no container of the plane runs, but its stateful volumes stay
// managed (and protected where the stack protects state), so turning it off keeps its data.
import { z } from "zod";
import { INGESTION_LOOPBACK_ONLY, INGESTION_PUBLISHABLE, INGESTION_RELEASE_SERVICES, INGESTION_DATABASE } from "../facts/ingestion";
import { bool, int, num, pinnedImage, size, text } from "./fields";
import type { ConfigProblem } from "./problems";

const role = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .regex(/^[a-z][a-z0-9_]{0,62}$/, { error: `expected ${what}: at most 63 lower-case letters, digits and '_', starting with a letter (a PostgreSQL role name that needs no quoting and is not truncated)` });

const database = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .regex(/^[a-z][a-z0-9_]{0,62}$/, { error: `expected ${what}: at most 63 lower-case letters, digits and '_', starting with a letter (a PostgreSQL database name that needs no quoting and is not truncated)` });

/** The seed's feature flags, handed to the MCP server as "true"/"false". */
export const INGESTION_FLAGS = ["ENABLE_HYBRID_SEARCH", "ENABLE_RERANKING", "ENABLE_SYMBOL_EXTRACTION", "USE_UNIFIED_PIPELINE"] as const;

export const IngestionTargetsSchema = z
  .object({
    availabilityMin: num(0, 1).default(0.995).describe("share of scrapes in which the ingestion MCP server answered, 0..1 (the seed: uptime > 99.5 %)"),
    indexP95MaxSeconds: num(0).default(5).describe("95th percentile of web_index_duration_seconds (the seed: index latency p95 < 5 s)"),
    queryP95MaxSeconds: num(0).default(2).describe("95th percentile of web_query_duration_seconds (the seed: query latency p95 < 2 s)"),
    errorRateMax: num(0, 1).default(0.001).describe("failed share of indexed pages and queries, 0..1 (the seed: error rate < 0.1 %)"),
  })
  .strict()
  .prefault({});

export type IngestionTargets = z.output<typeof IngestionTargetsSchema>;

export const IngestionSchema = z
  .object({
    enabled: bool().describe(
      "true: run the plane; false: run none of its containers but keep its stateful volumes (Postgres, Qdrant, model caches, backup archives) managed, so its data survives",
    ),
    database: database("the database name").default(INGESTION_DATABASE).describe("the database the MCP server and the migrations use (the seed: claude_context)"),
    appUser: role("the PostgreSQL role of the MCP server and the migrations").default("ingestion").describe("owns the database; the migrations and the MCP server connect as it"),
    backupUser: role("the PostgreSQL role of the backups").default("ingestion_backup").describe("reads everything (pg_read_all_data) and owns the scratch database restores are tested in"),
    scratchDatabase: database("a database name").optional().describe("where restores are tested; defaults to <database>_restore_test"),
    images: z
      .object({
        postgres: pinnedImage().default("pgvector/pgvector:0.8.0-pg15").describe("PostgreSQL 15+ with pgvector"),
        qdrant: pinnedImage().default("qdrant/qdrant:v1.8.0").describe("Qdrant 1.8+"),
        reranker: pinnedImage().default("ghcr.io/huggingface/text-embeddings-inference:cpu-1.5").describe("Text Embeddings Inference, pinned (the seed's `latest` is refused)"),
        postgresBackup: pinnedImage().default("pgvector/pgvector:0.8.0-pg15").describe("the image whose pg_dump/pg_restore the backups run (PostgreSQL's major version or later: refused when both tags name an older one)"),
      })
      .strict()
      .prefault({}),
    qdrant: z
      .object({ enabled: bool().default(true).describe("run Qdrant (the seed marks it optional); off, QDRANT_URL is not set") })
      .strict()
      .prefault({}),
    splade: z
      .object({
        modelName: text("a Hugging Face model id").default("naver/splade-cocondenser-ensembledistil"),
        batchSize: int(1, 1024).default(32),
      })
      .strict()
      .prefault({}),
    reranker: z
      .object({ modelId: text("a Hugging Face model id").default("BAAI/bge-reranker-v2-m3") })
      .strict()
      .prefault({}),
    crawl4ai: z
      .object({ simpleCrawler: bool().default(true).describe("USE_SIMPLE_CRAWLER") })
      .strict()
      .prefault({}),
    flags: z
      .object({
        ENABLE_HYBRID_SEARCH: bool().default(true),
        ENABLE_RERANKING: bool().default(true),
        ENABLE_SYMBOL_EXTRACTION: bool().default(true),
        USE_UNIFIED_PIPELINE: bool().default(true).describe("false is the seed's rollback to the legacy pipeline (docs/ingestion.md): only the MCP server is replaced"),
      })
      .strict()
      .prefault({})
      .describe("the seed's feature flags, handed to the ingestion MCP server as \"true\"/\"false\""),
    tuning: z
      .object({
        rerankInitialK: int(1, 100000).default(150).describe("RERANK_INITIAL_K"),
        rerankFinalK: int(1, 100000).default(10).describe("RERANK_FINAL_K"),
        embeddingBatchSize: int(1, 100000).default(100).describe("EMBEDDING_BATCH_SIZE"),
      })
      .strict()
      .prefault({}),
    mcpServer: z
      .object({
        command: z.array(text("a word of the command"), { error: "expected the command as a list of words" }).min(1, { error: "expected at least one word" }).default(["npm", "start"])
          .describe("what the ingestion MCP server image runs (its secrets reach it as environment values through planes/ingestion/scripts/secret-env.sh)"),
      })
      .strict()
      .prefault({}),
    migrations: z
      .object({
        command: z.array(text("a word of the command"), { error: "expected the command as a list of words" }).min(1, { error: "expected at least one word" }).default(["npm", "run", "migrate:up"])
          .describe("the migration command of the MCP server image (the seed: npm run migrate:up); it must do nothing when nothing is pending"),
        timeoutMinutes: int(1, 1440).default(30).describe("how long the migrations may take before pulumi up fails"),
      })
      .strict()
      .prefault({}),
    smokeTests: z
      .object({
        enabled: bool().default(true).describe("run the smoke tests in the MCP server's container each time it is (re)created; a failure fails pulumi up"),
        command: z.array(text("a word of the command"), { error: "expected the command as a list of words" }).min(1, { error: "expected at least one word" }).default(["npm", "run", "test:smoke"])
          .describe("the seed's `npm run test:smoke`, run with the server's environment (secret-env.sh)"),
        timeoutMinutes: int(1, 1440).default(10),
      })
      .strict()
      .prefault({}),
    modelWaitTimeoutSeconds: int(10).default(900).describe("how long pulumi up waits for SPLADE and the reranker to load their models (the first start downloads them)"),
    targets: IngestionTargetsSchema,
    resources: z
      .object({
        postgres: size(1024, 1),
        qdrant: size(1024, 0.5),
        splade: size(4096, 1),
        reranker: size(2048, 1),
        crawl4ai: size(1024, 0.5),
        mcpServer: size(512, 0.5),
        migrations: size(256, 0.25),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type IngestionSettings = z.output<typeof IngestionSchema>;

/** PostgreSQL's longest identifier (NAMEDATALEN - 1 bytes; the names here are ASCII). */
export const POSTGRES_NAME_MAX_LENGTH = 63;
const RESTORE_TEST_SUFFIX = "_restore_test";

/** The scratch database restores are tested in. */
export function ingestionScratchDatabase(settings: Pick<IngestionSettings, "scratchDatabase" | "database">): string {
  return settings.scratchDatabase ?? `${settings.database}${RESTORE_TEST_SUFFIX}`;
}

/** `release.images` keys the plane needs (none unless it runs). */
export function ingestionReleaseServices(settings: IngestionSettings | undefined): readonly string[] {
  return settings?.enabled ? INGESTION_RELEASE_SERVICES : [];
}

/** `release.images` keys the plane accepts: its own builds while the block is there, on or off. */
export function ingestionAllowedReleaseServices(settings: IngestionSettings | undefined): readonly string[] {
  return settings ? INGESTION_RELEASE_SERVICES : [];
}

/**
 * The plane's containers on the private network (all of them), for the subnet check
 * (config/network.ts): PostgreSQL, SPLADE, the reranker, Crawl4AI, the MCP server and its
 * migrations' container, Qdrant when it runs, and PostgreSQL's backup, metrics and off-host copier.
 */
export function ingestionPrivateContainers(settings: IngestionSettings | undefined, backup: { enabled: boolean; s3?: unknown }): number {
  if (!settings?.enabled) return 0;
  return 6 + (settings.qdrant.enabled ? 1 : 0) + (backup.enabled ? 2 + (backup.s3 ? 1 : 0) : 0);
}

/**
 * The PostgreSQL major version an image reference names, when its tag says it: pgvector's
 * `<version>-pg15`, the official `postgres:15...`; undefined for a tag that does not say.
 */
export function postgresMajorOf(reference: string): number | undefined {
  const tag = /:([^/@]+)(@|$)/.exec(reference)?.[1] ?? "";
  const name = reference.replace(/@.*$/, "").replace(/:[^/]*$/, "");
  const pg = /(?:^|[-_.])pg(\d{2})(?:$|[-_.])/.exec(tag);
  if (pg) return Number(pg[1]);
  const official = /(^|\/)postgres(ql)?$/.test(name) ? /^(\d{2})(?:$|[-_.])/.exec(tag) : null;
  return official ? Number(official[1]) : undefined;
}

/** What the cross-slice checks read (a structural subset of Settings). */
interface IngestionCheckInput {
  ingestion?: IngestionSettings;
  exposure: { publish: Record<string, { port: number; address?: string }>; bindAddress: string };
}

export const INGESTION_PUBLISHABLE_SERVICES = INGESTION_PUBLISHABLE;
export const INGESTION_LOOPBACK_ONLY_SERVICES = INGESTION_LOOPBACK_ONLY;

/** Problems that need settings outside the slice, or more than one field of it. */
export function ingestionConfigProblems(cfg: IngestionCheckInput): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const ingestion = cfg.ingestion;
  for (const service of INGESTION_PUBLISHABLE) {
    if (cfg.exposure.publish[service] && !ingestion?.enabled) {
      problems.push({
        path: ["exposure", "publish", service],
        message: "expected no host port for a service of the ingestion plane while it does not run (enrichment:ingestion.enabled)",
        input: cfg.exposure.publish[service],
        reads: [["ingestion", "enabled"]],
      });
    }
  }
  if (!ingestion) return problems;
  const reserved: Record<string, string> = { postgres: "the superuser the image creates" };
  for (const key of ["appUser", "backupUser"] as const) {
    const owner = reserved[ingestion[key]];
    if (owner) problems.push({ path: ["ingestion", key], message: `expected a role other than ${JSON.stringify(ingestion[key])}, which is ${owner}`, input: ingestion[key] });
  }
  if (ingestion.appUser === ingestion.backupUser) {
    problems.push({ path: ["ingestion", "backupUser"], message: "expected a role other than ingestion.appUser: the backup role only reads the live database", input: ingestion.backupUser, reads: [["ingestion", "appUser"]] });
  }
  if (ingestionScratchDatabase(ingestion) === ingestion.database || ["postgres", "template0", "template1"].includes(ingestionScratchDatabase(ingestion))) {
    problems.push({
      path: ["ingestion", "scratchDatabase"],
      message: `expected a database other than ${ingestion.database}, postgres, template0 and template1: restore tests drop what they restore into`,
      input: ingestion.scratchDatabase,
      reads: [["ingestion", "database"]],
    });
  }
  // PostgreSQL truncates a longer identifier to its first 63 bytes (NAMEDATALEN - 1) with only a
  // NOTICE, so a 51-character database would restore-test into <database>_restore_te... and a
  // 63-character one into the live database itself.
  if (ingestion.scratchDatabase === undefined && ingestionScratchDatabase(ingestion).length > POSTGRES_NAME_MAX_LENGTH) {
    problems.push({
      path: ["ingestion", "database"],
      message: `expected at most ${POSTGRES_NAME_MAX_LENGTH - RESTORE_TEST_SUFFIX.length} characters, so that the restore tests' database ${JSON.stringify(ingestionScratchDatabase(ingestion))} fits PostgreSQL's ${POSTGRES_NAME_MAX_LENGTH} (longer names are silently truncated); shorten it or set ingestion.scratchDatabase`,
      input: ingestion.database,
    });
  }
  if (["postgres", "template0", "template1"].includes(ingestion.database)) {
    problems.push({ path: ["ingestion", "database"], message: "expected a database of its own, not one PostgreSQL creates for itself", input: ingestion.database });
  }
  // pg_dump refuses a server of a newer major version ("aborting because of server version mismatch").
  const serverMajor = postgresMajorOf(ingestion.images.postgres);
  const toolsMajor = postgresMajorOf(ingestion.images.postgresBackup);
  if (serverMajor !== undefined && toolsMajor !== undefined && toolsMajor < serverMajor) {
    problems.push({
      path: ["ingestion", "images", "postgresBackup"],
      message: `expected an image with PostgreSQL ${serverMajor} or later (ingestion.images.postgres runs ${serverMajor}): pg_dump ${toolsMajor} refuses to dump a newer server`,
      input: ingestion.images.postgresBackup,
      reads: [["ingestion", "images", "postgres"]],
    });
  }
  if (ingestion.tuning.rerankFinalK > ingestion.tuning.rerankInitialK) {
    problems.push({
      path: ["ingestion", "tuning", "rerankFinalK"],
      message: `expected at most tuning.rerankInitialK (${ingestion.tuning.rerankInitialK}): the reranker keeps the best of the initial candidates`,
      input: ingestion.tuning.rerankFinalK,
      reads: [["ingestion", "tuning", "rerankInitialK"]],
    });
  }
  return problems;
}

/** Secrets of the plane: spread into SECRET_KEYS (config/schema.ts). The seed's .env API keys. */
export const INGESTION_SECRET_KEYS = {
  ingestionOpenaiApiKey: {
    description: "OpenAI API key of the ingestion MCP server (the seed's OPENAI_API_KEY: embeddings)",
    requiredWhen: (cfg: { ingestion?: IngestionSettings }) => cfg.ingestion?.enabled === true,
  },
  ingestionLlmApiKey: {
    description: "API key of the ingestion MCP server's LLM provider (the seed's LLM_API_KEY)",
    requiredWhen: (cfg: { ingestion?: IngestionSettings }) => cfg.ingestion?.enabled === true,
  },
} as const;
