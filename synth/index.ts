// Evaluates a stack in a child process (the Pulumi runtime is process-global) and returns the
// records, so tests can evaluate several stacks and configs from one file.
import { type ChildProcess, execFile, fork } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EvaluateOptions, Evaluation, ResourceRecord } from "./evaluate";
import type { SynthReply, SynthRequest } from "./server";

import { LABEL_PREFIX } from "../facts/services";

export type { EvaluateOptions, Evaluation, ResourceRecord } from "./evaluate";

/** A container record's `org.enrichment.<name>` label, or undefined. */
export function labelOf(record: ResourceRecord, name: string): string | undefined {
  const labels = record.inputs.labels as { label: string; value: string }[] | undefined;
  return labels?.find((l) => l.label === `${LABEL_PREFIX}.${name}`)?.value;
}

const REPO_ROOT = path.resolve(__dirname, "..");
/**
 * Node's flags that load TypeScript as `npm run <command>` does (package.json: `node --require
 * tsx/cjs`): tsx's CommonJS hooks only. The program and the commands are CommonJS; tsx's ESM loader
 * (`--import tsx`, and the `tsx` launcher) added a hooks thread and a third of a CPU-second to every
 * process it started.
 */
export const TSX_LOADER = ["--require", require.resolve("tsx/cjs", { paths: [REPO_ROOT] })];

export class SynthError extends Error {}

export interface SynthStats {
  /** Milliseconds the evaluation took, process start-up excluded. */
  wallMs: number;
  peakHeapBytes: number;
}

/**
 * A folder where identical evaluations are shared for the length of one test run (tests/globalSetup.ts
 * makes it and removes it): the program is deterministic under the synth's mocks, so the same
 * options give the same records, and the suites evaluate the shipped stacks many times.
 */
export const SYNTH_CACHE_ENV = "ENRICHMENT_SYNTH_CACHE";
/** Set when the program records the settings it reads (config/reads.ts): such a run is never shared. */
const READS_ENV = "ENRICHMENT_SETTINGS_READS";

/**
 * Evaluates in this process's long-lived synth server (synth/server.ts), sharing identical
 * evaluations within a test run. A run that records its settings reads (config/reads.ts) is never
 * shared: its point is the reading.
 */
export async function synthesize(options: EvaluateOptions): Promise<Evaluation> {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (!dir || process.env[READS_ENV] || !fs.existsSync(dir)) return server.evaluate(options);
  // A stack file by its content, not its path: suites write the same file to temporary paths of
  // their own, and an evaluation holds no path (the program reads the file's path only to read the
  // file again, config/fromEngine.ts). A missing file is its path: that evaluation fails, and is not kept.
  const { configFile, ...rest } = options;
  const stackFile = configFile === undefined ? "" : fs.existsSync(configFile) ? `content\0${fs.readFileSync(configFile, "utf8")}` : `missing\0${configFile}`;
  const key = createHash("sha256").update(JSON.stringify(rest)).update("\0").update(stackFile).digest("hex");
  const file = path.join(dir, `${key}.json`);
  const lock = `${file}.lock`;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as Evaluation;
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
    } catch {
      // Another suite is evaluating the same options: wait for its result.
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    try {
      const evaluation = await server.evaluate(options);
      fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify(evaluation));
      fs.renameSync(`${file}.${process.pid}`, file);
      return evaluation;
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
  return server.evaluate(options);
}

/**
 * Evaluations one server process serves before it is replaced. Its memory grows by about 45 MB per
 * evaluation (measured: 270 MB after one, 1.0 GB after 20, 1.3 GB after 30): the SDK's closure
 * serializer inspects the dynamic provider through an inspector session that holds every object it
 * was handed, and with them each evaluation's resource graph (why that is left: README, "Test
 * time"). So a server stays under about 1.1 GB, three of them (one per worker) under 3.5 GB. A
 * replacement costs about 3 CPU-s: 2.5 to start, and its first evaluation
 * runs at twice the cost of the next ones (measured on 2 cores, 2026-12-05).
 */
const EVALUATIONS_PER_SERVER = 20;
const EVALUATION_TIMEOUT_MS = 120_000;

