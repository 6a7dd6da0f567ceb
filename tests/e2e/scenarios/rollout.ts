// The rollout's scenarios on the real engine (issue 23): `npm run rollout` run as a process
// against the deployed e2e stack, the real Pulumi CLI, the stack's real Prometheus scraping the
// stand-in workers (tests/e2e/standins/documents.go), and Docker's own event stream to see which
// containers each step replaced.
//
//   rollout bad candidate aborted     e2e-rollout-bad (its workers report degraded numbers) is
//                                     aborted at the first step; every worker ends on the stable release
//   rollout good candidate to 100 %   e2e-rollout-good walks 25, 50, 100 % on 4 workers and becomes the
//                                     release; below 100 % each step replaces only the workers that
//                                     change track
//   rollout killed and resumed        e2e-rollout-resume: the command is SIGKILLed during its first
//                                     pause and run again; it takes the dead run's lock, resumes, completes
//
// Each is a function of a context and returns { ok, detail }; ROLLOUT_STEPS lists them in the
// order they must run (each starts from the release the one before leaves). The runner names the
// report step after `name`.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type Docker from "dockerode";
import * as YAML from "yaml";
import type { Release } from "../../../config/schema";
import { LABEL_PREFIX } from "../../../facts/services";
import { RELEASE_ENV } from "../../../facts/metricsContract";
import { pulumiCli } from "../../../release/engine";
import { readAudit, readState, rolloutFiles } from "../../../release/rolloutState";
import { loadStack, writeAtomically } from "../../../release/stackEdit";
import type { E2EContext, StepResult } from "../context";
import type { PulumiCli } from "../engine/pulumi";
import { childEnd } from "../../../release/childEnd";
import { describeTree, signalTree } from "../processTree";
import { TSX_LOADER } from "../../../synth/index";

const REPO = path.resolve(__dirname, "../../..");

export interface RolloutScenarioContext {
  /** The stack (`e2e`) and the prefix of its containers. */
  stack: string;
  prefix: string;
  docker: Docker;
  /** The stack file the CLI deploys (`--config-file`); the rollout edits it as it would Pulumi.<stack>.yaml. */
  stackFile: string;
  /** The Pulumi CLI as the e2e runs it: the binary, its environment (PULUMI_HOME, backend, passphrase), the project. */
  pulumi: { command: string; env: NodeJS.ProcessEnv; projectDir: string };
  /** Where the scenarios keep the rollout's state, audit and logs (e.g. .e2e/rollout). */
  workDir: string;
  /** `.e2e/candidate-images.json` (build.sh): release -> enrichment-worker image; the stable worker image when absent. */
  candidateImages?: Record<string, string>;
  log(message: string): void;
}

/** The scenarios' context from the e2e's own (tests/e2e/stack.ts buildContext) and its CLI (e2eCli): the CLI's binary, environment and stack file. */
export function rolloutContext(e2e: Pick<E2EContext, "stack" | "prefix" | "docker" | "log">, cli: Pick<PulumiCli, "env" | "options">, e2eDir = path.join(REPO, ".e2e")): RolloutScenarioContext {
  const candidates = path.join(e2eDir, "candidate-images.json");
  return {
    stack: e2e.stack,
    prefix: e2e.prefix,
    docker: e2e.docker,
    log: e2e.log,
    stackFile: cli.options.configFile,
    pulumi: { command: path.join(cli.options.toolchain.binDir, "pulumi"), env: cli.env(), projectDir: cli.options.cwd ?? REPO },
    workDir: path.join(e2eDir, "rollout"),
    candidateImages: fs.existsSync(candidates) ? (JSON.parse(fs.readFileSync(candidates, "utf8")) as Record<string, string>) : undefined,
  };
}

export const CANDIDATES = { bad: "e2e-rollout-bad", good: "e2e-rollout-good", resume: "e2e-rollout-resume" } as const;
/** Pauses and windows of a minute: four scrapes of the e2e's 15 s interval, the least the command accepts. */
const PAUSE = "60s";
const WORKERS = 4;

// ---------------------------------------------------------------- helpers

function settingsOf(ctx: RolloutScenarioContext) {
  return loadStack(ctx.stack, ctx.stackFile).settings;
}

