// The web-ingestion plane (seed 004): the seed's docker-compose services as the platform's
// hardened containers, from the catalog in facts/ingestion.ts.
//
//   postgres (pgvector) ─► postgres-backup ─► postgres-pre-release-snapshot ─► migrate ─┐
//   qdrant (optional), splade, reranker (TEI), crawl4ai ─────────────────────────────────┴► ingestion-mcp-server
//
// Enabled, everything runs; every service is healthy before what uses it starts. Disabled (the
// `ingestion` block present with `enabled: false`), only the stateful volumes stay registered
// under the same names, with the same protection, so turning the plane off removes its
// containers and keeps its data.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { BackupSettings } from "../../config/backup";
import type { IngestionSettings, IngestionTargets } from "../../config/ingestion";
import { dockerEnvironment, dockerExec } from "../../components/dockerCommand";
import type { PlatformNetwork } from "../../components/network";
import { Healthcheck, PlatformContext, PublishedPort, ServiceContainer } from "../../components/serviceContainer";
import { IMAGES } from "../../facts/images";
import { ingestionService, IngestionServiceKey, INGESTION_PLANE, INGESTION_SERVICES } from "../../facts/ingestion";
import { LABEL_PREFIX } from "../../facts/services";
import type { OffsiteStorage } from "../backup";
import { httpHealthcheck, releaseLabels } from "../enrichment/wiring";
import type { ProbeTarget, ScrapeTarget } from "../monitoring/prometheus";
import { IngestionMigrations } from "./migrations";
import { IngestionPostgres } from "./postgres";
import { PostgresBackup } from "./postgresBackup";
import { GeneratedSecretEntry, PlatformSecrets } from "../../components/secrets";
import { envFromFiles, secretEnvFile, SECRET_ENV_PATH } from "./secretEnv";

type HostPort = { address: string; port: number };

export interface IngestionPlaneArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  settings: IngestionSettings;
  /** The stack's backups (schedule, retention, off-host storage); undefined: no backups. */
  backup?: { settings: BackupSettings; offsite?: OffsiteStorage; images: { offsite: string; metrics: string } };
  /** The release: its version labels the containers, its images are the plane's own builds. */
  release: { version: string; images: Record<string, string> };
  /** The seed's API keys (Pulumi secrets). */
  openaiApiKey?: pulumi.Input<string>;
  llmApiKey?: pulumi.Input<string>;
  publish: Partial<Record<string, HostPort>>;
  scratchDatabase: string;
}

const SECRETS_DIR = "/run/secrets";

/** The plane's generated passwords: alphanumeric (they go into a connection string and a pgpass file). */
export const INGESTION_GENERATED_SECRETS: readonly GeneratedSecretEntry[] = [
  { name: "postgres-superuser-password", purpose: "PostgreSQL superuser (initdb only)", length: 40, special: false },
  { name: "postgres-app-password", purpose: "PostgreSQL role of the ingestion MCP server and its migrations", length: 40, special: false },
  { name: "postgres-backup-password", purpose: "PostgreSQL role of the backups (pg_read_all_data, the scratch database)", length: 40, special: false },
];

/** bash without wget or curl (Qdrant, TEI): GET <path> over /dev/tcp must answer 200. */
export const bashHttpTest = (port: number, path: string) => [
  "CMD",
  "bash",
  "-c",
  `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET ${path} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && grep -qE '^HTTP/1\\.[01] 200' <&3`,
];

export class IngestionPlane extends pulumi.ComponentResource {
  /** Stateful volumes by catalog key (and the backup archives): registered whether or not the plane runs. */
  readonly volumes: Record<string, docker.Volume> = {};
  /** The generated passwords: kept while the data volume is, since its roles were created with them. */
  readonly secrets: PlatformSecrets;
  readonly postgres?: IngestionPostgres;
  readonly services: Partial<Record<IngestionServiceKey, ServiceContainer>> = {};
  readonly migrations?: IngestionMigrations;
  /** The seed's smoke tests, run in the MCP server's container each time it is created. */
  readonly smokeTest?: command.local.Command;
  readonly backup?: PostgresBackup;
  readonly scrapeTargets: ScrapeTarget[] = [];
  readonly probeTargets: ProbeTarget[] = [];
  readonly endpoints: Record<string, string> = {};
  /** The plane's success metrics, for the alerts and dashboard (undefined while it does not run). */
  readonly targets?: IngestionTargets;

