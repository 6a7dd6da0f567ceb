// `npm run verify`'s command line, report and catalog: refusals before anything is reached (exit
// 3, one line), the exit codes the report means, the table for people, the checks running and
// failing one by one (an unexpected error or a timeout is a failed check that says so), and the
// catalog and docs/verify.md naming the same checks. The checks against real stacks:
// tests/verify.engine.test.ts (a real engine), tests/verify.checks.test.ts, and the e2e.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CHECK_NAMES, runbookOf, VERIFY_CATALOG, type VerifyCheck } from "../verify/catalog";
import { exitCodeOf, renderTable, summarize, summaryLine, type VerifyReport } from "../verify/render";
import { runVerify, selectChecks, VERIFY_USAGE, verifyStack } from "../verify/run";
import type { Io } from "../release/cli";
import { outputsCommand, parseOutputs } from "../verify/outputs";
import { freePort } from "./fixtures/net";
import { TSX_LOADER } from "../synth/index";

const ROOT = path.resolve(__dirname, "..");

/** The command in this process (runVerify with captured output): what scripts/verify.ts runs, minus the process start. */
async function verify(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = { out: (text) => void (stdout += text.endsWith("\n") ? text : `${text}\n`), err: (text) => void (stderr += text.endsWith("\n") ? text : `${text}\n`) };
  const code = await runVerify(args, io);
  return { code, stdout, stderr };
}

