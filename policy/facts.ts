// Everything the policies read off the graph, written once. A policy names a resource type, a
// label, a file or an environment variable only through this module, so a change in the program
// (a renamed label, a moved config file) is one edit here, and docs/policy.md lists the same facts.
import { BACKUP_PATHS, BACKUP_SERVICE } from "../facts/backupPaths";
import { INGESTION_SERVICES, MIGRATIONS_SERVICE, POSTGRES_BACKUP_PATHS, POSTGRES_BACKUP_SERVICE } from "../facts/ingestion";
import { LABEL_PREFIX } from "../facts/services";

/** Resource type tokens, as the engine passes them in `args.type`. */
export const TYPES = {
  container: "docker:index/container:Container",
  /** A swarm's service (components/swarmService.ts); policies read it as a container (workloads.ts). */
  service: "docker:index/service:Service",
  serviceConfig: "docker:index/serviceConfig:ServiceConfig",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  randomPassword: "random:index/randomPassword:RandomPassword",
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
  command: "command:local:Command",
} as const;

/** Container labels set by components/serviceContainer.ts. */
export const LABELS = {
  service: `${LABEL_PREFIX}.service`,
  environment: `${LABEL_PREFIX}.environment`,
  /** Replicas of one service share a pool label (each has its own service label). */
  pool: `${LABEL_PREFIX}.pool`,
  /** Which facts/images.ts entry describes the container's image. */
  imageKey: `${LABEL_PREFIX}.image-key`,
} as const;

/** Stack config key (Pulumi.<stack>.yaml) that names the environment; config/schema.ts defines it. */
export const ENVIRONMENT_CONFIG_KEY = "enrichment:environment";

/**
 * Secret files: the program delivers every secret as an upload under this folder (the images'
 * `*_FILE` convention). In the engine a secret's content is plaintext (or unknown during preview),
 * so the path is how a policy recognizes a secret file; offline the content also reads "[secret]".
 */
export const SECRET_DIR = "/run/secrets/";
/** How the offline synth shows a secret value (synth/evaluate.ts SECRET_MARK). */
export const SECRET_MARK = "[secret]";
/** How the offline synth shows an unknown value (preview mode only). */
export const UNKNOWN_MARK = "[unknown]";

/**
 * The two shapes of a secret upload that hold on every Docker daemon (components/secretDelivery.ts):
 * 0400 owned by the reader's numeric uid:gid when the container has no user, 0440 root:root (no
 * owner, no group) read through group 0 when it has one.
 */
export const SECRET_FILE_MODES = { owned: "0400", rootGroup: "0440" } as const;

/** Environment variable names that carry a credential unless they end in `_FILE`. */
export const CREDENTIAL_NAME = /(^|_)(PASSWORD|PASSWD|PWD|SECRET|TOKEN|CREDENTIALS?|(API|PRIVATE|ACCESS|ROUTING|SIGNING|SECRET)_?KEY)(_|$)/;
export const FILE_SUFFIX = /_FILE$/;
/** A URL with a password in it (`scheme://user:password@host`). */
export const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i;

/** Checklist thresholds ("Security and operations checklist", ../shared/spec.md; the checklist document). */
export const THRESHOLDS = {
  minPasswordLength: 32,
  minRsaBits: 4096,
  maxCertificateValidityDays: 730,
  /** A monthly `pulumi up` re-issues the certificate in time (checklist: monthly expiration check). */
  minEarlyRenewalDays: 30,
  minProductionWorkers: 2,
  minProductionRetentionDays: 30,
  minAlertRules: 30,
  minBackupRetentionDays: 30,
} as const;

/**
 * Services whose data must survive a container replacement: each mounts a named volume at its
 * data path, and in production that volume is protected. Paths: mongo's image VOLUME /data/db;
 * nsqd's `--data-path=/data` (planes/data/nsq.ts); ollama's model store /root/.ollama; prometheus
 * `--storage.tsdb.path=/prometheus`; alertmanager `--storage.path=/alertmanager`; grafana's image
 * GF_PATHS_DATA /var/lib/grafana; the backup job's archives (facts/backupPaths.ts). Other
 * volumes (the backup job's metrics files) are not data.
 */
export const STATEFUL_SERVICES: readonly { service: string; dataPath: string }[] = [
  { service: "mongodb", dataPath: "/data/db" },
  { service: "nsqd", dataPath: "/data" },
  { service: "ollama", dataPath: "/root/.ollama" },
  { service: "prometheus", dataPath: "/prometheus" },
  { service: "alertmanager", dataPath: "/alertmanager" },
  { service: "grafana", dataPath: "/var/lib/grafana" },
  // The dump container mounts the archive volume at the mongo image's VOLUME /data/db.
  { service: BACKUP_SERVICE, dataPath: BACKUP_PATHS.dumpArchives },
  // The web-ingestion plane's state (facts/ingestion.ts: PostgreSQL, Qdrant, the model caches) and
  // its PostgreSQL archives (at the postgres image's VOLUME). Checked only where the plane runs.
  ...INGESTION_SERVICES.flatMap((entry) => (entry.state ? [{ service: entry.service, dataPath: entry.state.path }] : [])),
  { service: POSTGRES_BACKUP_SERVICE, dataPath: POSTGRES_BACKUP_PATHS.dumpArchives },
];

