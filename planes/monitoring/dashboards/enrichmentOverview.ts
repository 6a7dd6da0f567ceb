// Enrichment Overview: the spec's targets at a glance, and what is on fire.
import { atLeast, atMost, buildDashboard, DashboardContext, Panels } from "./common";

export function enrichmentOverview(ctx: DashboardContext) {
  const p = new Panels(ctx);
  const { targets, thresholds } = ctx;
  return buildDashboard(
    {
      uid: "enrichment-overview",
      title: "Enrichment Overview",
      description: "The platform against its targets: throughput, completeness, auto-approval, cost, API latency and errors.",
      tags: ["overview"],
      rows: [
        {
          title: "Targets (last hour)",
          panels: [
            p.stat("Documents per hour", 'sum(rate(enrichment_documents_processed_total{status="completed"}[1h])) * 3600', {
              unit: "short",
              decimals: 0,
              thresholds: atLeast(targets.throughputMinPerHour),
              description: `Target: at least ${targets.throughputMinPerHour} per hour.`,
            }),
            p.stat(
              "Average completeness",
              "sum(rate(enrichment_document_completeness_score_sum[1h])) / sum(rate(enrichment_document_completeness_score_count[1h]))",
              { unit: "percentunit", decimals: 1, thresholds: atLeast(targets.completenessMin, thresholds.completenessCriticalMin) },
            ),
            p.stat(
              "Auto-approval",
              'sum(rate(enrichment_documents_auto_approved_total[1h])) / sum(rate(enrichment_documents_processed_total{status="completed"}[1h]))',
              { unit: "percentunit", decimals: 1, thresholds: atLeast(targets.autoApprovalMin) },
            ),
            p.stat(
              "Cost per document",
              'sum(rate(enrichment_cost_usd_total[1h])) / sum(rate(enrichment_documents_processed_total{status="completed"}[1h]))',
              { unit: "currencyUSD", decimals: 3, thresholds: atMost(targets.costPerDocumentMaxUsd) },
            ),
            p.stat("API latency p95", "histogram_quantile(0.95, sum by (le) (rate(enrichment_api_request_duration_seconds_bucket[5m])))", {
              unit: "s",
              thresholds: atMost(thresholds.apiP95CriticalSeconds, targets.apiP95MaxSeconds),
            }),
            p.stat(
              "API error rate",
              'sum(rate(enrichment_api_requests_total{code=~"5.."}[5m])) / sum(rate(enrichment_api_requests_total[5m]))',
              { unit: "percentunit", decimals: 2, thresholds: atMost(thresholds.errorRateCritical, targets.errorRateMax) },
            ),
          ],
        },
        {
          title: "Now",
          panels: [
            p.stat("Review queue", "sum(enrichment_review_queue_depth)", {
              unit: "short",
              thresholds: atMost(thresholds.reviewQueueCritical, thresholds.reviewQueueMax),
            }),
            p.stat("Firing alerts", 'count(ALERTS{alertstate="firing", severity=~"critical|warning"}) or vector(0)', {
              unit: "short",
              thresholds: atMost(1),
            }),
            p.stat("Targets down", "count(up == 0) or vector(0)", { unit: "short", thresholds: atMost(1) }),
            p.stat("Spend, last 24 h", "sum(increase(enrichment_cost_usd_total[24h]))", {
              unit: "currencyUSD",
              decimals: 2,
              thresholds: atMost(targets.dailyBudgetUsd, targets.dailyBudgetUsd * 0.8),
            }),
            p.stat("Messages queued", "(sum(nsq_topic_depth) or vector(0)) + (sum(nsq_channel_depth) or vector(0))", { unit: "short", thresholds: atMost(thresholds.queueBacklogCritical, thresholds.queueBacklogMax) }),
            p.stat("Releases running", "count(count by (release) (enrichment_release_info == 1))", { unit: "short", thresholds: atMost(2) }),
          ],
        },
        {
          title: "Trends",
          panels: [
            p.timeseries(
              "Documents per hour",
              [{ expr: "sum by (status) (rate(enrichment_documents_processed_total[$__rate_interval])) * 3600", legend: "{{status}}" }],
              { unit: "short", thresholds: atLeast(targets.throughputMinPerHour) },
            ),
            p.timeseries("Releases by service", [{ expr: "count by (service, release) (enrichment_release_info == 1)", legend: "{{service}} {{release}}" }], {
              unit: "short",
            }),
            p.timeseries("Firing alerts by severity", [{ expr: 'count by (severity) (ALERTS{alertstate="firing"})', legend: "{{severity}}" }], {
              unit: "short",
              span: 24,
            }),
          ],
        },
      ],
    },
    ctx,
  );
}
