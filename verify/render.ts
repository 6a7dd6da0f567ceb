// The verify report: one shape for machines (--json) and a table for people, and the exit code
// it means (release/cli.ts's table: 1 a check failed, 2 a check could not run, 4 unreachable).
import { EXIT } from "../release/cli";
import type { CheckStatus } from "./context";

export interface CheckReport {
  name: string;
  title: string;
  status: CheckStatus;
  lookedAt: string;
  detail: string;
  /** What to do (only when the check did not pass). */
  fix?: string;
  runbook: string;
  seconds: number;
  data?: Record<string, unknown>;
}

export interface VerifyReport {
  stack: string;
  /** The Docker host it was checked on, and where the outputs came from. */
  dockerHost: string;
  outputs: string;
  startedAt: string;
  seconds: number;
  exitCode: number;
  summary: Record<CheckStatus, number>;
  /** How each published service was reached (directly, or through the engine's probe). */
  reached: Record<string, string>;
  checks: CheckReport[];
  /** Why nothing was checked (exit 4). */
  error?: string;
}

export const STATUSES: readonly CheckStatus[] = ["ok", "fail", "cannot-run", "skipped"];

export function summarize(checks: readonly Pick<CheckReport, "status">[]): Record<CheckStatus, number> {
  const summary = { ok: 0, fail: 0, "cannot-run": 0, skipped: 0 } as Record<CheckStatus, number>;
  for (const check of checks) summary[check.status]++;
  return summary;
}

/** 1 when a check failed, else 2 when one could not run, else 0 (a skipped opt-in check is no failure). */
export function exitCodeOf(checks: readonly Pick<CheckReport, "status">[]): number {
  if (checks.some((c) => c.status === "fail")) return EXIT.failed;
  if (checks.some((c) => c.status === "cannot-run")) return EXIT.inconclusive;
  return EXIT.ok;
}

const LABEL: Record<CheckStatus, string> = { ok: "ok", fail: "FAILED", "cannot-run": "CANNOT RUN", skipped: "skipped" };
const EXIT_WORDS: Record<number, string> = {
  [EXIT.ok]: "every check passed",
  [EXIT.failed]: "a check failed",
  [EXIT.inconclusive]: "a check could not run, none failed",
  [EXIT.unreachable]: "the stack could not be reached: nothing was checked",
};

/** One line of counts, e.g. for a step's first line. */
export function summaryLine(report: VerifyReport): string {
  if (report.error) return `verify ${report.stack}: exit ${report.exitCode}: ${report.error}`;
  const s = report.summary;
  const failed = report.checks.filter((c) => c.status === "fail").map((c) => c.name);
  return `verify ${report.stack}: ${s.ok} ok, ${s.fail} failed${failed.length ? ` (${failed.join(", ")})` : ""}, ${s["cannot-run"]} could not run, ${s.skipped} skipped; exit ${report.exitCode} (${report.seconds.toFixed(1)} s)`;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The table for people: one line per check; what it looked at, the detail, the fix and the runbook under each that did not pass. */
export function renderTable(report: VerifyReport): string {
  const lines = [`verify ${report.stack} on ${report.dockerHost} (outputs: ${report.outputs})`, ""];
  if (report.error) {
    lines.push(`  ${report.error}`, "", `exit ${report.exitCode}: ${EXIT_WORDS[report.exitCode] ?? ""}`);
    return lines.join("\n");
  }
  const width = Math.max(...report.checks.map((c) => c.name.length), 5);
  for (const check of report.checks) {
    const head = `  ${LABEL[check.status].padEnd(10)} ${check.name.padEnd(width)} ${check.seconds.toFixed(1).padStart(6)} s  `;
    if (check.status === "ok" || check.status === "skipped") {
      lines.push(`${head}${clip(check.detail, 160)}`);
      continue;
    }
    const indent = " ".repeat(head.length);
    lines.push(`${head}${check.title}`);
    lines.push(`${indent}looked at: ${check.lookedAt}`);
    lines.push(`${indent}result:    ${check.detail}`);
    if (check.fix) lines.push(`${indent}fix:       ${check.fix}`);
    lines.push(`${indent}runbook:   ${check.runbook}`);
  }
  const reached = Object.entries(report.reached);
  if (reached.length) {
    lines.push("", "reached:");
    for (const [service, via] of reached) lines.push(`  ${service}: ${via}`);
  }
  lines.push("", `${summaryLine(report)}: ${EXIT_WORDS[report.exitCode] ?? ""}`);
  return lines.join("\n");
}
