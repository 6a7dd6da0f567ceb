// Scalars whose meaning depends on the reader. `pulumi up` reads a stack file with the CLI's Go
// YAML reader (gopkg.in/yaml.v3 rules: 0443 is octal, 1_000 is 1000, 2001-12-14 is a timestamp,
// `<<` merges); the synth and the offline tools read it with the `yaml` package (YAML 1.2 core:
// 0443 is 443, 1_000 and 2001-12-14 are strings, `<<` is a key). Such a value is refused, with the
// reading each gives, so that what the synth shows is what the engine deploys.
// tests/fixtures/yaml-readers.json records the real CLI's readings (pulumi v3.276.0, `pulumi config
// --json`); tests/config.yaml.test.ts checks this module against them and re-measures with the CLI
// when it is installed.
import * as YAML from "yaml";

/** The stack file the values came from: set by the synth; under the engine, Pulumi.<stack>.yaml in the project folder. */
export const STACK_FILE_ENV = "ENRICHMENT_STACK_FILE";

/** What the CLI makes of a plain scalar: a value, or a refusal of the whole file. */
export type GoReading = { value: unknown; timestamp?: boolean } | { refused: string };

const GO_NULL = new Set(["~", "null", "Null", "NULL", ""]);
const GO_TRUE = new Set(["true", "True", "TRUE"]);
const GO_FALSE = new Set(["false", "False", "FALSE"]);
const GO_INFINITE = new Set([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"]);
/** yaml.v3's yamlStyleFloat. */
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(text, 0, 64), then ParseUint (no sign): 0x / 0o / 0b / 0 (octal) prefixes or decimal. */
function goParseInteger(text: string): bigint | undefined {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, digits] = match;
  const magnitude = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits.replace(/^0[oO]/, "0o"));
  const value = sign === "-" ? -magnitude : magnitude;
  if (value >= INT64_MIN && value <= INT64_MAX) return value;
  return sign === "" && value <= UINT64_MAX ? value : undefined;
}

/** yaml.v3's parseTimestamp: YYYY-M-D, optionally with a time (T, t or a space), as Go's time.Parse accepts. */
const GO_TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}([Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,9})?(Z|[-+]\d{2}:\d{2})|( \d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,9})?))?$/;

/** How the Pulumi CLI (gopkg.in/yaml.v3) resolves a plain scalar, as measured (tests/fixtures/yaml-readers.json). */
export function goPlainScalar(text: string): GoReading {
  if (GO_NULL.has(text)) return { value: null };
  if (GO_TRUE.has(text)) return { value: true };
  if (GO_FALSE.has(text)) return { value: false };
  if (GO_INFINITE.has(text)) return { refused: `Pulumi's CLI refuses the whole stack file ("json: unsupported value: ${text.includes("nan") || text.includes("NaN") || text.includes("NAN") ? "NaN" : text.startsWith("-") ? "-Inf" : "+Inf"}")` };
  const first = text[0];
  if (first === undefined || !/[0-9+\-.]/.test(first)) return { value: text };
  if (/^[0-9]/.test(first) && GO_TIMESTAMP.test(text)) {
    // Go prints the time.Time it read (time.Time.String()): the date-only form is exact.
    const date = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
    return { value: date ? `${date[1]}-${date[2].padStart(2, "0")}-${date[3].padStart(2, "0")} 00:00:00 +0000 UTC` : `a timestamp (${text})`, timestamp: true };
  }
  const plain = text.replace(/_/g, "");
  const integer = goParseInteger(plain);
  if (integer !== undefined) return { value: Number(integer) };
  if (GO_FLOAT.test(plain)) return { value: Number(plain) };
  const binary = /^(-?)0b([01]+)$/.exec(plain);
  if (binary) return { value: Number(BigInt(`0b${binary[2]}`)) * (binary[1] ? -1 : 1) };
  const octal = /^(-?)0o([0-7]+)$/.exec(plain);
  if (octal) return { value: Number(BigInt(`0o${octal[2]}`)) * (octal[1] ? -1 : 1) };
  return { value: text };
}

export interface ReaderDisagreement {
  /** `enrichment:<path>` (or the raw key path when outside the program's namespace). */
  key: string;
  text: string;
  pulumi: string;
  synth: string;
  hint: string;
}

const show = (value: unknown): string => (typeof value === "string" ? JSON.stringify(value) : Number.isNaN(value) ? "NaN" : String(value));

