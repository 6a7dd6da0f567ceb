// Reads a Pulumi.<stack>.yaml file into the raw shape the program receives from Pulumi, so that
// offline tools (synth, promote, rollback) validate a stack file with the same schema.
import * as fs from "node:fs";
import * as YAML from "yaml";
import { PROJECT } from "./schema";
import { collectRawConfig, type RawConfig } from "./load";
import { readerProblems } from "./yamlReaders";

export class StackFileError extends Error {}

export interface StackFile {
  path: string;
  /** The parsed YAML document (comments and order kept) for tools that edit the file. */
  document: YAML.Document;
  raw: RawConfig;
  /** Keys outside the program's namespace (providers', or typos the program refuses), as written. */
  otherKeys: Record<string, unknown>;
}

/** `secure:` values are kept as this placeholder: offline tools never decrypt anything. */
export const SECRET_PLACEHOLDER = (key: string) => `[secret:${key}]`;

export function parseStackFile(text: string, path = "<stack file>"): StackFile {
  const document = YAML.parseDocument(text, { keepSourceTokens: false });
  if (document.errors.length > 0) {
    // The first error is the cause; the parser's later ones (a tab breaks the lines after it) follow from it.
    const [first] = document.errors;
    throw new StackFileError(`${path}: not valid YAML: ${first.message.split("\n")[0]}`);
  }
  const root = document.toJS() as { config?: Record<string, unknown> } | null;
  const shape = `a stack file is a mapping with one key, 'config:', holding '${PROJECT}:<setting>: value' entries`;
  if (!root || typeof root !== "object" || Array.isArray(root)) throw new StackFileError(`${path}: ${shape}`);
  if (!("config" in root)) {
    const keys = Object.keys(root);
    throw new StackFileError(`${path}: no 'config:' key at the top (found ${keys.map((k) => `'${k}'`).join(", ")}): ${shape}`);
  }
  const config = root.config;
  if (!config || typeof config !== "object" || Array.isArray(config)) throw new StackFileError(`${path}: 'config:' must be a mapping: ${shape}`);

  const isSecure = (value: unknown) => !!value && typeof value === "object" && !Array.isArray(value) && "secure" in value;
  // The engine hands the program every top-level value as a string (the program JSON-parses it:
  // config/fromEngine.ts), and the CLI writes top-level scalars back quoted (`pulumi config set` turns
  // `protectState: true` into "true"): read a top-level scalar the same way, so a file the CLI has
  // rewritten means the same here as under the engine.
  const asEngineReads = (value: unknown) => (value !== null && typeof value !== "object" ? engineScalar(String(value)) : value);
  const raw = collectRawConfig(
    Object.entries(config).map(([fullKey, value]) => ({
      fullKey,
      // Offline tools never decrypt: a secure value becomes a placeholder naming its key.
      value: isSecure(value) ? SECRET_PLACEHOLDER(fullKey.slice(fullKey.indexOf(":") + 1)) : asEngineReads(value),
      secret: isSecure(value),
    })),
  );
  // Values Pulumi's CLI would read otherwise than this reader: refused, with both readings.
  raw.problems = [...(raw.problems ?? []), ...readerProblems(text, PROJECT, document)];
  const otherKeys = Object.fromEntries(Object.entries(config).filter(([fullKey]) => !fullKey.startsWith(`${PROJECT}:`)));
  return { path, document, raw, otherKeys };
}

/** A top-level config string as the program reads it under the engine (config/fromEngine.ts parseValue). */
function engineScalar(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function readStackFile(path: string): StackFile {
  if (!fs.existsSync(path)) throw new StackFileError(`${path}: no such stack file`);
  return parseStackFile(fs.readFileSync(path, "utf8"), path);
}
