// The e2e's stand-in workers (tests/e2e/standins, documents.go) scraped by Debian's real
// Prometheus and read by the rollout's analysis: their series carry the `release` label the
// analysis selects on, a healthy candidate passes against the stable release, and one listed in
// STANDIN_DEGRADE_RELEASES fails every gate. No Docker: the stand-in runs as a process.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PLATFORM_METRICS } from "../facts/metricsContract";
import { TargetsSchema } from "../config/targets";
import { analyseCanary } from "../release/canaryAnalysis";
import { PrometheusClient } from "../release/prometheus";
import { freePort } from "./fixtures/net";
import { REPO } from "./fixtures/release/support";
import { describeWithTools, e2eCache, missingTools, ToolName, toolPath } from "./tools";

/** The stand-in is built from this checkout with Go; Debian's Prometheus scrapes it. */
const TOOLS: ToolName[] = ["go", "prometheus"];
const CACHE = e2eCache();

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-standin-"));
const children: ChildProcess[] = [];
let prometheus: string;
const WINDOW = 12;

function start(command: string, args: string[], env: Record<string, string>, log: string): ChildProcess {
  const out = fs.openSync(path.join(scratch, log), "w");
  // A clean environment: the stand-in reads every *_FILE variable it is given as a secret file.
  const child = spawn(command, args, { env: { PATH: "/usr/bin:/bin", ...env }, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  children.push(child);
  return child;
}

async function ready(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  if (missingTools(TOOLS)) return;
  // Built from this checkout's sources with the e2e's module cache (what build.sh puts in the images).
  const binary = path.join(scratch, "standin");
  execFileSync(toolPath("go"), ["build", "-trimpath", "-o", binary, "."], {
    cwd: path.join(REPO, "tests/e2e/standins"),
    env: { ...process.env, GOTOOLCHAIN: "local", GOMODCACHE: `${CACHE}/gomod`, GOCACHE: `${CACHE}/gocache`, GOFLAGS: "-mod=mod", CGO_ENABLED: "0", GOPROXY: `file://${CACHE}/goproxy-overlay,${process.env.GOPROXY ?? "https://proxy.golang.org"}` },
    stdio: "pipe",
    timeout: 300_000,
  });
  const contract = path.join(scratch, "contract.json");
  fs.writeFileSync(contract, JSON.stringify(PLATFORM_METRICS));

  const workers: { release: string; port: number }[] = [];
  for (const release of ["1.4.0", "1.4.0", "candidate-good", "candidate-bad"]) {
    const port = await freePort();
    start(binary, ["service"], {
      ENRICHMENT_SERVICE: "enrichment-worker",
      ENRICHMENT_RELEASE: release,
      PORT: String(port),
      STANDIN_CONTRACT: contract,
      STANDIN_DOCUMENTS_PER_MINUTE: "600",
      STANDIN_DEGRADE_RELEASES: "candidate-bad",
    }, `worker-${port}.log`);
    workers.push({ release, port });
  }
  for (const worker of workers) await ready(`http://127.0.0.1:${worker.port}/health`, 20_000);

  const port = await freePort();
  const config = path.join(scratch, "prometheus.yml");
  fs.writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: enrichment-worker\n    static_configs:\n      - targets: [${workers.map((w) => `"127.0.0.1:${w.port}"`).join(", ")}]\n`,
  );
  start(toolPath("prometheus"), [`--config.file=${config}`, `--storage.tsdb.path=${path.join(scratch, "data")}`, `--web.listen-address=127.0.0.1:${port}`], {}, "prometheus.log");
  prometheus = `http://127.0.0.1:${port}`;
  await ready(`${prometheus}/-/ready`, 30_000);
  // A window's worth of scrapes, and one more interval for the last sample to land.
  await new Promise((resolve) => setTimeout(resolve, (WINDOW + 3) * 1000));
}, 400_000);

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  fs.rmSync(scratch, { recursive: true, force: true });
});

describeWithTools(TOOLS, "stand-in workers under a real Prometheus", () => {
  const analyse = (candidate: string) => {
    const client = new PrometheusClient(prometheus);
    return analyseCanary({
      canaryRelease: candidate,
      stableRelease: "1.4.0",
      targets: TargetsSchema.parse({}),
      windowSeconds: WINDOW,
      margin: 0.1,
      minDocuments: 20,
      measure: (expr, at) => client.queryValue(expr, at),
      at: new Date(),
    });
  };

  it("a healthy candidate passes against the stable release; each release's numbers are its own", async () => {
    const analysis = await analyse("candidate-good");
    expect(analysis.verdict, analysis.reasons.join("\n")).toBe("pass");
    // Two stable workers, one candidate: twice the documents, the same ratios.
    expect(analysis.documents.stable! / analysis.documents.canary!).toBeCloseTo(2, 0);
    const completeness = analysis.gates.find((g) => g.gate.id === "completeness")!;
    expect(completeness.canary).toBeCloseTo(0.97, 6);
    expect(completeness.stable).toBeCloseTo(0.97, 6);
  });

  it("a candidate in STANDIN_DEGRADE_RELEASES fails every gate, against the targets and against stable", async () => {
    const analysis = await analyse("candidate-bad");
    expect(analysis.verdict).toBe("fail");
    for (const gate of analysis.gates) expect([gate.gate.id, gate.absolute, gate.comparison]).toEqual([gate.gate.id, "fail", "fail"]);
  });
});
