// The whole platform as one component: config in, one dependency graph out.
//   network + secrets + tls -> data plane (mongodb, nsq) -> model plane (ollama, pulls)
//   -> application plane (mcp + agents, coordinator + workers, edge) -> monitoring
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import { ApplicationPlane } from "./applicationPlane";
import { MongoDatabase } from "../planes/data/mongodb";
import { MongoIndexes } from "../planes/data/mongoIndexes";
import { PlatformNetwork } from "../components/network";
import { Nsq } from "../planes/data/nsq";
import { Ollama } from "../planes/models/ollama";
import { PlatformSecrets } from "../components/secrets";
import type { PlatformContext } from "../components/serviceContainer";
import { PORTS } from "../facts/services";
import { PrivateCertificateAuthority } from "../components/tls";
import { coreProbes, Monitoring } from "../planes/monitoring/monitoring";
import { MongoBackup, waitForSnapshot } from "../planes/backup";
import { backupCredentialsFor, backupUsersFor, createBackup } from "../planes/backup/wiring";

export interface EnrichmentPlatformArgs {
  config: StackConfig;
}

export class EnrichmentPlatform extends pulumi.ComponentResource {
  readonly context: PlatformContext;
  readonly network: PlatformNetwork;
  readonly secrets: PlatformSecrets;
  readonly tls: PrivateCertificateAuthority;
  readonly mongodb: MongoDatabase;
  /** The declared indexes, reconciled once MongoDB is healthy; the application services wait for them. */
  readonly indexes: MongoIndexes;
  readonly nsq: Nsq;
  readonly ollama: Ollama;
  readonly app: ApplicationPlane;
  readonly monitoring: Monitoring;
  /** MongoDB backups (planes/backup); undefined when enrichment:backup.enabled is false. */
  readonly backup?: MongoBackup;
  /** Service name -> how to reach it (private network or published host port). */
  readonly endpoints: Record<string, pulumi.Input<string>> = {};

