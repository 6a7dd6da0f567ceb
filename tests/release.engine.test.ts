// release/engine.ts against real processes standing in for the Pulumi CLI: an `up` that overruns
// its timeout is cancelled with SIGINT (then SIGKILL), and an `up` whose children outlive it
// (holding its output open) still returns when the CLI exits.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pulumiCli } from "../release/engine";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A `pulumi` that runs this shell body; its arguments land in $@. */
function fakeCli(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

function engine(command: string, options: { timeoutMs?: number; killAfterMs?: number; outputGraceMs?: number } = {}) {
  return pulumiCli({ stack: "dev", projectDir: dir, command, ...options });
}

describe("the Pulumi CLI as the rollout's engine", () => {
  it("passes the up's arguments and reports success and the output's tail", async () => {
    const cli = fakeCli("ok", 'echo "args: $*"; exit 0');
    const result = await engine(cli).up(path.join(dir, "Pulumi.dev.yaml"), "step 1/3");
    expect(result).toMatchObject({ ok: true, code: 0 });
    expect(result.tail).toContain("args: up --yes --skip-preview --non-interactive --stack dev --message step 1/3");
  });

  it("cancels an up that overruns its timeout with SIGINT, and names the timeout", async () => {
    const cli = fakeCli("slow", 'trap \'echo "cancelling"; exit 255\' INT\necho "updating"\nwhile :; do sleep 0.1; done');
    const started = Date.now();
    const result = await engine(cli, { timeoutMs: 1000, killAfterMs: 20_000 }).up(path.join(dir, "Pulumi.dev.yaml"), "m");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.ok).toBe(false);
    expect(result.error).toBe(`${cli} up did not finish within 1 s: cancelled`);
    expect(result.tail).toContain("updating");
    expect(result.tail).toContain("cancelling"); // the CLI saw SIGINT and could cancel
    expect(result.code).toBe(255);
  });

  it("kills a CLI that does not stop after SIGINT", async () => {
    const cli = fakeCli("stubborn", "trap '' INT\necho started\nwhile :; do sleep 0.1; done");
    const started = Date.now();
    const result = await engine(cli, { timeoutMs: 500, killAfterMs: 1000 }).up(path.join(dir, "Pulumi.dev.yaml"), "m");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.ok).toBe(false);
    expect(result.error).toContain("did not finish within");
    expect(result.tail).toContain("SIGKILL sent");
  });

  it("returns when the CLI exits though a process it started keeps its output open", async () => {
    // The background sleep inherits stdout: 'close' would wait 60 s for it.
    const pidFile = path.join(dir, "lingering.pid");
    const cli = fakeCli("lingering", `sleep 60 &\necho $! > ${pidFile}\necho done\nexit 0`);
    const started = Date.now();
    const result = await engine(cli, { outputGraceMs: 500 }).up(path.join(dir, "Pulumi.dev.yaml"), "m");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ ok: true, code: 0 });
    expect(result.tail).toContain("done");
    expect(result.tail).toContain("kept its output open");
    process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGKILL");
  });

  it("reports a CLI that is not there", async () => {
    const result = await engine(path.join(dir, "absent")).preview(path.join(dir, "Pulumi.dev.yaml"));
    expect(result.ok).toBe(false);
    expect(result.error).toContain("not found");
  });
});
