// The rollout's step logic with an injected engine, metrics and clock: shares as whole
// containers, pass -> next step, fail -> abort (canary to zero, up), inconclusive -> extend then
// abort, a run killed at each point resumes, the lock refuses a second run, the audit file.
// The analysis math against a real Prometheus is tests/release.rollout.analysis.test.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../release/cli";
import { runRollout, RolloutDeps } from "../release/rollout";
import { candidateCount, formatPlan, parseSteps, PlanError, planRollout, smallestHonouringReplicas } from "../release/rolloutPlan";
import { readAudit, readState, rolloutFiles } from "../release/rolloutState";
import { validateStackText } from "../release/stackEdit";
import { humanDuration } from "../release/duration";
import { CANDIDATE, fakeProcesses, Killed, recordingEngine, rolloutStacks, scriptedMetrics, STABLE, steppingClock } from "./fixtures/release/rollout";
import { captureIo, configValue, StackDir } from "./fixtures/release/support";

describe("shares as whole containers", () => {
  it("rounds down, but never to 0 below a share above 0, and never to all before 100 %", () => {
    const table = (replicas: number) => [1, 10, 25, 50, 75, 99, 100].map((p) => candidateCount(p, replicas));
    expect(table(2)).toEqual([1, 1, 1, 1, 1, 1, 2]);
    expect(table(4)).toEqual([1, 1, 1, 2, 3, 3, 4]);
    expect(table(8)).toEqual([1, 1, 2, 4, 6, 7, 8]);
    expect(table(10)).toEqual([1, 1, 2, 5, 7, 9, 10]);
  });

  it("the seed's plan (10, 25, 50, 100) needs 8 workers; 25, 50, 100 needs 4", () => {
    expect(smallestHonouringReplicas([10, 25, 50, 100])).toBe(8);
    expect(smallestHonouringReplicas([25, 50, 100])).toBe(4);
    expect(smallestHonouringReplicas([50, 100])).toBe(2);
  });

  const workers = (replicas: number) => ({ name: "workers", replicas, replicasKey: "enrichment:workers.replicas" });
  const steps = (...percents: number[]) => percents.map((percent) => ({ percent, pauseSeconds: percent === 100 ? 0 : 3600 }));

  it("maps each step to counts per pool, agents included", () => {
    const plan = planRollout(steps(10, 25, 50, 100), [workers(8), { name: "entity-agent", replicas: 4, replicasKey: "enrichment:agents.entity-agent.replicas" }]);
    expect(plan.map((s) => s.counts)).toEqual([
      { workers: 1, "entity-agent": 1 },
      { workers: 2, "entity-agent": 1 },
      { workers: 4, "entity-agent": 2 },
      { workers: 8, "entity-agent": 4 },
    ]);
    expect(formatPlan(plan, [workers(8)], humanDuration).split("\n")).toEqual([
      "step  share  pause   workers (of 8)",
      "-----------------------------------",
      "1     10 %   60 min  1",
      "2     25 %   60 min  2",
      "3     50 %   60 min  4",
      "4     100 %  -       8",
    ]);
  });

  it.each([
    ["a step that changes no count", steps(10, 25, 50, 100), [workers(2)], "steps 10 % and 25 % both run 1 of 2 workers: the second would change nothing; drop a step (e.g. --steps 50,100) or raise workers.replicas to 8"],
    ["one worker below 100 %", steps(50, 100), [workers(1)], "workers has 1 replica: at 50 % the candidate would run on all of it and nothing would stay on the stable release to compare with; set enrichment:workers.replicas to at least 2"],
    ["a one-replica agent the canary names", steps(50, 100), [workers(2), { name: "entity-agent", replicas: 1, replicasKey: "enrichment:agents.entity-agent.replicas" }], "entity-agent has 1 replica: at 50 % the candidate would run on all of it and nothing would stay on the stable release to compare with; set enrichment:agents.entity-agent.replicas to at least 2, or leave entity-agent out of canary.agents"],
    ["falling shares", steps(50, 25, 100), [workers(8)], "step 2 (25 %) must be more than step 1 (50 %)"],
    ["no 100 % at the end", steps(10, 50), [workers(8)], "the last step must be 100 % (got 50 %)"],
  ])("refuses %s, saying what to change", (_title, plan, pools, message) => {
    let problems: string[] = [];
    try {
      planRollout(plan, pools);
    } catch (error) {
      expect(error).toBeInstanceOf(PlanError);
      problems = (error as PlanError).problems;
    }
    expect(problems.some((p) => p.startsWith(message)), problems.join("\n")).toBe(true);
  });

  it("reads --steps with and without pauses", () => {
    expect(parseSteps("10:1h,25:2h,50:2h,100", () => 60)).toEqual([
      { percent: 10, pauseSeconds: 3600 },
      { percent: 25, pauseSeconds: 7200 },
      { percent: 50, pauseSeconds: 7200 },
      { percent: 100, pauseSeconds: 0 },
    ]);
    expect(parseSteps("25, 50%,100", (p) => p)).toEqual([
      { percent: 25, pauseSeconds: 25 },
      { percent: 50, pauseSeconds: 50 },
      { percent: 100, pauseSeconds: 0 },
    ]);
    expect(() => parseSteps("10,,100", () => 1)).toThrow("--steps: expected shares such as");
    expect(() => parseSteps("12.5,100", () => 1)).toThrow('expected whole percentages from 1 to 100 (e.g. 10 or 10:1h), got "12.5"');
    expect(() => parseSteps("10:soon,100", () => 1)).toThrow('expected a pause such as 90s, 15m or 1h after "10:", got "soon"');
  });
});

