// `npm run rollout -- --stack production --to 1.5.0`: moves a release onto a stack in gated
// steps. Each step writes the candidate's share of the workers (and of the replicas of each agent
// the stack's canary names) into the stack file as `enrichment:canary`, runs `pulumi up`, waits
// the step's pause, and analyses the canary against the targets and against the stable release
// (release/canaryAnalysis.ts). Pass: the next step. Fail: the canary goes back to zero and `up`.
// Inconclusive: the step runs its pause again, up to a limit, then the rollout aborts. At 100 %
// the candidate becomes `enrichment:release` (the replaced release recorded for rollback) and the
// canary block goes. State, lock and audit: release/rolloutState.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { AGENT_CATALOG } from "../facts/agents";
import { Release, ReleaseSchema, Settings } from "../config/schema";
import { Clock, realClock } from "./analysis";
import { analyseCanary, CanaryAnalysis, formatCanaryAnalysis, summarizeAnalysis } from "./canaryAnalysis";
import { badUsage, EXIT, Io, runCommand, UsageError } from "./cli";
import { ROLLOUT } from "./rollout.usage";
import { unifiedDiff } from "./diff";
import { humanDuration, parseDuration } from "./duration";
import { Engine, pulumiCli } from "./engine";
import { PrometheusClient, PrometheusError } from "./prometheus";
import { formatPlan, parseSteps, PlanError, planRollout, Pool, StepSpec } from "./rolloutPlan";
import {
  acquireLock,
  audit,
  AuditEvent,
  defaultStateDir,
  localProcesses,
  LockHeld,
  ProcessProbe,
  readState,
  RolloutFiles,
  rolloutFiles,
  RolloutPlanRecord,
  RolloutState,
  STATE_VERSION,
  writeState,
} from "./rolloutState";
import {
  CanaryBlock,
  checkBeforeWrite,
  LoadedStack,
  loadStack,
  sameRelease,
  stackFilePath,
  withCanary,
  withPromotedRelease,
  withRolledBackRelease,
  writeAtomically,
} from "./stackEdit";

// The flags live in rollout.usage.ts (light: scripts/ parse with it before loading this module).
export { ROLLOUT_USAGE } from "./rollout.usage";

export interface RolloutDeps {
  /** The deployment engine (default: the Pulumi CLI, from --pulumi and this process' environment). */
  engine?: Engine;
  /** Replaces Prometheus: one value or undefined per query and time (tests). */
  measure?(expr: string, at: Date): Promise<number | undefined>;
  /** Sleeps of the pauses (tests advance it instead of waiting). */
  clock?: Clock;
  /** Who holds a lock and whether it is alive (tests). */
  processes?: ProcessProbe;
  fetch?: typeof fetch;
}

/** --up-timeout's default: far above a healthy up of the platform (minutes), short of "for ever". */
const DEFAULT_UP_TIMEOUT_SECONDS = 30 * 60;

const TERMINAL = new Set(["completed", "aborted"]);

function duration(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds < min) throw badUsage(`--${name}: expected a duration such as 90s, 15m or 1h (>= ${min} s), got ${JSON.stringify(text)}`);
  return seconds;
}

