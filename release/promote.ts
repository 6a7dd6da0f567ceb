// `npm run promote -- --from staging --to production`: verifies the source stack (`npm run
// verify`: does it work at all?), measures the gates against its Prometheus and, only when both
// pass, writes the source's release into the target stack file (recording the release it
// replaced) and prints the diff.
import * as path from "node:path";
import { Clock, realClock, replayClock, runAnalysis, SamplingPlan } from "./analysis";
import { badUsage, EXIT, Io, runCommand, UsageError } from "./cli";
import { PROMOTE } from "./promote.usage";
import { unifiedDiff } from "./diff";
import { humanDuration, parseDuration } from "./duration";
import { GateContext, gatesFor } from "./gates";
import { PrometheusClient, PrometheusError } from "./prometheus";
import { formatGateTable } from "./report";
import { checkBeforeWrite, loadStack, sameRelease, stackFilePath, withPromotedRelease, writeAtomically } from "./stackEdit";

// The flags live in promote.usage.ts (light: scripts/ parse with it before loading this module).
export { PROMOTE_USAGE } from "./promote.usage";

/** What promote needs from \`npm run verify\` (verify/ is a layer above; scripts/promote.ts passes it in). */
export interface SourceVerification {
  /** verify's exit code: 0 passed, 1 a check failed, 2 a check could not run, 4 unreachable. */
  exitCode: number;
  /** One line of counts. */
  summary: string;
  /** verify's table, for the promotion report. */
  table: string;
}

export type VerifySource = (request: { stack: string; dir: string; outputsFile?: string; log: (line: string) => void }) => Promise<SourceVerification>;

export interface PromoteDeps {
  /** Time recorded as replacedAt (default: now). */
  now?: () => Date;
  /** Clock of a live analysis (tests shorten the sleeps). */
  clock?: Clock;
  fetch?: typeof fetch;
  /** Verifies the source stack (scripts/promote.ts: verify/run.ts). */
  verify?: VerifySource;
}

const SKIPPED_VERIFY = (stack: string) =>
  `WARNING: --skip-verify: ${stack} was NOT verified (npm run verify) before this promotion; only the metric gates decided it. Run \`npm run verify -- --stack ${stack}\` as soon as you can.`;

const DEFAULT_WINDOW_SECONDS = 3600;

