// One step's analysis: the canary release against the absolute targets, and against the stable
// release over the same window. Both use promote's gate definitions (release/gates.ts), each
// query once with `release="<candidate>"` and once with `release="<stable>"`: the release label
// the workers put on their own series is what tells the two tracks apart.
//
// Per gate: the canary passes the absolute check when it meets the target (promote's judge); the
// comparison fails when the canary is worse than the stable release by more than
// max(margin x |stable value|, the gate's smallest difference). Either check is inconclusive
// without a value, and both are when either release processed fewer than `minDocuments`
// documents in the window. A failure anywhere fails the analysis; otherwise anything
// inconclusive makes it inconclusive. No data is never a pass.
import type { Targets } from "../config/targets";
import { judge, Verdict } from "./analysis";
import { promDuration } from "./duration";
import { Gate, GATE_METRICS, GateContext, gateById } from "./gates";
import { promString } from "./prometheus";
import { formatValue } from "./report";

/**
 * The gates a canary is held to, with the comparison's direction and the smallest difference it
 * acts on (below it, two releases on a few containers differ by noise). Throughput, the soak,
 * the document count, API errors and alerts are promote's business: a canary's throughput is
 * its share of the traffic, the APIs do not run the candidate, and alerts carry no release.
 *
 * The margin applies to what is bad about each value: for a share where higher is better
 * (completeness, auto-approval) that is its shortfall from 100 %, so 97 % -> 90 % completeness
 * is a shortfall of 3 % growing to 10 %, not a 7 % dip of a large number.
 */
export const CANARY_COMPARISONS: readonly { id: string; better: "higher" | "lower"; minDifference: number }[] = [
  { id: "completeness", better: "higher", minDifference: 0.01 },
  { id: "auto-approval", better: "higher", minDifference: 0.02 },
  { id: "document-errors", better: "lower", minDifference: 0.001 },
  { id: "cost", better: "lower", minDifference: 0.01 },
  { id: "latency", better: "lower", minDifference: 1 },
];

export const CANARY_GATES: readonly Gate[] = CANARY_COMPARISONS.map(({ id }) => {
  const gate = gateById(id);
  if (!gate) throw new Error(`canary analysis: no gate "${id}" in release/gates.ts`);
  return gate;
});

export interface CanaryAnalysisInput {
  canaryRelease: string;
  stableRelease: string;
  targets: Targets;
  windowSeconds: number;
  margin: number;
  minDocuments: number;
  /** Evaluates a query at `at`: one number, or undefined for no series. Throws when Prometheus cannot answer. */
  measure(expr: string, at: Date): Promise<number | undefined>;
  at: Date;
}

export interface GateComparison {
  gate: Gate;
  threshold: number;
  canary?: number;
  stable?: number;
  /** The canary against the target. */
  absolute: Verdict;
  /** The canary against the stable release. */
  comparison: Verdict;
  /** How much worse the canary may be here (margin x stable, or the smallest difference). */
  allowance?: number;
  note?: string;
}

export interface CanaryAnalysis {
  at: Date;
  windowSeconds: number;
  documents: { canary?: number; stable?: number };
  gates: GateComparison[];
  verdict: Verdict;
  /** One line per reason the verdict is not a pass. */
  reasons: string[];
}

/** Documents (completed and failed) a release processed in the window: the data the analysis rests on. */
export function documentsQuery(release: string, windowSeconds: number): string {
  return `sum(increase(${GATE_METRICS.documentsProcessed}{release=${promString(release)}}[${promDuration(windowSeconds)}]))`;
}

const finite = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);

/**
 * The canary against the stable value: fails when the canary's badness (the value where lower is
 * better, its shortfall from 1 where higher is better) exceeds the stable's by more than
 * max(margin x the stable's badness, minDifference).
 */
export function compare(canary: number | undefined, stable: number | undefined, better: "higher" | "lower", margin: number, minDifference: number): { verdict: Verdict; allowance?: number } {
  if (!finite(canary) || !finite(stable)) return { verdict: "inconclusive" };
  const badness = (value: number) => (better === "higher" ? 1 - value : value);
  const allowance = Math.max(margin * Math.abs(badness(stable)), minDifference);
  const worseBy = badness(canary) - badness(stable);
  return { verdict: worseBy > allowance + 1e-12 ? "fail" : "pass", allowance };
}

