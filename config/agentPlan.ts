// The agent catalog as plans, pure (no Pulumi): each catalog entry merged with the stack's
// override (`enrichment:agents.<name>`), the models the stack pulls and the canary split.
// `agentConfigProblems` is also what the config schema reports, so a stack and a component built
// alone are checked by the same code and get the same messages.
import { CanarySettings, planAgent, ReleaseAssignment, ReleaseImages } from "./canary";
import { AGENT_CATALOG, AgentBackend, AgentEntry, HOSTED_MODEL_NAME } from "../facts/agents";

/** `enrichment:agents.<name>`: what a stack may override. */
export interface AgentOverride {
  model?: string;
  fallbackModel?: string;
  image?: string;
  replicas?: number;
  memoryMb?: number;
  cpus?: number;
}

/** A catalog entry merged with its override, the release split and the pulled tags. */
export interface AgentPlan {
  name: string;
  role: string;
  backend: AgentBackend;
  /** Ollama: a `release.models` key. Anthropic: the Claude model name. */
  model: string;
  fallbackModel?: string;
  /** What the agent asks its backend for: the Ollama tag, or the Claude model name. */
  modelTag: string;
  fallbackTag?: string;
  /** `release.models` keys the agent waits for (empty for the Anthropic backend). */
  pulls: string[];
  replicas: number;
  memoryMb: number;
  cpus: number;
  environment: Record<string, string>;
  /** One per replica, in replica order: what it runs (the canary split may differ per replica). */
  assignments: ReleaseAssignment[];
}

export interface AgentPlanInput {
  catalog?: readonly AgentEntry[];
  overrides: Readonly<Record<string, AgentOverride>>;
  /** `release.models`: model key -> Ollama tag the stack pulls. */
  models: Readonly<Record<string, string>>;
  release: ReleaseImages;
  canary?: CanarySettings;
  /** `enrichment:resources.agent`, for entries that set no size. */
  defaultSize: { memoryMb: number; cpus: number };
}

/** A problem with the stack's agent settings: the config key, "expected ...", and what was there. */
export interface AgentConfigProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
}

/** Overrides of unknown agents, models the stack does not pull, unknown canary agents. */
export function agentConfigProblems(
  input: Pick<AgentPlanInput, "catalog" | "overrides" | "models"> & { canaryAgents?: readonly string[]; canaryAgentReplicas?: Readonly<Record<string, number>> },
): AgentConfigProblem[] {
  const catalog = input.catalog ?? AGENT_CATALOG;
  const names = catalog.map((agent) => agent.name);
  const problems: AgentConfigProblem[] = [];
  for (const name of Object.keys(input.overrides)) {
    if (!names.includes(name)) problems.push({ path: ["agents", name], message: `expected an agent from facts/agents.ts: ${names.join(", ")}`, input: name });
  }
  const pulledKeys = Object.keys(input.models);
  const pulled = `expected a model the stack pulls (release.models: ${pulledKeys.join(", ")})`;
  const pulledTags = Object.values(input.models);
  for (const agent of catalog) {
    const override = input.overrides[agent.name] ?? {};
    const model = override.model ?? agent.model;
    const fallback = override.fallbackModel ?? agent.fallbackModel;
    for (const [key, name] of [["model", model], ["fallbackModel", fallback]] as const) {
      if (name === undefined) continue;
      const path = ["agents", agent.name, key];
      if (agent.backend === "ollama") {
        if (name in input.models) continue;
        // A hosted model's name on a local agent: say which back end serves it.
        const hosted = Object.entries(HOSTED_MODEL_NAME).find(([, hostedModel]) => hostedModel.pattern.test(name));
        const tag = Object.entries(input.models).find(([, pulledTag]) => pulledTag === name);
        const why = hosted
          ? `; ${JSON.stringify(name)} is a model of the ${hosted[0]} API, and ${agent.name} runs on Ollama`
          : tag
            ? `; ${JSON.stringify(name)} is the tag of release.models.${tag[0]}: name the key, ${JSON.stringify(tag[0])}`
            : "";
        problems.push({ path, message: `${pulled}${why}`, input: name });
        continue;
      }
      const hostedModel = HOSTED_MODEL_NAME[agent.backend];
      if (hostedModel.pattern.test(name)) continue;
      const local = name in input.models || pulledTags.includes(name) || name.includes(":");
      problems.push({
        path,
        message:
          `expected a model of the ${agent.backend} API (${hostedModel.form}, such as ${JSON.stringify(agent.model)})` +
          (local ? `: ${agent.name} calls the ${agent.backend} API, which does not serve the local (Ollama) model ${JSON.stringify(name)}` : ""),
        input: name,
      });
    }
  }
  for (const name of input.canaryAgents ?? []) {
    if (!names.includes(name)) problems.push({ path: ["canary", "agents"], message: `expected agent names from facts/agents.ts: ${names.join(", ")}`, input: name });
  }
  for (const [name, count] of Object.entries(input.canaryAgentReplicas ?? {})) {
    const entry = catalog.find((agent) => agent.name === name);
    if (!entry || !(input.canaryAgents ?? []).includes(name)) {
      problems.push({ path: ["canary", "agentReplicas", name], message: "expected an agent that canary.agents names", input: name });
      continue;
    }
    const replicas = input.overrides[name]?.replicas ?? entry.replicas ?? 1;
    if (count > replicas) {
      problems.push({ path: ["canary", "agentReplicas", name], message: `expected at most the agent's replicas (${replicas}; enrichment:agents.${name}.replicas)`, input: count });
    }
  }
  return problems;
}

