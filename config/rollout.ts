// Stack settings of progressive rollouts (`npm run rollout`, release/rollout.ts): the step plan
// and how each step's analysis compares the canary with the stable release. The absolute
// thresholds are the stack's `targets`, as for promotion.
import { z } from "zod";
import { int, num } from "./fields";

const StepSchema = z
  .object({
    percent: int(1, 100).describe("the candidate's share of the workers (and of each agent canary.agents names) at this step"),
    pauseSeconds: int(0, 7 * 86400).default(0).describe("how long the step runs before its analysis (ignored at 100 %)"),
  })
  .strict();

/** The seed's plan (shared/seeds/003): 10 % for an hour, 25 % and 50 % for two hours each, then 100 %. */
export const SEED_STEPS = [
  { percent: 10, pauseSeconds: 3600 },
  { percent: 25, pauseSeconds: 7200 },
  { percent: 50, pauseSeconds: 7200 },
  { percent: 100, pauseSeconds: 0 },
];

export const RolloutSchema = z
  .object({
    steps: z
      .array(StepSchema)
      .min(1, { error: "expected at least one step (the last at 100)" })
      .default(SEED_STEPS)
      .describe("the step plan, shares rising to 100; npm run rollout --steps overrides it"),
    windowSeconds: int(1, 7 * 86400)
      .optional()
      .describe("range of each analysis' rate and ratio queries; unset: the step's pause (at least 4 scrape intervals either way)"),
    margin: num(0, 1).default(0.1).describe("how much worse than the stable release the canary may be, as a share of the stable value (0.1: 10 %)"),
    minDocuments: int(1)
      .default(20)
      .describe("documents each release (canary and stable) must have processed in the window for an analysis to be conclusive"),
    maxExtensions: int(0, 100).default(2).describe("times an inconclusive analysis waits the step's pause again before the rollout aborts"),
  })
  .strict()
  .superRefine((rollout, ctx) => {
    const steps = rollout.steps;
    steps.forEach((step, i) => {
      if (i > 0 && step.percent <= steps[i - 1]!.percent) {
        ctx.addIssue({ code: "custom", path: ["steps", i, "percent"], input: step.percent, message: `expected more than the step before (${steps[i - 1]!.percent})` });
      }
    });
    const last = steps.at(-1);
    if (last && last.percent !== 100) ctx.addIssue({ code: "custom", path: ["steps", steps.length - 1, "percent"], input: last.percent, message: "expected 100: a rollout ends with the candidate on everything" });
  })
  .prefault({});

export type RolloutSettings = z.output<typeof RolloutSchema>;
