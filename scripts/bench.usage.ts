// `npm run bench`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (scripts/bench.ts answers --help and usage errors with it before it loads scripts/bench.run.ts).
import { defineCommand, EXIT_TABLE } from "../release/cli";

export const BENCH_USAGE = `Usage: npm run bench -- [options]

Synthesizes the stack offline at several worker counts (the median of --runs evaluations each)
and prints resources, wall milliseconds and peak heap per count, then whether the largest count
stayed within 3x the time of the smallest.

Options:
  --stack <stack>      stack to synthesize (default: production)
  --workers <list>     comma-separated worker counts (default: 2,20,200)
  --runs <n>           evaluations per count; the median is reported (default: 3)
  -h, --help           show this help

${EXIT_TABLE}
  (bench: 0 measured, whether or not growth was linear; 3 also when the stack does not synthesize)`;

export const BENCH = defineCommand({
  usage: BENCH_USAGE,
  options: {
    workers: { type: "string", default: "2,20,200" },
    stack: { type: "string", default: "production" },
    runs: { type: "string", default: "3" },
    help: { type: "boolean", short: "h", default: false },
  },
});
