// `npm run verify -- --stack <name>`: does the deployed platform work? Runs the catalog's checks
// (verify/catalog.ts) against the live stack that `pulumi stack output` and the stack file
// describe, on its Docker host, and prints a table (or --json). Read-only, except the opt-in test
// alert and one probe document in a scratch collection that it removes.
import * as path from "node:path";
import { badUsage, EXIT, type Io, runCommand, UsageError } from "../release/cli";
import { VERIFY } from "./run.usage";
import { loadStack, stackFilePath } from "../release/stackEdit";
import { runbookOf, VERIFY_CATALOG, type VerifyCheck } from "./catalog";
import type { CheckOutcome, VerifyContext } from "./context";
import { connectEngine, DockerUnreachable, pingEngine, stackContainers, type EngineConnection, type StackContainer } from "./docker";
import { OutputsInvalid, OutputsUnreachable, readOutputs } from "./outputs";
import { Reach } from "./reach";
import { exitCodeOf, renderTable, summarize, summaryLine, type CheckReport, type VerifyReport } from "./render";
import type { VerifySource } from "../release/promote";

// The flags live in run.usage.ts (light: scripts/ parse with it before loading this module).
export { VERIFY_USAGE } from "./run.usage";

export interface VerifyOptions {
  stack: string;
  only?: string[];
  sendTestAlert?: boolean;
  outputsFile?: string;
  cwd?: string;
  configFile?: string;
  dockerHost?: string;
  viaEngine?: boolean;
  /** Progress lines (stderr for the CLI). */
  log?: (line: string) => void;
  /** Longest a single check may take before it counts as failed. */
  checkTimeoutMs?: number;
  /** The checks to run (tests give their own). */
  catalog?: readonly VerifyCheck[];
}

const DEFAULT_CHECK_TIMEOUT_MS = 6 * 60_000;

/** Validates --only against the catalog; a UsageError names the unknown ones. */
export function selectChecks(only: string[] | undefined, catalog: readonly VerifyCheck[] = VERIFY_CATALOG): readonly VerifyCheck[] {
  if (!only) return catalog;
  const names = catalog.map((c) => c.name);
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length) throw badUsage(`--only: unknown check ${unknown.join(", ")} (known: ${names.join(", ")})`);
  return catalog.filter((check) => only.includes(check.name));
}

