// The human review queue and auto-approval (spec target: auto-approval >= 90 %).
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

const depth = "max by (service) (enrichment_review_queue_depth)";

export const review: AlertArea = {
  area: "review",
  title: "Review queue",
  rules: ({ targets, thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "ReviewQueueBacklog",
      expr: `${depth} > ${num(thresholds.reviewQueueMax)}`,
      for: "15m",
      severity: "warning",
      summary: "{{ $value }} documents are waiting for review.",
      description: `The review queue holds {{ $value }} documents (warning above ${num(thresholds.reviewQueueMax)}). Reviewers are not keeping up with the documents that are not auto-approved.`,
      runbook: "review-queue-backlog",
    },
    {
      alert: "ReviewQueueBacklog",
      expr: `${depth} > ${num(thresholds.reviewQueueCritical)}`,
      for: "15m",
      severity: "critical",
      summary: "{{ $value }} documents are waiting for review.",
      description: `The review queue holds {{ $value }} documents (critical above ${num(thresholds.reviewQueueCritical)}). Enriched documents are not being published.`,
      runbook: "review-queue-backlog",
    },
    {
      alert: "ReviewQueueStale",
      expr: `max by (service) (enrichment_review_queue_oldest_age_seconds) > ${num(thresholds.reviewOldestItemMaxHours * 3600)}`,
      for: "30m",
      severity: "warning",
      summary: "The oldest document in review has waited {{ $value | humanizeDuration }}.",
      description: `A document has waited {{ $value | humanizeDuration }} for review (allowed: ${num(thresholds.reviewOldestItemMaxHours)}h). The queue is not worked in order, or nobody is reviewing.`,
      runbook: "review-queue-stale",
    },
    {
      alert: "AutoApprovalRateLow",
      expr:
        "sum(rate(enrichment_documents_auto_approved_total[1h])) / " +
        `sum(rate(enrichment_documents_processed_total{status="completed"}[1h])) < ${num(targets.autoApprovalMin)}`,
      for: "1h",
      severity: "warning",
      summary: "Only {{ $value | humanizePercentage }} of documents are auto-approved (target " + pct(targets.autoApprovalMin) + ").",
      description:
        "In the last hour {{ $value | humanizePercentage }} of completed documents were approved without review; the target is " +
        pct(targets.autoApprovalMin) +
        ". Everything else goes to the review queue.",
      runbook: "auto-approval-rate-low",
    },
  ],
  runbooks: {
    "review-queue-backlog": {
      title: "ReviewQueueBacklog",
      meaning: "More documents wait for human review than reviewers can clear; the queue depth is above the stack's threshold.",
      check: [
        "Document Quality dashboard: is the inflow up (auto-approval rate down, completeness down) or is the outflow down (nobody reviewing)?",
        "Is review-api healthy (`probe_success{service=\"review-api\"}`, ApiErrorRateHigh)? Reviewers cannot work through a failing API.",
        "Is AutoApprovalRateLow or EnrichmentCompletenessLow firing too? Then the cause is upstream.",
      ],
      act: [
        "Upstream cause: follow that alert's runbook first; the queue drains once documents are auto-approved again.",
        "Reviewer capacity: tell the review leads the queue depth and the age of the oldest item.",
        "If documents keep arriving faster than they can be reviewed, pause the OCR intake until the queue is below the warning threshold.",
      ],
    },
    "review-queue-stale": {
      title: "ReviewQueueStale",
      meaning: "The oldest document waiting for review has waited longer than the stack allows.",
      check: [
        "In MongoDB, `review_queue` sorted by `created_at`: which documents are old, and are they assigned to anyone?",
        "Does review-api list them (a filter or pagination bug can hide old items)?",
      ],
      act: [
        "Hand the oldest documents to a reviewer, or reject them explicitly if their source is obsolete.",
        "If review-api hides them, open a bug with the document ids.",
      ],
    },
    "auto-approval-rate-low": {
      title: "AutoApprovalRateLow",
      meaning: "A smaller share of completed documents is approved without review than the target; the review queue will grow.",
      check: [
        "Is ENABLE_AUTO_APPROVAL still true for the stack (`enrichment:features`)?",
        "Document Quality dashboard: did completeness drop at the same time? Auto-approval depends on it.",
        "Compare the rate by `release`: did a new release change the approval policy?",
      ],
      act: [
        "Completeness dropped: follow EnrichmentCompletenessLow.",
        "A release changed it: roll back (`npm run rollback -- --stack <stack>`) and tell the release owner.",
        "Expect ReviewQueueBacklog next; warn the review leads.",
      ],
    },
  },
};
