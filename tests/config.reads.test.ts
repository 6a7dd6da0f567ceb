// Meaning, not shape (issue 11): a setting the schema accepts must be read by something, or it is
// accepted and silently ignored. The program is evaluated (staging, production, and the branches
// only some stacks take) with every settings read recorded; each schema leaf must be read by the
// program, or be one of the few settings only a named tool reads (and that tool must read it).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { leafIsRead, READS_ENV, settingLeaves } from "../config/reads";
import { SettingsSchema } from "../config/schema";
import { synthesize } from "../synth/index";

const ROOT = path.resolve(__dirname, "..");
const digest = (n: number) => String(n).repeat(64).slice(0, 64);

/** Settings read outside the program, by the tool named (which must mention the key). */
const READ_BY_TOOLS: Record<string, string> = {
  namePrefix: "config/load.ts",
  protectState: "config/load.ts",
  releaseHistory: "release/rollback.ts",
  "targets.softLaunchDocuments": "release/gates.ts",
  "promotion.prometheusUrl": "release/promote.ts",
  "promotion.soakMinutes": "release/promote.ts",
  "promotion.samples.count": "release/promote.ts",
  "promotion.samples.intervalSeconds": "release/promote.ts",
  "promotion.samples.failureLimit": "release/promote.ts",
  "rollout.steps": "release/rollout.ts",
  "rollout.windowSeconds": "release/rollout.ts",
  "rollout.margin": "release/rollout.ts",
  "rollout.minDocuments": "release/rollout.ts",
  "rollout.maxExtensions": "release/rollout.ts",
};

/** The branches the shipped stacks do not take, each one evaluation. */
const VARIANTS: { stack: string; configFile?: string; overrides?: Record<string, unknown> }[] = [
  { stack: "staging" },
  { stack: "production" },
  // The swarm target (config/deployTarget.ts): its settings are read only there.
  { stack: "e2e-swarm", configFile: path.join(ROOT, "tests/e2e/swarm/Pulumi.e2e-swarm.yaml") },
  {
    stack: "staging",
    overrides: {
      canary: {
        release: { version: "9.9.9", images: { "enrichment-worker": `registry.example.org/enrichment/enrichment-worker:9.9.9@sha256:${digest(1)}`, "entity-agent": `registry.example.org/enrichment/entity-agent:9.9.9@sha256:${digest(2)}` } },
        workers: 1,
        agents: ["entity-agent"],
      },
    },
  },
  {
    stack: "production",
    overrides: { backup: { s3: { endpoint: "https://s3.example.org", bucket: "enrichment-backups", region: "eu-central-1", prefix: "production", intervalMinutes: 30 } } },
  },
];

let reads: Set<string>;

beforeAll(async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "reads-")), "reads.jsonl");
  process.env[READS_ENV] = file;
  try {
    for (const variant of VARIANTS) await synthesize(variant);
  } finally {
    delete process.env[READS_ENV];
  }
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  expect(lines).toHaveLength(VARIANTS.length);
  reads = new Set(lines.flatMap((line) => JSON.parse(line) as string[]));
}, 300_000);

describe("every setting is read", () => {
  it("by the program, or by the tool it belongs to", () => {
    const unread = settingLeaves(SettingsSchema).filter((leaf) => !leafIsRead(leaf, reads) && !(leaf in READ_BY_TOOLS));
    expect(unread, "settings accepted but read by nothing: wire them or remove them from the schema").toEqual([]);
  });

  it("the tools named really read theirs", () => {
    for (const [leaf, file] of Object.entries(READ_BY_TOOLS)) {
      const source = fs.readFileSync(path.join(ROOT, file), "utf8");
      const last = leaf.split(".").pop()!;
      expect(source, `${file} should read ${leaf}`).toMatch(new RegExp(`\\b${last}\\b`));
    }
  });

  it("the list of tool-read settings holds no setting the program reads anyway", () => {
    expect(Object.keys(READ_BY_TOOLS).filter((leaf) => leafIsRead(leaf, reads))).toEqual([]);
  });
});