export async function analyseCanary(input: CanaryAnalysisInput): Promise<CanaryAnalysis> {
  const { at } = input;
  const context = (release: string): GateContext => ({ release, targets: input.targets, soakMinutes: 0, windowSeconds: input.windowSeconds });
  const canaryContext = context(input.canaryRelease);
  const stableContext = context(input.stableRelease);

  // Every query of one analysis at one evaluation time: one consistent snapshot.
  const [canaryDocuments, stableDocuments, ...values] = await Promise.all([
    input.measure(documentsQuery(input.canaryRelease, input.windowSeconds), at),
    input.measure(documentsQuery(input.stableRelease, input.windowSeconds), at),
    ...CANARY_GATES.flatMap((gate) => [input.measure(gate.query(canaryContext), at), input.measure(gate.query(stableContext), at)]),
  ]);

  const reasons: string[] = [];
  const short = (release: string, documents: number | undefined) => !finite(documents) || documents < input.minDocuments;
  const tooFew = [
    ...(short(input.canaryRelease, canaryDocuments) ? [`canary ${input.canaryRelease}: ${finite(canaryDocuments) ? canaryDocuments.toFixed(0) : "no"} documents`] : []),
    ...(short(input.stableRelease, stableDocuments) ? [`stable ${input.stableRelease}: ${finite(stableDocuments) ? stableDocuments.toFixed(0) : "no"} documents`] : []),
  ];
  if (tooFew.length) reasons.push(`too little data in the ${promDuration(input.windowSeconds)} window (at least ${input.minDocuments} documents per release): ${tooFew.join(", ")}`);

  const gates = CANARY_GATES.map((gate, i): GateComparison => {
    const rule = CANARY_COMPARISONS[i]!;
    const canary = values[2 * i];
    const stable = values[2 * i + 1];
    const threshold = gate.threshold(canaryContext);
    if (tooFew.length) return { gate, threshold, canary, stable, absolute: "inconclusive", comparison: "inconclusive", note: "too little data" };
    const absolute = judge(canary, gate.comparison, threshold);
    const { verdict: comparison, allowance } = compare(canary, stable, rule.better, input.margin, rule.minDifference);
    const show = (value: number | undefined) => (finite(value) ? formatValue(gate.unit, value) : "no data");
    if (absolute === "fail") reasons.push(`${gate.title}: canary ${show(canary)} misses the target ${gate.comparison} ${formatValue(gate.unit, threshold)}`);
    if (comparison === "fail") {
      reasons.push(`${gate.title}: canary ${show(canary)} is worse than stable ${show(stable)} by more than ${formatValue(gate.unit, allowance!)}`);
    }
    if (absolute === "inconclusive" || comparison === "inconclusive") reasons.push(`${gate.title}: no data (canary ${show(canary)}, stable ${show(stable)})`);
    return { gate, threshold, canary, stable, absolute, comparison, allowance };
  });

  const verdicts = gates.flatMap((g) => [g.absolute, g.comparison]);
  const verdict: Verdict = verdicts.includes("fail") ? "fail" : verdicts.includes("inconclusive") ? "inconclusive" : "pass";
  return { at, windowSeconds: input.windowSeconds, documents: { canary: canaryDocuments, stable: stableDocuments }, gates, verdict, reasons };
}

const VERDICT = { pass: "PASS", fail: "FAIL", inconclusive: "INCONCLUSIVE" } as const;

/** The analysis as a table: gate, target, canary, stable, allowance, and the two verdicts. */
export function formatCanaryAnalysis(analysis: CanaryAnalysis, canaryRelease: string, stableRelease: string): string {
  const show = (gate: Gate, value: number | undefined) => (finite(value) ? formatValue(gate.unit, value) : "no data");
  const header = ["gate", "target", `canary ${canaryRelease}`, `stable ${stableRelease}`, "worse by at most", "vs target", "vs stable"];
  const rows = analysis.gates.map((g) => [
    g.gate.title,
    `${g.gate.comparison} ${formatValue(g.gate.unit, g.threshold)}`,
    show(g.gate, g.canary),
    show(g.gate, g.stable),
    g.allowance === undefined ? "-" : formatValue(g.gate.unit, g.allowance),
    VERDICT[g.absolute],
    VERDICT[g.comparison],
  ]);
  const docs = (value: number | undefined) => (finite(value) ? value.toFixed(0) : "no data");
  rows.unshift(["documents", "-", docs(analysis.documents.canary), docs(analysis.documents.stable), "-", "-", "-"]);
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => row[col]!.length)));
  const lines = all.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd());
  lines.splice(1, 0, "-".repeat(Math.max(...lines.map((line) => line.length))));
  return lines.join("\n");
}

/** One line for the audit and the stack's history. */
export function summarizeAnalysis(analysis: CanaryAnalysis): string {
  const head = `analysis ${VERDICT[analysis.verdict]} (window ${promDuration(analysis.windowSeconds)}, documents canary ${finite(analysis.documents.canary) ? analysis.documents.canary.toFixed(0) : "none"} / stable ${finite(analysis.documents.stable) ? analysis.documents.stable.toFixed(0) : "none"})`;
  return analysis.reasons.length ? `${head}: ${analysis.reasons.join("; ")}` : head;
}