/** The candidate's release block: the stack's release with the candidate's version and worker image. */
function writeCandidate(ctx: RolloutScenarioContext, version: string): { file: string; image: string; built: boolean } {
  const release = settingsOf(ctx).release;
  const built = ctx.candidateImages?.[version];
  const image = built ?? release.images["enrichment-worker"]!;
  const candidate: Release = { ...release, version, images: { ...release.images, "enrichment-worker": image } };
  fs.mkdirSync(ctx.workDir, { recursive: true });
  const file = path.join(ctx.workDir, `release-${version}.yaml`);
  fs.writeFileSync(file, YAML.stringify({ "enrichment:release": candidate }));
  return { file, image, built: !!built };
}

interface CommandRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the run overran its deadline: where it was and what was still running. */
  timedOut?: string;
}

/**
 * How long one rollout command may run. The longest here, the good candidate's three steps, takes
 * about 5 minutes (three ups of 40 to 90 s, two pauses of 60 s); a hung run must fail its step with
 * a diagnosis, not hold CI until its own timeout.
 */
const COMMAND_DEADLINE_MS = 12 * 60_000;
/** Each `pulumi up` of the rollout (--up-timeout): a healthy one here takes 40 to 100 s. */
const UP_TIMEOUT = "8m";

/** Lines of the rollout's output worth a progress line in the e2e's own (CI's log shows where a run is). */
const PROGRESS = /^(Step \d+\/\d+|Analysis of step|Passed:|Inconclusive:|Aborting rollout|Rollout \S+ (completed|aborted)|Resuming rollout|Waiting \S+|error:)/;

/** `npm run rollout -- <args>` as a process with the e2e's CLI environment; output also in <workDir>/<log>. */
function rolloutCommand(ctx: RolloutScenarioContext, args: string[], log: string, deadlineMs = COMMAND_DEADLINE_MS): { pid: number | undefined; done: Promise<CommandRun> } {
  const argv = [
    path.join(REPO, "scripts/rollout.ts"),
    "--stack", ctx.stack,
    "--stack-file", ctx.stackFile,
    "--project", ctx.pulumi.projectDir,
    "--pulumi", ctx.pulumi.command,
    "--state-dir", ctx.workDir,
    "--up-timeout", UP_TIMEOUT,
    ...args,
  ];
  fs.mkdirSync(ctx.workDir, { recursive: true });
  const logPath = path.join(ctx.workDir, log);
  const logFile = fs.createWriteStream(logPath, { flags: "a" });
  logFile.write(`\n$ npm run rollout -- ${argv.slice(1).join(" ")}\n`);
  const child = spawn(process.execPath, [...TSX_LOADER, ...argv], { cwd: REPO, env: ctx.pulumi.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let partial = "";
  const progress = (text: string) => {
    partial += text;
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) if (PROGRESS.test(line.trim())) ctx.log(`   rollout: ${line.trim().slice(0, 200)}`);
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    logFile.write(chunk);
    progress(chunk.toString("utf8"));
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
    logFile.write(chunk);
    progress(chunk.toString("utf8"));
  });
  let timedOut: string | undefined;
  const done = childEnd(child, {
    timeoutMs: deadlineMs,
    // SIGINT first: the rollout's pulumi up cancels cleanly; then everything that is left.
    stop: (signal) => child.pid && signalTree(child.pid, signal),
    onTimeout: () => {
      const state = readState(rolloutFiles(ctx.workDir, ctx.stack));
      const tree = child.pid ? describeTree(child.pid) : "(no pid)";
      timedOut =
        `npm run rollout ${args.join(" ")} still ran after ${deadlineMs / 60_000} min (state: ${state?.phase ?? "none"} at step ${(state?.step ?? -1) + 1}); ` +
        `its processes:\n${tree}\nthe last lines of ${path.relative(REPO, logPath)}:\n${(stdout + stderr).trim().split("\n").slice(-15).join("\n")}`;
      ctx.log(`   rollout: DEADLINE: ${timedOut}`);
    },
    onLinger: () => {
      stderr += `\n[the rollout exited (${child.exitCode ?? child.signalCode}) but a process it started kept its output open: ${child.pid ? describeTree(child.pid) : ""}]\n`;
    },
  }).then((end): CommandRun => {
    logFile.end();
    return { code: end.code, signal: end.signal, stdout, stderr, ...(timedOut ? { timedOut } : {}) };
  });
  return { pid: child.pid, done };
}

/** The problem to report when a run overran its deadline. */
function deadlineProblem(run: CommandRun | undefined): string[] {
  return run?.timedOut ? [run.timedOut] : [];
}

