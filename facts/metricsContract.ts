// The metrics contract: every metric the platform's own services must expose, and every exporter
// metric the monitoring stack relies on. Alert rules and dashboard queries use only these names
// (tests/monitoring.contract.test.ts parses each expression with the official PromQL parser), and
// docs/metrics-contract.md is generated from this file by renderContractDoc().

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricSpec {
  /** Family name as exposed; a histogram exposes <name>_bucket, <name>_sum and <name>_count. */
  name: string;
  type: MetricType;
  help: string;
  /** Labels the exporter or service puts on the series (besides the target labels below). */
  labels: readonly string[];
  /** Known label values, where the contract fixes them. */
  values?: Readonly<Record<string, readonly string[]>>;
  /** Histogram bucket upper bounds (`le`); the alert thresholds sit on these boundaries. */
  buckets?: readonly number[];
  /** Who exposes it: platform services by name, or the exporter. */
  exposedBy: readonly string[];
}

/** Labels Prometheus attaches to every scraped series (service only when the series has none). */
export const TARGET_LABELS = ["job", "instance", "service"] as const;

const RELEASE = "release";

/**
 * The environment variable through which the program tells every container of the platform's
 * own images which release it runs (`release.version`, or the canary's candidate): the value of
 * the `release` label on the service's series. An image cannot know it by itself (the platform
 * release is a deployment's name, not an image version), and the promotion gates and the
 * rollout's canary analysis select on it.
 */
export const RELEASE_ENV = "ENRICHMENT_RELEASE";

