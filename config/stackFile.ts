// Reads a Pulumi.<stack>.yaml file into the raw shape the program receives from Pulumi, so that
// offline tools (synth, promote, rollback) validate a stack file with the same schema.
import * as fs from "node:fs";
import * as YAML from "yaml";
import { PROJECT } from "./schema";
import type { RawConfig } from "./load";

export class StackFileError extends Error {}

export interface StackFile {
  path: string;
  /** The parsed YAML document (comments and order kept) for tools that edit the file. */
  document: YAML.Document;
  raw: RawConfig;
}

/** `secure:` values are kept as this placeholder: offline tools never decrypt anything. */
export const SECRET_PLACEHOLDER = (key: string) => `[secret:${key}]`;

export function parseStackFile(text: string, path = "<stack file>"): StackFile {
  const document = YAML.parseDocument(text, { keepSourceTokens: false });
  if (document.errors.length > 0) {
    throw new StackFileError(`${path}: not valid YAML: ${document.errors.map((e) => e.message).join("; ")}`);
  }
  const root = document.toJS() as { config?: Record<string, unknown> } | null;
  if (!root || typeof root !== "object") throw new StackFileError(`${path}: expected a mapping with a 'config:' key`);
  const config = root.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) throw new StackFileError(`${path}: 'config:' must be a mapping`);

  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(config)) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace !== PROJECT || key === undefined) continue;
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      values[key] = SECRET_PLACEHOLDER(key);
      secretKeys.add(key);
    } else {
      values[key] = value;
    }
  }
  return { path, document, raw: { values, secretKeys } };
}

export function readStackFile(path: string): StackFile {
  if (!fs.existsSync(path)) throw new StackFileError(`${path}: no such stack file`);
  return parseStackFile(fs.readFileSync(path, "utf8"), path);
}
