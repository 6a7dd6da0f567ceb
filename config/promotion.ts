// Stack settings of release promotion (scripts/promote.ts): where the gates read metrics and
// how they sample. The gate thresholds themselves are the stack's `targets`.
import { z } from "zod";
import { httpUrl, int } from "./fields";

export const PromotionSchema = z
  .object({
    prometheusUrl: httpUrl("the URL of this stack's Prometheus, such as http://127.0.0.1:9090").optional(),
    soakMinutes: int(0).default(60).describe("minimum time since the release reached this stack before it may be promoted"),
    samples: z
      .object({
        count: int(1, 100).default(5),
        intervalSeconds: int(0, 3600).default(60),
        failureLimit: int(0, 100).default(0).describe("failed measurements tolerated per gate"),
      })
      .strict()
      .superRefine((samples, ctx) => {
        // A gate fails when more than failureLimit of its count measurements fail: at or above
        // the count, no measurement can fail it.
        if (samples.failureLimit >= samples.count) {
          ctx.addIssue({
            code: "custom",
            path: ["failureLimit"],
            input: samples.failureLimit,
            message: `expected fewer than promotion.samples.count (${samples.count}): a gate tolerating ${samples.failureLimit} failed measurements out of ${samples.count} can never fail`,
          });
        }
      })
      .prefault({}),
  })
  .strict()
  .prefault({});

export type PromotionSettings = z.output<typeof PromotionSchema>;
