// Where a rollout keeps what the next run must find: a state file, a lock and an audit file,
// all in one folder beside the stack file (`.rollout/` by default):
//
//   <stack>.state.json    the rollout in progress (or the last one): candidate, plan, phase, step
//   <stack>.lock          held while a rollout of the stack runs: pid, host, process start time
//   <stack>.audit.jsonl   every step, analysis and decision, one JSON object a line, never rewritten
//
// The state is written (through a temporary file and a rename) before each action it records,
// so a run killed at any point leaves a state the next run resumes from.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Release } from "../config/schema";
import type { PlannedStep, Pool } from "./rolloutPlan";

export const STATE_VERSION = 1;

/**
 * apply: write step `step` into the stack file and `up` it. wait: the step runs until
 * `analyseAt`. analyse: measure and decide. abort: canary to zero and `up`. completed and
 * aborted are final.
 */
export type Phase = "apply" | "wait" | "analyse" | "abort" | "completed" | "aborted";

export interface RolloutPlanRecord {
  steps: PlannedStep[];
  pools: Pool[];
  /** Analysis window; undefined: each step's pause. */
  windowSeconds?: number;
  margin: number;
  minDocuments: number;
  maxExtensions: number;
}

export interface RolloutState {
  version: typeof STATE_VERSION;
  /** `<stack>-<candidate>-<start time>`: names the rollout in the audit and the stack's history. */
  id: string;
  stack: string;
  stackFile: string;
  /** The release the stack ran when the rollout started (the stable track). */
  stable: Release;
  /** The full candidate release: it becomes `enrichment:release` at 100 %. */
  candidate: Release;
  /** Agents the stack's canary named at the start (their replicas are split too). */
  agents: string[];
  plan: RolloutPlanRecord;
  phase: Phase;
  /** Index into plan.steps. */
  step: number;
  startedAt: string;
  updatedAt: string;
  /** When the current step's `up` finished. */
  appliedAt?: string;
  /** When the current step's analysis is due. */
  analyseAt?: string;
  /** Inconclusive analyses of the current step so far. */
  extensions: number;
  /** Why the rollout is aborting or was aborted. */
  reason?: string;
  /** The exit code the reason maps to (1 failed, 2 inconclusive). */
  abortCode?: number;
  /** Analyses and decisions since the last `up`: the next update's message carries them to the stack's history. */
  pendingNotes: string[];
}

export interface RolloutFiles {
  dir: string;
  state: string;
  lock: string;
  audit: string;
}

export function rolloutFiles(dir: string, stack: string): RolloutFiles {
  return { dir, state: path.join(dir, `${stack}.state.json`), lock: path.join(dir, `${stack}.lock`), audit: path.join(dir, `${stack}.audit.jsonl`) };
}

export function defaultStateDir(stackFile: string): string {
  return path.join(path.dirname(path.resolve(stackFile)), ".rollout");
}

export function readState(files: RolloutFiles): RolloutState | undefined {
  if (!fs.existsSync(files.state)) return undefined;
  const text = fs.readFileSync(files.state, "utf8");
  let state: RolloutState;
  try {
    state = JSON.parse(text) as RolloutState;
  } catch {
    throw new Error(`${files.state}: not JSON; move it away to start over (the audit file keeps the history)`);
  }
  if (state.version !== STATE_VERSION) throw new Error(`${files.state}: state version ${state.version}, this command writes ${STATE_VERSION}`);
  return state;
}

