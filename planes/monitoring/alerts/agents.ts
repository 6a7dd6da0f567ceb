// The MCP agents behind mcp-server: errors, latency, silence. Alerts carry the agent as `service`
// so that a critical alert inhibits the warning of the same agent only.
import { OWN_ALERT_PROBES } from "../prometheus";
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

const requests = "enrichment_agent_requests_total";
/** Copies the `agent` label to `service`. */
const asService = (expr: string) => `label_replace(${expr}, "service", "$1", "agent", "(.+)")`;
const failedShare = asService(
  `sum by (agent) (rate(${requests}{status!="success"}[5m])) / sum by (agent) (rate(${requests}[5m]))`,
);

export const agents: AlertArea = {
  area: "agents",
  title: "Agents",
  rules: ({ thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "AgentErrorRateHigh",
      expr: `${failedShare} > ${num(thresholds.agentErrorRateMax)}`,
      for: "10m",
      severity: "warning",
      summary: "{{ $labels.agent }} fails {{ $value | humanizePercentage }} of its requests.",
      description: `{{ $labels.agent }} answered {{ $value | humanizePercentage }} of requests in the last 5 minutes with an error or a timeout (warning above ${pct(thresholds.agentErrorRateMax)}).`,
      runbook: "agent-error-rate-high",
    },
    {
      alert: "AgentErrorRateHigh",
      expr: `${failedShare} > ${num(thresholds.agentErrorRateCritical)}`,
      for: "5m",
      severity: "critical",
      summary: "{{ $labels.agent }} fails {{ $value | humanizePercentage }} of its requests.",
      description: `{{ $labels.agent }} answered {{ $value | humanizePercentage }} of requests in the last 5 minutes with an error or a timeout (critical above ${pct(thresholds.agentErrorRateCritical)}). Documents lose the fields this agent fills.`,
      runbook: "agent-error-rate-high",
    },
    {
      alert: "AgentLatencyHigh",
      expr: `${asService(`histogram_quantile(0.95, sum by (agent, le) (rate(enrichment_agent_request_duration_seconds_bucket[5m])))`)} > ${num(thresholds.agentP95MaxSeconds)}`,
      for: "15m",
      severity: "warning",
      summary: "{{ $labels.agent }} answers in {{ $value | humanizeDuration }} (p95).",
      description: `The 95th percentile of {{ $labels.agent }}'s request duration is {{ $value | humanizeDuration }} (allowed: ${num(thresholds.agentP95MaxSeconds)}s). Throughput drops and requests start to time out.`,
      runbook: "agent-latency-high",
    },
    {
      alert: "AgentNoRequests",
      expr: `${asService(`sum by (agent) (rate(${requests}[30m])) == 0`)} and on () sum(rate(enrichment_documents_processed_total[30m])) > 0`,
      for: "30m",
      severity: "warning",
      summary: "{{ $labels.agent }} received no requests while documents were processed.",
      description: "Documents were processed in the last 30 minutes but {{ $labels.agent }} was not called once. The coordinator skips it, or mcp-server cannot reach it.",
      runbook: "agent-no-requests",
    },
    {
      alert: "McpServerDown",
      expr: `probe_success{service="${OWN_ALERT_PROBES.mcpServer}"} == 0`,
      for: "2m",
      severity: "critical",
      summary: "mcp-server does not answer its health check.",
      description: "The blackbox probe of {{ $labels.instance }} has failed for 2 minutes. No agent can be reached; enrichment stops.",
      runbook: "mcp-server-down",
    },
  ],
  runbooks: {
    "agent-error-rate-high": {
      title: "AgentErrorRateHigh",
      meaning: "An agent answers too many requests with an error or a timeout (the `agent` and `service` labels name it).",
      check: [
        "Agent Performance dashboard: errors or timeouts? Timeouts point at Ollama (see OllamaSlowResponses), errors at the agent or its model.",
        "The agent's logs: `docker logs --since 30m <prefix>-<agent>`.",
        "For context-agent: is the Anthropic API reachable and the key valid (401/403/429 in the logs)?",
        "For Ollama agents: is the model pulled (`docker exec <prefix>-ollama ollama list`) and does Ollama answer (OllamaDown)?",
      ],
      act: [
        "Restart the agent container if it is wedged: `docker restart <prefix>-<agent>`.",
        "Missing model: run `pulumi up` to pull it again. Anthropic rate limits: lower the worker count or ask for a higher limit.",
        "A new release caused it: roll back (`npm run rollback -- --stack <stack>`).",
      ],
    },
    "agent-latency-high": {
      title: "AgentLatencyHigh",
      meaning: "The 95th percentile of an agent's request duration is above the stack's threshold.",
      check: [
        "Agent Performance dashboard: all Ollama agents slow at once (Ollama or the GPU is saturated) or one agent?",
        "GPU utilisation and memory (DCGM panels): is the model swapped out of GPU memory (both models do not fit together)?",
        "Worker count: more workers than Ollama can serve in parallel make every request wait.",
      ],
      act: [
        "Ollama saturated: reduce `enrichment:workers.replicas` or move the alternative model off the GPU.",
        "One agent slow: restart it; check whether it switched to the larger fallback model (mixtral).",
      ],
    },
    "agent-no-requests": {
      title: "AgentNoRequests",
      meaning: "Documents were processed but an agent was not called at all: documents are enriched without its fields.",
      check: [
        "Is the agent's feature flag off on purpose (e.g. `ENABLE_CONTEXT_AGENT: false`)?",
        "mcp-server logs: does it list the agent as registered and healthy?",
        "Is the agent's container running and on the private network (`docker inspect <prefix>-<agent>`)?",
      ],
      act: [
        "Disabled on purpose: silence the alert in Alertmanager for the duration and record why.",
        "Not registered: restart mcp-server, then the agent; check the agent catalog version of the release.",
      ],
    },
    "mcp-server-down": {
      title: "McpServerDown",
      meaning: "The blackbox probe of mcp-server's `/health` fails; no agent can be called.",
      check: [
        "`docker ps --filter name=<prefix>-mcp-server` and `docker logs --since 15m <prefix>-mcp-server`.",
        "Does it fail on its JWT secret or on MongoDB/NSQ at start-up?",
        "Is the blackbox exporter itself up (TargetDown for job blackbox-exporter)?",
      ],
      act: [
        "Restart it: `docker restart <prefix>-mcp-server`; if it does not come back, `pulumi up` recreates it.",
        "A new release that does not start: roll back.",
      ],
    },
  },
};
