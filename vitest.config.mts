import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * Suites that need a Docker engine (tests/tools.json's `docker` entry lists them): `npm run
 * test:engine` runs them (vitest.engine.config.mts), `npm test` does not. .ci/run runs both.
 */
// Read from the repository root: vitest and npm run there.
const catalog = JSON.parse(readFileSync(`${process.cwd()}/tests/tools.json`, "utf8")) as { tools: { docker: { suites: string[] } } };
export const ENGINE_SUITES = catalog.tools.docker.suites.filter((suite) => suite.endsWith(".test.ts")).map((suite) => `tests/${suite}`);

/**
 * Suites that change process-global state in their own process: the Pulumi runtime (evaluate()
 * in-process, setMocks), the environment, the working directory. They get a fresh module state
 * each; the others share their worker's loaded modules, which saves loading the Pulumi SDK, zod
 * and the program once per file (the largest part of the run's CPU time).
 */
const ISOLATED = [
  "tests/components.test.ts",
  "tests/config.meaning.test.ts",
  "tests/mongoIndexes.serialize.test.ts",
  "tests/policy.secrets.test.ts",
  "tests/tools.test.ts",
];

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
