// Strict keys (issue 11): nothing a stack file says is ignored. Unknown namespaces, keys without a
// namespace and unknown settings are refused with the closest known key; type errors read as words.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { closest, knownKeysAt } from "../config/keys";
import { ConfigError, parseStackConfig } from "../config/load";
import { SettingsSchema } from "../config/schema";
import { parseStackFile, StackFileError } from "../config/stackFile";

const ROOT = path.resolve(__dirname, "..");
const STAGING = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
const SECRETS =
  "  enrichment:anthropicApiKey: { secure: AAAA }\n  enrichment:slackWebhookUrl: { secure: AAAA }\n  enrichment:ingestionOpenaiApiKey: { secure: AAAA }\n  enrichment:ingestionLlmApiKey: { secure: AAAA }\n";

/** The staging file with `extra` appended under `config:`, parsed and validated as the program does. */
function problemsWith(extra: string): string[] {
  const file = parseStackFile(`${STAGING}${SECRETS}${extra}`);
  try {
    parseStackConfig("staging", file.raw, () => pulumi.secret("x"));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return [];
}

describe("values as the program reads them", () => {
  it("a top-level value the CLI wrote as a string (pulumi config set) reads as the program reads it", () => {
    const file = parseStackFile('config:\n  enrichment:protectState: "false"\n  enrichment:namePrefix: "1.4.0"\n  enrichment:workers: { replicas: "2" }\n');
    expect(file.raw.values.protectState).toBe(false);
    expect(file.raw.values.namePrefix).toBe("1.4.0");
    // Nested values reach the program as JSON: a quoted number inside a mapping stays a string there too.
    expect(file.raw.values.workers).toEqual({ replicas: "2" });
    expect(problemsWith('  enrichment:protectState: "false"\n')).toEqual([]);
  });
});

describe("keys outside the program's settings", () => {
  it("the committed staging file (with its secrets) has none", () => {
    expect(problemsWith("")).toEqual([]);
  });

  it("a misspelled namespace is refused, naming the key it probably meant", () => {
    expect(problemsWith("  enrichmnet:workers: { replicas: 3 }\n")).toEqual([
      "enrichmnet:workers: unknown namespace 'enrichmnet'; did you mean 'enrichment:workers'?",
    ]);
  });

  it("a key without a namespace is refused", () => {
    expect(problemsWith("  workers: { replicas: 3 }\n")).toEqual([
      "workers: a key without a namespace is not read by the program; did you mean 'enrichment:workers'?",
    ]);
  });

  it("settings nested under a mapping named after the project are refused with how to write them", () => {
    const problems = problemsWith("  enrichment:\n    environment: staging\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^enrichment: a mapping named 'enrichment' is not read: each setting is its own namespaced key, e\.g\. 'enrichment:environment: \.\.\.'/);
  });

  it("the providers' namespaces are theirs and pass", () => {
    expect(problemsWith("  docker:host: unix:///var/run/docker.sock\n  pulumi:tags: { team: platform }\n")).toEqual([]);
  });

  it("an unknown namespace that resembles nothing says which namespaces are read", () => {
    const [problem] = problemsWith("  grafana:adminUser: admin\n");
    expect(problem).toBe("grafana:adminUser: unknown namespace 'grafana'; the program reads 'enrichment:' keys (and its providers' 'docker:', 'random:', 'tls:', 'command:', 'pulumi:')");
  });

  it("an unknown nested setting names the closest known one at that path", () => {
    expect(STAGING).not.toMatch(/enrichment:nsq:/);
    expect(problemsWith("  enrichment:nsq: { topc: jobs }\n")).toEqual([
      "enrichment:nsq.topc: unknown setting; did you mean enrichment:nsq.topic? (config/schema.ts documents every setting)",
    ]);
  });

  it("an unknown top-level setting with nothing close lists nothing misleading", () => {
    const [problem] = problemsWith("  enrichment:zzzzzzzzzzzz: 1\n");
    expect(problem).toMatch(/^enrichment:zzzzzzzzzzzz: unknown setting; known here: environment, namePrefix, /);
  });
});

describe("messages a person can act on", () => {
  it("a number where a mapping belongs says so in words, with the settings that mapping takes", () => {
    const edited = STAGING.replace("enrichment:workers:\n    replicas: 1", "enrichment:workers: 3");
    expect(edited).not.toBe(STAGING);
    let problems: string[] = [];
    try {
      parseStackConfig("staging", parseStackFile(edited + SECRETS).raw, () => pulumi.secret("x"));
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual(["enrichment:workers: expected a mapping of settings (replicas), got 3"]);
  });

  it("a file without config: at the top says exactly that", () => {
    expect(() => parseStackFile("enrichment:environment: staging\n", "Pulumi.x.yaml")).toThrow(
      new StackFileError("Pulumi.x.yaml: no 'config:' key at the top (found 'enrichment:environment'): a stack file is a mapping with one key, 'config:', holding 'enrichment:<setting>: value' entries"),
    );
  });

  it("a config: with no settings of the program says that, not a list of missing keys", () => {
    const file = parseStackFile("config:\n  docker:host: unix:///var/run/docker.sock\n");
    expect(() => parseStackConfig("x", file.raw, () => pulumi.secret("x"))).toThrow(/no enrichment: settings at all/);
    try {
      parseStackConfig("x", file.raw, () => pulumi.secret("x"));
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(1);
    }
  });
});

describe("the synth refuses what the program refuses", () => {
  it("a misspelled namespace in a stack file stops the synth with that message", async () => {
    const { synthesize } = await import("../synth/index");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keys-"));
    const file = path.join(dir, "Pulumi.staging.yaml");
    fs.writeFileSync(file, `${STAGING}  enrichmnet:workers: { replicas: 3 }\n`);
    await expect(synthesize({ stack: "staging", configFile: file })).rejects.toThrow(/enrichmnet:workers: unknown namespace 'enrichmnet'; did you mean 'enrichment:workers'\?/);
  });
});

describe("the helpers", () => {
  it("knows the settings at a nested path, through defaults and records", () => {
    expect(knownKeysAt(SettingsSchema, ["workers"])).toEqual(["replicas"]);
    expect(knownKeysAt(SettingsSchema, ["exposure", "publish", "edge"])).toEqual(["port", "address"]);
    expect(knownKeysAt(SettingsSchema, ["workers", "replicas"])).toBeUndefined();
  });

  it("suggests only close names", () => {
    expect(closest("replica", ["replicas", "resources"])).toBe("replicas");
    expect(closest("Workers", ["workers"])).toBe("workers");
    expect(closest("qqqq", ["workers", "tls"])).toBeUndefined();
  });
});

describe("a stack file the CLI has rewritten", () => {
  // `pulumi config set` writes every top-level scalar back quoted (measured with CLI 3.276:
  // `protectState: true` becomes `"true"`); the engine hands the program strings it JSON-parses.
  it("reads a quoted top-level scalar as the program reads it under the engine", () => {
    const quoted = parseStackFile('config:\n  enrichment:protectState: "true"\n  enrichment:environment: staging\n  enrichment:appRuntimeUser: {uid: 10001, gid: 10001}\n').raw.values;
    expect(quoted).toMatchObject({ protectState: true, environment: "staging", appRuntimeUser: { uid: 10001, gid: 10001 } });
    expect(SettingsSchema.shape.protectState.parse(quoted.protectState)).toBe(true);
  });

  it("keeps nested values as written (the CLI writes `--path` values typed)", () => {
    expect(parseStackFile('config:\n  enrichment:workers:\n    replicas: 2\n  enrichment:release:\n    agentCatalogVersion: "2026.11"\n').raw.values).toMatchObject({ workers: { replicas: 2 }, release: { agentCatalogVersion: "2026.11" } });
  });
});