/** Metrics the platform's own services expose on `/metrics`. */
export const PLATFORM_METRICS: readonly MetricSpec[] = [
  {
    name: "enrichment_release_info",
    type: "gauge",
    help: "Always 1 while the service runs the release named in the `release` label.",
    labels: ["service", RELEASE],
    exposedBy: ["mcp-server", "enrichment-coordinator", "enrichment-worker", "review-api", "cost-api", "agents", "ingestion-mcp-server", "splade", "crawl4ai"],
  },
  {
    name: "enrichment_jobs_submitted_total",
    type: "counter",
    help: "Enrichment jobs the coordinator accepted and queued (one per document).",
    labels: ["service", RELEASE],
    exposedBy: ["enrichment-coordinator"],
  },
  {
    name: "enrichment_documents_processed_total",
    type: "counter",
    help: "Documents whose enrichment finished, by outcome.",
    labels: ["service", RELEASE, "status"],
    values: { status: ["completed", "failed"] },
    exposedBy: ["enrichment-worker"],
  },
  {
    name: "enrichment_documents_in_progress",
    type: "gauge",
    help: "Documents a worker is enriching right now.",
    labels: ["service", RELEASE],
    exposedBy: ["enrichment-worker"],
  },
  {
    name: "enrichment_documents_auto_approved_total",
    type: "counter",
    help: "Completed documents approved without human review.",
    labels: ["service", RELEASE],
    exposedBy: ["enrichment-worker"],
  },
  {
    name: "enrichment_document_completeness_score",
    type: "histogram",
    help: "Completeness score (0..1) of each completed document.",
    labels: ["service", RELEASE],
    buckets: [0.1, 0.25, 0.5, 0.75, 0.85, 0.9, 0.95, 0.99, 1],
    exposedBy: ["enrichment-worker"],
  },
  {
    name: "enrichment_document_duration_seconds",
    type: "histogram",
    help: "Time a worker took to enrich one document, from taking the job to storing the result (completed or failed).",
    labels: ["service", RELEASE],
    buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
    exposedBy: ["enrichment-worker"],
  },
  {
    name: "enrichment_cost_usd_total",
    type: "counter",
    help: "LLM spend in US dollars (0 for local Ollama models), by agent and model.",
    labels: ["service", RELEASE, "agent", "model"],
    exposedBy: ["enrichment-worker", "agents"],
  },
  {
    name: "enrichment_review_queue_depth",
    type: "gauge",
    help: "Documents waiting for human review.",
    labels: ["service"],
    exposedBy: ["review-api"],
  },
  {
    name: "enrichment_review_queue_oldest_age_seconds",
    type: "gauge",
    help: "Age of the oldest document waiting for human review (0 when the queue is empty).",
    labels: ["service"],
    exposedBy: ["review-api"],
  },
  {
    name: "enrichment_agent_requests_total",
    type: "counter",
    help: "Requests to an MCP agent, by agent, model and outcome.",
    labels: ["agent", "model", "status"],
    values: { status: ["success", "error", "timeout"] },
    exposedBy: ["mcp-server", "agents"],
  },
  {
    name: "enrichment_agent_request_duration_seconds",
    type: "histogram",
    help: "Duration of requests to an MCP agent.",
    labels: ["agent"],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
    exposedBy: ["mcp-server", "agents"],
  },
  {
    name: "enrichment_api_requests_total",
    type: "counter",
    help: "HTTP requests served by an API, by status code.",
    labels: ["service", "code", RELEASE],
    exposedBy: ["review-api", "cost-api", "mcp-server"],
  },
  {
    name: "enrichment_api_request_duration_seconds",
    type: "histogram",
    help: "HTTP request duration of an API.",
    labels: ["service"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10],
    exposedBy: ["review-api", "cost-api", "mcp-server"],
  },
  {
    name: "enrichment_db_operation_duration_seconds",
    type: "histogram",
    help: "Duration of MongoDB operations as the service sees them, by operation (find, insert, update, aggregate, ...).",
    labels: ["service", "operation"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    exposedBy: ["enrichment-coordinator", "enrichment-worker", "review-api", "cost-api"],
  },
  {
    name: "enrichment_backup_runs_total",
    type: "counter",
    help: "Backup runs of a database (service: mongodb-backup, postgres-backup), by outcome (*-backup-offsite: off-host copies of an archive).",
    labels: ["service", "status"],
    values: { status: ["success", "failed"] },
    exposedBy: ["mongodb-backup", "mongodb-backup-offsite", "postgres-backup", "postgres-backup-offsite"],
  },
  {
    name: "enrichment_backup_last_success_timestamp_seconds",
    type: "gauge",
    help: "Unix time of the last successful backup (*-backup-offsite: dump time of the newest archive the off-host storage holds).",
    labels: ["service"],
    exposedBy: ["mongodb-backup", "mongodb-backup-offsite", "postgres-backup", "postgres-backup-offsite"],
  },
  {
    name: "enrichment_backup_last_restore_test_timestamp_seconds",
    type: "gauge",
    help: "Unix time a backup was last restored successfully into a scratch database (the restore test).",
    labels: ["service"],
    exposedBy: ["mongodb-backup", "postgres-backup"],
  },
  // The web-ingestion plane (planes/ingestion, seed 004 "Monitoring"): the seed's prom-client
  // metrics and its Context counters, exposed by the ingestion MCP server.
  {
    name: "web_pages_indexed_total",
    type: "counter",
    help: "Web pages indexed (the seed's webPagesIndexed).",
    labels: ["service", RELEASE],
    exposedBy: ["ingestion-mcp-server"],
  },
  {
    name: "web_index_failures_total",
    type: "counter",
    help: "Web pages whose indexing failed.",
    labels: ["service", RELEASE],
    exposedBy: ["ingestion-mcp-server"],
  },
  {
    name: "web_index_duration_seconds",
    type: "histogram",
    help: "Web page indexing duration (the seed's histogram; avgIndexTimeMs is its _sum over _count).",
    labels: ["service", RELEASE],
    buckets: [0.5, 1, 2, 5, 10],
    exposedBy: ["ingestion-mcp-server"],
  },
  {
    name: "web_chunks_generated_total",
    type: "counter",
    help: "Chunks generated from indexed pages (the seed's chunksGenerated).",
    labels: ["service", RELEASE],
    exposedBy: ["ingestion-mcp-server"],
  },
  {
    name: "web_splade_requests_total",
    type: "counter",
    help: "SPLADE encoding requests, by outcome (the seed's spladeSuccess and spladeFailed).",
    labels: ["service", "status"],
    values: { status: ["success", "failed"] },
    exposedBy: ["ingestion-mcp-server"],
  },
  {
    name: "web_rerank_requests_total",
    type: "counter",
    help: "Rerank requests to the reranker, by outcome (the seed's rerankSuccess and rerankFailed).",
    labels: ["service", "status"],
    values: { status: ["success", "failed"] },
    exposedBy: ["ingestion-mcp-server"],
  },
  {
    name: "web_queries_total",
    type: "counter",
    help: "Search queries answered, by outcome.",
    labels: ["service", RELEASE, "status"],
    values: { status: ["success", "failed"] },
    exposedBy: ["ingestion-mcp-server"],
  },
  {
    name: "web_query_duration_seconds",
    type: "histogram",
    help: "Search query duration (avgQueryTimeMs is its _sum over _count).",
    labels: ["service", RELEASE],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10],
    exposedBy: ["ingestion-mcp-server"],
  },
];

