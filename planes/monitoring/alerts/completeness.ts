// Completeness of the enriched documents (spec target: >= 95 % average).
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

const score = "enrichment_document_completeness_score";
/** Average completeness score of documents completed in the last hour. */
const averageScore = `sum(rate(${score}_sum[1h])) / sum(rate(${score}_count[1h]))`;

export const completeness: AlertArea = {
  area: "completeness",
  title: "Completeness",
  rules: ({ targets, thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "EnrichmentCompletenessLow",
      expr: `${averageScore} < ${num(targets.completenessMin)}`,
      for: "30m",
      severity: "warning",
      summary: "Average completeness is {{ $value | humanizePercentage }}, below the " + pct(targets.completenessMin) + " target.",
      description:
        "Documents completed in the last hour scored {{ $value | humanizePercentage }} on average; the target is " +
        pct(targets.completenessMin) +
        ". Enriched documents are missing fields that the agents should have filled.",
      runbook: "enrichment-completeness-low",
    },
    {
      alert: "EnrichmentCompletenessLow",
      expr: `${averageScore} < ${num(thresholds.completenessCriticalMin)}`,
      for: "15m",
      severity: "critical",
      summary: "Average completeness is {{ $value | humanizePercentage }}, below " + pct(thresholds.completenessCriticalMin) + ".",
      description:
        "Documents completed in the last hour scored {{ $value | humanizePercentage }} on average, below the critical floor of " +
        pct(thresholds.completenessCriticalMin) +
        ". An agent or a model is probably failing silently.",
      runbook: "enrichment-completeness-low",
    },
    {
      alert: "EnrichmentLowCompletenessDocuments",
      expr: `sum(rate(${score}_bucket{le="0.5"}[1h])) / sum(rate(${score}_count[1h])) > ${num(thresholds.lowCompletenessShareMax)}`,
      for: "30m",
      severity: "warning",
      summary: "{{ $value | humanizePercentage }} of documents scored below 50 % completeness.",
      description:
        "In the last hour {{ $value | humanizePercentage }} of completed documents scored below 0.5 completeness (allowed: " +
        pct(thresholds.lowCompletenessShareMax) +
        "). These documents land in the review queue.",
      runbook: "enrichment-low-completeness-documents",
    },
  ],
  runbooks: {
    "enrichment-completeness-low": {
      title: "EnrichmentCompletenessLow",
      meaning: "The average completeness score of documents completed in the last hour is below the target (warning) or far below it (critical).",
      check: [
        "Open the Document Quality dashboard: did the drop start at a release (the `release` label of `enrichment_document_completeness_score`) or at a change in input?",
        "Agent Performance dashboard: is one agent's error or timeout rate up (`enrichment_agent_requests_total{status!=\"success\"}`)? A failing agent leaves its fields empty.",
        "Is Ollama healthy and are both models pulled (`docker exec <prefix>-ollama ollama list`)? Is the context agent reaching the Anthropic API?",
        "Look at a few recent low-scoring documents in `enriched_documents` (sort by `completeness_score`) to see which fields are missing.",
      ],
      act: [
        "If a new release caused it, roll back: `npm run rollback -- --stack <stack>`.",
        "If one agent fails, restart it and follow AgentErrorRateHigh; if a model is missing, re-run `pulumi up` to pull it.",
        "If the input changed (a new document type), tell the enrichment team; consider pausing auto-approval (`ENABLE_AUTO_APPROVAL: false`) while it lasts.",
      ],
    },
    "enrichment-low-completeness-documents": {
      title: "EnrichmentLowCompletenessDocuments",
      meaning: "Too many documents in the last hour scored below 0.5 completeness, even if the average looks acceptable.",
      check: [
        "Document Quality dashboard, completeness distribution panel: is the low tail a new mode (a bad batch) or a gradual shift?",
        "Query `enriched_documents` for `completeness_score < 0.5` in the last hour: do they share an OCR job, a source or a document type?",
        "Check the OCR output of those documents: empty or garbled OCR text cannot be enriched.",
      ],
      act: [
        "A bad OCR batch: re-run OCR for that batch and re-submit the documents; the enrichment platform is not at fault.",
        "An agent failing on a document type: open an issue with sample document ids; route that type to review meanwhile.",
        "Watch the review queue (ReviewQueueBacklog): these documents need humans.",
      ],
    },
  },
};
