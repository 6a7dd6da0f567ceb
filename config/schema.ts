// The stack configuration schema: the single place where a stack setting is named, typed,
// defaulted and documented. `Pulumi.<stack>.yaml` sets these under the `enrichment:` namespace;
// nothing else in the program reads Pulumi config (see config/fromEngine.ts; config/load.ts validates).
import { z } from "zod";
import { bool, cpus, digestImage, dnsName, int, ipv4, oneOf, ORIGIN, pinnedImage, port, size, text } from "./fields";
import { publishConflicts } from "./exposure";
import { MonitoringSchema, monitoringConfigProblems } from "./monitoring";
import { sizeConfigProblems } from "./sizes";
import { networkConfigProblems } from "./network";
import { databaseNameProblems, dnsNameProblems, mongoDatabase, nsqTopic } from "./names";
import { PromotionSchema } from "./promotion";
import { RolloutSchema } from "./rollout";
import { TargetsSchema } from "./targets";
import { BACKUP_SECRET_KEYS, BackupSchema, backupConfigProblems } from "./backup";
import type { ConfigProblem } from "./problems";
import { DeployTargetSchema, deployTargetProblems } from "./deployTarget";
import { INGESTION_SECRET_KEYS, IngestionSchema, ingestionConfigProblems, ingestionReleaseServices, ingestionAllowedReleaseServices } from "./ingestion";
import { AGENT_CATALOG } from "../facts/agents";
import { agentConfigProblems } from "./agentPlan";
import { APP_SERVICES, LOOPBACK_ONLY_SERVICES, PUBLISHABLE_SERVICES } from "../facts/services";
import { FEATURE_NAMES, isFeatureName } from "../facts/features";
import { IMAGES } from "../facts/images";

export const PROJECT = "enrichment";

const ENVIRONMENTS = ["staging", "production"] as const;

/** Images of third-party services: pinned by tag or digest, never `latest`. */
const ImagesSchema = z
  .object({
    mongodb: pinnedImage().default("mongo:7.0.14"),
    nsq: pinnedImage().default("nsqio/nsq:v1.3.0"),
    ollama: pinnedImage().default("ollama/ollama:0.4.7"),
    edge: pinnedImage().default("nginx:1.27.3-alpine"),
    prometheus: pinnedImage().default("prom/prometheus:v2.55.1"),
    alertmanager: pinnedImage().default("prom/alertmanager:v0.27.0"),
    grafana: pinnedImage().default("grafana/grafana:11.3.1"),
    // The exporters' images are chosen for facts recorded in facts/images.ts: the MongoDB
    // exporter needs a shell to read its URI from a file, the NSQ exporter must read NSQ 1.x stats.
    mongodbExporter: pinnedImage().default(IMAGES.mongodbExporter.reference),
    nsqExporter: pinnedImage().default(IMAGES.nsqExporter.reference),
    blackboxExporter: pinnedImage().default("prom/blackbox-exporter:v0.25.0"),
    cadvisor: pinnedImage().default("gcr.io/cadvisor/cadvisor:v0.49.1"),
    nodeExporter: pinnedImage().default("prom/node-exporter:v1.8.2"),
    dcgmExporter: pinnedImage().default("nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04"),
    // The backup service: mongodump/mongorestore (the mongo image's tools, same tag as mongodb) and rclone for the off-host copy.
    backup: pinnedImage().default("mongo:7.0.14"),
    backupOffsite: pinnedImage().default("rclone/rclone:1.68.2"),
  })
  .strict()
  .prefault({});

/**
 * A release: the exact images of the platform's own services (by digest), the Ollama model tags
 * and the agent catalog version. Promotion copies this block from staging to production.
 */
export const ReleaseSchema = z
  .object({
    version: text("a release name such as 2026.11.3"),
    agentCatalogVersion: text("the agent catalog version"),
    images: z.record(z.string(), digestImage(), { error: "expected a map of service name to image" }),
    models: z.record(z.string(), text("an Ollama model tag such as llama3.2:3b"), {
      error: "expected a map of model name to Ollama tag",
    }),
  })
  .strict();

