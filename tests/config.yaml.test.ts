// YAML that readers disagree on (issue 20): Pulumi's CLI reads a stack file with Go's YAML rules,
// the synth with YAML 1.2's. config/yamlReaders.ts models the CLI's reading; here it is held to the
// CLI's recorded readings (tests/fixtures/config/yaml-readers.json, pulumi v3.276.0), which are
// re-measured when the CLI is installed, and the refusal is checked by its key path and readings.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../config/load";
import { parseStackFile } from "../config/stackFile";
import { goPlainScalar, readerDisagreements } from "../config/yamlReaders";
import recorded from "./fixtures/config/yaml-readers.json";
import { measureWithCli, REFUSING, SCALARS } from "./fixtures/config/yamlReaders";
import { describeWithTools, toolPath } from "./tools";

const ROOT = path.resolve(__dirname, "..");
const STAGING = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
const SECRETS = "  enrichment:anthropicApiKey: { secure: AAAA }\n  enrichment:slackWebhookUrl: { secure: AAAA }\n";

/** What the program receives for a top-level value: the CLI's text, parsed as JSON when it parses (config/load.ts). */
const asProgramReads = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

describe("the model of the CLI's reading matches the recorded CLI", () => {
  it.each(SCALARS.map((scalar) => [scalar]))("%s", (scalar) => {
    const go = goPlainScalar(scalar);
    expect("refused" in go).toBe(false);
    const value = (go as { value: unknown; timestamp?: boolean }).value;
    const cli = (recorded.nested as Record<string, unknown>)[scalar];
    if ((go as { timestamp?: boolean }).timestamp && typeof value === "string" && value.startsWith("a timestamp")) {
      // A date-time prints in Go's time.Time form; only that it is not the text is modelled.
      expect(typeof cli).toBe("string");
      expect(cli).not.toBe(scalar);
    } else {
      expect(value).toEqual(cli);
    }
  });

  it("top-level values reach the program as the CLI's text", () => {
    for (const scalar of SCALARS) {
      const go = goPlainScalar(scalar) as { value: unknown };
      const text = (recorded.topLevel as Record<string, string>)[scalar];
      if (go.value === null) expect(text, scalar).toBe("");
      else if (typeof go.value === "number") expect(asProgramReads(text), scalar).toBe(go.value);
      else if (typeof go.value === "boolean") expect(text, scalar).toBe(String(go.value));
    }
  });

  it.each(REFUSING.map((scalar) => [scalar]))("%s: the CLI refuses the whole file", (scalar) => {
    expect(goPlainScalar(scalar)).toHaveProperty("refused");
    expect((recorded.refused as Record<string, string>)[scalar]).toMatch(/^error: invalid YAML file: .*json: unsupported value/);
  });

  it("the readings the issue names: 0443 is octal to the CLI; yes/no/on/off and 1:20 are strings to both", () => {
    expect(recorded.nested["0443"]).toBe(291);
    expect(YAML.parse("v: 0443").v).toBe(443);
    for (const scalar of ["yes", "no", "on", "off", "1:20", "1:20:30"] as const) {
      expect(recorded.nested[scalar]).toBe(scalar);
      expect(YAML.parse(`v: ${scalar}`).v).toBe(scalar);
    }
  });
});

describeWithTools(["pulumi"], "the real CLI reads as recorded", () => {
  it("pulumi config --json gives the recorded readings", () => {
    const measured = measureWithCli(toolPath("pulumi"));
    expect(measured.nested).toEqual(recorded.nested);
    expect(measured.topLevel).toEqual(recorded.topLevel);
    expect(measured.refused).toEqual(recorded.refused);
  }, 120_000);
});

describe("a value whose meaning depends on the reader is refused, with the reading each gives", () => {
  it("a zero-padded port", () => {
    // 0443: octal (291) to the CLI, 443 to the synth. (08443 is 8443 to both: 8 is no octal digit.)
    const edited = STAGING.replace(/edge: \{ port: \d+/, "edge: { port: 0443");
    expect(edited).not.toBe(STAGING);
    const file = parseStackFile(`${edited}${SECRETS}`, "Pulumi.staging.yaml");
    let problems: string[] = [];
    try {
      parseStackConfig("staging", file.raw, () => pulumi.secret("x"));
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems).toEqual([
      "enrichment:exposure.publish.edge.port: expected a value both YAML readers agree on: 0443 reads as 291 to Pulumi's CLI (Go YAML) and as 443 to the synth (YAML 1.2); write the number without leading zeros, or quote it if a string is meant",
    ]);
  });

  it.each([
    ["  enrichment:workers:\n    replicas: 0_2\n", "enrichment:workers.replicas: expected a value both YAML readers agree on: 0_2 reads as 2 to Pulumi's CLI (Go YAML) and as \"0_2\" to the synth (YAML 1.2)"],
    ["  enrichment:release:\n    version: 2026-11-03\n", "enrichment:release.version: expected a value both YAML readers agree on: 2026-11-03 reads as \"2026-11-03 00:00:00 +0000 UTC\" to Pulumi's CLI (Go YAML) and as \"2026-11-03\" to the synth (YAML 1.2); quote it"],
    ["  enrichment:monitoring:\n    thresholds:\n      reviewQueueMax: .inf\n", "enrichment:monitoring.thresholds.reviewQueueMax: expected a value both YAML readers agree on: .inf reads as Pulumi's CLI refuses the whole stack file"],
    ["  enrichment:rateLimit:\n    burst: 0b101\n", "enrichment:rateLimit.burst: expected a value both YAML readers agree on: 0b101 reads as 5 to Pulumi's CLI (Go YAML) and as \"0b101\" to the synth (YAML 1.2)"],
  ])("%j", (extra, expected) => {
    // The extra key replaces the file's own (a later duplicate key is a YAML error): strip it first.
    const key = extra.trim().split(":").slice(0, 2).join(":");
    const base = removeKey(STAGING, key);
    const file = parseStackFile(`${base}${SECRETS}${extra}`, "Pulumi.staging.yaml");
    expect((file.raw.problems ?? []).filter((p) => p.startsWith(expected)), (file.raw.problems ?? []).join("\n")).toHaveLength(1);
  });

  it("a merge key: merged by the CLI, a key named << to the synth", () => {
    const file = parseStackFile(`${removeKey(STAGING, "enrichment:cors")}${SECRETS}  enrichment:cors:\n    base: &origins { allowedOrigins: [] }\n    <<: *origins\n`);
    const problems = (file.raw.problems ?? []).filter((p) => p.includes("<<"));
    expect(problems[0]).toMatch(/^enrichment:cors: expected a value both YAML readers agree on: << reads as a merge key/);
  });

  it("the shipped stack files have none", () => {
    for (const file of ["Pulumi.staging.yaml", "Pulumi.production.yaml", "tests/e2e/Pulumi.e2e.yaml"]) {
      expect(readerDisagreements(fs.readFileSync(path.join(ROOT, file), "utf8")), file).toEqual([]);
    }
  });

  it("quoted values mean the same to both and pass", () => {
    expect(readerDisagreements('config:\n  enrichment:release:\n    version: "2026-11-03"\n    agentCatalogVersion: "0443"\n')).toEqual([]);
  });
});

/** The stack file without the top-level entry `key` (and its indented block). */
function removeKey(text: string, key: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`  ${key}:`));
  if (start < 0) return text;
  let end = start + 1;
  while (end < lines.length && (lines[end].startsWith("    ") || lines[end].trim() === "" || lines[end].startsWith("  #"))) end++;
  return [...lines.slice(0, start), ...lines.slice(end)].join("\n");
}
