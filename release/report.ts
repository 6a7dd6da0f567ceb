// The table promote prints either way: each gate, its threshold, every measurement, the verdict.
import type { AnalysisResult, Measurement, Verdict } from "./analysis";
import type { Gate, GateContext, Unit } from "./gates";

export function formatValue(unit: Unit, value: number): string {
  switch (unit) {
    case "documents":
      return value.toFixed(0);
    case "ratio":
      return `${(value * 100).toFixed(2)} %`;
    case "usd":
      return `$${value.toFixed(3)}`;
    case "perHour":
      return `${value.toFixed(1)}/h`;
    case "minutes":
      return `${value.toFixed(0)} min`;
    case "alerts":
      return value.toFixed(0);
    case "seconds":
      return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} s`;
  }
}

function formatMeasurement(gate: Gate, ctx: GateContext, m: Measurement): string {
  // A rejected query has no value and its error as note; see the notes under the table.
  if (m.value === undefined) return m.note === "no data" ? "no data" : "error";
  if (!Number.isFinite(m.value)) return "no data";
  const text = formatValue(gate.unit, m.value);
  const atLeast = gate.atLeastFrom?.(ctx);
  return atLeast !== undefined && m.value >= atLeast ? `>=${text}` : text;
}

const VERDICT: Record<Verdict, string> = { pass: "PASS", fail: "FAIL", inconclusive: "INCONCLUSIVE" };

function pad(rows: string[][]): string[] {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]))).join("  ").trimEnd());
}

export function formatGateTable(result: AnalysisResult, ctx: GateContext): string {
  const rows = [["gate", "threshold", "measurements", "verdict"]];
  for (const outcome of result.outcomes) {
    rows.push([
      outcome.gate.title,
      `${outcome.gate.comparison} ${formatValue(outcome.gate.unit, outcome.threshold)}`,
      outcome.measurements.map((m) => formatMeasurement(outcome.gate, ctx, m)).join(", "),
      VERDICT[outcome.verdict],
    ]);
  }
  const lines = pad(rows);
  lines.splice(1, 0, "-".repeat(Math.max(...lines.map((line) => line.length))));

  // Why measurements were inconclusive, once per distinct reason.
  const notes = new Map<string, string[]>();
  for (const outcome of result.outcomes) {
    for (const m of outcome.measurements) {
      if (m.verdict !== "inconclusive" || !m.note) continue;
      const gates = notes.get(m.note) ?? [];
      if (!gates.includes(outcome.gate.title)) gates.push(outcome.gate.title);
      notes.set(m.note, gates);
    }
  }
  if (notes.size > 0) {
    lines.push("", "inconclusive measurements:");
    for (const [note, gates] of notes) lines.push(`  ${gates.length === result.outcomes.length ? "all gates" : gates.join(", ")}: ${note}`);
  }
  return lines.join("\n");
}

export const VERDICT_TEXT = VERDICT;
