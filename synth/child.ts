// Runs one evaluation in this (fresh) process and prints it as JSON on stdout, with the time and
// peak heap the evaluation itself took (process start-up excluded).
import { evaluate, EvaluateOptions, requireProgram } from "./evaluate";

// The SDK captures a stack trace for every resource; under tsx each one is source-mapped, which
// dominates evaluation time. The synth reports errors by message, so it needs no traces.
Error.stackTraceLimit = 0;
// The SDK lifts the limit for each resource's source position; unmapped frames cost less
// (synth/server.ts).
process.setSourceMapsEnabled(false);

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
