// Every rule of the stack config schema, each checked by the message it gives.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig, RawConfig } from "../config/load";
import { configProblems, rawConfig, type Values } from "./fixtures/config/stackConfig";


/** The committed stack file's raw values, with every required secret set, then `edit` applied. */
const raw = (stack: "staging" | "production", edit: (values: Values) => void = () => {}, secrets?: string[]) => rawConfig(stack, edit, secrets);
const problemsOf = (config: RawConfig, stack = "test") => configProblems(config, stack);

describe("committed stack files", () => {
  it.each(["staging", "production"] as const)("%s is valid", (stack) => {
    const config = parseStackConfig(stack, raw(stack), (key) => pulumi.secret(`value-of-${key}`));
    expect(config.settings.environment).toBe(stack);
    expect(config.prefix).toBe(stack);
    expect(config.protectState).toBe(stack === "production");
  });

  it("production differs from staging where the spec says it does", () => {
    const staging = parseStackConfig("staging", raw("staging"), () => pulumi.secret("x")).settings;
    const production = parseStackConfig("production", raw("production"), () => pulumi.secret("x")).settings;
    expect(staging.workers.replicas).toBe(1);
    expect(production.workers.replicas).toBeGreaterThanOrEqual(2);
    expect(production.monitoring.retentionDays).toBe(30);
    expect(staging.monitoring.retentionDays).toBeLessThan(30);
    expect(production.resources.mongodb.memoryMb).toBeGreaterThan(staging.resources.mongodb.memoryMb);
    expect(production.monitoring.alerting.pagerduty.enabled).toBe(true);
    expect(staging.monitoring.alerting.pagerduty.enabled).toBe(false);
    expect(production.tls.dnsNames).not.toEqual(staging.tls.dnsNames);
  });

  it("defaults come from the schema when a key is absent", () => {
    const config = parseStackConfig("staging", raw("staging", (v) => delete v.targets), () => pulumi.secret("x"));
    expect(config.settings.targets).toMatchObject({ completenessMin: 0.95, autoApprovalMin: 0.9, costPerDocumentMaxUsd: 0.5, throughputMinPerHour: 50 });
    expect(config.settings.tls.rsaBits).toBe(4096);
    expect(config.settings.tls.validityDays).toBe(730);
  });
});

