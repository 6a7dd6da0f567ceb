// The MCP agents as data. One function (planAgents in config/agentPlan.ts) merges each entry with the
// stack's override (`enrichment:agents.<name>`) and one component (planes/agents/agent.ts) turns it into
// containers. A new agent is a new entry here; its image is release data, so each stack's
// `release.images.<name>` names it too (the schema says so, with the key path, when it is missing).

export type AgentBackend = "ollama" | "anthropic";

export interface AgentEntry {
  /** Service name: DNS alias, container name suffix and `release.images` key. */
  name: string;
  role: string;
  backend: AgentBackend;
  /** For ollama: a key of `release.models`. For anthropic: the Claude model name. */
  model: string;
  /** An alternative Ollama model the agent may switch to (must also be pulled). */
  fallbackModel?: string;
  /** Extra environment the agent reads (no secrets: those are files). */
  environment?: Record<string, string>;
  /** Containers of this agent (`<name>` when 1, `<name>-1..n` otherwise); default 1. */
  replicas?: number;
  /** Size; `enrichment:resources.agent` when unset. */
  memoryMb?: number;
  cpus?: number;
}

/**
 * Model names each back end serves: the Anthropic API's are `claude-*` (docs.anthropic.com, Models
 * overview); an Ollama agent names a `release.models` key, whose tag (`name:size`) the stack pulls.
 */
export const HOSTED_MODEL_NAME: Readonly<Record<Exclude<AgentBackend, "ollama">, { pattern: RegExp; form: string }>> = {
  anthropic: { pattern: /^claude-[a-z0-9][a-z0-9.-]*$/, form: "claude-<name>" },
};

/**
 * The image contract of every agent: it serves `GET /health` and `GET /metrics` on this port
 * (private network only; agents have no service port of their own) and reads it from `PORT`.
 */
export const AGENT_PORT = 8080;

export const AGENT_CATALOG: readonly AgentEntry[] = [
  { name: "metadata-agent", role: "document classification", backend: "ollama", model: "llama3.2" },
  { name: "entity-agent", role: "named-entity recognition", backend: "ollama", model: "llama3.2" },
  { name: "structure-agent", role: "letter-structure parsing", backend: "ollama", model: "llama3.2", fallbackModel: "mixtral" },
  { name: "content-agent", role: "summary and keywords", backend: "ollama", model: "llama3.2" },
  { name: "context-agent", role: "historical context", backend: "anthropic", model: "claude-opus-4-1" },
];
