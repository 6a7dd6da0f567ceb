// Every command behaves like one tool (issue 11): --help exits 0 with the shared exit-code table,
// an unknown flag is refused in one line on stderr with exit 3 and no stack trace. Both answer
// before the command loads its implementation: the processes run with a hook that refuses the
// heavy packages (tests/fixtures/cli/forbidHeavyModules.cjs), so a script that imports its
// implementation eagerly again fails here, and a --help stays a fraction of a second. Past the
// parse, the release tools and verify load their whole implementation without the program's SDKs
// (the Pulumi SDK, the Docker provider's, Grafana's): they read stack files and live stacks.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { EXIT, EXIT_TABLE } from "../release/cli";
import { TSX_LOADER } from "../synth/index";

const ROOT = path.resolve(__dirname, "..");
const run = promisify(execFile);

/** Throws when "@pulumi/pulumi", "zod", "dockerode" or "mongodb" loads (NODE_OPTIONS reaches the node that runs the command). */
const FORBID_HEAVY = path.join(ROOT, "tests", "fixtures", "cli", "forbidHeavyModules.cjs");
const LIGHT_ENV = { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require "${FORBID_HEAVY}"`].filter(Boolean).join(" ") };

const entryPoint = (script: string) => (script === "e2e" ? "tests/e2e/run.ts" : `scripts/${script}.ts`);

/** What the release tools and verify must never load: the program's SDKs (a second of start-up each). */
const PROGRAM_SDKS = ["@pulumi/pulumi", "@pulumi/docker", "@grafana/grafana-foundation-sdk"];
const WITHOUT_SDKS_ENV = { ...LIGHT_ENV, FORBID_MODULES: PROGRAM_SDKS.join(",") };

async function command(script: string, args: string[], env: NodeJS.ProcessEnv = LIGHT_ENV): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const file = path.join(ROOT, entryPoint(script));
    // The node and hooks `npm run` starts (package.json: `node --require tsx/cjs`).
    const { stdout, stderr } = await run(process.execPath, [...TSX_LOADER, file, ...args], { cwd: ROOT, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const COMMANDS = ["synth", "promote", "rollback", "rollout", "drift-report", "bench", "docs", "restore", "verify", "e2e"];

// Each case is its own process: they run side by side (wall time), each still a real command.
describe.concurrent.each(COMMANDS)("npm run %s", (script) => {
  it("--help exits 0 and prints the shared exit codes", async () => {
    const { code, stdout, stderr } = await command(script, ["--help"]);
    expect(stderr, "--help loaded the implementation before it answered").not.toContain("forbidHeavyModules");
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(`Usage: npm run ${script}`);
    expect(stdout).toContain(EXIT_TABLE);
  });

  it("an unknown flag: exit 3, one line, no stack trace", async () => {
    const { code, stdout, stderr } = await command(script, ["--frobnicate"]);
    expect(stderr, "the usage error loaded the implementation before it answered").not.toContain("forbidHeavyModules");
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toEqual([`error: unknown option --frobnicate (npm run ${script} -- --help lists the options)`]);
  });
});

// Each command's implementation is imported whole before it runs, so a run that stops at its first
// step proves the closure; verify goes further, through the staging file's validation (promote
// loads verify only when it verifies: the verify case covers that closure).
describe.concurrent("the release tools and verify, past the parse, without the program's SDKs", () => {
  it.each([
    ["promote", ["--from", "nosuch", "--to", "production"], `error: ${path.join(ROOT, "Pulumi.nosuch.yaml")}: no such stack file`],
    ["rollback", ["--stack", "nosuch"], `error: ${path.join(ROOT, "Pulumi.nosuch.yaml")}: no such stack file`],
    ["restore", ["--stack", "nosuch"], `error: ${path.join(ROOT, "Pulumi.nosuch.yaml")}: no such stack file`],
    ["rollout", ["--stack", "nosuch", "--to", "1.0.0"], `error: ${path.join(ROOT, "Pulumi.nosuch.yaml")}: no such stack file`],
    ["verify", ["--stack", "staging", "--outputs", "/nonexistent/outputs.json"], "error: --outputs /nonexistent/outputs.json: no such file"],
    ["drift-report", ["/nonexistent/preview.json"], "drift-report: cannot read /nonexistent/preview.json: ENOENT: no such file or directory, open '/nonexistent/preview.json'"],
  ])("npm run %s %j", async (script, args, line) => {
    const { stdout, stderr } = await command(script as string, args as string[], WITHOUT_SDKS_ENV);
    expect(stderr, "the command loaded one of the program's SDKs").not.toContain("forbidHeavyModules");
    expect(`${stdout}${stderr}`.trim().split("\n")).toEqual([line]);
  });
});

describe("package.json", () => {
  it("runs each command as the cases above do: node with tsx's CommonJS hooks", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(TSX_LOADER).toEqual(["--require", require.resolve("tsx/cjs", { paths: [ROOT] })]);
    for (const script of COMMANDS) expect(scripts[script], script).toBe(`node --require tsx/cjs ${entryPoint(script)}`);
  });
});

describe("the guard against heavy modules", () => {
  // Without it, the cases above would pass with an eager import as well.
  it.concurrent.each([
    ["@pulumi/pulumi", LIGHT_ENV],
    ["zod", LIGHT_ENV],
    ["dockerode", LIGHT_ENV],
    ["mongodb", LIGHT_ENV],
    ["@pulumi/docker", WITHOUT_SDKS_ENV],
    ["@grafana/grafana-foundation-sdk/dashboard", WITHOUT_SDKS_ENV],
  ])("refuses %s, and lets node built-ins load", async (name, env) => {
    const attempt = run(process.execPath, ["-e", `require("node:path"); require(${JSON.stringify(name)})`], { cwd: ROOT, env, timeout: 60_000 });
    await expect(attempt).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`forbidHeavyModules: `) });
    await expect(attempt).rejects.toMatchObject({ stderr: expect.stringContaining(`loads "${name}"`) });
  });
});

describe("the table", () => {
  it("lists every code once, in order", () => {
    const listed = [...EXIT_TABLE.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]));
    expect(listed).toEqual([...new Set(Object.values(EXIT))].sort((a, b) => a - b));
  });
});