// ---------------------------------------------------------------- the state machine

const WINDOW = 120;
const ARGS = ["--stack", "production", "--to", CANDIDATE, "--from", "staging", "--steps", "25:2m,50:2m,100"];

const dirs: StackDir[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()?.remove();
});

function setup(workers = 4, edit?: (doc: YAML.Document) => void) {
  const stacks = rolloutStacks(workers, edit);
  dirs.push(stacks);
  const files = rolloutFiles(path.join(stacks.dir, ".rollout"), "production");
  return { stacks, files, original: stacks.read("production") };
}

async function rollout(stacks: StackDir, deps: RolloutDeps, extra: string[] = [], args = ARGS) {
  const capture = captureIo();
  const code = await runRollout([...args, "--dir", stacks.dir, ...extra], capture.io, { processes: fakeProcesses(), ...deps });
  return { code, out: capture.out(), err: capture.err() };
}

const good = () => ({ canary: {}, stable: {} });
const events = (files: ReturnType<typeof rolloutFiles>) => readAudit(files).map((e) => e.event);

describe("a rollout, step by step", () => {
  it("pass at every step: 1, 2, 4 workers, then the candidate is the release and the canary is gone", async () => {
    const { stacks, files, original } = setup();
    const engine = recordingEngine();
    const clock = steppingClock();
    const metrics = scriptedMetrics(WINDOW, good);

    const { code, out } = await rollout(stacks, { engine, clock, measure: metrics.measure });

    expect(code, out).toBe(EXIT.ok);
    expect(engine.ups.map((u) => [u.release, u.canary?.workers ?? null, u.canary?.release.version ?? null])).toEqual([
      [STABLE, 1, CANDIDATE],
      [STABLE, 2, CANDIDATE],
      [CANDIDATE, null, null],
    ]);
    expect(clock.sleeps).toEqual([120_000, 120_000]);
    expect(metrics.analyses).toBe(2);
    expect(metrics.unknown).toEqual([]);

    const after = stacks.read("production");
    expect((configValue(after, "enrichment:release") as { version: string }).version).toBe(CANDIDATE);
    expect(configValue(after, "enrichment:canary")).toBeUndefined();
    expect(engine.ups.at(-1)!.history).toEqual([STABLE]);
    expect(validateStackText("production", after, "p").problems).toEqual([]);
    // Only the release block and its history changed.
    expect(after.split("\n").filter((line) => !original.includes(line)).every((line) => /version|replaced|release|images|models|agentCatalogVersion|sha256|llama|mixtral|^\s+- /.test(line)), after).toBe(true);

    // The stack's history: each up's message carries the decision that led to it.
    expect(engine.ups[0]!.message).toMatch(/^rollout production-1\.4\.1-\S+ \| step 1\/3: 25 %: 1 of 4 workers on 1\.4\.1$/);
    expect(engine.ups[1]!.message).toMatch(/\| step 1 \(25 %\): analysis PASS \(window 2m, documents canary 240 \/ stable 240\) -> next step \| step 2\/3: 50 %/);
    expect(engine.ups[2]!.message).toContain("step 2 (50 %): analysis PASS");
    expect(engine.ups[2]!.message).toContain("step 3/3: 100 %: 1.4.1 becomes the release, the canary is removed");

    expect(readState(files)!.phase).toBe("completed");
    expect(events(files)).toEqual(["start", "step", "up", "analysis", "decision", "step", "up", "analysis", "decision", "step", "up", "completed"]);
    expect(fs.existsSync(files.lock)).toBe(false);
    expect(out).toContain("Rollout production-1.4.1-");
    expect(out).toContain("completed: production runs 1.4.1 (replaced 1.4.0");
  });

  it("a failing canary aborts at the first step: the canary back to zero, up, the file as it was", async () => {
    const { stacks, files, original } = setup();
    const engine = recordingEngine();
    const metrics = scriptedMetrics(WINDOW, () => ({ canary: { completeness: 0.9 }, stable: {} }));

    const { code, out } = await rollout(stacks, { engine, clock: steppingClock(), measure: metrics.measure });

    expect(code, out).toBe(EXIT.failed);
    expect(engine.ups.map((u) => [u.release, u.canary?.workers ?? null])).toEqual([
      [STABLE, 1],
      [STABLE, null],
    ]);
    expect(engine.ups[1]!.message).toMatch(/ABORT \(canary to 0, 1\.4\.0 everywhere\)/);
    expect(engine.ups[1]!.message).toContain("completeness: canary 90.00 % misses the target >= 95.00 %");
    expect(stacks.read("production")).toBe(original);
    expect(readState(files)!.phase).toBe("aborted");
    const analysis = readAudit(files).find((e) => e.event === "analysis")!;
    expect(analysis.verdict).toBe("fail");
    expect((analysis.gates as { gate: string; vsTarget: string; vsStable: string }[]).find((g) => g.gate === "completeness")).toMatchObject({ vsTarget: "fail", vsStable: "fail" });
    expect(out).toMatch(/completeness\s+>= 95\.00 %\s+90\.00 %\s+97\.00 %\s+1\.00 %\s+FAIL\s+FAIL/);
  });

  it("a canary within the targets but worse than stable by more than the margin aborts too", async () => {
    const { stacks } = setup();
    const engine = recordingEngine();
    // Cost $0.40 is under the $0.50 target, but twice stable's $0.20 (allowance 10 %: $0.02).
    const metrics = scriptedMetrics(WINDOW, () => ({ canary: { cost: 0.4 }, stable: {} }));
    const { code, out } = await rollout(stacks, { engine, clock: steppingClock(), measure: metrics.measure });
    expect(code, out).toBe(EXIT.failed);
    expect(out).toContain("cost per document: canary $0.400 is worse than stable $0.200 by more than $0.020");
    expect(engine.ups.map((u) => u.canary?.workers ?? null)).toEqual([1, null]);
  });

  it("inconclusive (too few documents): extends the step up to --max-extensions, then aborts with exit 2", async () => {
    const { stacks, files, original } = setup();
    const engine = recordingEngine();
    const clock = steppingClock();
    const metrics = scriptedMetrics(WINDOW, () => ({ canary: { documents: 5 }, stable: {} }));

    const { code, out } = await rollout(stacks, { engine, clock, measure: metrics.measure }, ["--max-extensions", "2"]);

    expect(code, out).toBe(EXIT.inconclusive);
    expect(metrics.analyses).toBe(3);
    expect(clock.sleeps).toEqual([120_000, 120_000, 120_000]);
    expect(engine.ups.map((u) => u.canary?.workers ?? null)).toEqual([1, null]);
    expect(stacks.read("production")).toBe(original);
    expect(readAudit(files).filter((e) => e.event === "decision").map((e) => e.decision)).toEqual(["extend", "extend", "abort"]);
    expect(out).toContain("too little data in the 2m window (at least 20 documents per release): canary 1.4.1: 5 documents");
    expect(engine.ups[1]!.message).toContain("-> extended (1/2)");
    expect(engine.ups[1]!.message).toContain("still inconclusive after 2 extension(s)");
  });

  it("inconclusive, then enough data: the step goes on", async () => {
    const { stacks } = setup();
    const engine = recordingEngine();
    const metrics = scriptedMetrics(WINDOW, (n) => (n === 1 ? { canary: {}, stable: undefined } : good()));
    const { code, out } = await rollout(stacks, { engine, clock: steppingClock(), measure: metrics.measure });
    expect(code, out).toBe(EXIT.ok);
    expect(metrics.analyses).toBe(3);
    expect(engine.ups).toHaveLength(3);
  });

  it("a failed up aborts; a failed abort is retried by the next run", async () => {
    const { stacks, files, original } = setup();
    const failing = recordingEngine({ failAt: [2, 3] });
    const first = await rollout(stacks, { engine: failing, clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure });
    expect(first.code, first.err).toBe(EXIT.failed);
    expect(first.err).toContain("pulumi up of step 2 (50 %) failed (exit code 255)");
    expect(first.err).toContain("ABORT INCOMPLETE");
    expect(readState(files)!.phase).toBe("abort");
    expect(stacks.read("production")).toBe(original);

    const engine = recordingEngine();
    const second = await rollout(stacks, { engine, clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure });
    expect(second.code, second.out + second.err).toBe(EXIT.failed);
    expect(engine.ups.map((u) => u.canary?.workers ?? null)).toEqual([null]);
    expect(readState(files)!.phase).toBe("aborted");
  });

  it("agents the canary names are split with the workers, as agentReplicas", async () => {
    const candidateImage = `registry.example.org/enrichment/entity-agent:1.4.1@sha256:${"e".repeat(64)}`;
    const { stacks, original } = setup(8, (doc) => {
      doc.setIn(["config", "enrichment:agents"], doc.createNode({ "entity-agent": { replicas: 4 } }));
      doc.setIn(
        ["config", "enrichment:canary"],
        doc.createNode({ release: { version: CANDIDATE, images: { "entity-agent": candidateImage } }, workers: 0, agents: ["entity-agent"] }),
      );
    });
    expect(validateStackText("production", original, "p").problems).toEqual([]);
    // The candidate comes from the canary block: its images over the current release's.
    const engine = recordingEngine();
    const { code, out } = await rollout(stacks, { engine, clock: steppingClock(), measure: scriptedMetrics(3600, good).measure }, [], ["--stack", "production", "--to", CANDIDATE, "--steps", "10:1h,25:1h,50:1h,100"]);
    expect(code, out).toBe(EXIT.ok);
    expect(engine.ups.map((u) => [u.canary?.workers ?? null, u.canary?.agentReplicas ?? null])).toEqual([
      [1, { "entity-agent": 1 }],
      [2, { "entity-agent": 1 }],
      [4, { "entity-agent": 2 }],
      [null, null],
    ]);
    const release = configValue(stacks.read("production"), "enrichment:release") as { version: string; images: Record<string, string> };
    expect(release.version).toBe(CANDIDATE);
    expect(release.images["entity-agent"]).toBe(candidateImage);
    expect(out).toContain("workers (of 8)  entity-agent (of 4)");
  });

  it("dry run: the plan, step 1's diff and its preview; nothing written, no state", async () => {
    const { stacks, files, original } = setup();
    const engine = recordingEngine();
    const { code, out } = await rollout(stacks, { engine, clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure }, ["--dry-run"]);
    expect(code, out).toBe(EXIT.ok);
    expect(engine.ups).toEqual([]);
    expect(engine.previews).toHaveLength(1);
    expect(configValue(engine.previews[0]!, "enrichment:canary")).toMatchObject({ workers: 1, release: { version: CANDIDATE } });
    expect(out).toContain("+  enrichment:canary:");
    expect(out).toContain("Dry run: nothing was changed.");
    expect(stacks.read("production")).toBe(original);
    expect(fs.existsSync(files.dir)).toBe(false);
  });

  it("refuses a plan the replicas cannot honour before anything changes (exit 3)", async () => {
    const { stacks, files, original } = setup(2);
    const engine = recordingEngine();
    const { code, err } = await rollout(stacks, { engine, clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure }, [], ["--stack", "production", "--to", CANDIDATE, "--from", "staging", "--steps", "10,25,50,100"]);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain("the plan cannot be honoured with production's replicas:");
    expect(err).toContain("raise workers.replicas to 8");
    expect(engine.ups).toEqual([]);
    expect(stacks.read("production")).toBe(original);
    expect(fs.existsSync(files.state)).toBe(false);
  });

  it("refuses a pause or window the scrape interval cannot fill (exit 3)", async () => {
    const { stacks } = setup();
    const { code, err } = await rollout(stacks, { engine: recordingEngine(), clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure }, [], ["--stack", "production", "--to", CANDIDATE, "--from", "staging", "--steps", "25:20s,50:2m,100"]);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain("the 25 % step pauses 20 s: at least two scrape intervals (30 s; monitoring.scrapeInterval 15s)");
    expect(err).toContain("the 25 % step's analysis window is 20 s: at least four scrape intervals (60 s)");
  });

  it("has nothing to do when the stack already runs the release", async () => {
    const { stacks } = setup();
    const { code, out } = await rollout(stacks, { engine: recordingEngine(), clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure }, [], ["--stack", "production", "--to", STABLE]);
    expect(code).toBe(EXIT.ok);
    expect(out).toContain("already runs release 1.4.0: nothing to roll out");
  });
});

