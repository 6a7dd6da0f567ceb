// The web-ingestion plane (planes/ingestion, seed 004 "Success Metrics"): uptime > 99.5 %, index
// p95 < 5 s, query p95 < 2 s, error rate < 0.1 %, and the SPLADE and rerank failures the seed's
// Context counts. Built only while the plane runs; thresholds are enrichment:ingestion.targets.
// Its services being down is TargetDown and HealthEndpointDown (infrastructure); its backups are
// the backups area's (their rules are by `service`: postgres-backup).
import { IngestionTargetsSchema } from "../../../config/ingestion";
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

const MCP = "ingestion-mcp-server";
const p95 = (histogram: string) => `histogram_quantile(0.95, sum by (le) (rate(${histogram}_bucket{service="${MCP}"}[10m])))`;
/** Failed pages and queries over all of them; absent failure counters count as none. */
const errorRatio =
  `(sum(rate(web_index_failures_total{service="${MCP}"}[15m])) or vector(0)) + (sum(rate(web_queries_total{service="${MCP}",status="failed"}[15m])) or vector(0))` +
  `) / (sum(rate(web_pages_indexed_total{service="${MCP}"}[15m])) + (sum(rate(web_index_failures_total{service="${MCP}"}[15m])) or vector(0)) + sum(rate(web_queries_total{service="${MCP}"}[15m])))`;
const failedShare = (counter: string) =>
  `sum(rate(${counter}{service="${MCP}",status="failed"}[15m])) / sum(rate(${counter}{service="${MCP}"}[15m]))`;

