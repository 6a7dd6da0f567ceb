// The ingestion plane's settings (config/ingestion.ts) through the real loader: off by default,
// on in both shipped stacks (staging smaller), every refusal checked by the message an operator
// reads.
import { describe, expect, it } from "vitest";
import { ingestionScratchDatabase, postgresMajorOf } from "../config/ingestion";
import type { RawConfig } from "../config/load";
import { INGESTION_RELEASE_SERVICES } from "../facts/ingestion";
import { configProblems, parseConfig, rawConfig, SHIPPED_SECRETS, type Values } from "./fixtures/config/stackConfig";

const SECRETS = SHIPPED_SECRETS;

const raw = (stack: string, edit: (values: Values) => void = () => {}, secrets: string[] = SECRETS) => rawConfig(stack, edit, secrets);
const parse = (stack: string, config: RawConfig) => parseConfig(config, stack);
const problemsOf = (config: RawConfig, stack = "staging") => configProblems(config, stack);

/** The staging file without the plane: no block, none of its images or ports. */
const withoutPlane = (v: Record<string, any>) => {
  delete v.ingestion;
  for (const service of INGESTION_RELEASE_SERVICES) delete v.release.images[service];
  delete v.exposure.publish["ingestion-mcp-server"];
  delete v.exposure.publish.postgres;
};
const withIngestion = (ingestion: Record<string, unknown>) => raw("staging", (v) => (v.ingestion = { ...v.ingestion, ...ingestion }));

