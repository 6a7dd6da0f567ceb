// A child process to its end, as every long command here is waited for (the rollout's pulumi
// engine, and the e2e's CLI and rollout runs): its exit code even when a process it started
// outlives it and holds its output open (then 'close' would never come), and an optional deadline
// that interrupts it (SIGINT: Pulumi cancels cleanly), then kills it.
import type { ChildProcess } from "node:child_process";

export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The deadline passed (the child was interrupted). */
  timedOut: boolean;
  /** It could not start, or its process failed ('error'). */
  error?: NodeJS.ErrnoException;
}

export interface ChildEndOptions {
  /** Past it: onTimeout, then stop("SIGINT"); `killAfterMs` later, onKill and stop("SIGKILL"). */
  timeoutMs?: number;
  /** Default 60 s. */
  killAfterMs?: number;
  /** After 'exit', how long to wait for 'close' before the pipes are let go (default 10 s). */
  outputGraceMs?: number;
  /** How to signal the child (default: child.kill; the e2e signals its whole process tree). */
  stop?(signal: NodeJS.Signals): void;
  onTimeout?(): void;
  onKill?(): void;
  /** Before the pipes are let go: the child exited, a process it started still holds them. */
  onLinger?(): void;
}

export function childEnd(child: ChildProcess, options: ChildEndOptions = {}): Promise<ChildEnd> {
  const stop = options.stop ?? ((signal: NodeJS.Signals) => void child.kill(signal));
  return new Promise((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    let timedOut = false;
    const finish = (end: Omit<ChildEnd, "timedOut">) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      resolve({ ...end, timedOut });
    };
    if (options.timeoutMs) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          options.onTimeout?.();
          stop("SIGINT");
          timers.push(
            setTimeout(() => {
              options.onKill?.();
              stop("SIGKILL");
            }, options.killAfterMs ?? 60_000),
          );
        }, options.timeoutMs),
      );
    }
    child.on("error", (error: NodeJS.ErrnoException) => finish({ code: null, signal: null, error }));
    child.on("exit", (code, signal) => {
      timers.push(
        setTimeout(() => {
          options.onLinger?.();
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish({ code, signal });
        }, options.outputGraceMs ?? 10_000),
      );
      child.once("close", () => finish({ code, signal }));
    });
  });
}
