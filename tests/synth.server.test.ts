// The long-lived synth server (synth/server.ts) must evaluate as a fresh process does: the suites
// read its evaluations as what the program registers. Its evaluations are compared with fresh
// children's (synth/child.ts), each after an evaluation that differs, so that state one left
// behind would show in the next.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateInServer, type EvaluateOptions, type Evaluation, SynthError, synthesizeWithStats } from "../synth/index";

const WORKERS_4 = { stack: "production", overrides: { workers: { replicas: 4 } } } satisfies EvaluateOptions;
const PRODUCTION = { stack: "production" } satisfies EvaluateOptions;
const REFUSED = { stack: "production", overrides: { workers: { replicas: -1 } } } satisfies EvaluateOptions;

const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "accepted",
    (error: Error) => (error instanceof SynthError ? error.message : `not a SynthError: ${error.message}`),
  );

let fresh: { workers4: Evaluation; production: Evaluation };

beforeAll(async () => {
  const evaluation = async (options: EvaluateOptions) => (await synthesizeWithStats(options)).evaluation;
  const [workers4, production] = await Promise.all([evaluation(WORKERS_4), evaluation(PRODUCTION)]);
  fresh = { workers4, production };
});

describe("the synth server", () => {
  it("evaluates like a fresh process, whatever it evaluated before", async () => {
    // More workers first: a module-level cache of the program's would carry them into the next one.
    expect(await evaluateInServer(WORKERS_4)).toEqual(fresh.workers4);
    const production = await evaluateInServer(PRODUCTION);
    expect(production).toEqual(fresh.production);
    expect(production.records.length).toBeLessThan(fresh.workers4.records.length);
  });

  it("refuses a config, then evaluates the next like a fresh process", async () => {
    const refusal = await refusalOf(evaluateInServer(REFUSED));
    expect(refusal).toMatch(/^Invalid stack configuration \(1 problem\); nothing was deployed:\n {2}enrichment:workers\.replicas: /);
    expect(await evaluateInServer(WORKERS_4)).toEqual(fresh.workers4);
  });
});

describe("an evaluation of a stack file", () => {
  it("holds nothing of the file's path (the run's shared evaluations key a stack file by its content)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-path-"));
    try {
      const copy = path.join(dir, "Pulumi.production.yaml");
      fs.copyFileSync(path.join(__dirname, "..", "Pulumi.production.yaml"), copy);
      const evaluation = await evaluateInServer({ ...PRODUCTION, configFile: copy });
      expect(evaluation).toEqual(fresh.production);
      expect(JSON.stringify(evaluation)).not.toContain(path.basename(dir));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
