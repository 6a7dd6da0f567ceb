// Runs one evaluation in this (fresh) process and prints it as JSON on stdout, with the time and
// peak heap the evaluation itself took (process start-up excluded).
import { evaluate, EvaluateOptions, requireProgram, withoutStackTraces } from "./evaluate";

// The output carries an evaluation's error by its message: this process never needs a stack trace.
withoutStackTraces();

async function main() {
  const options = JSON.parse(process.argv[2] ?? "{}") as EvaluateOptions;
  let peakHeapBytes = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => (peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed)), 5);
  const started = performance.now();
  try {
    const evaluation = await evaluate(options, requireProgram);
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
    process.stdout.write(JSON.stringify({ ok: true, evaluation, stats: { wallMs, peakHeapBytes } }));
  } catch (error) {
    clearInterval(sampler);
    process.stdout.write(JSON.stringify({ ok: false, message: error instanceof Error ? error.message : String(error) }));
  }
}

void main();
