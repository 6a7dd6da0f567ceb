// The stack outputs verify reads: `pulumi stack output --json --show-secrets --stack <name>` (the
// CLI on PATH, or $PULUMI_CLI), or a file holding that command's output (--outputs). Which
// outputs index.ts exports, and why verify needs each, is documented in docs/verify.md.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { z } from "zod";

/** The stack outputs could not be had (exit 4): the CLI is missing, not logged in, no such stack. */
export class OutputsUnreachable extends Error {}
/** The outputs were had but cannot serve (exit 3): not JSON, secrets hidden, a required one missing. */
export class OutputsInvalid extends Error {}

const SECRET_HIDDEN = "[secret]";

export const StackOutputsSchema = z
  .object({
    caCertificate: z.string().includes("BEGIN CERTIFICATE", { error: "expected the CA certificate PEM" }),
    namePrefix: z.string().optional(),
    containers: z.array(z.string()).optional(),
    mongodbAdminUri: z.string().optional(),
    grafanaAdminPassword: z.string().optional(),
    endpoints: z.record(z.string(), z.unknown()).optional(),
    release: z.string().optional(),
    environment: z.string().optional(),
  })
  .loose();

export type StackOutputs = z.output<typeof StackOutputsSchema>;

/** Paths of values that read `[secret]`: the outputs were taken without --show-secrets. */
function hiddenSecrets(value: unknown, at = ""): string[] {
  if (value === SECRET_HIDDEN) return [at || "(the whole document)"];
  if (Array.isArray(value)) return value.flatMap((item, i) => hiddenSecrets(item, `${at}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([key, item]) => hiddenSecrets(item, at ? `${at}.${key}` : key));
  return [];
}

/** Validates the JSON of `pulumi stack output --json --show-secrets`. */
export function parseOutputs(text: string, source: string): StackOutputs {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new OutputsInvalid(`${source} is not JSON (${(error as Error).message}); expected what \`pulumi stack output --json --show-secrets\` prints`);
  }
  const hidden = hiddenSecrets(raw);
  if (hidden.length) throw new OutputsInvalid(`${source}: ${hidden.join(", ")} read "[secret]": take the outputs with --show-secrets`);
  const parsed = StackOutputsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new OutputsInvalid(`${source} does not hold the outputs verify needs (${problems.join("; ")}); is the stack deployed with this program (pulumi up)?`);
  }
  return parsed.data;
}

export interface OutputsRequest {
  stack: string;
  /** A saved `pulumi stack output --json --show-secrets`, instead of running the CLI. */
  file?: string;
  /** The Pulumi project directory (the CLI's --cwd). */
  cwd?: string;
  /** The CLI to run: $PULUMI_CLI, else `pulumi` on PATH. */
  cli?: string;
  timeoutMs?: number;
}

/** The command verify runs for the outputs (for messages and tests). */
export function outputsCommand(request: OutputsRequest): { file: string; args: string[] } {
  const args = ["stack", "output", "--json", "--show-secrets", "--non-interactive", "--stack", request.stack, ...(request.cwd ? ["--cwd", request.cwd] : [])];
  return { file: request.cli ?? process.env.PULUMI_CLI ?? "pulumi", args };
}

export async function readOutputs(request: OutputsRequest): Promise<{ outputs: StackOutputs; source: string }> {
  if (request.file) {
    if (!fs.existsSync(request.file)) throw new OutputsInvalid(`--outputs ${request.file}: no such file`);
    return { outputs: parseOutputs(fs.readFileSync(request.file, "utf8"), request.file), source: request.file };
  }
  const { file, args } = outputsCommand(request);
  const shown = `${file} ${args.join(" ")}`;
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }>((resolve) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGTERM"), request.timeoutMs ?? 120_000);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, error });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new OutputsUnreachable(
      missing ? `the Pulumi CLI (${file}) is not installed or not on PATH: install it (https://www.pulumi.com/docs/install/) or set PULUMI_CLI, or give --outputs <file>` : `${shown} could not run: ${result.error.message}`,
    );
  }
  if (result.code !== 0) {
    throw new OutputsUnreachable(`${shown} exited ${result.code ?? "on a signal"}: ${result.stderr.trim().split("\n").slice(-4).join(" | ") || "(no message)"}; is \`pulumi login\` done and the stack deployed?`);
  }
  return { outputs: parseOutputs(result.stdout, `\`${shown}\``), source: shown };
}
