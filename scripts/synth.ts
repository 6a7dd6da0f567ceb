// `npm run synth -- --stack <name> [--config <file>] [--out <dir>] [--policy [--policy-config <file>]]`
// Evaluates the program for a stack under Pulumi's mock runtime (no backend, Docker or
// credentials), prints the resource tree and a table per service, and writes
// .synth/<stack>/resources.json and files/. With --policy it also runs the policy pack (policy/)
// over the synthesized resources.
import * as fs from "node:fs";
import * as path from "node:path";
import { badUsage, EXIT, EXIT_TABLE, Io, main, parseOptions, runCli, UsageError } from "../release/cli";
import { evaluate, REPO_ROOT } from "../synth/evaluate";
import { renderServiceTable } from "../synth/table";
import { renderTree, writeSynth } from "../synth/write";
import { packEnvironment } from "../policy/environment";
import { renderReport, runPolicies, type PackConfig } from "../policy/offline";

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

async function runSynth(argv: string[], io: Io): Promise<number> {
  return runCli(io, SYNTH_USAGE, async () => {
    const { values: args } = parseOptions(argv, {
      stack: { type: "string" },
      config: { type: "string" },
      out: { type: "string", default: path.join(REPO_ROOT, ".synth") },
      quiet: { type: "boolean", default: false },
      policy: { type: "boolean", default: false },
      "policy-config": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    });
    if (args.help) {
      io.out(SYNTH_USAGE);
      return EXIT.ok;
    }
    if (!args.stack) throw badUsage("--stack is required");
    let packConfig: PackConfig = {};
    if (args["policy-config"]) {
      if (!args.policy) throw badUsage("--policy-config needs --policy");
      try {
        packConfig = JSON.parse(fs.readFileSync(path.resolve(args["policy-config"]), "utf8")) as PackConfig;
      } catch (error) {
        throw new UsageError(`--policy-config ${args["policy-config"]}: ${(error as Error).message}`);
      }
    }

    let evaluation;
    try {
      evaluation = await evaluate({ stack: args.stack, configFile: args.config && path.resolve(args.config) });
    } catch (error) {
      // A config error (or a missing stack file) writes nothing; its message lists every problem.
      throw new UsageError((error as Error).message);
    }

    if (evaluation.notices.length > 0) io.err(evaluation.notices.map((notice) => `note: ${notice}`).join("\n"));
    if (!args.quiet) {
      io.out(`Stack ${args.stack}: resources as \`pulumi preview\` would register them\n`);
      io.out(renderTree(evaluation.records));
      io.out(`\nServices of stack ${args.stack}:\n`);
      io.out(renderServiceTable(evaluation.records));
    }
    const { resourcesPath, files } = writeSynth(args.out, evaluation);
    io.out(`\n${evaluation.records.length} resources; ${files} uploaded files; wrote ${path.relative(process.cwd(), resourcesPath)}`);
    if (!args.policy) return EXIT.ok;

    // The evaluation put the stack's config where the CLI puts it for a policy pack.
    const { environment, source } = packEnvironment(process.env);
    const report = runPolicies(evaluation.records, environment, packConfig);
    io.out(`\n${renderReport(report)}\n(${environment} rules from ${source})`);
    return report.violations.some((v) => v.enforcement === "mandatory") ? EXIT.failed : EXIT.ok;
  });
}

main(runSynth);
