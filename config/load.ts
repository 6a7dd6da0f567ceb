// Validates a stack's configuration against the schema and returns typed settings plus the
// secrets. Pure: the program's reading from the Pulumi runtime is config/fromEngine.ts, and the
// release tools validate stack files with this module without loading the Pulumi SDK.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkConfigKey, closest, knownKeysAt } from "./keys";
import { PROJECT, SECRET_KEYS, SecretKey, Settings, SettingsSchema } from "./schema";

/** A validated stack. `Secret` is a Pulumi secret output in the program; the tools that only validate a file pass a placeholder. */
export interface StackConfig<Secret = pulumi.Output<string>> {
  /** The stack name (`pulumi stack`), used for naming. */
  stack: string;
  settings: Settings;
  /** Every declared secret that is set, as a Pulumi secret. */
  secrets: Partial<Record<SecretKey, Secret>>;
  /** The derived name prefix of containers, volumes and networks. */
  prefix: string;
  /** Whether stateful volumes are protected (`protect` + `retainOnDelete`). */
  protectState: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
        problems.map((p) => `  ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Raw stack values as Pulumi hands them to the program: `{ "<key>": value }`, secrets flagged. */
export interface RawConfig {
  values: Record<string, unknown>;
  secretKeys: Set<string>;
  /** Keys outside every namespace the program or its providers read (typos), one line each. */
  problems?: string[];
}

/** Every top-level setting and secret a stack may set under the program's namespace. */
export const KNOWN_TOP_LEVEL_KEYS: readonly string[] = [...(knownKeysAt(SettingsSchema, []) ?? []), ...Object.keys(SECRET_KEYS)];

/**
 * Sorts stack entries (`<namespace>:<key>` -> value) into the program's values, leaving the
 * providers' keys to them and refusing the rest. Shared by the engine path and stack files.
 */
export function collectRawConfig(entries: Iterable<{ fullKey: string; value: unknown; secret: boolean }>): RawConfig {
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  const problems: string[] = [];
  for (const { fullKey, value, secret } of entries) {
    const { key, problem } = checkConfigKey(PROJECT, fullKey, value, KNOWN_TOP_LEVEL_KEYS);
    if (problem) problems.push(problem);
    if (key === undefined) continue;
    values[key] = value;
    if (secret) secretKeys.add(key);
  }
  return { values, secretKeys, problems };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

const TYPE_WORDS: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  boolean: "true or false",
};

/** One line per problem: `enrichment:<path>: expected ..., got <value>`. */
export function formatIssues(issues: z.core.$ZodIssue[], input: unknown): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const key = `${PROJECT}:${issue.path.map(String).join(".")}`;
    if (issue.code === "unrecognized_keys") {
      const known = issue.path.length ? (knownKeysAt(SettingsSchema, issue.path) ?? []) : KNOWN_TOP_LEVEL_KEYS;
      for (const unknownKey of issue.keys) {
        const full = issue.path.length ? `${key}.${unknownKey}` : `${PROJECT}:${unknownKey}`;
        const guess = closest(unknownKey, known);
        const hint = guess ? `did you mean ${issue.path.length ? `${key}.${guess}` : `${PROJECT}:${guess}`}?` : `known here: ${known.join(", ")}`;
        lines.push(`${full}: unknown setting; ${hint} (config/schema.ts documents every setting)`);
      }
      continue;
    }
    if (issue.code === "invalid_type" && !issue.message.startsWith("expected")) {
      // zod's default wording ("Invalid input: expected object, received number"), said in words.
      const got = "input" in issue && issue.input !== undefined ? issue.input : valueAt(input, issue.path);
      const expected = issue.expected === "object" ? knownKeysAt(SettingsSchema, issue.path) : undefined;
      const words = expected ? `a mapping of settings (${expected.join(", ")})` : (TYPE_WORDS[issue.expected] ?? `a value of type ${issue.expected}`);
      lines.push(`${key}: expected ${words}, got ${got === undefined ? "nothing" : describe(got)}`);
      continue;
    }
    if (issue.code === "invalid_key" || issue.code === "invalid_element") {
      // A record key or map element failed its own schema: report that schema's message.
      const inner = issue.issues.map((i) => i.message).join("; ");
      lines.push(`${key}: ${inner}, got ${describe(issue.code === "invalid_key" ? issue.path[issue.path.length - 1] : issue.input)}`);
      continue;
    }
    if (issue.code === "invalid_union") {
      lines.push(`${key}: ${issue.message}`);
      continue;
    }
    const got = "input" in issue && issue.input !== undefined ? issue.input : valueAt(input, issue.path);
    const message = issue.message.startsWith("expected") ? issue.message : `expected ${issue.message}`;
    lines.push(`${key}: ${message}, got ${describe(got)}`);
  }
  return lines;
}

/** Validates raw values and secrets; throws one ConfigError listing every problem. */
export function parseStackConfig<Secret = pulumi.Output<string>>(stack: string, raw: RawConfig, secretValue: (key: SecretKey) => Secret): StackConfig<Secret> {
  const plain: Record<string, unknown> = {};
  const problems: string[] = [...(raw.problems ?? [])];
  if (Object.keys(raw.values).length === 0) {
    throw new ConfigError([
      ...problems,
      `no ${PROJECT}: settings at all: a stack file is 'config:' followed by '${PROJECT}:<setting>: value' entries (see Pulumi.staging.yaml)`,
    ]);
  }
  for (const [key, value] of Object.entries(raw.values)) {
    if (key in SECRET_KEYS) {
      if (!raw.secretKeys.has(key)) {
        problems.push(`${PROJECT}:${key}: expected a secret, got a plain value; set it with \`pulumi config set --secret ${PROJECT}:${key}\``);
      }
      continue;
    }
    plain[key] = value;
  }

  const parsed = SettingsSchema.safeParse(plain, { reportInput: true });
  if (!parsed.success) problems.push(...formatIssues(parsed.error.issues, plain));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const settings = parsed.data;
  const secrets: StackConfig<Secret>["secrets"] = {};
  for (const [key, declared] of Object.entries(SECRET_KEYS) as [SecretKey, (typeof SECRET_KEYS)[SecretKey]][]) {
    if (key in raw.values) {
      secrets[key] = secretValue(key);
    } else if (declared.requiredWhen(settings)) {
      problems.push(`${PROJECT}:${key}: expected a secret (${declared.description}); set it with \`pulumi config set --secret ${PROJECT}:${key}\``);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    stack,
    settings,
    secrets,
    prefix: settings.namePrefix ?? stack,
    protectState: settings.protectState ?? settings.environment === "production",
  };
}
