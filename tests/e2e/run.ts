// `npm run e2e`: deploys the e2e stack onto the local Docker engine with the real Pulumi engine
// (the CLI, the Node.js language host, the bridged upstream Docker provider and the stand-in random,
// tls and command plugins that tests/e2e/engine/build.sh builds), exercises it, tears it down and
// writes `.e2e/report.json` (docs/e2e.md). Each step is timed; a failed step prints what explains
// it; the run exits non-zero when any step or check failed.
//
//   npm run e2e                  images from tests/e2e/images/build.sh (stand-ins + Debian/Go builds)
//   npm run e2e -- --real-images the shipped staging stack's pinned images, `gpus` as it configures
//   npm run e2e -- --keep        leave the stack running after the checks (no drift/destroy steps)
//   npm run e2e -- --reuse-images  the images of the last build.sh run (.e2e/images.json), no build
//   npm run e2e -- --overrides f.json  stack values merged last (e.g. one locally built image to try)
//   npm run e2e -- --reuse-images --from-checks  on a stack left by --keep: from the sink and checks on
//   npm run e2e -- --reuse-images --from-drift   on a stack left by --keep: drift and destroy
//   npm run e2e -- --record-fixtures  also save the real previews as tests/fixtures/preview/e2e-*.json
//   npm run e2e -- --swarm       the swarm e2e instead (tests/e2e/swarm/run.ts, docs/swarm.md)
//
// --help and usage errors are answered here, from tests/e2e/run.usage.ts, before anything heavy
// loads; then the single-host e2e (tests/e2e/singleHost.ts) or the swarm e2e takes over.
import { EXIT, printUsageError, processIo, UsageError } from "../../release/cli";
import { E2E, parseE2EFlags, type E2EFlags } from "./run.usage";

let flags: E2EFlags;
try {
  flags = parseE2EFlags(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  printUsageError(processIo, E2E.usage, error);
  process.exit(EXIT.usage);
}

const crashed = (error: Error) => {
  process.stderr.write(`e2e: ${error.stack ?? error.message}\n`);
  process.exit(1);
};

/** `npm run e2e -- --swarm`: the swarm e2e takes over (tests/e2e/swarm/run.ts) with the same arguments, --help too. */
// Loaded only now (require: commands run under tsx's CommonJS hooks, release/cli.ts mainLazily).
if (flags.swarm) Promise.resolve().then(() => (require("./swarm/run") as typeof import("./swarm/run")).runSwarmMain()).catch(crashed);
else if (flags.help) {
  process.stdout.write(`${E2E.usage}\n`);
  process.exit(EXIT.ok);
} else Promise.resolve().then(() => (require("./singleHost") as typeof import("./singleHost")).runSingleHost(flags)).catch(crashed);
