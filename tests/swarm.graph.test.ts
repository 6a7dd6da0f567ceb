// The swarm target under the mock runtime (issue 21): one description per service, two
// renderers. The swarm e2e stack file is evaluated as a swarm and, with its target block removed,
// as one host: the swarm's services must carry exactly what the host's containers carry (image,
// command, user, environment, health, size, secret and generated files), plus placement, replicas,
// rollouts and swarm secrets and configs. The real engine on the lab swarm is tests/e2e/swarm.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { Evaluation, labelOf, ResourceRecord, synthesize } from "../synth";
import { objectName, updateOrder } from "../components/swarmService";
import { SWARM_NODE_LABELS } from "../facts/swarm";
import { IMAGES } from "../facts/images";
import { EDGE_PORTS } from "../planes/edge/edgeConfig";

const SWARM_FILE = path.resolve(__dirname, "e2e/swarm/Pulumi.e2e-swarm.yaml");
const CONTAINER = "docker:index/container:Container";
const SERVICE = "docker:index/service:Service";
const SECRET = "docker:index/secret:Secret";
const CONFIG = "docker:index/serviceConfig:ServiceConfig";
const COMMAND = "command:local:Command";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";

/** The swarm stack file without its target: the same settings on one host. */
function hostCopy(): string {
  const doc = YAML.parse(fs.readFileSync(SWARM_FILE, "utf8")) as { config: Record<string, unknown> };
  delete doc.config["enrichment:deployTarget"];
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "swarm-graph-")), "Pulumi.e2e-swarm.yaml");
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

const runs = {} as Record<"swarm" | "host" | "four" | "canary" | "vip" | "retention", Evaluation>;
const candidate = (service: string) => `registry.example.org/enrichment/${service}:9.9.9@sha256:${"9".repeat(64)}`;

beforeAll(async () => {
  const host = hostCopy();
  const base = { stack: "e2e-swarm", configFile: SWARM_FILE };
  const [swarm, hostRun, four, canary, vip, retention] = await Promise.all([
    synthesize(base),
    synthesize({ stack: "e2e-swarm", configFile: host }),
    synthesize({ ...base, overrides: { workers: { replicas: 4 } } }),
    synthesize({ ...base, overrides: { canary: { release: { version: "9.9.9", images: { "enrichment-worker": candidate("enrichment-worker") } }, workers: 1 } } }),
    synthesize({ ...base, overrides: { deployTarget: { swarm: { endpointMode: "vip" } } } }),
    synthesize({ ...base, overrides: { monitoring: { alerting: { groupWait: "5s" } } } }),
  ]);
  Object.assign(runs, { swarm, host: hostRun, four, canary, vip, retention });
}, 240_000);

const ofType = (e: Evaluation, type: string) => e.records.filter((r) => r.type === type);
const byName = (e: Evaluation, type: string, name: string) => {
  const found = ofType(e, type).find((r) => r.name === name);
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
};
const task = (r: ResourceRecord) => (r.inputs.taskSpec as any).containerSpec as Record<string, any>;
const children = (e: Evaluation, parent: ResourceRecord, type: string) => {
  const component = parent.parent;
  return e.records.filter((r) => r.type === type && r.parent === component);
};
const decode = (data: unknown) => Buffer.from(String(data), "base64").toString("utf8");
/** `enrichment-worker-2` and `enrichment-worker` are one service; so are an agent's replicas. */
const serviceName = (r: ResourceRecord) => String(labelOf(r, "service")).replace(/-\d+$/, "");

