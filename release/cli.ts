// Shared plumbing of the release CLIs (promote, rollback, drift-report): exit codes, output
// sinks that tests can capture, and the option parsing conventions.
//
// Light on purpose: scripts/*.ts load it (and each command's `*.usage.ts`) to answer --help and
// usage errors before they import the command's implementation. It imports node built-ins only.
import { parseArgs, ParseArgsConfig } from "node:util";

/**
 * One table of exit codes for every command of the project (synth, bench, promote, rollback,
 * drift-report, restore, the e2e), so CI and people read every status the same way.
 */
export const EXIT = {
  /** Done, or nothing to do. */
  ok: 0,
  /** The command ran and the answer is no: a gate failed, drift was found, a mandatory policy was violated, a check failed. */
  failed: 1,
  /** No answer could be had: no or too little data, input that is not a preview, a preview that failed. */
  inconclusive: 2,
  /** A usage or configuration error: nothing was done. */
  usage: 3,
  /** A server the command needs could not be reached (Prometheus, MongoDB, Docker): nothing was decided. */
  unreachable: 4,
  /** A bug: an unexpected exception, printed with its stack. */
  internal: 70,
} as const;

/** The table as the README and every --help print it. */
export const EXIT_TABLE = `Exit codes (shared by every command):
  0  done, or nothing to do
  1  the answer is no: a gate failed, drift found, a mandatory policy violated, a check failed
  2  inconclusive: no or too little data, the input is not a preview, the preview failed
  3  usage or configuration error: nothing was done
  4  a server it needs could not be reached (Prometheus, MongoDB, Docker): nothing was decided
  70 internal error (a bug): the message and stack are printed`;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
};

/** A usage or configuration problem: the CLI prints it and exits 3. */
export class UsageError extends Error {
  /** Whether the usage text helps (a bad option) or only buries the message (an invalid file). */
  showUsage = false;

  constructor(message: string, readonly details: string[] = []) {
    super(message);
    this.name = "UsageError";
  }
}

/** A UsageError that prints the usage text after the message. */
export function badUsage(message: string): UsageError {
  const error = new UsageError(message);
  error.showUsage = true;
  return error;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs in strict mode, its errors turned into one-line UsageErrors (exit 3, never a stack trace). */
export function parseOptions<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    const err = error as Error & { code?: string };
    // node's own wording runs to three sentences; the flag and what is wrong with it is enough.
    const flag = /'(-[^']*)'/.exec(err.message)?.[1];
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) throw badUsage(`unknown option ${flag}`);
    if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) throw badUsage(`option ${flag.split(",")[0].trim()} ${/argument missing/.test(err.message) ? "needs a value" : "takes no value"}`);
    if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw badUsage(`unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ""}`.trim());
    throw badUsage(err.message.split("\n")[0]);
  }
}

/**
 * A command's flags, apart from what the command does: its --help text and its parseArgs options.
 * Each command has one, in a light `*.usage.ts` module beside its implementation (node built-ins
 * and release/cli.ts only), so that scripts/<command>.ts can answer --help and usage errors before
 * it loads the implementation; the implementation's run function parses with the same entry.
 */
export interface CommandSpec<T extends Options = Options> {
  /** The --help text (names `npm run <command>`, which the usage errors point at). */
  usage: string;
  options: T;
  /** Whether it takes positional arguments. */
  allowPositionals?: boolean;
  /** Checks of the parsed arguments alone that come before --help (throw badUsage). */
  check?(parsed: { positionals: string[] }): void;
}

/** A catalog entry, typed by its options (so that the parsed values keep their types). */
export function defineCommand<T extends Options>(spec: CommandSpec<T>): CommandSpec<T> {
  return spec;
}

/** parseOptions with a command's spec, then the spec's own checks. */
export function parseCommand<T extends Options>(spec: CommandSpec<T>, argv: string[]) {
  const parsed = parseOptions(argv, spec.options, spec.allowPositionals ?? false);
  spec.check?.(parsed);
  return parsed;
}

/** The `npm run <command>` a usage text is for, to point at its --help. */
function commandOf(usage: string): string {
  return /npm run (\S+)/.exec(usage)?.[1] ?? "<command>";
}

/** Prints a UsageError: one line for a bad option (and where the options are listed); the details, when a file did not validate. */
export function printUsageError(io: Io, usage: string, error: UsageError): void {
  io.err(`error: ${error.message}${error.showUsage ? ` (npm run ${commandOf(usage)} -- --help lists the options)` : ""}`);
  for (const line of error.details) io.err(`  ${line}`);
}

/** Runs a CLI body and maps thrown UsageErrors to exit 3; anything else is a bug and rethrown. */
export async function runCli(io: Io, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      printUsageError(io, usage, error);
      return EXIT.usage;
    }
    throw error;
  }
}

/**
 * A command's run function: parses `argv` with its spec, answers --help with the usage (exit 0),
 * maps UsageErrors to exit 3 (runCli) and otherwise runs `body` with the parsed arguments.
 */
export function runCommand<T extends Options>(
  io: Io,
  spec: CommandSpec<T>,
  argv: string[],
  body: (parsed: ReturnType<typeof parseCommand<T>>) => Promise<number>,
): Promise<number> {
  return runCli(io, spec.usage, async () => {
    const parsed = parseCommand(spec, argv);
    if ((parsed.values as { help?: unknown }).help === true) {
      io.out(spec.usage);
      return EXIT.ok;
    }
    return body(parsed);
  });
}

/**
 * What a command answers from its spec alone: --help prints the usage (exit 0), a usage error its
 * line (exit 3), as the implementation would. Undefined when the implementation has to run (it
 * parses the same arguments with the same spec again).
 */
export function answerFromSpec(spec: CommandSpec, argv: string[], io: Io): number | undefined {
  try {
    const { values } = parseCommand(spec, argv);
    if (values.help !== true) return undefined;
    io.out(spec.usage);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printUsageError(io, spec.usage, error);
    return EXIT.usage;
  }
}

/**
 * Entry used by scripts/*.ts: sets the exit code instead of calling process.exit, so output is
 * flushed. An unexpected exception exits with `crashCode` (a code that never means "success" or
 * "gate failed" to the caller).
 */
export function main(run: (argv: string[], io: Io) => Promise<number>, crashCode: number = EXIT.internal): void {
  run(process.argv.slice(2), processIo).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = crashCode;
    },
  );
}

/**
 * main() for scripts/<command>.ts: answers --help and usage errors from the command's spec, and
 * only then loads the implementation (`load`, a `require()`: the commands run under tsx's
 * CommonJS hooks, `node --require tsx/cjs`, which serve no `import()` of TypeScript) and runs it
 * with the same arguments. A --help costs node and the spec, not the Pulumi SDK, zod, dockerode or mongodb.
 */
export function mainLazily(spec: CommandSpec, load: () => (argv: string[], io: Io) => Promise<number>, crashCode: number = EXIT.internal): void {
  // A load that throws (a module that does not load) reaches main()'s crash handler: this is async.
  main(async (argv, io) => answerFromSpec(spec, argv, io) ?? load()(argv, io), crashCode);
}
