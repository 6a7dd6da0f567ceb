// Promotion against Debian's real Prometheus: staging metrics are backfilled with promtool, and
// each scenario is one `release` label in that data (a passing release, one failing each gate,
// releases with missing data). The analysis is replayed (--at) inside the backfilled range.
import * as fs from "node:fs";
import * as YAML from "yaml";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { describeWithTools, missingTools, ToolName } from "./tools";
import type { Clock } from "../release/analysis";
import { GATES, INGESTION_GATES } from "../release/gates";
import { freePort } from "./fixtures/net";
import { runPromote, type VerifySource } from "../release/promote";
import { runRollback } from "../release/rollback";
import { validateStackText } from "../release/stackEdit";
import { Dataset, ReleaseProfile, renderOpenMetrics } from "./fixtures/release/metrics";
import { startPrometheus, TestPrometheus } from "./fixtures/release/prometheus";
import {
  captureIo,
  commentLines,
  configKeys,
  configValue,
  repoStackText,
  runScript,
  setStagingVersion,
  StackDir,
  stackDir,
} from "./fixtures/release/support";

const MINUTE = 60;
const HOUR = 3600;
// Backfilled blocks must lie in the past: the data covers [now-6h, now-1h].
const BASE = Math.floor(Date.now() / 1000 / MINUTE) * MINUTE - 6 * HOUR;
const END = BASE + 5 * HOUR;
/** Replay time of the passing and failing scenarios. */
const T = BASE + 3 * HOUR;
/** A critical alert fires from BASE+4h; this replay time sees it. */
const T_ALERT = BASE + 4 * HOUR + 10 * MINUTE;
/** The ingestion MCP server misses its scrapes for the 5 minutes before this replay time. */
const T_DOWN = BASE + 2 * HOUR;
/** Staging runs the web-ingestion plane: its gates are measured too. */
const ALL_GATES = [...GATES, ...INGESTION_GATES];

const PASS: ReleaseProfile = {
  release: "1.4.1",
  start: BASE,
  docsPerMinute: () => 2, // 120 per hour
  failedShare: 0.0005,
  completeness: 0.97,
  autoApproval: 0.95,
  costPerDocument: 0.3,
  apiRequestsPerMinute: 300,
  api5xxShare: 0.0005,
  documentSeconds: 30,
  // p95 1.95 s (1 to 2 s), 0.4875 s (0.25 to 0.5 s); 0.05 % failed.
  ingestion: { pagesPerMinute: 20, indexSeconds: 1.5, queriesPerMinute: 60, querySeconds: 0.4, failedShare: 0.0005 },
};

const like = (release: string, change: Partial<ReleaseProfile>): ReleaseProfile => ({ ...PASS, release, ...change });

// Each failing profile breaks exactly one gate (with --window 15m and the staging soak of 60 min).
const FAILING: { release: string; gate: string; profile: ReleaseProfile; at?: number }[] = [
  // 1 document a minute, only for the last 16 minutes: 60/h now, but < 20 documents in the soak.
  { release: "fail-documents", gate: "documents", profile: like("fail-documents", { docsPerMinute: (t) => (t > T - 16 * MINUTE ? 1 : 0) }) },
  { release: "fail-soak", gate: "soak", profile: like("fail-soak", { start: T - 30 * MINUTE }) },
  { release: "fail-throughput", gate: "throughput", profile: like("fail-throughput", { docsPerMinute: () => 0.5 }) },
  { release: "fail-completeness", gate: "completeness", profile: like("fail-completeness", { completeness: 0.9 }) },
  { release: "fail-auto-approval", gate: "auto-approval", profile: like("fail-auto-approval", { autoApproval: 0.8 }) },
  { release: "fail-cost", gate: "cost", profile: like("fail-cost", { costPerDocument: 0.75 }) },
  { release: "fail-latency", gate: "latency", profile: like("fail-latency", { documentSeconds: 300 }) },
  { release: "fail-document-errors", gate: "document-errors", profile: like("fail-document-errors", { failedShare: 0.02 }) },
  { release: "fail-api-errors", gate: "api-errors", profile: like("fail-api-errors", { api5xxShare: 0.01 }) },
  { release: "1.4.1", gate: "critical-alerts", profile: PASS, at: T_ALERT },
  // The web-ingestion plane's: p95 9.75 s (5 to 10 s), 4.85 s (2 to 5 s), 2 % failed, 5 minutes down.
  { release: "fail-ingestion-index", gate: "ingestion-index-p95", profile: like("fail-ingestion-index", { ingestion: { ...PASS.ingestion!, indexSeconds: 7 } }) },
  { release: "fail-ingestion-query", gate: "ingestion-query-p95", profile: like("fail-ingestion-query", { ingestion: { ...PASS.ingestion!, querySeconds: 3 } }) },
  { release: "fail-ingestion-errors", gate: "ingestion-errors", profile: like("fail-ingestion-errors", { ingestion: { ...PASS.ingestion!, failedShare: 0.02 } }) },
  { release: "1.4.1", gate: "ingestion-availability", profile: PASS, at: T_DOWN },
];

