// Issue 20: a config error is refused before anything is registered. The program is evaluated in
// this process (the Pulumi runtime is process-global, so the file runs in a fresh one: vitest's
// isolated project), so that every registration it makes is seen. The refusals by key path are
// tests/config.meaning.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { STACK_FILES } from "./fixtures/config/stackConfig";

describe("refused before anything is registered", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-meaning-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the synth of a stack file with a bad topic, DNS names, a gate that cannot fail and an ingestion plane keeping more than it reranks registers nothing", async () => {
    const { evaluate } = await import("../synth/evaluate");
    const text = fs
      .readFileSync(STACK_FILES.staging, "utf8")
      .replace(/config:\n/, "config:\n  enrichment:nsq:\n    topic: doc jobs\n")
      .replace(/failureLimit: \d+/, "failureLimit: 99")
      .replace(/rerankFinalK: \d+/, "rerankFinalK: 500");
    const file = path.join(dir, "Pulumi.staging.yaml");
    fs.writeFileSync(file, text);
    const registered: string[] = [];
    const refusal = await evaluate({ stack: "staging", configFile: file, onRegister: (record) => registered.push(record.urn) }).then(
      () => undefined,
      (error: unknown) => String(error instanceof Error ? error.message : error),
    );
    expect(refusal).toMatch(/Invalid stack configuration \(\d+ problems?\); nothing was deployed:\n(.|\n)*enrichment:nsq\.topic: expected an NSQ topic name/);
    expect(refusal).toMatch(/\n  enrichment:ingestion\.tuning\.rerankFinalK: expected at most tuning\.rerankInitialK \(150\): the reranker keeps the best of the initial candidates, got 500(\n|$)/);
    expect(registered).toEqual([]);
  });
});