/** This process's synth server: one request at a time, started on first use, replaced after a failure. */
class SynthServer {
  private child: ChildProcess | undefined;
  private served = 0;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  evaluate(options: EvaluateOptions): Promise<Evaluation> {
    const result = this.queue.then(() => this.request(options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private start(): ChildProcess {
    const child = fork(path.join(__dirname, "server.ts"), [], {
      cwd: REPO_ROOT,
      execPath: process.execPath,
      execArgv: TSX_LOADER,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    child.stderr?.setEncoding("utf8");
    // Idle, the server must not keep this process alive; exit() takes it down with this one.
    child.unref();
    child.channel?.unref();
    (child.stderr as unknown as { unref?(): void } | null)?.unref?.();
    const stop = () => child.kill();
    process.once("exit", stop);
    child.once("exit", () => process.removeListener("exit", stop));
    this.served = 0;
    return child;
  }

  private retire(): void {
    this.child?.disconnect?.();
    this.child?.kill();
    this.child = undefined;
  }

  private request(options: EvaluateOptions): Promise<Evaluation> {
    if (!this.child || this.child.exitCode !== null || !this.child.connected || this.served >= EVALUATIONS_PER_SERVER) {
      this.retire();
      this.child = this.start();
    }
    const child = this.child;
    this.served += 1;
    const id = this.nextId++;
    let stderr = "";
    const onStderr = (chunk: string) => (stderr = (stderr + chunk).slice(-20_000));
    child.stderr?.on("data", onStderr);
    child.channel?.ref();
    return new Promise<Evaluation>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        child.stderr?.removeListener("data", onStderr);
        child.removeListener("message", onMessage);
        child.removeListener("exit", onExit);
        child.channel?.unref();
      };
      const onMessage = (reply: SynthReply) => {
        if (reply.id !== id) return;
        done();
        if (reply.ok) return resolve(reply.evaluation);
        // Unless it serves on, the server exits after a failure; the next request starts another.
        if (!reply.servesOn) this.child = undefined;
        reject(new SynthError(reply.message));
      };
      const onExit = (code: number | null, signal: string | null) => {
        done();
        this.child = undefined;
        reject(new SynthError(`synth server exited (${signal ?? `code ${code}`}) during an evaluation\n${stderr}`));
      };
      const timer = setTimeout(() => {
        done();
        this.retire();
        reject(new SynthError(`synth evaluation took more than ${EVALUATION_TIMEOUT_MS / 1000} s`));
      }, EVALUATION_TIMEOUT_MS);
      child.on("message", onMessage);
      child.once("exit", onExit);
      const request: SynthRequest = { id, options, env: { ...process.env } as Record<string, string> };
      child.send(request);
    });
  }
}

const server = new SynthServer();

/** Evaluates in this process's synth server without the run's shared results (tests/synth.server.test.ts). */
export function evaluateInServer(options: EvaluateOptions): Promise<Evaluation> {
  return server.evaluate(options);
}

/** Evaluates in a fresh process of its own (synth/child.ts) and measures it: `npm run bench`. */
export function synthesizeWithStats(options: EvaluateOptions): Promise<{ evaluation: Evaluation; stats: SynthStats }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...TSX_LOADER, path.join(__dirname, "child.ts"), JSON.stringify(options)],
      { cwd: REPO_ROOT, maxBuffer: 512 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        let parsed: { ok: boolean; evaluation?: Evaluation; stats?: SynthStats; message?: string };
        try {
          parsed = JSON.parse(stdout);
        } catch {
          reject(new SynthError(`synth child failed: ${error?.message ?? ""}\n${stderr}`));
          return;
        }
        if (parsed.ok && parsed.evaluation && parsed.stats) resolve({ evaluation: parsed.evaluation, stats: parsed.stats });
        else reject(new SynthError(parsed.message ?? "synth failed"));
      },
    );
  });
}

/** Small queries over records, shared by tests. */
export class Graph {
  constructor(readonly records: ResourceRecord[]) {}

  ofType(type: string): ResourceRecord[] {
    return this.records.filter((r) => r.type === type);
  }

  byName(type: string, name: string): ResourceRecord {
    const found = this.records.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} named ${name}; have: ${this.ofType(type).map((r) => r.name).join(", ")}`);
    return found;
  }

  byUrn(urn: string): ResourceRecord | undefined {
    return this.records.find((r) => r.urn === urn);
  }

  /** Every URN the resource waits for, directly or through what it waits for and its parents. */
  transitiveDependencies(urn: string): Set<string> {
    const seen = new Set<string>();
    const visit = (u: string) => {
      const record = this.byUrn(u);
      if (!record) return;
      const next = [...record.dependsOn];
      for (const dep of next) {
        // Waiting on a component means waiting on all its children.
        for (const child of this.descendants(dep)) next.push(child);
      }
      for (const dep of next) {
        if (seen.has(dep)) continue;
        seen.add(dep);
        visit(dep);
      }
      if (record.parent) visit(record.parent);
    };
    visit(urn);
    return seen;
  }

  descendants(urn: string): string[] {
    const out: string[] = [];
    for (const record of this.records) if (record.parent === urn) out.push(record.urn, ...this.descendants(record.urn));
    return out;
  }
}
