// The rollout's analysis math against Debian's real Prometheus on backfilled series (as
// promote's gates are tested): canary and stable releases are `release` labels of the workers'
// series, each scenario one candidate profile against the stable one, evaluated at one past
// instant. Then whole rollouts (fake engine, replayed clock) read the same Prometheus.
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { analyseCanary, CanaryAnalysis } from "../release/canaryAnalysis";
import { EXIT } from "../release/cli";
import { PrometheusClient } from "../release/prometheus";
import { runRollout } from "../release/rollout";
import { TargetsSchema } from "../config/targets";
import { Dataset, ReleaseProfile, renderOpenMetrics } from "./fixtures/release/metrics";
import { startPrometheus, TestPrometheus } from "./fixtures/release/prometheus";
import { fakeProcesses, recordingEngine, rolloutStacks, steppingClock } from "./fixtures/release/rollout";
import { captureIo, setStagingVersion, StackDir } from "./fixtures/release/support";
import { describeWithTools, missingTools, ToolName } from "./tools";

const MINUTE = 60;
const HOUR = 3600;
const BASE = Math.floor(Date.now() / 1000 / MINUTE) * MINUTE - 6 * HOUR;
const END = BASE + 5 * HOUR;
/** The analyses' evaluation time: two hours into the data. */
const T = BASE + 2 * HOUR;
const WINDOW = 15 * MINUTE;

const STABLE: ReleaseProfile = {
  release: "1.4.0",
  start: BASE,
  docsPerMinute: () => 2,
  failedShare: 0.0004,
  completeness: 0.97,
  autoApproval: 0.94,
  costPerDocument: 0.2,
  apiRequestsPerMinute: 60,
  api5xxShare: 0,
  documentSeconds: 30,
};
const canary = (release: string, change: Partial<ReleaseProfile> = {}): ReleaseProfile => ({ ...STABLE, release, start: BASE + HOUR, docsPerMinute: () => 2, ...change });

const PROFILES = {
  good: canary("good"),
  withinMargin: canary("within-margin", { costPerDocument: 0.21 }),
  costlier: canary("costlier", { costPerDocument: 0.4 }),
  incomplete: canary("incomplete", { completeness: 0.9 }),
  slow: canary("slow", { documentSeconds: 150 }),
  slower: canary("slower", { documentSeconds: 60 }),
  failing: canary("failing", { failedShare: 0.004 }),
  sparse: canary("sparse", { docsPerMinute: () => 0.1 }),
  untimed: canary("untimed", { omit: ["duration"] }),
  /** A stable release that itself misses the completeness target, for a canary no worse than it. */
  badStable: { ...STABLE, release: "1.3.9", completeness: 0.9 },
  likeBadStable: canary("like-bad-stable", { completeness: 0.9 }),
};

const DATASET: Dataset = { from: BASE, to: END, step: MINUTE, releases: Object.values(PROFILES).concat(STABLE), alerts: [] };

let prometheus: TestPrometheus;
let client: PrometheusClient;
/** The analyses read a real Prometheus whose data promtool backfilled. */
const PROMETHEUS_TOOLS: ToolName[] = ["prometheus", "promtool"];

beforeAll(async () => {
  if (missingTools(PROMETHEUS_TOOLS)) return;
  prometheus = await startPrometheus(renderOpenMetrics(DATASET));
  client = new PrometheusClient(prometheus.url);
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
});

function analyse(candidate: string, stable = "1.4.0"): Promise<CanaryAnalysis> {
  return analyseCanary({
    canaryRelease: candidate,
    stableRelease: stable,
    targets: TargetsSchema.parse({}),
    windowSeconds: WINDOW,
    margin: 0.1,
    minDocuments: 10,
    measure: (expr, at) => client.queryValue(expr, at),
    at: new Date(T * 1000),
  });
}

/** gate id -> [vs target, vs stable] */
const verdicts = (analysis: CanaryAnalysis) => Object.fromEntries(analysis.gates.map((g) => [g.gate.id, [g.absolute, g.comparison]]));
const allPass = { completeness: ["pass", "pass"], "auto-approval": ["pass", "pass"], "document-errors": ["pass", "pass"], cost: ["pass", "pass"], latency: ["pass", "pass"] };

