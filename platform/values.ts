// The one place that maps the stack's configuration to every component's arguments (the role of
// kube-prometheus' `values`): the planes and building blocks read no setting themselves, and both
// renderers (one host, a swarm) get the same inputs from here. What comes from resources created
// on the way (networks, generated secrets, certificates, other planes) is wired in platform.ts.
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import { swarmSettings } from "../config/deployTarget";
import { scratchDatabase } from "../config/backup";
import type { HostTarget, PlatformContext, SwarmTarget } from "../components/context";
import type { PlatformNetworkArgs } from "../components/network";
import type { PrivateCertificateAuthorityArgs } from "../components/tls";
import { featureEnv } from "../facts/features";
import type { SwarmRole } from "../facts/swarm";
import type { MongoDatabaseArgs } from "../planes/data/mongodb";
import type { NsqArgs } from "../planes/data/nsq";
import type { OllamaArgs } from "../planes/models/ollama";
import type { MonitoringArgs } from "../planes/monitoring/monitoring";
import type { ApplicationValues } from "../planes/application/applicationPlane";
import type { BackupValues } from "../planes/backup/wiring";

type HostPort = { address: string; port: number };

/** The target as plain data; platform.ts adds the providers of the labelled nodes. */
export type TargetValues =
  | HostTarget
  | (Omit<SwarmTarget, "nodeProviders"> & {
      /** Docker hosts of the labelled nodes whose volumes live there. */
      nodeDockerHosts: Partial<Record<SwarmRole, string>>;
    });

export interface PlatformValues {
  context: Omit<PlatformContext, "target">;
  target: TargetValues;
  /** The Docker provider of the stack: a host, or a swarm's manager. */
  provider: { host: string; sshOpts?: string[] };
  network: Omit<PlatformNetworkArgs, "context">;
  /** A swarm's per-node anchor on its overlays (components/deploy.ts networkAnchor); none on one host. */
  networkAnchor?: { image: string; memoryMb: number; cpus: number };
  tls: PrivateCertificateAuthorityArgs;
  mongodb: Omit<MongoDatabaseArgs, "context" | "network" | "rootPassword" | "appPassword" | "monitorPassword" | "backupUsers">;
  indexes: { database: string };
  backup?: BackupValues;
  nsq: Omit<NsqArgs, "context" | "network">;
  ollama: Omit<OllamaArgs, "context" | "network">;
  app: ApplicationValues & { anthropicApiKey?: pulumi.Input<string> };
  monitoring: Omit<MonitoringArgs, "context" | "network" | "grafanaAdminPassword" | "scrapeTargets" | "probes" | "mongodbUri" | "watched" | "caCertPem">;
}

