// Shared by the policy tests: synthesized stacks, one-record mutations, and the violations of one
// policy. The pack's entry point (policy/index.ts) is never imported here: it starts a server.
import type { ResourceRecord } from "../synth";
import { runPolicies, type PackConfig, type Violation } from "../policy/offline";
import type { Environment } from "../policy/types";

export const CONTAINER = "docker:index/container:Container";

/** A deep copy of `records` with `mutate` applied to the one record named `name` (of `type`). */
export function mutate(records: ResourceRecord[], type: string, name: string, change: (record: ResourceRecord) => void): ResourceRecord[] {
  const copy = structuredClone(records);
  const matches = copy.filter((r) => r.type === type && r.name === name);
  if (matches.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${matches.length}`);
  change(matches[0]!);
  return copy;
}

export const inputs = (record: ResourceRecord) => record.inputs as Record<string, any>;

export function find(records: ResourceRecord[], type: string, name: string): ResourceRecord {
  const found = records.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
}

/** Violations of `policy` (optionally only those about the resource `name`). */
export function violations(records: ResourceRecord[], environment: Environment, policy: string, name?: string, config?: PackConfig): Violation[] {
  return runPolicies(records, environment, config).violations.filter((v) => v.policy === policy && (name === undefined || v.name === name));
}

/** Sets a container label (adding it when missing). */
export function setLabel(record: ResourceRecord, label: string, value: string) {
  const labels = inputs(record).labels as { label: string; value: string }[];
  const existing = labels.find((l) => l.label === label);
  if (existing) existing.value = value;
  else labels.push({ label, value });
}

/** The content of one upload of a container record. */
export function upload(record: ResourceRecord, file: string): { file: string; content: string; [key: string]: unknown } {
  const found = (inputs(record).uploads as { file: string; content: string }[]).find((u) => u.file === file);
  if (!found) throw new Error(`${record.name} has no upload ${file}`);
  return found;
}
