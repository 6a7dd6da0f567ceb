// `npm run verify` against the deployed e2e stack, run as an operator runs it: the stack's outputs
// from the real Pulumi CLI (the e2e's toolchain, backend and passphrase: the environment of
// tests/e2e/engine/pulumi.ts) and the e2e's stack file (`--config-file .e2e/Pulumi.e2e.yaml`).
import { spawn } from "node:child_process";
import * as path from "node:path";
import { loadToolchain, REPO } from "../engine/pulumi";
import { E2E_STACK, e2eCli, STACK_FILE } from "../stack";
import type { VerifyReport } from "../../../verify/render";
import { TSX_LOADER } from "../../../synth/index";
import { childEnd } from "../../../release/childEnd";

/** How long one run of verify may take before it is stopped (its longest waits add up to 7 minutes). */
export const VERIFY_TIMEOUT_MS = 10 * 60_000;

export interface VerifyRun {
  code: number;
  report?: VerifyReport;
  stdout: string;
  stderr: string;
}

/** `npm run verify -- --stack e2e --json --config-file .e2e/Pulumi.e2e.yaml <args>` as a process. */
export async function runVerify(args: string[] = [], options: { timeoutMs?: number; log?: (line: string) => void } = {}): Promise<VerifyRun> {
  const toolchain = loadToolchain();
  if ("missing" in toolchain) return { code: 4, stdout: "", stderr: toolchain.missing };
  const env = e2eCli(toolchain).env();
  const argv = [path.join(REPO, "scripts/verify.ts"), "--stack", E2E_STACK, "--json", "--config-file", STACK_FILE, ...args];
  const child = spawn(process.execPath, [...TSX_LOADER, ...argv], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    for (const line of d.toString().split("\n").filter(Boolean)) options.log?.(line);
  });
  // Its exit, even if a process it started kept its output open (release/childEnd.ts).
  const timeoutMs = options.timeoutMs ?? VERIFY_TIMEOUT_MS;
  const end = await childEnd(child, {
    timeoutMs,
    onTimeout: () => void (stderr += `\n[verify did not finish within ${timeoutMs / 60_000} min; interrupted]\n`),
    onLinger: () => void (stderr += `\n[verify exited (${child.exitCode}) but a process it started kept its output open]\n`),
  });
  let report: VerifyReport | undefined;
  try {
    report = JSON.parse(stdout) as VerifyReport;
  } catch {
    report = undefined;
  }
  return { code: end.code ?? 255, report, stdout, stderr };
}
