// `npm run synth -- --stack <name> [--config <file>] [--out <dir>]`
// Evaluates the program for a stack under Pulumi's mock runtime (no backend, Docker or
// credentials), prints the resource tree, and writes .synth/<stack>/resources.json and files/.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { evaluate, REPO_ROOT } from "../synth/evaluate";
import { renderTree, writeSynth } from "../synth/write";

const USAGE = `usage: npm run synth -- --stack <staging|production|...> [--config <stack file>] [--out <dir>] [--quiet]

  --stack   stack name; reads Pulumi.<stack>.yaml unless --config is given
  --config  evaluate another stack file (secure: values become placeholders)
  --out     output folder (default .synth)
  --quiet   do not print the resource tree`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        stack: { type: "string" },
        config: { type: "string" },
        out: { type: "string", default: path.join(REPO_ROOT, ".synth") },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (!args.stack) {
    console.error(`--stack is required\n${USAGE}`);
    return 2;
  }

  let evaluation;
  try {
    evaluation = await evaluate({ stack: args.stack, configFile: args.config && path.resolve(args.config) });
  } catch (error) {
    // Config errors (and any other failure) write nothing.
    console.error((error as Error).message);
    return 1;
  }

  for (const notice of evaluation.notices) console.error(`note: ${notice}`);
  if (!args.quiet) {
    console.log(`Stack ${args.stack}: resources as \`pulumi preview\` would register them\n`);
    console.log(renderTree(evaluation.records));
  }
  const { resourcesPath, files } = writeSynth(args.out!, evaluation);
  console.log(`\n${evaluation.records.length} resources; ${files} uploaded files; wrote ${path.relative(process.cwd(), resourcesPath)}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