describe("every service of the catalog becomes a docker.Service, from the same description as its container", () => {
  it("no container on a swarm; the same services as on one host (and the swarm's network anchor)", () => {
    expect(ofType(runs.swarm, CONTAINER)).toEqual([]);
    const hostServices = [...new Set(ofType(runs.host, CONTAINER).map(serviceName))].sort();
    const swarmServices = ofType(runs.swarm, SERVICE).map((r) => String(labelOf(r, "service"))).sort();
    expect(swarmServices).toEqual([...hostServices, "network-anchor"].sort());
    expect(byName(runs.swarm, SERVICE, "network-anchor").inputs.mode).toEqual({ global: true });
    expect(swarmServices.length).toBeGreaterThan(20);
  });

  it("image, command, user, environment, health, limits, secret and generated files are the container's", () => {
    const hostContainers = new Map(ofType(runs.host, CONTAINER).map((r) => [serviceName(r), r]));
    const mismatches: string[] = [];
    for (const service of ofType(runs.swarm, SERVICE)) {
      const name = String(labelOf(service, "service"));
      if (name === "network-anchor") continue;
      const container = hostContainers.get(name)!;
      const spec = task(service);
      const c = container.inputs as Record<string, any>;
      const same = (what: string, a: unknown, b: unknown) => {
        if (JSON.stringify(a) === JSON.stringify(b)) return;
        if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a)) {
          const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify((a as any)[k]) !== JSON.stringify((b as any)[k]));
          mismatches.push(`${name} ${what}: ${keys.map((k) => `${k}: ${JSON.stringify((a as any)[k])} vs ${JSON.stringify((b as any)[k])}`).join("; ")}`);
        } else mismatches.push(`${name} ${what}: container ${JSON.stringify(a)?.slice(0, 200)} vs service ${JSON.stringify(b)?.slice(0, 200)}`);
      };
      // Per-instance names come from the task's slot on a swarm.
      const instanceFree = (env: Record<string, string>) =>
        Object.fromEntries(Object.entries(env).filter(([k]) => k !== "WORKER_ID" && k !== "AGENT_INSTANCE").sort(([x], [y]) => x.localeCompare(y)));
      const containerEnv = Object.fromEntries((c.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
      same("environment", instanceFree(containerEnv), instanceFree(spec.env ?? {}));
      same("command", c.command, spec.args);
      same("entrypoint", c.entrypoints, spec.commands);
      same("user", c.user, spec.user);
      same("healthcheck test", c.healthcheck.tests, spec.healthcheck.tests);
      same("retries", c.healthcheck.retries, spec.healthcheck.retries);
      same("memory (bytes)", c.memory * 1024 * 1024, (service.inputs.taskSpec as any).resources.limits.memoryBytes);
      same("cpus (nano)", Math.round(Number(c.cpus) * 1e9), (service.inputs.taskSpec as any).resources.limits.nanoCpus);
      const uploads = c.uploads as { file: string; content: string }[];
      same("secret files", uploads.filter((u) => u.file.startsWith("/run/secrets/")).map((u) => u.file).sort(), (spec.secrets ?? []).map((s: any) => s.fileName).sort());
      // Generated files: the same paths and, but for Prometheus' discovery, the same content.
      const configs = children(runs.swarm, service, CONFIG);
      const configContent = new Map((spec.configs ?? []).map((ref: any) => [ref.fileName, decode(configs.find((cf) => `${cf.name}-id` === ref.configId)?.inputs.data)]));
      const files = uploads.filter((u) => !u.file.startsWith("/run/secrets/"));
      same("file paths", files.map((u) => u.file).sort(), [...configContent.keys()].sort());
      for (const file of files) {
        if (name === "prometheus" && file.file.endsWith("prometheus.yml")) continue;
        if (configContent.get(file.file) !== file.content) mismatches.push(`${name} ${file.file}: content differs`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("labels: the container's, on the service and its tasks, plus the placement", () => {
    const worker = byName(runs.swarm, SERVICE, "enrichment-worker");
    for (const labels of [worker.inputs.labels, task(worker).labels] as { label: string; value: string }[][]) {
      expect(Object.fromEntries(labels.map((l) => [l.label, l.value]))).toMatchObject({
        "org.enrichment.service": "enrichment-worker",
        "org.enrichment.release": "e2e-1",
        "org.enrichment.track": "stable",
        "org.enrichment.managed-by": "pulumi",
      });
    }
  });
});

describe("placement and scale", () => {
  const constraints = (name: string) => ((byName(runs.swarm, SERVICE, name).inputs.taskSpec as any).placement?.constraints ?? []) as string[];

  it("stateful services run on the data node, where their volumes are", () => {
    for (const name of ["mongodb", "nsqd", "prometheus", "alertmanager", "grafana", "mongodb-backup", "mongodb-backup-metrics"]) {
      expect(constraints(name), name).toEqual([`node.labels.${SWARM_NODE_LABELS.data}==true`]);
    }
  });

  it("Ollama reserves the GPU's generic resource on the GPU node; nothing else reserves it", () => {
    const ollama = byName(runs.swarm, SERVICE, "ollama");
    expect(constraints("ollama")).toEqual([`node.labels.${SWARM_NODE_LABELS.gpu}==true`]);
    expect((ollama.inputs.taskSpec as any).resources.reservation).toEqual({ genericResources: { discreteResourcesSpecs: ["NVIDIA-GPU=1"] } });
    const reserving = ofType(runs.swarm, SERVICE).filter((r) => (r.inputs.taskSpec as any).resources.reservation);
    expect(reserving.map((r) => r.name)).toEqual(["ollama"]);
  });

  it("the edge publishes its ports in host mode on edge nodes; nothing uses the routing mesh", () => {
    const edge = byName(runs.swarm, SERVICE, "edge");
    expect(constraints("edge")).toEqual([`node.labels.${SWARM_NODE_LABELS.edge}==true`]);
    expect((edge.inputs.endpointSpec as any).ports).toEqual([{ protocol: "tcp", publishMode: "host", publishedPort: 38443, targetPort: EDGE_PORTS.https }]);
    for (const service of ofType(runs.swarm, SERVICE)) for (const port of (service.inputs.endpointSpec as any).ports ?? []) expect(port.publishMode, service.name).toBe("host");
  });

  it("workers, agents and APIs are replicas with no node constraint; exporters of the node run on every node", () => {
    expect((byName(runs.swarm, SERVICE, "enrichment-worker").inputs.mode as any).replicated.replicas).toBe(2);
    expect((byName(runs.swarm, SERVICE, "review-api").inputs.mode as any).replicated.replicas).toBe(2);
    for (const name of ["enrichment-worker", "review-api", "cost-api", "metadata-agent", "mcp-server"]) expect(constraints(name), name).toEqual([]);
    for (const name of ["node-exporter", "cadvisor"]) expect(byName(runs.swarm, SERVICE, name).inputs.mode, name).toEqual({ global: true });
  });

  it("scaling workers 2 -> 4 changes only the workers' replica count", () => {
    const before = new Map(runs.swarm.records.map((r) => [r.urn, JSON.stringify(r)]));
    const changed = runs.four.records.filter((r) => before.get(r.urn) !== JSON.stringify(r));
    expect(changed.map((r) => r.name)).toEqual(["enrichment-worker"]);
    expect(runs.four.records.length).toBe(runs.swarm.records.length);
    const worker = byName(runs.four, SERVICE, "enrichment-worker");
    expect({ ...worker.inputs, mode: undefined }).toEqual({ ...byName(runs.swarm, SERVICE, "enrichment-worker").inputs, mode: undefined });
  });

  it("the endpoint mode is the stack's setting", () => {
    for (const service of ofType(runs.swarm, SERVICE)) expect((service.inputs.endpointSpec as any).mode).toBe("dnsrr");
    for (const service of ofType(runs.vip, SERVICE)) expect((service.inputs.endpointSpec as any).mode).toBe("vip");
  });

  it("a canary is a second worker service on the candidate, answering to the pool's name", () => {
    const canary = byName(runs.canary, SERVICE, "enrichment-worker-canary");
    const stable = byName(runs.canary, SERVICE, "enrichment-worker");
    expect(task(canary).image).toBe(candidate("enrichment-worker"));
    expect((canary.inputs.mode as any).replicated.replicas).toBe(1);
    expect((stable.inputs.mode as any).replicated.replicas).toBe(1);
    expect((canary.inputs.taskSpec as any).networksAdvanceds[0].aliases).toEqual(["enrichment-worker-canary", "enrichment-worker"]);
    expect(labelOf(canary, "track")).toBe("canary");
  });
});

describe("swarm secrets and configs", () => {
  it("every secret file is a docker.Secret, mode 0400, owned by the reader's uid:gid; its data stays secret", () => {
    const mongodb = byName(runs.swarm, SERVICE, "mongodb");
    const { uid, gid } = IMAGES.mongodb.user.value;
    for (const ref of task(mongodb).secrets) {
      expect(ref).toMatchObject({ fileMode: 0o400, fileUid: String(uid), fileGid: String(gid) });
    }
    const worker = byName(runs.swarm, SERVICE, "enrichment-worker");
    for (const ref of task(worker).secrets) expect(ref).toMatchObject({ fileMode: 0o400, fileUid: "10001", fileGid: "10001" });
    for (const secret of ofType(runs.swarm, SECRET)) {
      expect(secret.inputs.data, secret.name).toBe("[secret]");
      expect(secret.secretPaths, secret.name).toContain("data");
    }
  });

  it("nothing secret in a config or an environment variable", () => {
    for (const config of ofType(runs.swarm, CONFIG)) {
      expect(config.secretPaths, config.name).toEqual([]);
      expect(decode(config.inputs.data), config.name).not.toMatch(/\[secret\]/);
    }
    for (const service of ofType(runs.swarm, SERVICE)) {
      for (const [key, value] of Object.entries(task(service).env ?? {})) {
        expect(value, `${service.name} ${key}`).not.toBe("[secret]");
        if (/PASSWORD|SECRET|_KEY$|URI$/.test(key)) expect(key, service.name).toMatch(/_FILE$/);
      }
    }
  });

  it("configs are named by content: a changed file is a new config, which rolls only the service that reads it", () => {
    const before = new Map(runs.swarm.records.map((r) => [r.urn, JSON.stringify(r)]));
    const changed = runs.retention.records.filter((r) => before.get(r.urn) !== JSON.stringify(r)).map((r) => `${r.type.split(":").pop()} ${r.name}`);
    expect(changed.sort()).toEqual(["Service alertmanager", "ServiceConfig alertmanager-config-alertmanager.yml"]);
    const name = (e: Evaluation) => String(byName(e, CONFIG, "alertmanager-config-alertmanager.yml").inputs.name);
    expect(name(runs.retention)).not.toBe(name(runs.swarm));
    expect(objectName("p", "svc", "/etc/a.yml", "one")).not.toBe(objectName("p", "svc", "/etc/a.yml", "two"));
    expect(objectName("p", "svc", "/etc/a.yml", "one")).toBe(objectName("p", "svc", "/etc/a.yml", "one"));
    expect(objectName("a-very-long-stack-prefix", "enrichment-coordinator", "/run/secrets/a-long-secret-file-name", "x").length).toBeLessThanOrEqual(64);
  });
});

describe("rollouts", () => {
  it("start-first where two tasks can coexist, stop-first over a volume or a host port; a failure rolls back; up waits for convergence", () => {
    for (const service of ofType(runs.swarm, SERVICE)) {
      const spec = task(service);
      const order = (service.inputs.updateConfig as any).order;
      const expected = updateOrder({ volumes: spec.mounts?.filter((m: any) => m.type === "volume"), ports: (service.inputs.endpointSpec as any).ports, perNode: !!(service.inputs.mode as any).global });
      expect(order, service.name).toBe(expected);
      expect(service.inputs.updateConfig, service.name).toMatchObject({ failureAction: "rollback", monitor: "10s", parallelism: 1 });
      expect(service.inputs.rollbackConfig, service.name).toMatchObject({ failureAction: "pause", order });
      if ((service.inputs.mode as any).replicated) expect(service.inputs.convergeConfig, service.name).toMatchObject({ timeout: expect.stringMatching(/^\d+m/) });
    }
    expect((byName(runs.swarm, SERVICE, "enrichment-worker").inputs.updateConfig as any).order).toBe("start-first");
    expect((byName(runs.swarm, SERVICE, "mongodb").inputs.updateConfig as any).order).toBe("stop-first");
    expect((byName(runs.swarm, SERVICE, "edge").inputs.updateConfig as any).order).toBe("stop-first");
  });

  it("every release service waits for the pre-release snapshot", () => {
    const snapshot = byName(runs.swarm, COMMAND, "pre-release-snapshot");
    const release = ofType(runs.swarm, SERVICE).filter((r) => labelOf(r, "release"));
    expect(release.length).toBeGreaterThan(8);
    for (const service of release) expect(service.dependsOn, service.name).toContain(snapshot.urn);
  });
});

describe("one-shot steps run as swarm jobs, wherever the service's task is", () => {
  it("model pulls, the topic and the snapshot are jobs beside their service, never docker exec", () => {
    const commands = ofType(runs.swarm, COMMAND);
    expect(commands.map((c) => c.name).sort()).toEqual(["pre-release-snapshot", "pull-llama3.2", "pull-mixtral", "topic-enrichment"]);
    for (const command of commands) {
      const create = String(command.inputs.create);
      // The snapshot's job mounts the backup service's secrets, so its script is itself secret.
      if (command.secretPaths.includes("create")) continue;
      expect(create, command.name).toContain("--replicas 1 --restart-condition none");
      expect(create, command.name).not.toContain("docker exec");
    }
    const pull = String(byName(runs.swarm, COMMAND, "pull-llama3.2").inputs.create);
    expect(pull).toContain("--env OLLAMA_HOST=http://ollama:11434");
    expect(pull).toContain(`--constraint node.labels.${SWARM_NODE_LABELS.gpu}==true`);
    expect(pull).toContain("--entrypoint ollama");
    const topic = String(byName(runs.swarm, COMMAND, "topic-enrichment").inputs.create);
    expect(topic).toContain("http://nsqd:4151/topic/create?topic=enrichment");
  });
});

describe("networks and volumes on a swarm", () => {
  it("attachable overlays; the private one internal", () => {
    const networks = Object.fromEntries(ofType(runs.swarm, NETWORK).map((n) => [n.name, n.inputs]));
    expect(networks.private).toMatchObject({ driver: "overlay", attachable: true, internal: true });
    expect(networks.egress).toMatchObject({ driver: "overlay", attachable: true });
    expect(networks.egress.internal).toBeUndefined();
    expect(networks.published).toMatchObject({ driver: "overlay", attachable: true });
  });

  it("each stateful volume is created on its node (the node's provider) and protected", () => {
    const ollamaModels = byName(runs.swarm, VOLUME, "ollama-models");
    expect(ollamaModels.provider).toMatch(/\$pulumi:providers:docker::docker-node-gpu$/);
    const data = byName(runs.swarm, VOLUME, "mongodb-data");
    expect(data.provider).not.toMatch(/docker-node-/);
    for (const name of ["mongodb-data", "mongodb-configdb", "nsqd-data", "prometheus-data", "alertmanager-data", "grafana-data", "mongodb-backups", "ollama-models"]) {
      expect(byName(runs.swarm, VOLUME, name).protect, name).toBe(true);
    }
  });
});
