// The enrichment coordinator (8001): takes OCR'd documents off NSQ, tracks jobs in MongoDB and
// dispatches tasks through the MCP server. Waits for the topic, the database and the MCP server.
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/context";
import { deployService, PlatformService } from "../../components/deploy";
import { PORTS } from "../../facts/services";
import { httpHealthcheck, releaseLabels, wire, Wiring } from "./wiring";

export interface EnrichmentCoordinatorArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  /** The release's `enrichment-coordinator` image. */
  image: string;
  release: string;
  memoryMb: number;
  cpus: number;
  /** NSQ, MongoDB and MCP client wirings (wiring.ts: nsqClient, mongoClient, McpServer.client()). */
  clients: Wiring[];
  /** Feature flags it reads, as environment values. */
  features?: Record<string, string>;
  /** Existing networks (by name) to join as well: the OCR network. */
  externalNetworks?: pulumi.Input<string>[];
  /** More to wait for (e.g. the MongoDB indexes). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  waitTimeoutSeconds?: number;
  /** Replicas on a swarm (one host runs one). */
  replicas?: number;
}

export const COORDINATOR_SERVICE = "enrichment-coordinator";

export class EnrichmentCoordinator extends pulumi.ComponentResource {
  readonly server: PlatformService;
  /** `http://enrichment-coordinator:8001`. */
  readonly url: string;

  constructor(name: string, args: EnrichmentCoordinatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:enrichment:Coordinator", name, {}, opts);
    if (!args.image) throw new Error(`EnrichmentCoordinator ${name}: no image; set enrichment:release.images.${COORDINATOR_SERVICE}`);

    const wiring = wire(...args.clients, { env: { PORT: String(PORTS.coordinator), ...(args.features ?? {}) }, dependsOn: args.dependsOn ?? [] });
    this.server = deployService(
      COORDINATOR_SERVICE,
      {
        context: args.context,
        network: args.network,
        service: COORDINATOR_SERVICE,
        group: "enrichment",
        image: args.image,
        env: wiring.env,
        secretFiles: wiring.secretFiles,
        healthcheck: httpHealthcheck(PORTS.coordinator),
        waitTimeoutSeconds: args.waitTimeoutSeconds ?? 120,
        memoryMb: args.memoryMb,
        cpus: args.cpus,
        externalNetworks: args.externalNetworks,
        ...releaseLabels({ version: args.release, track: "stable" }),
        replicas: args.replicas,
        dependsOn: wiring.dependsOn,
      },
      { parent: this },
    );
    this.url = this.server.url(PORTS.coordinator);

    this.registerOutputs({ url: this.url });
  }
}
