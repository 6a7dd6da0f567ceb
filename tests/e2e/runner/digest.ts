// The preview as `pulumi preview --json` prints it: a PreviewDigest (pulumi/pulumi
// sdk/go/common/display/json.go): steps with op, urn, diffReasons, replaceReasons, detailedDiff;
// diagnostics; changeSummary; duration in nanoseconds. A replacement is three steps, as the
// engine plans it (delete-replaced first when the resource deletes before it replaces).
// The runner's states carry urn, type and custom only: inputs are left out (they hold config
// files and secrets' hashes, and nothing downstream reads them).
import type { Step } from "./engine";

interface DigestStep {
  op: string;
  urn: string;
  provider: string;
  oldState?: { urn: string; type: string; custom: boolean };
  newState?: { urn: string; type: string; custom: boolean };
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff: Record<string, { kind: string; inputDiff: boolean }> | null;
}

export interface PreviewDigest {
  steps: DigestStep[];
  diagnostics?: { urn?: string; prefix: string; message: string; severity: string }[];
  duration: number;
  changeSummary: Record<string, number>;
}

export const hasChanges = (steps: Step[]) => steps.some((s) => s.op !== "same");

const CUSTOM_TYPES = /^(docker|random|tls|command|pulumi-nodejs|pulumi:providers):/;

export function buildDigest(
  steps: Step[],
  errors: { urn: string; message: string }[],
  options: { stack: string; project: string; nanoseconds: number; expectNoChanges: boolean; replaceDeletesFirst?: (urn: string) => boolean },
): PreviewDigest {
  const stackUrn = `urn:pulumi:${options.stack}::${options.project}::pulumi:pulumi:Stack::${options.project}-${options.stack}`;
  const state = (step: Step) => ({ urn: step.urn, type: step.type, custom: CUSTOM_TYPES.test(step.type) });
  const out: DigestStep[] = [{ op: "same", urn: stackUrn, provider: "", oldState: { urn: stackUrn, type: "pulumi:pulumi:Stack", custom: false }, newState: { urn: stackUrn, type: "pulumi:pulumi:Stack", custom: false }, detailedDiff: null }];
  const summary: Record<string, number> = { same: 1 };
  for (const step of steps) {
    summary[step.op] = (summary[step.op] ?? 0) + 1;
    const details = {
      ...(step.diff.diffReasons.length ? { diffReasons: step.diff.diffReasons } : {}),
      ...(step.diff.replaceReasons.length ? { replaceReasons: step.diff.replaceReasons } : {}),
      detailedDiff: step.diff.detailedDiff,
    };
    if (step.op === "replace") {
      const ops = ["create-replacement", "replace", "delete-replaced"];
      for (const op of ops) out.push({ op, urn: step.urn, provider: "", oldState: state(step), newState: state(step), ...details });
      continue;
    }
    out.push({
      op: step.op,
      urn: step.urn,
      provider: "",
      ...(step.op === "create" ? {} : { oldState: state(step) }),
      ...(step.op === "delete" ? {} : { newState: state(step) }),
      ...details,
    });
  }
  const diagnostics = errors.map((e) => ({ ...(e.urn ? { urn: e.urn } : {}), prefix: "error: ", message: `${e.message}\n`, severity: "error" }));
  if (options.expectNoChanges) diagnostics.push({ prefix: "error: ", message: "error: no changes were expected but changes were proposed\n", severity: "error" } as never);
  return { steps: out, ...(diagnostics.length ? { diagnostics } : {}), duration: options.nanoseconds, changeSummary: summary };
}