describe("a killed rollout resumes", () => {
  // Where a run can die, as the n-th call of the engine, the clock or the analysis.
  const points: [string, { killUp?: number; killSleep?: number; killAnalysis?: number }, string][] = [
    ["during step 1's up", { killUp: 1 }, "apply"],
    ["during step 1's pause", { killSleep: 1 }, "wait"],
    ["during step 1's analysis", { killAnalysis: 1 }, "analyse"],
    ["during step 2's up", { killUp: 2 }, "apply"],
    ["during step 2's pause", { killSleep: 2 }, "wait"],
    ["during the last up", { killUp: 3 }, "apply"],
  ];

  it.each(points)("killed %s: the next run takes over the dead run's lock, resumes and completes", async (_where, kill, phase) => {
    const { stacks, files } = setup();
    const dying = recordingEngine({ killAt: kill.killUp });
    await expect(
      rollout(stacks, { engine: dying, clock: steppingClock(undefined, kill.killSleep), measure: scriptedMetrics(WINDOW, good, kill.killAnalysis).measure }),
    ).rejects.toBeInstanceOf(Killed);
    expect(readState(files)!.phase).toBe(phase);
    // A killed process leaves its lock behind (an exception here released it): put one back, owned by a dead pid.
    fs.writeFileSync(files.lock, JSON.stringify({ pid: 999_999_999, host: "test-host", processStart: "7", since: "2026-11-03T10:00:00Z", command: "npm run rollout -- ..." }));

    const engine = recordingEngine();
    const resumed = await rollout(stacks, { engine, clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure });

    expect(resumed.code, resumed.out + resumed.err).toBe(EXIT.ok);
    expect(resumed.err).toContain("took over the lock of pid 999999999");
    expect(resumed.out).toContain("Resuming rollout production-1.4.1-");
    const file = stacks.read("production");
    expect((configValue(file, "enrichment:release") as { version: string }).version).toBe(CANDIDATE);
    expect(configValue(file, "enrichment:canary")).toBeUndefined();
    // The history records the replaced release once, however often the last step was applied.
    expect((configValue(file, "enrichment:releaseHistory") as unknown[]).length).toBe(1);
    expect(events(files)).toContain("resume");
    expect(events(files)).toContain("stale-lock");
    expect(events(files).at(-1)).toBe("completed");
    // Every up of both runs ran the workers' counts in order, repeats allowed, never backwards.
    const all = [...dying.ups, ...engine.ups].map((u) => u.canary?.workers ?? 4);
    expect(all.every((n, i) => i === 0 || n >= all[i - 1]!), JSON.stringify(all)).toBe(true);
  });

  it("a pause longer than the run's downtime is waited out only for what is left", async () => {
    const { stacks, files } = setup();
    const start = Date.parse("2026-11-03T10:00:00Z");
    await expect(rollout(stacks, { engine: recordingEngine(), clock: steppingClock(start, 1), measure: scriptedMetrics(WINDOW, good).measure })).rejects.toBeInstanceOf(Killed);
    const clock = steppingClock(start + 90_000);
    const resumed = await rollout(stacks, { engine: recordingEngine(), clock, measure: scriptedMetrics(WINDOW, good).measure });
    expect(resumed.code).toBe(EXIT.ok);
    expect(clock.sleeps[0]).toBe(30_000);
    expect(readState(files)!.phase).toBe("completed");
  });

  it("a stack file changed by hand during a pause is put back at the step and deployed again", async () => {
    const { stacks } = setup();
    await expect(rollout(stacks, { engine: recordingEngine(), clock: steppingClock(undefined, 1), measure: scriptedMetrics(WINDOW, good).measure })).rejects.toBeInstanceOf(Killed);
    stacks.edit("production", (doc) => doc.deleteIn(["config", "enrichment:canary"]));
    const engine = recordingEngine();
    const resumed = await rollout(stacks, { engine, clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure });
    expect(resumed.code).toBe(EXIT.ok);
    expect(resumed.err).toContain("The stack file no longer holds step 1 (25 %): applying it again.");
    expect(engine.ups.map((u) => u.canary?.workers ?? null)).toEqual([1, 2, null]);
  });

  it("a different --to or another plan while a rollout is in progress is refused; the command without plan options resumes", async () => {
    const { stacks } = setup();
    await expect(rollout(stacks, { engine: recordingEngine(), clock: steppingClock(undefined, 1), measure: scriptedMetrics(WINDOW, good).measure })).rejects.toBeInstanceOf(Killed);
    const deps = () => ({ engine: recordingEngine(), clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure });
    const other = await rollout(stacks, deps(), [], ["--stack", "production", "--to", "1.9.0"]);
    expect(other.code).toBe(EXIT.usage);
    expect(other.err).toContain("a rollout of 1.4.1 on production is in progress (step 1/3, phase wait): resume it with --to 1.4.1, or abort it with --abort");
    const plan = await rollout(stacks, deps(), ["--margin", "20%"]);
    expect(plan.code).toBe(EXIT.usage);
    expect(plan.err).toContain("is in progress with another plan");
    expect(plan.err).toContain("margin: recorded 0.1; asked 0.2");
    const steps = await rollout(stacks, deps(), [], ["--stack", "production", "--to", CANDIDATE, "--steps", "50:2m,100"]);
    expect(steps.code).toBe(EXIT.usage);
    expect(steps.err).toContain("steps: recorded 25%/120s/workers=1, 50%/120s/workers=2, 100%/0s/workers=4; asked 50%/120s/workers=2, 100%/0s/workers=4");
    const bare = await rollout(stacks, deps(), [], ["--stack", "production", "--to", CANDIDATE]);
    expect(bare.code, bare.out + bare.err).toBe(EXIT.ok);
    expect(bare.out).toContain("Resuming rollout");
  });

  it("--abort ends a rollout in progress: canary to zero, up, exit 0", async () => {
    const { stacks, files, original } = setup();
    await expect(rollout(stacks, { engine: recordingEngine(), clock: steppingClock(undefined, 2), measure: scriptedMetrics(WINDOW, good).measure })).rejects.toBeInstanceOf(Killed);
    expect(configValue(stacks.read("production"), "enrichment:canary")).toMatchObject({ workers: 2 });
    const engine = recordingEngine();
    const { code, out } = await rollout(stacks, { engine, clock: steppingClock() }, [], ["--stack", "production", "--abort"]);
    expect(code, out).toBe(EXIT.ok);
    expect(engine.ups.map((u) => u.canary ?? null)).toEqual([null]);
    expect(engine.ups[0]!.message).toContain("aborted by the operator (--abort) at step 2");
    expect(stacks.read("production")).toBe(original);
    expect(events(files).slice(-3)).toEqual(["abort-requested", "up", "aborted"]);
    const nothing = await rollout(stacks, { engine, clock: steppingClock() }, [], ["--stack", "production", "--abort"]);
    expect(nothing.out).toContain("nothing to abort");
  });
});

