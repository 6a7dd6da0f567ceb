// Shared plumbing of the release CLIs (promote, rollback, drift-report): exit codes, output
// sinks that tests can capture, and the option parsing conventions.
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

/** parseArgs in strict mode, its errors turned into one-line UsageErrors (exit 3, never a stack trace). */
export function parseOptions<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, allowPositionals = false) {
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

/** The `npm run <command>` a usage text is for, to point at its --help. */
function commandOf(usage: string): string {
  return /npm run (\S+)/.exec(usage)?.[1] ?? "<command>";
}

/** Runs a CLI body and maps thrown UsageErrors to exit 3; anything else is a bug and rethrown. */
export async function runCli(io: Io, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      // One line for a bad option (and where the options are listed); the details, when a file did not validate.
      io.err(`error: ${error.message}${error.showUsage ? ` (npm run ${commandOf(usage)} -- --help lists the options)` : ""}`);
      for (const line of error.details) io.err(`  ${line}`);
      return EXIT.usage;
    }
    throw error;
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
