// The application plane: the MCP server and the agents of the catalog, the enrichment
// coordinator and its workers, the HTTP APIs, and the edge in front of them. Built on the
// foundation (network, generated secrets, edge certificate) and the data and model planes. Its
// arguments come from platform/values.ts; it reads no stack setting itself.
//
//   mcp-server ◄── agents (each: its own model pulls; context-agent: Anthropic, egress)
//       ▲
//   coordinator ◄── workers 1..N (first canary.workers on the candidate)     (NSQ, MongoDB)
//   review-api, cost-api ◄── edge (TLS, rate limit, CORS) ──► grafana        (MongoDB)
import * as pulumi from "@pulumi/pulumi";
import { McpAgents, McpAgentsArgs } from "../agents/agents";
import type { ModelServer } from "../agents/agent";
import { McpServer, McpServerArgs } from "../agents/mcpServer";
import { Apis, ApisArgs } from "../enrichment/apis";
import { Edge, EdgeArgs, ProbeTarget } from "../edge/edge";
import { EnrichmentCoordinator, EnrichmentCoordinatorArgs } from "../enrichment/coordinator";
import { EnrichmentWorkers, EnrichmentWorkersArgs } from "../enrichment/workers";
import { mongoClient, nsqClient, ScrapeTarget, serviceScrapeTarget, Wiring } from "../enrichment/wiring";
import type { MongoDatabase } from "../data/mongodb";
import type { PlatformNetwork } from "../../components/network";
import type { Nsq } from "../data/nsq";
import type { PlatformContext } from "../../components/context";
import { PORTS } from "../../facts/services";
import type { IssuedCertificate } from "../../components/tls";

/** What each service of the plane is given besides what the plane wires (platform/values.ts maps the stack to it). */
export interface ApplicationValues {
  mcp: Omit<McpServerArgs, "context" | "network" | "jwtSecret">;
  agents: Omit<McpAgentsArgs, "context" | "network" | "mcp" | "ollama" | "anthropicApiKey">;
  coordinator: Omit<EnrichmentCoordinatorArgs, "context" | "network" | "clients" | "externalNetworks" | "dependsOn">;
  workers: Omit<EnrichmentWorkersArgs, "context" | "network" | "clients" | "dependsOn">;
  apis: Omit<ApisArgs, "context" | "network" | "mongodb" | "externalNetworks" | "dependsOn">;
  edge: Omit<EdgeArgs, "context" | "network" | "certificate">;
}

export interface ApplicationPlaneArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  values: ApplicationValues;
  /** The generated MCP JWT secret (a Pulumi secret). */
  jwtSecret: pulumi.Input<string>;
  /** `enrichment:anthropicApiKey` (a Pulumi secret), for context-agent. */
  anthropicApiKey?: pulumi.Input<string>;
  edgeCertificate: IssuedCertificate;
  mongodb: MongoDatabase;
  nsq: Nsq;
  ollama: ModelServer;
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
    // The type string and name are the ones it had under platform/: its URN, and its children's, do not change.
    super("enrichment:app:ApplicationPlane", name, {}, opts);
    const { context, network, values } = args;
    const parent = { parent: this };
    const externalNetworks = args.externalNetwork ? [args.externalNetwork] : [];

    this.mcp = new McpServer("mcp-server", { context, network, ...values.mcp, jwtSecret: args.jwtSecret }, parent);

    this.agents = new McpAgents(
      "agents",
      { context, network, ...values.agents, mcp: this.mcp, ollama: args.ollama, anthropicApiKey: args.anthropicApiKey },
      parent,
    );

    const mongo = mongoClient(args.mongodb);
    const clients: Wiring[] = [nsqClient(args.nsq), mongo, this.mcp.client()];
    this.coordinator = new EnrichmentCoordinator(
      "enrichment-coordinator",
      { context, network, ...values.coordinator, clients, externalNetworks, dependsOn: args.dataDependsOn },
      parent,
    );

    this.workers = new EnrichmentWorkers(
      "enrichment-workers",
      {
        context,
        network,
        ...values.workers,
        clients: [...clients, { env: { COORDINATOR_URL: this.coordinator.url }, secretFiles: [], dependsOn: [this.coordinator.server] }],
        dependsOn: args.dataDependsOn,
      },
      parent,
    );

    this.apis = new Apis("apis", { context, network, ...values.apis, mongodb: mongo, externalNetworks, dependsOn: args.dataDependsOn }, parent);

    this.edge = new Edge("edge", { context, network, ...values.edge, certificate: args.edgeCertificate }, parent);

    this.scrapeTargets = [
      serviceScrapeTarget(context, "mcp-server", "mcp-server", PORTS.mcpServer),
      ...this.agents.scrapeTargets,
      serviceScrapeTarget(context, "enrichment-coordinator", "enrichment-coordinator", PORTS.coordinator),
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