  constructor(name: string, args: EnrichmentPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:platform:EnrichmentPlatform", name, {}, opts);
    const { settings, secrets: stackSecrets } = args.config;
    const parent = { parent: this };

    this.context = {
      stack: args.config.stack,
      environment: settings.environment,
      prefix: args.config.prefix,
      protectState: args.config.protectState,
      dockerHost: settings.docker.host,
      appRuntimeUser: settings.appRuntimeUser,
    };
    const context = this.context;
    const published = (service: string) => {
      const entry = settings.exposure.publish[service];
      return entry ? { port: entry.port, address: entry.address ?? settings.exposure.bindAddress } : undefined;
    };

    // Foundation: networks, generated secrets, certificates.
    this.network = new PlatformNetwork(
      "network",
      { context, privateSubnet: settings.network.privateSubnet, externalNetwork: settings.network.externalNetwork },
      parent,
    );
    this.secrets = new PlatformSecrets("secrets", {}, parent);
    this.tls = new PrivateCertificateAuthority(
      "tls",
      {
        organization: settings.tls.organization,
        rsaBits: settings.tls.rsaBits,
        validityDays: settings.tls.validityDays,
        earlyRenewalDays: settings.tls.earlyRenewalDays,
        caValidityDays: settings.tls.caValidityDays,
        caEarlyRenewalDays: settings.tls.caEarlyRenewalDays,
        leaves: [{ name: "edge", commonName: settings.tls.dnsNames[0], dnsNames: settings.tls.dnsNames }],
      },
      parent,
    );

    // Data plane. The backup users' passwords come first: MongoDB's init creates the users.
    const backupCredentials = backupCredentialsFor(args.config, parent);
    this.mongodb = new MongoDatabase(
      "mongodb",
      {
        context,
        network: this.network,
        mode: settings.mongodb.mode,
        database: settings.mongodb.database,
        appUser: settings.mongodb.appUser,
        image: settings.images.mongodb,
        ...settings.resources.mongodb,
        waitTimeoutSeconds: settings.mongodb.waitTimeoutSeconds,
        rootPassword: this.secrets.get("mongodb-root-password"),
        appPassword: this.secrets.get("mongodb-app-password"),
        monitorPassword: this.secrets.get("mongodb-monitor-password"),
        adminPublish: published("mongodb"),
        adminHost: settings.mongodb.adminHost,
        externalUri: stackSecrets.mongodbExternalUri,
        backupUsers: backupUsersFor(args.config, backupCredentials),
      },
      parent,
    );
    this.indexes = new MongoIndexes(
      "mongodb-indexes",
      { connectionUri: this.mongodb.adminUri, database: settings.mongodb.database },
      { parent: this, dependsOn: this.mongodb.server ? [this.mongodb.server] : [] },
    );
    this.backup = createBackup(args.config, { context, network: this.network, mongodb: this.mongodb, credentials: backupCredentials }, parent);
    this.nsq = new Nsq(
      "nsq",
      {
        context,
        network: this.network,
        image: settings.images.nsq,
        topic: settings.nsq.topic,
        sizes: { nsqlookupd: settings.resources.nsqlookupd, nsqd: settings.resources.nsqd, nsqadmin: settings.resources.nsqadmin },
        publish: { nsqlookupd: published("nsqlookupd"), nsqd: published("nsqd"), nsqadmin: published("nsqadmin") },
      },
      parent,
    );

    // Model plane.
    this.ollama = new Ollama(
      "ollama",
      {
        context,
        network: this.network,
        image: settings.images.ollama,
        ...settings.resources.ollama,
        gpus: settings.ollama.gpus,
        waitTimeoutSeconds: settings.ollama.waitTimeoutSeconds,
        pullTimeoutMinutes: settings.ollama.pullTimeoutMinutes,
        models: settings.release.models,
        publish: published("ollama"),
      },
      parent,
    );

    // Application plane.
    this.app = new ApplicationPlane(
      "app",
      {
        context,
        network: this.network,
        settings,
        jwtSecret: this.secrets.get("mcp-jwt-secret"),
        anthropicApiKey: stackSecrets.anthropicApiKey,
        edgeCertificate: this.tls.certificate("edge"),
        mongodb: this.mongodb,
        nsq: this.nsq,
        ollama: this.ollama,
        publish: { edge: published("edge"), edgeHttp: published("edge-http") },
        // The looked-up name: a missing network fails the preview instead of the container create.
        externalNetwork: this.network.externalNetworkName,
        dataDependsOn: [this.indexes],
      },
      // A changed release is dumped and verified before any release container is replaced.
      { parent: this, transformations: this.backup?.snapshot ? [waitForSnapshot(this.backup.snapshot)] : [] },
    );

    this.endpoints.mongodb = `mongodb:${PORTS.mongodb}`;
    this.endpoints.nsqd = this.nsq.nsqdTcpAddress;
    this.endpoints.nsqlookupd = this.nsq.lookupdHttpAddress;
    this.endpoints.nsqadmin = `http://nsqadmin:${PORTS.nsqadmin}`;
    this.endpoints.ollama = this.ollama.url;
    Object.assign(this.endpoints, this.app.endpoints);

    // --- Monitoring plane (planes/monitoring/monitoring.ts): Prometheus, Alertmanager, Grafana, exporters.
    this.monitoring = new Monitoring(
      "monitoring",
      {
        context,
        network: this.network,
        settings: settings.monitoring,
        targets: settings.targets,
        images: settings.images,
        resources: settings.resources,
        secrets: {
          slackWebhookUrl: stackSecrets.slackWebhookUrl,
          pagerdutyRoutingKey: stackSecrets.pagerdutyRoutingKey,
          smtpPassword: stackSecrets.smtpPassword,
          deadMansSwitchUrl: stackSecrets.deadMansSwitchUrl,
        },
        grafanaAdminPassword: this.secrets.get("grafana-admin-password"),
        scrapeTargets: [...this.app.scrapeTargets, ...(this.backup?.scrapeTargets ?? [])],
        probes: [...coreProbes({ ollama: this.ollama.url, mcpServer: this.app.mcp.url }), ...this.app.probeTargets],
        // GPU metrics only where there is a GPU (the schema refuses gpuMetrics: true with gpus: none).
        gpu: (settings.monitoring.gpuMetrics ?? true) && settings.ollama.gpus !== "none",
        gpus: settings.ollama.gpus,
        mongodbUri: this.mongodb.monitoringUri,
        watched: { mongodb: this.mongodb.server, nsqd: this.nsq.nsqd },
        caCertPem: this.tls.caCertPem,
        publish: { prometheus: published("prometheus"), alertmanager: published("alertmanager"), grafana: published("grafana") },
      },
      parent,
    );
    // --- end of the monitoring plane.

    this.registerOutputs({ endpoints: this.endpoints });
  }
}
