// The promotion gates as data: what each one measures (PromQL against the source stack's
// Prometheus), how it compares, and which target it compares with. Thresholds come from the
// stack's `targets` (config/targets.ts), whose defaults are the spec's targets.
import type { Targets } from "../config/targets";
import type { IngestionTargets } from "../config/ingestion";
import { metric } from "../facts/metricsContract";
import { promDuration } from "./duration";
import { promString } from "./prometheus";

/**
 * Metric families the gates read, by way of the monitoring contract: `metric()` throws at load
 * time if the contract drops or renames one, so a gate can never query a metric nobody exposes.
 */
export const GATE_METRICS = {
  documentsProcessed: metric("enrichment_documents_processed_total"),
  autoApproved: metric("enrichment_documents_auto_approved_total"),
  completeness: metric("enrichment_document_completeness_score"),
  documentDuration: metric("enrichment_document_duration_seconds"),
  cost: metric("enrichment_cost_usd_total"),
  apiRequests: metric("enrichment_api_requests_total"),
  releaseInfo: metric("enrichment_release_info"),
  alerts: metric("ALERTS"),
  // The web-ingestion plane's (its gates run only where the source stack has the plane).
  indexDuration: metric("web_index_duration_seconds"),
  queryDuration: metric("web_query_duration_seconds"),
  pagesIndexed: metric("web_pages_indexed_total"),
  indexFailures: metric("web_index_failures_total"),
  queries: metric("web_queries_total"),
  up: metric("up"),
};

export type Unit = "documents" | "ratio" | "usd" | "perHour" | "minutes" | "alerts" | "seconds";
export type Comparison = ">=" | "<=";

export interface GateContext {
  /** The release being promoted: the `release` label of its metrics. */
  release: string;
  targets: Targets;
  soakMinutes: number;
  /** Range of the rate and ratio gates, in seconds. */
  windowSeconds: number;
  /** The source stack's web-ingestion targets, when it runs the plane (config/ingestion.ts). */
  ingestion?: IngestionTargets;
}

export interface Gate {
  id: string;
  title: string;
  unit: Unit;
  comparison: Comparison;
  threshold(ctx: GateContext): number;
  query(ctx: GateContext): string;
  /** Metric families the query reads (GATE_METRICS values). */
  metrics: readonly string[];
  /** One line for the docs and --help. */
  description: string;
  /** When a measured value reaches this, the query hit its lookback and the value means "at least". */
  atLeastFrom?(ctx: GateContext): number;
}

const M = GATE_METRICS;

const w = (ctx: GateContext) => promDuration(ctx.windowSeconds);
const rel = (ctx: GateContext) => `release=${promString(ctx.release)}`;
const completed = (ctx: GateContext) => `${M.documentsProcessed}{${rel(ctx)},status="completed"}`;

/** The soft-launch count looks at the whole soak (at least one window), not only the last window. */
export const soakRangeSeconds = (ctx: GateContext) => Math.max(ctx.soakMinutes * 60, ctx.windowSeconds);
/** How far back the soak query looks for the release's first sample: twice the soak, at least an hour. */
export const soakLookbackMinutes = (ctx: GateContext) => Math.max(2 * ctx.soakMinutes, 60);

/**
 * Ratios divide two sums; 0/0 (no documents in the window) is NaN and so inconclusive. Counters of
 * bad events (failures, 5xx) are often absent until the first one happens, so their absence counts
 * as zero; counters of good events are never defaulted: no data is never a pass.
 */
