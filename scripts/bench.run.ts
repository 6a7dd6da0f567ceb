// What `npm run bench` does (scripts/bench.ts loads it once the flags parsed; they are in
// scripts/bench.usage.ts): synthesizes a stack (production by default) at 2, 20 and 200 workers and reports,
// for each, the resource count, the evaluation's wall milliseconds and peak heap. A report, not a
// timed test: it prints whether 200 workers stayed within 3x the time of 2 (linear growth).
import { badUsage, EXIT, Io, runCommand } from "../release/cli";
import { synthesizeWithStats, SynthError } from "../synth";
import { BENCH } from "./bench.usage";

export { BENCH_USAGE } from "./bench.usage";

function counts(text: string, name: string, min: number): number[] {
  const values = text.split(",").map((part) => part.trim());
  if (values.some((v) => !/^\d+$/.test(v) || Number(v) < min)) throw badUsage(`--${name}: expected comma-separated integers >= ${min}, got ${JSON.stringify(text)}`);
  return values.map(Number);
}

export async function runBench(argv: string[], io: Io): Promise<number> {
  return runCommand(io, BENCH, argv, async ({ values }) => {
    const sizes = counts(values.workers, "workers", 1);
    if (!/^\d+$/.test(values.runs) || Number(values.runs) < 1) throw badUsage(`--runs: expected an integer >= 1, got ${JSON.stringify(values.runs)}`);
    const runs = Number(values.runs);
    const rows: { workers: number; resources: number; wallMs: number; peakHeapMb: number }[] = [];
    const total = sizes.length * runs;
    let done = 0;
    for (const workers of sizes) {
      // The median of a few runs: a 2-core machine is noisy.
      const samples = [];
      for (let i = 0; i < runs; i++) {
        try {
          samples.push(await synthesizeWithStats({ stack: values.stack, overrides: { workers: { replicas: workers } } }));
        } catch (error) {
          if (error instanceof SynthError) throw badUsage(`stack ${values.stack} does not synthesize: ${error.message}`);
          throw error;
        }
        done++;
        io.err(`[${done}/${total}] ${workers} workers, run ${i + 1}/${runs}: ${Math.round(samples[samples.length - 1].stats.wallMs)} ms`);
      }
      samples.sort((a, b) => a.stats.wallMs - b.stats.wallMs);
      const median = samples[Math.floor(samples.length / 2)];
      rows.push({
        workers,
        resources: median.evaluation.records.length,
        wallMs: Math.round(median.stats.wallMs),
        peakHeapMb: Math.round((Math.max(...samples.map((s) => s.stats.peakHeapBytes)) / 1024 / 1024) * 10) / 10,
      });
    }
    io.out(`synth of stack ${values.stack}, median of ${runs} run${runs === 1 ? "" : "s"} each\n`);
    io.out("workers  resources  wall ms  peak heap MB");
    for (const row of rows) {
      io.out(`${String(row.workers).padStart(7)}  ${String(row.resources).padStart(9)}  ${String(row.wallMs).padStart(7)}  ${String(row.peakHeapMb).padStart(12)}`);
    }
    if (rows.length > 1) {
      const first = rows[0];
      const last = rows[rows.length - 1];
      const ratio = last.wallMs / first.wallMs;
      io.out(`\n${last.workers} workers took ${ratio.toFixed(2)}x the time of ${first.workers} (target: within 3x) -> ${ratio <= 3 ? "linear" : "TOO SLOW"}`);
    }
    return EXIT.ok;
  });
}
