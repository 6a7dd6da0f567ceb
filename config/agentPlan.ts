// The agent catalog as plans, pure (no Pulumi): each catalog entry merged with the stack's
// override (`enrichment:agents.<name>`), the models the stack pulls and the canary split.
// `agentConfigProblems` is also what the config schema reports, so a stack and a component built
// alone are checked by the same code and get the same messages.
import { CanarySettings, planAgent, ReleaseAssignment, ReleaseImages } from "./canary";
import { AGENT_CATALOG, AgentBackend, AgentEntry } from "../facts/agents";

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
  assignment: ReleaseAssignment;
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
export function agentConfigProblems(input: Pick<AgentPlanInput, "catalog" | "overrides" | "models"> & { canaryAgents?: readonly string[] }): AgentConfigProblem[] {
  const catalog = input.catalog ?? AGENT_CATALOG;
  const names = catalog.map((agent) => agent.name);
  const problems: AgentConfigProblem[] = [];
  for (const name of Object.keys(input.overrides)) {
    if (!names.includes(name)) problems.push({ path: ["agents", name], message: `expected an agent from facts/agents.ts: ${names.join(", ")}`, input: name });
  }
  const pulled = `expected a model the stack pulls (release.models: ${Object.keys(input.models).join(", ")})`;
  for (const agent of catalog) {
    if (agent.backend !== "ollama") continue;
    const override = input.overrides[agent.name] ?? {};
    const model = override.model ?? agent.model;
    const fallback = override.fallbackModel ?? agent.fallbackModel;
    if (!(model in input.models)) problems.push({ path: ["agents", agent.name, "model"], message: pulled, input: model });
    if (fallback && !(fallback in input.models)) problems.push({ path: ["agents", agent.name, "fallbackModel"], message: pulled, input: fallback });
  }
  for (const name of input.canaryAgents ?? []) {
    if (!names.includes(name)) problems.push({ path: ["canary", "agents"], message: `expected agent names from facts/agents.ts: ${names.join(", ")}`, input: name });
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
  const problems = [
    ...catalogProblems(catalog),
    ...agentConfigProblems({ ...input, canaryAgents: input.canary?.agents }).map(
      (p) => `enrichment:${p.path.join(".")}: ${p.message}, got ${JSON.stringify(p.input)}`,
    ),
  ];

  const plans: AgentPlan[] = [];
  for (const entry of catalog) {
    const override = input.overrides[entry.name] ?? {};
    const model = override.model ?? entry.model;
    const fallbackModel = override.fallbackModel ?? entry.fallbackModel;
    const ollama = entry.backend === "ollama";
    const pulls = ollama ? [model, ...(fallbackModel ? [fallbackModel] : [])] : [];
    let assignment: ReleaseAssignment;
    try {
      assignment = planAgent(entry.name, input.release, input.canary, override.image);
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
      replicas: override.replicas ?? entry.replicas ?? 1,
      memoryMb: override.memoryMb ?? entry.memoryMb ?? input.defaultSize.memoryMb,
      cpus: override.cpus ?? entry.cpus ?? input.defaultSize.cpus,
      environment: { ...(entry.environment ?? {}) },
      assignment,
    });
  }
  if (problems.length) throw new Error(`agents: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  return plans;
}
