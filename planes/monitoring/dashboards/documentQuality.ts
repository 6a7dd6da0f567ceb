// Document Quality: completeness, its distribution, auto-approval and the human review queue.
import { pct } from "../alerts/types";
import { atLeast, atMost, buildDashboard, DashboardContext, Panels } from "./common";

const score = "enrichment_document_completeness_score";
const completed = 'enrichment_documents_processed_total{status="completed"}';

export function documentQuality(ctx: DashboardContext) {
  const p = new Panels(ctx);
  const { targets, thresholds } = ctx;
  const completeness = atLeast(targets.completenessMin, thresholds.completenessCriticalMin);
  return buildDashboard(
    {
      uid: "document-quality",
      title: "Document Quality",
      description: `Completeness (target ${pct(targets.completenessMin)} average), auto-approval (target ${pct(targets.autoApprovalMin)}) and the review queue.`,
      tags: ["quality"],
      rows: [
        {
          title: "Last hour",
          panels: [
            p.stat("Average completeness", `sum(rate(${score}_sum[1h])) / sum(rate(${score}_count[1h]))`, { unit: "percentunit", decimals: 1, thresholds: completeness }),
            p.stat("Scored below 0.5", `sum(rate(${score}_bucket{le="0.5"}[1h])) / sum(rate(${score}_count[1h]))`, {
              unit: "percentunit",
              decimals: 1,
              thresholds: atMost(thresholds.lowCompletenessShareMax),
            }),
            p.stat("Auto-approval", `sum(rate(enrichment_documents_auto_approved_total[1h])) / sum(rate(${completed}[1h]))`, {
              unit: "percentunit",
              decimals: 1,
              thresholds: atLeast(targets.autoApprovalMin),
            }),
            p.stat(
              "Failed documents",
              'sum(rate(enrichment_documents_processed_total{status="failed"}[1h])) / sum(rate(enrichment_documents_processed_total[1h]))',
              { unit: "percentunit", decimals: 2, thresholds: atMost(targets.errorRateMax) },
            ),
            p.stat("Review queue", "sum(enrichment_review_queue_depth)", { unit: "short", thresholds: atMost(thresholds.reviewQueueCritical, thresholds.reviewQueueMax) }),
            p.stat("Oldest in review", "max(enrichment_review_queue_oldest_age_seconds)", {
              unit: "s",
              thresholds: atMost(thresholds.reviewOldestItemMaxHours * 3600),
            }),
          ],
        },
        {
          title: "Completeness",
          panels: [
            p.timeseries(
              "Average completeness by release",
              [{ expr: `sum by (release) (rate(${score}_sum[$__rate_interval])) / sum by (release) (rate(${score}_count[$__rate_interval]))`, legend: "{{release}}" }],
              { unit: "percentunit", min: 0, max: 1, thresholds: completeness },
            ),
            p.timeseries(
              "Share of documents at or below a score",
              [{ expr: `sum by (le) (rate(${score}_bucket[1h])) / ignoring (le) group_left sum(rate(${score}_count[1h]))`, legend: "≤ {{le}}" }],
              { unit: "percentunit", min: 0, max: 1 },
            ),
          ],
        },
        {
          title: "Review",
          panels: [
            p.timeseries(
              "Auto-approval rate",
              [{ expr: `sum(rate(enrichment_documents_auto_approved_total[$__rate_interval])) / sum(rate(${completed}[$__rate_interval]))`, legend: "auto-approved" }],
              { unit: "percentunit", min: 0, max: 1, thresholds: atLeast(targets.autoApprovalMin) },
            ),
            p.timeseries("Review queue depth", [{ expr: "sum(enrichment_review_queue_depth)", legend: "waiting" }], {
              unit: "short",
              thresholds: atMost(thresholds.reviewQueueCritical, thresholds.reviewQueueMax),
            }),
            p.timeseries("Oldest document in review", [{ expr: "max(enrichment_review_queue_oldest_age_seconds)", legend: "age" }], {
              unit: "s",
              span: 24,
              thresholds: atMost(thresholds.reviewOldestItemMaxHours * 3600),
            }),
          ],
        },
      ],
    },
    ctx,
  );
}
