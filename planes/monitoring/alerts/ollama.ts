// Ollama (no metrics of its own: the blackbox probe of /api/version) and model-level errors.
import { OWN_ALERT_PROBES } from "../prometheus";
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

const requests = "enrichment_agent_requests_total";
const probe = `service="${OWN_ALERT_PROBES.ollama}"`;

export const ollama: AlertArea = {
  area: "ollama",
  title: "Ollama",
  rules: ({ thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "OllamaDown",
      expr: `probe_success{${probe}} == 0`,
      for: "2m",
      severity: "critical",
      summary: "Ollama does not answer /api/version.",
      description: "The blackbox probe of {{ $labels.instance }} has failed for 2 minutes. Every local-model agent fails.",
      runbook: "ollama-down",
    },
    {
      alert: "OllamaSlowResponses",
      expr: `probe_duration_seconds{${probe}} > ${num(thresholds.ollamaProbeMaxSeconds)}`,
      for: "10m",
      severity: "warning",
      summary: "Ollama takes {{ $value | humanizeDuration }} to answer /api/version.",
      description: `Ollama's version endpoint took {{ $value | humanizeDuration }} to answer (allowed: ${num(thresholds.ollamaProbeMaxSeconds)}s). The server is overloaded or swapping.`,
      runbook: "ollama-slow-responses",
      labels: { service: "ollama" },
    },
    {
      alert: "ModelErrorRateHigh",
      expr:
        `sum by (model) (rate(${requests}{status!="success"}[5m])) / sum by (model) (rate(${requests}[5m])) > ${num(thresholds.agentErrorRateMax)}`,
      for: "10m",
      severity: "warning",
      summary: "Requests to model {{ $labels.model }} fail {{ $value | humanizePercentage }} of the time.",
      description: `Across all agents, {{ $value | humanizePercentage }} of requests to {{ $labels.model }} failed or timed out in the last 5 minutes (warning above ${pct(thresholds.agentErrorRateMax)}).`,
      runbook: "model-error-rate-high",
    },
  ],
  runbooks: {
    "ollama-down": {
      title: "OllamaDown",
      meaning: "The blackbox probe of Ollama's `/api/version` fails.",
      check: [
        "`docker ps --filter name=<prefix>-ollama`; `docker logs --since 15m <prefix>-ollama`.",
        "GPU: does `nvidia-smi` on the host work, and did the container lose the GPU (CUDA errors in the log, GpuXidErrors)?",
        "Memory: was it OOM-killed (`docker inspect <prefix>-ollama --format '{{.State.OOMKilled}}'`)?",
      ],
      act: [
        "Restart it: `docker restart <prefix>-ollama`; the models stay on the model volume.",
        "GPU lost: restart the NVIDIA driver stack on the host (or reboot it) in a maintenance window.",
        "OOM: raise `enrichment:resources.ollama.memoryMb`.",
      ],
    },
    "ollama-slow-responses": {
      title: "OllamaSlowResponses",
      meaning: "Even Ollama's trivial version endpoint answers slowly: the server is overloaded.",
      check: [
        "GPU utilisation and memory (Agent Performance dashboard, DCGM panels).",
        "Container CPU (cAdvisor): is Ollama running on the CPU because the GPU is not visible?",
        "How many requests are in flight: workers times agents per document.",
      ],
      act: [
        "CPU fallback: fix the GPU reservation (`enrichment:ollama.gpus`) and recreate the container with `pulumi up`.",
        "Overload: lower `enrichment:workers.replicas`.",
      ],
    },
    "model-error-rate-high": {
      title: "ModelErrorRateHigh",
      meaning: "Requests to one model fail or time out too often, across all agents that use it.",
      check: [
        "Is the model still pulled (`docker exec <prefix>-ollama ollama list`) with the tag of `release.models`?",
        "Ollama's log for that model (load errors, out of memory).",
        "For the Anthropic model: API status and the context agent's log.",
      ],
      act: [
        "Missing model: `pulumi up` pulls it again.",
        "Out of GPU memory: switch the agents that use the larger model to the smaller one (`enrichment:agents.<agent>.model`).",
      ],
    },
  },
};
