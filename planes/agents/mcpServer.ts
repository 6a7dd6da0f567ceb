// The MCP server: the JSON-RPC 2.0 controller the agents register with and the enrichment
// services call. It signs and checks JWTs with the generated secret (a secret file, never a
// default); everything that talks to it gets its address and the same secret via `client()`.
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/context";
import { deployService, PlatformService } from "../../components/deploy";
import { PORTS } from "../../facts/services";
import { httpHealthcheck, releaseLabels, secretFile, Wiring } from "../enrichment/wiring";

export interface McpServerArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  /** The release's `mcp-server` image (pinned by digest). */
  image: string;
  /** Release version, shown as the container's release label. */
  release: string;
  /** The generated JWT signing secret (a Pulumi secret). */
  jwtSecret: pulumi.Input<string>;
  memoryMb: number;
  cpus: number;
  /** Feature flags the server reads (facts/features.ts). */
  features?: Record<string, string>;
  waitTimeoutSeconds?: number;
  /** Replicas on a swarm (one host runs one). */
  replicas?: number;
}

export const MCP_SERVICE = "mcp-server";

export class McpServer extends pulumi.ComponentResource {
  readonly server: PlatformService;
  /** `http://mcp-server:3000` on the private network. */
  readonly url: string;
  private readonly jwtSecret: pulumi.Input<string>;

  constructor(name: string, args: McpServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:mcp:McpServer", name, {}, opts);
    if (!args.image) throw new Error(`McpServer ${name}: no image; set enrichment:release.images.${MCP_SERVICE}`);
    if (!args.jwtSecret) throw new Error(`McpServer ${name}: jwtSecret is required (the generated mcp-jwt-secret)`);
    this.jwtSecret = args.jwtSecret;

    this.server = deployService(
      MCP_SERVICE,
      {
        context: args.context,
        network: args.network,
        service: MCP_SERVICE,
        group: "mcp",
        image: args.image,
        env: { PORT: String(PORTS.mcpServer), ...(args.features ?? {}) },
        secretFiles: [secretFile("mcpJwtSecret", args.jwtSecret)],
        healthcheck: httpHealthcheck(PORTS.mcpServer),
        waitTimeoutSeconds: args.waitTimeoutSeconds ?? 120,
        memoryMb: args.memoryMb,
        cpus: args.cpus,
        ...releaseLabels({ version: args.release, track: "stable" }),
        replicas: args.replicas,
      },
      { parent: this },
    );
    this.url = this.server.url(PORTS.mcpServer);

    this.registerOutputs({ url: this.url });
  }

  /** What a client of the server gets: its address, the JWT secret as a file, and a wait on it being healthy. */
  client(): Wiring {
    return {
      env: { MCP_SERVER_URL: this.url },
      secretFiles: [secretFile("mcpJwtSecret", this.jwtSecret)],
      dependsOn: [this.server],
    };
  }
}