/** Exporter and Prometheus-ecosystem metrics the rules and dashboards rely on. */
export const EXPORTER_METRICS: readonly MetricSpec[] = [
  // Blackbox exporter: health endpoints and the edge's certificate.
  { name: "probe_success", type: "gauge", help: "1 when the probe succeeded.", labels: [], exposedBy: ["blackbox-exporter"] },
  { name: "probe_duration_seconds", type: "gauge", help: "Duration of the probe.", labels: [], exposedBy: ["blackbox-exporter"] },
  { name: "probe_http_status_code", type: "gauge", help: "HTTP status code of the probe's response.", labels: [], exposedBy: ["blackbox-exporter"] },
  {
    name: "probe_ssl_earliest_cert_expiry",
    type: "gauge",
    help: "Unix time the first certificate of the probed chain expires.",
    labels: [],
    exposedBy: ["blackbox-exporter"],
  },
  // Percona mongodb_exporter.
  { name: "mongodb_up", type: "gauge", help: "1 when the exporter reached MongoDB.", labels: [], exposedBy: ["mongodb-exporter"] },
  {
    name: "mongodb_ss_connections",
    type: "gauge",
    help: "serverStatus.connections, by kind.",
    labels: ["conn_type"],
    values: { conn_type: ["current", "available", "totalCreated", "active"] },
    exposedBy: ["mongodb-exporter"],
  },
  {
    name: "mongodb_ss_opcounters",
    type: "counter",
    help: "serverStatus.opcounters, by operation.",
    labels: ["legacy_op_type"],
    exposedBy: ["mongodb-exporter"],
  },
  // telegraf inputs.nsq through outputs.prometheus_client (<measurement>_<field>), from nsqd's
  // /stats?format=json. Telegraf exposes them untyped; counts marked cumulative only grow.
  ...(
    [
      ["nsq_topic_depth", "Messages on the topic not yet copied to its channels (memory and disk)."],
      ["nsq_topic_backend_depth", "Messages of the topic queued on disk."],
      ["nsq_topic_message_count", "Messages published to the topic (cumulative)."],
      ["nsq_topic_channel_count", "Channels of the topic."],
    ] as const
  ).map(
    ([name, help]): MetricSpec => ({
      name,
      type: "gauge",
      help,
      labels: ["topic", "server_host", "server_version"],
      exposedBy: ["nsq-exporter"],
    }),
  ),
  ...(
    [
      ["nsq_channel_depth", "Messages waiting on the channel (memory and disk)."],
      ["nsq_channel_backend_depth", "Messages of the channel queued on disk."],
      ["nsq_channel_inflight_count", "Messages delivered but not yet finished."],
      ["nsq_channel_deferred_count", "Messages deferred (requeued with a delay)."],
      ["nsq_channel_client_count", "Consumers connected to the channel."],
      ["nsq_channel_timeout_count", "Messages that timed out in flight (cumulative)."],
      ["nsq_channel_requeue_count", "Messages requeued by consumers (cumulative)."],
      ["nsq_channel_message_count", "Messages delivered to the channel (cumulative)."],
    ] as const
  ).map(
    ([name, help]): MetricSpec => ({
      name,
      type: "gauge",
      help,
      labels: ["topic", "channel", "server_host", "server_version"],
      exposedBy: ["nsq-exporter"],
    }),
  ),
  ...(
    [
      ["nsq_server_topic_count", "Topics on nsqd; present only while telegraf reads nsqd's stats."],
      ["nsq_server_server_count", "nsqd servers telegraf read."],
    ] as const
  ).map(
    ([name, help]): MetricSpec => ({
      name,
      type: "gauge",
      help,
      labels: ["server_host", "server_version"],
      exposedBy: ["nsq-exporter"],
    }),
  ),
  // node-exporter.
  ...(["node_filesystem_avail_bytes", "node_filesystem_size_bytes"] as const).map(
    (name): MetricSpec => ({
      name,
      type: "gauge",
      help: name.endsWith("avail_bytes") ? "Bytes available to unprivileged users." : "Filesystem size in bytes.",
      labels: ["device", "fstype", "mountpoint"],
      exposedBy: ["node-exporter"],
    }),
  ),
  { name: "node_memory_MemAvailable_bytes", type: "gauge", help: "Memory available for new work.", labels: [], exposedBy: ["node-exporter"] },
  { name: "node_memory_MemTotal_bytes", type: "gauge", help: "Total memory.", labels: [], exposedBy: ["node-exporter"] },
  { name: "node_cpu_seconds_total", type: "counter", help: "CPU time by CPU and mode.", labels: ["cpu", "mode"], exposedBy: ["node-exporter"] },
  // cAdvisor (the container's org.enrichment.service label becomes `service` at scrape time).
  ...(
    [
      ["container_memory_working_set_bytes", "gauge", "Working-set memory of the container."],
      ["container_spec_memory_limit_bytes", "gauge", "Memory limit of the container (0: none)."],
      ["container_cpu_usage_seconds_total", "counter", "CPU time the container used."],
      ["container_start_time_seconds", "gauge", "Unix time the container started."],
    ] as const
  ).map(
    ([name, type, help]): MetricSpec => ({ name, type, help, labels: ["id", "name", "image", "service"], exposedBy: ["cadvisor"] }),
  ),
  // NVIDIA DCGM exporter (stacks with a GPU).
  ...(
    [
      ["DCGM_FI_DEV_GPU_UTIL", "GPU utilisation in percent."],
      ["DCGM_FI_DEV_FB_USED", "Frame-buffer memory used, MiB."],
      ["DCGM_FI_DEV_FB_FREE", "Frame-buffer memory free, MiB."],
      ["DCGM_FI_DEV_GPU_TEMP", "GPU temperature, degrees Celsius."],
      ["DCGM_FI_DEV_XID_ERRORS", "Value of the last XID error (0: none)."],
    ] as const
  ).map(
    ([name, help]): MetricSpec => ({ name, type: "gauge", help, labels: ["gpu", "UUID", "device", "modelName", "Hostname"], exposedBy: ["dcgm-exporter"] }),
  ),
  // Prometheus and Alertmanager about themselves.
  {
    name: "prometheus_rule_evaluation_failures_total",
    type: "counter",
    help: "Rule evaluations that failed.",
    labels: ["rule_group"],
    exposedBy: ["prometheus"],
  },
  {
    name: "alertmanager_notifications_total",
    type: "counter",
    help: "Notifications attempted, by integration.",
    labels: ["integration"],
    exposedBy: ["alertmanager"],
  },
  {
    name: "alertmanager_notifications_failed_total",
    type: "counter",
    help: "Notifications that failed, by integration.",
    labels: ["integration"],
    exposedBy: ["alertmanager"],
  },
];

