// The application plane: the MCP server and the agents of the catalog, the enrichment
// coordinator and its workers, the HTTP APIs, and the edge in front of them. Built on the
// foundation (network, generated secrets, edge certificate) and the data and model planes.
//
//   mcp-server ◄── agents (each: its own model pulls; context-agent: Anthropic, egress)
//       ▲
//   coordinator ◄── workers 1..N (first canary.workers on the candidate)     (NSQ, MongoDB)
//   review-api, cost-api ◄── edge (TLS, rate limit, CORS) ──► grafana        (MongoDB)
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config/schema";
import { McpAgents } from "../planes/agents/agents";
import type { ModelServer } from "../planes/agents/agent";
import { McpServer } from "../planes/agents/mcpServer";
import { Apis } from "../planes/enrichment/apis";
import { Edge, ProbeTarget } from "../planes/edge/edge";
import { EnrichmentCoordinator } from "../planes/enrichment/coordinator";
import { EnrichmentWorkers } from "../planes/enrichment/workers";
import { METRICS_PATH, mongoClient, nsqClient, ScrapeTarget, Wiring } from "../planes/enrichment/wiring";
import { featureEnv } from "../facts/features";
import type { MongoDatabase } from "../planes/data/mongodb";
import type { PlatformNetwork } from "../components/network";
import type { Nsq } from "../planes/data/nsq";
import type { PlatformContext } from "../components/serviceContainer";
import { PORTS } from "../facts/services";
import type { IssuedCertificate } from "../components/tls";

/** The stack settings this plane reads. */
export type ApplicationSettings = Pick<
  Settings,
  "release" | "canary" | "agents" | "workers" | "resources" | "features" | "cors" | "rateLimit" | "tls" | "images"
>;

type HostPort = { address: string; port: number };

export interface ApplicationPlaneArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  settings: ApplicationSettings;
  /** The generated MCP JWT secret (a Pulumi secret). */
  jwtSecret: pulumi.Input<string>;
  /** `enrichment:anthropicApiKey` (a Pulumi secret), for context-agent. */
  anthropicApiKey?: pulumi.Input<string>;
  edgeCertificate: IssuedCertificate;
  mongodb: MongoDatabase;
  nsq: Nsq;
  ollama: ModelServer;
  /** Host ports of the edge: HTTPS, and optionally an HTTP redirect. */
  publish: { edge?: HostPort; edgeHttp?: HostPort };
  /** An existing network (by name) the coordinator and the APIs join: the OCR network. */
  externalNetwork?: pulumi.Input<string>;
  /** More for the coordinator, workers and APIs to wait for (e.g. the MongoDB indexes). */
  dataDependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class ApplicationPlane extends pulumi.ComponentResource {
  readonly mcp: McpServer;
  readonly agents: McpAgents;
  readonly coordinator: EnrichmentCoordinator;
  readonly workers: EnrichmentWorkers;
  readonly apis: Apis;
  readonly edge: Edge;
  /** Prometheus scrape jobs of this plane (every service's `/metrics` on its port). */
  readonly scrapeTargets: ScrapeTarget[];
  /** Blackbox probes: the edge's status and each route's health through the edge. */
  readonly probeTargets: ProbeTarget[];
  /** Service name -> how to reach it (edge URLs for what people use). */
  readonly endpoints: Record<string, string> = {};

  constructor(name: string, args: ApplicationPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:app:ApplicationPlane", name, {}, opts);
    const { context, network, settings } = args;
    const { release, resources, features } = settings;
    const parent = { parent: this };
    const externalNetworks = args.externalNetwork ? [args.externalNetwork] : [];

    this.mcp = new McpServer(
      "mcp-server",
      {
        context,
        network,
        image: release.images["mcp-server"],
        release: release.version,
        jwtSecret: args.jwtSecret,
        ...resources.mcpServer,
        features: featureEnv("mcp-server", features),
      },
      parent,
    );

    this.agents = new McpAgents(
      "agents",
      {
        context,
        network,
        overrides: settings.agents,
        models: release.models,
        release,
        canary: settings.canary,
        defaultSize: resources.agent,
        mcp: this.mcp,
        ollama: args.ollama,
        anthropicApiKey: args.anthropicApiKey,
        features,
        catalogVersion: release.agentCatalogVersion,
      },
      parent,
    );

    const mongo = mongoClient(args.mongodb);
    const clients: Wiring[] = [nsqClient(args.nsq), mongo, this.mcp.client()];
    this.coordinator = new EnrichmentCoordinator(
      "enrichment-coordinator",
      {
        context,
        network,
        image: release.images["enrichment-coordinator"],
        release: release.version,
        ...resources.coordinator,
        clients,
        features: featureEnv("enrichment-coordinator", features),
        externalNetworks,
        dependsOn: args.dataDependsOn,
      },
      parent,
    );

    this.workers = new EnrichmentWorkers(
      "enrichment-workers",
      {
        context,
        network,
        replicas: settings.workers.replicas,
        release,
        canary: settings.canary,
        ...resources.worker,
        clients: [...clients, { env: { COORDINATOR_URL: this.coordinator.url }, secretFiles: [], dependsOn: [this.coordinator.server] }],
        features: featureEnv("enrichment-worker", features),
        dependsOn: args.dataDependsOn,
      },
      parent,
    );

    this.apis = new Apis(
      "apis",
      {
        context,
        network,
        release,
        sizes: { "review-api": resources.reviewApi, "cost-api": resources.costApi },
        mongodb: mongo,
        features,
        externalNetworks,
        dependsOn: args.dataDependsOn,
      },
      parent,
    );

    this.edge = new Edge(
      "edge",
      {
        context,
        network,
        image: settings.images.edge,
        certificate: args.edgeCertificate,
        dnsNames: settings.tls.dnsNames,
        allowedOrigins: settings.cors.allowedOrigins,
        rateLimit: settings.rateLimit,
        publish: args.publish.edge,
        httpPublish: args.publish.edgeHttp,
        ...resources.edge,
      },
      parent,
    );

    this.scrapeTargets = [
      { job: "mcp-server", targets: [`mcp-server:${PORTS.mcpServer}`], metricsPath: METRICS_PATH },
      this.agents.scrapeTarget,
      { job: "enrichment-coordinator", targets: [`enrichment-coordinator:${PORTS.coordinator}`], metricsPath: METRICS_PATH },
      this.workers.scrapeTarget,
      ...this.apis.scrapeTargets,
    ];
    this.probeTargets = this.edge.probeTargets;

    this.endpoints["mcp-server"] = this.mcp.url;
    this.endpoints["enrichment-coordinator"] = this.coordinator.url;
    const viaEdge: Record<string, string> = { "review-api": "review", "cost-api": "cost", grafana: "grafana" };
    for (const [service, route] of Object.entries(viaEdge)) if (this.edge.urls[route]) this.endpoints[service] = this.edge.urls[route];

    this.registerOutputs({ endpoints: this.endpoints });
  }
}