const ResourcesSchema = z
  .object({
    mongodb: size(2048, 1),
    nsqlookupd: size(128, 0.25),
    nsqd: size(512, 0.5),
    nsqadmin: size(128, 0.25),
    ollama: size(16384, 4),
    mcpServer: size(512, 0.5),
    agent: size(512, 0.5),
    coordinator: size(512, 0.5),
    worker: size(1024, 1),
    reviewApi: size(512, 0.5),
    costApi: size(256, 0.25),
    edge: size(256, 0.5),
    prometheus: size(2048, 1),
    alertmanager: size(256, 0.25),
    grafana: size(512, 0.5),
    exporter: size(128, 0.25),
  })
  .strict()
  .prefault({});

const PublishSchema = z
  .object({
    port: port().describe("host port"),
    address: ipv4().optional().describe("host address to bind; defaults to exposure.bindAddress"),
  })
  .strict();

const SettingsSchema = z
  .object({
    environment: oneOf(ENVIRONMENTS).describe("staging or production: decides protection defaults and production rules"),
    namePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/, { error: "expected lower-case letters, digits and dashes, starting with a letter" })
      .optional()
      .describe("prefix of every container, volume and network name; defaults to the stack name"),
    protectState: bool().optional().describe("protect stateful volumes from deletion; defaults to true in production"),
    deployTarget: DeployTargetSchema,
    docker: z
      .object({
        host: text("a Docker host URL such as unix:///var/run/docker.sock or ssh://deploy@host (with deployTarget.kind: swarm, a manager)").default("unix:///var/run/docker.sock"),
        sshOpts: z.array(z.string()).default([]).describe("extra ssh options when host is ssh://"),
      })
      .strict()
      .prefault({}),
    network: z
      .object({
        externalNetwork: text("the name of an existing Docker network").optional()
          .describe("attach the coordinator and APIs to this existing network (e.g. gvpocr-network); never created or deleted here"),
        // Checked for what Docker makes of it (config/network.ts): octets, prefix, room for every container.
        privateSubnet: text("a CIDR such as 10.42.0.0/24").optional(),
      })
      .strict()
      .prefault({}),
    exposure: z
      .object({
        bindAddress: ipv4().default("127.0.0.1").describe("host address that published ports bind to unless a publish entry says otherwise"),
        publish: z.record(z.string(), PublishSchema).default({}).describe("service name -> host port; nothing is published unless listed"),
      })
      .strict()
      .prefault({}),
    images: ImagesSchema,
    release: ReleaseSchema,
    releaseHistory: z
      .array(
        z
          .object({
            release: ReleaseSchema,
            replacedAt: text("an ISO timestamp"),
            replacedBy: text("the release version that replaced it"),
          })
          .strict(),
      )
      .default([])
      .describe("releases this stack ran before, newest first; written by promote, read by rollback"),
    canary: z
      .object({
        release: ReleaseSchema.pick({ version: true, images: true }).strict().describe("the candidate release's version and images"),
        workers: int(0, 200).default(0).describe("how many workers run the candidate"),
        agents: z.array(z.string()).default([]).describe("agents that run the candidate"),
        agentReplicas: z
          .record(z.string(), int(1, 32))
          .optional()
          .describe("for agents in canary.agents: how many of their replicas (the first ones) run the candidate; unset: all of them (npm run rollout writes it)"),
      })
      .strict()
      .optional(),
    resources: ResourcesSchema,
    workers: z
      .object({ replicas: int(1, 200).default(1).describe("enrichment workers, each its own container (at most 200: one host's worth)") })
      .strict()
      .prefault({}),
    agents: z
      .record(
        z.string(),
        z
          .object({
            model: text().optional(),
            fallbackModel: text().optional(),
            image: digestImage().optional(),
            replicas: int(1, 32).optional(),
            memoryMb: int(16, 1048576).optional(),
            cpus: cpus().optional(),
          })
          .strict(),
      )
      .default({})
      .describe("per-stack overrides of facts/agents.ts entries"),
    mongodb: z
      .object({
        mode: oneOf(["managed", "external"]).default("managed"),
        database: mongoDatabase().default("enrichment"),
        appUser: text().default("enrichment"),
        adminHost: text().default("127.0.0.1").describe("address the Pulumi host uses to reach the port exposure.publish.mongodb binds (127.0.0.1 when Pulumi runs on the Docker host or through an ssh tunnel)"),
        waitTimeoutSeconds: int(10).default(180),
      })
      .strict()
      .prefault({}),
    nsq: z
      .object({
        topic: nsqTopic().default("enrichment"),
      })
      .strict()
      .prefault({}),
    ollama: z
      .object({
        gpus: z
          .string({ error: 'expected "all", "device=<id>[,<id>...]" or "none"' })
          .regex(/^(all|none|device=[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*)$/, {
            // Only these forms read back as sent (the provider's flattenGPUsFromDeviceRequests).
            error: 'expected "all", "device=<id>[,<id>...]" or "none"',
          })
          .default("all")
          .describe("GPU request (docker run --gpus); none for a CPU-only host: then no container requests a GPU and the DCGM exporter does not run"),
        waitTimeoutSeconds: int(10).default(300),
        pullTimeoutMinutes: int(1, 1440).default(90).describe("how long one model pull may take"),
      })
      .strict()
      .prefault({}),
    tls: z
      .object({
        organization: text().default("Enrichment Platform"),
        rsaBits: int(2048).default(4096),
        validityDays: int(1, 3650).default(730),
        earlyRenewalDays: int(1).default(30).describe("a routine pulumi up re-issues a certificate this many days before expiry"),
        caValidityDays: int(1).default(3650),
        caEarlyRenewalDays: int(1).default(180),
        dnsNames: z.array(dnsName()).min(1, { error: "expected at least one DNS name" }).describe("SANs of the edge certificate"),
      })
      .strict(),
    appRuntimeUser: z
      .object({
        uid: int(1, 2147483647).describe("numeric user id; 0 (root) is refused"),
        gid: int(0, 2147483647).describe("numeric group id"),
      })
      .strict()
      .default({ uid: 10001, gid: 10001 })
      .describe(
        "uid:gid the platform's own images (release.images) run as: the program runs their containers with this --user and delivers their secret files (mode 0400) owned by it",
      ),
    features: z
      .record(z.string().regex(/^ENABLE_[A-Z0-9_]+$/, { error: "expected a flag name such as ENABLE_AUTO_APPROVAL" }), bool())
      .default({})
      .superRefine((flags, ctx) => {
        for (const name of Object.keys(flags)) {
          if (!isFeatureName(name)) {
            ctx.addIssue({ code: "custom", path: [name], input: name, message: `expected a flag from facts/features.ts: ${FEATURE_NAMES.join(", ")}` });
          }
        }
      })
      .describe("ENABLE_* feature flags passed to the services that read them (facts/features.ts lists them)"),
    cors: z
      .object({
        allowedOrigins: z
          .array(
            z.string({ error: "expected an origin such as https://review.example.org" }).regex(ORIGIN, {
              error: "expected an origin such as https://review.example.org (lower-case scheme://host[:port], no path or trailing slash)",
            }),
          )
          .default([])
          .describe("browser origins the edge answers CORS for on the APIs; none: no CORS headers"),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({ requestsPerSecond: int(1).default(20), burst: int(0).default(40) })
      .strict()
      .prefault({}),
    targets: TargetsSchema,
    monitoring: MonitoringSchema,
    promotion: PromotionSchema,
    rollout: RolloutSchema,
    backup: BackupSchema,
    ingestion: IngestionSchema.optional().describe("the web-ingestion plane (planes/ingestion, docs/ingestion.md); absent: no such plane"),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // One message per cause: a rule whose key, or a key it reads, already has a problem (a value
    // of the wrong type or out of range) says nothing more about it.
    const failed = ctx.issues.map((existing) => (existing.path ?? []).map(String).join("."));
    const touched = (path: readonly (string | number)[]) => {
      const key = path.map(String).join(".");
      return failed.some((done) => done === key || done.startsWith(`${key}.`) || key.startsWith(`${done}.`));
    };
    const issue = (path: (string | number)[], message: string, input?: unknown, reads: readonly (readonly (string | number)[])[] = []) => {
      if (touched(path) || reads.some(touched)) return;
      ctx.addIssue({ code: "custom", path, message, input });
    };

    if (cfg.environment === "production" && cfg.workers.replicas < 2) {
      issue(["workers", "replicas"], "expected an integer >= 2 in production", cfg.workers.replicas);
    }

    for (const conflict of publishConflicts(cfg.exposure.publish, cfg.exposure.bindAddress)) {
      issue(conflict.second, conflict.message, undefined);
    }
    for (const [service, entry] of Object.entries(cfg.exposure.publish)) {
      if (!PUBLISHABLE_SERVICES.includes(service)) {
        issue(["exposure", "publish", service], `expected one of ${PUBLISHABLE_SERVICES.join(", ")}`, service);
        continue;
      }
      const address = entry.address ?? cfg.exposure.bindAddress;
      if (LOOPBACK_ONLY_SERVICES.includes(service) && !address.startsWith("127.")) {
        issue(["exposure", "publish", service, "address"], "expected a loopback address (127.x): this service must never be reachable from outside the host", address);
      }
    }

    if (cfg.mongodb.mode === "managed" && !cfg.exposure.publish.mongodb) {
      issue(["exposure", "publish", "mongodb"], "expected a loopback port (e.g. { port: 27017, address: 127.0.0.1 }) for the index reconciler to reach the managed MongoDB", undefined);
    }
    // (A swarm reserves its GPU instead of --gpus: deployTargetProblems checks it there.)
    if (cfg.monitoring.gpuMetrics === true && cfg.ollama.gpus === "none" && cfg.deployTarget.kind === "host") {
      issue(["monitoring", "gpuMetrics"], "expected false or unset when ollama.gpus is none: the DCGM exporter needs a GPU and the NVIDIA runtime", true);
    }
    if (cfg.tls.earlyRenewalDays >= cfg.tls.validityDays) {
      issue(["tls", "earlyRenewalDays"], `expected fewer days than tls.validityDays (${cfg.tls.validityDays})`, cfg.tls.earlyRenewalDays);
    }
    if (cfg.tls.caEarlyRenewalDays >= cfg.tls.caValidityDays) {
      issue(["tls", "caEarlyRenewalDays"], `expected fewer days than tls.caValidityDays (${cfg.tls.caValidityDays})`, cfg.tls.caEarlyRenewalDays);
    }
    if (cfg.tls.caValidityDays < cfg.tls.validityDays) {
      issue(["tls", "caValidityDays"], `expected at least tls.validityDays (${cfg.tls.validityDays})`, cfg.tls.caValidityDays);
    }

    const required = [...APP_SERVICES, ...AGENT_CATALOG.map((agent) => agent.name), ...ingestionReleaseServices(cfg.ingestion)];
    for (const service of required) {
      if (!cfg.release.images[service]) issue(["release", "images", service], "expected an image pinned by digest for this service", undefined);
    }
    // The ingestion plane's images may stay while it is turned off (enabled: false).
    const allowed = [...required, ...ingestionAllowedReleaseServices(cfg.ingestion).filter((service) => !required.includes(service))];
    for (const service of Object.keys(cfg.release.images)) {
      if (!allowed.includes(service)) issue(["release", "images", service], `expected one of ${allowed.join(", ")}`, service);
    }

    // The cross-field rules of each area, each in its slice (one problem per cause, by key path).
    for (const problem of <ConfigProblem[]>[
      ...backupConfigProblems(cfg),
      ...monitoringConfigProblems(cfg),
      ...sizeConfigProblems(cfg),
      ...networkConfigProblems(cfg),
      ...dnsNameProblems(cfg.tls.dnsNames),
      ...databaseNameProblems(cfg),
      ...deployTargetProblems(cfg),
      ...ingestionConfigProblems(cfg),
    ]) {
      issue(problem.path, problem.message, problem.input, problem.reads);
    }

    // Agent overrides, their models and the canary's agents: the same check the agents' plan runs.
    for (const problem of agentConfigProblems({ overrides: cfg.agents, models: cfg.release.models, canaryAgents: cfg.canary?.agents, canaryAgentReplicas: cfg.canary?.agentReplicas })) {
      issue(problem.path, problem.message, problem.input);
    }

    if (cfg.canary) {
      const candidate = cfg.canary.release;
      const agentNames = AGENT_CATALOG.map((agent) => agent.name);
      if (cfg.canary.workers > cfg.workers.replicas) {
        issue(["canary", "workers"], `expected at most workers.replicas (${cfg.workers.replicas})`, cfg.canary.workers);
      }
      if (cfg.canary.workers === 0 && cfg.canary.agents.length === 0) {
        issue(["canary"], "expected canary.workers > 0 or canary.agents naming an agent (remove the canary block to run only the current release)", undefined);
      }
      if (candidate.version === cfg.release.version) {
        issue(["canary", "release", "version"], `expected a version other than release.version (${cfg.release.version}): the release labels tell the two apart`, candidate.version);
      }
      if (cfg.canary.workers > 0 && !candidate.images["enrichment-worker"]) {
        issue(["canary", "release", "images", "enrichment-worker"], "expected the candidate's enrichment-worker image (pinned by digest): canary.workers run it", undefined);
      }
      for (const name of cfg.canary.agents) {
        if (agentNames.includes(name) && !candidate.images[name]) {
          issue(["canary", "release", "images", name], "expected the candidate's image for this agent (pinned by digest): canary.agents names it", undefined);
        }
      }
      for (const service of Object.keys(candidate.images)) {
        if (!allowed.includes(service)) issue(["canary", "release", "images", service], `expected one of ${allowed.join(", ")}`, service);
      }
    }
  });

/**
 * Secrets are their own top-level keys, always set with `pulumi config set --secret`. Each says
 * when it is required; the program reads them only as Pulumi secrets.
 */
export const SECRET_KEYS = {
  anthropicApiKey: {
    description: "Anthropic API key for context-agent",
    requiredWhen: (_cfg: Settings) => true,
  },
  mongodbExternalUri: {
    description: "connection URI of an external MongoDB (mongodb.mode: external)",
    requiredWhen: (cfg: Settings) => cfg.mongodb.mode === "external",
  },
  slackWebhookUrl: {
    description: "Slack incoming-webhook URL for Alertmanager",
    requiredWhen: (cfg: Settings) => cfg.monitoring.alerting.slack.enabled,
  },
  pagerdutyRoutingKey: {
    description: "PagerDuty Events v2 routing key for critical alerts",
    requiredWhen: (cfg: Settings) => cfg.monitoring.alerting.pagerduty.enabled,
  },
  smtpPassword: {
    description: "SMTP password for Alertmanager e-mail",
    requiredWhen: (cfg: Settings) => cfg.monitoring.alerting.email.enabled && !!cfg.monitoring.alerting.email.authUsername,
  },
  deadMansSwitchUrl: {
    description: "URL of the external dead-man's switch that Alertmanager's Watchdog webhook calls (monitoring.alerting.deadMansSwitch)",
    requiredWhen: (cfg: Settings) => cfg.monitoring.alerting.deadMansSwitch.enabled,
  },
  ...BACKUP_SECRET_KEYS,
  ...INGESTION_SECRET_KEYS,
} as const satisfies Record<string, { description: string; requiredWhen: (cfg: Settings) => boolean }>;

export type SecretKey = keyof typeof SECRET_KEYS;
export const SettingsInputSchema = SettingsSchema;
export type Settings = z.output<typeof SettingsSchema>;
export type Release = z.output<typeof ReleaseSchema>;
export { SettingsSchema };