function positiveInt(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw badUsage(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

function duration(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds < min) throw badUsage(`--${name}: expected a duration such as 90s, 15m or 1h (>= ${min} s), got ${JSON.stringify(text)}`);
  return seconds;
}

function instant(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
  const parsed = new Date(text);
  if (!rfc3339.test(text) || Number.isNaN(parsed.getTime())) throw badUsage(`--at: expected an RFC 3339 time such as 2026-11-03T10:00:00Z, got ${JSON.stringify(text)}`);
  return parsed;
}

/** What to check when the source stack's Prometheus does not answer. */
function unreachableAdvice(url: string, stack: string, error: PrometheusError): string {
  return [
    `error: ${error.message}`,
    `  Nothing was measured and nothing was written. Check:`,
    `  - the URL: ${url} (--prometheus-url, or enrichment:promotion.prometheusUrl in Pulumi.${stack}.yaml);`,
    `  - that ${stack}'s Prometheus runs: docker ps --filter name=${stack}-prometheus (on the Docker host);`,
    `  - that it is published where the URL points: enrichment:exposure.publish.prometheus in Pulumi.${stack}.yaml;`,
    `  - from another machine, a tunnel first: ssh -N -L 9090:127.0.0.1:9090 <user>@<${stack} Docker host>.`,
  ].join("\n");
}

export async function runPromote(argv: string[], io: Io, deps: PromoteDeps = {}): Promise<number> {
  return runCommand(io, PROMOTE, argv, async ({ values }) => {
    if (!values.from || !values.to) throw badUsage("--from and --to are required");
    if (values.from === values.to) throw badUsage(`--from and --to name the same stack (${values.from})`);
    if (values["skip-verify"] && values["verify-outputs"]) throw badUsage("give --verify-outputs or --skip-verify, not both");
    const dryRun = values["dry-run"] === true;
    const count = positiveInt("count", values.count, 1);
    const intervalSeconds = duration("interval", values.interval, 0);
    const failureLimit = positiveInt("failure-limit", values["failure-limit"], 0);
    const windowSeconds = duration("window", values.window, 60) ?? DEFAULT_WINDOW_SECONDS;
    const at = instant(values.at);
    const timeoutMs = (duration("timeout", values.timeout, 0.1) ?? 10) * 1000;
    const dir = path.resolve(values.dir ?? ".");

    // Both files must validate before anything is measured: a config error should not wait for gates.
    const source = loadStack(values.from, stackFilePath(dir, values.from));
    const target = loadStack(values.to, stackFilePath(dir, values.to));
    // Secrets the files do not hold yet are not promote's business (it never reads or writes a
    // secret; pulumi up names a missing one): no warning about them here.

    const release = source.settings.release;
    const current = target.settings.release;
    if (sameRelease(release, current)) {
      io.out(`${target.stack} already runs release ${release.version}: nothing to promote.`);
      return EXIT.ok;
    }
    if (release.version === current.version) {
      throw new UsageError(
        `release ${release.version} differs between ${source.stack} and ${target.stack} under the same version; give the new release its own version`,
      );
    }

    const nextText = withPromotedRelease(target, release, (deps.now ?? (() => new Date()))());
    checkBeforeWrite(target.stack, target.path, nextText);

    const promotion = source.settings.promotion;
    const prometheusUrl = values["prometheus-url"] ?? promotion.prometheusUrl;
    if (!prometheusUrl) {
      throw new UsageError(`no Prometheus URL for ${source.stack}: set enrichment:promotion.prometheusUrl in ${path.basename(source.path)} or pass --prometheus-url`);
    }
    let client: PrometheusClient;
    try {
      client = new PrometheusClient(prometheusUrl, { timeoutMs, fetch: deps.fetch });
    } catch (error) {
      throw new UsageError(`--prometheus-url: ${(error as PrometheusError).message}`);
    }

    // Does the source stack work at all? Its metrics mean little otherwise.
    const skipVerify = values["skip-verify"] === true;
    if (skipVerify) io.out(SKIPPED_VERIFY(source.stack));
    else {
      if (!deps.verify) throw new Error("runPromote needs deps.verify (scripts/promote.ts passes verify/run.ts)");
      io.out(`Verifying ${source.stack} (npm run verify -- --stack ${source.stack}) before its gates.`);
      const verified = await deps.verify({ stack: source.stack, dir, outputsFile: values["verify-outputs"], log: (line) => io.err(`verify: ${line}`) });
      io.out("");
      io.out(verified.table);
      io.out("");
      if (verified.exitCode !== EXIT.ok) {
        const why: Record<number, [string, number]> = {
          [EXIT.failed]: [`${source.stack} fails verify`, EXIT.failed],
          [EXIT.inconclusive]: [`a verify check could not run on ${source.stack}`, EXIT.inconclusive],
          [EXIT.unreachable]: [`${source.stack} could not be reached to verify it`, EXIT.unreachable],
        };
        const [reason, code] = why[verified.exitCode] ?? [`verify exited ${verified.exitCode}`, verified.exitCode];
        io.out(`Not promoted: ${reason} (${verified.summary}). ${target.stack} stays on ${current.version}. Nothing was measured.`);
        return code;
      }
    }

    // Fail fast: an unreachable Prometheus is known at the first query, not after every round.
    try {
      await client.query("vector(1)", at ?? new Date());
    } catch (error) {
      if (!(error instanceof PrometheusError) || error.kind === "query") throw error;
      io.err(unreachableAdvice(client.url, source.stack, error));
      return EXIT.unreachable;
    }

    const plan: SamplingPlan = {
      count: count ?? promotion.samples.count,
      intervalSeconds: intervalSeconds ?? promotion.samples.intervalSeconds,
      failureLimit: failureLimit ?? promotion.samples.failureLimit,
    };
    const ingestion = source.settings.ingestion;
    const context: GateContext = {
      release: release.version,
      targets: source.settings.targets,
      soakMinutes: promotion.soakMinutes,
      windowSeconds,
      ...(ingestion?.enabled ? { ingestion: ingestion.targets } : {}),
    };

    io.out(`Promoting release ${release.version} from ${source.stack} to ${target.stack} (${target.stack} runs ${current.version}).`);
    io.out(
      `Gates: ${client.url} (release="${release.version}"), ${plan.count} measurement(s) ${humanDuration(plan.intervalSeconds)} apart, ` +
        `failure limit ${plan.failureLimit}, window ${humanDuration(windowSeconds)}${at ? `, replayed from ${at.toISOString()}` : ""}.`,
    );

    let result;
    try {
      result = await runAnalysis({
      gates: gatesFor(context),
      context,
      plan,
      clock: at ? replayClock(at) : (deps.clock ?? realClock),
      measure: (gate, when) => client.queryValue(gate.query(context), when),
      abortOn: (error) => error instanceof PrometheusError && error.kind !== "query",
      onRound: (round, when, taken) => {
        const failed = taken.filter((m) => m.verdict === "fail").length;
        const inconclusive = taken.filter((m) => m.verdict === "inconclusive").length;
        io.err(`measurement ${round}/${plan.count} at ${when.toISOString()}: ${taken.length - failed - inconclusive} pass, ${failed} fail, ${inconclusive} inconclusive`);
        if (round < plan.count) io.err(`  next measurement in ${humanDuration(plan.intervalSeconds)}`);
      },
      });
    } catch (error) {
      if (!(error instanceof PrometheusError)) throw error;
      io.err(unreachableAdvice(client.url, source.stack, error));
      io.out(`Not promoted: Prometheus stopped answering during the analysis. ${target.stack} stays on ${current.version}.`);
      return EXIT.unreachable;
    }

    io.out("");
    io.out(formatGateTable(result, context));
    io.out("");

    const diff = unifiedDiff(target.text, nextText, { from: `a/${path.basename(target.path)}`, to: `b/${path.basename(target.path)}` });
    if (result.verdict === "fail") {
      io.out(`Not promoted: a gate failed. ${target.stack} stays on ${current.version}.`);
      if (dryRun) io.out(`\nDry run: the change that would have been written:\n${diff}`);
      return EXIT.failed;
    }
    if (result.verdict === "inconclusive") {
      io.out(`Not promoted: inconclusive (no or too little data). ${target.stack} stays on ${current.version}; try again when ${source.stack} has more data.`);
      if (dryRun) io.out(`\nDry run: the change that would have been written:\n${diff}`);
      return EXIT.inconclusive;
    }

    io.out(skipVerify ? `All gates passed. ${SKIPPED_VERIFY(source.stack)}\n` : `${source.stack} passed verify and all gates.\n`);
    io.out(diff);
    if (dryRun) {
      io.out(`Dry run: ${target.path} was not changed.`);
      return EXIT.ok;
    }
    writeAtomically(target.path, nextText);
    io.out(`Wrote ${target.path}: ${target.stack} now names release ${release.version} (replaced ${current.version}, recorded in releaseHistory).`);
    io.out(`Deploy it with: pulumi up --stack ${target.stack}`);
    return EXIT.ok;
  });
}
