// `npm run synth -- --stack <name> [--config <file>] [--out <dir>] [--policy [--policy-config <file>]]`
// Evaluates the program for a stack under Pulumi's mock runtime (no backend, Docker or
// credentials), prints the resource tree, and writes .synth/<stack>/resources.json and files/.
// With --policy it also runs the policy pack (policy/) over the synthesized resources.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { evaluate, REPO_ROOT } from "../synth/evaluate";
import { renderTree, writeSynth } from "../synth/write";
import { packEnvironment } from "../policy/environment";
import { renderReport, runPolicies, type PackConfig } from "../policy/offline";

/** Exit codes: 0 done (advisory violations allowed), 1 evaluation or config error, 2 usage, 3 a mandatory policy violation. */
const EXIT = { ok: 0, error: 1, usage: 2, policyViolation: 3 } as const;

const USAGE = `usage: npm run synth -- --stack <staging|production|...> [--config <stack file>] [--out <dir>] [--quiet]

  --stack   stack name; reads Pulumi.<stack>.yaml unless --config is given
  --config  evaluate another stack file (secure: values become placeholders)
  --out     output folder (default .synth)
  --quiet   do not print the resource tree
  --policy  run the policy pack (policy/) over the resources; the stack's enrichment:environment
            picks the rules (production: mandatory, staging: advisory)
  --policy-config  a --policy-pack-config file (JSON: {"all": "advisory"} or per-policy levels)

exit codes: 0 done, 1 evaluation or config error, 2 usage, 3 a mandatory policy violation`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        stack: { type: "string" },
        config: { type: "string" },
        out: { type: "string", default: path.join(REPO_ROOT, ".synth") },
        quiet: { type: "boolean", default: false },
        policy: { type: "boolean", default: false },
        "policy-config": { type: "string" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (!args.stack) {
    console.error(`--stack is required\n${USAGE}`);
    return EXIT.usage;
  }
  let packConfig: PackConfig = {};
  if (args["policy-config"]) {
    if (!args.policy) {
      console.error(`--policy-config needs --policy\n${USAGE}`);
      return EXIT.usage;
    }
    try {
      packConfig = JSON.parse(fs.readFileSync(path.resolve(args["policy-config"]), "utf8")) as PackConfig;
    } catch (error) {
      console.error(`--policy-config ${args["policy-config"]}: ${(error as Error).message}`);
      return EXIT.usage;
    }
  }

  let evaluation;
  try {
    evaluation = await evaluate({ stack: args.stack, configFile: args.config && path.resolve(args.config) });
  } catch (error) {
    // Config errors (and any other failure) write nothing.
    console.error((error as Error).message);
    return EXIT.error;
  }

  for (const notice of evaluation.notices) console.error(`note: ${notice}`);
  if (!args.quiet) {
    console.log(`Stack ${args.stack}: resources as \`pulumi preview\` would register them\n`);
    console.log(renderTree(evaluation.records));
  }
  const { resourcesPath, files } = writeSynth(args.out!, evaluation);
  console.log(`\n${evaluation.records.length} resources; ${files} uploaded files; wrote ${path.relative(process.cwd(), resourcesPath)}`);
  if (!args.policy) return EXIT.ok;

  // The evaluation put the stack's config where the CLI puts it for a policy pack.
  const { environment, source } = packEnvironment(process.env);
  const report = runPolicies(evaluation.records, environment, packConfig);
  console.log(`\n${renderReport(report)}\n(${environment} rules from ${source})`);
  return report.violations.some((v) => v.enforcement === "mandatory") ? EXIT.policyViolation : EXIT.ok;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
