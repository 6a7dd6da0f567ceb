// Typed alert rules, in the shape of the Prometheus monitoring mixins: each area exports a
// function from thresholds to rules, plus one runbook per alert name.
import type { Thresholds } from "../../../config/monitoring";
import type { Targets } from "../../../config/targets";
import type { IngestionTargets } from "../../../config/ingestion";

export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertContext {
  /** The stack's targets (spec: "Targets the platform is run against"). */
  targets: Targets;
  thresholds: Thresholds;
  /** The web-ingestion plane's success metrics (its area is built only while the plane runs). */
  ingestion?: IngestionTargets;
}

export interface AlertRule {
  /** Alert name; a warning and a critical rule of the same condition share it (inhibition). */
  alert: string;
  expr: string;
  /** Prometheus duration the condition must hold before the alert fires; none fires at once. */
  for?: string;
  severity: Severity;
  /** One line, may use `{{ $labels.x }}` and `{{ $value }}`. */
  summary: string;
  description: string;
  /** docs/runbooks/<runbook>.md */
  runbook: string;
  /** Extra static labels, e.g. the `service` an alert is about when the expression has none. */
  labels?: Record<string, string>;
}

export interface Runbook {
  title: string;
  /** What the alert means, in a sentence or two. */
  meaning: string;
  /** What to look at, in order. */
  check: readonly string[];
  /** What to do about it. */
  act: readonly string[];
}

export interface AlertArea {
  /** Short name: the `area` label, the rule group `enrichment-<area>` and the file `<area>.rules.yml`. */
  area: string;
  title: string;
  rules(ctx: AlertContext): AlertRule[];
  /** Runbook slug -> runbook; every rule's `runbook` must be here. */
  runbooks: Record<string, Runbook>;
  /** Whether the stack runs what this area watches (the GPU area only with a GPU, the ingestion area only with the plane). */
  enabled?(options: { gpu: boolean; ingestion: boolean }): boolean;
}

/** A number as PromQL and humans write it: no float noise (0.30000000000000004 -> 0.3). */
export function num(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** A ratio as a percentage for texts: 0.95 -> 95%, 0.001 -> 0.1%. */
export function pct(ratio: number): string {
  return `${num(ratio * 100)}%`;
}

/** Slug of an alert name: ApiLatencyHigh -> api-latency-high. */
export function slugOf(alert: string): string {
  return alert
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}
