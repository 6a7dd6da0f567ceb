// The web-ingestion plane in the graph, both shipped stacks under Pulumi's mock runtime: the seed's
// services with their images, users, sizes and endpoints; secrets only as files that the user that
// reads them (and root) can read; the migrations after PostgreSQL and its snapshot and before the MCP server, once
// per release; the backups in the shared framework; Prometheus, the rules and the dashboard; the
// seed's rollback (USE_UNIFIED_PIPELINE false) touching the MCP server only; turned off, no
// container and the same protected volumes.
import * as path from "node:path";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackFile } from "../config/stackFile";
import { INGESTION_PLANE, POSTGRES_BACKUP_PATHS, POSTGRES_BACKUP_SERVICE } from "../facts/ingestion";
import { POSTGRES_INIT_PATH, POSTGRES_SECRET_PATHS } from "../planes/ingestion/postgres";
import { SECRET_ENV_PATH } from "../planes/ingestion/secretEnv";
import { Evaluation, Graph, labelOf, ResourceRecord, synthesize } from "../synth";
import { removeWrittenStackFiles, stackFileWithoutIngestion } from "./fixtures/ingestion/stackFiles";

afterAll(removeWrittenStackFiles);

const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command";
const VOLUME = "docker:index/volume:Volume";
type Upload = { file: string; content?: string; executable?: boolean; permissions?: string; owner?: string; group?: string };
const uploads = (record: ResourceRecord) => (record.inputs.uploads ?? []) as Upload[];
const envOf = (record: ResourceRecord): Record<string, string> =>
  Object.fromEntries(((record.inputs.envs ?? []) as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const valuesOf = (stack: string) => readStackFile(path.resolve(__dirname, "..", `Pulumi.${stack}.yaml`)).raw.values as Record<string, any>;
const networks = (record: ResourceRecord) => (record.inputs.networksAdvanced as { name: string }[]).map((n) => n.name);

const S3 = { endpoint: "https://s3.eu-central-1.amazonaws.com", bucket: "enrichment-backups", region: "eu-central-1", prefix: "staging" };
const S3_SECRETS = { backupS3AccessKeyId: "AKIAEXAMPLE", backupS3SecretAccessKey: "s3-secret-example" };

const evaluations: Record<string, Evaluation> = {};
beforeAll(async () => {
  const [staging, production, legacy, nextRelease, off, absent, withS3, noQdrant] = await Promise.all([
    synthesize({ stack: "staging" }),
    synthesize({ stack: "production" }),
    synthesize({ stack: "staging", overrides: { ingestion: { flags: { USE_UNIFIED_PIPELINE: false } } } }),
    synthesize({ stack: "staging", overrides: { release: { version: "9.9.9" } } }),
    synthesize({ stack: "production", configFile: stackFileWithoutIngestion("production", "off") }),
    synthesize({ stack: "staging", configFile: stackFileWithoutIngestion("staging", "absent") }),
    synthesize({ stack: "staging", overrides: { backup: { s3: S3 } }, secrets: S3_SECRETS }),
    synthesize({ stack: "staging", overrides: { ingestion: { qdrant: { enabled: false } } } }),
  ]);
  Object.assign(evaluations, { staging, production, legacy, nextRelease, off, absent, withS3, noQdrant });
}, 300_000);

const planeContainers = (g: Graph) => g.ofType(CONTAINER).filter((c) => labelOf(c, "plane") === INGESTION_PLANE);

describe.each(["staging", "production"])("%s: the ingestion plane", (stack) => {
  const graph = () => new Graph(evaluations[stack]!.records);
  const values = () => valuesOf(stack);

  it("runs the seed's services (and the migrations' and backups' containers), each on the private network by its seed name", () => {
    const names = planeContainers(graph()).map((c) => String(c.inputs.name)).sort();
    expect(names).toEqual(
      ["crawl4ai", "ingestion-mcp-server", "ingestion-migrations", "postgres", "postgres-backup", "postgres-backup-metrics", "qdrant", "reranker", "splade"].map((s) => `${stack}-${s}`).sort(),
    );
    for (const container of planeContainers(graph())) {
      const service = labelOf(container, "service")!;
      const aliases = (container.inputs.networksAdvanced as { name: string; aliases: string[] }[]).find((n) => n.name === `${stack}-private`)?.aliases;
      expect(aliases, service).toContain(service);
      expect(container.inputs.restart).toBe("unless-stopped");
      expect((container.inputs.healthcheck as { tests: string[] }).tests.length, service).toBeGreaterThan(0);
      expect(container.inputs.wait).toBe(true);
    }
  });

  it("third-party images as configured, the plane's own builds from the release, pinned by digest", () => {
    const g = graph();
    const image = (name: string) => String(g.byName("docker:index/remoteImage:RemoteImage", `${name}-image`).inputs.name);
    expect(image("postgres")).toBe("pgvector/pgvector:0.8.0-pg15");
    expect(image("qdrant")).toBe("qdrant/qdrant:v1.8.0");
    expect(image("reranker")).toBe("ghcr.io/huggingface/text-embeddings-inference:cpu-1.5");
    expect(image("postgres-backup")).toBe("pgvector/pgvector:0.8.0-pg15");
    for (const own of ["ingestion-mcp-server", "splade", "crawl4ai"]) expect(image(own)).toBe(values().release.images[own]);
    expect(image("ingestion-migrations")).toBe(values().release.images["ingestion-mcp-server"]);
  });

  it("PostgreSQL: the superuser's password through POSTGRES_PASSWORD_FILE, every secret a 0400 file of postgres (999), the roles from an init script with no secret in it", () => {
    const postgres = graph().byName(CONTAINER, "postgres");
    const env = envOf(postgres);
    expect(env).toMatchObject({ POSTGRES_PASSWORD_FILE: POSTGRES_SECRET_PATHS.superuser, POSTGRES_DB: "claude_context", POSTGRES_USER: "postgres" });
    expect(env.POSTGRES_PASSWORD).toBeUndefined();
    const secrets = uploads(postgres).filter((u) => u.file.startsWith("/run/secrets/"));
    expect(secrets.map((u) => u.file).sort()).toEqual(Object.values(POSTGRES_SECRET_PATHS).sort());
    for (const secret of secrets) expect(secret, secret.file).toMatchObject({ content: "[secret]", permissions: "0400", owner: "999", group: "999" });
    const init = uploads(postgres).find((u) => u.file === POSTGRES_INIT_PATH)!;
    expect(init.content).toContain("CREATE ROLE ingestion LOGIN PASSWORD :'app_password';");
    expect(init.content).toContain(`\\set app_password \`cat ${POSTGRES_SECRET_PATHS.app}\``);
    expect(init.content).toContain("CREATE DATABASE claude_context_restore_test OWNER ingestion_backup;");
    expect(init.content).toContain("GRANT pg_read_all_data TO ingestion_backup;");
    // Healthy only for the final server: TCP to its own name, as the application role.
    expect((postgres.inputs.healthcheck as { tests: string[] }).tests).toEqual(["CMD", "psql", "-X", "-q", "-w", "-h", "postgres", "-p", "5432", "-U", "ingestion", "-d", "claude_context", "-c", "SELECT 1"]);
    expect(postgres.inputs.volumes).toEqual([{ volumeName: `${stack}-postgres-data`, containerPath: "/var/lib/postgresql/data", readOnly: false }]);
    expect(networks(postgres)).toEqual([`${stack}-private`, `${stack}-published`]);
    const port = values().exposure.publish.postgres;
    expect(postgres.inputs.ports).toEqual([{ internal: 5432, external: port.port, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("the MCP server: the seed's environment, its secrets as files exported by secret-env.sh, never a value in the environment", () => {
    const mcp = graph().byName(CONTAINER, "ingestion-mcp-server");
    const env = envOf(mcp);
    expect(env).toMatchObject({
      PORT: "3000",
      ENABLE_HYBRID_SEARCH: "true",
      ENABLE_RERANKING: "true",
      ENABLE_SYMBOL_EXTRACTION: "true",
      USE_UNIFIED_PIPELINE: "true",
      SPLADE_URL: "http://splade:8000",
      RERANKER_URL: "http://reranker:80",
      CRAWL4AI_URL: "http://crawl4ai:8000",
      QDRANT_URL: "http://qdrant:6333",
      RERANK_INITIAL_K: "150",
      RERANK_FINAL_K: "10",
      EMBEDDING_BATCH_SIZE: "100",
      ENV_FROM_FILES: "POSTGRES_CONNECTION_STRING OPENAI_API_KEY LLM_API_KEY",
      POSTGRES_CONNECTION_STRING_FILE: "/run/secrets/postgres-connection-string",
      OPENAI_API_KEY_FILE: "/run/secrets/openai-api-key",
      LLM_API_KEY_FILE: "/run/secrets/llm-api-key",
    });
    for (const name of ["POSTGRES_CONNECTION_STRING", "OPENAI_API_KEY", "LLM_API_KEY"]) expect(env[name], name).toBeUndefined();
    expect(JSON.stringify(mcp.inputs.envs)).not.toMatch(/postgresql:\/\/|\[secret\]/);
    expect(mcp.secretPaths.filter((p) => p.startsWith("envs"))).toEqual([]);
    expect(mcp.inputs.entrypoints).toEqual(["/bin/sh", SECRET_ENV_PATH]);
    expect(mcp.inputs.command).toEqual(["npm", "start"]);
    expect(mcp.inputs.user).toBe("10001:10001");
    // It runs as a fixed user: the files are 0440 root:root and the process joins group 0
    // (components/secretDelivery.ts: the only form the provider delivers for a container with a user).
    const secrets = uploads(mcp).filter((u) => u.file.startsWith("/run/secrets/"));
    expect(secrets).toHaveLength(3);
    for (const secret of secrets) {
      expect(secret).toMatchObject({ content: "[secret]", permissions: "0440" });
      expect(secret.owner).toBeUndefined();
    }
    expect(mcp.inputs.groupAdds).toEqual(["0"]);
    expect(uploads(mcp).find((u) => u.file === SECRET_ENV_PATH)?.content).toContain('exec "$@"');
    // It calls OpenAI (egress); published on loopback only, at the stack's port.
    expect(networks(mcp)).toContain(`${stack}-egress`);
    const port = values().exposure.publish["ingestion-mcp-server"];
    expect(mcp.inputs.ports).toEqual([{ internal: 3000, external: port.port, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(labelOf(mcp, "release")).toBe(values().release.version);
  });

  it("the services: the seed's models, batch size and simple crawler; state on volumes; only what downloads or crawls has a route out", () => {
    const g = graph();
    const splade = g.byName(CONTAINER, "splade");
    expect(envOf(splade)).toMatchObject({ MODEL_NAME: "naver/splade-cocondenser-ensembledistil", BATCH_SIZE: "32", PORT: "8000" });
    const reranker = g.byName(CONTAINER, "reranker");
    expect(reranker.inputs.command).toEqual(["--model-id", "BAAI/bge-reranker-v2-m3", "--json-output"]);
    expect(envOf(reranker)).toMatchObject({ PORT: "80", HUGGINGFACE_HUB_CACHE: "/data" });
    expect(envOf(g.byName(CONTAINER, "crawl4ai"))).toMatchObject({ USE_SIMPLE_CRAWLER: "true", PORT: "8000" });
    const qdrant = g.byName(CONTAINER, "qdrant");
    expect(qdrant.inputs.volumes).toEqual([{ volumeName: `${stack}-qdrant-storage`, containerPath: "/qdrant/storage", readOnly: false }]);
    for (const name of ["splade", "reranker", "crawl4ai", "ingestion-mcp-server"]) expect(networks(g.byName(CONTAINER, name)), name).toContain(`${stack}-egress`);
    for (const name of ["postgres", "qdrant", "postgres-backup", "ingestion-migrations"]) expect(networks(g.byName(CONTAINER, name)), name).not.toContain(`${stack}-egress`);
    const sizes = valuesOf(stack).ingestion.resources;
    expect(splade.inputs.memory).toBe(sizes.splade.memoryMb);
    expect(reranker.inputs.memory).toBe(sizes.reranker.memoryMb);
    for (const volume of ["postgres-data", "qdrant-storage", "splade-models", "reranker-models", "postgres-backups"]) {
      const record = g.byName(VOLUME, volume);
      expect(record.protect, volume).toBe(stack === "production");
      expect(record.retainOnDelete, volume).toBe(stack === "production");
    }
  });

  it("the migrations: after a healthy PostgreSQL and its pre-release snapshot, before the MCP server, once per release, with the server's image and secrets", () => {
    const g = graph();
    const migrate = g.byName(COMMAND, "migrate");
    const migrations = g.byName(CONTAINER, "ingestion-migrations");
    const snapshot = g.byName(COMMAND, "postgres-pre-release-snapshot");
    expect(migrate.inputs.create).toBe(`docker exec ${stack}-ingestion-migrations sh ${SECRET_ENV_PATH} npm run migrate:up`);
    expect(migrate.inputs.triggers).toEqual([values().release.version, values().release.images["ingestion-mcp-server"]]);
    const before = g.transitiveDependencies(migrate.urn);
    for (const record of [g.byName(CONTAINER, "postgres"), snapshot, migrations]) expect(before.has(record.urn), record.name).toBe(true);
    const mcp = g.byName(CONTAINER, "ingestion-mcp-server");
    expect(mcp.dependsOn).toContain(migrate.urn);
    for (const service of ["splade", "reranker", "crawl4ai", "qdrant"]) expect(g.transitiveDependencies(mcp.urn).has(g.byName(CONTAINER, service).urn), service).toBe(true);
    expect(envOf(migrations)).toMatchObject({ ENV_FROM_FILES: "POSTGRES_CONNECTION_STRING", POSTGRES_CONNECTION_STRING_FILE: "/run/secrets/postgres-connection-string" });
    expect(uploads(migrations).find((u) => u.file === "/run/secrets/postgres-connection-string")).toMatchObject({ content: "[secret]", permissions: "0440" });
    expect(migrations.inputs.groupAdds).toEqual(["0"]);
    // The snapshot waits for the backup container, which waits for PostgreSQL.
    expect(snapshot.inputs.create).toBe(`docker exec ${stack}-${POSTGRES_BACKUP_SERVICE} ${POSTGRES_BACKUP_PATHS.bin}/snapshot.sh ${values().release.version}`);
    expect(g.transitiveDependencies(snapshot.urn).has(g.byName(CONTAINER, "postgres").urn)).toBe(true);
    // Every release container of the plane waits for both databases' snapshots.
    const mongoSnapshot = g.byName(COMMAND, "pre-release-snapshot");
    for (const container of planeContainers(g).filter((c) => labelOf(c, "release"))) {
      const deps = g.transitiveDependencies(container.urn);
      expect(deps.has(mongoSnapshot.urn) && deps.has(snapshot.urn), container.name).toBe(true);
    }
  });

  it("the smoke tests (the seed's npm run test:smoke) run in the server's container each time it is created, with its environment", () => {
    const g = graph();
    const smoke = g.byName(COMMAND, "smoke-test");
    const mcp = g.byName(CONTAINER, "ingestion-mcp-server");
    expect(smoke.inputs.create).toBe(`docker exec ${stack}-ingestion-mcp-server sh ${SECRET_ENV_PATH} npm run test:smoke`);
    expect(smoke.dependsOn).toContain(mcp.urn);
    // Triggered by the container's id: a replaced server (a release, a flag) is smoke-tested again.
    expect(smoke.propertyDependencies.triggers).toContain(mcp.urn);
  });

  it("the backups: pg_dump in the shared framework, daily with the stack's retention, the backup role's password file, archives on a protected volume", () => {
    const g = graph();
    const backup = g.byName(CONTAINER, POSTGRES_BACKUP_SERVICE);
    const files = uploads(backup);
    for (const script of ["lib.sh", "scheduler.sh", "snapshot.sh", "restore-test.sh", "health.sh", "dump.sh", "restore.sh"]) {
      expect(files.find((f) => f.file === `${POSTGRES_BACKUP_PATHS.bin}/${script}`)?.executable, script).toBe(true);
    }
    expect(files.find((f) => f.file === `${POSTGRES_BACKUP_PATHS.bin}/dump.sh`)!.content).toContain("pg_dump --format=custom");
    expect(files.find((f) => f.file === POSTGRES_BACKUP_PATHS.passfile)).toMatchObject({ content: "[secret]", permissions: "0400", owner: "0", group: "0" });
    expect(envOf(backup)).toMatchObject({
      BACKUP_SERVICE: "postgres-backup",
      BACKUP_SCHEDULE: "02:30",
      BACKUP_RETENTION_DAYS: "30",
      BACKUP_ARCHIVE_SUFFIX: ".dump",
      BACKUP_DATABASE: "claude_context",
      BACKUP_SCRATCH_DATABASE: "claude_context_restore_test",
      BACKUP_RESTORE_USER: "ingestion",
      PGHOST: "postgres",
      PGUSER: "ingestion_backup",
      PGPASSFILE: POSTGRES_BACKUP_PATHS.passfile,
    });
    expect(backup.inputs.entrypoints).toEqual(["/bin/sh", `${POSTGRES_BACKUP_PATHS.bin}/scheduler.sh`]);
    expect(networks(backup)).toEqual([`${stack}-private`]);
  });

  it("Prometheus scrapes the plane, the ingestion rules and the Web Ingestion dashboard are provisioned", () => {
    const g = graph();
    const prometheus = g.byName(CONTAINER, "prometheus");
    const config = YAML.parse(uploads(prometheus).find((u) => u.file === "/etc/prometheus/prometheus.yml")!.content!) as { scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[]; rule_files: string[] };
    const jobs = Object.fromEntries(config.scrape_configs.map((job) => [job.job_name, job.static_configs?.flatMap((s) => s.targets)]));
    expect(jobs).toMatchObject({
      "ingestion-mcp-server": ["ingestion-mcp-server:3000"],
      splade: ["splade:8000"],
      reranker: ["reranker:80"],
      crawl4ai: ["crawl4ai:8000"],
      qdrant: ["qdrant:6333"],
      "postgres-backup": ["postgres-backup-metrics:9100"],
    });
    expect(config.rule_files).toContain("/etc/prometheus/rules/ingestion.rules.yml");
    const grafana = g.byName(CONTAINER, "grafana");
    const dashboard = JSON.parse(uploads(grafana).find((u) => u.file.endsWith("/web-ingestion.json"))!.content!) as { title: string };
    expect(dashboard.title).toBe("Web Ingestion");
    const blackbox = g.byName(CONTAINER, "blackbox-exporter");
    expect(JSON.stringify(YAML.parse(uploads(prometheus).find((u) => u.file === "/etc/prometheus/prometheus.yml")!.content!))).toContain("http://ingestion-mcp-server:3000/health");
    expect(blackbox).toBeDefined();
  });
});

describe("the seed's rollback: USE_UNIFIED_PIPELINE false", () => {
  it("changes the MCP server's environment and nothing else", () => {
    const before = new Map(evaluations.staging!.records.map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const changed = evaluations.legacy!.records.filter((r) => before.get(r.urn) !== JSON.stringify(r.inputs));
    expect(changed.map((r) => `${r.type} ${r.name}`)).toEqual([`${CONTAINER} ingestion-mcp-server`]);
    expect(envOf(changed[0]!).USE_UNIFIED_PIPELINE).toBe("false");
    expect(evaluations.legacy!.records.length).toBe(evaluations.staging!.records.length);
  });
});

describe("a new release", () => {
  it("runs the migrations and the PostgreSQL snapshot again (their triggers change), with the new release's label", () => {
    const g = new Graph(evaluations.nextRelease!.records);
    expect(g.byName(COMMAND, "migrate").inputs.triggers).toEqual(["9.9.9", valuesOf("staging").release.images["ingestion-mcp-server"]]);
    expect((g.byName(COMMAND, "postgres-pre-release-snapshot").inputs.triggers as string[])[0]).toBe("9.9.9");
    expect(String(g.byName(COMMAND, "postgres-pre-release-snapshot").inputs.create)).toMatch(/snapshot\.sh 9\.9\.9$/);
  });
});

describe("turned off and absent", () => {
  it("off (enabled: false): no container of the plane, its state volumes kept with the same protection", () => {
    const g = new Graph(evaluations.off!.records);
    expect(planeContainers(g)).toEqual([]);
    expect(g.ofType(COMMAND).map((c) => c.name)).not.toContain("migrate");
    for (const volume of ["postgres-data", "qdrant-storage", "splade-models", "reranker-models", "postgres-backups"]) {
      const record = g.byName(VOLUME, volume);
      expect(record.protect, volume).toBe(true);
      expect(record.inputs.name).toBe(`production-${volume}`);
    }
    const prometheus = g.byName(CONTAINER, "prometheus");
    expect(uploads(prometheus).map((u) => u.file)).not.toContain("/etc/prometheus/rules/ingestion.rules.yml");
  });

  it("absent: no resource of the plane, no rules, no dashboard", () => {
    const g = new Graph(evaluations.absent!.records);
    expect(g.records.filter((r) => r.urn.includes("IngestionPlane"))).toEqual([]);
    const grafana = g.byName(CONTAINER, "grafana");
    expect(uploads(grafana).map((u) => u.file).filter((f) => f.endsWith(".json"))).toHaveLength(5);
  });

  it("without Qdrant: no container, no QDRANT_URL, no scrape job", () => {
    const g = new Graph(evaluations.noQdrant!.records);
    expect(g.ofType(CONTAINER).map((c) => c.name)).not.toContain("qdrant");
    expect(envOf(g.byName(CONTAINER, "ingestion-mcp-server")).QDRANT_URL).toBeUndefined();
  });
});

describe("off-host copies", () => {
  it("with backup.s3, PostgreSQL's archives go to <prefix>/postgres of the same bucket, by the same copier script", () => {
    const g = new Graph(evaluations.withS3!.records);
    const offsite = g.byName(CONTAINER, "postgres-backup-offsite");
    expect(envOf(offsite)).toMatchObject({ BACKUP_REMOTE: "offsite:enrichment-backups/staging/postgres", BACKUP_ARCHIVE_SUFFIX: ".dump", BACKUP_SERVICE: "postgres-backup-offsite" });
    expect(uploads(offsite).find((u) => u.file === "/run/secrets/rclone.conf")).toMatchObject({ content: "[secret]", permissions: "0400" });
    expect(networks(offsite)).toContain("staging-egress");
  });
});
