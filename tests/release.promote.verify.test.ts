// promote verifies the source stack (npm run verify) before its metric gates, and the result is
// part of the promotion report: a failed verify stops the promotion before anything is measured;
// --skip-verify says so, loudly. As a process, scripts/promote.ts runs the real verify: with saved
// outputs (--verify-outputs) of a stack whose Docker host does not answer, it stops with exit 4.
// The other real-verify case runs in this process with the same verify (verify/run.ts's verifyForPromote).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { runPromote, type VerifySource } from "../release/promote";
import { verifyForPromote } from "../verify/run";
import { freePort } from "./fixtures/net";
import { captureIo, runScript, setStagingVersion, type StackDir, stackDir } from "./fixtures/release/support";

const dirs: StackDir[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()?.remove();
});

function stacks(): StackDir {
  const made = stackDir();
  dirs.push(made);
  setStagingVersion(made, "1.4.1");
  return made;
}

/** A fetch that records what promote asked Prometheus, and answers nothing. */
function recordingFetch(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const fake = (async (input: string | URL | Request) => {
    calls.push(String(input));
    throw new TypeError("fetch failed");
  }) as typeof fetch;
  return { fetch: fake, calls };
}

const verifyExiting = (exitCode: number, asked: string[] = []): VerifySource => async ({ stack, dir }) => {
  asked.push(`${stack} in ${dir}`);
  return { exitCode, summary: `verify ${stack}: exit ${exitCode}`, table: `TABLE OF ${stack} (exit ${exitCode})` };
};

const args = (dir: string, extra: string[] = []) => ["--from", "staging", "--to", "production", "--dir", dir, "--prometheus-url", "http://127.0.0.1:9", "--timeout", "1s", ...extra];

describe("promote verifies the source stack before its gates", () => {
  it.each([
    [1, 1, "staging fails verify"],
    [2, 2, "a verify check could not run on staging"],
    [4, 4, "staging could not be reached to verify it"],
  ])("verify exit %i: promote exits %i, says why, shows verify's table, measures nothing and writes nothing", async (verifyExit, promoteExit, reason) => {
    const made = stacks();
    const before = made.read("production");
    const capture = captureIo();
    const asked: string[] = [];
    const prometheus = recordingFetch();
    const code = await runPromote(args(made.dir), capture.io, { verify: verifyExiting(verifyExit, asked), fetch: prometheus.fetch });
    expect(code, capture.out() + capture.err()).toBe(promoteExit);
    expect(asked).toEqual([`staging in ${made.dir}`]);
    expect(capture.out()).toContain(`TABLE OF staging (exit ${verifyExit})`);
    expect(capture.out()).toContain(`Not promoted: ${reason} (verify staging: exit ${verifyExit}). production stays on 1.4.0. Nothing was measured.`);
    expect(prometheus.calls).toEqual([]);
    expect(made.read("production")).toBe(before);
  });

  it("a passing verify goes on to the gates (here: Prometheus does not answer, exit 4)", async () => {
    const made = stacks();
    const capture = captureIo();
    const prometheus = recordingFetch();
    const code = await runPromote(args(made.dir), capture.io, { verify: verifyExiting(0), fetch: prometheus.fetch });
    expect(code, capture.out() + capture.err()).toBe(4);
    expect(capture.out()).toContain("TABLE OF staging (exit 0)");
    expect(prometheus.calls.length).toBeGreaterThan(0);
  });

  it("--skip-verify: verify is not run, and the report says so loudly", async () => {
    const made = stacks();
    const capture = captureIo();
    const asked: string[] = [];
    const code = await runPromote(args(made.dir, ["--skip-verify"]), capture.io, { verify: verifyExiting(0, asked), fetch: recordingFetch().fetch });
    expect(code).toBe(4);
    expect(asked).toEqual([]);
    expect(capture.out()).toContain("WARNING: --skip-verify: staging was NOT verified (npm run verify) before this promotion");
  });

  it("refuses --skip-verify with --verify-outputs (exit 3)", async () => {
    const made = stacks();
    const capture = captureIo();
    expect(await runPromote(args(made.dir, ["--skip-verify", "--verify-outputs", "x.json"]), capture.io, { verify: verifyExiting(0) })).toBe(3);
    expect(capture.err()).toContain("give --verify-outputs or --skip-verify, not both");
  });

  it("nothing to promote: verify is not run", async () => {
    const made = stacks();
    const production = (YAML.parse(made.read("production")) as { config: Record<string, unknown> }).config["enrichment:release"];
    made.edit("staging", (doc) => doc.setIn(["config", "enrichment:release"], doc.createNode(production)));
    const asked: string[] = [];
    const capture = captureIo();
    expect(await runPromote(args(made.dir), capture.io, { verify: verifyExiting(1, asked) })).toBe(0);
    expect(capture.out()).toContain("nothing to promote");
    expect(asked).toEqual([]);
  });
});

describe("promote runs the real verify (npm run promote)", () => {
  function savedOutputs(dir: string, outputs: Record<string, unknown>): string {
    const file = path.join(dir, "staging-outputs.json");
    fs.writeFileSync(file, JSON.stringify(outputs), { mode: 0o600 });
    return file;
  }

  const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  it("staging's Docker host does not answer: verify exits 4, so does promote, naming the host", async () => {
    const made = stacks();
    const port = await freePort();
    made.edit("staging", (doc) => doc.setIn(["config", "enrichment:docker", "host"], `tcp://127.0.0.1:${port}`));
    const outputs = savedOutputs(made.dir, { caCertificate: CA, namePrefix: "staging", containers: [] });
    const result = await runScript("promote", args(made.dir, ["--verify-outputs", outputs]));
    expect(result.code, result.stdout + result.stderr).toBe(4);
    expect(result.stdout).toContain(`the Docker engine at tcp://127.0.0.1:${port} cannot be reached`);
    expect(result.stdout).toContain("Not promoted: staging could not be reached to verify it");
  }, 60_000);

  // In-process with the verify scripts/promote.ts passes (verifyForPromote): the process above proves the wiring and the shell's exit code.
  it("saved outputs that hide their secrets are a usage error (exit 3), before anything is measured", async () => {
    const made = stacks();
    const before = made.read("production");
    const outputs = savedOutputs(made.dir, { caCertificate: CA, mongodbAdminUri: "[secret]" });
    const capture = captureIo();
    const prometheus = recordingFetch();
    const code = await runPromote(args(made.dir, ["--verify-outputs", outputs]), capture.io, { verify: verifyForPromote, fetch: prometheus.fetch });
    expect(code, capture.out() + capture.err()).toBe(3);
    expect(capture.err()).toContain('mongodbAdminUri read "[secret]": take the outputs with --show-secrets');
    expect(prometheus.calls).toEqual([]);
    expect(made.read("production")).toBe(before);
  });
});
