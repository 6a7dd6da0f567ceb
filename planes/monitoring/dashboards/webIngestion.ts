// Web Ingestion (the ingestion plane, seed 004): the seed's success metrics against their targets
// (uptime, index and query p95, error rate), its Context counters (pages, chunks, SPLADE and
// rerank outcomes) and the plane's services and backups. Provisioned only while the plane runs.
import type { IngestionTargets } from "../../../config/ingestion";
import { atLeast, atMost, buildDashboard, DashboardContext, Panels } from "./common";

const MCP = 'service="ingestion-mcp-server"';
const PLANE_JOBS = "ingestion-mcp-server|splade|reranker|crawl4ai|qdrant|postgres-backup";

export function webIngestion(ctx: DashboardContext & { ingestion: IngestionTargets }) {
  const p = new Panels(ctx);
  const t = ctx.ingestion;
  const p95 = (histogram: string) => `histogram_quantile(0.95, sum by (le) (rate(${histogram}_bucket{${MCP}}[$__rate_interval])))`;
  return buildDashboard(
    {
      uid: "web-ingestion",
      title: "Web Ingestion",
      description: `The web-ingestion plane against its success metrics: uptime above ${t.availabilityMin * 100}%, index p95 below ${t.indexP95MaxSeconds}s, query p95 below ${t.queryP95MaxSeconds}s, error rate below ${t.errorRateMax * 100}%.`,
      tags: ["ingestion"],
      rows: [
        {
          title: "Success metrics",
          panels: [
            p.stat("Uptime (6h)", 'avg_over_time(up{job="ingestion-mcp-server"}[6h])', { unit: "percentunit", decimals: 2, span: 6, thresholds: atLeast(t.availabilityMin) }),
            p.stat("Index latency p95", p95("web_index_duration_seconds"), { unit: "s", span: 6, thresholds: atMost(t.indexP95MaxSeconds) }),
            p.stat("Query latency p95", p95("web_query_duration_seconds"), { unit: "s", span: 6, thresholds: atMost(t.queryP95MaxSeconds) }),
            p.stat(
              "Error rate",
              `((sum(rate(web_index_failures_total{${MCP}}[$__rate_interval])) or vector(0)) + (sum(rate(web_queries_total{${MCP},status="failed"}[$__rate_interval])) or vector(0))) / (sum(rate(web_pages_indexed_total{${MCP}}[$__rate_interval])) + (sum(rate(web_index_failures_total{${MCP}}[$__rate_interval])) or vector(0)) + sum(rate(web_queries_total{${MCP}}[$__rate_interval])))`,
              { unit: "percentunit", decimals: 3, span: 6, thresholds: atMost(t.errorRateMax) },
            ),
          ],
        },
        {
          title: "Indexing and search",
          panels: [
            p.timeseries(
              "Pages and chunks per minute",
              [
                { expr: `sum(rate(web_pages_indexed_total{${MCP}}[$__rate_interval])) * 60`, legend: "pages indexed" },
                { expr: `sum(rate(web_index_failures_total{${MCP}}[$__rate_interval])) * 60`, legend: "pages failed" },
                { expr: `sum(rate(web_chunks_generated_total{${MCP}}[$__rate_interval])) * 60`, legend: "chunks" },
              ],
              { unit: "short" },
            ),
            p.timeseries(
              "Latency p95",
              [
                { expr: p95("web_index_duration_seconds"), legend: "index" },
                { expr: p95("web_query_duration_seconds"), legend: "query" },
              ],
              { unit: "s", thresholds: atMost(t.indexP95MaxSeconds, t.queryP95MaxSeconds) },
            ),
            p.timeseries(
              "SPLADE and rerank outcomes",
              [
                { expr: `sum by (status) (rate(web_splade_requests_total{${MCP}}[$__rate_interval]))`, legend: "splade {{status}}" },
                { expr: `sum by (status) (rate(web_rerank_requests_total{${MCP}}[$__rate_interval]))`, legend: "rerank {{status}}" },
              ],
              { unit: "reqps" },
            ),
            p.timeseries("Queries by outcome", [{ expr: `sum by (status) (rate(web_queries_total{${MCP}}[$__rate_interval]))`, legend: "{{status}}" }], { unit: "reqps" }),
          ],
        },
        {
          title: "Services and backups",
          panels: [
            p.timeseries("Scrape targets up", [{ expr: `up{job=~"${PLANE_JOBS}"}`, legend: "{{job}}" }], { unit: "short", min: 0, max: 1, span: 8 }),
            p.timeseries("Memory by service", [{ expr: `sum by (service) (container_memory_working_set_bytes{service=~"postgres|${PLANE_JOBS}"})`, legend: "{{service}}" }], {
              unit: "bytes",
              span: 8,
            }),
            p.timeseries(
              "Last PostgreSQL backup (age)",
              [{ expr: 'time() - max(enrichment_backup_last_success_timestamp_seconds{service="postgres-backup"})', legend: "age" }],
              { unit: "s", span: 8, thresholds: atMost(ctx.thresholds.backupMaxAgeHours * 3600) },
            ),
          ],
        },
      ],
    },
    ctx,
  );
}