describe("one rollout per stack", () => {
  it("a lock held by a live process refuses a second run (exit 3) and changes nothing", async () => {
    const { stacks, files, original } = setup();
    fs.mkdirSync(files.dir, { recursive: true });
    const owner = { pid: 4242, host: "test-host", processStart: "1", since: "2026-11-03T09:00:00Z", command: "npm run rollout -- --stack production --to 1.4.1" };
    fs.writeFileSync(files.lock, JSON.stringify(owner));
    const engine = recordingEngine();
    const { code, err } = await rollout(stacks, { engine, clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure, processes: fakeProcesses([4242]) });
    expect(code).toBe(EXIT.usage);
    expect(err).toContain("another rollout of this stack holds");
    expect(err).toContain("pid 4242, still running");
    expect(err).toContain("Two rollouts of one stack at once are refused");
    expect(engine.ups).toEqual([]);
    expect(stacks.read("production")).toBe(original);
    expect(JSON.parse(fs.readFileSync(files.lock, "utf8"))).toEqual(owner);
  });

  it("a lock of another host is refused until --force-unlock; a reused pid is not its owner", async () => {
    const { stacks, files } = setup();
    fs.mkdirSync(files.dir, { recursive: true });
    fs.writeFileSync(files.lock, JSON.stringify({ pid: 4242, host: "ci-runner-7", since: "2026-11-03T09:00:00Z", command: "npm run rollout" }));
    const deps = { clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure, processes: fakeProcesses([4242]) };
    const refused = await rollout(stacks, { ...deps, engine: recordingEngine() });
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.err).toContain("pid 4242 on host ci-runner-7, which cannot be checked from here");
    expect(refused.err).toContain("--force-unlock");
    const forced = await rollout(stacks, { ...deps, engine: recordingEngine() }, ["--force-unlock"]);
    expect(forced.code, forced.out + forced.err).toBe(EXIT.ok);
    expect(forced.err).toContain("--force-unlock removed the lock of pid 4242 on ci-runner-7");
    expect(events(files)).toContain("force-unlock");

    // Same host, pid alive but started at another time: a new process under a reused pid.
    const { stacks: again, files: files2 } = setup();
    fs.mkdirSync(files2.dir, { recursive: true });
    fs.writeFileSync(files2.lock, JSON.stringify({ pid: 4242, host: "test-host", processStart: "0", since: "2026-11-03T09:00:00Z", command: "npm run rollout" }));
    const reused = await rollout(again, { ...deps, clock: steppingClock(), measure: scriptedMetrics(WINDOW, good).measure, engine: recordingEngine() });
    expect(reused.code, reused.err).toBe(EXIT.ok);
    expect(reused.err).toContain("took over the lock of pid 4242");
  });
});