export const GATES: readonly Gate[] = [
  {
    id: "documents",
    title: "documents processed",
    unit: "documents",
    comparison: ">=",
    threshold: (ctx) => ctx.targets.softLaunchDocuments,
    query: (ctx) => `sum(increase(${completed(ctx)}[${promDuration(soakRangeSeconds(ctx))}]))`,
    metrics: [M.documentsProcessed],
    description: "documents the release completed during the soak (the soft launch): targets.softLaunchDocuments",
  },
  {
    id: "soak",
    title: "soak time",
    unit: "minutes",
    comparison: ">=",
    threshold: (ctx) => ctx.soakMinutes,
    // timestamp() yields each sample's own time; the earliest one in the lookback is when the
    // release started reporting on this stack. The subquery bounds the cost of the lookup.
    query: (ctx) =>
      `(time() - min(min_over_time(timestamp(${M.releaseInfo}{${rel(ctx)}})[${soakLookbackMinutes(ctx)}m:1m]))) / 60`,
    metrics: [M.releaseInfo],
    description: "minutes since the release's first enrichment_release_info sample: promotion.soakMinutes",
    atLeastFrom: (ctx) => soakLookbackMinutes(ctx) - 1,
  },
  {
    id: "throughput",
    title: "throughput",
    unit: "perHour",
    comparison: ">=",
    threshold: (ctx) => ctx.targets.throughputMinPerHour,
    query: (ctx) => `sum(rate(${completed(ctx)}[${w(ctx)}])) * 3600`,
    metrics: [M.documentsProcessed],
    description: "completed documents per hour over the window: targets.throughputMinPerHour",
  },
  {
    id: "completeness",
    title: "completeness",
    unit: "ratio",
    comparison: ">=",
    threshold: (ctx) => ctx.targets.completenessMin,
    query: (ctx) =>
      `sum(increase(${M.completeness}_sum{${rel(ctx)}}[${w(ctx)}])) / sum(increase(${M.completeness}_count{${rel(ctx)}}[${w(ctx)}]))`,
    metrics: [M.completeness],
    description: "average completeness score over the window: targets.completenessMin",
  },
  {
    id: "auto-approval",
    title: "auto-approval",
    unit: "ratio",
    comparison: ">=",
    threshold: (ctx) => ctx.targets.autoApprovalMin,
    query: (ctx) => `sum(increase(${M.autoApproved}{${rel(ctx)}}[${w(ctx)}])) / sum(increase(${completed(ctx)}[${w(ctx)}]))`,
    metrics: [M.autoApproved, M.documentsProcessed],
    description: "auto-approved share of completed documents over the window: targets.autoApprovalMin",
  },
  {
    id: "cost",
    title: "cost per document",
    unit: "usd",
    comparison: "<=",
    threshold: (ctx) => ctx.targets.costPerDocumentMaxUsd,
    query: (ctx) => `sum(increase(${M.cost}{${rel(ctx)}}[${w(ctx)}])) / sum(increase(${completed(ctx)}[${w(ctx)}]))`,
    metrics: [M.cost, M.documentsProcessed],
    description: "LLM spend per completed document over the window: targets.costPerDocumentMaxUsd",
  },
  {
    id: "latency",
    title: "document p95",
    unit: "seconds",
    comparison: "<=",
    threshold: (ctx) => ctx.targets.documentP95MaxSeconds,
    // The quantile is interpolated inside a bucket (the contract's buckets include the default target).
    query: (ctx) => `histogram_quantile(0.95, sum by (le) (increase(${M.documentDuration}_bucket{${rel(ctx)}}[${w(ctx)}])))`,
    metrics: [M.documentDuration],
    description: "95th percentile of a worker's time per document over the window: targets.documentP95MaxSeconds",
  },
  {
    id: "document-errors",
    title: "document error rate",
    unit: "ratio",
    comparison: "<=",
    threshold: (ctx) => ctx.targets.errorRateMax,
    query: (ctx) =>
      `(sum(increase(${M.documentsProcessed}{${rel(ctx)},status="failed"}[${w(ctx)}])) or vector(0)) / sum(increase(${M.documentsProcessed}{${rel(ctx)}}[${w(ctx)}]))`,
    metrics: [M.documentsProcessed],
    description: "failed share of processed documents over the window: targets.errorRateMax",
  },
  {
    id: "api-errors",
    title: "API error rate",
    unit: "ratio",
    comparison: "<=",
    threshold: (ctx) => ctx.targets.errorRateMax,
    query: (ctx) =>
      `(sum(increase(${M.apiRequests}{${rel(ctx)},code=~"5.."}[${w(ctx)}])) or vector(0)) / sum(increase(${M.apiRequests}{${rel(ctx)}}[${w(ctx)}]))`,
    metrics: [M.apiRequests],
    description: "5xx share of API requests over the window: targets.errorRateMax",
  },
  {
    id: "critical-alerts",
    title: "critical alerts firing",
    unit: "alerts",
    comparison: "<=",
    threshold: () => 0,
    // ALERTS has no release label: any critical alert on the stack blocks the promotion. Absent
    // series mean none is firing, hence the explicit zero.
    query: () => `count(${M.alerts}{alertstate="firing",severity="critical"}) or vector(0)`,
    metrics: [M.alerts],
    description: "critical alerts firing on the source stack: none",
  },
];

