// What `npm run synth -- --stack <name> [--config <file>] [--out <dir>] [--policy [--policy-config <file>]]`
// does (scripts/synth.ts loads it once the flags parsed; they are in scripts/synth.usage.ts).
// Evaluates the program for a stack under Pulumi's mock runtime (no backend, Docker or
// credentials), prints the resource tree and a table per service, and writes
// .synth/<stack>/resources.json and files/. With --policy it also runs the policy pack (policy/)
// over the synthesized resources.
import * as fs from "node:fs";
import * as path from "node:path";
import { badUsage, EXIT, Io, runCommand, UsageError } from "../release/cli";
import { evaluate, requireProgram, stackConfigEnvironment, withoutStackTraces, type EvaluateOptions, type Evaluation } from "../synth/evaluate";
import { renderServiceTable } from "../synth/table";
import { renderTree, writeSynth } from "../synth/write";
import { packEnvironment } from "../policy/environment";
import { renderReport, runPolicies, type PackConfig } from "../policy/offline";
import { SYNTH } from "./synth.usage";

export { SYNTH_USAGE } from "./synth.usage";

/** What runSynth evaluates with: scripts/synth.ts uses the defaults. */
export interface SynthDeps {
  /**
   * Evaluates the program for the options: by default evaluate() in this process (once per process;
   * the program through require(), as the command runs under tsx's CommonJS hooks; no stack traces).
   * Tests pass synthesize() from synth/index.ts (a synth server, evaluations shared within a run).
   */
  evaluate?: (options: EvaluateOptions) => Promise<Evaluation>;
}

/** evaluate() in this process, without stack traces: its errors become usage errors, by their message (below). */
async function evaluateHere(options: EvaluateOptions): Promise<Evaluation> {
  const restoreStackTraces = withoutStackTraces();
  try {
    return await evaluate(options, requireProgram);
  } finally {
    restoreStackTraces();
  }
}

export async function runSynth(argv: string[], io: Io, deps: SynthDeps = {}): Promise<number> {
  const evaluateStack = deps.evaluate ?? evaluateHere;
  return runCommand(io, SYNTH, argv, async ({ values: args }) => {
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

    const options: EvaluateOptions = { stack: args.stack, configFile: args.config && path.resolve(args.config) };
    let evaluation;
    let stackConfig;
    try {
      // What evaluate() reads first, read here first: a missing or unreadable stack file is
      // answered before an evaluation starts, and the policy pack below gets the same config.
      stackConfig = stackConfigEnvironment(options);
      evaluation = await evaluateStack(options);
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

    // The pack sees the stack's config where the CLI puts it for a policy pack: the environment the
    // evaluation ran in (evaluate() in this process installed the same; a synth server's is its own).
    const { environment, source } = packEnvironment({ ...process.env, ...stackConfig.env });
    const report = runPolicies(evaluation.records, environment, packConfig);
    io.out(`\n${renderReport(report)}\n(${environment} rules from ${source})`);
    return report.violations.some((v) => v.enforcement === "mandatory") ? EXIT.failed : EXIT.ok;
  });
}
