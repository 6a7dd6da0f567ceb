// A child's output as the e2e takes it: collected whole, echoed to the e2e's own unless quiet, with
// stdin written and closed. The returned object fills as the output comes; callers may append
// notes of their own to it.
import type { ChildProcessWithoutNullStreams } from "node:child_process";

export interface CollectedOutput {
  stdout: string;
  stderr: string;
}

export function collectOutput(child: ChildProcessWithoutNullStreams, options: { stdin?: string; quiet?: boolean } = {}): CollectedOutput {
  const output: CollectedOutput = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => {
    output.stdout += d.toString();
    if (!options.quiet) process.stdout.write(d);
  });
  child.stderr.on("data", (d: Buffer) => {
    output.stderr += d.toString();
    if (!options.quiet) process.stderr.write(d);
  });
  if (options.stdin !== undefined) child.stdin.write(options.stdin);
  child.stdin.end();
  return output;
}
