// Turns `pulumi preview --refresh --expect-no-changes --json` output (a PreviewDigest, see
// pulumi/pkg/backend/display: steps with op/urn/diffReasons/replaceReasons/detailedDiff,
// changeSummary, diagnostics) into a short drift report: which resources, which properties,
// and what to run. Diffs known to be spurious are ignored.
import * as fs from "node:fs";
import { z } from "zod";
import { Io, parseCommand, printUsageError, UsageError } from "./cli";
import { DRIFT_EXIT, DRIFT_REPORT } from "./drift.usage";

// The flags and statuses live in drift.usage.ts (light: scripts/ parse with it before loading this module).
export { DRIFT_EXIT, DRIFT_USAGE } from "./drift.usage";

export interface SpuriousDiff {
  type: string;
  property: string;
  reason: string;
}

/** Diffs that appear on every refresh without anything having changed. */
export const SPURIOUS_DIFFS: readonly SpuriousDiff[] = [
  {
    type: "docker:index/container:Container",
    property: "gpus",
    reason: "the Docker provider reads `gpus` back poorly, so every refresh shows it changed",
  },
];

/** Ops that change nothing: the resource matches the program (refresh/read steps only read). */
const UNCHANGED_OPS = new Set(["same", "read", "refresh"]);

const SYMBOL: Record<string, string> = {
  update: "~",
  replace: "+-",
  "create-replacement": "+-",
  "delete-replaced": "+-",
  create: "+",
  delete: "-",
  import: "=",
};

const PropertyDiffSchema = z.looseObject({ kind: z.string(), inputDiff: z.boolean().optional() });
const StepSchema = z.looseObject({
  op: z.string(),
  urn: z.string().startsWith("urn:pulumi:"),
  diffReasons: z.array(z.string()).nullish(),
  replaceReasons: z.array(z.string()).nullish(),
  detailedDiff: z.record(z.string(), PropertyDiffSchema).nullish(),
});
const DiagnosticSchema = z.looseObject({
  urn: z.string().optional(),
  prefix: z.string().optional(),
  message: z.string().optional(),
  severity: z.string().optional(),
});
// Every field is `omitempty` in the Go struct; a digest always has steps or a change summary.
const PreviewDigestSchema = z
  .looseObject({
    config: z.record(z.string(), z.unknown()).optional(),
    steps: z.array(StepSchema).optional(),
    diagnostics: z.array(DiagnosticSchema).optional(),
    duration: z.number().optional(),
    changeSummary: z.record(z.string(), z.number()).optional(),
  })
  .refine((digest) => digest.steps !== undefined || digest.changeSummary !== undefined, {
    error: "expected `steps` or `changeSummary`",
  });

export type PreviewDigest = z.output<typeof PreviewDigestSchema>;

export interface PropertyChange {
  path: string;
  kind: string;
}

export interface DriftedResource {
  urn: string;
  type: string;
  name: string;
  ops: string[];
  properties: PropertyChange[];
  /** Known-spurious properties that also differed on this resource (not reported as drift). */
  ignoredProperties: string[];
}

export interface IgnoredDiff {
  urn: string;
  type: string;
  name: string;
  properties: string[];
  reason: string;
  /** The preview would replace (delete and recreate) this resource for the spurious difference alone. */
  replaces: boolean;
}

export interface DriftAnalysis {
  stack?: string;
  resources: number;
  drifted: DriftedResource[];
  ignored: IgnoredDiff[];
  errors: string[];
}

export class NotAPreviewError extends Error {}

export function parsePreview(text: string): PreviewDigest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const firstLine = text.trimStart().split("\n", 1)[0] ?? "";
    const streamed = firstLine.startsWith("{") && text.trim().includes("\n{");
    throw new NotAPreviewError(
      text.trim() === ""
        ? "the input is empty (did pulumi preview fail before printing anything?)"
        : streamed
          ? "the input is a stream of JSON events, not a preview digest: unset PULUMI_ENABLE_STREAMING_JSON_PREVIEW"
          : "the input is not JSON",
    );
  }
  const parsed = PreviewDigestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NotAPreviewError(`the input is JSON but not a pulumi preview --json digest (${issue.path.join(".") || "top level"}: ${issue.message})`);
  }
  return parsed.data;
}

/** urn:pulumi:<stack>::<project>::<parent$...$type>::<name> */
export function parseUrn(urn: string): { stack: string; project: string; type: string; name: string } {
  const parts = urn.replace(/^urn:pulumi:/, "").split("::");
  const qualified = parts[2] ?? "";
  return { stack: parts[0] ?? "", project: parts[1] ?? "", type: qualified.split("$").pop() ?? qualified, name: parts.slice(3).join("::") };
}

