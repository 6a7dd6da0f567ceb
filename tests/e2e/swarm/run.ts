// The swarm e2e (docs/swarm.md): the platform on the 3-node lab swarm (tests/e2e/swarm/lab.sh),
// deployed with the real Pulumi CLI (tests/e2e/engine), exercised, scaled, broken, rolled back,
// a node lost, destroyed. Writes .e2e/report-swarm.json and prints `e2e-swarm: N passed, N failed`.
//
//   npx tsx tests/e2e/swarm/run.ts [--keep]     (or npm run e2e -- --swarm: tests/e2e/run.ts hands over)
import * as fs from "node:fs";
import * as path from "node:path";
import { EXIT, EXIT_TABLE, main, parseOptions, runCli, type Io } from "../../../release/cli";
import { parseStackConfig, collectRawConfig } from "../../../config/load";
import * as pulumi from "@pulumi/pulumi";
import { Lab, labLayout } from "./lab";
import {
  brokenRollout,
  convergedAndHealthy,
  destroy,
  emptySwarmReport,
  firstUp,
  labUp,
  nodeLost,
  oneShotSteps,
  placement,
  prometheusTargets,
  removeLeftovers,
  scaleWorkers,
  secondPreview,
  secretFiles,
  failed,
  type StepResult,
  type SwarmContext,
} from "./scenario";
import { readImages, stackConfig, STACK_FILE, SWARM_DIR, SWARM_STACK, swarmCli, writeStackFile } from "./stack";
import { REPO } from "../engine/pulumi";

export const SWARM_USAGE = `Usage: npx tsx tests/e2e/swarm/run.ts [--keep]   (npm run e2e -- --swarm)

Deploys the platform on the lab swarm (tests/e2e/swarm/lab.sh up: 3 Docker engines in network
namespaces) with the real Pulumi CLI, checks it, scales workers 2 -> 4, rolls out a broken image
(the swarm rolls it back), stops a worker node, previews again, destroys; writes
.e2e/report-swarm.json and prints "e2e-swarm: N passed, N failed".
Needs: root, tests/e2e/images/build.sh's images (.e2e/images.json, the registry on 127.0.0.1:5000),
tests/e2e/engine/build.sh's toolchain.

Options:
  --keep       leave the stack running (skip the node loss and destroy steps)
  -h, --help   show this help

${EXIT_TABLE}`;

const REPORT_FILE = path.join(SWARM_DIR, "..", "report-swarm.json");
const SECRETS = {
  anthropicApiKey: () => `sk-ant-e2e-swarm-${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}`,
  // No alert sink runs beside the swarm stack: a webhook nothing answers (delivery is the single-host e2e's check).
  slackWebhookUrl: () => "http://alert-sink.invalid:9099/slack/e2e-swarm",
};

