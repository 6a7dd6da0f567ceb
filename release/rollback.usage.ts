// `npm run rollback`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (scripts/rollback.ts answers --help and usage errors with it before it loads release/rollback.ts).
import { defineCommand, EXIT_TABLE } from "./cli";

export const ROLLBACK_USAGE = `Usage: npm run rollback -- --stack <stack> [options]

Restores the previous release recorded in the stack's enrichment:releaseHistory into
Pulumi.<stack>.yaml and prints the diff. The restored entry (and any newer one) leaves the
history. Run \`pulumi up --stack <stack>\` afterwards to deploy it.

Options:
  --stack <stack>        the stack to roll back (e.g. production)
  --to <version>         roll back to this recorded release instead of the most recent one
  --dry-run              print the diff, write nothing
  --dir <directory>      where Pulumi.<stack>.yaml is (default: current directory)
  --stack-file <file>    the stack file itself (instead of --dir)
  -h, --help             show this help

${EXIT_TABLE}
  (rollback: 0 rolled back or dry run; 3 also when nothing is recorded to roll back to, or the
  stack file does not validate before or after)`;

export const ROLLBACK = defineCommand({
  usage: ROLLBACK_USAGE,
  options: {
    stack: { type: "string" },
    to: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    dir: { type: "string" },
    "stack-file": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
