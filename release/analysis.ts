// Argo-Rollouts-like analysis: every gate is measured `count` times, `interval` apart. A gate
// fails when more than `failureLimit` measurements fail; it passes only when every other
// measurement passed; anything else (no data, NaN, an unreachable Prometheus) is inconclusive.
// No data is never a pass.
import type { Comparison, Gate, GateContext } from "./gates";

export type Verdict = "pass" | "fail" | "inconclusive";

export interface Measurement {
  at: Date;
  /** Undefined when the query returned no series or could not run. */
  value?: number;
  verdict: Verdict;
  /** Why a measurement is inconclusive (no data, NaN, the query error). */
  note?: string;
}

export interface GateOutcome {
  gate: Gate;
  threshold: number;
  measurements: Measurement[];
  verdict: Verdict;
}

export interface SamplingPlan {
  count: number;
  intervalSeconds: number;
  failureLimit: number;
}

export interface AnalysisResult {
  outcomes: GateOutcome[];
  verdict: Verdict;
  plan: SamplingPlan;
}

/**
 * Where measurements take their time from. The real clock sleeps between measurements; a replay
 * clock starts at a given instant and advances without sleeping (historical data, tests).
 */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function replayClock(start: Date): Clock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    sleep: async (ms) => {
      current += ms;
    },
  };
}

export function judge(value: number | undefined, comparison: Comparison, threshold: number): Verdict {
  if (value === undefined || !Number.isFinite(value)) return "inconclusive";
  const ok = comparison === ">=" ? value >= threshold : value <= threshold;
  return ok ? "pass" : "fail";
}

export function gateVerdict(measurements: readonly Measurement[], plan: SamplingPlan): Verdict {
  const failed = measurements.filter((m) => m.verdict === "fail").length;
  if (failed > plan.failureLimit) return "fail";
  const inconclusive = measurements.filter((m) => m.verdict === "inconclusive").length;
  // Too few measurements (an interrupted analysis) is too little data, not a pass.
  if (inconclusive > 0 || measurements.length < plan.count) return "inconclusive";
  return "pass";
}

/** A failed gate decides the analysis; otherwise one inconclusive gate makes it inconclusive. */
export function overallVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes("fail")) return "fail";
  if (verdicts.includes("inconclusive") || verdicts.length === 0) return "inconclusive";
  return "pass";
}

export type Measure = (gate: Gate, at: Date) => Promise<number | undefined>;

export interface AnalysisOptions {
  gates: readonly Gate[];
  context: GateContext;
  plan: SamplingPlan;
  measure: Measure;
  clock?: Clock;
  /** Errors that end the analysis at once instead of counting as inconclusive (e.g. an unreachable server). */
  abortOn?(error: unknown): boolean;
  /** Progress after each round (the CLI prints it so a live analysis is not silent for minutes). */
  onRound?(round: number, at: Date, measurements: Measurement[]): void;
}

export async function runAnalysis(options: AnalysisOptions): Promise<AnalysisResult> {
  const { gates, context, plan, measure } = options;
  const clock = options.clock ?? realClock;
  const outcomes: GateOutcome[] = gates.map((gate) => ({ gate, threshold: gate.threshold(context), measurements: [], verdict: "inconclusive" }));

  for (let round = 0; round < plan.count; round++) {
    if (round > 0) await clock.sleep(plan.intervalSeconds * 1000);
    const at = clock.now();
    // All gates of a round share one evaluation time, so one round is one consistent snapshot.
    const settled = await Promise.allSettled(outcomes.map((outcome) => measure(outcome.gate, at)));
    const fatal = settled.find((result) => result.status === "rejected" && options.abortOn?.(result.reason));
    if (fatal?.status === "rejected") throw fatal.reason;
    const taken = settled.map((result, i): Measurement => {
      const outcome = outcomes[i];
      if (result.status === "rejected") {
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        return { at, verdict: "inconclusive", note: reason };
      }
      const value = result.value;
      const verdict = judge(value, outcome.gate.comparison, outcome.threshold);
      const note = value === undefined ? "no data" : Number.isNaN(value) ? "no data (0/0)" : !Number.isFinite(value) ? "no data (division by zero)" : undefined;
      return note ? { at, value, verdict, note } : { at, value, verdict };
    });
    taken.forEach((m, i) => outcomes[i].measurements.push(m));
    options.onRound?.(round + 1, at, taken);
  }

  for (const outcome of outcomes) outcome.verdict = gateVerdict(outcome.measurements, plan);
  return { outcomes, verdict: overallVerdict(outcomes.map((o) => o.verdict)), plan };
}
