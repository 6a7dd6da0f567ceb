// `npm run rollout` as real processes: the command is SIGKILLed during a pause and run again.
// What is real: the processes, the kill, the lock left behind by a dead pid and its detection
// (/proc), the state and audit files, the clock, the Pulumi CLI module spawning a CLI with its
// arguments (a stand-in script records them: the real CLI runs in the e2e), the Prometheus HTTP
// API client (against a small server answering the analysis' queries per release).
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAudit, readState, rolloutFiles } from "../release/rolloutState";
import { CANDIDATE, rolloutStacks, scriptedMetrics } from "./fixtures/release/rollout";
import { configValue, REPO } from "./fixtures/release/support";
import { TSX_LOADER } from "../synth/index";

/** The shortest the command accepts at a 10 s scrape interval (the least the schema allows): two scrapes of pause, four of window. */
const PAUSE = 20;
const WINDOW = 40;
let server: http.Server;
let prometheusUrl: string;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-process-"));
const fakePulumi = path.join(scratch, "pulumi");
const pulumiLog = path.join(scratch, "pulumi.log");

beforeAll(async () => {
  // Answers the analysis' exact queries for a WINDOW-second window: both releases healthy.
  const metrics = scriptedMetrics(WINDOW, () => ({ canary: {}, stable: {} }));
  server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", async () => {
      const params = new URLSearchParams(body);
      const value = await metrics.measure(params.get("query") ?? "", new Date(Number(params.get("time")) * 1000)).catch(() => undefined);
      const result = value === undefined ? [] : [{ metric: {}, value: [Number(params.get("time")), String(value)] }];
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  prometheusUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // The CLI stand-in: one line per call with its working directory and arguments; `up` takes a second.
  fs.writeFileSync(fakePulumi, `#!/bin/sh\nprintf '%s\\t%s\\n' "$PWD" "$*" >> "${pulumiLog}"\n[ "$1" = up ] && sleep 1\nexit 0\n`, { mode: 0o755 });
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  fs.rmSync(scratch, { recursive: true, force: true });
});

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [...TSX_LOADER, path.join(REPO, "scripts/rollout.ts"), ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("npm run rollout killed mid-rollout", () => {
  it("SIGKILL during the pause leaves the state and the lock; the same command takes the dead pid's lock, resumes and completes", async () => {
    const stacks = rolloutStacks(2, (doc) => doc.setIn(["config", "enrichment:monitoring", "scrapeInterval"], "10s"));
    const project = path.join(scratch, "project");
    fs.mkdirSync(project, { recursive: true });
    const files = rolloutFiles(path.join(stacks.dir, ".rollout"), "production");
    const args = ["--stack", "production", "--to", CANDIDATE, "--from", "staging", "--steps", `50:${PAUSE}s,100`, "--window", `${WINDOW}s`, "--dir", stacks.dir, "--project", project, "--pulumi", fakePulumi, "--prometheus-url", prometheusUrl];
    try {
      const first = start(args);
      await until(() => readState(files)?.phase === "wait", 60_000, "the first run to reach step 1's pause");
      // The lock names the process that runs the rollout: that one is killed.
      const lock = JSON.parse(fs.readFileSync(files.lock, "utf8"));
      expect(lock.host).toBe(os.hostname());
      expect(fs.readFileSync(`/proc/${lock.pid}/cmdline`, "utf8")).toContain("scripts/rollout.ts");
      process.kill(lock.pid, "SIGKILL");
      const killed = await first.done;
      expect(killed.code ?? killed.signal, killed.stderr).not.toBe(0);
      expect(fs.existsSync(files.lock)).toBe(true);
      expect(configValue(stacks.read("production"), "enrichment:canary")).toMatchObject({ workers: 1, release: { version: CANDIDATE } });

      const second = await start(args).done;
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(second.stderr).toContain(`took over the lock of pid ${lock.pid}`);
      expect(second.stdout).toContain("Resuming rollout production-1.4.1-");
      expect(second.stdout).toMatch(/Analysis of step 1 \(50 %\)/);
      expect(fs.existsSync(files.lock)).toBe(false);

      // The CLI ran in the project directory, with the stack file that is not the project's own.
      const calls = fs.readFileSync(pulumiLog, "utf8").trim().split("\n");
      expect(calls).toHaveLength(2);
      const stackFile = path.join(stacks.dir, "Pulumi.production.yaml");
      for (const call of calls) {
        const [cwd, argv] = [call.slice(0, call.indexOf("\t")), call.slice(call.indexOf("\t") + 1)];
        expect(fs.realpathSync(cwd!)).toBe(fs.realpathSync(project));
        expect(argv).toMatch(/^up --yes --skip-preview --non-interactive --stack production --message rollout production-1\.4\.1-\S+ \| /);
        expect(argv!.endsWith(`--config-file ${stackFile}`)).toBe(true);
      }
      expect(calls[0]).toContain("step 1/2: 50 %: 1 of 2 workers on 1.4.1");
      expect(calls[1]).toContain("analysis PASS");
      expect(calls[1]).toContain("step 2/2: 100 %: 1.4.1 becomes the release");

      expect((configValue(stacks.read("production"), "enrichment:release") as { version: string }).version).toBe(CANDIDATE);
      expect(readAudit(files).map((e) => e.event)).toEqual(["start", "step", "up", "stale-lock", "resume", "analysis", "decision", "step", "up", "completed"]);
    } finally {
      stacks.remove();
    }
  }, 120_000);
});