async function runSwarm(argv: string[], io: Io): Promise<number> {
  return runCli(io, SWARM_USAGE, async () => {
    // --swarm: how `npm run e2e -- --swarm` (tests/e2e/run.ts) hands over; it means nothing more here.
    const { values } = parseOptions(argv, { keep: { type: "boolean", default: false }, swarm: { type: "boolean", default: true }, help: { type: "boolean", short: "h", default: false } });
    if (values.help) {
      io.out(SWARM_USAGE);
      return EXIT.ok;
    }
    const started = Date.now();
    const log = (line: string) => io.out(line);
    const report = emptySwarmReport();
    const cli = swarmCli(log);
    if ("missing" in cli) {
      io.err(`e2e-swarm: ${cli.missing}`);
      return EXIT.unreachable;
    }
    const lab = new Lab(await labLayout());
    const config = stackConfig(readImages());
    // The settings the steps check against: the stack file as the program reads it (the secrets are
    // set on the stack by the prepare step; placeholders here, never read).
    const entries = [
      ...Object.entries(config).map(([fullKey, value]) => ({ fullKey, value, secret: false })),
      ...Object.keys(SECRETS).map((key) => ({ fullKey: `enrichment:${key}`, value: "set-by-prepare", secret: true })),
    ];
    const settings = parseStackConfig(SWARM_STACK, collectRawConfig(entries), () => pulumi.secret("set-by-prepare"));
    const ctx: SwarmContext = { cli, lab, stack: SWARM_STACK, prefix: settings.prefix, log, report };
    report.versions = cli.options.toolchain.dir ? { toolchain: cli.options.toolchain.dir } : {};

    let failures = 0;
    const step = async (name: string, body: () => Promise<StepResult>): Promise<boolean> => {
      const t0 = Date.now();
      log(`-- ${name}`);
      let result: StepResult;
      try {
        result = await body();
      } catch (error) {
        result = { ok: false, detail: `threw: ${(error as Error).stack ?? String(error)}`.slice(0, 1200) };
      }
      const seconds = (Date.now() - t0) / 1000;
      report.steps.push({ name, ok: result.ok, seconds, detail: result.detail });
      if (!result.ok) failures++;
      log(`${result.ok ? "ok  " : "FAIL"} ${name} (${seconds.toFixed(1)} s): ${result.detail}`);
      fs.mkdirSync(path.dirname(REPORT_FILE), { recursive: true });
      fs.writeFileSync(REPORT_FILE, `${JSON.stringify(report, null, 2)}\n`);
      return result.ok;
    };

    const s = settings.settings;
    const labReady = await step("lab", () => labUp(ctx));
    const deployed =
      labReady &&
      (await step("prepare", async () => {
        const removed = await removeLeftovers(ctx);
        if (fs.existsSync(path.join(SWARM_DIR, "state"))) fs.rmSync(path.join(SWARM_DIR, "state"), { recursive: true, force: true });
        if (fs.existsSync(STACK_FILE)) fs.rmSync(STACK_FILE);
        writeStackFile(config);
        const login = await cli.login();
        // `pulumi stack init` writes the passphrase's salt to Pulumi.<stack>.yaml in the project
        // (the repository's root); this stack's own file gets a salt of its own on the first
        // `config set`, so the root file is removed unless it was there before.
        const rootStackFile = path.join(REPO, `Pulumi.${SWARM_STACK}.yaml`);
        const hadRootFile = fs.existsSync(rootStackFile);
        const init = await cli.stackInit();
        if (!hadRootFile && fs.existsSync(rootStackFile)) fs.rmSync(rootStackFile);
        // One at a time: each `config set` rewrites the stack file.
        const secrets = [];
        for (const [key, value] of Object.entries(SECRETS)) secrets.push(await cli.configSet(`enrichment:${key}`, value(), { secret: true }));
        const bad = [login, init, ...secrets].filter((r) => r.code !== 0);
        const stuck = removed.filter((r) => r.includes("NOT removed"));
        return { ok: bad.length === 0 && stuck.length === 0, detail: `${removed.length ? `removed an earlier run's ${removed.length} objects; ` : ""}stack ${SWARM_STACK} on file://${path.relative(process.cwd(), path.join(SWARM_DIR, "state"))}, secrets set with config set --secret${bad.length ? `; FAILED: ${bad.map((r) => r.stderr.trim()).join(" | ")}` : ""}` };
      })) &&
      (await step("preview", async () => {
        const result = await cli.preview({ quiet: true });
        const creates = /(\d+) to create/.exec(result.stdout)?.[1];
        return { ok: result.code === 0, detail: result.code === 0 ? `${creates ?? "?"} to create` : failed(result, "pulumi preview") };
      })) &&
      (await step("up", () => firstUp(ctx)));

    if (deployed) {
      await step("converged and healthy", () => convergedAndHealthy(ctx));
      await step("placement", () => placement(ctx));
      await step("one-shot steps on the swarm", () =>
        oneShotSteps(ctx, {
          topic: s.nsq.topic,
          models: Object.values(s.release.models),
          release: s.release.version,
          database: s.mongodb.database,
          adminHost: s.mongodb.adminHost,
          adminPort: s.exposure.publish.mongodb!.port,
        }),
      );
      await step("secret files", () => secretFiles(ctx, s.appRuntimeUser));
      await step("prometheus targets", () => prometheusTargets(ctx, `${s.mongodb.adminHost}:${s.exposure.publish.prometheus!.port}`));
      await step("second preview", () => secondPreview(ctx));
      await step("scale workers 2 -> 4", () => scaleWorkers(ctx, s.workers.replicas, 4));
      await step("broken image rolls back", () => brokenRollout(ctx, s.release.images["enrichment-worker"]!));
      if (!values.keep) {
        await step("worker node lost", () => nodeLost(ctx));
        await step("third preview", () => secondPreview(ctx).then((r) => ({ ...r, detail: `after the node came back: ${r.detail}` })));
        await step("destroy", () => destroy(ctx));
        await step("clean up", async () => {
          const removed = await removeLeftovers(ctx);
          const rm = await cli.stackRemove();
          const stuck = removed.filter((r) => r.includes("NOT removed"));
          return { ok: rm.code === 0 && stuck.length === 0, detail: `removed by hand: ${removed.join(", ") || "nothing"}; stack removed (exit ${rm.code})` };
        });
      }
    }
    // The report's services are the state after the first up (converged and healthy).
    fs.writeFileSync(REPORT_FILE, `${JSON.stringify(report, null, 2)}\n`);
    log(`\n.e2e/report-swarm.json written (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
    for (const r of report.steps) log(`${r.ok ? "ok  " : "FAIL"} ${r.name.padEnd(30)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.detail.split("\n")[0]!.slice(0, 160)}`);
    log(`e2e-swarm: ${report.steps.length - failures} passed, ${failures} failed`);
    return failures ? EXIT.failed : EXIT.ok;
  });
}

/** The command itself: `npx tsx tests/e2e/swarm/run.ts`, or tests/e2e/run.ts handing over `--swarm`. */
export const runSwarmMain = () => {
  // A promise nothing can settle any more empties the event loop and Node would exit 0 in silence:
  // say so, and fail (as tests/e2e/run.ts does for the single-host e2e).
  let settled = false;
  process.on("beforeExit", () => {
    if (settled) return;
    process.stderr.write("e2e-swarm: stopped with work pending (a promise that never settled); failing\n");
    process.exit(1);
  });
  main((argv, io) => runSwarm(argv, io).finally(() => (settled = true)));
};
if (require.main === module) runSwarmMain();
export { runSwarm };
