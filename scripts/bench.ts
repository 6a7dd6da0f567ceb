// `npm run bench`: synthesizes production at 2, 20 and 200 workers and reports, for each, the
// resource count, the evaluation's wall milliseconds and peak heap. A report, not a timed test:
// it prints whether 200 workers stayed within 3x the time of 2 (linear growth) and exits 0.
import { parseArgs } from "node:util";
import { synthesizeWithStats } from "../synth";

async function main() {
  const { values } = parseArgs({
    options: { workers: { type: "string", default: "2,20,200" }, stack: { type: "string", default: "production" }, runs: { type: "string", default: "3" } },
  });
  const sizes = values.workers!.split(",").map(Number);
  const runs = Number(values.runs);
  const rows: { workers: number; resources: number; wallMs: number; peakHeapMb: number }[] = [];
  for (const workers of sizes) {
    // The median of a few runs: a 2-core machine is noisy.
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await synthesizeWithStats({ stack: values.stack!, overrides: { workers: { replicas: workers } } }));
    samples.sort((a, b) => a.stats.wallMs - b.stats.wallMs);
    const median = samples[Math.floor(samples.length / 2)];
    rows.push({
      workers,
      resources: median.evaluation.records.length,
      wallMs: Math.round(median.stats.wallMs),
      peakHeapMb: Math.round((Math.max(...samples.map((s) => s.stats.peakHeapBytes)) / 1024 / 1024) * 10) / 10,
    });
  }
  console.log(`synth of stack ${values.stack}, median of ${runs} runs each\n`);
  console.log("workers  resources  wall ms  peak heap MB");
  for (const row of rows) {
    console.log(`${String(row.workers).padStart(7)}  ${String(row.resources).padStart(9)}  ${String(row.wallMs).padStart(7)}  ${String(row.peakHeapMb).padStart(12)}`);
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  const ratio = last.wallMs / first.wallMs;
  console.log(`\n${last.workers} workers took ${ratio.toFixed(2)}x the time of ${first.workers} (target: within 3x) -> ${ratio <= 3 ? "linear" : "TOO SLOW"}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