describeWithTools(PROMETHEUS_TOOLS, "the canary analysis against a real Prometheus", () => {
  it("a canary like the stable release passes, with both releases' numbers read per release label", async () => {
    const analysis = await analyse("good");
    expect(analysis.verdict, analysis.reasons.join("\n")).toBe("pass");
    expect(verdicts(analysis)).toEqual(allPass);
    // 15 minutes at 2 documents a minute, completed plus the failed share.
    expect(analysis.documents.canary).toBeCloseTo(30 / (1 - 0.0004), 1);
    expect(analysis.documents.stable).toBeCloseTo(30 / (1 - 0.0004), 1);
    const byId = Object.fromEntries(analysis.gates.map((g) => [g.gate.id, g]));
    expect(byId.completeness!.canary).toBeCloseTo(0.97, 6);
    expect(byId.cost!.stable).toBeCloseTo(0.2, 6);
    expect(byId["document-errors"]!.canary).toBeCloseTo(0.0004, 6);
    // Every document took 30 s: the quantile interpolates inside the (20, 30] bucket.
    expect(byId.latency!.canary).toBeCloseTo(29.5, 6);
  });

  it("within the margin passes: $0.21 against $0.20 (allowed: $0.02)", async () => {
    const analysis = await analyse("within-margin");
    expect(analysis.verdict, analysis.reasons.join("\n")).toBe("pass");
  });

  it.each([
    ["costlier", "cost", ["pass", "fail"], "cost per document: canary $0.400 is worse than stable $0.200 by more than $0.020"],
    ["slower", "latency", ["pass", "fail"], "document p95: canary 58.5 s is worse than stable 29.5 s by more than 2.95 s"],
    ["incomplete", "completeness", ["fail", "fail"], "completeness: canary 90.00 % misses the target >= 95.00 %"],
    ["slow", "latency", ["fail", "fail"], "document p95: canary 291.0 s misses the target <= 120.0 s"],
    ["failing", "document-errors", ["fail", "fail"], "document error rate: canary 0.40 % misses the target <= 0.10 %"],
  ])("%s fails on %s and nothing else", async (release, gate, expected, reason) => {
    const analysis = await analyse(release);
    expect(analysis.verdict).toBe("fail");
    expect(verdicts(analysis)).toEqual({ ...allPass, [gate]: expected });
    expect(analysis.reasons, analysis.reasons.join("\n")).toContain(reason);
  });

  it("a canary no worse than a stable release that misses a target fails the target, passes the comparison", async () => {
    const analysis = await analyse("like-bad-stable", "1.3.9");
    expect(analysis.verdict).toBe("fail");
    expect(verdicts(analysis).completeness).toEqual(["fail", "pass"]);
  });

  it("too few documents is inconclusive for every gate, never a pass", async () => {
    const analysis = await analyse("sparse");
    expect(analysis.verdict).toBe("inconclusive");
    expect(analysis.gates.every((g) => g.absolute === "inconclusive" && g.comparison === "inconclusive")).toBe(true);
    expect(analysis.reasons[0]).toMatch(/^too little data in the 15m window \(at least 10 documents per release\): canary sparse: 2 documents$/);
  });

  it("a gate without data is inconclusive; a release Prometheus has never seen is too", async () => {
    const untimed = await analyse("untimed");
    expect(untimed.verdict).toBe("inconclusive");
    expect(verdicts(untimed)).toEqual({ ...allPass, latency: ["inconclusive", "inconclusive"] });
    const unknown = await analyse("9.9.9");
    expect(unknown.verdict).toBe("inconclusive");
    expect(unknown.documents.canary).toBeUndefined();
  });

  it("before the canary started there is no canary data: inconclusive", async () => {
    const analysis = await analyseCanary({
      canaryRelease: "good",
      stableRelease: "1.4.0",
      targets: TargetsSchema.parse({}),
      windowSeconds: WINDOW,
      margin: 0.1,
      minDocuments: 10,
      measure: (expr, at) => client.queryValue(expr, at),
      at: new Date((BASE + 30 * MINUTE) * 1000),
    });
    expect(analysis.verdict).toBe("inconclusive");
  });
});

describeWithTools(PROMETHEUS_TOOLS, "whole rollouts reading the real Prometheus", () => {
  const dirs: StackDir[] = [];
  afterEach(() => {
    while (dirs.length) dirs.pop()?.remove();
  });

  async function rolloutOf(candidate: string) {
    const stacks = rolloutStacks(2);
    dirs.push(stacks);
    setStagingVersion(stacks, candidate);
    const engine = recordingEngine();
    const capture = captureIo();
    // The step starts 15 minutes before T; its pause ends (and the analysis runs) at T.
    const args = ["--stack", "production", "--to", candidate, "--from", "staging", "--steps", "50:15m,100", "--dir", stacks.dir, "--prometheus-url", prometheus.url];
    const code = await runRollout(args, capture.io, { engine, clock: steppingClock((T - WINDOW) * 1000), processes: fakeProcesses() });
    return { code, out: capture.out(), err: capture.err(), engine };
  }

  it("a good candidate goes to 100 % and becomes the release", async () => {
    const { code, out, engine } = await rolloutOf("good");
    expect(code, out).toBe(EXIT.ok);
    expect(engine.ups.map((u) => [u.release, u.canary?.workers ?? null])).toEqual([
      ["1.4.0", 1],
      ["good", null],
    ]);
  });

  it("a bad candidate is aborted at the first step and every worker is back on the stable release", async () => {
    const { code, out, engine } = await rolloutOf("incomplete");
    expect(code, out).toBe(EXIT.failed);
    expect(engine.ups.map((u) => [u.release, u.canary?.workers ?? null])).toEqual([
      ["1.4.0", 1],
      ["1.4.0", null],
    ]);
    expect(out).toContain("completeness: canary 90.00 % misses the target >= 95.00 %");
  });
});