export const ingestion: AlertArea = {
  area: "ingestion",
  title: "Web ingestion",
  enabled: ({ ingestion: running }) => running,
  rules: ({ ingestion: given }: AlertContext): AlertRule[] => {
    const targets = given ?? IngestionTargetsSchema.parse(undefined);
    return [
      {
        alert: "IngestionAvailabilityLow",
        // The share of the last 6 h's scrapes the server answered (its /metrics is its own health).
        expr: `avg_over_time(up{job="${MCP}"}[6h]) < ${num(targets.availabilityMin)}`,
        for: "5m",
        severity: "warning",
        summary: "The ingestion MCP server answered {{ $value | humanizePercentage }} of scrapes in 6 hours.",
        description: `Over the last 6 hours the ingestion MCP server answered {{ $value | humanizePercentage }} of Prometheus' scrapes (target: uptime above ${pct(targets.availabilityMin)}).`,
        runbook: "ingestion-availability-low",
      },
      {
        alert: "IngestionIndexLatencyHigh",
        expr: `${p95("web_index_duration_seconds")} > ${num(targets.indexP95MaxSeconds)}`,
        for: "15m",
        severity: "warning",
        summary: "Indexing a web page takes {{ $value | humanizeDuration }} at the 95th percentile.",
        description: `The 95th percentile of web_index_duration_seconds over 10 minutes is {{ $value | humanizeDuration }} (target: below ${num(targets.indexP95MaxSeconds)}s).`,
        runbook: "ingestion-index-latency-high",
      },
      {
        alert: "IngestionQueryLatencyHigh",
        expr: `${p95("web_query_duration_seconds")} > ${num(targets.queryP95MaxSeconds)}`,
        for: "15m",
        severity: "warning",
        summary: "Search queries take {{ $value | humanizeDuration }} at the 95th percentile.",
        description: `The 95th percentile of web_query_duration_seconds over 10 minutes is {{ $value | humanizeDuration }} (target: below ${num(targets.queryP95MaxSeconds)}s).`,
        runbook: "ingestion-query-latency-high",
      },
      {
        alert: "IngestionErrorRateHigh",
        expr: `(${errorRatio} > ${num(targets.errorRateMax)}`,
        for: "15m",
        severity: "warning",
        summary: "{{ $value | humanizePercentage }} of page indexing and queries fail.",
        description: `Failed pages and queries make up {{ $value | humanizePercentage }} of all over 15 minutes (target: below ${pct(targets.errorRateMax)}).`,
        runbook: "ingestion-error-rate-high",
      },
      {
        alert: "SpladeFailuresHigh",
        expr: `${failedShare("web_splade_requests_total")} > 0.05`,
        for: "10m",
        severity: "warning",
        summary: "{{ $value | humanizePercentage }} of SPLADE requests fail.",
        description: "More than 5% of the MCP server's SPLADE encoding requests failed over 15 minutes: hybrid search loses its sparse half.",
        runbook: "splade-failures-high",
      },
      {
        alert: "RerankFailuresHigh",
        expr: `${failedShare("web_rerank_requests_total")} > 0.05`,
        for: "10m",
        severity: "warning",
        summary: "{{ $value | humanizePercentage }} of rerank requests fail.",
        description: "More than 5% of the MCP server's requests to the reranker failed over 15 minutes: results come back in their initial order.",
        runbook: "rerank-failures-high",
      },
    ];
  },
  runbooks: {
    "ingestion-availability-low": {
      title: "IngestionAvailabilityLow",
      meaning: "The ingestion MCP server missed more scrapes than the uptime target allows (the seed: uptime > 99.5 %).",
      check: [
        "`docker ps --filter name=<prefix>-ingestion-mcp-server` and `docker logs --since 6h <prefix>-ingestion-mcp-server`: restarts, start-up failures.",
        "Did a release or a migration replace it (`org.enrichment.release` label, `pulumi stack history`)?",
        "HealthEndpointDown and TargetDown for its dependencies (postgres, splade, reranker, crawl4ai, qdrant).",
      ],
      act: [
        "A new release that does not stay up: switch to the legacy pipeline (`pulumi config set --path enrichment:ingestion.flags.USE_UNIFIED_PIPELINE false`, `pulumi up`: docs/ingestion.md, Rollback) or roll the release back (`npm run rollback`).",
        "A dependency that keeps failing: fix it first; the server waits for them at start.",
      ],
    },
    "ingestion-index-latency-high": {
      title: "IngestionIndexLatencyHigh",
      meaning: "Indexing a web page (fetch, chunk, embed, store) is slower than the target at the 95th percentile.",
      check: [
        "Crawl4AI (`crawl4ai`) and the embedding provider: which step got slower (the server's logs)?",
        "PostgreSQL: long-running statements (`docker exec <prefix>-postgres psql -U postgres -c 'select pid, now() - query_start, query from pg_stat_activity order by 2 desc'`).",
        "CPU and memory of the plane's containers (Container* alerts, the Web Ingestion dashboard).",
      ],
      act: [
        "Lower `ingestion.tuning.embeddingBatchSize` or raise the containers' limits (`ingestion.resources`) and `pulumi up`.",
        "A regression with a new release: roll back (docs/ingestion.md).",
      ],
    },
    "ingestion-query-latency-high": {
      title: "IngestionQueryLatencyHigh",
      meaning: "Search queries are slower than the target at the 95th percentile.",
      check: [
        "The reranker: its memory and CPU (it reranks `ingestion.tuning.rerankInitialK` candidates per query).",
        "PostgreSQL: does the vector index exist (`\\d` on the chunks table)? Sequential scans?",
        "SPLADE: SpladeFailuresHigh, its latency in the server's logs.",
      ],
      act: [
        "Lower `ingestion.tuning.rerankInitialK`, or turn reranking off (`ingestion.flags.ENABLE_RERANKING: false`) until the reranker is sized; `pulumi up` replaces only the MCP server.",
      ],
    },
    "ingestion-error-rate-high": {
      title: "IngestionErrorRateHigh",
      meaning: "More pages fail to index, or more queries fail, than the target allows (the seed: error rate < 0.1 %).",
      check: [
        "The server's logs: which step fails (fetch, SPLADE, embeddings, rerank, PostgreSQL)?",
        "Expired or revoked API keys (`ingestionOpenaiApiKey`, `ingestionLlmApiKey`).",
        "SpladeFailuresHigh and RerankFailuresHigh.",
      ],
      act: [
        "Rotate a bad key (`pulumi config set --secret enrichment:ingestionOpenaiApiKey ...`, `pulumi up`).",
        "A new release: switch to the legacy pipeline (docs/ingestion.md, Rollback), then investigate.",
      ],
    },
    "splade-failures-high": {
      title: "SpladeFailuresHigh",
      meaning: "The SPLADE encoder fails requests; hybrid search degrades to dense vectors only.",
      check: ["`docker logs --since 30m <prefix>-splade`: out of memory, model load errors.", "Its memory against `ingestion.resources.splade` (the seed sizes it at 4 GB)."],
      act: ["Raise `ingestion.resources.splade.memoryMb` or lower `ingestion.splade.batchSize`; or turn hybrid search off (`ingestion.flags.ENABLE_HYBRID_SEARCH: false`)."],
    },
    "rerank-failures-high": {
      title: "RerankFailuresHigh",
      meaning: "The reranker (Text Embeddings Inference) fails requests; results are not reranked.",
      check: ["`docker logs --since 30m <prefix>-reranker`.", "Its memory against `ingestion.resources.reranker` (the seed sizes it at 2 GB)."],
      act: ["Raise `ingestion.resources.reranker.memoryMb` or lower `ingestion.tuning.rerankInitialK`; or turn reranking off (`ingestion.flags.ENABLE_RERANKING: false`)."],
    },
  },
};
