// Processing Throughput: documents per hour, the NSQ backlog, workers, APIs, MongoDB and containers.
import { atLeast, atMost, buildDashboard, DashboardContext, Panels } from "./common";

export function processingThroughput(ctx: DashboardContext) {
  const p = new Panels(ctx);
  const { targets, thresholds } = ctx;
  return buildDashboard(
    {
      uid: "processing-throughput",
      title: "Processing Throughput",
      description: `Documents per hour (target at least ${targets.throughputMinPerHour}), the queue, the workers and what they wait on.`,
      tags: ["throughput"],
      rows: [
        {
          title: "Pipeline",
          panels: [
            p.timeseries(
              "Documents per hour",
              [
                { expr: "sum by (status) (rate(enrichment_documents_processed_total[$__rate_interval])) * 3600", legend: "{{status}}" },
                { expr: "sum(rate(enrichment_jobs_submitted_total[$__rate_interval])) * 3600", legend: "submitted" },
              ],
              { unit: "short", thresholds: atLeast(targets.throughputMinPerHour) },
            ),
            p.timeseries(
              "Document time p95 by release",
              [{ expr: "histogram_quantile(0.95, sum by (release, le) (rate(enrichment_document_duration_seconds_bucket[$__rate_interval])))", legend: "{{release}}" }],
              { unit: "s", thresholds: atMost(targets.documentP95MaxSeconds) },
            ),
            p.timeseries("Documents in progress by worker", [{ expr: "sum by (instance) (enrichment_documents_in_progress)", legend: "{{instance}}" }], {
              unit: "short",
            }),
            p.timeseries("NSQ depth by channel", [{ expr: 'sum by (topic, channel) (nsq_channel_depth)', legend: "{{topic}}/{{channel}}" }], {
              unit: "short",
              thresholds: atMost(thresholds.queueBacklogCritical, thresholds.queueBacklogMax),
            }),
            p.timeseries(
              "NSQ in flight and timeouts",
              [
                { expr: 'sum by (channel) (nsq_channel_inflight_count)', legend: "in flight {{channel}}" },
                { expr: 'sum by (channel) (delta(nsq_channel_timeout_count[15m]))', legend: "timeouts/15m {{channel}}" },
              ],
              { unit: "short" },
            ),
          ],
        },
        {
          title: "APIs and MongoDB",
          panels: [
            p.timeseries("API requests by service and code", [{ expr: "sum by (service, code) (rate(enrichment_api_requests_total[$__rate_interval]))", legend: "{{service}} {{code}}" }], {
              unit: "reqps",
            }),
            p.timeseries(
              "API latency p95 by service",
              [{ expr: "histogram_quantile(0.95, sum by (service, le) (rate(enrichment_api_request_duration_seconds_bucket[$__rate_interval])))", legend: "{{service}}" }],
              { unit: "s", thresholds: atMost(thresholds.apiP95CriticalSeconds, targets.apiP95MaxSeconds) },
            ),
            p.timeseries(
              "MongoDB latency p95 by operation",
              [{ expr: "histogram_quantile(0.95, sum by (operation, le) (rate(enrichment_db_operation_duration_seconds_bucket[$__rate_interval])))", legend: "{{operation}}" }],
              { unit: "s", thresholds: atMost(thresholds.databaseP95MaxSeconds) },
            ),
            p.timeseries("MongoDB operations", [{ expr: "sum by (legacy_op_type) (rate(mongodb_ss_opcounters[$__rate_interval]))", legend: "{{legacy_op_type}}" }], {
              unit: "ops",
            }),
          ],
        },
        {
          title: "Containers and host",
          panels: [
            p.timeseries("CPU by service", [{ expr: 'sum by (service) (rate(container_cpu_usage_seconds_total{name!=""}[$__rate_interval]))', legend: "{{service}}" }], {
              unit: "short",
              span: 8,
            }),
            p.timeseries("Memory by service", [{ expr: 'sum by (service) (container_memory_working_set_bytes{name!=""})', legend: "{{service}}" }], {
              unit: "bytes",
              span: 8,
            }),
            p.timeseries(
              "Host disk free",
              [{ expr: 'node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs"}', legend: "{{mountpoint}}" }],
              { unit: "percentunit", span: 8, min: 0, max: 1, thresholds: atLeast(thresholds.diskFreeMin, thresholds.diskFreeCritical) },
            ),
          ],
        },
      ],
    },
    ctx,
  );
}
