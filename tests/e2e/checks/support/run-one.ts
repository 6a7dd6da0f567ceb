// Runs e2e checks against the stack `npm run e2e -- --keep` left running, outside the e2e:
//   tsx tests/e2e/checks/support/run-one.ts [<check name> ...]     (no name: every check)
// It rebuilds the context the e2e gives its checks from the stack itself, through the real CLI
// (tests/e2e/engine: the e2e's backend and stack file, `pulumi stack output` and the state). It
// never starts, changes or stops the stack.
import type { E2ECheck } from "../../context";
import { loadToolchain } from "../../engine/pulumi";
import { buildContext, e2eCli } from "../../stack";
import { ALL_CHECKS } from "./all";

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !ALL_CHECKS.some((c) => c.name === n));
  if (unknown.length) {
    process.stderr.write(`unknown check(s) ${unknown.join(", ")}; known: ${ALL_CHECKS.map((c) => c.name).join(", ")}\n`);
    return 3;
  }
  const toolchain = loadToolchain();
  if ("missing" in toolchain) {
    process.stderr.write(`run-one: ${toolchain.missing}\n`);
    return 3;
  }
  const ctx = await buildContext(e2eCli(toolchain), (message) => process.stdout.write(`  ${message}\n`));
  const chosen: readonly E2ECheck[] = names.length ? ALL_CHECKS.filter((c) => names.includes(c.name)) : ALL_CHECKS;
  let failed = 0;
  for (const check of chosen) {
    const start = Date.now();
    let result;
    try {
      result = await check.check(ctx);
    } catch (error) {
      result = { ok: false, detail: `threw: ${(error as Error).stack ?? error}` };
    }
    if (!result.ok) failed++;
    process.stdout.write(`${result.ok ? "ok  " : "FAIL"} ${check.name} (${((Date.now() - start) / 1000).toFixed(1)} s): ${result.detail}\n`);
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`run-one: ${error.stack ?? error.message}\n`);
    process.exit(70);
  },
);