/** The one service allowed to publish on a non-loopback address, and its nginx config upload. */
export const EDGE = { service: "edge", configPath: "/etc/nginx/nginx.conf" } as const;

/** Generated monitoring config, read from the containers' uploads (planes/monitoring/*.ts writes them). */
export const PROMETHEUS = {
  service: "prometheus",
  defaultConfig: "/etc/prometheus/prometheus.yml",
  configFlag: "--config.file",
  retentionFlag: "--storage.tsdb.retention.time",
  /** Prometheus's own default when the flag is absent. */
  defaultRetention: "15d",
} as const;
export const ALERTMANAGER = {
  service: "alertmanager",
  defaultConfig: "/etc/alertmanager/alertmanager.yml",
  configFlag: "--config.file",
} as const;
/** Alertmanager receiver integrations that page a person (not a chat channel or a mailbox). */
export const PAGING_CONFIGS = ["pagerduty_configs", "opsgenie_configs", "victorops_configs"] as const;
export const CRITICAL_ALERT_LABELS: Record<string, string> = { severity: "critical" };

/** Workers: one container per replica, in this pool (planes/enrichment/). */
export const WORKER_POOL = "enrichment-worker";

/** The agent image contract (planes/agents/agent.ts): which backend, which models. */
export const AGENT_ENV = { backend: "MODEL_BACKEND", ollamaBackend: "ollama", models: ["MODEL", "FALLBACK_MODEL"] } as const;
/**
 * How planes/models/ollama.ts pulls a model: a command whose `create` runs `ollama pull <tag>` (one
 * host), or a swarm job whose entrypoint is ollama and whose arguments are `pull <tag>`.
 */
export const MODEL_PULL = /\bollama pull (\S+)|--entrypoint ollama \S+ pull (\S+)/;

/**
 * The backup job (issue 12, planes/backup): the container labelled
 * `org.enrichment.service=mongodb-backup`; its environment says when it runs (BACKUP_SCHEDULE, a
 * daily UTC "HH:MM", config/backup.ts; a 5-field cron expression is read too) and how long it
 * keeps archives (BACKUP_RETENTION_DAYS).
 */
export const BACKUP = { service: BACKUP_SERVICE, scheduleEnv: "BACKUP_SCHEDULE", retentionEnv: "BACKUP_RETENTION_DAYS" } as const;

/**
 * The web-ingestion plane (planes/ingestion): its PostgreSQL is backed up by the container
 * labelled `postgres-backup` (same environment as MongoDB's job); its MCP server starts only after
 * the migrations' command, a `docker exec` into the migrations container.
 */
export const INGESTION = {
  postgres: "postgres",
  backup: POSTGRES_BACKUP_SERVICE,
  server: "ingestion-mcp-server",
  migrationsContainer: MIGRATIONS_SERVICE,
} as const;

/** The edge's certificate request (components/tls.ts): its SANs must cover the edge's server names. */
export const CERT_REQUEST = "tls:index/certRequest:CertRequest";

/** Services behind the edge that the checklist wants rate limited (nginx `limit_req`). */
export const RATE_LIMITED_UPSTREAMS = ["review-api", "cost-api"] as const;

/** The managed MongoDB (planes/data/mongodb.ts) runs with access control on. */
export const MONGODB = { service: "mongodb", authFlag: "--auth" } as const;

/** The index reconciler's resources (planes/data/mongoIndexes/): one per collection. */
export const INDEX_RESOURCE = { type: "pulumi-nodejs:dynamic:Resource", collectionProp: "collection", indexesProp: "indexes" } as const;
/** The checklist document's "Indexes created" list: collection -> fields some index must cover. */
export const CHECKLIST_INDEXES: Record<string, readonly string[]> = {
  ocr_jobs: ["job_id", "status", "created_at"],
  enriched_documents: ["document_id", "completeness_score"],
  review_queue: ["status", "created_at", "document_id"],
  cost_records: ["enrichment_job_id", "created_at"],
};

/** Grafana: dashboards provisioned from files (providers in this folder point at their JSON). */
export const GRAFANA = {
  service: "grafana",
  providersDir: "/etc/grafana/provisioning/dashboards/",
  dashboards: ["Enrichment Overview", "Agent Performance", "Cost Tracking", "Document Quality", "Processing Throughput"],
} as const;
