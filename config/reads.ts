// Which settings a run of the program actually reads. A setting that is validated but never read
// is accepted and ignored, which issue 11 forbids: tests/config.reads.test.ts evaluates the
// program with this tracking on and refuses any schema leaf nobody reads.
import * as fs from "node:fs";
import type { z } from "zod";
import { unwrap } from "./keys";

/** Set to a file path to record every settings path the program reads (one JSON array per run). */
export const READS_ENV = "ENRICHMENT_SETTINGS_READS";

/** Wraps `value` so that every property read (and every enumeration) is reported by path. */
export function trackReads<T extends object>(value: T, onRead: (path: string) => void, at = ""): T {
  return new Proxy(value, {
    get(target, prop, receiver) {
      const result = Reflect.get(target, prop, receiver);
      if (typeof prop === "symbol" || typeof result === "function") return result;
      const path = Array.isArray(target) ? `${at}[]` : at ? `${at}.${prop}` : prop;
      if (!(Array.isArray(target) && prop === "length")) onRead(path);
      return result !== null && typeof result === "object" ? trackReads(result as object, onRead, path) : result;
    },
    ownKeys(target) {
      onRead(at ? `${at}.*` : "*");
      return Reflect.ownKeys(target);
    },
  });
}

/**
 * The process event after which an evaluation's reads are complete: synth/server.ts emits it after
 * each evaluation, as a one-evaluation process's exit would end it.
 */
export const EVALUATION_DONE_EVENT = "enrichment:evaluation-done";

/** Tracks reads of `settings` when READS_ENV is set; writes them (one line) when the evaluation ends. */
export function recordReadsIfAsked<T extends object>(settings: T): T {
  const file = process.env[READS_ENV];
  if (!file) return settings;
  const reads = new Set<string>();
  const write = () => {
    process.removeListener("exit", write);
    process.removeListener(EVALUATION_DONE_EVENT, write);
    fs.appendFileSync(file, `${JSON.stringify([...reads])}\n`);
  };
  process.once("exit", write);
  process.once(EVALUATION_DONE_EVENT, write);
  return trackReads(settings, (path) => reads.add(path));
}

type AnySchema = z.core.$ZodType;

/**
 * The settings a stack can set, as paths: objects are walked into; anything else (a value, a
 * list, a map keyed by service or flag) is one leaf.
 */
export function settingLeaves(schema: AnySchema, at = ""): string[] {
  const current = unwrap(schema);
  const def = current._zod.def as { type: string; shape?: Record<string, AnySchema> };
  if (def.type !== "object" || !def.shape) return [at];
  return Object.entries(def.shape).flatMap(([key, child]) => settingLeaves(child, at ? `${at}.${key}` : key));
}

/** Whether a leaf counts as read: read itself, or something inside it read or enumerated. */
export function leafIsRead(leaf: string, reads: ReadonlySet<string>): boolean {
  if (reads.has(leaf)) return true;
  for (const read of reads) if (read.startsWith(`${leaf}.`) || read.startsWith(`${leaf}[]`)) return true;
  return false;
}