interface ContainerEvent {
  at: number;
  action: "create" | "destroy";
  name: string;
}

/** Docker's container create/destroy events from now until stop(). */
async function watchContainers(docker: Docker, prefix: string): Promise<{ stop(): ContainerEvent[] }> {
  const events: ContainerEvent[] = [];
  const stream = (await docker.getEvents({ filters: { type: ["container"], event: ["create", "destroy"] } })) as NodeJS.ReadableStream & { destroy?(): void };
  let buffer = "";
  stream.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      const event = JSON.parse(line) as { Action: string; timeNano: number; Actor?: { Attributes?: Record<string, string> } };
      const name = event.Actor?.Attributes?.name ?? "";
      if (name.startsWith(`${prefix}-`)) events.push({ at: event.timeNano / 1e6, action: event.Action as ContainerEvent["action"], name: name.slice(prefix.length + 1) });
    }
  });
  return {
    stop() {
      stream.destroy?.();
      return events;
    },
  };
}

interface RunningContainer {
  name: string;
  release?: string;
  track?: string;
  releaseEnv?: string;
  image: string;
}

async function containers(ctx: RolloutScenarioContext): Promise<RunningContainer[]> {
  const list = await ctx.docker.listContainers({ all: true, filters: { label: [`${LABEL_PREFIX}.stack=${ctx.stack}`] } });
  const ours = list.filter((c) => c.Names[0]!.startsWith(`/${ctx.prefix}-`));
  return Promise.all(
    ours.map(async (c) => {
      const inspected = await ctx.docker.getContainer(c.Id).inspect();
      const env = inspected.Config.Env ?? [];
      return {
        name: c.Names[0]!.slice(1 + ctx.prefix.length + 1),
        release: c.Labels[`${LABEL_PREFIX}.release`],
        track: c.Labels[`${LABEL_PREFIX}.track`],
        releaseEnv: env.find((e) => e.startsWith(`${RELEASE_ENV}=`))?.slice(RELEASE_ENV.length + 1),
        image: inspected.Config.Image,
      };
    }),
  );
}

const workerNames = (all: RunningContainer[]) => all.filter((c) => /^enrichment-worker-\d+$/.test(c.name)).map((c) => c.name).sort(byIndex);
function byIndex(a: string, b: string): number {
  return Number(a.split("-").pop()) - Number(b.split("-").pop());
}

/** The containers created during each `up` of a rollout: from its "step" (or abort decision) to its "up" in the audit. */
function createdPerUp(ctx: RolloutScenarioContext, rolloutId: string, events: ContainerEvent[]): { label: string; created: string[] }[] {
  const lines = readAudit(rolloutFiles(ctx.workDir, ctx.stack)).filter((line) => line.rollout === rolloutId);
  const out: { label: string; created: string[] }[] = [];
  let from: number | undefined;
  let label = "";
  for (const line of lines) {
    if (line.event === "step") {
      from = Date.parse(line.at);
      label = `step ${line.step} (${line.percent} %)`;
    }
    if (line.event === "decision" && line.decision === "abort") {
      from = Date.parse(line.at);
      label = "abort";
    }
    if (line.event === "abort-requested") {
      from = Date.parse(line.at);
      label = "abort";
    }
    if (line.event === "up" && from !== undefined) {
      const to = Date.parse(line.at);
      out.push({ label, created: [...new Set(events.filter((e) => e.action === "create" && e.at >= from! - 1000 && e.at <= to + 1000).map((e) => e.name))].sort() });
      from = undefined;
    }
  }
  return out;
}

/** Sets workers.replicas in the stack file and deploys it, when it differs. */
async function ensureWorkers(ctx: RolloutScenarioContext, replicas: number): Promise<string | undefined> {
  const stack = loadStack(ctx.stack, ctx.stackFile);
  if (stack.settings.workers.replicas === replicas) return undefined;
  const doc = YAML.parseDocument(stack.text);
  doc.setIn(["config", "enrichment:workers", "replicas"], replicas);
  writeAtomically(ctx.stackFile, doc.toString({ lineWidth: 0 }));
  const engine = pulumiCli({ stack: ctx.stack, projectDir: ctx.pulumi.projectDir, command: ctx.pulumi.command, env: ctx.pulumi.env });
  const result = await engine.up(ctx.stackFile, `e2e: workers ${stack.settings.workers.replicas} -> ${replicas} for the rollout scenarios`);
  if (!result.ok) return `pulumi up to ${replicas} workers failed (${result.error ?? `exit ${result.code}`}): ${result.tail.slice(-600)}`;
  return undefined;
}

