// One host address and port, one service (issue 11): conflicts are refused in the schema with both
// key paths, and the two shipped stacks can run side by side on one Docker host.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { addressesOverlap, publishConflicts } from "../config/exposure";
import { ConfigError, parseStackConfig } from "../config/load";
import { readStackFile } from "../config/stackFile";

const ROOT = path.resolve(__dirname, "..");
const SECRETS = ["anthropicApiKey", "slackWebhookUrl", "pagerdutyRoutingKey", "smtpPassword", "deadMansSwitchUrl", "ingestionOpenaiApiKey", "ingestionLlmApiKey"];

function load(stack: "staging" | "production", edit: (values: Record<string, any>) => void = () => {}) {
  const file = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
  const values = structuredClone(file.raw.values) as Record<string, any>;
  for (const key of SECRETS) values[key] = `[secret:${key}]`;
  edit(values);
  return parseStackConfig(stack, { values, secretKeys: new Set(SECRETS) }, () => pulumi.secret("x"));
}

function problems(stack: "staging" | "production", edit: (values: Record<string, any>) => void): string[] {
  try {
    load(stack, edit);
  } catch (error) {
    return (error as ConfigError).problems;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("publish conflicts", () => {
  it("the same address and port for two services is refused, naming both keys", () => {
    const [problem, ...rest] = problems("staging", (v) => (v.exposure.publish.grafana = { port: 9090, address: "127.0.0.1" }));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^enrichment:exposure\.publish\.grafana: expected one service per host address and port: both bind 127\.0\.0\.1:9090, also enrichment:exposure\.publish\.prometheus; give one of them another port/);
  });

  it("a wildcard address overlaps a specific one on the same port", () => {
    const [problem] = problems("production", (v) => (v.exposure.publish["edge-http"] = { port: 443, address: "127.0.0.1" }));
    expect(problem).toContain("0.0.0.0:443 and 127.0.0.1:443 overlap (0.0.0.0 is every address)");
    expect(problem).toContain("enrichment:exposure.publish.edge");
  });

  it("the same port on two specific addresses is fine", () => {
    expect(publishConflicts({ edge: { port: 443, address: "127.0.0.1" }, grafana: { port: 443, address: "127.0.0.2" } }, "127.0.0.1")).toEqual([]);
    expect(addressesOverlap("127.0.0.1", "127.0.0.2")).toBe(false);
    expect(addressesOverlap("0.0.0.0", "10.0.0.1")).toBe(true);
  });

  it("an entry without an address uses exposure.bindAddress", () => {
    expect(publishConflicts({ edge: { port: 8443 }, grafana: { port: 8443, address: "127.0.0.1" } }, "127.0.0.1")).toHaveLength(1);
    expect(publishConflicts({ edge: { port: 8443 }, grafana: { port: 8443, address: "127.0.0.1" } }, "127.0.0.2")).toHaveLength(0);
  });
});

describe("staging and production on one Docker host", () => {
  const staging = load("staging");
  const production = load("production");

  it("publish no overlapping host address and port", () => {
    const entries = (config: typeof staging) =>
      Object.fromEntries(Object.entries(config.settings.exposure.publish).map(([service, entry]) => [`${config.stack}/${service}`, { port: entry.port, address: entry.address ?? config.settings.exposure.bindAddress }]));
    expect(publishConflicts({ ...entries(staging), ...entries(production) }, "127.0.0.1")).toEqual([]);
  });

  it("name their containers, volumes and networks apart", () => {
    expect(staging.prefix).not.toBe(production.prefix);
  });

  it("do not pin the same private subnet", () => {
    const subnets = [staging.settings.network.privateSubnet, production.settings.network.privateSubnet].filter(Boolean);
    expect(new Set(subnets).size).toBe(subnets.length);
  });
});
