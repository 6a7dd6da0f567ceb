// Which stack keys exist: the program's own namespace (the schema's settings and the secret keys),
// the namespaces of the providers it uses, and nothing else. A key the program does not know is
// refused with the closest known one, so a typo never falls back to a default silently.
import type { z } from "zod";

/** Namespaces whose keys belong to something else: the providers the program uses, and Pulumi itself. */
export const PROVIDER_NAMESPACES = ["docker", "random", "tls", "command", "pulumi"] as const;

type AnySchema = z.core.$ZodType;

/** Unwraps optional/default/prefault/nullable/pipe wrappers down to the schema that holds the shape. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let depth = 0; depth < 16; depth++) {
    const def = current._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else break;
  }
  return current;
}

/** The setting names an object schema accepts at `path` (record values are walked through), or undefined. */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] | undefined {
  let current = unwrap(schema);
  for (const key of path) {
    const def = current._zod.def as { type: string; shape?: Record<string, AnySchema>; valueType?: AnySchema; element?: AnySchema };
    if (def.type === "object" && def.shape && typeof key === "string" && key in def.shape) current = unwrap(def.shape[key]);
    else if (def.type === "record" && def.valueType) current = unwrap(def.valueType);
    else if (def.type === "array" && def.element && typeof key === "number") current = unwrap(def.element);
    else return undefined;
  }
  const def = current._zod.def as { type: string; shape?: Record<string, AnySchema> };
  return def.type === "object" && def.shape ? Object.keys(def.shape) : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known name closest to `name`, when it is close enough to be a likely typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = key.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name.toLowerCase(), key.toLowerCase());
    if (!best || distance < best.distance) best = { key, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.key : undefined;
}

export interface KeyCheck {
  /** The key inside the program's namespace, when the entry is the program's. */
  key?: string;
  /** Why the entry is refused; undefined for the program's keys and providers' keys. */
  problem?: string;
}

/**
 * Sorts one stack-file key (`enrichment:workers`, `docker:host`, `workers`, `enrichmnet:workers`):
 * the program's keys come back by name, providers' keys are left to their providers, anything
 * else is a problem that names the key and what it probably meant.
 */
export function checkConfigKey(project: string, fullKey: string, value: unknown, knownTopLevel: readonly string[]): KeyCheck {
  const colon = fullKey.indexOf(":");
  if (colon < 0) {
    if (fullKey === project && value !== null && typeof value === "object" && !Array.isArray(value)) {
      const first = Object.keys(value)[0] ?? "environment";
      return {
        problem: `${fullKey}: a mapping named '${project}' is not read: each setting is its own namespaced key, e.g. '${project}:${first}: ...' directly under 'config:'`,
      };
    }
    const guess = closest(fullKey, knownTopLevel);
    return { problem: `${fullKey}: a key without a namespace is not read by the program${guess ? `; did you mean '${project}:${guess}'?` : `; its settings are '${project}:<setting>'`}` };
  }
  const namespace = fullKey.slice(0, colon);
  const key = fullKey.slice(colon + 1);
  if (namespace === project) return { key };
  if ((PROVIDER_NAMESPACES as readonly string[]).includes(namespace)) return {};
  const guessNamespace = closest(namespace, [project, ...PROVIDER_NAMESPACES]);
  const hint = guessNamespace === project ? `did you mean '${project}:${closest(key, knownTopLevel) ?? key}'?` : guessNamespace ? `did you mean '${guessNamespace}:${key}'?` : `the program reads '${project}:' keys (and its providers' ${PROVIDER_NAMESPACES.map((n) => `'${n}:'`).join(", ")})`;
  return { problem: `${fullKey}: unknown namespace '${namespace}'; ${hint}` };
}