function share(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const value = match ? Number(match[1]) / (match[2] ? 100 : 1) : NaN;
  if (!match || !(value >= 0 && value <= 1)) throw badUsage(`--margin: expected a share such as 0.1 or 10%, got ${JSON.stringify(text)}`);
  return value;
}

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 100) throw badUsage(`--${name}: expected an integer from 0 to 100, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Replicas of an agent as the program plans them (override, else the catalog's, else 1). */
function agentReplicas(settings: Settings, name: string): number {
  return settings.agents[name]?.replicas ?? AGENT_CATALOG.find((agent) => agent.name === name)?.replicas ?? 1;
}

export function poolsOf(settings: Settings, agents: readonly string[]): Pool[] {
  return [
    { name: "workers", replicas: settings.workers.replicas, replicasKey: "enrichment:workers.replicas" },
    ...agents.map((name) => ({ name, replicas: agentReplicas(settings, name), replicasKey: `enrichment:agents.${name}.replicas` })),
  ];
}

/** The canary block of a step below 100 %: the candidate's images for the workers and the named agents. */
export function canaryBlockFor(state: Pick<RolloutState, "candidate" | "agents">, counts: Record<string, number>): CanaryBlock {
  const images: Record<string, string> = {};
  for (const service of ["enrichment-worker", ...state.agents]) {
    const image = state.candidate.images[service];
    if (image) images[service] = image;
  }
  return {
    release: { version: state.candidate.version, images },
    workers: counts.workers ?? 0,
    agents: [...state.agents],
    ...(state.agents.length ? { agentReplicas: Object.fromEntries(state.agents.map((name) => [name, counts[name] ?? 0])) } : {}),
  };
}

/** What the stack file says runs the candidate: to tell whether it still holds a step. */
function canaryInFile(settings: Settings): string {
  const canary = settings.canary;
  if (!canary) return "none";
  return JSON.stringify([canary.release.version, canary.workers, [...canary.agents].sort(), Object.entries(canary.agentReplicas ?? {}).sort()]);
}

function expectedCanary(state: RolloutState, step: number): string {
  const block = canaryBlockFor(state, state.plan.steps[step]!.counts);
  return JSON.stringify([block.release.version, block.workers, [...block.agents].sort(), Object.entries(block.agentReplicas ?? {}).sort()]);
}

/** Text of the stack file at step `step`: the canary block below 100 %, the promoted release at 100 %. */
export function stackTextForStep(stack: LoadedStack, state: RolloutState, step: number, now: Date): string {
  const planned = state.plan.steps[step]!;
  if (planned.percent < 100) return withCanary(stack.text, canaryBlockFor(state, planned.counts));
  const promoted = sameRelease(stack.settings.release, state.candidate) ? stack.text : withPromotedRelease(stack, state.candidate, now);
  return withCanary(promoted, undefined);
}

/** Text of the stack file after an abort: no canary, and the stable release if the candidate had been written. */
export function stackTextForAbort(stack: LoadedStack, state: RolloutState): string {
  let text = stack.text;
  if (stack.settings.release.version === state.candidate.version) {
    const index = stack.settings.releaseHistory.findIndex((entry) => entry.release.version === state.stable.version);
    if (index >= 0) text = withRolledBackRelease(stack, index);
  }
  return withCanary(text, undefined);
}

function describeCounts(state: RolloutState, step: number): string {
  const planned = state.plan.steps[step]!;
  return state.plan.pools.map((pool) => `${planned.counts[pool.name]} of ${pool.replicas} ${pool.name === "workers" ? "workers" : `${pool.name} replicas`}`).join(", ");
}

function historyMessage(state: RolloutState, action: string): string {
  return [`rollout ${state.id}`, ...state.pendingNotes, action].join(" | ");
}

interface Run {
  io: Io;
  files: RolloutFiles;
  engine: Engine;
  clock: Clock;
  measure(expr: string, at: Date): Promise<number | undefined>;
  stackName: string;
  stackPath: string;
  state: RolloutState;
}

function save(run: Run, change: Partial<RolloutState>): void {
  run.state = writeState(run.files, { ...run.state, ...change }, run.clock.now());
}

function log(run: Run, event: AuditEvent): void {
  audit(run.files, run.state.id, run.clock.now(), event);
}

function load(run: Run): LoadedStack {
  return loadStack(run.stackName, run.stackPath);
}

function writeStack(run: Run, stack: LoadedStack, text: string): boolean {
  if (text === stack.text) return false;
  checkBeforeWrite(run.stackName, run.stackPath, text);
  writeAtomically(run.stackPath, text);
  return true;
}

async function applyStep(run: Run): Promise<number | undefined> {
  const { state } = run;
  const step = state.step;
  const planned = state.plan.steps[step]!;
  const total = state.plan.steps.length;
  const stack = load(run);
  const now = run.clock.now();
  const text = stackTextForStep(stack, state, step, now);
  const changed = writeStack(run, stack, text);
  const what = planned.percent === 100 ? `100 %: ${state.candidate.version} becomes the release, the canary is removed` : `${planned.percent} %: ${describeCounts(state, step)} on ${state.candidate.version}`;
  run.io.out(`\nStep ${step + 1}/${total}, ${what}.`);
  if (changed) run.io.out(unifiedDiff(stack.text, text, { from: `a/${path.basename(run.stackPath)}`, to: `b/${path.basename(run.stackPath)}` }));
  log(run, { event: "step", step: step + 1, percent: planned.percent, counts: planned.counts, stackFileChanged: changed });

  const message = historyMessage(state, `step ${step + 1}/${total}: ${what}`);
  run.io.out(`${run.engine.description}: up (${changed ? "stack file changed" : "stack file already at this step"})`);
  const result = await run.engine.up(run.stackPath, message);
  log(run, { event: "up", step: step + 1, ok: result.ok, code: result.code, seconds: Math.round(result.seconds), message, ...(result.error ? { error: result.error } : {}) });
  if (!result.ok) {
    const reason = `pulumi up of step ${step + 1} (${planned.percent} %) failed (${result.error ?? `exit code ${result.code}`}): ${result.tail.trim().split("\n").slice(-3).join(" / ")}`;
    run.io.err(`error: ${reason}`);
    save(run, { phase: "abort", reason, abortCode: EXIT.failed, pendingNotes: [...state.pendingNotes, `step ${step + 1}: up failed`] });
    log(run, { event: "decision", step: step + 1, decision: "abort", reason });
    return undefined;
  }
  if (planned.percent === 100) {
    save(run, { phase: "completed", pendingNotes: [], appliedAt: run.clock.now().toISOString() });
    log(run, { event: "completed", release: state.candidate.version, replaced: state.stable.version });
    run.io.out(`\nRollout ${state.id} completed: ${run.stackName} runs ${state.candidate.version} (replaced ${state.stable.version}, recorded in releaseHistory for npm run rollback).`);
    return EXIT.ok;
  }
  const applied = run.clock.now();
  save(run, {
    phase: "wait",
    pendingNotes: [],
    appliedAt: applied.toISOString(),
    analyseAt: new Date(applied.getTime() + planned.pauseSeconds * 1000).toISOString(),
    extensions: 0,
  });
  return undefined;
}

async function waitStep(run: Run): Promise<void> {
  const { state } = run;
  // A stack file changed under a paused rollout (by hand, or a run killed mid-write) is put back at this step.
  const stack = load(run);
  if (canaryInFile(stack.settings) !== expectedCanary(state, state.step)) {
    run.io.err(`The stack file no longer holds step ${state.step + 1} (${state.plan.steps[state.step]!.percent} %): applying it again.`);
    log(run, { event: "stack-file-changed", step: state.step + 1, found: canaryInFile(stack.settings) });
    save(run, { phase: "apply" });
    return;
  }
  const due = new Date(state.analyseAt ?? run.clock.now().toISOString());
  const ms = due.getTime() - run.clock.now().getTime();
  if (ms > 0) {
    run.io.err(`Waiting ${humanDuration(ms / 1000)} (until ${due.toISOString()}) before the analysis of step ${state.step + 1}.`);
    await run.clock.sleep(ms);
  }
  save(run, { phase: "analyse" });
}

async function analyseStep(run: Run, settings: Settings): Promise<void> {
  const { state } = run;
  const step = state.step;
  const planned = state.plan.steps[step]!;
  const windowSeconds = state.plan.windowSeconds ?? planned.pauseSeconds;
  const at = run.clock.now();
  let analysis: CanaryAnalysis | undefined;
  let unreachable: string | undefined;
  try {
    analysis = await analyseCanary({
      canaryRelease: state.candidate.version,
      stableRelease: state.stable.version,
      targets: settings.targets,
      windowSeconds,
      margin: state.plan.margin,
      minDocuments: state.plan.minDocuments,
      measure: run.measure,
      at,
    });
  } catch (error) {
    if (!(error instanceof PrometheusError)) throw error;
    unreachable = `Prometheus did not answer: ${error.message}`;
  }

  const verdict = analysis?.verdict ?? "inconclusive";
  const summary = analysis ? summarizeAnalysis(analysis) : `analysis INCONCLUSIVE: ${unreachable}`;
  run.io.out(`\nAnalysis of step ${step + 1} (${planned.percent} %) at ${at.toISOString()}:`);
  if (analysis) run.io.out(formatCanaryAnalysis(analysis, state.candidate.version, state.stable.version));
  if (analysis?.reasons.length || unreachable) run.io.out(`  ${analysis ? analysis.reasons.join("\n  ") : unreachable}`);
  log(run, {
    event: "analysis",
    step: step + 1,
    percent: planned.percent,
    verdict,
    windowSeconds,
    ...(analysis
      ? {
          documents: analysis.documents,
          gates: analysis.gates.map((g) => ({ gate: g.gate.id, threshold: g.threshold, canary: g.canary ?? null, stable: g.stable ?? null, allowance: g.allowance ?? null, vsTarget: g.absolute, vsStable: g.comparison })),
          reasons: analysis.reasons,
        }
      : { reasons: [unreachable] }),
  });

  const note = `step ${step + 1} (${planned.percent} %): ${summary}`;
  if (verdict === "pass") {
    log(run, { event: "decision", step: step + 1, decision: "next" });
    run.io.out(`Passed: on to step ${step + 2}.`);
    save(run, { phase: "apply", step: step + 1, extensions: 0, appliedAt: undefined, analyseAt: undefined, pendingNotes: [...state.pendingNotes, `${note} -> next step`] });
    return;
  }
  if (verdict === "fail") {
    log(run, { event: "decision", step: step + 1, decision: "abort", reason: summary });
    save(run, { phase: "abort", reason: note, abortCode: EXIT.failed, pendingNotes: [...state.pendingNotes, note] });
    return;
  }
  if (state.extensions < state.plan.maxExtensions) {
    const extensions = state.extensions + 1;
    const analyseAt = new Date(run.clock.now().getTime() + planned.pauseSeconds * 1000);
    log(run, { event: "decision", step: step + 1, decision: "extend", extension: extensions, of: state.plan.maxExtensions, analyseAt: analyseAt.toISOString() });
    run.io.out(`Inconclusive: step ${step + 1} runs ${humanDuration(planned.pauseSeconds)} more (extension ${extensions} of ${state.plan.maxExtensions}).`);
    save(run, { phase: "wait", extensions, analyseAt: analyseAt.toISOString(), pendingNotes: [...state.pendingNotes, `${note} -> extended (${extensions}/${state.plan.maxExtensions})`] });
    return;
  }
  const reason = `${note}; still inconclusive after ${state.plan.maxExtensions} extension(s)`;
  log(run, { event: "decision", step: step + 1, decision: "abort", reason });
  save(run, { phase: "abort", reason, abortCode: EXIT.inconclusive, pendingNotes: [...state.pendingNotes, note] });
}

async function abortRollout(run: Run): Promise<number> {
  const { state } = run;
  const stack = load(run);
  const text = stackTextForAbort(stack, state);
  const changed = writeStack(run, stack, text);
  run.io.out(`\nAborting rollout ${state.id}: ${state.reason ?? "no reason recorded"}`);
  if (changed) run.io.out(unifiedDiff(stack.text, text, { from: `a/${path.basename(run.stackPath)}`, to: `b/${path.basename(run.stackPath)}` }));
  const message = historyMessage(state, `ABORT (canary to 0, ${state.stable.version} everywhere): ${state.reason ?? ""}`);
  const result = await run.engine.up(run.stackPath, message);
  log(run, { event: "up", abort: true, ok: result.ok, code: result.code, seconds: Math.round(result.seconds), message, ...(result.error ? { error: result.error } : {}) });
  if (!result.ok) {
    run.io.err(
      `error: ABORT INCOMPLETE: pulumi up with the canary at zero failed (${result.error ?? `exit code ${result.code}`}). The stack file names ${state.stable.version} only; ` +
        `run the same command again (or --abort) to retry the up.\n${result.tail.trim().split("\n").slice(-10).join("\n")}`,
    );
    return EXIT.failed;
  }
  save(run, { phase: "aborted", pendingNotes: [] });
  log(run, { event: "aborted", reason: state.reason, release: state.stable.version });
  run.io.out(`Rollout ${state.id} aborted: every worker and agent runs ${state.stable.version} again.`);
  return state.abortCode ?? EXIT.failed;
}

async function drive(run: Run, settings: Settings): Promise<number> {
  for (;;) {
    switch (run.state.phase) {
      case "apply": {
        const code = await applyStep(run);
        if (code !== undefined) return code;
        break;
      }
      case "wait":
        await waitStep(run);
        break;
      case "analyse":
        await analyseStep(run, settings);
        break;
      case "abort":
        return abortRollout(run);
      case "completed":
        return EXIT.ok;
      case "aborted":
        return run.state.abortCode ?? EXIT.failed;
    }
  }
}

/** The candidate's full release block, from --from, --release-file or the stack's canary block. */
function resolveCandidate(version: string, stack: LoadedStack, from: LoadedStack | undefined, releaseFile: string | undefined): Release {
  if (from) {
    const release = from.settings.release;
    if (release.version !== version) throw new UsageError(`--to ${version}, but ${from.path} names release ${release.version}`);
    return release;
  }
  if (releaseFile) {
    if (!fs.existsSync(releaseFile)) throw new UsageError(`${releaseFile}: no such file`);
    const raw = YAML.parse(fs.readFileSync(releaseFile, "utf8")) as Record<string, unknown> | null;
    const block = raw && typeof raw === "object" && "enrichment:release" in raw ? raw["enrichment:release"] : raw;
    const parsed = ReleaseSchema.safeParse(block);
    if (!parsed.success) {
      throw new UsageError(`${releaseFile}: not a release block (version, agentCatalogVersion, images, models):`, parsed.error.issues.map((issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`));
    }
    if (parsed.data.version !== version) throw new UsageError(`--to ${version}, but ${releaseFile} names release ${parsed.data.version}`);
    return parsed.data;
  }
  const canary = stack.settings.canary;
  if (canary?.release.version === version) {
    return { ...stack.settings.release, version, images: { ...stack.settings.release.images, ...canary.release.images } };
  }
  throw new UsageError(
    `where is release ${version}? Give --from <stack> (a stack file whose enrichment:release is ${version}), --release-file <file>, or name it in enrichment:canary.release of ${path.basename(stack.path)}`,
  );
}

