// Every command behaves like one tool (issue 11): --help exits 0 with the shared exit-code table,
// an unknown flag is refused in one line on stderr with exit 3 and no stack trace. Both answer
// before the command loads its implementation: the processes run with a hook that refuses the
// heavy packages (tests/fixtures/cli/forbidHeavyModules.cjs), so a script that imports its
// implementation eagerly again fails here, and a --help stays a fraction of a second.
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

async function command(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const file = path.join(ROOT, entryPoint(script));
    // The node and hooks `npm run` starts (package.json: `node --require tsx/cjs`).
    const { stdout, stderr } = await run(process.execPath, [...TSX_LOADER, file, ...args], { cwd: ROOT, env: LIGHT_ENV, timeout: 60_000 });
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

describe("package.json", () => {
  it("runs each command as the cases above do: node with tsx's CommonJS hooks", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(TSX_LOADER).toEqual(["--require", require.resolve("tsx/cjs", { paths: [ROOT] })]);
    for (const script of COMMANDS) expect(scripts[script], script).toBe(`node --require tsx/cjs ${entryPoint(script)}`);
  });
});

describe("the guard against heavy modules", () => {
  // Without it, the cases above would pass with an eager import as well.
  it.concurrent.each(["@pulumi/pulumi", "zod", "dockerode", "mongodb"])("refuses %s, and lets node built-ins load", async (name) => {
    const attempt = run(process.execPath, ["-e", `require("node:path"); require(${JSON.stringify(name)})`], { cwd: ROOT, env: LIGHT_ENV, timeout: 60_000 });
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
