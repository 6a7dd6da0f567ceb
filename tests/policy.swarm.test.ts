// The checklist policies on a swarm (issue 21): the rules written for containers read the swarm's
// services through their container view (policy/workloads.ts), the stack rules count a service's
// replicas and read its ServiceConfigs, and each still fails on one changed property.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { synthesize, type ResourceRecord } from "../synth";
import { runPolicies } from "../policy/offline";
import { serviceAsContainer } from "../policy/workloads";
import { find, inputs, mutate, violations } from "./policy.support";
import { EDGE_PORTS } from "../planes/edge/edgeConfig";

const SERVICE = "docker:index/service:Service";
const CONFIG = "docker:index/serviceConfig:ServiceConfig";
const SWARM_FILE = path.join(__dirname, "e2e/swarm/Pulumi.e2e-swarm.yaml");

let swarm: ResourceRecord[];
/** The same stack as production: mandatory rules, three workers. */
let production: ResourceRecord[];

beforeAll(async () => {
  const [s, p] = await Promise.all([
    synthesize({ stack: "e2e-swarm", configFile: SWARM_FILE }),
    synthesize({ stack: "e2e-swarm", configFile: SWARM_FILE, overrides: { environment: "production", workers: { replicas: 3 } } }),
  ]);
  swarm = s.records;
  production = p.records;
}, 180_000);

const task = (r: ResourceRecord) => inputs(r).taskSpec.containerSpec as Record<string, any>;

describe("the container view of a service", () => {
  it("carries what the container rules read", () => {
    const view = serviceAsContainer(inputs(find(swarm, SERVICE, "mongodb")));
    expect(view.restart).toBe("unless-stopped");
    expect(view.memory).toBe(512);
    expect(view.cpus).toBe(0.5);
    expect(view.logDriver).toBe("json-file");
    expect(view.command).toEqual(["--auth", "--bind_ip_all"]);
    expect(view.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ volumeName: "e2e-swarm-mongodb-data", containerPath: "/data/db" })]));
    expect(view.uploads.filter((u: { file: string }) => u.file.startsWith("/run/secrets/")).every((u: { permissions: string }) => u.permissions === "0400")).toBe(true);
    expect(view.ports).toEqual([{ internal: 27017, external: 37017, ip: "" }]);
  });
});

describe("container rules on services", () => {
  it("pass on the swarm stack, but for the ports a swarm binds on every address of the node", () => {
    const found = runPolicies(swarm, "staging").violations;
    expect(found.filter((v) => v.policy !== "exposure-only-edge-public")).toEqual([]);
    expect(found.map((v) => v.name).sort()).toEqual(["alertmanager", "mongodb", "prometheus"]);
    expect(found[0]!.message).toMatch(/every address of its node/);
  });

  it("a service without a healthcheck, limits or log rotation is refused like a container", () => {
    expect(violations(mutate(swarm, SERVICE, "nsqd", (r) => delete task(r).healthcheck), "production", "container-healthcheck", "nsqd")).toHaveLength(1);
    expect(violations(mutate(swarm, SERVICE, "nsqd", (r) => delete inputs(r).taskSpec.resources.limits.memoryBytes), "production", "container-limits", "nsqd")).toHaveLength(1);
    expect(violations(mutate(swarm, SERVICE, "nsqd", (r) => (inputs(r).taskSpec.logDriver.options = { "max-size": "20m" })), "production", "container-log-rotation", "nsqd")).toHaveLength(1);
    expect(violations(mutate(swarm, SERVICE, "nsqd", (r) => (inputs(r).taskSpec.restartPolicy.condition = "none")), "production", "container-restart-unless-stopped", "nsqd")).toHaveLength(1);
  });

  it("a secret readable by others, or a secret in the environment, is refused", () => {
    const worldReadable = mutate(swarm, SERVICE, "mongodb", (r) => (task(r).secrets[0].fileMode = 0o444));
    expect(violations(worldReadable, "production", "secrets-file-owner-only", "mongodb")[0]?.message).toMatch(/mode "0444", expected 0400/);
    const inEnv = mutate(swarm, SERVICE, "review-api", (r) => (task(r).env.MONGODB_PASSWORD = "hunter2hunter2"));
    expect(violations(inEnv, "production", "secrets-not-in-environment", "review-api")).toHaveLength(1);
  });

  it("an unpinned image on a service is refused (a service names its image itself)", () => {
    const unpinned = mutate(swarm, SERVICE, "grafana", (r) => (task(r).image = "grafana/grafana:latest"));
    expect(violations(unpinned, "production", "image-pinned", "grafana")).toHaveLength(1);
  });

  it("MongoDB without --auth is refused", () => {
    const open = mutate(swarm, SERVICE, "mongodb", (r) => (task(r).args = ["--bind_ip_all"]));
    expect(violations(open, "production", "data-mongodb-auth", "mongodb")).toHaveLength(1);
  });
});

describe("stack rules on a swarm", () => {
  it("workers are counted by replicas", () => {
    expect(violations(production, "production", "capacity-workers")).toEqual([]);
    const one = mutate(production, SERVICE, "enrichment-worker", (r) => (inputs(r).mode.replicated.replicas = 1));
    expect(violations(one, "production", "capacity-workers")[0]?.message).toMatch(/^1 enrichment-worker/);
  });

  it("model pulls run as swarm jobs and the agents wait for theirs", () => {
    expect(violations(swarm, "production", "capacity-models-pulled")).toEqual([]);
  });

  it("stateful services keep their data on protected volumes; Prometheus' rules are read from its ServiceConfigs", () => {
    expect(violations(production, "production", "state-services-keep-data-on-volumes")).toEqual([]);
    expect(violations(production, "production", "state-data-volumes-protected")).toEqual([]);
    expect(violations(production, "production", "alerting-rules-loaded")).toEqual([]);
    const noRules = production.filter((r) => !(r.type === CONFIG && r.name.startsWith("prometheus-config-") && r.name.endsWith(".rules.yml")));
    expect(violations(noRules, "production", "alerting-rules-loaded").length).toBeGreaterThan(0);
  });

  it("the edge's TLS and rate limits are read from its ServiceConfig (swarm-generated-files)", () => {
    expect(violations(swarm, "production", "swarm-generated-files")).toEqual([]);
    const plain = mutate(swarm, CONFIG, "edge-config-nginx.conf", (r) => {
      const conf = Buffer.from(String(inputs(r).data), "base64").toString("utf8");
      expect(conf).toContain(`listen ${EDGE_PORTS.https} ssl;`);
      inputs(r).data = Buffer.from(conf.replace(`listen ${EDGE_PORTS.https} ssl;`, `listen ${EDGE_PORTS.https};`)).toString("base64");
    });
    expect(violations(plain, "production", "swarm-generated-files", "edge")[0]?.message).toMatch(/^exposure-https-only: /);
  });
});
