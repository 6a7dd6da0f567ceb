// `.e2e/report.json`, in the shape issue 9 fixes, and the closing count CI adds to its own.
import * as fs from "node:fs";
import * as path from "node:path";

export interface ReportStep {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
  /** The step's machine-readable record (the `verify` step: the command's JSON report). */
  json?: unknown;
}

export interface E2EReport {
  engine: "pulumi" | "runner";
  versions: Record<string, string>;
  steps: ReportStep[];
  containers: { name: string; healthy: boolean; secondsToHealthy: number | null }[];
  secondPreview: { changes: number };
  scaleUp: { created: string[]; otherChanges: number };
  drift: { exitCode: number; named: string[] };
  destroy: { left: string[] };
}

export function emptyReport(engine: E2EReport["engine"]): E2EReport {
  return {
    engine,
    versions: {},
    steps: [],
    containers: [],
    secondPreview: { changes: -1 },
    scaleUp: { created: [], otherChanges: -1 },
    drift: { exitCode: -1, named: [] },
    destroy: { left: [] },
  };
}

export function writeReport(file: string, report: E2EReport): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/** One line per step and check, then `e2e: N passed, N failed` (CI's closing count adds it). */
export function summaryLines(report: E2EReport): string[] {
  const lines = report.steps.map((s) => `${s.ok ? "ok  " : "FAIL"} ${s.name.padEnd(28)} ${s.seconds.toFixed(1).padStart(7)} s  ${s.detail.split("\n")[0]!.slice(0, 160)}`);
  const passed = report.steps.filter((s) => s.ok).length;
  lines.push(`e2e: ${passed} passed, ${report.steps.length - passed} failed`);
  return lines;
}
