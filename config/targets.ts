// The platform's targets (spec: "Targets the platform is run against"). Alert thresholds and
// promotion gates both read these, so a stack changes a target in one place.
import { z } from "zod";
import { int, num } from "./fields";

export const TargetsSchema = z
  .object({
    completenessMin: num(0, 1).default(0.95).describe("average completeness score, 0..1"),
    autoApprovalMin: num(0, 1).default(0.9).describe("share of documents auto-approved, 0..1"),
    costPerDocumentMaxUsd: num(0).default(0.5).describe("USD per enriched document"),
    throughputMinPerHour: num(0).default(50).describe("documents enriched per hour"),
    apiP95MaxSeconds: num(0).default(0.2).describe("API request latency, 95th percentile"),
    documentP95MaxSeconds: num(0)
      .default(120)
      .describe("a worker's time to enrich one document, 95th percentile (no source document gives a figure: set it from the measured baseline)"),
    errorRateMax: num(0, 1).default(0.001).describe("share of failed API requests and documents, 0..1"),
    dailyBudgetUsd: num(0).default(100).describe("LLM spend per day across all agents"),
    softLaunchDocuments: int(1).default(20).describe("documents processed before a release counts as soaked"),
  })
  .strict()
  .prefault({});

export type Targets = z.output<typeof TargetsSchema>;
