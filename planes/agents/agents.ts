// The one place the agent catalog becomes resources: planAgents (config/agentPlan.ts, pure) merges each
// catalog entry with the stack's override and the canary split, McpAgents builds one Agent per
// plan. A sixth agent is one catalog entry (plus its image in the release), nothing else.
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import { PlatformContext, targetOf } from "../../components/context";
import { featureEnv } from "../../facts/features";
import { METRICS_PATH, ScrapeTarget } from "../enrichment/wiring";
import { Agent, ModelServer } from "./agent";
import { AGENT_PORT } from "../../facts/agents";
import type { McpServer } from "./mcpServer";
import { AgentPlan, AgentPlanInput, planAgents } from "../../config/agentPlan";

export interface McpAgentsArgs extends AgentPlanInput {
  context: PlatformContext;
  network: PlatformNetwork;
  mcp: McpServer;
  /** The model server (Ollama) the ollama-backed agents use; its pulls are what they wait for. */
  ollama: ModelServer;
  /** Anthropic API key (a Pulumi secret), for anthropic-backed agents. */
  anthropicApiKey?: pulumi.Input<string>;
  /** `enrichment:features`. */
  features: Readonly<Record<string, boolean>>;
  /** `release.agentCatalogVersion`: which catalog the release's agents were built against (label + environment). */
  catalogVersion: string;
}

export class McpAgents extends pulumi.ComponentResource {
  readonly plans: AgentPlan[];
  readonly agents: Record<string, Agent> = {};
  /**
   * One host: one scrape job for all agents, every replica's `/metrics` labelled with its agent
   * (`service`) and track. A swarm: one job per agent, its tasks found by DNS, with the same labels.
   */
  readonly scrapeTargets: ScrapeTarget[];

  constructor(name: string, args: McpAgentsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:mcp:Agents", name, {}, opts);
    this.plans = planAgents(args);

    const targets: string[] = [];
    const targetLabels: Record<string, Record<string, string>> = {};
    for (const plan of this.plans) {
      const agent = new Agent(
        plan.name,
        {
          context: args.context,
          network: args.network,
          plan,
          mcp: args.mcp.client(),
          ollama: plan.backend === "ollama" ? args.ollama : undefined,
          anthropicApiKey: plan.backend === "anthropic" ? args.anthropicApiKey : undefined,
          features: featureEnv(plan.name, args.features),
          catalogVersion: args.catalogVersion,
        },
        { parent: this },
      );
      this.agents[plan.name] = agent;
      agent.hostnames.forEach((hostname, i) => {
        const target = `${hostname}:${AGENT_PORT}`;
        targets.push(target);
        targetLabels[target] = { service: plan.name, track: agent.tracks[i]! };
      });
    }
    // A swarm: one job per agent service (one per track), its tasks found by DNS.
    this.scrapeTargets =
      targetOf(args.context).kind === "swarm"
        ? Object.values(this.agents).flatMap((agent) =>
            agent.hostnames.map((hostname, i) => ({
              job: hostname,
              targets: [],
              dnsSd: { names: [`tasks.${hostname}`], port: AGENT_PORT, labels: { service: agent.agentName, track: agent.tracks[i]! } },
              metricsPath: METRICS_PATH,
            })),
          )
        : [{ job: "agents", targets, metricsPath: METRICS_PATH, targetLabels }];

    this.registerOutputs({ agents: Object.keys(this.agents) });
  }
}
