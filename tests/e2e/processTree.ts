// The processes under a pid, read from /proc: what a step that overran its deadline was still
// running (for its report), and how to stop all of it (a step's command and what it started).
import * as fs from "node:fs";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** R running, S sleeping, D uninterruptible (often I/O or a hung mount), Z zombie, T stopped. */
  state: string;
  seconds: number;
  args: string;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function readProcess(pid: number, uptime: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid ... field 22 starttime; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    return {
      pid,
      ppid: Number(fields[1]),
      state: fields[0]!,
      seconds: Math.max(0, Math.round(uptime - Number(fields[19]) / TICKS_PER_SECOND)),
      args: args || `[${comm}]`,
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

export function allProcesses(): ProcessInfo[] {
  const uptime = Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProcess(Number(entry), uptime))
    .filter((p): p is ProcessInfo => p !== undefined);
}

/** `root` and every process below it, parents before children, each with its depth. */
export function processTree(root: number, all: ProcessInfo[] = allProcesses()): (ProcessInfo & { depth: number })[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: (ProcessInfo & { depth: number })[] = [];
  const visit = (p: ProcessInfo, depth: number) => {
    out.push({ ...p, depth });
    for (const child of children.get(p.pid) ?? []) visit(child, depth + 1);
  };
  const top = all.find((p) => p.pid === root);
  if (top) visit(top, 0);
  return out;
}

/** One line per process: pid, state, age and command, indented by depth. */
export function describeTree(root: number): string {
  const tree = processTree(root);
  if (!tree.length) return `(pid ${root} is gone)`;
  return tree.map((p) => `${"  ".repeat(p.depth)}${p.pid} ${p.state} ${p.seconds}s ${p.args.slice(0, 200)}`).join("\n");
}

/** Sends `signal` to `root` and everything below it; returns the pids it reached. */
export function signalTree(root: number, signal: NodeJS.Signals): number[] {
  const reached: number[] = [];
  for (const p of processTree(root)) {
    try {
      process.kill(p.pid, signal);
      reached.push(p.pid);
    } catch {
      // exited meanwhile
    }
  }
  return reached;
}