export function writeState(files: RolloutFiles, state: RolloutState, now: Date): RolloutState {
  fs.mkdirSync(files.dir, { recursive: true });
  const next = { ...state, updatedAt: now.toISOString() };
  const temporary = `${files.state}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
  fs.renameSync(temporary, files.state);
  return next;
}

export type AuditEvent = Record<string, unknown> & { event: string };

/** Appends one line; a reader sees whole lines only (one write call per line). */
export function audit(files: RolloutFiles, rollout: string | undefined, at: Date, event: AuditEvent): void {
  fs.mkdirSync(files.dir, { recursive: true });
  fs.appendFileSync(files.audit, `${JSON.stringify({ at: at.toISOString(), ...(rollout ? { rollout } : {}), ...event })}\n`);
}

export function readAudit(files: RolloutFiles): (AuditEvent & { at: string; rollout?: string })[] {
  if (!fs.existsSync(files.audit)) return [];
  return fs
    .readFileSync(files.audit, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

// ---------------------------------------------------------------- the lock

export interface LockOwner {
  pid: number;
  host: string;
  /** The process' start time (/proc/<pid>/stat field 22), so a reused pid is not taken for the owner. */
  processStart?: string;
  since: string;
  command: string;
}

export interface ProcessProbe {
  host(): string;
  pid(): number;
  /** undefined where /proc is not available. */
  processStart(pid: number): string | undefined;
  alive(pid: number): boolean;
}

export const localProcesses: ProcessProbe = {
  host: () => os.hostname(),
  pid: () => process.pid,
  processStart(pid) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    } catch {
      return undefined;
    }
  },
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM";
    }
  },
};

export class LockHeld extends Error {
  constructor(
    message: string,
    readonly owner: LockOwner,
  ) {
    super(message);
    this.name = "LockHeld";
  }
}

export interface AcquiredLock {
  release(): void;
  /** The owner of a stale lock this acquisition replaced, if any. */
  replacedStale?: LockOwner;
  /** The owner of a lock --force-unlock removed, if any. */
  forced?: LockOwner;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

/** Whether the lock's owner is certainly gone: same host, and its pid is not running (or is another process now). */
export function isStale(owner: LockOwner, probe: ProcessProbe): boolean {
  if (owner.host !== probe.host()) return false;
  if (!probe.alive(owner.pid)) return true;
  const start = probe.processStart(owner.pid);
  return owner.processStart !== undefined && start !== undefined && start !== owner.processStart;
}

/**
 * Takes the stack's lock (O_EXCL create). A lock whose owner is certainly gone is replaced and
 * reported; one held by a live process, or by another host (which cannot be checked from
 * here), refuses with LockHeld unless `force`.
 */
export function acquireLock(files: RolloutFiles, command: string, probe: ProcessProbe, now: Date, force = false): AcquiredLock {
  fs.mkdirSync(files.dir, { recursive: true });
  const me: LockOwner = { pid: probe.pid(), host: probe.host(), processStart: probe.processStart(probe.pid()), since: now.toISOString(), command };
  let replacedStale: LockOwner | undefined;
  let forced: LockOwner | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(files.lock, `${JSON.stringify(me)}\n`, { flag: "wx" });
      let released = false;
      return {
        replacedStale,
        forced,
        release() {
          if (released) return;
          released = true;
          // Only our own lock: a --force-unlock by someone else may have replaced it.
          const owner = readOwner(files.lock);
          if (owner && owner.pid === me.pid && owner.host === me.host && owner.since === me.since) fs.rmSync(files.lock, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readOwner(files.lock);
    if (!owner) {
      // A lock being written right now, or a torn one: unreadable twice in a row is garbage.
      if (attempt === 0) continue;
      fs.rmSync(files.lock, { force: true });
      continue;
    }
    if (force) {
      forced = owner;
      fs.rmSync(files.lock, { force: true });
      continue;
    }
    if (isStale(owner, probe)) {
      replacedStale = owner;
      fs.rmSync(files.lock, { force: true });
      continue;
    }
    const where = owner.host === probe.host() ? `pid ${owner.pid}, still running` : `pid ${owner.pid} on host ${owner.host}, which cannot be checked from here`;
    throw new LockHeld(
      `another rollout of this stack holds ${files.lock} (${where}, since ${owner.since}: ${owner.command}). ` +
        `Two rollouts of one stack at once are refused. If that process is gone, run again with --force-unlock.`,
      owner,
    );
  }
  throw new Error(`could not take ${files.lock} after 3 attempts`);
}
