// Reading resource properties the way both runners present them. In the engine, props are the
// inputs (resource policies) or outputs (stack policies) with secrets unwrapped to plaintext, and
// a value unknown during preview throws when read; offline (synth records) secrets read
// "[secret]" and unknowns "[unknown]". Policies read through these helpers so both behave alike.
import type { PolicyResource } from "@pulumi/policy";
import { LABELS, SECRET_DIR, SECRET_MARK, UNKNOWN_MARK } from "./facts";

/** Marks a value that cannot be read yet (unknown during preview). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Maybe<T> = T | typeof UNKNOWN;

/** The engine's proxy throws this (an internal class of @pulumi/policy) when an unknown is read. */
const isUnknownError = (error: unknown) => error instanceof Error && error.constructor.name === "UnknownValueError";

/** Reads `read()`, or UNKNOWN if the value is not known yet. */
export function known<T>(read: () => T): Maybe<T> {
  try {
    const value = read();
    return (value as unknown) === UNKNOWN_MARK ? UNKNOWN : value;
  } catch (error) {
    if (isUnknownError(error)) return UNKNOWN;
    throw error;
  }
}

export type Props = Record<string, any>;

export interface Label {
  label: string;
  value: string;
}

/** The value of a container's label, or undefined (labels are a list of {label, value}). */
export function label(props: Props, name: string): string | undefined {
  const labels = known(() => props.labels as Label[] | undefined);
  if (labels === UNKNOWN || !Array.isArray(labels)) return undefined;
  for (let i = 0; i < labels.length; i++) {
    const entry = known(() => labels[i]);
    if (entry === UNKNOWN) continue;
    if (known(() => entry.label) === name) {
      const value = known(() => entry.value);
      return value === UNKNOWN ? undefined : value;
    }
  }
  return undefined;
}

export const serviceOf = (props: Props) => label(props, LABELS.service);

export interface EnvEntry {
  /** The raw entry, "KEY=value"; UNKNOWN during preview when it interpolates a computed value. */
  raw: Maybe<string>;
  key?: string;
  value?: string;
  /** Offline only: the whole entry is a secret ("[secret]"), its name hidden. */
  secret: boolean;
}

/** A container's `envs` ("KEY=value" strings), each read safely. */
export function envEntries(props: Props): EnvEntry[] {
  const envs = known(() => props.envs as string[] | undefined);
  if (envs === UNKNOWN || !Array.isArray(envs)) return [];
  const out: EnvEntry[] = [];
  for (let i = 0; i < envs.length; i++) {
    const raw = known(() => envs[i]);
    if (raw === UNKNOWN) {
      out.push({ raw, secret: false });
      continue;
    }
    if (raw === SECRET_MARK) {
      out.push({ raw, secret: true });
      continue;
    }
    const at = raw.indexOf("=");
    out.push({ raw, key: at < 0 ? raw : raw.slice(0, at), value: at < 0 ? "" : raw.slice(at + 1), secret: false });
  }
  return out;
}

/** The value of one environment variable (known, not secret), or undefined. */
export function envValue(props: Props, key: string): string | undefined {
  return envEntries(props).find((e) => e.key === key)?.value;
}

export interface Upload {
  file: string;
  /** Plain content; UNKNOWN for unknown or secret content. */
  content: Maybe<string>;
  permissions?: string;
  owner?: string;
  group?: string;
  /** Under SECRET_DIR, or (offline) content "[secret]". */
  secret: boolean;
}

/** A container's uploads; never reads the content of a secret file. */
export function uploads(props: Props): Upload[] {
  const list = known(() => props.uploads as Props[] | undefined);
  if (list === UNKNOWN || !Array.isArray(list)) return [];
  const out: Upload[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = known(() => list[i]);
    if (entry === UNKNOWN) continue;
    const file = known(() => entry.file as string);
    if (file === UNKNOWN || typeof file !== "string") continue;
    const str = (key: string) => {
      const v = known(() => entry[key]);
      return v === UNKNOWN || v === undefined || v === null ? undefined : String(v);
    };
    const underSecrets = file.startsWith(SECRET_DIR);
    const content = underSecrets ? UNKNOWN : known(() => entry.content as string);
    const secret = underSecrets || content === SECRET_MARK;
    out.push({
      file,
      content: secret ? UNKNOWN : content,
      permissions: str("permissions"),
      owner: str("owner"),
      group: str("group"),
      secret,
    });
  }
  return out;
}

/** The plain content of the upload at `path`, or undefined. */
export function fileContent(props: Props, path: string): string | undefined {
  const upload = uploads(props).find((u) => u.file === path);
  return upload && upload.content !== UNKNOWN && typeof upload.content === "string" ? upload.content : undefined;
}

/** A container's command as strings (unknown items dropped). */
export function commandOf(props: Props): string[] {
  const command = known(() => props.command as string[] | undefined);
  if (command === UNKNOWN || !Array.isArray(command)) return [];
  const out: string[] = [];
  for (let i = 0; i < command.length; i++) {
    const item = known(() => command[i]);
    if (item !== UNKNOWN && typeof item === "string") out.push(item);
  }
  return out;
}

/** The value of `--flag=value` (or `--flag value`) in a command, or undefined. */
export function flagValue(command: string[], flag: string): string | undefined {
  for (let i = 0; i < command.length; i++) {
    if (command[i].startsWith(`${flag}=`)) return command[i].slice(flag.length + 1);
    if (command[i] === flag && i + 1 < command.length) return command[i + 1];
  }
  return undefined;
}

/** A human name for a resource in messages. */
export const describeResource = (r: Pick<PolicyResource, "name" | "type">) => `${r.type} ${r.name}`;

/** Prometheus duration ("30d", "1w2d", "720h") in days; undefined when it does not parse. */
export function durationDays(text: string): number | undefined {
  const units: Record<string, number> = { y: 365, w: 7, d: 1, h: 1 / 24, m: 1 / 1440, s: 1 / 86400, ms: 1 / 86_400_000 };
  const re = /(\d+)(ms|y|w|d|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(re)) {
    total += Number(match[1]) * units[match[2]];
    consumed += match[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}
