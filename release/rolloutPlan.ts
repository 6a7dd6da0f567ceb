// A rollout's step plan as whole containers: each step's share of the workers (and of the
// replicas of each agent the stack's canary names) becomes a count, and a plan the stack's
// replicas cannot honour is refused before anything changes.
//
// Rounding: a share below 100 % runs floor(share x replicas) containers, but never fewer than
// one (a step above 0 must run the candidate somewhere) and never all of them (one container
// stays on the stable release, to compare with); 100 % is every container. So 10 % of 8 workers
// is 1 (0.8 rounds down, then up to the minimum), 25 % is 2, 50 % is 4. Rounding down keeps the
// candidate's exposure at or under the planned share, except where one container is already more.
//
// Refused: a pool of one container with any step below 100 % (the candidate would run on all
// of it, with nothing to compare against), and a step that changes no count (10 % and 25 % of
// 2 workers are both 1 worker: the second step would only repeat the first's analysis).
import { parseDuration } from "./duration";

export interface StepSpec {
  percent: number;
  /** Seconds the step runs before its analysis (0 at 100 %). */
  pauseSeconds: number;
}

/** A set of containers that a step splits: the worker pool, or one agent's replicas. */
export interface Pool {
  /** `workers` or the agent's name. */
  name: string;
  replicas: number;
  /** Where the replicas are set, for the messages. */
  replicasKey: string;
}

export interface PlannedStep extends StepSpec {
  /** Containers on the candidate per pool name. */
  counts: Record<string, number>;
}

export class PlanError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
    this.name = "PlanError";
  }
}

/** Containers of a pool of `replicas` that run the candidate at `percent` (see the rules above). */
export function candidateCount(percent: number, replicas: number): number {
  if (percent >= 100) return replicas;
  return Math.min(replicas - 1, Math.max(1, Math.floor((percent * replicas) / 100)));
}

/** The smallest pool size that gives every step its own count, and one container to each track below 100 %. */
export function smallestHonouringReplicas(percents: readonly number[]): number {
  for (let replicas = 2; replicas <= 1000; replicas++) {
    const counts = percents.map((p) => candidateCount(p, replicas));
    if (counts.every((count, i) => i === 0 || count > counts[i - 1]!)) return replicas;
  }
  return Infinity;
}

/**
 * `10,25,50,100` or `10:1h,25:2h,50:2h,100`: shares in percent, each with an optional pause
 * (a duration: 90s, 15m, 1h); a step without one takes `defaultPauseSeconds`.
 */
export function parseSteps(text: string, defaultPauseSeconds: (percent: number) => number): StepSpec[] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === "")) throw new PlanError([`--steps: expected shares such as 10,25,50,100 or 10:1h,25:2h,50:2h,100, got ${JSON.stringify(text)}`]);
  return parts.map((part) => {
    const match = /^(\d+(?:\.\d+)?)%?(?::(.+))?$/.exec(part);
    const percent = match ? Number(match[1]) : NaN;
    if (!match || !Number.isInteger(percent) || percent < 1 || percent > 100) {
      throw new PlanError([`--steps: expected whole percentages from 1 to 100 (e.g. 10 or 10:1h), got ${JSON.stringify(part)}`]);
    }
    const pause = match[2] === undefined ? defaultPauseSeconds(percent) : parseDuration(match[2]);
    if (pause === undefined) throw new PlanError([`--steps: expected a pause such as 90s, 15m or 1h after "${match[1]}:", got ${JSON.stringify(match[2])}`]);
    return { percent, pauseSeconds: percent === 100 ? 0 : pause };
  });
}

/**
 * Maps each step to whole containers per pool; throws PlanError listing every reason the plan
 * cannot be honoured, each with what to change.
 */
export function planRollout(steps: readonly StepSpec[], pools: readonly Pool[]): PlannedStep[] {
  const problems: string[] = [];
  if (steps.length === 0) problems.push("the plan has no step");
  steps.forEach((step, i) => {
    if (i > 0 && step.percent <= steps[i - 1]!.percent) problems.push(`step ${i + 1} (${step.percent} %) must be more than step ${i} (${steps[i - 1]!.percent} %)`);
  });
  if (steps.length > 0 && steps.at(-1)!.percent !== 100) problems.push(`the last step must be 100 % (got ${steps.at(-1)!.percent} %): a rollout ends with the candidate everywhere`);
  if (problems.length) throw new PlanError(problems);

  const percents = steps.map((s) => s.percent);
  const below = percents.filter((p) => p < 100);
  for (const pool of pools) {
    if (below.length > 0 && pool.replicas < 2) {
      problems.push(
        `${pool.name} has ${pool.replicas} replica: at ${below[0]} % the candidate would run on all of it and nothing would stay on the stable release to compare with; ` +
          `set ${pool.replicasKey} to at least 2${pool.name === "workers" ? "" : `, or leave ${pool.name} out of canary.agents`}`,
      );
    }
  }
  if (problems.length) throw new PlanError(problems);

  const planned: PlannedStep[] = steps.map((step) => ({ ...step, counts: Object.fromEntries(pools.map((pool) => [pool.name, candidateCount(step.percent, pool.replicas)])) }));
  for (let i = 1; i < planned.length; i++) {
    const before = planned[i - 1]!;
    const now = planned[i]!;
    if (pools.every((pool) => now.counts[pool.name] === before.counts[pool.name])) {
      const workers = pools.find((pool) => pool.name === "workers");
      const shown = pools.map((pool) => `${before.counts[pool.name]} of ${pool.replicas} ${pool.name}`).join(", ");
      const fits = workers ? smallestHonouringReplicas(percents) : Infinity;
      problems.push(
        `steps ${before.percent} % and ${now.percent} % both run ${shown}: the second would change nothing; ` +
          `drop a step (e.g. --steps ${honouredSubset(percents, pools).join(",")})` +
          (Number.isFinite(fits) ? ` or raise workers.replicas to ${fits}` : ""),
      );
    }
  }
  if (problems.length) throw new PlanError(problems);
  return planned;
}

/** The steps of `percents` in order, one per distinct set of counts (the largest share that gives it). */
function honouredSubset(percents: readonly number[], pools: readonly Pool[]): number[] {
  const kept: number[] = [];
  let previous: string | undefined;
  for (const percent of percents) {
    const key = pools.map((pool) => candidateCount(percent, pool.replicas)).join("/");
    if (key !== previous) kept.push(percent);
    else kept[kept.length - 1] = percent;
    previous = key;
  }
  return kept;
}

/** The plan as a table: step, share, pause, and each pool's containers on the candidate. */
export function formatPlan(planned: readonly PlannedStep[], pools: readonly Pool[], humanDuration: (seconds: number) => string): string {
  const header = ["step", "share", "pause", ...pools.map((pool) => `${pool.name} (of ${pool.replicas})`)];
  const rows = planned.map((step, i) => [String(i + 1), `${step.percent} %`, step.percent === 100 ? "-" : humanDuration(step.pauseSeconds), ...pools.map((pool) => String(step.counts[pool.name]))]);
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => row[col]!.length)));
  const lines = all.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd());
  lines.splice(1, 0, "-".repeat(Math.max(...lines.map((line) => line.length))));
  return lines.join("\n");
}
