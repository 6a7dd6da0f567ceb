// APIs (spec targets: p95 < 200 ms, error rate < 0.1 %) and document throughput (>= 50 per hour).
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

const apiP95 = "histogram_quantile(0.95, sum by (service, le) (rate(enrichment_api_request_duration_seconds_bucket[5m])))";
const apiErrors =
  'sum by (service) (rate(enrichment_api_requests_total{code=~"5.."}[5m])) / sum by (service) (rate(enrichment_api_requests_total[5m]))';
const processed = "enrichment_documents_processed_total";
/** Messages waiting in NSQ (topic and channels): there is work to do. */
// Messages anywhere in NSQ: on the topic (no channel yet) or on a channel.
// A topic without channels has no channel series: an absent side counts as 0.
const workWaiting = "on () ((sum(nsq_topic_depth) or vector(0)) + (sum(nsq_channel_depth) or vector(0))) > 0";

export const performance: AlertArea = {
  area: "performance",
  title: "Performance",
  rules: ({ targets, thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "ApiLatencyHigh",
      expr: `${apiP95} > ${num(targets.apiP95MaxSeconds)}`,
      for: "10m",
      severity: "warning",
      summary: "{{ $labels.service }} answers in {{ $value | humanizeDuration }} (p95).",
      description: `The 95th percentile of {{ $labels.service }}'s request duration is {{ $value | humanizeDuration }}; the target is below ${num(targets.apiP95MaxSeconds)}s.`,
      runbook: "api-latency-high",
    },
    {
      alert: "ApiLatencyHigh",
      expr: `${apiP95} > ${num(thresholds.apiP95CriticalSeconds)}`,
      for: "10m",
      severity: "critical",
      summary: "{{ $labels.service }} answers in {{ $value | humanizeDuration }} (p95).",
      description: `The 95th percentile of {{ $labels.service }}'s request duration is {{ $value | humanizeDuration }} (critical above ${num(thresholds.apiP95CriticalSeconds)}s). Clients time out.`,
      runbook: "api-latency-high",
    },
    {
      alert: "ApiErrorRateHigh",
      expr: `${apiErrors} > ${num(targets.errorRateMax)}`,
      for: "10m",
      severity: "warning",
      summary: "{{ $labels.service }} fails {{ $value | humanizePercentage }} of requests.",
      description: `{{ $labels.service }} answered {{ $value | humanizePercentage }} of requests in the last 5 minutes with a 5xx; the target is below ${pct(targets.errorRateMax)}.`,
      runbook: "api-error-rate-high",
    },
    {
      alert: "ApiErrorRateHigh",
      expr: `${apiErrors} > ${num(thresholds.errorRateCritical)}`,
      for: "5m",
      severity: "critical",
      summary: "{{ $labels.service }} fails {{ $value | humanizePercentage }} of requests.",
      description: `{{ $labels.service }} answered {{ $value | humanizePercentage }} of requests in the last 5 minutes with a 5xx (critical above ${pct(thresholds.errorRateCritical)}).`,
      runbook: "api-error-rate-high",
    },
    {
      alert: "DocumentFailureRateHigh",
      expr: `sum(rate(${processed}{status="failed"}[1h])) / sum(rate(${processed}[1h])) > ${num(targets.errorRateMax)}`,
      for: "15m",
      severity: "warning",
      summary: "{{ $value | humanizePercentage }} of documents fail enrichment.",
      description: `In the last hour {{ $value | humanizePercentage }} of processed documents failed; the target is below ${pct(targets.errorRateMax)}.`,
      runbook: "document-failure-rate-high",
    },
    {
      alert: "ThroughputLow",
      expr: `(sum(increase(${processed}{status="completed"}[1h])) or vector(0)) < ${num(targets.throughputMinPerHour)} and ${workWaiting}`,
      for: "30m",
      severity: "warning",
      summary: "Only {{ $value | humanize }} documents were completed in the last hour while work is queued.",
      description: `{{ $value | humanize }} documents were completed in the last hour (target: at least ${num(targets.throughputMinPerHour)} per hour) although messages wait in NSQ.`,
      runbook: "throughput-low",
    },
    {
      alert: "PipelineStalled",
      expr: `(sum(increase(${processed}[30m])) or vector(0)) == 0 and ${workWaiting}`,
      for: "15m",
      severity: "critical",
      summary: "No document was processed in 30 minutes while work is queued.",
      description: "Messages wait in NSQ but no document finished (completed or failed) in the last 30 minutes. Workers are down, stuck or cannot reach their dependencies.",
      runbook: "pipeline-stalled",
    },
  ],
  runbooks: {
    "api-latency-high": {
      title: "ApiLatencyHigh",
      meaning: "The 95th percentile of an API's request duration is above the target (warning) or far above it (critical).",
      check: [
        "Processing Throughput dashboard: API p95 by service and DB latency p95: is MongoDB the slow part (DatabaseLatencyHigh)?",
        "Request rate by service: a traffic spike, or the same traffic slower?",
        "cAdvisor panels: is the API container at its CPU or memory limit?",
      ],
      act: [
        "At the limit: raise `enrichment:resources.<api>` and run `pulumi up`.",
        "MongoDB slow: follow DatabaseLatencyHigh.",
        "A spike: the edge rate limit (`enrichment:rateLimit`) protects the API; lower it if one client floods it.",
      ],
    },
    "api-error-rate-high": {
      title: "ApiErrorRateHigh",
      meaning: "An API answers too many requests with a 5xx status.",
      check: [
        "`docker logs --since 15m <prefix>-<service>`: which endpoint fails and why?",
        "Dependencies: MongoDBDown, McpServerDown, HealthEndpointDown?",
        "Did a release just land (`enrichment_release_info`)?",
      ],
      act: [
        "A dependency is down: follow its runbook; the API recovers with it.",
        "A new release: roll back (`npm run rollback -- --stack <stack>`).",
        "Otherwise restart the API and open a bug with the failing endpoint and log lines.",
      ],
    },
    "document-failure-rate-high": {
      title: "DocumentFailureRateHigh",
      meaning: "Too large a share of documents ends in the `failed` state.",
      check: [
        "Worker logs: the error of the failed documents (`docker logs --since 1h <prefix>-enrichment-worker-1`).",
        "Agent Performance dashboard: failing agents make documents fail.",
        "MongoDB and NSQ health.",
      ],
      act: [
        "Fix the failing dependency, then re-submit the failed documents through the coordinator.",
        "A new release: roll back.",
      ],
    },
    "throughput-low": {
      title: "ThroughputLow",
      meaning: "Fewer documents were completed in the last hour than the throughput target although work is waiting in NSQ.",
      check: [
        "Processing Throughput dashboard: documents per hour, NSQ depth, documents in progress per worker.",
        "Agent latency (AgentLatencyHigh) and Ollama (OllamaSlowResponses): slow models bound throughput.",
        "Are all workers up (TargetDown for enrichment-worker)?",
      ],
      act: [
        "Workers down: restart them or run `pulumi up`.",
        "Models slow: see AgentLatencyHigh; more workers do not help when Ollama is the bottleneck.",
        "Workers are the bottleneck: raise `enrichment:workers.replicas` and run `pulumi up`.",
      ],
    },
    "pipeline-stalled": {
      title: "PipelineStalled",
      meaning: "Work waits in NSQ but no document finished in 30 minutes: enrichment has stopped.",
      check: [
        "NSQ: do the channels have consumers (QueueNoConsumers)? `nsqadmin` shows clients per channel.",
        "Workers: running, healthy, and their logs (`docker logs --since 30m <prefix>-enrichment-worker-1`)?",
        "Dependencies: MongoDBDown, OllamaDown, McpServerDown.",
      ],
      act: [
        "Restart the workers (`docker restart <prefix>-enrichment-worker-1 ...`); run `pulumi up` if containers are missing.",
        "Fix the dependency first if one is down.",
        "If a poison message blocks the channel, look at its requeue count in nsqadmin and empty it after saving its body.",
      ],
    },
  },
};
