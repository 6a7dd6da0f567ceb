import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Suites that need a Docker engine (tests/tools.json's `docker` entry lists them): `npm run
 * test:engine` runs them (vitest.engine.config.mts), `npm test` does not. .ci/run runs both.
 */
// Read from the repository root: vitest and npm run there.
const catalog = JSON.parse(readFileSync(`${process.cwd()}/tests/tools.json`, "utf8")) as { tools: { docker: { suites: string[] } } };
/**
 * The suites that start a real server of their own: PostgreSQL 15, or FerretDB with mongodump and
 * mongorestore, each running the backup scripts against it (a third of a minute each on 2 cores);
 * Pulumi's Node.js policy host, which type-checks the pack with ts-node as it starts (about
 * 9 CPU-s). They are engine suites too (issue 20 lets the slow real-engine suites move).
 */
const REAL_SERVER_SUITES = ["tests/backup.postgres.test.ts", "tests/backup.real.test.ts", "tests/policy.engine.test.ts"];
export const ENGINE_SUITES = [...catalog.tools.docker.suites.filter((suite) => suite.endsWith(".test.ts")).map((suite) => `tests/${suite}`), ...REAL_SERVER_SUITES];

/**
 * Suites that change process-global state in their own process: the Pulumi runtime (evaluate()
 * in-process, setMocks), the environment, the working directory. They get a fresh module state
 * each; the others share their worker's loaded modules, which saves loading the Pulumi SDK, zod
 * and the program once per file (the largest part of the run's CPU time).
 */
const ISOLATED = [
  // Longest first (they run last, see LongestFirst): 1 to 8 s each.
  "tests/policy.secrets.test.ts",
  "tests/config.registersNothing.test.ts",
  "tests/components.test.ts",
  "tests/mongoIndexes.serialize.test.ts",
  "tests/tools.test.ts",
];

/**
 * The suites that take 20 s or more (measured on 2 cores, 2026-12-05), longest first. A run ends
 * when its last file does: started late (vitest orders files by size when it has no timings, as on
 * a fresh clone), one of these would run on alone at the end while a core idles.
 */
const LONGEST = [
  "tests/program.compile.test.ts",
  "tests/release.rollout.process.test.ts",
  "tests/policy.cli.test.ts",
  "tests/backup.scripts.dash.test.ts",
  "tests/backup.scripts.busybox.test.ts",
  "tests/monitoring.rules.test.ts",
  "tests/cli.commands.test.ts",
  "tests/generated.property.test.ts",
  "tests/release.promote.test.ts",
  "tests/verify.checks.test.ts",
];

/**
 * LONGEST first, then the other shared suites, then the ISOLATED ones. A worker serves one project:
 * an isolated suite met midway retires the shared workers, and their replacements load the SDK,
 * the program and a synth server again (counted in one run: 10 worker processes and 8 synth
 * servers; with the isolated suites last, 8 and 4 to 6).
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const is = (suite: string) => file.moduleId.endsWith(`/${suite}`);
      const isolated = ISOLATED.findIndex(is);
      if (isolated !== -1) return LONGEST.length + 1 + isolated;
      const index = LONGEST.findIndex(is);
      return index === -1 ? LONGEST.length : index;
    };
    // Array.prototype.sort is stable: the others keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/** What every suite shares (the engine suites' config, vitest.engine.config.mts, uses it too). */
const common = {
  pool: "forks" as const,
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // One more worker than cores: most suites wait on child processes (synths, promtool, nginx,
  // the commands), so on 2 cores vitest's default of one worker leaves a core idle.
  maxWorkers: availableParallelism() + 1,
  // The suites share identical synth evaluations within one run (synth/index.ts).
  globalSetup: ["tests/globalSetup.ts"],
};

export default defineConfig({
  test: {
    ...common,
    sequence: { sequencer: LongestFirst },
    include: ["tests/**/*.test.ts"],
    exclude: [...configDefaults.exclude, ...ENGINE_SUITES],
    isolate: true,
    reporters: ["default"],
    projects: [
      { test: { ...common, name: "isolated", include: ISOLATED, isolate: true } },
      { test: { ...common, name: "shared", include: ["tests/**/*.test.ts"], exclude: [...configDefaults.exclude, ...ENGINE_SUITES, ...ISOLATED], isolate: false } },
    ],
  },
});
