// Issue 20: configs written the way platform engineers write them, refused by what they mean to
// their consumer, each by its key path before anything is registered; and a table of good configs
// (the shipped stacks, the e2e stack, and unusual but valid ones) that must stay accepted.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig, RawConfig } from "../config/load";
import { containersInPrefix, parseCidr, privateNetworkContainers } from "../config/network";
import { memoryFloor } from "../config/sizes";
import { parseStackFile } from "../config/stackFile";
import { EDGE_ROUTE_NAMES, EDGE_ROUTES } from "../facts/services";
import { MEMORY_FLOORS } from "../facts/images";
import { problemsOrNone, rawConfig, SHIPPED_SECRETS, STACK_FILES, type Values } from "./fixtures/config/stackConfig";

const SECRETS = [...SHIPPED_SECRETS, "backupS3AccessKeyId", "backupS3SecretAccessKey"];
type Stack = "staging" | "production" | "e2e";
const FILES: Record<Stack, string> = STACK_FILES;

const raw = (stack: Stack, edit: (values: Values) => void = () => {}) => rawConfig(stack, edit, SECRETS);
/** Every problem, or none when the config is accepted: the table below holds both. */
const problemsOf = (config: RawConfig) => problemsOrNone(config);

const set = (object: Record<string, any>, keys: string[], value: unknown) => {
  let node = object;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys[keys.length - 1]] = value;
};