export function platformValues(config: StackConfig): PlatformValues {
  const { settings, secrets } = config;
  const published = (service: string): HostPort | undefined => {
    const entry = settings.exposure.publish[service];
    return entry ? { port: entry.port, address: entry.address ?? settings.exposure.bindAddress } : undefined;
  };
  const { release, resources, features } = settings;
  const swarm = settings.deployTarget.kind === "swarm" ? swarmSettings(settings.deployTarget) : undefined;
  /** Replicas exist only on a swarm: one host runs one container per service. */
  const onSwarm = <T>(value: T): T | undefined => (swarm ? value : undefined);

  const target: TargetValues = swarm
    ? {
        kind: "swarm",
        endpointMode: swarm.endpointMode,
        gpu: { resource: swarm.gpu.resource, count: swarm.gpu.count },
        update: { ...swarm.update },
        convergeTimeoutSeconds: swarm.convergeTimeoutSeconds,
        jobTimeoutSeconds: swarm.jobTimeoutMinutes * 60,
        nodeDockerHosts: { ...swarm.nodeDockerHosts } as Partial<Record<SwarmRole, string>>,
      }
    : { kind: "host" };

  // GPU metrics where there is a GPU: --gpus on one host (the schema refuses gpuMetrics: true with
  // gpus: none); the reserved generic resource on a swarm.
  const gpu = swarm ? (settings.monitoring.gpuMetrics ?? true) && swarm.gpu.count > 0 : (settings.monitoring.gpuMetrics ?? true) && settings.ollama.gpus !== "none";

  const backup = settings.backup.enabled ? backupValues(config) : undefined;

  return {
    context: {
      stack: config.stack,
      environment: settings.environment,
      prefix: config.prefix,
      protectState: config.protectState,
      dockerHost: settings.docker.host,
      appRuntimeUser: settings.appRuntimeUser,
    },
    target,
    provider: { host: settings.docker.host, sshOpts: settings.docker.sshOpts.length ? settings.docker.sshOpts : undefined },
    network: { privateSubnet: settings.network.privateSubnet, externalNetwork: settings.network.externalNetwork },
    networkAnchor: swarm ? { image: settings.images.nodeExporter, ...resources.exporter } : undefined,
    tls: {
      organization: settings.tls.organization,
      rsaBits: settings.tls.rsaBits,
      validityDays: settings.tls.validityDays,
      earlyRenewalDays: settings.tls.earlyRenewalDays,
      caValidityDays: settings.tls.caValidityDays,
      caEarlyRenewalDays: settings.tls.caEarlyRenewalDays,
      leaves: [{ name: "edge", commonName: settings.tls.dnsNames[0]!, dnsNames: settings.tls.dnsNames }],
    },
    mongodb: {
      mode: settings.mongodb.mode,
      database: settings.mongodb.database,
      appUser: settings.mongodb.appUser,
      image: settings.images.mongodb,
      ...resources.mongodb,
      waitTimeoutSeconds: settings.mongodb.waitTimeoutSeconds,
      adminPublish: published("mongodb"),
      adminHost: settings.mongodb.adminHost,
      externalUri: secrets.mongodbExternalUri,
    },
    indexes: { database: settings.mongodb.database },
    backup,
    nsq: {
      image: settings.images.nsq,
      topic: settings.nsq.topic,
      sizes: { nsqlookupd: resources.nsqlookupd, nsqd: resources.nsqd, nsqadmin: resources.nsqadmin },
      publish: { nsqlookupd: published("nsqlookupd"), nsqd: published("nsqd"), nsqadmin: published("nsqadmin") },
    },
    ollama: {
      image: settings.images.ollama,
      ...resources.ollama,
      gpus: settings.ollama.gpus,
      waitTimeoutSeconds: settings.ollama.waitTimeoutSeconds,
      pullTimeoutMinutes: settings.ollama.pullTimeoutMinutes,
      models: release.models,
      publish: published("ollama"),
    },
    app: {
      mcp: {
        image: release.images["mcp-server"]!,
        release: release.version,
        ...resources.mcpServer,
        features: featureEnv("mcp-server", features),
        replicas: onSwarm(swarm?.replicas.mcpServer),
      },
      agents: {
        overrides: settings.agents,
        models: release.models,
        release,
        canary: settings.canary,
        defaultSize: resources.agent,
        features,
        catalogVersion: release.agentCatalogVersion,
      },
      coordinator: {
        image: release.images["enrichment-coordinator"]!,
        release: release.version,
        ...resources.coordinator,
        features: featureEnv("enrichment-coordinator", features),
        replicas: onSwarm(swarm?.replicas.coordinator),
      },
      workers: {
        replicas: settings.workers.replicas,
        release,
        canary: settings.canary,
        ...resources.worker,
        features: featureEnv("enrichment-worker", features),
      },
      apis: {
        release,
        sizes: { "review-api": resources.reviewApi, "cost-api": resources.costApi },
        features,
        replicas: onSwarm({ "review-api": swarm?.replicas.reviewApi, "cost-api": swarm?.replicas.costApi }),
      },
      edge: {
        image: settings.images.edge,
        dnsNames: settings.tls.dnsNames,
        allowedOrigins: settings.cors.allowedOrigins,
        rateLimit: settings.rateLimit,
        publish: published("edge"),
        httpPublish: published("edge-http"),
        ...resources.edge,
      },
      anthropicApiKey: secrets.anthropicApiKey,
    },
    monitoring: {
      settings: settings.monitoring,
      targets: settings.targets,
      images: {
        prometheus: settings.images.prometheus,
        alertmanager: settings.images.alertmanager,
        grafana: settings.images.grafana,
        mongodbExporter: settings.images.mongodbExporter,
        nsqExporter: settings.images.nsqExporter,
        blackboxExporter: settings.images.blackboxExporter,
        cadvisor: settings.images.cadvisor,
        nodeExporter: settings.images.nodeExporter,
        dcgmExporter: settings.images.dcgmExporter,
      },
      sizes: { prometheus: resources.prometheus, alertmanager: resources.alertmanager, grafana: resources.grafana, exporter: resources.exporter },
      secrets: {
        slackWebhookUrl: secrets.slackWebhookUrl,
        pagerdutyRoutingKey: secrets.pagerdutyRoutingKey,
        smtpPassword: secrets.smtpPassword,
        deadMansSwitchUrl: secrets.deadMansSwitchUrl,
      },
      gpu,
      gpus: settings.ollama.gpus,
      publish: { prometheus: published("prometheus"), alertmanager: published("alertmanager"), grafana: published("grafana") },
    },
  };
}

/** The backups' arguments: the users MongoDB's init creates (managed), or the stack's URIs (external). */
function backupValues(config: StackConfig): BackupValues {
  const { settings, secrets } = config;
  const { backup, mongodb } = settings;
  const s3 = backup.s3;
  return {
    managed: mongodb.mode === "managed",
    users: { backup: backup.user, restore: backup.restoreUser, scratchDatabase: scratchDatabase(backup, mongodb.database) },
    args: {
      settings: backup,
      database: mongodb.database,
      scratchDatabase: scratchDatabase(backup, mongodb.database),
      images: { backup: settings.images.backup, offsite: settings.images.backupOffsite, metrics: settings.images.nodeExporter },
      offsite:
        s3 && s3.endpoint && s3.bucket && s3.region
          ? {
              endpoint: s3.endpoint,
              bucket: s3.bucket,
              region: s3.region,
              prefix: s3.prefix,
              intervalMinutes: s3.intervalMinutes,
              accessKeyId: secrets.backupS3AccessKeyId!,
              secretAccessKey: secrets.backupS3SecretAccessKey!,
            }
          : undefined,
      release: { version: settings.release.version, images: settings.release.images },
      canary: settings.canary ? { version: settings.canary.release.version, images: settings.canary.release.images } : undefined,
    },
    externalUris: mongodb.mode === "managed" ? undefined : { backup: secrets.mongodbBackupUri!, restore: secrets.mongodbRestoreUri },
  };
}
