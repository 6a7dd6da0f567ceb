// Generated docs are committed: docs/metrics-contract.md (from facts/metricsContract.ts) and
// docs/runbooks/*.md (from the alert catalog). Regenerate with `npx tsx planes/monitoring/docs.ts`.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CONTRACT_DOC, renderDocs, RUNBOOK_DIR } from "../planes/monitoring/docs";
import { PLATFORM_METRICS } from "../facts/metricsContract";
import { REPO_ROOT } from "./fixtures/monitoring/tools";

const generated = renderDocs();

describe("generated monitoring docs", () => {
  it.each(Object.keys(generated))("%s is committed as generated", (relative) => {
    const file = path.join(REPO_ROOT, relative);
    expect(fs.existsSync(file), `${relative} is missing: run npx tsx planes/monitoring/docs.ts`).toBe(true);
    expect(fs.readFileSync(file, "utf8"), `${relative} differs from the generator: run npx tsx planes/monitoring/docs.ts`).toBe(generated[relative]);
  });

  it("no stale runbook: every page in docs/runbooks is generated", () => {
    const pages = fs.readdirSync(path.join(REPO_ROOT, RUNBOOK_DIR)).map((file) => `${RUNBOOK_DIR}/${file}`);
    expect(pages.sort()).toEqual(Object.keys(generated).filter((f) => f.startsWith(`${RUNBOOK_DIR}/`)).sort());
  });

  it("the contract doc lists every platform metric with its labels", () => {
    const doc = generated[CONTRACT_DOC]!;
    for (const metric of PLATFORM_METRICS) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${metric.name}\` |`));
      expect(row, metric.name).toBeDefined();
      for (const label of metric.labels) expect(row).toContain(`\`${label}\``);
    }
  });
});
