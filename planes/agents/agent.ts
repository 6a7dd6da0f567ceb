// One MCP agent, built from its plan (catalog entry + stack override + release split): one image
// shared by its replicas, and one container per replica (`<name>` alone, or `<name>-1..n`). Each
// container waits for the MCP server to be healthy and for its own model (and fallback) to be
// pulled, nothing else; the Anthropic-backed agent waits for no pull and is the only one with a
// route out (the egress network).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import { PlatformContext, ServiceContainer } from "../../components/serviceContainer";
import { httpHealthcheck, releaseLabels, secretFile, wire, Wiring } from "../enrichment/wiring";
import type { AgentPlan } from "../../config/agentPlan";
import { AGENT_PORT } from "../../facts/agents";

/** What an ollama-backed agent needs from the model plane (planes/models/ollama.ts's Ollama). */
export interface ModelServer {
  url: string;
  /** The pull resources of these `release.models` keys; throws for a model the stack does not pull. */
  pullsFor(models: string[]): pulumi.Resource[];
}

export interface AgentArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  plan: AgentPlan;
  /** The MCP server's client wiring (McpServer.client()): address, JWT secret file, wait on it. */
  mcp: Wiring;
  /** Required for the ollama backend. */
  ollama?: ModelServer;
  /** Required for the anthropic backend (a Pulumi secret). */
  anthropicApiKey?: pulumi.Input<string>;
  /** Feature flags this agent reads, as environment values (facts/features.ts). */
  features?: Record<string, string>;
  waitTimeoutSeconds?: number;
  /** `release.agentCatalogVersion`, shown as the `org.enrichment.agent-catalog` label and AGENT_CATALOG_VERSION. */
  catalogVersion: string;
}

export class Agent extends pulumi.ComponentResource {
  readonly image: docker.RemoteImage;
  readonly replicas: ServiceContainer[] = [];
  /** DNS names of the replicas on the private network. */
  readonly hostnames: string[] = [];

  constructor(name: string, args: AgentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:mcp:Agent", name, {}, opts);
    const { plan } = args;
    validate(name, args);

    const backend: Wiring =
      plan.backend === "anthropic"
        ? wire({ env: { MODEL_BACKEND: "anthropic" }, secretFiles: [secretFile("anthropicApiKey", args.anthropicApiKey!)] })
        : wire({ env: { MODEL_BACKEND: "ollama", OLLAMA_URL: args.ollama!.url }, dependsOn: args.ollama!.pullsFor(plan.pulls) });
    const wiring = wire(args.mcp, backend, {
      env: {
        ...plan.environment,
        ...(args.features ?? {}),
        AGENT_NAME: plan.name,
        AGENT_ROLE: plan.role,
        AGENT_CATALOG_VERSION: args.catalogVersion,
        MODEL: plan.modelTag,
        ...(plan.fallbackTag ? { FALLBACK_MODEL: plan.fallbackTag } : {}),
        PORT: String(AGENT_PORT),
      },
    });

    // One image for all replicas of the agent.
    this.image = new docker.RemoteImage(`${name}-image`, { name: plan.assignment.image, keepLocally: true }, { parent: this });

    const { release, labels } = releaseLabels(plan.assignment);
    for (let index = 1; index <= plan.replicas; index++) {
      const service = plan.replicas === 1 ? plan.name : `${plan.name}-${index}`;
      const container = new ServiceContainer(
        service,
        {
          context: args.context,
          network: args.network,
          service,
          group: "mcp",
          image: this.image,
          env: { ...wiring.env, AGENT_INSTANCE: service },
          secretFiles: wiring.secretFiles,
          healthcheck: httpHealthcheck(AGENT_PORT),
          waitTimeoutSeconds: args.waitTimeoutSeconds ?? 120,
          memoryMb: plan.memoryMb,
          cpus: plan.cpus,
          // Only an agent that calls an outside API gets a route out.
          egress: plan.backend === "anthropic",
          release,
          labels: { ...labels, "org.enrichment.agent": plan.name, "org.enrichment.agent-catalog": args.catalogVersion },
          dependsOn: wiring.dependsOn,
        },
        { parent: this },
      );
      this.replicas.push(container);
      this.hostnames.push(container.hostname);
    }

    this.registerOutputs({ hostnames: this.hostnames });
  }
}

function validate(name: string, args: AgentArgs): void {
  const { plan } = args;
  const problems: string[] = [];
  if (!Number.isInteger(plan.replicas) || plan.replicas < 1) problems.push(`replicas must be an integer >= 1 (enrichment:agents.${name}.replicas), got ${plan.replicas}`);
  if (plan.backend === "anthropic" && !args.anthropicApiKey) {
    problems.push("the anthropic backend needs the API key: `pulumi config set --secret enrichment:anthropicApiKey ...`");
  }
  if (plan.backend === "ollama" && !args.ollama) problems.push("the ollama backend needs the model server (ollama)");
  if (plan.backend === "ollama" && plan.pulls.length === 0) problems.push(`no model to wait for: set enrichment:agents.${name}.model to a release.models key`);
  if (problems.length) throw new Error(`Agent ${name}: ${problems.join("; ")}`);
}