function lastLines(text: string, n = 6): string {
  return text.trim().split("\n").slice(-n).join(" / ");
}

// ---------------------------------------------------------------- the scenarios

/**
 * A candidate whose workers report degraded numbers (STANDIN_DEGRADE_RELEASES) is aborted at the
 * first step (exit 1): the step replaced exactly the first worker, the abort exactly that one
 * again, and every worker ends on the stable release with no canary in the stack file.
 */
export async function rolloutBadCandidateAborted(ctx: RolloutScenarioContext): Promise<StepResult> {
  const scaled = await ensureWorkers(ctx, WORKERS);
  if (scaled) return { ok: false, detail: scaled };
  const stable = settingsOf(ctx).release.version;
  const candidate = writeCandidate(ctx, CANDIDATES.bad);
  const watch = await watchContainers(ctx.docker, ctx.prefix);
  ctx.log(`rollout: ${CANDIDATES.bad} onto ${ctx.stack} (runs ${stable}), steps 25,50,100 % with ${PAUSE} pauses; expected: aborted at step 1`);
  const run = await rolloutCommand(ctx, ["--to", CANDIDATES.bad, "--release-file", candidate.file, "--steps", `25:${PAUSE},50:${PAUSE},100`], "rollout-bad.log").done;
  const events = watch.stop();
  const state = readState(rolloutFiles(ctx.workDir, ctx.stack));
  const after = await containers(ctx);
  const workers = after.filter((c) => workerNames(after).includes(c.name));
  const perUp = state ? createdPerUp(ctx, state.id, events) : [];
  const analysis = readAudit(rolloutFiles(ctx.workDir, ctx.stack)).filter((l) => l.rollout === state?.id && l.event === "analysis");
  const settings = settingsOf(ctx);

  const problems = [
    ...deadlineProblem(run),
    ...(run.code === 1 ? [] : [`npm run rollout exited ${run.code ?? run.signal}, expected 1 (aborted: a check failed): ${lastLines(run.stderr || run.stdout)}`]),
    ...(state?.phase === "aborted" && state.step === 0 ? [] : [`the rollout's state is ${state?.phase} at step ${(state?.step ?? -1) + 1}, expected aborted at step 1`]),
    // A first analysis may find too little data yet (it extends); the last one must fail.
    ...(analysis.at(-1)?.verdict === "fail" && analysis.slice(0, -1).every((a) => a.verdict === "inconclusive")
      ? []
      : [`expected the analyses of step 1 to end in a failure, got ${analysis.map((a) => a.verdict).join(", ") || "none"}`]),
    ...(JSON.stringify(perUp.map((u) => [u.label, u.created])) === JSON.stringify([["step 1 (25 %)", ["enrichment-worker-1"]], ["abort", ["enrichment-worker-1"]]])
      ? []
      : [`containers created per up: ${JSON.stringify(perUp)}; expected enrichment-worker-1 at step 1 and again at the abort, nothing else`]),
    ...workers.filter((w) => w.release !== stable || w.track !== "stable" || w.releaseEnv !== stable).map((w) => `${w.name} runs ${w.release}/${w.track} (${RELEASE_ENV}=${w.releaseEnv}), expected ${stable}/stable`),
    ...(workers.length === WORKERS ? [] : [`${workers.length} workers, expected ${WORKERS}`]),
    ...(settings.canary ? [`the stack file still has a canary (${settings.canary.release.version})`] : []),
    ...(settings.release.version === stable ? [] : [`the stack file names release ${settings.release.version}, expected ${stable}`]),
  ];
  const detail = `${CANDIDATES.bad} (${candidate.built ? "its own worker image" : "the stable worker image"}) against ${stable}: exit ${run.code}; ${analysis.map((a) => `analysis ${a.verdict}: ${(a.reasons as string[]).slice(0, 2).join("; ")}`).join(" ")}; created per up: ${perUp.map((u) => `${u.label}: ${u.created.join(", ") || "none"}`).join("; ")}; workers now: ${workers.map((w) => `${w.name}=${w.release}/${w.track}`).join(", ")}`;
  return problems.length ? { ok: false, detail: `${problems.join("; ")}. ${detail}` } : { ok: true, detail };
}