const ingestionTargets = (ctx: GateContext): IngestionTargets => {
  if (!ctx.ingestion) throw new Error("an ingestion gate needs the source stack's enrichment:ingestion.targets");
  return ctx.ingestion;
};
const MCP = `service="ingestion-mcp-server"`;
const p95 = (histogram: string, ctx: GateContext) => `histogram_quantile(0.95, sum by (le) (rate(${histogram}_bucket{${MCP},${rel(ctx)}}[${w(ctx)}])))`;

/**
 * The web-ingestion plane's success metrics (seed 004) as gates, where the source stack runs the
 * plane: index and query p95, the error rate of pages and queries (the release's), and the MCP
 * server's uptime (its scrapes; `up` has no release label, like ALERTS).
 */
export const INGESTION_GATES: readonly Gate[] = [
  {
    id: "ingestion-index-p95",
    title: "ingestion index p95",
    unit: "seconds",
    comparison: "<=",
    threshold: (ctx) => ingestionTargets(ctx).indexP95MaxSeconds,
    query: (ctx) => p95(M.indexDuration, ctx),
    metrics: [M.indexDuration],
    description: "95th percentile of web_index_duration_seconds over the window: ingestion.targets.indexP95MaxSeconds",
  },
  {
    id: "ingestion-query-p95",
    title: "ingestion query p95",
    unit: "seconds",
    comparison: "<=",
    threshold: (ctx) => ingestionTargets(ctx).queryP95MaxSeconds,
    query: (ctx) => p95(M.queryDuration, ctx),
    metrics: [M.queryDuration],
    description: "95th percentile of web_query_duration_seconds over the window: ingestion.targets.queryP95MaxSeconds",
  },
  {
    id: "ingestion-errors",
    title: "ingestion error rate",
    unit: "ratio",
    comparison: "<=",
    threshold: (ctx) => ingestionTargets(ctx).errorRateMax,
    query: (ctx) => {
      const failures = `(sum(increase(${M.indexFailures}{${MCP},${rel(ctx)}}[${w(ctx)}])) or vector(0))`;
      const failedQueries = `(sum(increase(${M.queries}{${MCP},${rel(ctx)},status="failed"}[${w(ctx)}])) or vector(0))`;
      return `(${failures} + ${failedQueries}) / (sum(increase(${M.pagesIndexed}{${MCP},${rel(ctx)}}[${w(ctx)}])) + ${failures} + sum(increase(${M.queries}{${MCP},${rel(ctx)}}[${w(ctx)}])))`;
    },
    metrics: [M.indexFailures, M.queries, M.pagesIndexed],
    description: "failed pages and queries over all of them in the window: ingestion.targets.errorRateMax",
  },
  {
    id: "ingestion-availability",
    title: "ingestion availability",
    unit: "ratio",
    comparison: ">=",
    threshold: (ctx) => ingestionTargets(ctx).availabilityMin,
    query: (ctx) => `avg_over_time(${M.up}{job="ingestion-mcp-server"}[${w(ctx)}])`,
    metrics: [M.up],
    description: "share of the window's scrapes the ingestion MCP server answered (any release: up has no release label): ingestion.targets.availabilityMin",
  },
];

/** The gates of a promotion: the platform's, and the ingestion plane's where the source runs it. */
export function gatesFor(ctx: Pick<GateContext, "ingestion">): readonly Gate[] {
  return ctx.ingestion ? [...GATES, ...INGESTION_GATES] : GATES;
}

export function gateById(id: string): Gate | undefined {
  return [...GATES, ...INGESTION_GATES].find((gate) => gate.id === id);
}