async function runOne(check: VerifyCheck, ctx: VerifyContext, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.run(ctx),
      new Promise<CheckOutcome>((resolve) => {
        timer = setTimeout(() => resolve({ status: "fail", lookedAt: check.looksAt, detail: `did not finish within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
      }),
    ]);
  } catch (error) {
    // The Docker API refusing a call, a socket dying: a failed check that says what broke.
    return { status: "fail", lookedAt: check.looksAt, detail: `the check stopped on an unexpected error: ${(error as Error).message?.trim() ?? String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Verifies a stack and returns the report. A stack file that does not validate, an unknown check
 * or unusable outputs throw a UsageError (exit 3); an engine or outputs that cannot be reached
 * give a report with exit 4 and no checks.
 */
export async function verifyStack(options: VerifyOptions): Promise<VerifyReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const checks = selectChecks(options.only, options.catalog);
  const file = options.configFile ? path.resolve(options.configFile) : stackFilePath(path.resolve(options.cwd ?? "."), options.stack);
  const { settings } = loadStack(options.stack, file);
  // The catalog reads containers on one Docker host; a swarm's services are checked by the swarm
  // e2e's steps (docs/swarm.md), not yet by this command.
  if (settings.deployTarget.kind !== "host") {
    throw new UsageError(`${options.stack} deploys to a ${settings.deployTarget.kind} (enrichment:deployTarget.kind); verify checks single-host stacks only (docs/verify.md)`);
  }
  const dockerHost = options.dockerHost ?? settings.docker.host;
  const unreachable = (error: string, outputs = ""): VerifyReport => ({
    stack: options.stack,
    dockerHost,
    outputs,
    startedAt,
    seconds: (Date.now() - started) / 1000,
    exitCode: EXIT.unreachable,
    summary: summarize([]),
    reached: {},
    checks: [],
    error,
  });

  let outputs;
  let source: string;
  try {
    ({ outputs, source } = await readOutputs({ stack: options.stack, file: options.outputsFile, cwd: options.cwd }));
  } catch (error) {
    if (error instanceof OutputsInvalid) throw new UsageError(error.message);
    if (error instanceof OutputsUnreachable) return unreachable(error.message);
    throw error;
  }

  let engine: EngineConnection;
  try {
    engine = connectEngine(dockerHost, settings.docker.sshOpts);
    log(`engine: ${await pingEngine(engine)} at ${dockerHost}`);
  } catch (error) {
    if (error instanceof DockerUnreachable) return unreachable(error.message, source);
    throw error;
  }

  const prefix = outputs.namePrefix ?? settings.namePrefix ?? options.stack;
  const reach = new Reach({ docker: engine.docker, engine, settings, stack: options.stack, namePrefix: prefix, viaEngine: options.viaEngine === true, log });
  let cached: Promise<StackContainer[]> | undefined;
  const earlier = new Map<string, CheckOutcome>();
  const ctx: VerifyContext = {
    stack: options.stack,
    prefix,
    settings,
    outputs,
    docker: engine.docker,
    engine: { host: dockerHost, remote: engine.remote },
    reach,
    sendTestAlert: options.sendTestAlert === true,
    log,
    containers: (fresh = false) => {
      if (!cached || fresh) cached = stackContainers(engine.docker, options.stack);
      return cached;
    },
    earlier,
  };
  const reports: CheckReport[] = [];
  try {
    for (const [i, check] of checks.entries()) {
      const began = Date.now();
      log(`[${i + 1}/${checks.length}] ${check.name}`);
      const outcome = await runOne(check, ctx, options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS);
      earlier.set(check.name, outcome);
      const seconds = Number(((Date.now() - began) / 1000).toFixed(1));
      reports.push({
        name: check.name,
        title: check.title,
        status: outcome.status,
        lookedAt: outcome.lookedAt,
        detail: outcome.detail,
        ...(outcome.status === "fail" || outcome.status === "cannot-run" ? { fix: outcome.fix ?? check.fix } : {}),
        runbook: runbookOf(check),
        seconds,
        ...(outcome.data ? { data: outcome.data } : {}),
      });
      log(`      ${outcome.status} (${seconds} s)`);
    }
  } finally {
    await reach.close();
    await engine.close();
  }
  return {
    stack: options.stack,
    dockerHost,
    outputs: source,
    startedAt,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    exitCode: exitCodeOf(reports),
    summary: summarize(reports),
    reached: await reach.routes(),
    checks: reports,
  };
}

export async function runVerify(argv: string[], io: Io): Promise<number> {
  return runCommand(io, VERIFY, argv, async ({ values }) => {
    if (!values.stack) throw badUsage("--stack is required");
    const only = values.only?.split(",").map((name) => name.trim()).filter(Boolean);
    if (values.only !== undefined && !only?.length) throw badUsage("--only needs at least one check name");
    const report = await verifyStack({
      stack: values.stack,
      only,
      sendTestAlert: values["send-test-alert"],
      outputsFile: values.outputs,
      cwd: values.cwd,
      configFile: values["config-file"],
      dockerHost: values["docker-host"],
      viaEngine: values["via-engine"],
      log: (line) => io.err(`verify: ${line}`),
    });
    if (report.error) io.err(`error: ${report.error}`);
    io.out(values.json ? JSON.stringify(report, null, 2) : renderTable(report));
    return report.exitCode;
  });
}

/**
 * verifyStack as promote runs it on its source stack before the gates (scripts/promote.ts passes
 * it to runPromote): verify's exit code, its summary line and its table for the promotion report.
 */
export const verifyForPromote: VerifySource = async ({ stack, dir, outputsFile, log }) => {
  const report = await verifyStack({ stack, cwd: dir, outputsFile, log });
  return { exitCode: report.exitCode, summary: summaryLine(report), table: renderTable(report) };
};
