// Cost Tracking: LLM spend per document, per day against the budget, by agent, model and release.
import { atMost, buildDashboard, DashboardContext, Panels } from "./common";

const cost = "enrichment_cost_usd_total";
const completed = 'enrichment_documents_processed_total{status="completed"}';

export function costTracking(ctx: DashboardContext) {
  const p = new Panels(ctx);
  const { targets } = ctx;
  const budget = atMost(targets.dailyBudgetUsd, targets.dailyBudgetUsd * 0.8);
  return buildDashboard(
    {
      uid: "cost-tracking",
      title: "Cost Tracking",
      description: `LLM spend: per document (target at most $${targets.costPerDocumentMaxUsd}) and per day (budget $${targets.dailyBudgetUsd}).`,
      tags: ["cost"],
      rows: [
        {
          title: "Budget",
          panels: [
            p.stat("Spend, last 24 h", `sum(increase(${cost}[24h]))`, { unit: "currencyUSD", decimals: 2, thresholds: budget, span: 6 }),
            p.stat("Projected daily spend", `sum(rate(${cost}[1h])) * 86400`, { unit: "currencyUSD", decimals: 2, thresholds: budget, span: 6 }),
            p.stat("Cost per document, last 24 h", `sum(increase(${cost}[24h])) / sum(increase(${completed}[24h]))`, {
              unit: "currencyUSD",
              decimals: 3,
              thresholds: atMost(targets.costPerDocumentMaxUsd),
              span: 6,
            }),
            p.stat("Cost per document, last hour", `sum(rate(${cost}[1h])) / sum(rate(${completed}[1h]))`, {
              unit: "currencyUSD",
              decimals: 3,
              thresholds: atMost(targets.costPerDocumentMaxUsd),
              span: 6,
            }),
          ],
        },
        {
          title: "Where the money goes",
          panels: [
            p.timeseries("Spend per hour by agent", [{ expr: `sum by (agent) (rate(${cost}[$__rate_interval])) * 3600`, legend: "{{agent}}" }], {
              unit: "currencyUSD",
            }),
            p.timeseries("Spend per hour by model", [{ expr: `sum by (model) (rate(${cost}[$__rate_interval])) * 3600`, legend: "{{model}}" }], {
              unit: "currencyUSD",
            }),
            p.timeseries(
              "Cost per document by release",
              [{ expr: `sum by (release) (rate(${cost}[1h])) / sum by (release) (rate(${completed}[1h]))`, legend: "{{release}}" }],
              { unit: "currencyUSD", thresholds: atMost(targets.costPerDocumentMaxUsd) },
            ),
            p.timeseries("Rolling 24 h spend", [{ expr: `sum(increase(${cost}[24h]))`, legend: "spend" }], { unit: "currencyUSD", thresholds: budget }),
          ],
        },
      ],
    },
    ctx,
  );
}