function hintFor(text: string, go: GoReading): string {
  if ("refused" in go) return "write a number, or quote it if a string is meant";
  if (go.timestamp) return "quote it (\"...\") to keep the text";
  if (/^[-+]?0[0-9]/.test(text.replace(/_/g, ""))) return "write the number without leading zeros, or quote it if a string is meant";
  if (text.includes("_")) return "write the number without underscores, or quote it if a string is meant";
  return "quote it if a string is meant, or write it in plain decimal";
}

function keyPath(path: readonly unknown[], node: unknown, text: string): string {
  const parts: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if (YAML.isPair(step)) {
      const keyNode = step.key;
      if (keyNode === node) break; // a key itself: its path ends at its parent
      parts.push(YAML.isScalar(keyNode) ? String(keyNode.value) : String(keyNode));
    } else if (YAML.isSeq(step)) {
      const child = path[i + 1] ?? node;
      parts.push(String(step.items.indexOf(child as never)));
    }
  }
  // parts[0] is `config`; parts[1] is `<namespace>:<setting>`.
  const [, setting, ...rest] = parts;
  if (setting === undefined) return parts.join(".") || text;
  return [setting, ...rest].join(".");
}

/**
 * Every plain scalar (value or key) of a stack file that Pulumi's CLI and the synth read differently.
 * `document` is the text as parsed already, if it was (parseStackFile's: a stack file parses once).
 */
export function readerDisagreements(text: string, document: YAML.Document = YAML.parseDocument(text)): ReaderDisagreement[] {
  if (document.errors.length > 0) return [];
  const found: ReaderDisagreement[] = [];
  YAML.visit(document, {
    Pair(_key, pair, path) {
      if (YAML.isScalar(pair.key) && pair.key.value === "<<" && pair.key.type === "PLAIN") {
        found.push({
          key: keyPath([...path, pair], pair.key, "<<"),
          text: "<<",
          pulumi: "a merge key: the aliased mapping's entries are merged in",
          synth: 'a key named "<<"',
          hint: "write the entries out instead of merging an anchor",
        });
      }
    },
    Scalar(_key, node, path) {
      if (node.type !== "PLAIN" || !node.range) return;
      const source = text.slice(node.range[0], node.range[1]);
      const go = goPlainScalar(source);
      const synth = node.value;
      const topLevelValue = path.length === 4 && YAML.isPair(path[3]) && (path[3] as YAML.Pair).value === node;
      let pulumi: unknown;
      if ("refused" in go) {
        found.push({ key: keyPath(path, node, source), text: source, pulumi: go.refused, synth: show(synth), hint: hintFor(source, go) });
        return;
      }
      pulumi = go.value;
      // A top-level value reaches the program as text, which config/fromEngine.ts parses as JSON; a null
      // there is the empty string (the CLI warns so).
      if (topLevelValue && pulumi === null) pulumi = "";
      if (Object.is(pulumi, synth) || (typeof pulumi === "number" && typeof synth === "number" && pulumi === synth)) return;
      if (topLevelValue && typeof synth !== "object" && String(pulumi) === String(synth)) return;
      found.push({ key: keyPath(path, node, source), text: source, pulumi: show(pulumi), synth: show(synth), hint: hintFor(source, go) });
    },
  });
  return found;
}

/**
 * Quotes every string of a document that Pulumi's CLI would read as something else if it were
 * written plain (an ISO time is a timestamp to Go, 1_000 a number): for tools that write stack
 * files (release/stackEdit.ts), so what they write means the same to both readers.
 */
export function quoteForBothReaders(document: YAML.Document): void {
  YAML.visit(document, {
    Scalar(_key, node) {
      if (typeof node.value !== "string" || (node.type !== undefined && node.type !== "PLAIN")) return;
      const go = goPlainScalar(node.value);
      if ("refused" in go || go.value !== node.value) node.type = "QUOTE_DOUBLE";
    },
  });
}

/** One line per disagreement, in the shape of the config problems. */
export function readerProblems(text: string, namespace: string, document?: YAML.Document): string[] {
  return readerDisagreements(text, document).map((d) => {
    const key = d.key.includes(":") || d.key === "" ? d.key : `${namespace}:${d.key}`;
    return `${key}: expected a value both YAML readers agree on: ${d.text} reads as ${d.pulumi} to Pulumi's CLI (Go YAML) and as ${d.synth} to the synth (YAML 1.2); ${d.hint}`;
  });
}
