// LLM spend: per document (spec target: <= $0.50) and per day (the stack's budget).
import { AlertArea, AlertContext, AlertRule, num } from "./types";

const spendRate = "sum(rate(enrichment_cost_usd_total[1h]))";

export const cost: AlertArea = {
  area: "cost",
  title: "Cost",
  rules: ({ targets }: AlertContext): AlertRule[] => [
    {
      alert: "CostPerDocumentHigh",
      expr: `${spendRate} / sum(rate(enrichment_documents_processed_total{status="completed"}[1h])) > ${num(targets.costPerDocumentMaxUsd)}`,
      for: "30m",
      severity: "warning",
      summary: "A document costs ${{ $value | printf \"%.2f\" }} to enrich (target $" + num(targets.costPerDocumentMaxUsd) + ").",
      description:
        "Over the last hour the LLM spend per completed document was ${{ $value | printf \"%.2f\" }}; the target is at most $" +
        num(targets.costPerDocumentMaxUsd) +
        ". Check which agent and model the money goes to.",
      runbook: "cost-per-document-high",
    },
    {
      alert: "DailyBudgetExceeded",
      expr: `sum(increase(enrichment_cost_usd_total[24h])) > ${num(targets.dailyBudgetUsd)}`,
      for: "5m",
      severity: "critical",
      summary: "LLM spend in the last 24 hours is ${{ $value | printf \"%.2f\" }}, over the $" + num(targets.dailyBudgetUsd) + " budget.",
      description:
        "The platform spent ${{ $value | printf \"%.2f\" }} on LLM calls in the last 24 hours; the daily budget is $" +
        num(targets.dailyBudgetUsd) +
        ". Spending continues while documents are processed.",
      runbook: "daily-budget-exceeded",
    },
    {
      alert: "DailyBudgetBurnRateHigh",
      expr: `${spendRate} * 86400 > ${num(targets.dailyBudgetUsd)}`,
      for: "30m",
      severity: "warning",
      summary: "At the current rate LLM spend reaches ${{ $value | printf \"%.2f\" }} a day (budget $" + num(targets.dailyBudgetUsd) + ").",
      description:
        "The spend rate of the last hour, kept up for a day, comes to ${{ $value | printf \"%.2f\" }}; the daily budget is $" +
        num(targets.dailyBudgetUsd) +
        ". DailyBudgetExceeded follows if nothing changes.",
      runbook: "daily-budget-burn-rate-high",
    },
  ],
  runbooks: {
    "cost-per-document-high": {
      title: "CostPerDocumentHigh",
      meaning: "Each completed document costs more in LLM calls than the target.",
      check: [
        "Cost Tracking dashboard, spend by agent and model: which one grew? Usually the context agent (Anthropic) is the only paid one.",
        "Did the number of completed documents drop while spend stayed (failed documents still cost money)? See DocumentFailureRateHigh.",
        "Did a release or an `enrichment:agents` override switch an agent to a paid or larger model?",
        "Are agents retrying (Agent Performance dashboard, timeouts and errors)? Retries multiply the spend.",
      ],
      act: [
        "A model change: revert the override or roll back the release.",
        "Retries: fix the failing agent first (AgentErrorRateHigh).",
        "If the cost is expected (longer documents), raise `enrichment:targets.costPerDocumentMaxUsd` for the stack in a reviewed change.",
      ],
    },
    "daily-budget-exceeded": {
      title: "DailyBudgetExceeded",
      meaning: "LLM spend over the last 24 hours is above the stack's daily budget (`targets.dailyBudgetUsd`).",
      check: [
        "Cost Tracking dashboard: spend by agent and model over 24 hours, and documents processed: is it volume or price?",
        "Is a job resubmitting the same documents (jobs submitted much higher than documents completed)?",
      ],
      act: [
        "Stop the bleeding: disable the context agent (`ENABLE_CONTEXT_AGENT: false`, `pulumi up`) or pause the OCR intake.",
        "Tell the budget owner the figure and the cause; raise the budget only with their approval.",
        "Stop resubmission loops at the coordinator.",
      ],
    },
    "daily-budget-burn-rate-high": {
      title: "DailyBudgetBurnRateHigh",
      meaning: "The spend rate of the last hour would exceed the daily budget if it continued for a day.",
      check: [
        "Cost Tracking dashboard, projected daily spend: a spike (one big batch) or a new level?",
        "Spend by agent and model: which one changed?",
      ],
      act: [
        "A one-off batch: note it and let it finish; DailyBudgetExceeded fires only if the day really goes over.",
        "A new level: find the cause as for CostPerDocumentHigh before the budget is exceeded.",
      ],
    },
  },
};
