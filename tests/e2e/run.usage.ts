// `npm run e2e`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (tests/e2e/run.ts answers --help and usage errors with it before it loads the e2e itself,
// dockerode, mongodb and the Pulumi SDK with it).
import { defineCommand, EXIT_TABLE, parseCommand } from "../../release/cli";

export const E2E_USAGE = `Usage: npm run e2e -- [options]

Deploys tests/e2e/Pulumi.e2e.yaml onto the local Docker engine with the real Pulumi CLI, exercises,
scales, drifts and destroys it, and writes .e2e/report.json (docs/e2e.md).

Options:
  --real-images        the shipped staging stack's pinned images and GPU settings (a workstation that can pull)
  --reuse-images       the images of the last build.sh run (.e2e/images.json), no build
  --keep               leave the stack running after the checks (no drift and destroy steps)
  --from-checks        with --reuse-images, on a stack left by --keep: from the sink and checks on
  --from-drift         with --reuse-images, on a stack left by --keep (scaled to 2): drift and destroy
  --overrides <file>   stack values merged last (JSON)
  --record-fixtures    also save the real previews as tests/fixtures/preview/e2e-*.json
  --swarm              the swarm e2e instead, on the 3-node lab (tests/e2e/swarm/run.ts: its own
                       options, --swarm --help; docs/swarm.md)
  -h, --help           show this help

${EXIT_TABLE}
  (e2e: 1 a step or check failed)`;

export const E2E = defineCommand({
  usage: E2E_USAGE,
  options: {
    "real-images": { type: "boolean", default: false },
    "reuse-images": { type: "boolean", default: false },
    "from-checks": { type: "boolean", default: false },
    "from-drift": { type: "boolean", default: false },
    "record-fixtures": { type: "boolean", default: false },
    overrides: { type: "string" },
    keep: { type: "boolean", default: false },
    // The swarm e2e's options (--keep, --help) are a subset of these; it reads them itself.
    swarm: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

/** The parsed flags (throws a UsageError on a bad one). */
export const parseE2EFlags = (argv: string[]) => parseCommand(E2E, argv).values;
export type E2EFlags = ReturnType<typeof parseE2EFlags>;
