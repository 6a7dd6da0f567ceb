// Agent Performance: requests, failures and latency per agent and model; Ollama and the GPU.
import { atMost, buildDashboard, DashboardContext, Panels } from "./common";

const requests = "enrichment_agent_requests_total";
const duration = "enrichment_agent_request_duration_seconds_bucket";

export function agentPerformance(ctx: DashboardContext) {
  const p = new Panels(ctx);
  const { thresholds } = ctx;
  return buildDashboard(
    {
      uid: "agent-performance",
      title: "Agent Performance",
      description: "MCP agents: traffic, failures and latency per agent and model; Ollama's health and the GPU behind it.",
      tags: ["agents"],
      rows: [
        {
          title: "Health",
          panels: [
            p.stat("mcp-server up", 'min(probe_success{service="mcp-server"})', { unit: "bool", thresholds: [{ value: null, color: "red" }, { value: 1, color: "green" }] }),
            p.stat("Ollama up", 'min(probe_success{service="ollama"})', { unit: "bool", thresholds: [{ value: null, color: "red" }, { value: 1, color: "green" }] }),
            p.stat("Agent failures (5 m)", `sum(rate(${requests}{status!="success"}[5m])) / sum(rate(${requests}[5m]))`, {
              unit: "percentunit",
              decimals: 1,
              thresholds: atMost(thresholds.agentErrorRateCritical, thresholds.agentErrorRateMax),
            }),
            p.stat("Slowest agent p95", `max(histogram_quantile(0.95, sum by (agent, le) (rate(${duration}[5m]))))`, {
              unit: "s",
              thresholds: atMost(thresholds.agentP95MaxSeconds),
            }),
            p.stat("Ollama probe", 'max(probe_duration_seconds{service="ollama"})', { unit: "s", thresholds: atMost(thresholds.ollamaProbeMaxSeconds) }),
            p.stat("Requests per second", `sum(rate(${requests}[5m]))`, { unit: "reqps" }),
          ],
        },
        {
          title: "Agents",
          panels: [
            p.timeseries("Requests per second by agent", [{ expr: `sum by (agent) (rate(${requests}[$__rate_interval]))`, legend: "{{agent}}" }], { unit: "reqps" }),
            p.timeseries(
              "Failed share by agent",
              [{ expr: `sum by (agent) (rate(${requests}{status!="success"}[$__rate_interval])) / sum by (agent) (rate(${requests}[$__rate_interval]))`, legend: "{{agent}}" }],
              { unit: "percentunit", thresholds: atMost(thresholds.agentErrorRateCritical, thresholds.agentErrorRateMax) },
            ),
            p.timeseries(
              "Latency p95 by agent",
              [{ expr: `histogram_quantile(0.95, sum by (agent, le) (rate(${duration}[$__rate_interval])))`, legend: "{{agent}}" }],
              { unit: "s", thresholds: atMost(thresholds.agentP95MaxSeconds) },
            ),
            p.timeseries(
              "Latency p50 by agent",
              [{ expr: `histogram_quantile(0.5, sum by (agent, le) (rate(${duration}[$__rate_interval])))`, legend: "{{agent}}" }],
              { unit: "s" },
            ),
            p.timeseries("Requests by model and outcome", [{ expr: `sum by (model, status) (rate(${requests}[$__rate_interval]))`, legend: "{{model}} {{status}}" }], {
              unit: "reqps",
            }),
            p.timeseries("Timeouts by agent", [{ expr: `sum by (agent) (rate(${requests}{status="timeout"}[$__rate_interval]))`, legend: "{{agent}}" }], {
              unit: "reqps",
            }),
          ],
        },
        {
          title: "Ollama and GPU",
          panels: [
            p.timeseries("Ollama /api/version probe", [{ expr: 'probe_duration_seconds{service="ollama"}', legend: "duration" }], {
              unit: "s",
              span: 6,
              thresholds: atMost(thresholds.ollamaProbeMaxSeconds),
            }),
            p.timeseries("GPU utilisation", [{ expr: "DCGM_FI_DEV_GPU_UTIL", legend: "GPU {{gpu}}" }], { unit: "percent", span: 6, min: 0, max: 100 }),
            p.timeseries(
              "GPU memory used",
              [{ expr: "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)", legend: "GPU {{gpu}}" }],
              { unit: "percentunit", span: 6, min: 0, max: 1, thresholds: atMost(thresholds.gpuMemoryUsageMax) },
            ),
            p.timeseries("GPU temperature", [{ expr: "DCGM_FI_DEV_GPU_TEMP", legend: "GPU {{gpu}}" }], {
              unit: "celsius",
              span: 6,
              thresholds: atMost(thresholds.gpuTemperatureMaxCelsius),
            }),
          ],
        },
      ],
    },
    ctx,
  );
}