describe("config rules and their messages", () => {
  const cases: [string, "staging" | "production", (v: Record<string, any>) => void, string][] = [
    ["replicas below 1", "staging", (v) => (v.workers.replicas = 0), "enrichment:workers.replicas: expected an integer from 1 to 200, got 0"],
    ["replicas beyond one host", "staging", (v) => (v.workers.replicas = 201), "enrichment:workers.replicas: expected an integer from 1 to 200, got 201"],
    ["a promotion of a million samples", "staging", (v) => (v.promotion.samples.count = 1000000), "enrichment:promotion.samples.count: expected an integer from 1 to 100, got 1000000"],
    // Issue 10: forms the docker provider reads back, GPU optional, the application images' user.
    ["a CPU count that reads back differently", "staging", (v) => (v.resources.worker = { cpus: 0.05 }), 'enrichment:resources.worker.cpus: expected a CPU count the docker provider reads back unchanged (such as 0.1, 0.25, 0.5, 1, 1.5); 0.05 reads back as "0.1"'],
    ["an agent CPU count that reads back differently", "staging", (v) => (v.agents = { "entity-agent": { cpus: 0.06 } }), "enrichment:agents.entity-agent.cpus: expected a CPU count the docker provider reads back unchanged"],
    ["GPU metrics without a GPU", "staging", (v) => { v.ollama.gpus = "none"; v.monitoring.gpuMetrics = true; }, "enrichment:monitoring.gpuMetrics: expected false or unset when ollama.gpus is none: the DCGM exporter needs a GPU and the NVIDIA runtime, got true"],
    ["a gpus form that does not read back", "staging", (v) => (v.ollama.gpus = "2"), 'enrichment:ollama.gpus: expected "all", "device=<id>[,<id>...]" or "none", got "2"'],
    ["applications running as root", "staging", (v) => (v.appRuntimeUser = { uid: 0, gid: 0 }), "enrichment:appRuntimeUser.uid: expected an integer from 1 to 2147483647, got 0"],
    ["replicas not an integer", "staging", (v) => (v.workers.replicas = 1.5), "enrichment:workers.replicas: expected an integer from 1 to 200, got 1.5"],
    ["one worker in production", "production", (v) => (v.workers.replicas = 1), "enrichment:workers.replicas: expected an integer >= 2 in production, got 1"],
    ["unknown environment", "staging", (v) => (v.environment = "prod"), 'enrichment:environment: expected one of "staging", "production", got "prod"'],
    ["unknown top-level key", "staging", (v) => (v.replicas = 3), "enrichment:replicas: unknown setting"],
    ["unknown nested key", "staging", (v) => (v.workers.count = 3), "enrichment:workers.count: unknown setting"],
    ["image on latest", "staging", (v) => (v.images.mongodb = "mongo:latest"), "enrichment:images.mongodb: expected an image pinned by a tag other than 'latest' or by '@sha256:<digest>', got \"mongo:latest\""],
    ["image without tag", "staging", (v) => (v.images.nsq = "nsqio/nsq"), "enrichment:images.nsq: expected an image pinned by a tag other than 'latest'"],
    ["release image by tag only", "staging", (v) => (v.release.images["cost-api"] = "registry.example.org/enrichment/cost-api:1.4.1"), "enrichment:release.images.cost-api: expected an image pinned by digest"],
    ["release missing a service", "staging", (v) => delete v.release.images["review-api"], "enrichment:release.images.review-api: expected an image pinned by digest for this service"],
    ["release with an unknown service", "staging", (v) => (v.release.images["ocr-backend"] = v.release.images["cost-api"]), "enrichment:release.images.ocr-backend: expected one of mcp-server"],
    ["agent model not pulled", "staging", (v) => delete v.release.models.mixtral, "enrichment:agents.structure-agent.fallbackModel: expected a model the stack pulls (release.models: llama3.2), got \"mixtral\""],
    ["agent override names an unpulled model", "staging", (v) => (v.agents = { "entity-agent": { model: "qwen2" } }), "enrichment:agents.entity-agent.model: expected a model the stack pulls"],
    ["override of an unknown agent", "staging", (v) => (v.agents = { "summary-agent": { model: "llama3.2" } }), "enrichment:agents.summary-agent: expected an agent from facts/agents.ts"],
    ["MongoDB published beyond loopback", "production", (v) => (v.exposure.publish.mongodb = { port: 27017, address: "0.0.0.0" }), "enrichment:exposure.publish.mongodb.address: expected a loopback address (127.x): this service must never be reachable from outside the host, got \"0.0.0.0\""],
    ["Ollama published through the default bind address", "production", (v) => ((v.exposure.bindAddress = "0.0.0.0"), (v.exposure.publish.ollama = { port: 11434 })), "enrichment:exposure.publish.ollama.address: expected a loopback address"],
    ["publishing an unknown service", "staging", (v) => (v.exposure.publish["review-api"] = { port: 5001 }), "enrichment:exposure.publish.review-api: expected one of mongodb"],
    ["bad bind address", "staging", (v) => (v.exposure.bindAddress = "localhost"), "enrichment:exposure.bindAddress: expected an IPv4 address such as 127.0.0.1, got \"localhost\""],
    ["port out of range", "staging", (v) => (v.exposure.publish.edge = { port: 70000 }), "enrichment:exposure.publish.edge.port: expected an integer from 1 to 65535, got 70000"],
    ["managed MongoDB without its loopback port", "staging", (v) => delete v.exposure.publish.mongodb, "enrichment:exposure.publish.mongodb: expected a loopback port"],
    ["memory below 16 MB", "staging", (v) => (v.resources.worker = { memoryMb: 8, cpus: 1 }), "enrichment:resources.worker.memoryMb: expected an integer from 16 to 1048576, got 8"],
    ["CPUs of zero", "staging", (v) => (v.resources.worker = { memoryMb: 512, cpus: 0 }), "enrichment:resources.worker.cpus: expected a number from 0.05 to 256, got 0"],
    ["TLS renewal window as long as validity", "staging", (v) => (v.tls.earlyRenewalDays = 730), "enrichment:tls.earlyRenewalDays: expected fewer days than tls.validityDays (730), got 730"],
    ["CA shorter-lived than its leaves", "staging", (v) => ((v.tls.caValidityDays = 365), (v.tls.caEarlyRenewalDays = 30)), "enrichment:tls.caValidityDays: expected at least tls.validityDays (730), got 365"],
    ["no TLS names", "staging", (v) => (v.tls.dnsNames = []), "enrichment:tls.dnsNames: expected at least one DNS name"],
    ["bad TLS name", "staging", (v) => (v.tls.dnsNames = ["review api"]), "enrichment:tls.dnsNames.0: expected a DNS name such as review.example.org, got \"review api\""],
    ["feature flag name", "staging", (v) => (v.features = { AUTO_APPROVAL: true }), "enrichment:features.AUTO_APPROVAL: expected a flag name such as ENABLE_AUTO_APPROVAL"],
    ["feature flag value", "staging", (v) => (v.features = { ENABLE_AUTO_APPROVAL: "yes" }), "enrichment:features.ENABLE_AUTO_APPROVAL: expected true or false, got \"yes\""],
    ["scrape interval", "staging", (v) => (v.monitoring.scrapeInterval = "15 seconds"), "enrichment:monitoring.scrapeInterval: expected a Prometheus duration such as 15s, 5m or 4h, above zero and at most 10y, got \"15 seconds\""],
    ["e-mail without addresses", "staging", (v) => (v.monitoring.alerting.email = { enabled: true }), "enrichment:monitoring.alerting.email: expected to, from and smarthost when e-mail is enabled"],
    ["target out of range", "staging", (v) => (v.targets = { completenessMin: 95 }), "enrichment:targets.completenessMin: expected a number from 0 to 1, got 95"],
    ["canary larger than the pool", "staging", (v) => (v.canary = { release: { version: "1.5.0", images: {} }, workers: 2 }), "enrichment:canary.workers: expected at most workers.replicas (1), got 2"],
    ["promotion URL", "staging", (v) => (v.promotion.prometheusUrl = "prometheus:9090"), "enrichment:promotion.prometheusUrl: expected the URL of this stack's Prometheus"],
    ["name prefix", "staging", (v) => (v.namePrefix = "Staging_1"), "enrichment:namePrefix: expected lower-case letters, digits and dashes, starting with a letter, got \"Staging_1\""],
  ];

  it.each(cases)("%s", (_title, stack, edit, expected) => {
    const problems = problemsOf(raw(stack, edit));
    expect(problems.some((p) => p.startsWith(expected)), `expected a problem starting with:\n  ${expected}\ngot:\n  ${problems.join("\n  ")}`).toBe(true);
  });

  it("lists every problem at once, each by its key path", () => {
    const problems = problemsOf(
      raw("production", (v) => {
        v.workers.replicas = 0;
        v.images.grafana = "grafana/grafana:latest";
        v.exposure.publish.nsqd = { port: 4150, address: "0.0.0.0" };
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^enrichment:workers\.replicas: expected an integer from 1 to 200, got 0$/),
        expect.stringMatching(/^enrichment:images\.grafana: expected an image pinned/),
      ]),
    );
    // The cross-field rules run only once the shape is valid: fix-one-then-see-the-next is avoided
    // for shape errors, which are all reported together.
    expect(problems.length).toBeGreaterThanOrEqual(2);
  });

  it("the error says nothing was deployed and lists the problems", () => {
    let message = "";
    try {
      parseStackConfig("staging", raw("staging", (v) => (v.workers.replicas = 0)), () => pulumi.secret("x"));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid stack configuration \(1 problem\); nothing was deployed:\n  enrichment:workers\.replicas: expected an integer from 1 to 200, got 0$/);
  });
});

