// enrichment:deployTarget (config/deployTarget.ts): one host by default, a swarm when asked, and
// what a swarm cannot honour refused by key path before anything registers.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig, RawConfig } from "../config/load";
import { readStackFile } from "../config/stackFile";
import { swarmSettings } from "../config/deployTarget";
import { INGESTION_SECRET_KEYS } from "../config/ingestion";
import { INGESTION_RELEASE_SERVICES } from "../facts/ingestion";
import { stackConfig } from "./e2e/swarm/stack";
import { platformValues } from "../platform/values";
import { configProblems, parseConfig, rawConfig, type Values } from "./fixtures/config/stackConfig";

const ROOT = path.resolve(__dirname, "..");
const SWARM_FILE = path.join(ROOT, "tests/e2e/swarm/Pulumi.e2e-swarm.yaml");

const raw = (file: string, edit: (values: Values) => void = () => {}) => rawConfig(file, edit, ["anthropicApiKey", "slackWebhookUrl", ...Object.keys(INGESTION_SECRET_KEYS)]);
const parse = (config: RawConfig) => parseConfig(config, "e2e-swarm");
const problemsOf = (config: RawConfig) => configProblems(config, "e2e-swarm");

describe("the target", () => {
  it("is one host unless the stack says swarm; the shipped stacks are single hosts", () => {
    const staging = parseStackConfig("staging", raw(path.join(ROOT, "Pulumi.staging.yaml")), () => pulumi.secret("x"));
    expect(staging.settings.deployTarget).toEqual({ kind: "host" });
    expect(platformValues(staging).target).toEqual({ kind: "host" });
  });

  it("the swarm e2e stack is a swarm, every default filled in from the schema", () => {
    const config = parse(raw(SWARM_FILE));
    expect(config.settings.deployTarget.kind).toBe("swarm");
    const values = platformValues(config);
    expect(values.target).toEqual({
      kind: "swarm",
      endpointMode: "dnsrr",
      gpu: { resource: "NVIDIA-GPU", count: 1 },
      update: { parallelism: 1, delaySeconds: 1, monitorSeconds: 10, maxFailureRatio: 0 },
      convergeTimeoutSeconds: 240,
      jobTimeoutSeconds: 300,
      nodeDockerHosts: { gpu: "unix:///var/lib/swl/swl-node2/docker.sock" },
    });
    // Replicas exist only on a swarm.
    expect(values.app.apis.replicas).toEqual({ "review-api": 2, "cost-api": 2 });
    expect(swarmSettings({ kind: "swarm" })).toMatchObject({ endpointMode: "vip", gpu: { count: 1 }, replicas: { mcpServer: 1, reviewApi: 2 } });
  });

  it("a single host has no replicas to give", () => {
    const config = parseStackConfig("staging", raw(path.join(ROOT, "Pulumi.staging.yaml")), () => pulumi.secret("x"));
    const values = platformValues(config);
    expect(values.app.mcp.replicas).toBeUndefined();
    expect(values.app.apis.replicas).toBeUndefined();
  });
});

describe("what a swarm cannot honour, refused by key path", () => {
  const cases: [string, (v: Record<string, any>) => void, string][] = [
    ["swarm settings on a single host", (v) => (v.deployTarget.kind = "host"), "enrichment:deployTarget.swarm: expected no swarm settings on a single host"],
    ["--gpus on a swarm", (v) => (v.ollama.gpus = "all"), "enrichment:ollama.gpus: expected none on a swarm"],
    ["a publish address on a swarm", (v) => (v.exposure.publish.mongodb = { port: 37017, address: "127.0.0.1" }), "enrichment:exposure.publish.mongodb.address: expected no address on a swarm"],
    ["a bind address on a swarm", (v) => (v.exposure.bindAddress = "10.0.0.1"), "enrichment:exposure.bindAddress: expected the default on a swarm"],
    ["GPU metrics without a GPU", (v) => ((v.deployTarget.swarm.gpu = { count: 0 }), (v.monitoring.gpuMetrics = true)), "enrichment:monitoring.gpuMetrics: expected false or unset when deployTarget.swarm.gpu.count is 0"],
    ["an unknown node role", (v) => (v.deployTarget.swarm.nodeDockerHosts = { database: "ssh://db" }), "enrichment:deployTarget.swarm.nodeDockerHosts.database: expected a node role: data, gpu, edge"],
    ["an unknown endpoint mode", (v) => (v.deployTarget.swarm.endpointMode = "ingress"), "enrichment:deployTarget.swarm.endpointMode:"],
    ["an unknown target", (v) => (v.deployTarget.kind = "kubernetes"), "enrichment:deployTarget.kind:"],
    ["the ingestion plane on a swarm (it renders on one host only)", (v) => (v.ingestion = structuredClone(readStackFile(path.join(ROOT, "Pulumi.staging.yaml")).raw.values.ingestion)), "enrichment:ingestion: expected no ingestion block on a swarm"],
    ["a misspelt swarm key", (v) => (v.deployTarget.swarm.replica = {}), "enrichment:deployTarget.swarm.replica: unknown setting; did you mean enrichment:deployTarget.swarm.replicas?"],
  ];
  it.each(cases)("%s", (_title, edit, expected) => {
    const problems = problemsOf(raw(SWARM_FILE, edit));
    expect(problems.some((p) => p.startsWith(expected)), `expected a problem starting with:\n  ${expected}\ngot:\n  ${problems.join("\n  ")}`).toBe(true);
  });
});

describe("the swarm e2e's stack file from the built images", () => {
  it("takes the images of the services it declares, not the ingestion plane's (built for the single-host e2e)", () => {
    const source = readStackFile(SWARM_FILE).raw.values as { images: Record<string, string>; release: { images: Record<string, string> } };
    const digest = (n: number) => `@sha256:${String(n).padStart(64, "0")}`;
    const built: Record<string, string> = {};
    Object.keys(source.images).forEach((name, i) => (built[`images.${name}`] = `127.0.0.1:5000/${name.toLowerCase()}:e2e${digest(i + 1)}`));
    Object.keys(source.release.images).forEach((service, i) => (built[`release.images.${service}`] = `127.0.0.1:5000/${service}:e2e${digest(i + 100)}`));
    for (const service of INGESTION_RELEASE_SERVICES) built[`release.images.${service}`] = `127.0.0.1:5000/${service}:e2e${digest(999)}`;
    const config = stackConfig(built, "10.0.0.1:5000");
    const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^enrichment:/, ""), v]));
    const release = values.release as { images: Record<string, string> };
    expect(Object.keys(release.images).sort()).toEqual(Object.keys(source.release.images).sort());
    expect(release.images["enrichment-worker"]).toMatch(/^10\.0\.0\.1:5000\/enrichment-worker:e2e@sha256:/);
    const secretKeys = new Set(["anthropicApiKey", "slackWebhookUrl"]);
    for (const key of secretKeys) values[key] = `[secret:${key}]`;
    expect(parse({ values, secretKeys }).settings.deployTarget.kind).toBe("swarm");
  });
});