/**
 * A healthy candidate walks 25 % (1 of 4 workers), 50 % (2) and 100 %, and becomes the release.
 * Steps below 100 % create exactly the workers that move to the candidate; 100 % creates only
 * containers of the platform's own images (the release label changes on all of them), every
 * worker among them; nothing else (data, queue, monitoring) is replaced at any step.
 */
export async function rolloutGoodCandidateCompletes(ctx: RolloutScenarioContext): Promise<StepResult> {
  const scaled = await ensureWorkers(ctx, WORKERS);
  if (scaled) return { ok: false, detail: scaled };
  const stable = settingsOf(ctx).release.version;
  const candidate = writeCandidate(ctx, CANDIDATES.good);
  const before = await containers(ctx);
  const releaseContainers = new Set(before.filter((c) => c.release).map((c) => c.name));
  const watch = await watchContainers(ctx.docker, ctx.prefix);
  ctx.log(`rollout: ${CANDIDATES.good} onto ${ctx.stack} (runs ${stable}), steps 25,50,100 % with ${PAUSE} pauses; expected: the release`);
  const run = await rolloutCommand(ctx, ["--to", CANDIDATES.good, "--release-file", candidate.file, "--steps", `25:${PAUSE},50:${PAUSE},100`], "rollout-good.log").done;
  const events = watch.stop();
  const state = readState(rolloutFiles(ctx.workDir, ctx.stack));
  const after = await containers(ctx);
  const perUp = state ? createdPerUp(ctx, state.id, events) : [];
  const settings = settingsOf(ctx);
  const workers = after.filter((c) => workerNames(after).includes(c.name));

  const expectedBelow = [
    ["step 1 (25 %)", ["enrichment-worker-1"]],
    ["step 2 (50 %)", ["enrichment-worker-2"]],
  ];
  const last = perUp[2];
  const problems = [
    ...deadlineProblem(run),
    ...(run.code === 0 ? [] : [`npm run rollout exited ${run.code ?? run.signal}, expected 0: ${lastLines(run.stderr || run.stdout)}`]),
    ...(state?.phase === "completed" ? [] : [`the rollout's state is ${state?.phase} at step ${(state?.step ?? -1) + 1}, expected completed`]),
    ...(JSON.stringify(perUp.slice(0, 2).map((u) => [u.label, u.created])) === JSON.stringify(expectedBelow)
      ? []
      : [`below 100 %, containers created per up: ${JSON.stringify(perUp.slice(0, 2))}; expected only the worker that changes track at each step`]),
    ...(last && last.label === "step 3 (100 %)" ? [] : [`no 100 % step in the audit (${JSON.stringify(perUp.map((u) => u.label))})`]),
    ...(last ? last.created.filter((name) => !releaseContainers.has(name)).map((name) => `at 100 % ${name} was replaced, though it runs no release`) : []),
    ...(last ? workerNames(after).filter((name) => !last.created.includes(name)).map((name) => `at 100 % ${name} was not replaced`) : []),
    ...workers.filter((w) => w.release !== CANDIDATES.good || w.track !== "stable" || w.releaseEnv !== CANDIDATES.good).map((w) => `${w.name} runs ${w.release}/${w.track} (${RELEASE_ENV}=${w.releaseEnv}), expected ${CANDIDATES.good}/stable`),
    ...(settings.release.version === CANDIDATES.good ? [] : [`the stack file names release ${settings.release.version}, expected ${CANDIDATES.good}`]),
    ...(settings.canary ? ["the stack file still has a canary block"] : []),
    ...(settings.releaseHistory[0]?.release.version === stable ? [] : [`releaseHistory[0] is ${settings.releaseHistory[0]?.release.version}, expected ${stable}`]),
  ];
  const detail = `${CANDIDATES.good} (${candidate.built ? "its own worker image" : "the stable worker image"}) replaced ${stable}: exit ${run.code}; created per up: ${perUp.map((u) => `${u.label}: ${u.created.join(", ") || "none"}`).join("; ")}; workers now: ${workers.map((w) => `${w.name}=${w.release}/${w.track}`).join(", ")}`;
  return problems.length ? { ok: false, detail: `${problems.join("; ")}. ${detail}` } : { ok: true, detail };
}

/**
 * The command is SIGKILLed while its first step pauses (the process its lock names, as `kill -9`
 * would), then run again unchanged: it reports the dead run's lock, resumes at the pause,
 * analyses and completes; the candidate is the release.
 */