/** The top-level property of a property path such as `ports[0].external` or `labels["a.b"]`. */
export function topLevelProperty(path: string): string {
  const quoted = /^\["([^"]+)"\]/.exec(path);
  if (quoted) return quoted[1];
  return path.split(/[.[]/, 1)[0];
}

export function analyzePreview(digest: PreviewDigest, spuriousDiffs: readonly SpuriousDiff[] = SPURIOUS_DIFFS): DriftAnalysis {
  const byUrn = new Map<string, z.output<typeof StepSchema>[]>();
  for (const step of digest.steps ?? []) {
    // A replacement is reported as several steps (create-replacement, replace, delete-replaced).
    const steps = byUrn.get(step.urn) ?? [];
    steps.push(step);
    byUrn.set(step.urn, steps);
  }

  const drifted: DriftedResource[] = [];
  const ignored: IgnoredDiff[] = [];
  for (const [urn, steps] of byUrn) {
    const ops = [...new Set(steps.map((s) => s.op))].filter((op) => !UNCHANGED_OPS.has(op));
    if (ops.length === 0) continue;
    const { type, name } = parseUrn(urn);

    const properties = new Map<string, string>();
    for (const step of steps) {
      for (const [path, diff] of Object.entries(step.detailedDiff ?? {})) properties.set(path, diff.kind);
      for (const key of step.replaceReasons ?? []) if (![...properties.keys()].some((p) => topLevelProperty(p) === key)) properties.set(key, "update-replace");
      for (const key of step.diffReasons ?? []) if (![...properties.keys()].some((p) => topLevelProperty(p) === key)) properties.set(key, "update");
    }

    const spurious = spuriousDiffs.filter((rule) => rule.type === type);
    const isSpurious = (path: string) => spurious.some((rule) => topLevelProperty(path) === rule.property);
    const real = [...properties].filter(([path]) => !isSpurious(path));
    const onlyUpdates = ops.every((op) => op === "update" || op === "replace" || op === "create-replacement" || op === "delete-replaced");
    if (properties.size > 0 && real.length === 0 && onlyUpdates) {
      ignored.push({ urn, type, name, properties: [...properties.keys()], reason: spurious[0].reason, replaces: mainOp(ops) === "replace" });
      continue;
    }
    const ignoredProperties = [...properties.keys()].filter(isSpurious);
    drifted.push({ urn, type, name, ops, properties: real.map(([path, kind]) => ({ path, kind })), ignoredProperties });
  }

  const errors = (digest.diagnostics ?? [])
    .filter((d) => d.severity === "error" && !/no changes were expected/i.test(d.message ?? ""))
    .map((d) => `${d.urn ? `${parseUrn(d.urn).name}: ` : ""}${(d.message ?? "").trim()}`);

  const firstUrn = digest.steps?.[0]?.urn;
  // Without --refresh the CLI's JSON lists only the steps that change something (and the stack);
  // its changeSummary still counts every resource.
  const summarized = Object.values(digest.changeSummary ?? {}).reduce((sum, count) => sum + count, 0);
  return { stack: firstUrn ? parseUrn(firstUrn).stack : undefined, resources: Math.max(byUrn.size, summarized), drifted, ignored, errors };
}

function mainOp(ops: string[]): string {
  if (ops.some((op) => op === "replace" || op === "create-replacement" || op === "delete-replaced")) return "replace";
  return ops[0];
}

function describeResource(resource: DriftedResource): string[] {
  const op = mainOp(resource.ops);
  const lines = [`  ${(SYMBOL[op] ?? "?").padEnd(2)} ${resource.name} (${resource.type}): ${op}`];
  if (resource.properties.length > 0) {
    lines.push(`       ${resource.properties.map((p) => `${p.path} (${p.kind})`).join(", ")}`);
  } else if (op === "create") {
    lines.push("       missing: deleted outside Pulumi, or added to the program but not deployed");
  } else if (op === "delete") {
    lines.push("       in the stack's state but no longer in the program");
  } else {
    lines.push("       (the provider named no properties)");
  }
  if (resource.ignoredProperties.length > 0) lines.push(`       ignored as known spurious: ${resource.ignoredProperties.join(", ")}`);
  return lines;
}