function checkAgainstScrapes(steps: readonly StepSpec[], windowSeconds: number | undefined, scrapeInterval: string): void {
  const scrape = parseDuration(scrapeInterval);
  if (scrape === undefined) return;
  const problems: string[] = [];
  for (const step of steps) {
    if (step.percent === 100) continue;
    if (step.pauseSeconds < 2 * scrape) problems.push(`the ${step.percent} % step pauses ${humanDuration(step.pauseSeconds)}: at least two scrape intervals (${humanDuration(2 * scrape)}; monitoring.scrapeInterval ${scrapeInterval}) before its analysis`);
    const window = windowSeconds ?? step.pauseSeconds;
    if (window < 4 * scrape) {
      problems.push(`the ${step.percent} % step's analysis window is ${humanDuration(window)}: at least four scrape intervals (${humanDuration(4 * scrape)}), for a rate to hold enough samples; give --window or a longer pause`);
    }
  }
  if (problems.length) throw new UsageError("the plan cannot be measured at the stack's scrape interval:", problems);
}

interface PlanFlags {
  steps?: string;
  pause?: number;
  window?: number;
  margin?: number;
  maxExtensions?: number;
}

/** The plan from the flags over the stack's enrichment:rollout; UsageError when the replicas cannot honour it. */
function buildPlan(flags: PlanFlags, settings: Settings, agents: readonly string[], stackName: string): RolloutPlanRecord {
  const configured = settings.rollout;
  const pauseOf = (percent: number) => flags.pause ?? configured.steps.find((s) => s.percent === percent)?.pauseSeconds ?? configured.steps[0]!.pauseSeconds;
  let specs: StepSpec[];
  try {
    specs = flags.steps ? parseSteps(flags.steps, pauseOf) : configured.steps.map((s) => ({ percent: s.percent, pauseSeconds: s.percent === 100 ? 0 : (flags.pause ?? s.pauseSeconds) }));
  } catch (error) {
    if (error instanceof PlanError) throw badUsage(error.message);
    throw error;
  }
  const pools = poolsOf(settings, agents);
  let steps;
  try {
    steps = planRollout(specs, pools);
  } catch (error) {
    if (error instanceof PlanError) throw new UsageError(`the plan cannot be honoured with ${stackName}'s replicas:`, error.problems);
    throw error;
  }
  const plan: RolloutPlanRecord = {
    steps,
    pools,
    windowSeconds: flags.window ?? configured.windowSeconds,
    margin: flags.margin ?? configured.margin,
    minDocuments: configured.minDocuments,
    maxExtensions: flags.maxExtensions ?? configured.maxExtensions,
  };
  checkAgainstScrapes(steps, plan.windowSeconds, settings.monitoring.scrapeInterval);
  return plan;
}