describe("what still got through (issue 20, section 1): each class refused by its key path, once", () => {
  const cases: [string, Stack, (v: Record<string, any>) => void, string][] = [
    // A size the service cannot start in: floors from facts/images.ts with their source.
    ["MongoDB in the tens of MB", "staging", (v) => (v.resources.mongodb = { memoryMb: 48, cpus: 1 }), "enrichment:resources.mongodb.memoryMb: expected at least 512 MB: MongoDB server cannot start in less (facts/images.ts MEMORY_FLOORS: MongoDB manual"],
    ["Prometheus below its measured floor", "staging", (v) => (v.resources.prometheus = { memoryMb: 32, cpus: 1 }), "enrichment:resources.prometheus.memoryMb: expected at least 80 MB: Prometheus cannot start in less (facts/images.ts MEMORY_FLOORS: measured here: Prometheus 2.42.0"],
    ["Grafana below its documented minimum", "production", (v) => (v.resources.grafana = { memoryMb: 128, cpus: 0.5 }), "enrichment:resources.grafana.memoryMb: expected at least 256 MB"],
    ["exporters below telegraf's floor", "staging", (v) => (v.resources.exporter = { memoryMb: 16, cpus: 0.25 }), "enrichment:resources.exporter.memoryMb: expected at least 32 MB"],
    // Values that make a generated file its consumer refuses.
    ["a scrape interval shorter than the scrape timeout", "staging", (v) => (v.monitoring.scrapeInterval = "5s"), 'enrichment:monitoring.scrapeInterval: expected at least the scrape timeout (10s): Prometheus refuses a configuration whose scrape interval is shorter than its scrape timeout, got "5s"'],
    ["a zero repeat interval (Alertmanager refuses it)", "staging", (v) => set(v, ["monitoring", "alerting", "repeatInterval"], "0s"), 'enrichment:monitoring.alerting.repeatInterval: expected a Prometheus duration such as 15s, 5m or 4h, above zero and at most 10y, got "0s"'],
    ["a duration past Go's range", "staging", (v) => (v.monitoring.evaluationInterval = "999999y"), "enrichment:monitoring.evaluationInterval: expected a Prometheus duration"],
    ["a Grafana range in milliseconds", "staging", (v) => set(v, ["monitoring", "grafana", "defaultRange"], "500ms"), "enrichment:monitoring.grafana.defaultRange: expected a Prometheus duration"],
    // Thresholds whose warning and critical order is inverted.
    ["review queue critical below its warning", "staging", (v) => set(v, ["monitoring", "thresholds", "reviewQueueMax"], 3000), "enrichment:monitoring.thresholds.reviewQueueCritical: expected a critical threshold above the warning's monitoring.thresholds.reviewQueueMax (3000): the critical alert must not fire before the warning, got 2000"],
    ["certificate critical days above the warning", "staging", (v) => set(v, ["monitoring", "thresholds", "certificateExpiryCriticalDays"], 30), "enrichment:monitoring.thresholds.certificateExpiryCriticalDays: expected a critical threshold below the warning's monitoring.thresholds.certificateExpiryDays (21)"],
    ["disk critical equal to the warning", "staging", (v) => (set(v, ["monitoring", "thresholds", "diskFreeCritical"], 0.15)), "enrichment:monitoring.thresholds.diskFreeCritical: expected a critical threshold below the warning's monitoring.thresholds.diskFreeMin (0.15)"],
    ["API latency critical below the target", "staging", (v) => set(v, ["targets", "apiP95MaxSeconds"], 2), "enrichment:monitoring.thresholds.apiP95CriticalSeconds: expected a critical threshold above the warning's targets.apiP95MaxSeconds (2)"],
    ["completeness critical above the target", "staging", (v) => set(v, ["monitoring", "thresholds", "completenessCriticalMin"], 0.97), "enrichment:monitoring.thresholds.completenessCriticalMin: expected a critical threshold below the warning's targets.completenessMin (0.95)"],
    // Gates that can never fail.
    ["a failure limit at the number of measurements", "staging", (v) => (v.promotion.samples = { count: 3, failureLimit: 3 }), "enrichment:promotion.samples.failureLimit: expected fewer than promotion.samples.count (3): a gate tolerating 3 failed measurements out of 3 can never fail, got 3"],
    // An agent whose model does not fit its back end.
    ["a local model on the hosted-API agent", "staging", (v) => (v.agents = { "context-agent": { model: "llama3.2" } }), 'enrichment:agents.context-agent.model: expected a model of the anthropic API (claude-<name>, such as "claude-opus-4-1"): context-agent calls the anthropic API, which does not serve the local (Ollama) model "llama3.2", got "llama3.2"'],
    ["an Ollama tag on the hosted-API agent", "staging", (v) => (v.agents = { "context-agent": { fallbackModel: "llama3.2:3b" } }), "enrichment:agents.context-agent.fallbackModel: expected a model of the anthropic API"],
    ["a hosted model on a local agent", "staging", (v) => (v.agents = { "entity-agent": { model: "claude-opus-4-1" } }), 'enrichment:agents.entity-agent.model: expected a model the stack pulls (release.models: llama3.2, mixtral); "claude-opus-4-1" is a model of the anthropic API, and entity-agent runs on Ollama, got "claude-opus-4-1"'],
    ["an Ollama tag where the model key belongs", "staging", (v) => (v.agents = { "entity-agent": { model: "llama3.2:3b" } }), 'enrichment:agents.entity-agent.model: expected a model the stack pulls (release.models: llama3.2, mixtral); "llama3.2:3b" is the tag of release.models.llama3.2: name the key, "llama3.2"'],
    // A private subnet too small for the containers the stack attaches to it.
    // (Both shipped stacks run the ingestion plane: 9 containers of its own.)
    ["a /27 for production's 37 containers", "production", (v) => (v.network.privateSubnet = "10.42.0.0/27"), 'enrichment:network.privateSubnet: expected room for the 37 containers this stack attaches to its private network: a /27 holds 29 (the network, broadcast and gateway addresses are taken); use a /26 or larger, got "10.42.0.0/27"'],
    ["a /27 once the workers grow", "staging", (v) => ((v.network.privateSubnet = "10.42.0.0/27"), (v.workers.replicas = 12)), "enrichment:network.privateSubnet: expected room for the 47 containers this stack attaches to its private network: a /27 holds 29"],
    // Names the server forbids.
    ["a database name with a dot", "staging", (v) => set(v, ["mongodb", "database"], "enrichment.prod"), "enrichment:mongodb.database: expected a MongoDB database name without / \\ . \" $ * < > : | ? or spaces (MongoDB's naming restrictions); it has '.', got \"enrichment.prod\""],
    ["a database name with $", "staging", (v) => set(v, ["mongodb", "database"], "enrich$"), "enrichment:mongodb.database: expected a MongoDB database name without"],
    ["a database name with a slash", "staging", (v) => set(v, ["mongodb", "database"], "a/b"), "enrichment:mongodb.database: expected a MongoDB database name without"],
    ["a database name with a space", "staging", (v) => set(v, ["mongodb", "database"], "doc store"), "enrichment:mongodb.database: expected a MongoDB database name without / \\ . \" $ * < > : | ? or spaces (MongoDB's naming restrictions); it has a space"],
    ["a database name over the limit", "staging", (v) => set(v, ["mongodb", "database"], "d".repeat(64)), "enrichment:mongodb.database: expected a MongoDB database name of at most 63 bytes"],
    ["a database whose restore-test database is over the limit", "staging", (v) => set(v, ["mongodb", "database"], "d".repeat(60)), "enrichment:mongodb.database: expected a name whose restore-test database"],
    ["a scratch database with a dot", "staging", (v) => set(v, ["backup", "scratchDatabase"], "restore.test"), "enrichment:backup.scratchDatabase: expected a MongoDB database name without"],
    ["an NSQ topic with a space", "staging", (v) => (v.nsq = { topic: "doc jobs" }), `enrichment:nsq.topic: expected an NSQ topic name: 1 to 64 characters of letters, digits, '.', '_' and '-' (nsqd refuses others), got "doc jobs"`],
    ["an NSQ topic over 64 characters", "staging", (v) => (v.nsq = { topic: "t".repeat(65) }), "enrichment:nsq.topic: expected an NSQ topic name"],
    ["an ephemeral NSQ topic", "staging", (v) => (v.nsq = { topic: "jobs#ephemeral" }), "enrichment:nsq.topic: expected an NSQ topic name"],
    ["a duplicate TLS name (case-insensitive)", "staging", (v) => v.tls.dnsNames.push(v.tls.dnsNames[1].toUpperCase()), "enrichment:tls.dnsNames.3: expected each DNS name once: the same as tls.dnsNames.1 (names are case-insensitive)"],
    ["a malformed TLS name", "staging", (v) => v.tls.dnsNames.push("review..example.org"), 'enrichment:tls.dnsNames.3: expected a DNS name such as review.example.org, got "review..example.org"'],
    ["no TLS name for an edge route", "staging", (v) => (v.tls.dnsNames = v.tls.dnsNames.filter((n: string) => !n.startsWith("cost."))), "enrichment:tls.dnsNames: expected a name for the edge's cost route, such as cost.staging.enrichment.internal: the edge answers review.<domain>, cost.<domain>, grafana.<domain>"],
    ["a common name over 64 characters", "staging", (v) => (v.tls.dnsNames = [`review.${"x".repeat(60)}.example.org`, ...v.tls.dnsNames]), "enrichment:tls.dnsNames.0: expected at most 64 characters in the first DNS name: it is also the certificate's common name"],
    // Connection settings that contradict each other.
    ["ssh options with a local socket host", "staging", (v) => (v.docker = { host: "unix:///var/run/docker.sock", sshOpts: ["-o", "StrictHostKeyChecking=yes"] }), "enrichment:docker.sshOpts: expected no ssh options: docker.host (unix:///var/run/docker.sock) is not an ssh:// host, so they would be ignored; remove them or use ssh://<user>@<host>"],
    ["a Docker host without a scheme", "staging", (v) => (v.docker = { host: "docker-host.internal:2376" }), 'enrichment:docker.host: expected a Docker host URL with its scheme: unix:///var/run/docker.sock, tcp://<host>:<port> or ssh://<user>@<host>, got "docker-host.internal:2376"'],
    ["a Docker host with an unknown scheme", "staging", (v) => (v.docker = { host: "http://docker-host:2375" }), "enrichment:docker.host: expected a Docker host URL with one of the schemes unix://, tcp://, ssh://, not http://"],
    ["a CIDR prefix over 32", "staging", (v) => (v.network.privateSubnet = "10.42.0.0/33"), 'enrichment:network.privateSubnet: expected a CIDR such as 10.42.0.0/24: prefix /33 is over 32, got "10.42.0.0/33"'],
    ["an octet over 255", "staging", (v) => (v.network.privateSubnet = "10.420.0.0/16"), "enrichment:network.privateSubnet: expected a CIDR such as 10.42.0.0/24: octet 420 is over 255"],
    ["a CIDR with host bits", "staging", (v) => (v.network.privateSubnet = "10.42.0.5/24"), "enrichment:network.privateSubnet: expected the network's own address, 10.42.0.0/24: the address has host bits set"],
  ];

  it.each(cases)("%s", (_title, stack, edit, expected) => {
    const problems = problemsOf(raw(stack, edit));
    const matching = problems.filter((p) => p.startsWith(expected));
    expect(matching, `expected one problem starting with:\n  ${expected}\ngot:\n  ${problems.join("\n  ")}`).toHaveLength(1);
    // One cause, one message: nothing else is reported for an edit that breaks one thing.
    expect(problems, problems.join("\n")).toHaveLength(1);
  });
});