const NO_DATA = like("no-data", { omit: ["documents", "completeness", "autoApproved", "cost", "api", "duration", "ingestion"] });
const PARTIAL = like("partial", { omit: ["completeness", "api"] });
const FAIL_AND_MISSING = like("fail-and-missing", { costPerDocument: 0.75, omit: ["completeness"] });

const DATASET: Dataset = {
  from: BASE,
  to: END,
  step: MINUTE,
  releases: [PASS, ...FAILING.filter((f) => f.profile !== PASS).map((f) => f.profile), NO_DATA, PARTIAL, FAIL_AND_MISSING],
  alerts: [
    { alertname: "EnrichmentWorkerDown", severity: "critical", state: "firing", from: BASE + 4 * HOUR, to: END },
    // Neither a warning nor a pending critical alert blocks a promotion.
    { alertname: "CompletenessLow", severity: "warning", state: "firing", from: BASE, to: END },
    { alertname: "CostBudgetBurn", severity: "critical", state: "pending", from: T - 30 * MINUTE, to: T + 30 * MINUTE },
  ],
  ingestionDown: [{ from: T_DOWN - 5 * MINUTE, to: T_DOWN }],
};

/** verify passing on the source stack: these tests are about the gates (tests/release.promote.verify.test.ts is about verify). */
const passingVerify: VerifySource = async ({ stack }) => ({ exitCode: 0, summary: `verify ${stack}: 17 ok`, table: `verify ${stack}: every check passed` });

const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");

let prometheus: TestPrometheus;
/** The gates read a real Prometheus whose data promtool backfilled. */
const PROMETHEUS_TOOLS: ToolName[] = ["prometheus", "promtool"];
const dirs: StackDir[] = [];

beforeAll(async () => {
  if (missingTools(PROMETHEUS_TOOLS)) return;
  prometheus = await startPrometheus(renderOpenMetrics(DATASET));
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
});

afterEach(() => {
  while (dirs.length) dirs.pop()?.remove();
});

function stacksFor(version: string): StackDir {
  const stacks = stackDir();
  dirs.push(stacks);
  setStagingVersion(stacks, version);
  return stacks;
}

function gateArgs(stacks: StackDir, at: number, extra: string[] = []): string[] {
  return [
    "--from", "staging", "--to", "production", "--dir", stacks.dir,
    "--prometheus-url", prometheus.url, "--count", "3", "--interval", "60s", "--window", "15m", "--at", iso(at), ...extra,
  ];
}

async function promote(stacks: StackDir, at = T, extra: string[] = []) {
  const capture = captureIo();
  const code = await runPromote(gateArgs(stacks, at, extra), capture.io, { verify: passingVerify });
  return { code, out: capture.out(), err: capture.err() };
}

/** gate id -> verdict, read from the printed table (so the table itself is under test). */
function verdicts(out: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const gate of ALL_GATES) {
    const row = out.split("\n").find((line) => line.startsWith(`${gate.title}  `));
    if (row) result[gate.id] = row.trim().split(/\s+/).pop() ?? "";
  }
  return result;
}

