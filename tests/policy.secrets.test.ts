// The same shipped stack seen both ways: as the offline runner sees it (secrets "[secret]") and
// as the engine's policy server would (every secret unwrapped to its value). The program is
// evaluated in this process (one evaluation per test file: the Pulumi runtime is process-global)
// so the raw register requests, secrets revealed, can be kept beside the records.
import { beforeAll, describe, expect, it } from "vitest";
import { evaluate, type ResourceRecord } from "../synth/evaluate";
import { runPolicies, type Violation } from "../policy/offline";

let scrubbed: ResourceRecord[];
let revealed: ResourceRecord[];

beforeAll(async () => {
  const raw = new Map<string, Record<string, unknown>>();
  const evaluation = await evaluate({ stack: "production", onRegister: (record, inputs) => raw.set(record.urn, inputs.inputs) });
  scrubbed = evaluation.records;
  revealed = scrubbed.map((record) => ({ ...record, inputs: raw.get(record.urn)! }));
}, 180_000);

const key = (v: Violation) => `${v.enforcement} ${v.policy} ${v.urn ?? ""} ${v.message}`;

describe("production, offline view and engine view", () => {
  it("has secrets to hide: the views differ exactly at the secret paths", () => {
    const withSecrets = scrubbed.filter((r) => r.secretPaths.length > 0);
    expect(withSecrets.length).toBeGreaterThan(5);
    expect(JSON.stringify(revealed)).not.toContain('"[secret]"');
    expect(withSecrets.some((r) => r.type === "docker:index/container:Container")).toBe(true);
  });

  it("gives the same violations in both views", () => {
    expect(runPolicies(revealed, "production").violations.map(key).sort()).toEqual(runPolicies(scrubbed, "production").violations.map(key).sort());
  });
});
