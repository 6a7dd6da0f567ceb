// The suites' access to external tools and engines, from the one catalog tests/tools.json. A suite
// that needs a tool the machine lacks skips with ONE line naming the tool and the command that
// provides it; under CI (CI=true, as .ci/run runs) or ENRICHMENT_REQUIRE_TOOLS=1, a missing required
// tool is a failing test with the same line instead, so a CI run proves that every suite ran.
import { describe, it } from "vitest";
import { REQUIRE_ENV, suitePlan, toolsRequired, type ToolName } from "./toolCatalog";

export * from "./toolCatalog";

const said = new Set<string>();
function sayOnce(line: string): void {
  if (said.has(line)) return;
  said.add(line);
  console.warn(line);
}

/**
 * describe() when every tool is here. Otherwise the suite is skipped with one line naming what is
 * missing and how to provide it; or, when tools are required (CI) and a required one is missing,
 * the suite is one failing test saying the same.
 */
export function describeWithTools(tools: readonly ToolName[], title: string, body: () => void): void {
  const plan = suitePlan(tools);
  describeUnless(plan.action === "run" ? undefined : plan.reason, title, body, { required: plan.action === "fail" });
}

/**
 * describe() unless `reason` says why the suite cannot run here (the tool or engine and the command
 * that provides it). A required reason fails under CI=true / ENRICHMENT_REQUIRE_TOOLS=1.
 */
export function describeUnless(reason: string | undefined, title: string, body: () => void, options: { required?: boolean } = {}): void {
  if (!reason) {
    describe(title, body);
    return;
  }
  if ((options.required ?? true) && toolsRequired()) {
    describe(title, () => {
      it(`has its tools (required: ${process.env.CI === "true" ? "CI=true" : `${REQUIRE_ENV}=1`})`, () => {
        throw new Error(`missing: ${reason}`);
      });
    });
    return;
  }
  sayOnce(`${title}: [skipped: ${reason}]`);
  // The body is not collected: it may look its tools up as it declares its tests.
  describe(title, () => {
    it.skip(`[skipped: ${reason}]`, () => {});
  });
}

/** it() with the same rule as describeWithTools, for one test of a suite that otherwise runs. */
export function itWithTools(tools: readonly ToolName[], title: string, body: () => unknown, timeout?: number): void {
  const plan = suitePlan(tools);
  if (plan.action === "run") {
    it(title, body, timeout);
  } else if (plan.action === "fail") {
    it(`${title} (tools required)`, () => {
      throw new Error(`missing: ${plan.reason}`);
    });
  } else {
    sayOnce(`${title}: [skipped: ${plan.reason}]`);
    it.skip(`${title} [skipped: ${plan.reason}]`, () => {});
  }
}