  constructor(name: string, args: IngestionPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:ingestion:IngestionPlane", name, {}, opts);
    const { context, network, settings } = args;
    const labels = { [`${LABEL_PREFIX}.plane`]: INGESTION_PLANE };

    // State first: the same resources whether the plane runs or not.
    const volume = (volumeName: string, protect: boolean) =>
      new docker.Volume(
        volumeName,
        { name: `${context.prefix}-${volumeName}`, labels: [{ label: "org.enrichment.stack", value: context.stack }, { label: `${LABEL_PREFIX}.plane`, value: INGESTION_PLANE }] },
        { parent: this, protect, retainOnDelete: protect },
      );
    for (const entry of INGESTION_SERVICES) {
      if (!entry.state || (entry.key === "qdrant" && !settings.qdrant.enabled)) continue;
      this.volumes[entry.key] = volume(entry.state.volume, context.protectState);
    }
    if (args.backup) this.volumes.backups = volume("postgres-backups", context.protectState);
    this.secrets = new PlatformSecrets("ingestion-secrets", { entries: INGESTION_GENERATED_SECRETS }, { parent: this });

    if (!settings.enabled) {
      this.registerOutputs({});
      return;
    }
    this.targets = settings.targets;
    const passwords = {
      superuser: this.secrets.get("postgres-superuser-password"),
      app: this.secrets.get("postgres-app-password"),
      backup: this.secrets.get("postgres-backup-password"),
    };
    if (!args.openaiApiKey || !args.llmApiKey) throw new Error("IngestionPlane: enabled, it needs enrichment:ingestionOpenaiApiKey and enrichment:ingestionLlmApiKey");
    const { release } = args;
    const image = (service: string) => {
      const ref = release.images[service];
      if (!ref) throw new Error(`IngestionPlane: no image for ${service}; set enrichment:release.images.${service}`);
      return ref;
    };
    const ports = (key: IngestionServiceKey): PublishedPort[] => {
      const entry = ingestionService(key);
      const host = args.publish[entry.service];
      return host ? [{ internal: entry.port, external: host.port, address: host.address }] : [];
    };
    const own = releaseLabels({ version: release.version, track: "stable" });
    const ownLabels = { ...own.labels, ...labels };
    const resources = settings.resources;

    // --- PostgreSQL and its backups.
    const pg = ingestionService("postgres");
    this.postgres = new IngestionPostgres(
      "postgres",
      {
        context,
        network,
        image: settings.images.postgres,
        dataVolume: this.volumes.postgres!,
        database: settings.database,
        appUser: settings.appUser,
        backupUser: settings.backupUser,
        scratchDatabase: args.scratchDatabase,
        superuserPassword: passwords.superuser,
        appPassword: passwords.app,
        backupPassword: passwords.backup,
        ...resources.postgres,
        waitTimeoutSeconds: 180,
        publish: args.publish[pg.service],
      },
      { parent: this },
    );
    const postgresServer = this.postgres.server;

    if (args.backup) {
      this.backup = new PostgresBackup(
        "postgres-backup",
        {
          context,
          network,
          settings: args.backup.settings,
          host: pg.service,
          port: pg.port,
          database: settings.database,
          scratchDatabase: args.scratchDatabase,
          backupUser: settings.backupUser,
          backupPassword: passwords.backup,
          restoreUser: settings.appUser,
          restorePassword: passwords.app,
          images: { backup: settings.images.postgresBackup, offsite: args.backup.images.offsite, metrics: args.backup.images.metrics },
          archiveVolume: this.volumes.backups!,
          metricsVolume: volume("postgres-backup-metrics", false),
          offsite: args.backup.offsite,
          // No canary: a canary runs workers and agents, none of which uses this database.
          release,
          dependsOn: [postgresServer],
        },
        { parent: this },
      );
      this.scrapeTargets.push(...this.backup.scrapeTargets);
    }

    const afterSnapshot = this.backup?.snapshot ? [this.backup.snapshot] : [];

    // --- The services the MCP server calls, each healthy before it starts.
    const service = (key: IngestionServiceKey, spec: {
      group: "data" | "model" | "ingestion";
      image: string;
      imageKey?: "qdrant" | "reranker";
      command?: string[];
      env?: Record<string, string>;
      healthcheck: Healthcheck;
      waitTimeoutSeconds: number;
      size: { memoryMb: number; cpus: number };
      egress?: boolean;
      statePath?: string;
    }) => {
      const entry = ingestionService(key);
      const stateVolume = this.volumes[key];
      const container = new ServiceContainer(
        entry.service,
        {
          context,
          network,
          service: entry.service,
          group: spec.group,
          image: spec.image,
          imageKey: spec.imageKey,
          command: spec.command,
          env: spec.env,
          healthcheck: spec.healthcheck,
          waitTimeoutSeconds: spec.waitTimeoutSeconds,
          ...spec.size,
          egress: spec.egress,
          ports: ports(key),
          volumes: stateVolume && entry.state ? [{ volume: stateVolume, containerPath: spec.statePath ?? entry.state.path }] : [],
          ...(spec.group === "ingestion" ? { release: own.release, labels: ownLabels } : { labels }),
          // A release container starts after the release's PostgreSQL snapshot.
          dependsOn: spec.group === "ingestion" ? afterSnapshot : [],
        },
        { parent: this },
      );
      this.services[key] = container;
      if (entry.metrics) this.scrapeTargets.push({ job: entry.service, targets: [`${entry.service}:${entry.metrics.port}`], ...(entry.metrics.path !== "/metrics" ? { metricsPath: entry.metrics.path } : {}) });
      if (entry.endpointEnv) this.endpoints[entry.service] = `http://${entry.service}:${entry.port}`;
      return container;
    };

    if (settings.qdrant.enabled) {
      service("qdrant", {
        group: "data",
        image: settings.images.qdrant,
        imageKey: "qdrant",
        // No telemetry to qdrant.tech (it has no route out anyway).
        env: { QDRANT__TELEMETRY_DISABLED: "true" },
        healthcheck: { test: bashHttpTest(ingestionService("qdrant").port, "/readyz") },
        waitTimeoutSeconds: 120,
        size: resources.qdrant,
        statePath: IMAGES.qdrant.paths.storage.value,
      });
    }
    const splade = ingestionService("splade");
    service("splade", {
      group: "ingestion",
      image: image(splade.service),
      env: { MODEL_NAME: settings.splade.modelName, BATCH_SIZE: String(settings.splade.batchSize), PORT: String(splade.port), HF_HOME: splade.state!.path },
      healthcheck: { ...httpHealthcheck(splade.port), startPeriodSeconds: 120 },
      waitTimeoutSeconds: settings.modelWaitTimeoutSeconds,
      size: resources.splade,
      // The model is downloaded from Hugging Face on the first start.
      egress: true,
    });
    const reranker = ingestionService("reranker");
    service("reranker", {
      group: "model",
      image: settings.images.reranker,
      imageKey: "reranker",
      // The image's CMD (--json-output) is replaced by this command, so it is repeated.
      command: ["--model-id", settings.reranker.modelId, "--json-output"],
      env: { PORT: String(reranker.port), HUGGINGFACE_HUB_CACHE: IMAGES.reranker.paths.models.value },
      healthcheck: { test: bashHttpTest(reranker.port, "/health"), startPeriodSeconds: 120 },
      waitTimeoutSeconds: settings.modelWaitTimeoutSeconds,
      size: resources.reranker,
      egress: true,
      statePath: IMAGES.reranker.paths.models.value,
    });
    const crawl4ai = ingestionService("crawl4ai");
    service("crawl4ai", {
      group: "ingestion",
      image: image(crawl4ai.service),
      env: { USE_SIMPLE_CRAWLER: String(settings.crawl4ai.simpleCrawler), PORT: String(crawl4ai.port) },
      healthcheck: httpHealthcheck(crawl4ai.port),
      waitTimeoutSeconds: 120,
      size: resources.crawl4ai,
      // It fetches the pages to index.
      egress: true,
    });

    // --- Secrets the MCP server (and its migrations) read from their environment.
    const connection = envFromFiles([{ name: "POSTGRES_CONNECTION_STRING", file: `${SECRETS_DIR}/postgres-connection-string`, content: this.postgres.connectionString }]);
    const apiKeys = envFromFiles([
      { name: "POSTGRES_CONNECTION_STRING", file: `${SECRETS_DIR}/postgres-connection-string`, content: this.postgres.connectionString },
      { name: "OPENAI_API_KEY", file: `${SECRETS_DIR}/openai-api-key`, content: args.openaiApiKey },
      { name: "LLM_API_KEY", file: `${SECRETS_DIR}/llm-api-key`, content: args.llmApiKey },
    ]);

    // --- The migrations, once per release, after the snapshot and before the server.
    const mcp = ingestionService("mcpServer");
    const mcpImage = image(mcp.service);
    this.migrations = new IngestionMigrations(
      "ingestion-migrations",
      {
        context,
        network,
        image: mcpImage,
        release: release.version,
        command: settings.migrations.command,
        timeoutMinutes: settings.migrations.timeoutMinutes,
        secretFiles: connection.secretFiles,
        env: connection.env,
        files: [secretEnvFile()],
        ...resources.migrations,
        dependsOn: [postgresServer, ...(this.backup?.snapshot ? [this.backup.snapshot] : [])],
      },
      { parent: this },
    );

    // --- The MCP server.
    const endpoints: Record<string, string> = {};
    for (const entry of INGESTION_SERVICES) if (entry.endpointEnv && this.services[entry.key]) endpoints[entry.endpointEnv] = `http://${entry.service}:${entry.port}`;
    const flags = Object.fromEntries(Object.entries(settings.flags).map(([flag, on]) => [flag, String(on)]));
    const server = new ServiceContainer(
      mcp.service,
      {
        context,
        network,
        service: mcp.service,
        group: "ingestion",
        image: mcpImage,
        entrypoint: ["/bin/sh", SECRET_ENV_PATH],
        command: settings.mcpServer.command,
        env: {
          PORT: String(mcp.port),
          ...flags,
          ...endpoints,
          RERANK_INITIAL_K: String(settings.tuning.rerankInitialK),
          RERANK_FINAL_K: String(settings.tuning.rerankFinalK),
          EMBEDDING_BATCH_SIZE: String(settings.tuning.embeddingBatchSize),
          ...apiKeys.env,
        },
        secretFiles: apiKeys.secretFiles,
        files: [secretEnvFile()],
        healthcheck: httpHealthcheck(mcp.port),
        waitTimeoutSeconds: 120,
        ...resources.mcpServer,
        // OpenAI and the LLM provider are outside.
        egress: true,
        ports: ports("mcpServer"),
        release: own.release,
        labels: ownLabels,
        dependsOn: [this.migrations.migrate, ...Object.values(this.services)],
      },
      { parent: this },
    );
    this.services.mcpServer = server;
    if (settings.smokeTests.enabled) {
      // Replaced (so run again) with the server's container: a new release, a changed flag.
      this.smokeTest = new command.local.Command(
        "smoke-test",
        {
          create: dockerExec(server.containerName, ["sh", SECRET_ENV_PATH, ...settings.smokeTests.command]),
          environment: dockerEnvironment(context.dockerHost),
          triggers: [server.container.id],
        },
        { parent: this, dependsOn: [server], customTimeouts: { create: `${settings.smokeTests.timeoutMinutes}m` } },
      );
    }
    this.scrapeTargets.push({ job: mcp.service, targets: [`${mcp.service}:${mcp.metrics!.port}`] });
    this.probeTargets.push({ name: mcp.service, url: `http://${mcp.service}:${mcp.port}/health` });
    this.endpoints[mcp.service] = args.publish[mcp.service] ? `http://${args.publish[mcp.service]!.address}:${args.publish[mcp.service]!.port}` : `http://${mcp.service}:${mcp.port}`;
    this.endpoints[pg.service] = `${pg.service}:${pg.port}`;

    this.registerOutputs({ endpoints: this.endpoints });
  }
}