export function formatDriftReport(analysis: DriftAnalysis, stackOverride?: string): string {
  const stack = stackOverride ?? analysis.stack ?? "<stack>";
  const lines: string[] = [];
  const ignoredText = analysis.ignored.length
    ? `; ignored ${analysis.ignored.length} known-spurious diff${analysis.ignored.length === 1 ? "" : "s"}`
    : "";

  if (analysis.drifted.length === 0 && analysis.errors.length > 0) {
    lines.push(`Drift check of stack ${stack} inconclusive: the preview reported errors, so drift cannot be ruled out.`);
  } else if (analysis.drifted.length === 0) {
    lines.push(`No drift in stack ${stack}: ${analysis.resources} resource${analysis.resources === 1 ? "" : "s"} match the program${ignoredText}.`);
  } else {
    const n = analysis.drifted.length;
    lines.push(`Drift in stack ${stack}: ${n} resource${n === 1 ? "" : "s"} differ${n === 1 ? "s" : ""} from the program${ignoredText}.`, "");
    for (const resource of analysis.drifted) lines.push(...describeResource(resource));
  }

  if (analysis.ignored.length > 0) {
    lines.push("", "Ignored (known spurious):");
    for (const item of analysis.ignored) {
      lines.push(`  ${item.name} (${item.type}): ${item.properties.join(", ")}: ${item.reason}${item.replaces ? " (the preview would REPLACE it for this alone)" : ""}`);
    }
  }
  const spuriousReplacements = analysis.ignored.filter((item) => item.replaces);
  if (spuriousReplacements.length > 0) {
    const names = spuriousReplacements.map((item) => item.name).join(", ");
    lines.push(
      "",
      `Careful: a plain \`pulumi up --stack ${stack}\` would delete and recreate ${names} although nothing about ${spuriousReplacements.length === 1 ? "it" : "them"} drifted.`,
      analysis.drifted.length > 0 ? "  Repair only what drifted, with the --target lines below." : "  Nothing needs repairing: do not run pulumi up for this.",
    );
  }

  if (analysis.errors.length > 0) {
    lines.push("", "The preview reported errors:");
    for (const error of analysis.errors) lines.push(`  ${error}`);
  }

  if (analysis.drifted.length > 0 && spuriousReplacements.length > 0) {
    const targets = analysis.drifted.map((resource) => `--target '${resource.urn}'`).join(" ");
    lines.push(
      "",
      "What to run:",
      `  pulumi preview --stack ${stack} --refresh --diff ${targets}   # the full diff of what drifted`,
      `  pulumi up --stack ${stack} --refresh ${targets}   # put back only what drifted`,
      `  If the change was intended, make it in the program or Pulumi.${stack}.yaml instead and deploy that;`,
      `  never silence drift with \`pulumi refresh\` alone (the next preview shows the same diff).`,
    );
  } else if (analysis.drifted.length > 0) {
    lines.push(
      "",
      "What to run:",
      `  pulumi preview --stack ${stack} --refresh --diff   # the full diff, property by property`,
      `  pulumi up --stack ${stack} --refresh               # put the resources back as the program declares them`,
      `  If the change was intended, make it in the program or Pulumi.${stack}.yaml instead and deploy that;`,
      `  never silence drift with \`pulumi refresh\` alone (the next preview shows the same diff).`,
    );
  }
  return lines.join("\n");
}

async function readInput(file: string | undefined, stdin: NodeJS.ReadableStream): Promise<string> {
  if (file && file !== "-") return fs.readFileSync(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export async function runDriftReport(argv: string[], io: Io, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  let values: { stack?: string; summary?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseCommand(DRIFT_REPORT, argv));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printUsageError(io, DRIFT_REPORT.usage, error);
    return DRIFT_EXIT.usage;
  }
  if (values.help) {
    io.out(DRIFT_REPORT.usage);
    return DRIFT_EXIT.clean;
  }

  let digest: PreviewDigest;
  try {
    digest = parsePreview(await readInput(positionals[0], stdin));
  } catch (error) {
    const message = error instanceof NotAPreviewError ? error.message : `cannot read ${positionals[0] ?? "stdin"}: ${(error as Error).message}`;
    io.err(`drift-report: ${message}`);
    return DRIFT_EXIT.notAPreview;
  }

  const analysis = analyzePreview(digest);
  const report = formatDriftReport(analysis, values.stack);
  io.out(report);
  const code =
    analysis.drifted.length > 0 ? DRIFT_EXIT.drift : analysis.errors.length > 0 ? DRIFT_EXIT.notAPreview : DRIFT_EXIT.clean;
  if (values.summary) {
    const stack = values.stack ?? analysis.stack ?? "stack";
    const heading = code === DRIFT_EXIT.clean ? `Drift check ${stack}: no drift` : code === DRIFT_EXIT.drift ? `Drift check ${stack}: DRIFT` : `Drift check ${stack}: preview failed`;
    fs.appendFileSync(values.summary, `### ${heading}\n\n\`\`\`\n${report}\n\`\`\`\n\n`);
  }
  return code;
}