describe("the ingestion plane's settings", () => {
  it("is off by default: a stack without the block has no ingestion settings and needs none of its secrets", () => {
    const config = parse("staging", raw("staging", withoutPlane, ["anthropicApiKey", "slackWebhookUrl"]));
    expect(config.settings.ingestion).toBeUndefined();
    expect(config.secrets.ingestionOpenaiApiKey).toBeUndefined();
  });

  it("is on in both shipped stacks with the seed's values, staging smaller than production", () => {
    const staging = parse("staging", raw("staging")).settings.ingestion!;
    const production = parse("production", raw("production")).settings.ingestion!;
    for (const ingestion of [staging, production]) {
      expect(ingestion.enabled).toBe(true);
      expect(ingestion.database).toBe("claude_context");
      expect(ingestion.images).toEqual({
        postgres: "pgvector/pgvector:0.8.0-pg15",
        qdrant: "qdrant/qdrant:v1.8.0",
        reranker: "ghcr.io/huggingface/text-embeddings-inference:cpu-1.5",
        postgresBackup: "pgvector/pgvector:0.8.0-pg15",
      });
      expect(ingestion.splade).toEqual({ modelName: "naver/splade-cocondenser-ensembledistil", batchSize: 32 });
      expect(ingestion.reranker.modelId).toBe("BAAI/bge-reranker-v2-m3");
      expect(ingestion.crawl4ai.simpleCrawler).toBe(true);
      expect(ingestion.flags).toEqual({ ENABLE_HYBRID_SEARCH: true, ENABLE_RERANKING: true, ENABLE_SYMBOL_EXTRACTION: true, USE_UNIFIED_PIPELINE: true });
      expect(ingestion.tuning).toEqual({ rerankInitialK: 150, rerankFinalK: 10, embeddingBatchSize: 100 });
      expect(ingestion.targets).toEqual({ availabilityMin: 0.995, indexP95MaxSeconds: 5, queryP95MaxSeconds: 2, errorRateMax: 0.001 });
      expect(ingestion.migrations.command).toEqual(["npm", "run", "migrate:up"]);
    }
    // The seed's sizes in production: SPLADE 4 GB, the reranker 2 GB, Crawl4AI 1 GB.
    expect(production.resources.splade.memoryMb).toBe(4096);
    expect(production.resources.reranker.memoryMb).toBe(2048);
    expect(production.resources.crawl4ai.memoryMb).toBe(1024);
    for (const service of ["postgres", "qdrant", "splade", "reranker", "crawl4ai", "mcpServer"] as const) {
      expect(staging.resources[service].memoryMb, service).toBeLessThanOrEqual(production.resources[service].memoryMb);
    }
    expect(Object.values(staging.resources).reduce((sum, r) => sum + r.memoryMb, 0)).toBeLessThan(Object.values(production.resources).reduce((sum, r) => sum + r.memoryMb, 0));
    expect(ingestionScratchDatabase(staging)).toBe("claude_context_restore_test");
  });

  it("needs `enabled` when the block is there: true runs the plane, false keeps only its data", () => {
    expect(problemsOf(raw("staging", (v) => delete v.ingestion.enabled))).toEqual(["enrichment:ingestion.enabled: expected true or false, got nothing"]);
  });

  it("enabled, needs the seed's API keys as secrets; off, it does not", () => {
    expect(problemsOf(raw("staging", () => {}, ["anthropicApiKey", "slackWebhookUrl"]))).toEqual([
      "enrichment:ingestionOpenaiApiKey: expected a secret (OpenAI API key of the ingestion MCP server (the seed's OPENAI_API_KEY: embeddings)); set it with `pulumi config set --secret enrichment:ingestionOpenaiApiKey`",
      "enrichment:ingestionLlmApiKey: expected a secret (API key of the ingestion MCP server's LLM provider (the seed's LLM_API_KEY)); set it with `pulumi config set --secret enrichment:ingestionLlmApiKey`",
    ]);
    const off = raw(
      "staging",
      (v) => {
        v.ingestion.enabled = false;
        delete v.exposure.publish["ingestion-mcp-server"];
        delete v.exposure.publish.postgres;
      },
      ["anthropicApiKey", "slackWebhookUrl"],
    );
    expect(parse("staging", off).settings.ingestion!.enabled).toBe(false);
  });

  it("enabled, needs its own builds in the release; off, they may stay; without the block they are refused", () => {
    expect(problemsOf(raw("staging", (v) => delete v.release.images.splade))).toEqual(["enrichment:release.images.splade: expected an image pinned by digest for this service, got nothing"]);
    expect(problemsOf(raw("staging", (v) => (v.release.images["crawl4ai"] = "crawl4ai-runner:latest")))).toEqual([
      "enrichment:release.images.crawl4ai: expected an image pinned by digest ('<name>[:<tag>]@sha256:<64 hex>'): a release names exact images, got \"crawl4ai-runner:latest\"",
    ]);
    const off = (v: Record<string, any>) => {
      v.ingestion.enabled = false;
      delete v.exposure.publish["ingestion-mcp-server"];
      delete v.exposure.publish.postgres;
    };
    expect(parse("staging", raw("staging", off)).settings.release.images.splade).toMatch(/@sha256:/);
    const problems = problemsOf(raw("staging", (v) => {
      withoutPlane(v);
      v.release.images.splade = `registry.example.org/enrichment/splade:1.4.1@sha256:${"a".repeat(64)}`;
    }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^enrichment:release\.images\.splade: expected one of mcp-server, .*context-agent, got "splade"$/);
  });

  it("refuses an unpinned image (the seed's TEI `latest`)", () => {
    expect(problemsOf(withIngestion({ images: { reranker: "ghcr.io/huggingface/text-embeddings-inference:latest" } }))).toEqual([
      "enrichment:ingestion.images.reranker: expected an image pinned by a tag other than 'latest' or by '@sha256:<digest>', got \"ghcr.io/huggingface/text-embeddings-inference:latest\"",
    ]);
  });

  it("refuses roles and databases that collide or need quoting", () => {
    expect(problemsOf(withIngestion({ appUser: "postgres" }))).toEqual(['enrichment:ingestion.appUser: expected a role other than "postgres", which is the superuser the image creates, got "postgres"']);
    expect(problemsOf(withIngestion({ backupUser: "ingestion" }))).toEqual(["enrichment:ingestion.backupUser: expected a role other than ingestion.appUser: the backup role only reads the live database, got \"ingestion\""]);
    expect(problemsOf(withIngestion({ appUser: "Ingestion-App" }))).toEqual([
      "enrichment:ingestion.appUser: expected the PostgreSQL role of the MCP server and the migrations: at most 63 lower-case letters, digits and '_', starting with a letter (a PostgreSQL role name that needs no quoting and is not truncated), got \"Ingestion-App\"",
    ]);
    expect(problemsOf(withIngestion({ scratchDatabase: "claude_context" }))).toEqual([
      "enrichment:ingestion.scratchDatabase: expected a database other than claude_context, postgres, template0 and template1: restore tests drop what they restore into, got \"claude_context\"",
    ]);
    expect(problemsOf(withIngestion({ database: "postgres" }))).toEqual(["enrichment:ingestion.database: expected a database of its own, not one PostgreSQL creates for itself, got \"postgres\""]);
  });

  it("refuses a final K above the initial K, and unknown keys with the closest one", () => {
    expect(problemsOf(withIngestion({ tuning: { rerankInitialK: 10, rerankFinalK: 20 } }))).toEqual([
      "enrichment:ingestion.tuning.rerankFinalK: expected at most tuning.rerankInitialK (10): the reranker keeps the best of the initial candidates, got 20",
    ]);
    expect(problemsOf(withIngestion({ flags: { USE_UNIFIED_PIPELNE: false } }))).toEqual([
      "enrichment:ingestion.flags.USE_UNIFIED_PIPELNE: unknown setting; did you mean enrichment:ingestion.flags.USE_UNIFIED_PIPELINE? (config/schema.ts documents every setting)",
    ]);
  });

  it("refuses a database whose default restore-test database PostgreSQL would truncate (at 63 into the live one)", () => {
    const long = "d".repeat(51);
    expect(problemsOf(withIngestion({ database: long }))).toEqual([
      `enrichment:ingestion.database: expected at most 50 characters, so that the restore tests' database "${long}_restore_test" fits PostgreSQL's 63 (longer names are silently truncated); shorten it or set ingestion.scratchDatabase, got "${long}"`,
    ]);
    // 50 fits; a longer one fits with a scratch database of its own.
    expect(parse("staging", withIngestion({ database: "d".repeat(50) })).settings.ingestion!.database).toHaveLength(50);
    expect(ingestionScratchDatabase(parse("staging", withIngestion({ database: "d".repeat(63), scratchDatabase: "scratch" })).settings.ingestion!)).toBe("scratch");
    const tooLong = problemsOf(withIngestion({ database: "d".repeat(64) }));
    expect(tooLong).toHaveLength(1);
    expect(tooLong[0]).toMatch(/^enrichment:ingestion\.database: expected the database name: at most 63 lower-case letters, .*, got "d+\.\.\.$/);
  });

  it("refuses backup tools older than the server when both tags say their PostgreSQL version", () => {
    expect(problemsOf(withIngestion({ images: { postgres: "pgvector/pgvector:0.8.0-pg16" } }))).toEqual([
      'enrichment:ingestion.images.postgresBackup: expected an image with PostgreSQL 16 or later (ingestion.images.postgres runs 16): pg_dump 15 refuses to dump a newer server, got "pgvector/pgvector:0.8.0-pg15"',
    ]);
    // Newer tools than the server are fine; a tag that does not say is not guessed at.
    expect(parse("staging", withIngestion({ images: { postgresBackup: "postgres:16.4-bookworm" } })).settings.ingestion!.images.postgresBackup).toBe("postgres:16.4-bookworm");
    expect(parse("staging", withIngestion({ images: { postgres: "pgvector/pgvector:0.8.0-pg16", postgresBackup: `registry.example.org/pg-tools:7@sha256:${"b".repeat(64)}` } })).settings.ingestion).toBeDefined();
    expect([
      postgresMajorOf("pgvector/pgvector:0.8.0-pg15"),
      postgresMajorOf("postgres:15.20-pgvector0.8.0"),
      postgresMajorOf(`127.0.0.1:5000/e2e/postgres:15.20-pgvector0.8.0@sha256:${"c".repeat(64)}`),
      postgresMajorOf("docker.io/library/postgres:16"),
      postgresMajorOf("registry.example.org/postgres-tools:16"),
      postgresMajorOf("qdrant/qdrant:v1.8.0"),
    ]).toEqual([15, 15, 15, 16, undefined, undefined]);
  });

  it("says one thing per cause: a rule is quiet when a key it reads is already refused", () => {
    // rerankFinalK (10) is above an initial K of 0, but the cause is the initial K.
    expect(problemsOf(withIngestion({ tuning: { rerankInitialK: 0, rerankFinalK: 10 } }))).toEqual([
      "enrichment:ingestion.tuning.rerankInitialK: expected an integer from 1 to 100000, got 0",
    ]);
    // Two roles that need quoting, and equal: each is refused for its form, not for the equality.
    expect(problemsOf(withIngestion({ appUser: "App", backupUser: "App" })).map((p) => p.split(":")[1])).toEqual(["ingestion.appUser", "ingestion.backupUser"]);
    // A refused database: the scratch database's rule, which reads it, says nothing.
    expect(problemsOf(withIngestion({ database: "Claude", scratchDatabase: "claude" }))).toEqual([
      "enrichment:ingestion.database: expected the database name: at most 63 lower-case letters, digits and '_', starting with a letter (a PostgreSQL database name that needs no quoting and is not truncated), got \"Claude\"",
    ]);
    // With the plane's `enabled` refused, its host ports are not reported as well.
    expect(problemsOf(raw("staging", (v) => (v.ingestion.enabled = "no")))).toEqual(['enrichment:ingestion.enabled: expected true or false, got "no"']);
  });

  it("publishes PostgreSQL only on loopback, and nothing of the plane while it does not run", () => {
    expect(problemsOf(raw("staging", (v) => (v.exposure.publish.postgres = { port: 5534, address: "0.0.0.0" })))).toEqual([
      "enrichment:exposure.publish.postgres.address: expected a loopback address (127.x): this service must never be reachable from outside the host, got \"0.0.0.0\"",
    ]);
    expect(problemsOf(raw("staging", (v) => (v.ingestion.enabled = false)))).toEqual([
      'enrichment:exposure.publish.postgres: expected no host port for a service of the ingestion plane while it does not run (enrichment:ingestion.enabled), got {"port":5534,"address":"127.0.0.1"}',
      'enrichment:exposure.publish.ingestion-mcp-server: expected no host port for a service of the ingestion plane while it does not run (enrichment:ingestion.enabled), got {"port":3100,"address":"127.0.0.1"}',
    ]);
  });
});
