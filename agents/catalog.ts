// The MCP agents as data. One component (agents/agent.ts) turns each entry into containers;
// a new agent is a new entry here plus its image in each stack's `release.images`.

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
  replicas?: number;
  memoryMb?: number;
  cpus?: number;
}

export const AGENT_CATALOG: readonly AgentEntry[] = [
  { name: "metadata-agent", role: "document classification", backend: "ollama", model: "llama3.2" },
  { name: "entity-agent", role: "named-entity recognition", backend: "ollama", model: "llama3.2" },
  { name: "structure-agent", role: "letter-structure parsing", backend: "ollama", model: "llama3.2", fallbackModel: "mixtral" },
  { name: "content-agent", role: "summary and keywords", backend: "ollama", model: "llama3.2" },
  { name: "context-agent", role: "historical context", backend: "anthropic", model: "claude-opus-4-1" },
];
