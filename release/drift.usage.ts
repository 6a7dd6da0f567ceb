// `npm run drift-report`'s flags and statuses: its --help text and option spec, in a module that
// loads nothing heavy (scripts/drift-report.ts answers --help and usage errors with it before it
// loads release/drift.ts and zod).
import { badUsage, defineCommand, EXIT, EXIT_TABLE } from "./cli";

/** drift-report's statuses in the shared table (release/cli.ts). */
export const DRIFT_EXIT = { clean: EXIT.ok, drift: EXIT.failed, notAPreview: EXIT.inconclusive, usage: EXIT.usage } as const;

export const DRIFT_USAGE = `Usage: npm run drift-report -- [preview.json | -] [options]

Reads the JSON of \`pulumi preview --refresh --expect-no-changes --json\` (a file, or stdin when
the file is omitted or "-") and reports which resources drifted, which properties, and what to run.
Known-spurious diffs (the Docker provider's gpus read-back) are ignored.

Options:
  --stack <stack>      stack name for the report (default: taken from the resource URNs)
  --summary <file>     also append the report as Markdown to this file (e.g. $GITHUB_STEP_SUMMARY)
  -h, --help           show this help

${EXIT_TABLE}
  (drift-report: 0 no drift; 1 drift; 2 the input is not a preview, could not be read, or the
  preview reported errors)`;

export const DRIFT_REPORT = defineCommand({
  usage: DRIFT_USAGE,
  options: { stack: { type: "string" }, summary: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
  allowPositionals: true,
  check({ positionals }) {
    if (positionals.length > 1) throw badUsage(`expected at most one input file, got ${positionals.length}`);
  },
});
