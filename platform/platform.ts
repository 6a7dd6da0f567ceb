// The whole platform as one component: config in (through platform/values.ts), one dependency
// graph out.
//   network + secrets + tls -> data plane (mongodb, nsq) -> model plane (ollama, pulls)
//   -> application plane (mcp + agents, coordinator + workers, edge) -> monitoring
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import { ApplicationPlane } from "../planes/application/applicationPlane";
import { MongoDatabase } from "../planes/data/mongodb";
import { MongoIndexes } from "../planes/data/mongoIndexes";
import { PlatformNetwork } from "../components/network";
import { networkAnchor } from "../components/deploy";
import { Nsq } from "../planes/data/nsq";
import { Ollama } from "../planes/models/ollama";
import { PlatformSecrets } from "../components/secrets";
import type { DeployTarget, PlatformContext, SwarmTarget } from "../components/context";
import { PORTS } from "../facts/services";
import type { SwarmRole } from "../facts/swarm";
import { PrivateCertificateAuthority } from "../components/tls";
import { coreProbes, Monitoring } from "../planes/monitoring/monitoring";
import { MongoBackup, waitForSnapshot } from "../planes/backup";
import { backupCredentialsFor, backupUsersFor, createBackup } from "../planes/backup/wiring";
import { platformValues, PlatformValues, TargetValues } from "./values";
import type { IngestionPlane } from "../planes/ingestion/plane";
import { createIngestion } from "../planes/ingestion/wiring";

export interface EnrichmentPlatformArgs {
  config: StackConfig;
}

export class EnrichmentPlatform extends pulumi.ComponentResource {
  readonly values: PlatformValues;
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
  /** The web-ingestion plane (planes/ingestion); undefined without an enrichment:ingestion block. */
  readonly ingestion?: IngestionPlane;
  /** Service name -> how to reach it (private network or published host port). */
  readonly endpoints: Record<string, pulumi.Input<string>> = {};

  constructor(name: string, args: EnrichmentPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:platform:EnrichmentPlatform", name, {}, opts);
    const values = platformValues(args.config);
    this.values = values;
    const parent = { parent: this };

    this.context = { ...values.context, ...(values.target.kind === "swarm" ? { target: swarmTarget(values.target, this) } : {}) };
    const context = this.context;

    // Foundation: networks, generated secrets, certificates.
    this.network = new PlatformNetwork("network", { context, ...values.network }, parent);
    // A swarm: every node attached to the overlays before a GPU-reserving task needs them.
    if (values.networkAnchor) networkAnchor({ context, network: this.network, ...values.networkAnchor }, parent);
    this.secrets = new PlatformSecrets("secrets", {}, parent);
    this.tls = new PrivateCertificateAuthority("tls", values.tls, parent);

    // Data plane. The backup users' passwords come first: MongoDB's init creates the users.
    const backupCredentials = backupCredentialsFor(values.backup, parent);
    this.mongodb = new MongoDatabase(
      "mongodb",
      {
        context,
        network: this.network,
        ...values.mongodb,
        rootPassword: this.secrets.get("mongodb-root-password"),
        appPassword: this.secrets.get("mongodb-app-password"),
        monitorPassword: this.secrets.get("mongodb-monitor-password"),
        backupUsers: backupUsersFor(values.backup, backupCredentials),
      },
      parent,
    );
    this.indexes = new MongoIndexes(
      "mongodb-indexes",
      { connectionUri: this.mongodb.adminUri, database: values.indexes.database },
      { parent: this, dependsOn: this.mongodb.server ? [this.mongodb.server] : [] },
    );
    this.backup = createBackup(values.backup, { context, network: this.network, mongodb: this.mongodb, credentials: backupCredentials }, parent);
    this.nsq = new Nsq("nsq", { context, network: this.network, ...values.nsq }, parent);

    // Model plane.
    this.ollama = new Ollama("ollama", { context, network: this.network, ...values.ollama }, parent);

    // Application plane.
    const { anthropicApiKey, ...app } = values.app;
    this.app = new ApplicationPlane(
      "app",
      {
        context,
        network: this.network,
        values: app,
        jwtSecret: this.secrets.get("mcp-jwt-secret"),
        anthropicApiKey,
        edgeCertificate: this.tls.certificate("edge"),
        mongodb: this.mongodb,
        nsq: this.nsq,
        ollama: this.ollama,
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

    // Web-ingestion plane (optional; planes/ingestion).
    // Its release containers wait for MongoDB's pre-release snapshot like the application plane's
    // (one release, one snapshot of each database before any of them is replaced); PostgreSQL's
    // own snapshot is inside the plane, before its migrations.
    this.ingestion = createIngestion(
      args.config,
      { context, network: this.network },
      { parent: this, transformations: this.backup?.snapshot ? [waitForSnapshot(this.backup.snapshot)] : [] },
    );
    if (this.ingestion) Object.assign(this.endpoints, this.ingestion.endpoints);

    // --- Monitoring plane (planes/monitoring/monitoring.ts): Prometheus, Alertmanager, Grafana, exporters.
    this.monitoring = new Monitoring(
      "monitoring",
      {
        context,
        network: this.network,
        ...values.monitoring,
        grafanaAdminPassword: this.secrets.get("grafana-admin-password"),
        scrapeTargets: [...this.app.scrapeTargets, ...(this.backup?.scrapeTargets ?? []), ...(this.ingestion?.scrapeTargets ?? [])],
        probes: [...coreProbes({ ollama: this.ollama.url, mcpServer: this.app.mcp.url }), ...this.app.probeTargets, ...(this.ingestion?.probeTargets ?? [])],
        ingestion: this.ingestion?.targets,
        mongodbUri: this.mongodb.monitoringUri,
        watched: { mongodb: this.mongodb.server, nsqd: this.nsq.nsqd },
        caCertPem: this.tls.caCertPem,
      },
      parent,
    );
    // --- end of the monitoring plane.

    this.registerOutputs({ endpoints: this.endpoints });
  }
}

/** The swarm target with a Docker provider per labelled node that the stack names (its volumes are created there). */
function swarmTarget(values: Extract<TargetValues, { kind: "swarm" }>, parent: pulumi.Resource): SwarmTarget {
  const { nodeDockerHosts, ...rest } = values;
  const nodeProviders: SwarmTarget["nodeProviders"] = {};
  for (const [role, host] of Object.entries(nodeDockerHosts) as [SwarmRole, string][]) {
    nodeProviders[role] = new docker.Provider(`docker-node-${role}`, { host }, { parent });
  }
  return { ...rest, nodeProviders } satisfies DeployTarget;
}
