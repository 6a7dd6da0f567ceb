// Evaluates a stack in a child process (the Pulumi runtime is process-global) and returns the
// records, so tests can evaluate several stacks and configs from one file.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EvaluateOptions, Evaluation, ResourceRecord } from "./evaluate";

import { LABEL_PREFIX } from "../facts/services";

export type { EvaluateOptions, Evaluation, ResourceRecord } from "./evaluate";

/** A container record's `org.enrichment.<name>` label, or undefined. */
export function labelOf(record: ResourceRecord, name: string): string | undefined {
  const labels = record.inputs.labels as { label: string; value: string }[] | undefined;
  return labels?.find((l) => l.label === `${LABEL_PREFIX}.${name}`)?.value;
}

const REPO_ROOT = path.resolve(__dirname, "..");
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

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

export async function synthesize(options: EvaluateOptions): Promise<Evaluation> {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (!dir || process.env[READS_ENV] || !fs.existsSync(dir)) return (await synthesizeWithStats(options)).evaluation;
  const configText = options.configFile && fs.existsSync(options.configFile) ? fs.readFileSync(options.configFile, "utf8") : "";
  const key = createHash("sha256").update(JSON.stringify(options)).update("\0").update(configText).digest("hex");
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
      const evaluation = (await synthesizeWithStats(options)).evaluation;
      fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify(evaluation));
      fs.renameSync(`${file}.${process.pid}`, file);
      return evaluation;
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
  return (await synthesizeWithStats(options)).evaluation;
}

export function synthesizeWithStats(options: EvaluateOptions): Promise<{ evaluation: Evaluation; stats: SynthStats }> {
  return new Promise((resolve, reject) => {
    execFile(
      TSX,
      [path.join(__dirname, "child.ts"), JSON.stringify(options)],
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