describe("secrets", () => {
  it("a secret set as a plain value is rejected with the command to fix it", () => {
    const config = raw("staging");
    config.secretKeys.delete("anthropicApiKey");
    expect(problemsOf(config)).toContain(
      "enrichment:anthropicApiKey: expected a secret, got a plain value; set it with `pulumi config set --secret enrichment:anthropicApiKey`",
    );
  });

  it("a required secret that is missing is named with its purpose", () => {
    const problems = problemsOf(raw("production", () => {}, ["anthropicApiKey", "slackWebhookUrl", "smtpPassword", "deadMansSwitchUrl", "ingestionOpenaiApiKey", "ingestionLlmApiKey"]));
    expect(problems).toEqual([
      "enrichment:pagerdutyRoutingKey: expected a secret (PagerDuty Events v2 routing key for critical alerts); set it with `pulumi config set --secret enrichment:pagerdutyRoutingKey`",
    ]);
  });

  it("a dead-man's switch needs its URL as a secret (staging may enable it; production does)", () => {
    const problems = problemsOf(raw("staging", (v) => (v.monitoring.alerting.deadMansSwitch = { enabled: true }), ["anthropicApiKey", "slackWebhookUrl", "ingestionOpenaiApiKey", "ingestionLlmApiKey"]));
    expect(problems).toEqual([
      "enrichment:deadMansSwitchUrl: expected a secret (URL of the external dead-man's switch that Alertmanager's Watchdog webhook calls (monitoring.alerting.deadMansSwitch)); set it with `pulumi config set --secret enrichment:deadMansSwitchUrl`",
    ]);
    expect(parseStackConfig("staging", raw("staging", () => {}, ["anthropicApiKey", "slackWebhookUrl", "ingestionOpenaiApiKey", "ingestionLlmApiKey"]), () => pulumi.secret("x")).settings.monitoring.alerting.deadMansSwitch.enabled).toBe(false);
    expect(parseStackConfig("production", raw("production"), () => pulumi.secret("x")).settings.monitoring.alerting.deadMansSwitch.enabled).toBe(true);
  });

  it("an external MongoDB needs its URI as a secret", () => {
    const problems = problemsOf(raw("staging", (v) => (v.mongodb = { mode: "external" })));
    expect(problems).toContain(
      "enrichment:mongodbExternalUri: expected a secret (connection URI of an external MongoDB (mongodb.mode: external)); set it with `pulumi config set --secret enrichment:mongodbExternalUri`",
    );
  });

  it("secrets reach the program only as Pulumi secrets", async () => {
    const config = parseStackConfig("staging", raw("staging"), (key) => pulumi.secret(`value-of-${key}`));
    const secret = config.secrets.anthropicApiKey!;
    expect(await (secret as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
    // Secrets never land in the plain settings.
    expect(JSON.stringify(config.settings)).not.toContain("value-of-");
    expect(Object.keys(config.settings)).not.toContain("anthropicApiKey");
  });
});
