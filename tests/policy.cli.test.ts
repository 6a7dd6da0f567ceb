// `npm run synth -- --stack <name> --policy`, as CI runs it: the violations printed with the
// resource and the policy, exit 1 on a mandatory violation, the pack config's levels honoured.
// The mandatory violation runs the real command (node with tsx's hooks, scripts/synth.ts: the exit code CI reads); the
// other cases run the same command in this process (runSynth with captured output), evaluated in
// the test run's synth server (synthesize).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../release/cli";
import { runSynth } from "../scripts/synth.run";
import { synthesize, TSX_LOADER } from "../synth/index";

const ROOT = path.resolve(__dirname, "..");
const run = promisify(execFile);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The real command, as CI starts it. Each run its own output folder: the cases run side by side. */
async function synthProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = fs.mkdtempSync(path.join(tmp, "out-"));
    const { stdout, stderr } = await run(process.execPath, [...TSX_LOADER, path.join(ROOT, "scripts", "synth.ts"), "--quiet", "--out", out, ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The command in this process (runSynth, output captured, evaluated by synthesize()), with the same flags. */
async function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = fs.mkdtempSync(path.join(tmp, "out-"));
  let stdout = "";
  let stderr = "";
  const io: Io = { out: (text) => void (stdout += text.endsWith("\n") ? text : `${text}\n`), err: (text) => void (stderr += text.endsWith("\n") ? text : `${text}\n`) };
  const code = await runSynth(["--quiet", "--out", out, ...args], io, { evaluate: synthesize });
  return { code, stdout, stderr };
}

/** Pulumi.production.yaml with 7 days of metrics: one mandatory violation for sure. */
const shortRetention = path.join(tmp, "Pulumi.production-short.yaml");
const advisoryConfig = path.join(tmp, "advisory.json");

beforeAll(() => {
  const doc = parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.production.yaml"), "utf8"));
  doc.setIn(["config", "enrichment:monitoring", "retentionDays"], 7);
  fs.writeFileSync(shortRetention, doc.toString());
  fs.writeFileSync(advisoryConfig, JSON.stringify({ all: "advisory" }));
});

const PROMETHEUS_URN = "urn:pulumi:production::enrichment::enrichment:platform:ServiceContainer$docker:index/container:Container::prometheus";

describe.concurrent("synth --policy", () => {
  it("prints a mandatory violation with its policy, resource name and URN, and exits 1 (the answer is no; the real process)", async () => {
    const result = await synthProcess(["--stack", "production", "--config", shortRetention, "--policy"]);
    expect(result.stdout).toContain(`- [mandatory]  capacity-metrics-retention  (prometheus: ${PROMETHEUS_URN})`);
    expect(result.stdout).toMatch(/metrics are kept 7d/);
    expect(result.stdout).toMatch(/production rules from stack config enrichment:environment/);
    expect(result.code).toBe(1);
  });

  it("honours a --policy-pack-config file: all advisory exits 0 and says so", async () => {
    const result = await synth(["--stack", "production", "--config", shortRetention, "--policy", "--policy-config", advisoryConfig]);
    expect(result.stdout).toContain(`- [advisory]  capacity-metrics-retention  (prometheus: ${PROMETHEUS_URN})`);
    expect(result.stdout).not.toMatch(/\[mandatory\]/);
    expect(result.stderr).toContain("note: enrichment:anthropicApiKey is not set in the stack file; the synth uses a placeholder");
    expect(result.code).toBe(0);
  });

  it("staging's violations are advisory: exit 0", async () => {
    const result = await synth(["--stack", "staging", "--policy"]);
    expect(result.stdout).toMatch(/Policies: enrichment-checklist \(\d+ policies, staging rules/);
    expect(result.stdout).not.toMatch(/\[mandatory\]/);
    expect(result.code).toBe(0);
  });

  it("refuses --policy-config without --policy (usage, exit 3)", async () => {
    const result = await synth(["--stack", "staging", "--policy-config", advisoryConfig]);
    expect(result.stderr).toMatch(/--policy-config needs --policy/);
    expect(result.code).toBe(3);
  });
});