export async function rolloutKilledResumes(ctx: RolloutScenarioContext): Promise<StepResult> {
  const stable = settingsOf(ctx).release.version;
  const candidate = writeCandidate(ctx, CANDIDATES.resume);
  const files = rolloutFiles(ctx.workDir, ctx.stack);
  const args = ["--to", CANDIDATES.resume, "--release-file", candidate.file, "--steps", `50:${PAUSE},100`];
  ctx.log(`rollout: ${CANDIDATES.resume} onto ${ctx.stack} (runs ${stable}); killed during the first pause, then run again`);
  const first = rolloutCommand(ctx, args, "rollout-resume.log");
  const deadline = Date.now() + 15 * 60_000;
  let killedPid: number | undefined;
  let firstRun: CommandRun | undefined;
  const firstDone = first.done.then((r) => (firstRun = r));
  while (Date.now() < deadline && !firstRun) {
    const state = readState(files);
    if (state?.candidate.version === CANDIDATES.resume && state.phase === "wait") {
      // The lock names the process that runs the rollout: the node this scenario started.
      killedPid = (JSON.parse(fs.readFileSync(files.lock, "utf8")) as { pid: number }).pid;
      process.kill(killedPid, "SIGKILL");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await firstDone;
  if (!killedPid) return { ok: false, detail: `the first run never reached its pause (state ${readState(files)?.phase}); it exited ${firstRun?.code}: ${lastLines(firstRun?.stderr ?? "")}` };
  const stateAtKill = readState(files);
  const lockLeft = fs.existsSync(files.lock);

  const second = await rolloutCommand(ctx, args, "rollout-resume.log").done;
  const state = readState(files);
  const lines = readAudit(files).filter((l) => l.rollout === state?.id).map((l) => l.event);
  const settings = settingsOf(ctx);
  const after = await containers(ctx);
  const workers = after.filter((c) => workerNames(after).includes(c.name));
  const problems = [
    ...deadlineProblem(firstRun),
    ...deadlineProblem(second),
    ...(lockLeft ? [] : ["the killed run left no lock behind (expected its lock, to be found stale)"]),
    ...(stateAtKill?.phase === "wait" && stateAtKill.step === 0 ? [] : [`state at the kill: ${stateAtKill?.phase} step ${(stateAtKill?.step ?? -1) + 1}`]),
    ...(second.code === 0 ? [] : [`the second run exited ${second.code ?? second.signal}, expected 0: ${lastLines(second.stderr || second.stdout)}`]),
    ...(second.stderr.includes(`took over the lock of pid ${killedPid}`) ? [] : [`the second run did not report the dead run's lock (pid ${killedPid})`]),
    ...(second.stdout.includes("Resuming rollout") ? [] : ["the second run did not resume"]),
    ...(["stale-lock", "resume", "analysis", "completed"].every((event) => lines.includes(event)) ? [] : [`audit events: ${lines.join(", ")}`]),
    ...(lines.filter((event) => event === "start").length === 1 ? [] : ["the second run started a new rollout instead of resuming"]),
    ...(settings.release.version === CANDIDATES.resume ? [] : [`the stack file names release ${settings.release.version}, expected ${CANDIDATES.resume}`]),
    ...workers.filter((w) => w.release !== CANDIDATES.resume || w.releaseEnv !== CANDIDATES.resume).map((w) => `${w.name} runs ${w.release} (${RELEASE_ENV}=${w.releaseEnv})`),
  ];
  const detail = `${CANDIDATES.resume} replaced ${stable}: first run SIGKILLed (pid ${killedPid}) in phase ${stateAtKill?.phase} of step ${(stateAtKill?.step ?? -1) + 1}; second run exit ${second.code}; audit: ${lines.join(", ")}`;
  return problems.length ? { ok: false, detail: `${problems.join("; ")}. ${detail}` } : { ok: true, detail };
}

/** The scenario steps in their order: the bad candidate against the deployed release first, then the good one, then the resume from the good one. */
export const ROLLOUT_STEPS: readonly { name: string; run(ctx: RolloutScenarioContext): Promise<StepResult> }[] = [
  { name: "rollout bad candidate aborted", run: rolloutBadCandidateAborted },
  { name: "rollout good candidate to 100 %", run: rolloutGoodCandidateCompletes },
  { name: "rollout killed and resumed", run: rolloutKilledResumes },
];
