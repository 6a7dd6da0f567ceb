// One MCP agent, built from its plan (catalog entry + stack override + release split): one image
// shared by its replicas, and one container per replica (`<name>` alone, or `<name>-1..n`) on one
// host, or one swarm service `<name>` with the replicas (AGENT_INSTANCE from the task's slot). Each
// container waits for the MCP server to be healthy and for its own model (and fallback) to be
// pulled, nothing else; the Anthropic-backed agent waits for no pull and is the only one with a
// route out (the egress network).
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import { PlatformContext, targetOf } from "../../components/context";
import { deployService, PlatformService, sharedImage } from "../../components/deploy";
import type { ServiceSpec } from "../../components/serviceSpec";
import { TASK_SLOT } from "../../facts/swarm";
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

/** The swarm service of an agent's canary replicas. */
export const agentCanaryService = (agent: string) => `${agent}-canary`;

export class Agent extends pulumi.ComponentResource {
  /** The image resource (one host) or reference (a swarm) of each track its replicas run (one when the agent is not split). */
  readonly images: Partial<Record<string, string | docker.RemoteImage>> = {};
  /** One host: a container per replica. A swarm: one service per track, holding its replicas. */
  readonly replicas: PlatformService[] = [];
  /** DNS names of the replicas on the private network. */
  readonly hostnames: string[] = [];
  /** The track of each replica, in the order of `hostnames`. */
  readonly tracks: string[] = [];
  /** The agent's name in the catalog (its services' `service` label in metrics). */
  readonly agentName: string;

  constructor(name: string, args: AgentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:mcp:Agent", name, {}, opts);
    this.agentName = args.plan.name;
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

    // One image per track, shared by the replicas on it. Without a split the image keeps its
    // one name (`<name>-image`); a canary of some replicas adds `<name>-canary-image`, so the
    // replicas that stay on the current release keep theirs untouched.
    const tracks = [...new Set(plan.assignments.map((a) => a.track))];
    const imageFor = (track: string) => plan.assignments.find((a) => a.track === track)!.image;
    for (const track of tracks) {
      const resourceName = tracks.length > 1 && track === "canary" ? `${name}-canary-image` : `${name}-image`;
      this.images[track] = sharedImage(resourceName, imageFor(track), args.context, { parent: this });
    }

    /** The one description of the agent; `instance` is its AGENT_INSTANCE. */
    const agentSpec = (service: string, instance: string, assignment: AgentPlan["assignments"][number]): ServiceSpec => {
      const { release, labels } = releaseLabels(assignment);
      return {
        service,
        group: "mcp",
        image: this.images[assignment.track]!,
        env: { ...wiring.env, AGENT_INSTANCE: instance },
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
      };
    };
    const where = { context: args.context, network: args.network };

    if (targetOf(args.context).kind === "swarm") {
      // One service per track: `<name>` for the current release, `<name>-canary` beside it while a
      // canary splits the agent, answering to the agent's name too.
      for (const track of tracks) {
        const onTrack = plan.assignments.filter((a) => a.track === track);
        const service = tracks.length > 1 && track === "canary" ? agentCanaryService(plan.name) : plan.name;
        const instance = plan.replicas === 1 ? plan.name : `${service}-${TASK_SLOT}`;
        const spec = { ...agentSpec(service, instance, onTrack[0]!), replicas: onTrack.length, ...(service !== plan.name ? { aliases: [plan.name] } : {}) };
        const deployed = deployService(service, { ...where, ...spec }, { parent: this });
        this.replicas.push(deployed);
        this.hostnames.push(deployed.hostname);
        this.tracks.push(track);
      }
    } else {
      for (let index = 1; index <= plan.replicas; index++) {
        const assignment = plan.assignments[index - 1]!;
        const service = plan.replicas === 1 ? plan.name : `${plan.name}-${index}`;
        const container = deployService(service, { ...where, ...agentSpec(service, service, assignment) }, { parent: this });
        this.replicas.push(container);
        this.hostnames.push(container.hostname);
        this.tracks.push(assignment.track);
      }
    }

    this.registerOutputs({ hostnames: this.hostnames });
  }
}

function validate(name: string, args: AgentArgs): void {
  const { plan } = args;
  const problems: string[] = [];
  if (plan.assignments.length !== plan.replicas) problems.push(`the plan has ${plan.assignments.length} release assignments for ${plan.replicas} replicas`);
  if (!Number.isInteger(plan.replicas) || plan.replicas < 1) problems.push(`replicas must be an integer >= 1 (enrichment:agents.${name}.replicas), got ${plan.replicas}`);
  if (plan.backend === "anthropic" && !args.anthropicApiKey) {
    problems.push("the anthropic backend needs the API key: `pulumi config set --secret enrichment:anthropicApiKey ...`");
  }
  if (plan.backend === "ollama" && !args.ollama) problems.push("the ollama backend needs the model server (ollama)");
  if (plan.backend === "ollama" && plan.pulls.length === 0) problems.push(`no model to wait for: set enrichment:agents.${name}.model to a release.models key`);
  if (problems.length) throw new Error(`Agent ${name}: ${problems.join("; ")}`);
}
