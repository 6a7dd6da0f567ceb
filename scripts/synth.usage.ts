// `npm run synth`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (scripts/synth.ts answers --help and usage errors with it before it loads scripts/synth.run.ts).
import * as path from "node:path";
import { defineCommand, EXIT_TABLE } from "../release/cli";

const REPO_ROOT = path.resolve(__dirname, "..");

export const SYNTH_USAGE = `Usage: npm run synth -- --stack <staging|production|...> [options]

Evaluates the program for a stack offline (Pulumi's mock runtime: no backend, Docker or
credentials), prints the resources as a tree and a table per service, and writes
<out>/<stack>/resources.json and <out>/<stack>/files/.

Options:
  --stack <stack>           stack name; reads Pulumi.<stack>.yaml unless --config is given
  --config <file>           evaluate another stack file (secure: values become placeholders)
  --out <dir>               output folder (default .synth)
  --quiet                   print neither the tree nor the table
  --policy                  run the policy pack (policy/) over the resources; the stack's
                            enrichment:environment picks the rules (production: mandatory, staging: advisory)
  --policy-config <file>    a --policy-pack-config file (JSON: {"all": "advisory"} or per-policy levels)
  -h, --help                show this help

${EXIT_TABLE}
  (synth: 1 a mandatory policy violation with --policy; 3 also an invalid stack configuration)`;

export const SYNTH = defineCommand({
  usage: SYNTH_USAGE,
  options: {
    stack: { type: "string" },
    config: { type: "string" },
    out: { type: "string", default: path.join(REPO_ROOT, ".synth") },
    quiet: { type: "boolean", default: false },
    policy: { type: "boolean", default: false },
    "policy-config": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