function expectOnly(out: string, verdict: string, gates: string[]): void {
  const table = verdicts(out);
  expect(Object.keys(table).sort()).toEqual(ALL_GATES.map((g) => g.id).sort());
  for (const gate of ALL_GATES) expect([gate.id, table[gate.id]]).toEqual([gate.id, gates.includes(gate.id) ? verdict : "PASS"]);
}

describeWithTools(PROMETHEUS_TOOLS, "promote against a real Prometheus", () => {
  it("promotes a release whose gates all pass, keeping the production file's comments and order", async () => {
    const stacks = stacksFor("1.4.1");
    const before = stacks.read("production");
    const staging = stacks.read("staging");

    const { code, out } = await promote(stacks);

    expect(code, out).toBe(0);
    expectOnly(out, "PASS", []);
    // staging's verify is part of the promotion report, before the gates.
    expect(out.indexOf("verify staging: every check passed")).toBeGreaterThan(-1);
    expect(out.indexOf("verify staging: every check passed")).toBeLessThan(out.indexOf("Gates:"));
    expect(out).toContain("staging passed verify and all gates.");
    const after = stacks.read("production");
    expect(after).not.toBe(before);
    expect(stacks.read("staging")).toBe(staging);

    // The release is staging's; the replaced one is recorded first in the history.
    const oldRelease = configValue(before, "enrichment:release");
    expect(configValue(after, "enrichment:release")).toEqual(configValue(staging, "enrichment:release"));
    const history = configValue(after, "enrichment:releaseHistory") as { release: unknown; replacedAt: string; replacedBy: string }[];
    expect(history).toHaveLength(1);
    expect(history[0].release).toEqual(oldRelease);
    expect(history[0].replacedBy).toBe("1.4.1");
    expect(new Date(history[0].replacedAt).toISOString()).toBe(history[0].replacedAt);

    // Comments, key order and everything outside the release block and the history are intact.
    expect(commentLines(after)).toEqual(commentLines(before));
    expect(configKeys(after)).toEqual(configKeys(before));
    const beforeLines = before.split("\n");
    const afterLines = after.split("\n");
    const head = beforeLines.indexOf("  enrichment:release:") + 1;
    const tail = beforeLines.length - beforeLines.indexOf("  enrichment:resources:");
    expect(head).toBeGreaterThan(1);
    expect(afterLines.slice(0, head)).toEqual(beforeLines.slice(0, head));
    expect(afterLines.slice(-tail)).toEqual(beforeLines.slice(-tail));
    expect(after).toContain('    agentCatalogVersion: "2026.11"\n');

    // The written file validates with the program's schema.
    expect(validateStackText("production", after, "Pulumi.production.yaml").problems).toEqual([]);

    // The diff is printed.
    expect(out).toContain("--- a/Pulumi.production.yaml");
    expect(out).toContain("-    version: 1.4.0");
    expect(out).toContain("+    version: 1.4.1");
    expect(out).toContain("-  enrichment:releaseHistory: []");
  });

  it.each(FAILING.map((f) => [f.gate, f.release, f.at ?? T] as const))("fails on the %s gate (release %s) and leaves production alone", async (gate, release, at) => {
    const stacks = stacksFor(release);
    const before = stacks.read("production");

    const { code, out } = await promote(stacks, at);

    expect(code, out).toBe(1);
    expectOnly(out, "FAIL", [gate]);
    expect(out).toContain("Not promoted: a gate failed");
    expect(stacks.read("production")).toBe(before);
  });

  it("is inconclusive, never a pass, when the release has no data", async () => {
    const stacks = stacksFor("no-data");
    const before = stacks.read("production");

    const { code, out } = await promote(stacks);

    expect(code, out).toBe(2);
    // Soak time comes from enrichment_release_info and no critical alert fires: only those pass.
    // The ingestion server's uptime has no release label either: it passes too.
    expectOnly(out, "INCONCLUSIVE", ["documents", "throughput", "completeness", "auto-approval", "cost", "latency", "document-errors", "api-errors", "ingestion-index-p95", "ingestion-query-p95", "ingestion-errors"]);
    expect(out).toContain("no data");
    expect(stacks.read("production")).toBe(before);
  });

  it("is inconclusive when some gates lack data and the others pass", async () => {
    const stacks = stacksFor("partial");
    const { code, out } = await promote(stacks);
    expect(code, out).toBe(2);
    expectOnly(out, "INCONCLUSIVE", ["completeness", "api-errors"]);
  });

  it("reports a failure rather than inconclusive when one gate fails and another lacks data", async () => {
    const stacks = stacksFor("fail-and-missing");
    const { code, out } = await promote(stacks);
    expect(code, out).toBe(1);
    const table = verdicts(out);
    expect(table.cost).toBe("FAIL");
    expect(table.completeness).toBe("INCONCLUSIVE");
  });

  it("is inconclusive for a release Prometheus has never seen", async () => {
    const stacks = stacksFor("9.9.9");
    const { code, out } = await promote(stacks);
    expect(code, out).toBe(2);
    expect(verdicts(out).soak).toBe("INCONCLUSIVE");
  });

  it("stops at the first query when Prometheus cannot be reached: exit 4, what to check, nothing written", async () => {
    const stacks = stacksFor("1.4.1");
    const before = stacks.read("production");
    const capture = captureIo();
    // Live clock, the stack's own sampling plan (5 rounds a minute apart): only failing fast is quick.
    const nothingListens = `http://127.0.0.1:${await freePort()}`;
    const args = ["--from", "staging", "--to", "production", "--dir", stacks.dir, "--prometheus-url", nothingListens, "--timeout", "2s"];
    const started = Date.now();
    const code = await runPromote(args, capture.io, { verify: passingVerify });
    expect(code, capture.out() + capture.err()).toBe(4);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(capture.err()).toContain(`error: cannot reach ${nothingListens}: ECONNREFUSED`);
    expect(capture.err()).toContain("enrichment:promotion.prometheusUrl in Pulumi.staging.yaml");
    expect(capture.err()).toContain("docker ps --filter name=staging-prometheus");
    expect(capture.err()).not.toMatch(/^measurement /m);
    expect(stacks.read("production")).toBe(before);
  });

  it("says nothing about secrets the stack files do not hold (promote never uses them)", async () => {
    const stacks = stacksFor("1.4.1");
    const capture = captureIo();
    const code = await runPromote(gateArgs(stacks, T, ["--dry-run"]), capture.io, { verify: passingVerify });
    expect(code, capture.out() + capture.err()).toBe(0);
    expect(capture.err()).not.toMatch(/warning|anthropicApiKey|pagerdutyRoutingKey/);
  });

  it("measures count times, interval apart, on the live clock", async () => {
    const stacks = stacksFor("1.4.1");
    // A clock that starts at T and records the waits instead of sleeping.
    let now = T * 1000;
    const waits: number[] = [];
    const clock: Clock = { now: () => new Date(now), sleep: async (ms) => void (waits.push(ms), (now += ms)) };
    const capture = captureIo();
    const args = gateArgs(stacks, T, ["--count", "4", "--interval", "2m", "--dry-run"]).filter((arg, i, all) => arg !== "--at" && all[i - 1] !== "--at");
    const code = await runPromote(args, capture.io, { clock, verify: passingVerify });
    expect(code, capture.out()).toBe(0);
    expect(waits).toEqual([120_000, 120_000, 120_000]);
    expect(capture.err().match(/^measurement \d\/4 at /gm)).toHaveLength(4);
    const row = capture.out().split("\n").find((line) => line.startsWith("throughput  ")) ?? "";
    const [, , measurements] = row.split(/\s{2,}/);
    expect(measurements.split(", ")).toHaveLength(4);
  });

  it("dry run: passes and prints the diff without writing", async () => {
    const stacks = stacksFor("1.4.1");
    const before = stacks.read("production");
    const { code, out } = await promote(stacks, T, ["--dry-run"]);
    expect(code, out).toBe(0);
    expect(out).toContain("+    version: 1.4.1");
    expect(out).toContain("Dry run");
    expect(stacks.read("production")).toBe(before);
  });

  it("refuses to write a production file that would not validate (exit 3)", async () => {
    const stacks = stacksFor("1.4.1");
    // Production pulls an extra model for an agent override; staging's release does not have it.
    stacks.edit("production", (doc) => {
      doc.setIn(["config", "enrichment:release", "models", "mistral"], "mistral:7b");
      doc.setIn(["config", "enrichment:agents"], doc.createNode({ "structure-agent": { fallbackModel: "mistral" } }));
    });
    const before = stacks.read("production");
    expect(validateStackText("production", before, "p").problems).toEqual([]);

    const { code, err } = await promote(stacks);
    expect(code).toBe(3);
    expect(err).toContain("refusing to write");
    expect(err).toContain("enrichment:agents.structure-agent.fallbackModel");
    expect(stacks.read("production")).toBe(before);
  });

  it("has nothing to promote when production already runs staging's release", async () => {
    const stacks = stacksFor("1.4.1");
    const production = YAML.parse(stacks.read("production")).config["enrichment:release"];
    stacks.edit("staging", (doc) => doc.setIn(["config", "enrichment:release"], doc.createNode(production)));
    const before = stacks.read("production");
    const { code, out } = await promote(stacks);
    expect(code).toBe(0);
    expect(out).toContain("nothing to promote");
    expect(stacks.read("production")).toBe(before);
  });

  it("uses the Prometheus URL from staging's promotion config when none is given", async () => {
    const stacks = stacksFor("1.4.1");
    stacks.edit("staging", (doc) => doc.setIn(["config", "enrichment:promotion", "prometheusUrl"], prometheus.url));
    const capture = captureIo();
    const args = gateArgs(stacks, T, ["--dry-run"]);
    args.splice(args.indexOf("--prometheus-url"), 2);
    const code = await runPromote(args, capture.io, { verify: passingVerify });
    expect(code, capture.out()).toBe(0);
    expect(capture.out()).toContain(prometheus.url);
  });

  it("rollback after a promotion returns the production file to its previous release", async () => {
    const stacks = stacksFor("1.4.1");
    const original = stacks.read("production");
    expect(original).toBe(repoStackText("production"));

    const promoted = await promote(stacks, T, ["--skip-verify"]);
    expect(promoted.code, promoted.out + promoted.err).toBe(0);
    const afterPromotion = stacks.read("production");
    expect((configValue(afterPromotion, "enrichment:release") as { version: string }).version).toBe("1.4.1");

    const capture = captureIo();
    const code = await runRollback(["--stack", "production", "--dir", stacks.dir], capture.io);
    expect(code, capture.out() + capture.err()).toBe(0);
    expect(capture.out()).toContain("-    version: 1.4.1");
    expect(capture.out()).toContain("+    version: 1.4.0");
    // Byte for byte the file it was before the promotion, comments, quoting and `[]` included.
    expect(stacks.read("production")).toBe(original);
    expect(fs.existsSync(stacks.file("production"))).toBe(true);
  });
});

// The one promote process of this file: a gate's exit code reaches the shell through
// scripts/promote.ts (exit 2, inconclusive, is the same path: "is inconclusive, never a pass, when
// the release has no data" above). As a process, scripts/promote.ts verifies staging for real,
// which needs a deployed stack: this skips it (the flag's own note is tested in
// tests/release.promote.verify.test.ts, which also runs promote as a process with the real verify).
describeWithTools(PROMETHEUS_TOOLS, "promote as a process (npm run promote)", () => {
  it("a failed gate's exit code 1 reaches the shell", async () => {
    const failing = stacksFor("fail-cost");
    const fail = await runScript("promote", gateArgs(failing, T, ["--skip-verify"]));
    expect(fail.code, fail.stdout + fail.stderr).toBe(1);
    expect(fail.stdout).toMatch(/cost per document\s+<= \$0\.500\s+\$0\.750, \$0\.750, \$0\.750\s+FAIL/);
  });
});