const NAME = /^[a-z][a-z0-9-]*$/;

function catalogProblems(catalog: readonly AgentEntry[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const entry of catalog) {
    if (!NAME.test(entry.name)) problems.push(`facts/agents.ts: "${entry.name}" must be lower-case letters, digits and dashes`);
    if (seen.has(entry.name)) problems.push(`facts/agents.ts: "${entry.name}" appears twice`);
    seen.add(entry.name);
    const replicas = entry.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) problems.push(`facts/agents.ts: "${entry.name}" replicas must be an integer >= 1, got ${replicas}`);
  }
  return problems;
}

/** Merges catalog, overrides, models and canary into one plan per agent; throws listing every problem. */
export function planAgents(input: AgentPlanInput): AgentPlan[] {
  const catalog = input.catalog ?? AGENT_CATALOG;
  const configProblems = agentConfigProblems({ ...input, canaryAgents: input.canary?.agents, canaryAgentReplicas: input.canary?.agentReplicas });
  const problems = [
    ...catalogProblems(catalog),
    ...configProblems.map((p) => `enrichment:${p.path.join(".")}: ${p.message}, got ${JSON.stringify(p.input)}`),
  ];
  // An agent whose canary share is already reported is not planned (its plan would repeat the problem).
  const reported = new Set(configProblems.filter((p) => p.path[1] === "agentReplicas").map((p) => String(p.path[2])));

  const plans: AgentPlan[] = [];
  for (const entry of catalog) {
    const override = input.overrides[entry.name] ?? {};
    const model = override.model ?? entry.model;
    const fallbackModel = override.fallbackModel ?? entry.fallbackModel;
    const ollama = entry.backend === "ollama";
    const pulls = ollama ? [model, ...(fallbackModel ? [fallbackModel] : [])] : [];
    const replicas = override.replicas ?? entry.replicas ?? 1;
    if (reported.has(entry.name)) continue;
    let assignments: ReleaseAssignment[];
    try {
      assignments = planAgent(entry.name, replicas, input.release, input.canary, override.image);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    plans.push({
      name: entry.name,
      role: entry.role,
      backend: entry.backend,
      model,
      fallbackModel,
      modelTag: ollama ? (input.models[model] ?? model) : model,
      fallbackTag: ollama && fallbackModel ? (input.models[fallbackModel] ?? fallbackModel) : fallbackModel,
      pulls,
      replicas,
      memoryMb: override.memoryMb ?? entry.memoryMb ?? input.defaultSize.memoryMb,
      cpus: override.cpus ?? entry.cpus ?? input.defaultSize.cpus,
      environment: { ...(entry.environment ?? {}) },
      assignments,
    });
  }
  if (problems.length) throw new Error(`agents: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  return plans;
}