/** What differs between two plans, in words (empty when they are the same plan). */
function planDifferences(recorded: RolloutPlanRecord, asked: RolloutPlanRecord): string[] {
  const steps = (plan: RolloutPlanRecord) => plan.steps.map((s) => `${s.percent}%/${s.pauseSeconds}s/${plan.pools.map((p) => `${p.name}=${s.counts[p.name]}`).join("+")}`).join(", ");
  const differences: string[] = [];
  if (steps(recorded) !== steps(asked)) differences.push(`steps: recorded ${steps(recorded)}; asked ${steps(asked)}`);
  for (const key of ["windowSeconds", "margin", "minDocuments", "maxExtensions"] as const) {
    if (recorded[key] !== asked[key]) differences.push(`${key}: recorded ${recorded[key] ?? "each step's pause"}; asked ${asked[key] ?? "each step's pause"}`);
  }
  return differences;
}

export async function runRollout(argv: string[], io: Io, deps: RolloutDeps = {}): Promise<number> {
  return runCommand(io, ROLLOUT, argv, async ({ values }) => {
    if (!values.stack) throw badUsage("--stack is required");
    if (!values.to && !values.abort) throw badUsage("--to <version> is required (or --abort)");
    if (values.dir && values["stack-file"]) throw badUsage("give --dir or --stack-file, not both");
    if (values.from && values["release-file"]) throw badUsage("give --from or --release-file, not both");
    if (values.abort && values["dry-run"]) throw badUsage("--abort and --dry-run exclude each other");
    const pauseFlag = duration("pause", values.pause, 0);
    const windowFlag = duration("window", values.window, 1);
    const marginFlag = share(values.margin);
    const extensionsFlag = count("max-extensions", values["max-extensions"]);
    const timeoutMs = (duration("timeout", values.timeout, 0.1) ?? 10) * 1000;
    const upTimeoutMs = (duration("up-timeout", values["up-timeout"], 1) ?? DEFAULT_UP_TIMEOUT_SECONDS) * 1000;
    const planFlags: PlanFlags = { steps: values.steps, pause: pauseFlag, window: windowFlag, margin: marginFlag, maxExtensions: extensionsFlag };

    const stackName = values.stack;
    const stackPath = values["stack-file"] ? path.resolve(values["stack-file"]) : stackFilePath(path.resolve(values.dir ?? "."), stackName);
    const stack = loadStack(stackName, stackPath);
    const settings = stack.settings;
    const files = rolloutFiles(path.resolve(values["state-dir"] ?? defaultStateDir(stackPath)), stackName);
    const clock = deps.clock ?? realClock;
    const projectDir = path.resolve(values.project ?? path.dirname(stackPath));
    const engine =
      deps.engine ??
      pulumiCli({ stack: stackName, projectDir, command: values.pulumi, timeoutMs: upTimeoutMs, onOutput: (text) => process.stderr.write(text) });

    let measure = deps.measure;
    let prometheusUrl: string | undefined;
    if (!measure) {
      prometheusUrl = values["prometheus-url"] ?? settings.promotion.prometheusUrl;
      if (!prometheusUrl && !values.abort) {
        throw new UsageError(`no Prometheus URL for ${stackName}: set enrichment:promotion.prometheusUrl in ${path.basename(stackPath)} or pass --prometheus-url`);
      }
      if (prometheusUrl) {
        let client: PrometheusClient;
        try {
          client = new PrometheusClient(prometheusUrl, { timeoutMs, fetch: deps.fetch });
        } catch (error) {
          throw new UsageError(`--prometheus-url: ${(error as PrometheusError).message}`);
        }
        measure = (expr, at) => client.queryValue(expr, at);
      }
    }
    const measured = measure ?? (async () => undefined);

    const existing = readState(files);
    const inProgress = existing && !TERMINAL.has(existing.phase) ? existing : undefined;

    if (values["dry-run"]) {
      if (inProgress) {
        io.out(`Rollout ${inProgress.id} of ${inProgress.candidate.version} is in progress: step ${inProgress.step + 1}/${inProgress.plan.steps.length}, phase ${inProgress.phase}.`);
        io.out(`Running the command without --dry-run resumes it; --abort aborts it. Dry run: nothing was changed.`);
        return EXIT.ok;
      }
    }

    // Everything below changes something (or, for a dry run, plans it): one run per stack at a time.
    const command = `npm run rollout -- ${argv.join(" ")}`;
    const processes = deps.processes ?? localProcesses;
    let lock;
    if (!values["dry-run"]) {
      try {
        lock = acquireLock(files, command, processes, clock.now(), values["force-unlock"] === true);
      } catch (error) {
        if (error instanceof LockHeld) throw new UsageError(error.message);
        throw error;
      }
      if (lock.replacedStale) {
        io.err(`note: took over the lock of pid ${lock.replacedStale.pid} (${lock.replacedStale.command}, since ${lock.replacedStale.since}): that process is gone.`);
        audit(files, inProgress?.id, clock.now(), { event: "stale-lock", owner: lock.replacedStale });
      }
      if (lock.forced) {
        io.err(`note: --force-unlock removed the lock of pid ${lock.forced.pid} on ${lock.forced.host} (since ${lock.forced.since}).`);
        audit(files, inProgress?.id, clock.now(), { event: "force-unlock", owner: lock.forced });
      }
    }
    try {
      const run = (state: RolloutState): Run => ({ io, files, engine, clock, measure: measured, stackName, stackPath, state });

      if (values.abort) {
        if (!inProgress) {
          io.out(`No rollout of ${stackName} is in progress (${files.state}): nothing to abort.`);
          return EXIT.ok;
        }
        const r = run(inProgress);
        log(r, { event: "abort-requested", phase: inProgress.phase, step: inProgress.step + 1 });
        save(r, { phase: "abort", reason: `aborted by the operator (--abort) at step ${inProgress.step + 1}`, abortCode: EXIT.ok });
        return await drive(r, settings);
      }

      const version = values.to!;
      if (inProgress) {
        if (inProgress.candidate.version !== version) {
          throw new UsageError(
            `a rollout of ${inProgress.candidate.version} on ${stackName} is in progress (step ${inProgress.step + 1}/${inProgress.plan.steps.length}, phase ${inProgress.phase}): ` +
              `resume it with --to ${inProgress.candidate.version}, or abort it with --abort`,
          );
        }
        // The same command again resumes (so does one without plan options); one that asks for another plan is refused.
        const asked = Object.values(planFlags).some((value) => value !== undefined);
        const differences = asked ? planDifferences(inProgress.plan, buildPlan(planFlags, settings, inProgress.agents, stackName)) : [];
        if (differences.length) {
          throw new UsageError(`rollout ${inProgress.id} is in progress with another plan; run it with its own options, or --abort and start over:`, differences);
        }
        const r = run(inProgress);
        io.out(`Resuming rollout ${inProgress.id}: step ${inProgress.step + 1}/${inProgress.plan.steps.length} (${inProgress.plan.steps[inProgress.step]!.percent} %), phase ${inProgress.phase}.`);
        log(r, { event: "resume", phase: inProgress.phase, step: inProgress.step + 1 });
        if (inProgress.phase === "analyse") save(r, { phase: "wait" });
        return await drive(r, settings);
      }

      // A new rollout.
      if (settings.release.version === version) {
        io.out(`${stackName} already runs release ${version}: nothing to roll out.`);
        return EXIT.ok;
      }
      if (settings.canary && settings.canary.release.version !== version) {
        throw new UsageError(
          `${path.basename(stackPath)} already runs a canary of ${settings.canary.release.version}: roll it out (--to ${settings.canary.release.version}) or remove enrichment:canary first`,
        );
      }
      const from = values.from ? loadStack(values.from, stackFilePath(path.dirname(stackPath), values.from)) : undefined;
      const candidate = resolveCandidate(version, stack, from, values["release-file"] ? path.resolve(values["release-file"]) : undefined);
      const agents = [...(settings.canary?.agents ?? [])];

      const plan = buildPlan(planFlags, settings, agents, stackName);
      const { steps, pools } = plan;

      const now = clock.now();
      const state: RolloutState = {
        version: STATE_VERSION,
        id: `${stackName}-${version}-${now.toISOString().replace(/[:.]/g, "").replace(/\d{3}Z$/, "Z")}`,
        stack: stackName,
        stackFile: stackPath,
        stable: settings.release,
        candidate,
        agents,
        plan,
        phase: "apply",
        step: 0,
        startedAt: now.toISOString(),
        updatedAt: now.toISOString(),
        extensions: 0,
        pendingNotes: [],
      };
      // Every step's file must validate before the first one is written.
      for (let i = 0; i < steps.length; i++) checkBeforeWrite(stackName, stackPath, stackTextForStep(stack, state, i, now));

      io.out(`Rolling ${candidate.version} out on ${stackName} (${stackName} runs ${settings.release.version}):`);
      io.out(formatPlan(steps, pools, humanDuration));
      const totalPause = steps.reduce((sum, s) => sum + s.pauseSeconds, 0);
      io.out(
        `Analysis: window ${plan.windowSeconds ? humanDuration(plan.windowSeconds) : "each step's pause"}, canary at most ${(plan.margin * 100).toFixed(0)} % worse than stable, ` +
          `at least ${plan.minDocuments} documents per release, up to ${plan.maxExtensions} extension(s) per step${prometheusUrl ? `; Prometheus ${prometheusUrl}` : ""}.`,
      );
      const mixedLimit = settings.monitoring.thresholds.mixedReleaseMaxHours * 3600;
      if (totalPause > mixedLimit) {
        io.err(`warning: the pauses add up to ${humanDuration(totalPause)}, longer than monitoring.thresholds.mixedReleaseMaxHours (${settings.monitoring.thresholds.mixedReleaseMaxHours} h): the mixed-releases alert will fire during the rollout.`);
      }

      // Fail fast, before anything changes: the analyses need the stack's Prometheus.
      try {
        await measured("vector(1)", now);
      } catch (error) {
        if (!(error instanceof PrometheusError) || error.kind === "query") throw error;
        io.err(`error: ${error.message}\n  Nothing was changed. Check --prometheus-url or enrichment:promotion.prometheusUrl in ${path.basename(stackPath)}, and that ${stackName}'s Prometheus runs.`);
        return EXIT.unreachable;
      }

      const firstText = stackTextForStep(stack, state, 0, now);
      if (values["dry-run"]) {
        io.out(`\nStep 1 would write:`);
        io.out(unifiedDiff(stack.text, firstText, { from: `a/${path.basename(stackPath)}`, to: `b/${path.basename(stackPath)}` }));
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-preview-"));
        const scratchFile = path.join(scratch, path.basename(stackPath));
        try {
          fs.writeFileSync(scratchFile, firstText);
          io.out(`${engine.description}: preview of step 1`);
          const preview = await engine.preview(scratchFile);
          if (!preview.ok) {
            io.err(`error: the preview of step 1 failed (${preview.error ?? `exit code ${preview.code}`}):\n${preview.tail.trim().split("\n").slice(-10).join("\n")}`);
            io.out(`Dry run: nothing was changed.`);
            return EXIT.inconclusive;
          }
        } finally {
          fs.rmSync(scratch, { recursive: true, force: true });
        }
        io.out(`Dry run: nothing was changed.`);
        return EXIT.ok;
      }

      if (existing) audit(files, existing.id, now, { event: "previous", phase: existing.phase, note: "a new rollout replaces this finished one in the state file" });
      const r = run(writeState(files, state, now));
      log(r, { event: "start", stable: settings.release.version, candidate: candidate.version, steps: steps.map((s) => ({ percent: s.percent, pauseSeconds: s.pauseSeconds, counts: s.counts })), plan: { ...plan, steps: undefined }, command });
      return await drive(r, settings);
    } finally {
      lock?.release();
    }
  });
}