/** Series Prometheus itself produces. */
export const BUILTIN_METRICS: readonly MetricSpec[] = [
  { name: "up", type: "gauge", help: "1 when the last scrape of the target succeeded.", labels: [], exposedBy: ["prometheus"] },
  {
    name: "ALERTS",
    type: "gauge",
    help: "Pending and firing alerts.",
    labels: ["alertname", "alertstate", "severity", "area"],
    values: { alertstate: ["pending", "firing"] },
    exposedBy: ["prometheus"],
  },
];

export const METRICS: readonly MetricSpec[] = [...PLATFORM_METRICS, ...EXPORTER_METRICS, ...BUILTIN_METRICS];

const byName = new Map(METRICS.map((metric) => [metric.name, metric]));
if (byName.size !== METRICS.length) throw new Error("facts/metricsContract.ts: a metric is listed twice");

/** The series names a family exposes (a histogram's _bucket, _sum and _count). */
export function seriesNames(metric: MetricSpec): string[] {
  return metric.type === "histogram" ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`] : [metric.name];
}

const bySeries = new Map<string, MetricSpec>(METRICS.flatMap((metric) => seriesNames(metric).map((series) => [series, metric] as const)));

/** The contract entry a series name belongs to (a histogram's _bucket etc. included), if any. */
export function contractMetricFor(series: string): MetricSpec | undefined {
  return bySeries.get(series);
}

/** Labels a selector of this series may match on: the metric's own, the target labels, `le` for buckets. */
export function allowedLabels(series: string): Set<string> {
  const metric = contractMetricFor(series);
  if (!metric) return new Set();
  const labels = new Set<string>([...metric.labels, ...TARGET_LABELS]);
  if (series.endsWith("_bucket") && metric.type === "histogram") labels.add("le");
  return labels;
}

/** The family of a metric by name; throws on a name the contract lacks (for code that builds queries). */
export function metric(name: string): string {
  if (!byName.has(name)) throw new Error(`facts/metricsContract.ts has no metric named "${name}"`);
  return name;
}

/** Renders docs/metrics-contract.md. */
export function renderContractDoc(): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const table = (metrics: readonly MetricSpec[]) => [
    "| metric | type | labels | exposed by | help |",
    "|---|---|---|---|---|",
    ...metrics.map((m) => {
      const labels = m.labels
        .map((label) => (m.values?.[label] ? `\`${label}\` (${m.values[label].map((v) => `\`${v}\``).join(", ")})` : `\`${label}\``))
        .join(", ");
      const help = m.buckets ? `${m.help} Buckets: ${m.buckets.join(", ")}.` : m.help;
      return `| \`${m.name}\` | ${m.type} | ${labels || "-"} | ${m.exposedBy.join(", ")} | ${cell(help)} |`;
    }),
  ];
  return [
    "# Metrics contract",
    "",
    "<!-- Generated from facts/metricsContract.ts by renderContractDoc(); do not edit by hand.",
    "     tests/monitoring.docs.test.ts fails when this file and the contract differ. -->",
    "",
    "Every alert rule and every Grafana panel of the platform reads only the metrics below. A service",
    "that renames or drops one of them breaks alerts, dashboards and the promotion gates; add a metric",
    "here first, then use it.",
    "",
    "## Rules for the people who write the services",
    "",
    "- Expose Prometheus text format on `GET /metrics` of the service's own port (the scrape job is",
    "  named after the service); Prometheus scrapes every 15 s.",
    "- Put the `service` label (the service name, e.g. `enrichment-worker`) and, where listed, the",
    `  \`release\` label on every series: the value of \`${RELEASE_ENV}\`, which the program sets in every`,
    "  container of the platform's own images (`release.version`, or the canary's candidate for the",
    "  containers that run it). Prometheus adds `job` and `instance`, and sets `service` when a series",
    "  has none.",
    "- Use exactly the label values listed; add no label whose values grow without bound",
    "  (document ids, user ids, URLs).",
    "- Histograms must use the listed buckets: alert thresholds sit on those boundaries.",
    "- Counters end in `_total`, durations are in seconds, money in US dollars, ratios are 0..1.",
    "",
    "## Platform metrics",
    "",
    ...table(PLATFORM_METRICS),
    "",
    "## Exporter metrics the monitoring relies on",
    "",
    "These come from the exporters the monitoring stack runs (blackbox, MongoDB, NSQ, node,",
    "cAdvisor, DCGM) and from Prometheus and Alertmanager themselves.",
    "",
    ...table(EXPORTER_METRICS),
    "",
    "## Built in",
    "",
    ...table(BUILTIN_METRICS),
    "",
  ].join("\n");
}
