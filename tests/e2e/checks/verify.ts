// The e2e step `verify` (issue 19): `npm run verify -- --stack e2e --json --send-test-alert`, the
// command an operator runs after `pulumi up`, against the deployed stack. The step passes when the
// command exits 0; its detail is the command's summary line, then one line per check that did not
// pass; the report keeps the command's JSON as the step's `json`. The e2e has no checks of its own
// beside it (the alert's arrival at the sink, model pulls counted by the Ollama stand-in, backup
// and restore are e2e scenarios, not checks of a live stack).
import type { E2ECheck } from "../context";
import { summaryLine, type VerifyReport } from "../../../verify/render";
import { runVerify, VERIFY_TIMEOUT_MS } from "../verify/stack";

/** The last report, for the steps after it (alert-sink reads the test alert's name). */
export const lastVerify: { report?: VerifyReport } = {};

/** The summary line, then `<check> <status>: <detail>` for each check that did not pass. */
export function verifyDetail(report: VerifyReport): string {
  const notOk = report.checks.filter((c) => c.status === "fail" || c.status === "cannot-run");
  return [summaryLine(report), ...notOk.map((c) => `${c.name} ${c.status}: ${c.detail.slice(0, 1_000)}`)].join("\n");
}

export const check: E2ECheck = {
  name: "verify",
  step: "verify",
  // verify's own waits: the Prometheus targets (at most 4 minutes), the test alert (at most 3).
  timeoutMs: VERIFY_TIMEOUT_MS + 60_000,
  async check(ctx) {
    const run = await runVerify(["--send-test-alert"], { log: (line) => ctx.log(line), timeoutMs: VERIFY_TIMEOUT_MS });
    lastVerify.report = run.report;
    if (!run.report) return { ok: false, detail: `npm run verify exited ${run.code} without a JSON report: ${run.stderr.trim().slice(-2000)}` };
    return { ok: run.code === 0 && run.report.exitCode === 0, detail: verifyDetail(run.report), json: run.report };
  },
};