describe("one error per cause", () => {
  it("a bad cpus value gives one message, not a second one about read-back", () => {
    expect(problemsOf(raw("staging", (v) => (v.resources.worker = { memoryMb: 512, cpus: 0 })))).toEqual([
      "enrichment:resources.worker.cpus: expected a number from 0.05 to 256, got 0",
    ]);
    expect(problemsOf(raw("staging", (v) => (v.agents = { "entity-agent": { cpus: 300 } })))).toEqual([
      "enrichment:agents.entity-agent.cpus: expected a number from 0.05 to 256, got 300",
    ]);
  });

  it("a malformed value is not also reported by the rules that read it", () => {
    expect(problemsOf(raw("staging", (v) => (v.monitoring.scrapeInterval = "0s")))).toHaveLength(1);
    expect(problemsOf(raw("staging", (v) => set(v, ["mongodb", "database"], "a.b")))).toHaveLength(1);
    expect(problemsOf(raw("staging", (v) => set(v, ["monitoring", "thresholds", "reviewQueueMax"], "many")))).toEqual([
      'enrichment:monitoring.thresholds.reviewQueueMax: expected an integer >= 1, got "many"',
    ]);
    expect(problemsOf(raw("production", (v) => ((v.network.privateSubnet = "10.42.0.0/28"), (v.workers.replicas = 0))))).toEqual([
      "enrichment:workers.replicas: expected an integer from 1 to 200, got 0",
    ]);
    expect(problemsOf(raw("staging", (v) => (v.docker = { host: "docker-host", sshOpts: ["-v"] })))).toHaveLength(1);
  });

  it("a tab in the file gives one message, not its knock-on ones", () => {
    const text = fs.readFileSync(FILES.staging, "utf8").replace("enrichment:workers:\n    replicas: 1", "enrichment:workers:\n\treplicas: 1");
    expect(text).toContain("\treplicas");
    let message = "";
    try {
      parseStackFile(text, "Pulumi.staging.yaml");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toMatch(/^Pulumi\.staging\.yaml: not valid YAML: Tabs are not allowed as indentation at line \d+, column 1:?$/);
  });
});

describe("the table of good configs stays accepted", () => {
  const good: [string, Stack, (v: Record<string, any>) => void][] = [
    ["staging as shipped", "staging", () => {}],
    ["production as shipped", "production", () => {}],
    ["the e2e stack as shipped (CPU only, small sizes)", "e2e", () => {}],
    // Unusual but valid: the schema must not grow too strict.
    ["MongoDB at exactly its floor, Prometheus at exactly its floor", "staging", (v) => ((v.resources.mongodb = { memoryMb: 512, cpus: 0.5 }), (v.resources.prometheus = { memoryMb: 80, cpus: 0.25 }))],
    ["a scrape interval equal to the timeout, a day-long evaluation interval", "staging", (v) => ((v.monitoring.scrapeInterval = "10s"), (v.monitoring.evaluationInterval = "1d"))],
    ["Alertmanager intervals in weeks and milliseconds", "staging", (v) => set(v, ["monitoring", "alerting"], { ...v.monitoring.alerting, groupWait: "500ms", repeatInterval: "1w" })],
    ["thresholds one apart", "staging", (v) => set(v, ["monitoring", "thresholds"], { reviewQueueMax: 10, reviewQueueCritical: 11, certificateExpiryDays: 2, certificateExpiryCriticalDays: 1 })],
    ["a gate tolerating all but one failure", "staging", (v) => (v.promotion.samples = { count: 10, failureLimit: 9, intervalSeconds: 0 })],
    ["a newer Claude model on the hosted agent, mixtral for a local one", "staging", (v) => (v.agents = { "context-agent": { model: "claude-sonnet-4-5" }, "content-agent": { model: "mixtral", fallbackModel: "llama3.2" } })],
    ["a /26 for staging's 36 containers", "staging", (v) => (v.network.privateSubnet = "10.42.0.64/26")],
    ["a /27 for the 27 containers of staging without the ingestion plane (exactly full... minus two)", "staging", (v) => ((v.ingestion.enabled = false), delete v.exposure.publish.postgres, delete v.exposure.publish["ingestion-mcp-server"], (v.network.privateSubnet = "10.42.0.32/27"))],
    ["a /16 with 200 workers", "production", (v) => ((v.network.privateSubnet = "172.30.0.0/16"), (v.workers.replicas = 200))],
    ["a database name of 50 characters (its restore-test one is 63)", "staging", (v) => set(v, ["mongodb", "database"], "d".repeat(50))],
    ["an unusual but valid database name and an explicit scratch database", "staging", (v) => (set(v, ["mongodb", "database"], "Enrichment-2026_ü"), set(v, ["backup", "scratchDatabase"], "scratch"))],
    ["a 64-character NSQ topic with dots", "staging", (v) => (v.nsq = { topic: `jobs.v2_${"x".repeat(56)}` })],
    ["a wildcard name after the route names, upper-case names", "staging", (v) => (v.tls.dnsNames = ["REVIEW.Example.org", "cost.example.org", "grafana.example.org", "*.example.org"])],
    ["ssh with options", "staging", (v) => (v.docker = { host: "ssh://deploy@docker-host.internal:2222", sshOpts: ["-o", "ServerAliveInterval=30"] })],
    ["tcp without a port", "staging", (v) => (v.docker = { host: "tcp://10.0.0.5" })],
  ];

  it.each(good)("%s", (_title, stack, edit) => {
    expect(problemsOf(raw(stack, edit))).toEqual([]);
  });
});

describe("the facts behind the rules", () => {
  it("every floor names its source, and each resources key with a floor maps to real images", () => {
    for (const [image, floor] of Object.entries(MEMORY_FLOORS)) {
      expect(floor!.source.length, image).toBeGreaterThan(20);
      expect(floor!.value % 16, image).toBe(0);
    }
    expect(memoryFloor("mongodb")?.mb).toBe(512);
    expect(memoryFloor("exporter")).toMatchObject({ mb: 32, image: "nsqExporter" });
    expect(memoryFloor("worker")).toBeUndefined();
  });

  it("the edge's routes are the route names the schema requires a DNS name for", () => {
    expect(EDGE_ROUTES.map((route) => route.name)).toEqual([...EDGE_ROUTE_NAMES]);
  });

  it("Docker's room per prefix, as measured (a /30 took one container, /31 none)", () => {
    expect([30, 31, 32, 24].map(containersInPrefix)).toEqual([1, 0, 0, 253]);
    expect(parseCidr("10.42.0.0/24")).toEqual({ network: (10 * 256 + 42) * 65536, prefix: 24 });
  });
});

describe("the private network's container count is the program's", () => {
  // Two evaluations (each a synth in its own process): the shipped production stack, and staging
  // with every branch of the count turned: CPU only, 5 workers, agent replicas, the off-host copier.
  const variants: [string, "staging" | "production", Record<string, unknown>][] = [
    ["production as shipped", "production", {}],
    [
      "staging, CPU only, 5 workers, agent replicas, the off-host copy",
      "staging",
      {
        ollama: { gpus: "none" },
        workers: { replicas: 5 },
        agents: { "entity-agent": { replicas: 3 } },
        backup: { s3: { endpoint: "http://minio:9000", bucket: "enrichment-e2e", region: "us-east-1" } },
      },
    ],
  ];

  it.each(variants)("%s", async (_title, stack, overrides) => {
    const { synthesize } = await import("../synth/index");
    const evaluation = await synthesize({
      stack,
      overrides,
      secrets: Object.fromEntries(SECRETS.map((key) => [key, `[secret:${key}]`])),
    });
    const containers = evaluation.records.filter((record) => record.type === "docker:index/container:Container");
    const onPrivate = containers.filter((record) =>
      ((record.inputs as { networksAdvanced?: { name: string }[] }).networksAdvanced ?? []).some((network) => String(network.name).endsWith("-private")),
    );
    expect(onPrivate).toHaveLength(containers.length);
    const settings = parseStackConfig(stack, raw(stack, (v) => Object.assign(v, structuredClone(overrides))), () => pulumi.secret("x")).settings;
    expect(privateNetworkContainers(settings)).toBe(onPrivate.length);
  });
});
