// `npm run docs`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (scripts/docs.ts answers --help and usage errors with it before it loads scripts/docs.run.ts).
import { defineCommand, EXIT_TABLE } from "../release/cli";

export const DOCS_USAGE = `Usage: npm run docs -- [--check]

Regenerates docs/graph/staging.md and docs/graph/production.md from the program (resource tree
and service table of each shipped stack). With --check, writes nothing and exits 1 when a file
is out of date.

${EXIT_TABLE}`;

export const DOCS = defineCommand({
  usage: DOCS_USAGE,
  options: {
    check: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