describe("the audit file", () => {
  it("records the start, every step, up, analysis and decision, with the numbers", async () => {
    const { stacks, files } = setup();
    const metrics = scriptedMetrics(WINDOW, (n) => (n === 1 ? good() : { canary: { errorRate: 0.004 }, stable: {} }));
    const { code } = await rollout(stacks, { engine: recordingEngine(), clock: steppingClock(), measure: metrics.measure });
    expect(code).toBe(EXIT.failed);
    const lines = readAudit(files);
    expect(lines.map((e) => e.event)).toEqual(["start", "step", "up", "analysis", "decision", "step", "up", "analysis", "decision", "up", "aborted"]);
    expect(new Set(lines.map((e) => e.rollout)).size).toBe(1);
    expect(lines[0]).toMatchObject({ event: "start", stable: STABLE, candidate: CANDIDATE, steps: [{ percent: 25, counts: { workers: 1 } }, { percent: 50, counts: { workers: 2 } }, { percent: 100, counts: { workers: 4 } }] });
    const second = lines[7]!;
    expect(second).toMatchObject({ event: "analysis", step: 2, verdict: "fail", documents: { canary: 240, stable: 240 } });
    expect((second.gates as { gate: string; canary: number; stable: number }[]).find((g) => g.gate === "document-errors")).toMatchObject({ canary: 0.004, stable: 0.0004 });
    expect(lines[8]).toMatchObject({ event: "decision", step: 2, decision: "abort" });
    for (const line of lines) expect(Date.parse(line.at)).not.toBeNaN();
  });
});
