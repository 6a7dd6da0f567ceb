// The deployment engine as the rollout sees it: `up` and `preview` of a stack file. The real
// one is the Pulumi CLI (`pulumi up --yes --stack <s>`), run as a child process with the
// caller's path and environment (PULUMI_HOME, the backend, the passphrase: nothing here reads
// or sets a credential). The Automation API would need the same CLI underneath and adds nothing
// the two commands do not already give; tests hand the rollout a fake engine instead.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { childEnd } from "./childEnd";
import { humanDuration } from "./duration";

export interface EngineResult {
  ok: boolean;
  /** The process' exit code (null when it was killed or could not start). */
  code: number | null;
  /** The last part of the output, for a failure's report. */
  tail: string;
  seconds: number;
  /** Why it did not run or was stopped (no such command, timeout). */
  error?: string;
}

export interface Engine {
  /** One line naming the engine, for the output and the audit. */
  readonly description: string;
  /** Deploys the stack as the stack file says; `message` goes to the stack's update history. */
  up(stackFile: string, message: string): Promise<EngineResult>;
  /** What an `up` of this stack file would change (nothing is changed). */
  preview(stackFile: string): Promise<EngineResult>;
}

export interface PulumiCliOptions {
  stack: string;
  /** The Pulumi project (the directory of Pulumi.yaml): the CLI's working directory. */
  projectDir: string;
  /** The CLI to run (default `pulumi` on PATH). */
  command?: string;
  /** The CLI's environment (default: this process'). */
  env?: NodeJS.ProcessEnv;
  /** More arguments for every command (e.g. `--non-interactive` is always given; add `--color never`). */
  extraArgs?: readonly string[];
  /** Each chunk of the CLI's output as it comes (the rollout prints it on stderr). */
  onOutput?(text: string): void;
  /**
   * Per command. Past it the CLI gets SIGINT (Pulumi cancels the update and leaves the state
   * consistent), then SIGKILL if it has not exited after `killAfterMs`; the result is a failure
   * naming the timeout. Default: none (`pulumi up` waits for every healthcheck).
   */
  timeoutMs?: number;
  /** After SIGINT, how long the CLI may take to cancel before SIGKILL (default 60 s). */
  killAfterMs?: number;
  /**
   * After the CLI exits, how long to wait for its output to close (default 10 s). A process it
   * started that outlives it (a plugin, a command's child) can hold the pipe open for ever; the
   * result is then taken from the exit code and the output read so far.
   */
  outputGraceMs?: number;
}

const TAIL_CHARS = 4000;

/**
 * `--config-file` is given only when the stack file is not the project's own
 * `Pulumi.<stack>.yaml` (the e2e deploys a copy elsewhere).
 */
export function configFileArgs(projectDir: string, stack: string, stackFile: string): string[] {
  const own = path.resolve(projectDir, `Pulumi.${stack}.yaml`);
  return path.resolve(stackFile) === own ? [] : ["--config-file", path.resolve(stackFile)];
}

export function pulumiUpArgs(options: Pick<PulumiCliOptions, "stack" | "projectDir" | "extraArgs">, stackFile: string, message: string): string[] {
  return [
    "up",
    "--yes",
    // The rollout decided what changes; a second evaluation before the update only costs time.
    "--skip-preview",
    "--non-interactive",
    "--stack",
    options.stack,
    "--message",
    message,
    ...configFileArgs(options.projectDir, options.stack, stackFile),
    ...(options.extraArgs ?? []),
  ];
}

export function pulumiPreviewArgs(options: Pick<PulumiCliOptions, "stack" | "projectDir" | "extraArgs">, stackFile: string): string[] {
  return ["preview", "--diff", "--non-interactive", "--stack", options.stack, ...configFileArgs(options.projectDir, options.stack, stackFile), ...(options.extraArgs ?? [])];
}

async function run(options: PulumiCliOptions, args: string[]): Promise<EngineResult> {
  const command = options.command ?? "pulumi";
  const started = Date.now();
  let tail = "";
  const take = (text: string) => {
    tail = (tail + text).slice(-TAIL_CHARS);
    options.onOutput?.(text);
  };
  const child = spawn(command, args, { cwd: options.projectDir, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (chunk: Buffer) => take(chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => take(chunk.toString("utf8")));
  const killAfterMs = options.killAfterMs ?? 60_000;
  const timedOut = `${command} ${args[0]} did not finish within ${humanDuration((options.timeoutMs ?? 0) / 1000)}: cancelled`;
  const end = await childEnd(child, {
    timeoutMs: options.timeoutMs,
    killAfterMs,
    outputGraceMs: options.outputGraceMs,
    // Pulumi cancels an update cleanly on SIGINT and leaves the state consistent.
    onTimeout: () => take(`\n[${timedOut}: SIGINT sent]\n`),
    onKill: () => take(`\n[${command} ${args[0]} still running ${humanDuration(killAfterMs / 1000)} after SIGINT: SIGKILL sent]\n`),
    onLinger: () => take(`\n[${command} ${args[0]} exited, but a process it started kept its output open; stopped reading]\n`),
  });
  const seconds = (Date.now() - started) / 1000;
  if (end.error) {
    const error = end.error.code === "ENOENT" ? `${command}: not found (give the Pulumi CLI with --pulumi <path> or put it on PATH)` : end.error.message;
    return { ok: false, code: null, error, tail, seconds };
  }
  if (end.timedOut) return { ok: false, code: end.code, error: timedOut, tail, seconds };
  return { ok: end.code === 0, code: end.code, ...(end.signal ? { error: `${command} ${args[0]} was stopped by ${end.signal}` } : {}), tail, seconds };
}

/** The Pulumi CLI as the rollout's engine. */
export function pulumiCli(options: PulumiCliOptions): Engine {
  const command = options.command ?? "pulumi";
  return {
    description: `${command} (stack ${options.stack}, project ${options.projectDir})`,
    up: (stackFile, message) => run(options, pulumiUpArgs(options, stackFile, message)),
    preview: (stackFile) => run(options, pulumiPreviewArgs(options, stackFile)),
  };
}
