// Reads the engine's event log (`pulumi up|preview|destroy --event-log <file>`, one JSON event per
// line): which resources each operation touched, how long each took, and the errors, as the e2e
// reports them.
import * as fs from "node:fs";

interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  diffs?: string[];
  keys?: string[];
  detailedDiff?: Record<string, { kind: string }>;
}

interface EngineEvent {
  timestamp: number;
  resourcePreEvent?: { metadata: StepMetadata };
  resOutputsEvent?: { metadata: StepMetadata };
  resOpFailedEvent?: { metadata: StepMetadata };
  diagnosticEvent?: { urn?: string; message: string; severity: string };
  summaryEvent?: { resourceChanges?: Record<string, number>; durationSeconds?: number };
  policyEvent?: { resourceUrn?: string; policyName: string; policyPackName: string; enforcementLevel: string; message: string };
  policyAnalyzeStackSummaryEvent?: { policyPackName: string; passed?: string[]; failed?: string[] };
}

export interface ResourceStep {
  urn: string;
  type: string;
  name: string;
  op: string;
  /** Properties whose change made the step (replace keys included). */
  diffs: string[];
  /** Seconds from the step's start to its outputs (0 when both fall in one second). */
  seconds?: number;
  failed: boolean;
}

export interface EventSummary {
  steps: ResourceStep[];
  /** Every step that changes something (not `same`, `read` or `refresh`). */
  changes: ResourceStep[];
  errors: { urn?: string; message: string }[];
  resourceChanges: Record<string, number>;
  /** Each policy violation the engine reported (`policyEvent`). */
  policyViolations: { policy: string; pack: string; enforcementLevel: string; urn?: string }[];
  /** The stack policies each pack passed and failed (`policyAnalyzeStackSummaryEvent`). */
  policyStackSummaries: { pack: string; passed: string[]; failed: string[] }[];
}

const nameOf = (urn: string) => urn.split("::").slice(3).join("::");
const QUIET_OPS = new Set(["same", "read", "refresh", "discard"]);

export function readEvents(file: string): EventSummary {
  const events: EngineEvent[] = fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as EngineEvent)
    : [];
  const byKey = new Map<string, ResourceStep & { started: number }>();
  const errors: { urn?: string; message: string }[] = [];
  let resourceChanges: Record<string, number> = {};
  const policyViolations: EventSummary["policyViolations"] = [];
  const policyStackSummaries: EventSummary["policyStackSummaries"] = [];
  for (const event of events) {
    const pre = event.resourcePreEvent?.metadata;
    if (pre) {
      const key = `${pre.urn}|${pre.op}`;
      byKey.set(key, { urn: pre.urn, type: pre.type, name: nameOf(pre.urn), op: pre.op, diffs: [...(pre.diffs ?? []), ...(pre.keys ?? [])].filter((v, i, a) => a.indexOf(v) === i), failed: false, started: event.timestamp });
    }
    const out = event.resOutputsEvent?.metadata;
    if (out) {
      const step = byKey.get(`${out.urn}|${out.op}`);
      if (step) step.seconds = event.timestamp - step.started;
    }
    const failed = event.resOpFailedEvent?.metadata;
    if (failed) {
      const step = byKey.get(`${failed.urn}|${failed.op}`);
      if (step) step.failed = true;
    }
    const diag = event.diagnosticEvent;
    if (diag && diag.severity === "error") errors.push({ urn: diag.urn || undefined, message: diag.message.replace(/\u001b\[[0-9;]*m|<\{%[^%]*%\}>/g, "").trim() });
    if (event.summaryEvent?.resourceChanges) resourceChanges = event.summaryEvent.resourceChanges;
    const violation = event.policyEvent;
    if (violation) policyViolations.push({ policy: violation.policyName, pack: violation.policyPackName, enforcementLevel: violation.enforcementLevel, urn: violation.resourceUrn || undefined });
    const stackSummary = event.policyAnalyzeStackSummaryEvent;
    if (stackSummary) policyStackSummaries.push({ pack: stackSummary.policyPackName, passed: stackSummary.passed ?? [], failed: stackSummary.failed ?? [] });
  }
  const steps = [...byKey.values()].map(({ started: _started, ...step }) => step);
  return { steps, changes: steps.filter((s) => !QUIET_OPS.has(s.op)), errors, resourceChanges, policyViolations, policyStackSummaries };
}

/** One line per changed resource: `name (type) op [properties]`. */
export function describeSteps(steps: ResourceStep[]): string {
  const byUrn = new Map<string, { type: string; op: string; diffs: Set<string> }>();
  for (const s of steps) {
    const op = ["create-replacement", "delete-replaced", "replace"].includes(s.op) ? "replace" : s.op;
    const entry = byUrn.get(s.urn) ?? { type: s.type, op, diffs: new Set<string>() };
    if (op === "replace") entry.op = "replace";
    for (const d of s.diffs) entry.diffs.add(d);
    byUrn.set(s.urn, entry);
  }
  return [...byUrn].map(([urn, e]) => `${nameOf(urn)} (${e.type.split(":").pop()}) ${e.op}${e.diffs.size ? ` [${[...e.diffs].join(", ")}]` : ""}`).join("; ");
}
