// The web-ingestion plane (seed 004, "Todo 12: Production Deployment") as a catalog: one entry per
// service of the seed's docker-compose file, with what the rest of the program needs to know about
// it (its DNS name and port on the private network, the endpoint variable the MCP server reads,
// where it keeps state, whether it may be published and how, whether it serves metrics). The plane
// (planes/ingestion), the schema's publish check, the policies and the docs read this list; a
// service added here is a service of the plane everywhere.
//
// This folder is the bottom layer: it imports nothing of the program.

export type IngestionServiceKey = "postgres" | "qdrant" | "splade" | "reranker" | "crawl4ai" | "mcpServer";

export interface IngestionServiceEntry {
  key: IngestionServiceKey;
  /** DNS name on the private network, container name suffix, `exposure.publish` key. */
  service: string;
  role: string;
  /** Port inside the container (the seed's right-hand side). */
  port: number;
  /** The seed's host port (left-hand side); the stacks publish only what they list. */
  seedHostPort: number;
  /** The platform's own build (a `release.images` key, pinned by digest), or a third-party image (`ingestion.images.<key>`). */
  build: "release" | "thirdParty";
  /** Environment variable (the seed's .env) that tells the MCP server where the service is. */
  endpointEnv?: string;
  /** Data that must survive a replacement: the named volume's suffix and the path it is mounted at. */
  state?: { volume: string; path: string };
  /** Only on a loopback address when published (it holds data). */
  loopbackOnly?: boolean;
  /** Whether a stack may publish it on the host (`exposure.publish.<service>`). */
  publishable: boolean;
  /** Prometheus metrics on this port and path (the scrape job is named after the service). */
  metrics?: { port: number; path: string };
}

/** The Postgres database the seed's .env names (POSTGRES_CONNECTION_STRING ... /claude_context). */
export const INGESTION_DATABASE = "claude_context";

/** Label every container of the plane carries (org.enrichment.plane=ingestion). */
export const INGESTION_PLANE = "ingestion";

export const INGESTION_SERVICES: readonly IngestionServiceEntry[] = [
  {
    key: "postgres",
    service: "postgres",
    role: "PostgreSQL 15 with pgvector: pages, chunks and their embeddings",
    port: 5432,
    seedHostPort: 5533,
    build: "thirdParty",
    state: { volume: "postgres-data", path: "/var/lib/postgresql/data" },
    loopbackOnly: true,
    publishable: true,
  },
  {
    key: "qdrant",
    service: "qdrant",
    role: "Qdrant vector store (optional: ingestion.qdrant.enabled)",
    port: 6333,
    seedHostPort: 6333,
    build: "thirdParty",
    endpointEnv: "QDRANT_URL",
    state: { volume: "qdrant-storage", path: "/qdrant/storage" },
    loopbackOnly: true,
    publishable: true,
    metrics: { port: 6333, path: "/metrics" },
  },
  {
    key: "splade",
    service: "splade",
    role: "SPLADE sparse encoder (the seed's local build ./splade-runner)",
    port: 8000,
    seedHostPort: 30004,
    build: "release",
    endpointEnv: "SPLADE_URL",
    state: { volume: "splade-models", path: "/models" },
    publishable: false,
    metrics: { port: 8000, path: "/metrics" },
  },
  {
    key: "reranker",
    service: "reranker",
    role: "Text Embeddings Inference serving the cross-encoder reranker",
    port: 80,
    seedHostPort: 30003,
    build: "thirdParty",
    endpointEnv: "RERANKER_URL",
    state: { volume: "reranker-models", path: "/data" },
    publishable: false,
    metrics: { port: 80, path: "/metrics" },
  },
  {
    key: "crawl4ai",
    service: "crawl4ai",
    role: "Crawl4AI page fetcher (the seed's local build ./crawl4ai-runner)",
    port: 8000,
    seedHostPort: 7070,
    build: "release",
    endpointEnv: "CRAWL4AI_URL",
    publishable: false,
    metrics: { port: 8000, path: "/metrics" },
  },
  {
    key: "mcpServer",
    service: "ingestion-mcp-server",
    role: "the ingestion MCP server (the seed's `mcp-server`; a DNS name of its own beside the enrichment plane's mcp-server)",
    port: 3000,
    seedHostPort: 3000,
    build: "release",
    publishable: true,
    metrics: { port: 3000, path: "/metrics" },
  },
];

export const ingestionService = (key: IngestionServiceKey): IngestionServiceEntry => {
  const entry = INGESTION_SERVICES.find((candidate) => candidate.key === key);
  if (!entry) throw new Error(`facts/ingestion.ts has no service ${key}`);
  return entry;
};

/** The plane's own builds: keys of `release.images` while the plane is enabled. */
export const INGESTION_RELEASE_SERVICES: readonly string[] = INGESTION_SERVICES.filter((entry) => entry.build === "release").map((entry) => entry.service);

/** Services of the plane a stack may publish, and those only on loopback. */
export const INGESTION_PUBLISHABLE: readonly string[] = INGESTION_SERVICES.filter((entry) => entry.publishable).map((entry) => entry.service);
export const INGESTION_LOOPBACK_ONLY: readonly string[] = INGESTION_SERVICES.filter((entry) => entry.publishable && entry.loopbackOnly).map((entry) => entry.service);

/** Names of the plane's backup containers (planes/ingestion/postgresBackup.ts), beside MongoDB's. */
export const POSTGRES_BACKUP_SERVICE = "postgres-backup";
export const POSTGRES_BACKUP_OFFSITE_SERVICE = "postgres-backup-offsite";
export const POSTGRES_BACKUP_METRICS_SERVICE = "postgres-backup-metrics";
/** The one-shot container the migrations run in (`docker exec ... npm run migrate:up`). */
export const MIGRATIONS_SERVICE = "ingestion-migrations";

/**
 * Paths inside the Postgres backup containers. The postgres image declares
 * VOLUME /var/lib/postgresql/data: the dump container mounts its archive volume there, so Docker
 * creates no anonymous volume; the copier and the metrics server see the volumes at /backup/*.
 */
export const POSTGRES_BACKUP_PATHS = {
  bin: "/backup/bin",
  dumpArchives: "/var/lib/postgresql/data",
  dumpMetrics: "/backup/metrics",
  archives: "/backup/archives",
  metrics: "/backup/metrics",
  /** libpq's password file of the backup role (and of the app role, for `restore.sh apply`). */
  passfile: "/run/secrets/postgres-backup.pgpass",
  rcloneConfig: "/run/secrets/rclone.conf",
} as const;

/** The archive suffix of `pg_dump -Fc` files (lib.sh's BACKUP_ARCHIVE_SUFFIX). */
export const POSTGRES_ARCHIVE_SUFFIX = ".dump";