/** The real command, as `npm run verify` starts it: one test proves the entry point, its exit code and its streams. */
function verifyProcess(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...TSX_LOADER, path.join(ROOT, "scripts/verify.ts"), ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function tempOutputs(outputs: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vfy-cli-"));
  const file = path.join(dir, "outputs.json");
  fs.writeFileSync(file, typeof outputs === "string" ? outputs : JSON.stringify(outputs), { mode: 0o600 });
  return file;
}

describe("refusals: exit 3, one line, nothing reached", () => {
  it.each([
    [[], "error: --stack is required (npm run verify -- --help lists the options)"],
    [["--stack", "staging", "--only", "containers,nonsense"], `error: --only: unknown check nonsense (known: ${CHECK_NAMES.join(", ")}) (npm run verify -- --help lists the options)`],
    [["--stack", "staging", "--only", ","], "error: --only needs at least one check name (npm run verify -- --help lists the options)"],
    [["--stack", "nosuch"], `error: ${path.join(ROOT, "Pulumi.nosuch.yaml")}: no such stack file`],
    [["--stack", "staging", "--outputs", "/nonexistent/outputs.json"], "error: --outputs /nonexistent/outputs.json: no such file"],
    [["--stack", "e2e-swarm", "--config-file", "tests/e2e/swarm/Pulumi.e2e-swarm.yaml"], "error: e2e-swarm deploys to a swarm (enrichment:deployTarget.kind); verify checks single-host stacks only (docs/verify.md)"],
  ])("%j", async (args, line) => {
    const result = await verify(args as string[]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([line]);
  }, 60_000);

  it("saved outputs that are not JSON, hide secrets, or lack the CA", async () => {
    expect((await verify(["--stack", "staging", "--outputs", tempOutputs("not json")])).stderr).toMatch(/is not JSON .*expected what `pulumi stack output --json --show-secrets` prints/);
    expect((await verify(["--stack", "staging", "--outputs", tempOutputs({ caCertificate: CA, grafanaAdminPassword: "[secret]" })])).stderr).toContain('grafanaAdminPassword read "[secret]": take the outputs with --show-secrets');
    const noCa = await verify(["--stack", "staging", "--outputs", tempOutputs({ namePrefix: "staging" })]);
    expect(noCa.code).toBe(3);
    expect(noCa.stderr).toMatch(/does not hold the outputs verify needs \(caCertificate: .*\); is the stack deployed with this program/);
  }, 60_000);
});

describe("unreachable: exit 4, a report that says why", () => {
  it("the Pulumi CLI is not there (the real process: entry point, exit code, JSON on stdout)", async () => {
    const result = await verifyProcess(["--stack", "staging", "--json"], { ...process.env, PULUMI_CLI: "/nonexistent/pulumi" });
    expect(result.code).toBe(4);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(report).toMatchObject({ stack: "staging", exitCode: 4, checks: [] });
    expect(report.error).toContain("the Pulumi CLI (/nonexistent/pulumi) is not installed or not on PATH");
  }, 60_000);

  it("the Docker engine does not answer", async () => {
    const port = await freePort();
    const result = await verify(["--stack", "staging", "--outputs", tempOutputs({ caCertificate: CA }), "--docker-host", `tcp://127.0.0.1:${port}`]);
    expect(result.code).toBe(4);
    expect(result.stdout).toContain(`the Docker engine at tcp://127.0.0.1:${port} cannot be reached`);
    expect(result.stdout).toContain("exit 4: the stack could not be reached: nothing was checked");
  }, 60_000);
});

describe("the outputs", () => {
  it("asks the CLI for JSON with the secrets, for the stack, in the project", () => {
    expect(outputsCommand({ stack: "staging", cwd: "/srv/enrichment", cli: "pulumi" })).toEqual({ file: "pulumi", args: ["stack", "output", "--json", "--show-secrets", "--non-interactive", "--stack", "staging", "--cwd", "/srv/enrichment"] });
  });

  it("keeps every output, validates the ones verify reads", () => {
    const outputs = parseOutputs(JSON.stringify({ caCertificate: CA, containers: ["a"], endpoints: { edge: "https://x" }, models: { m: "t" } }), "f");
    expect(outputs.containers).toEqual(["a"]);
    expect(() => parseOutputs(JSON.stringify({ caCertificate: CA, containers: "a" }), "f")).toThrow(/containers: /);
  });
});

describe("the report", () => {
  const check = (name: string, status: VerifyReport["checks"][number]["status"]) => ({ name, title: `${name} title`, status, lookedAt: `${name} looked`, detail: `${name} detail`, runbook: `docs/verify.md#${name}`, seconds: 0.5, ...(status === "fail" || status === "cannot-run" ? { fix: `${name} fix` } : {}) });
  const report = (checks: ReturnType<typeof check>[]): VerifyReport => ({ stack: "s", dockerHost: "unix:///var/run/docker.sock", outputs: "o.json", startedAt: "t", seconds: 1, exitCode: exitCodeOf(checks), summary: summarize(checks), reached: { edge: "directly at 127.0.0.1:8443" }, checks });

  it("exits 1 on a failed check, 2 when one could not run and none failed, 0 otherwise (skipped is no failure)", () => {
    expect(exitCodeOf([check("a", "ok"), check("b", "skipped")])).toBe(0);
    expect(exitCodeOf([check("a", "ok"), check("b", "cannot-run")])).toBe(2);
    expect(exitCodeOf([check("a", "fail"), check("b", "cannot-run")])).toBe(1);
    expect(exitCodeOf([])).toBe(0);
  });

  it("prints one line per passing check, and what it looked at, the result, the fix and the runbook for the others", () => {
    const text = renderTable(report([check("containers", "ok"), check("edge-tls", "fail"), check("edge-routing", "cannot-run"), check("alert-delivery", "skipped")]));
    expect(text).toMatch(/^ {2}ok {9}containers +0\.5 s {2}containers detail$/m);
    expect(text).toContain("FAILED     edge-tls");
    expect(text).toContain("looked at: edge-tls looked");
    expect(text).toContain("fix:       edge-tls fix");
    expect(text).toContain("runbook:   docs/verify.md#edge-tls");
    expect(text).toContain("CANNOT RUN edge-routing");
    expect(text).toContain("  edge: directly at 127.0.0.1:8443");
    expect(text.trim().split("\n").pop()).toBe("verify s: 1 ok, 1 failed (edge-tls), 1 could not run, 1 skipped; exit 1 (1.0 s): a check failed");
    expect(summaryLine(report([check("a", "ok")]))).toBe("verify s: 1 ok, 0 failed, 0 could not run, 0 skipped; exit 0 (1.0 s)");
  });
});

describe("running the checks", () => {
  it("runs each selected check in catalog order; an error or a timeout fails that check alone, saying so", async () => {
    const order: string[] = [];
    const fake = (name: string, run: VerifyCheck["run"]): VerifyCheck => ({ name, title: name, looksAt: `${name} looks`, why: "", fix: `${name} fix`, run: async (ctx) => (order.push(name), run(ctx)) });
    const catalog = [
      fake("first", async () => ({ status: "ok", lookedAt: "x", detail: "fine" })),
      fake("throws", async () => {
        throw new Error("(HTTP code 500) server error - no space left on device");
      }),
      fake("hangs", () => new Promise(() => undefined)),
      fake("last", async () => ({ status: "cannot-run", lookedAt: "y", detail: "could not look" })),
    ];
    expect(selectChecks(["last", "first"], catalog).map((c) => c.name)).toEqual(["first", "last"]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vfy-run-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.staging.yaml"), path.join(dir, "Pulumi.staging.yaml"));
    // The engine of this test is whatever answers on the stack's socket; without one, exit 4 is the answer to check.
    const report = await verifyStack({ stack: "staging", cwd: dir, outputsFile: tempOutputs({ caCertificate: CA }), catalog, checkTimeoutMs: 1_000 });
    if (report.exitCode === 4) {
      expect(report.error).toMatch(/cannot be reached/);
      return;
    }
    expect(order).toEqual(["first", "throws", "hangs", "last"]);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([["first", "ok"], ["throws", "fail"], ["hangs", "fail"], ["last", "cannot-run"]]);
    expect(report.checks[1]!.detail).toBe("the check stopped on an unexpected error: (HTTP code 500) server error - no space left on device");
    expect(report.checks[2]!.detail).toBe("did not finish within 1 s");
    expect(report.checks[3]!.fix).toBe("last fix");
    expect(report.exitCode).toBe(1);
  }, 60_000);
});

describe("the catalog and docs/verify.md", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs/verify.md"), "utf8");

  it("names each check once, with what it looks at, why, the fix, and its section in docs/verify.md", () => {
    expect(new Set(CHECK_NAMES).size).toBe(CHECK_NAMES.length);
    for (const check of VERIFY_CATALOG) {
      expect(check.name, check.name).toMatch(/^[a-z][a-z-]+$/);
      for (const field of [check.title, check.looksAt, check.why, check.fix]) expect(field.length, `${check.name}`).toBeGreaterThan(10);
      expect(runbookOf(check)).toBe(`docs/verify.md#${check.name}`);
      expect(doc, `docs/verify.md has no section for ${check.name}`).toContain(`\n### ${check.name}\n`);
    }
    const documented = [...doc.matchAll(/^### ([a-z-]+)$/gm)].map((m) => m[1]);
    expect(documented).toEqual(CHECK_NAMES);
  });

  it("lists every check in --help, and the README's Operating table points at the command", () => {
    for (const name of CHECK_NAMES) expect(VERIFY_USAGE).toContain(name);
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/\| verify a live stack \| `npm run verify -- --stack <name>/);
  });

  it("the only checks that write say so; they are the test alert and the probe document", () => {
    expect(VERIFY_CATALOG.filter((c) => c.writes).map((c) => c.name)).toEqual(["mongodb-write", "alert-delivery"]);
  });
});
