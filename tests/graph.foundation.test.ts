// Each stack evaluated under Pulumi's mock runtime; the registered graph asserted.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { GENERATED_SECRETS } from "../components/secrets";
import { Evaluation, Graph, labelOf, synthesize } from "../synth";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const COMMAND = "command:local:Command";


const stacks: Record<string, { evaluation: Evaluation; graph: Graph }> = {};

beforeAll(async () => {
  const [staging, production] = await Promise.all([synthesize({ stack: "staging" }), synthesize({ stack: "production" })]);
  stacks.staging = { evaluation: staging, graph: new Graph(staging.records) };
  stacks.production = { evaluation: production, graph: new Graph(production.records) };
});

describe.each(["staging", "production"])("%s graph", (stack) => {
  const graph = () => stacks[stack].graph;
  const containers = () => graph().ofType(CONTAINER);

  it("has every foundation service", () => {
    const services = containers().map((c) => labelOf(c, "service"));
    for (const service of ["mongodb", "nsqlookupd", "nsqd", "nsqadmin", "ollama"]) expect(services).toContain(service);
  });

  it("every container is hardened: healthcheck + wait, restart, limits, log rotation, private network alias", () => {
    expect(containers().length).toBeGreaterThan(0);
    for (const container of containers()) {
      const inputs = container.inputs as Record<string, any>;
      const where = `${container.name}`;
      expect(inputs.healthcheck?.tests?.length, where).toBeGreaterThan(1);
      expect(inputs.wait, where).toBe(true);
      expect(inputs.waitTimeout, where).toBeGreaterThan(0);
      expect(inputs.restart, where).toBe("unless-stopped");
      expect(inputs.memory, where).toBeGreaterThanOrEqual(16);
      expect(Number(inputs.cpus), where).toBeGreaterThan(0);
      expect(inputs.logDriver, where).toBe("json-file");
      expect(inputs.logOpts, where).toMatchObject({ "max-size": expect.any(String), "max-file": expect.any(String) });
      const service = labelOf(container, "service");
      // Its own name first; a pool member (a worker) also answers the pool's name, which is how
      // Prometheus finds the pool (planes/monitoring/prometheus.ts dnsSd).
      const pool = labelOf(container, "pool");
      expect(inputs.networksAdvanced, where).toContainEqual({ name: `${stack}-private`, aliases: pool ? [service, pool] : [service] });
      expect(inputs.name, where).toBe(`${stack}-${service}`);
      // A fixed name and host port must not collide when the container is replaced.
      expect(container.deleteBeforeReplace, where).toBe(true);
      expect(labelOf(container, "stack"), where).toBe(stack);
    }
  });

  it("every container runs a pinned image resource", () => {
    for (const container of containers()) {
      const imageUrn = container.dependsOn.find((urn) => urn.includes(IMAGE));
      expect(imageUrn, container.name).toBeDefined();
      const image = graph().byUrn(imageUrn!)!;
      const ref = String(image.inputs.name);
      expect(ref).toMatch(/(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/);
      expect(ref).not.toMatch(/:latest$/);
      expect(image.inputs.keepLocally).toBe(true);
    }
  });

  it("the private network is internal; egress is joined only by what needs the outside", () => {
    const privateNet = graph().byName("docker:index/network:Network", "private");
    expect(privateNet.inputs.internal).toBe(true);
    const published = graph().byName("docker:index/network:Network", "published");
    expect(published.inputs.options).toEqual({ "com.docker.network.bridge.enable_ip_masquerade": "false" });
    const onEgress = containers()
      .filter((c) => (c.inputs.networksAdvanced as { name: string }[]).some((n) => n.name === `${stack}-egress`))
      .map((c) => labelOf(c, "service"));
    expect(onEgress).toContain("ollama");
    for (const service of ["mongodb", "nsqd", "nsqlookupd", "nsqadmin"]) expect(onEgress).not.toContain(service);
  });

  it("Ollama holds the GPU, in the form the provider reads back (no ignoreChanges hides a diff)", () => {
    const ollama = graph().byName(CONTAINER, "ollama");
    expect(ollama.inputs.gpus).toBe("all");
    // Only Ollama and the GPU metrics exporter (which reads the same device) request a GPU.
    const withGpu = containers().filter((c) => c.inputs.gpus !== undefined).map((c) => labelOf(c, "service"));
    expect(withGpu.sort()).toEqual(["dcgm-exporter", "ollama"]);
    for (const container of containers()) expect(container.ignoreChanges, container.name).toEqual([]);
  });

  it("nsqd keeps its queue on a named volume, protected like the other state", () => {
    const nsqd = graph().byName(CONTAINER, "nsqd");
    expect(nsqd.inputs.command).toContain("--data-path=/data");
    const volume = graph().byName(VOLUME, "nsqd-data");
    expect(nsqd.inputs.volumes).toContainEqual({ volumeName: `${stack}-nsqd-data`, containerPath: "/data", readOnly: false });
    expect(volume.protect).toBe(stack === "production");
    expect(volume.retainOnDelete).toBe(stack === "production");
  });

  it("MongoDB's healthcheck passes only on the final server: through its non-loopback name, auth enforced", () => {
    const mongodb = graph().byName(CONTAINER, "mongodb");
    const test = (mongodb.inputs.healthcheck as { tests: string[] }).tests;
    // The service's name (its hostname and alias), never 127.0.0.1, where the init mongod listens.
    expect(test).toEqual(["CMD", "mongosh", "--quiet", "--norc", "--host", "mongodb", "--port", "27017", "/etc/enrichment/mongodb-health.js"]);
    expect(mongodb.inputs.hostname).toBe("mongodb");
    const uploads = mongodb.inputs.uploads as { file: string; content: string }[];
    const script = uploads.find((u) => u.file === "/etc/enrichment/mongodb-health.js")!.content;
    expect(script).toContain("listDatabases");
    expect(mongodb.inputs.command).toEqual(["--auth", "--bind_ip_all"]);
  });

  it("each model pull waits for a healthy Ollama and re-pulls when its tag changes", () => {
    const pulls = graph().ofType(COMMAND).filter((c) => c.name.startsWith("pull-"));
    expect(pulls.map((p) => p.name).sort()).toEqual(["pull-llama3.2", "pull-mixtral"]);
    const ollama = graph().byName(CONTAINER, "ollama");
    for (const pull of pulls) {
      expect(pull.dependsOn).toContain(ollama.urn);
      expect(ollama.inputs.wait).toBe(true);
      const tag = (pull.inputs.triggers as string[])[0];
      expect(pull.inputs.create).toBe(`docker exec ${stack}-ollama ollama pull ${tag}`);
      expect(pull.inputs.delete).toContain(`ollama rm ${tag}`);
    }
  });

  it("nothing outside the model plane (but the agents that use a model) waits for a pull", () => {
    const pullUrns = new Set(graph().ofType(COMMAND).filter((c) => c.name.startsWith("pull-")).map((c) => c.urn));
    for (const record of graph().records) {
      if (pullUrns.has(record.urn)) continue;
      const agent = record.type === CONTAINER && /-agent(-\d+)?$/.test(String(labelOf(record, "service")));
      if (agent || record.type.startsWith("enrichment:model:") || record.urn.includes("enrichment:model:Ollama$")) continue;
      if (record.type.includes("Agent") || record.urn.includes("Agent$")) continue;
      const waits = [...graph().transitiveDependencies(record.urn)].filter((urn) => pullUrns.has(urn));
      expect(waits, `${record.type} ${record.name} waits for ${waits.join(", ")}`).toEqual([]);
    }
  });

  it("the eight indexes are one reconciled resource per collection, after a healthy MongoDB, with a secret connection", () => {
    const collections = graph().ofType("pulumi-nodejs:dynamic:Resource").filter((r) => r.name.startsWith("mongodb-indexes-"));
    expect(collections.map((c) => c.inputs.collection).sort()).toEqual(["cost_records", "enriched_documents", "ocr_jobs", "review_queue"]);
    const declared = collections.reduce((n, c) => n + Object.keys(c.inputs.indexes as object).length, 0);
    expect(declared).toBe(8);
    const mongodb = graph().byName(CONTAINER, "mongodb");
    for (const collection of collections) {
      expect(collection.dependsOn, collection.name).toContain(mongodb.urn);
      expect(collection.secretPaths, collection.name).toContain("connectionUri");
      expect(String(collection.inputs.__provider)).toMatch(/^\[serialized dynamic provider/);
    }
  });

  it("the services that use the database wait for its indexes", () => {
    const indexUrns = graph().ofType("pulumi-nodejs:dynamic:Resource").map((r) => r.urn);
    for (const service of ["enrichment-coordinator", "enrichment-worker-1", "review-api", "cost-api"]) {
      const container = graph().byName(CONTAINER, service);
      const waits = graph().transitiveDependencies(container.urn);
      for (const urn of indexUrns) expect(waits.has(urn), `${service} waits for ${urn}`).toBe(true);
    }
  });

  it("the NSQ topic is created once nsqd is healthy", () => {
    const topic = graph().byName(COMMAND, "topic-enrichment");
    expect(topic.dependsOn).toContain(graph().byName(CONTAINER, "nsqd").urn);
    expect(topic.inputs.create).toContain("/topic/create?topic=enrichment");
    expect(topic.inputs.delete).toBeUndefined();
  });

  it("nsqd is wired to nsqlookupd as the spec says", () => {
    const nsqd = graph().byName(CONTAINER, "nsqd");
    expect(nsqd.inputs.command).toEqual(expect.arrayContaining(["--lookupd-tcp-address=nsqlookupd:4160", "--broadcast-address=nsqd"]));
  });

  it("MongoDB runs with auth and gets its passwords as secret files", () => {
    const mongodb = graph().byName(CONTAINER, "mongodb");
    expect(mongodb.inputs.command).toContain("--auth");
    expect(mongodb.inputs.envs).toContain("MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/mongodb-root-password");
    const uploads = mongodb.inputs.uploads as { file: string; content: string }[];
    for (const file of ["/run/secrets/mongodb-root-password", "/run/secrets/mongodb-app-password"]) {
      const index = uploads.findIndex((u) => u.file === file);
      expect(index, file).toBeGreaterThanOrEqual(0);
      expect(mongodb.secretPaths).toContain(`uploads.${index}.content`);
    }
    expect(JSON.stringify(mongodb.inputs.envs)).not.toMatch(/PASSWORD=/);
  });

  it("no generated secret appears in any plain input", () => {
    // The mocks derive each password from its name; search for every one of them in clear.
    const clear = GENERATED_SECRETS.map((s) => createHash("sha256").update(`password:${s.name}`).digest("hex").slice(0, 24));
    const everything = JSON.stringify(graph().records.map((r) => r.inputs));
    for (const value of clear) expect(everything).not.toContain(value);
    for (const password of graph().ofType("random:index/randomPassword:RandomPassword")) {
      expect(password.inputs.length).toBeGreaterThanOrEqual(32);
      expect(password.additionalSecretOutputs).toContain("result");
    }
  });

  it("the edge certificate is RSA 4096, valid 730 days, renewed early, with the configured SANs", () => {
    const key = graph().byName("tls:index/privateKey:PrivateKey", "edge-key");
    expect(key.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 4096 });
    const cert = graph().byName("tls:index/locallySignedCert:LocallySignedCert", "edge-cert");
    expect(cert.inputs.validityPeriodHours).toBe(730 * 24);
    expect(cert.inputs.earlyRenewalHours).toBeGreaterThan(0);
    expect(cert.secretPaths).toContain("caPrivateKeyPem");
    const csr = graph().byName("tls:index/certRequest:CertRequest", "edge-csr");
    expect((csr.inputs.dnsNames as string[]).length).toBeGreaterThan(0);
    expect(csr.secretPaths).toContain("privateKeyPem");
  });

  it("stack outputs: endpoints, CA certificate, network name; secrets only as secrets", () => {
    const { outputs } = stacks[stack].evaluation;
    expect(outputs.networkName).toBe(`${stack}-private`);
    expect(String(outputs.caCertificate)).toContain("BEGIN CERTIFICATE");
    expect(outputs.endpoints).toMatchObject({ mongodb: "mongodb:27017", ollama: "http://ollama:11434" });
    expect(outputs.mongodbConnectionUri).toBe("[secret]");
    expect(outputs.grafanaAdminPassword).toBe("[secret]");
  });

  it("stack outputs `npm run verify` reads: the name prefix, every container the stack deploys, the reconciler's MongoDB URI as a secret", () => {
    const { outputs, records } = stacks[stack].evaluation;
    expect(outputs.namePrefix).toBe(stack);
    const containers = records.filter((r) => r.type === "docker:index/container:Container").map((r) => String(r.inputs.name));
    expect(containers.length).toBeGreaterThan(20);
    expect([...(outputs.containers as string[])].sort()).toEqual([...containers].sort());
    expect(outputs.mongodbAdminUri).toBe("[secret]");
  });
});

describe("a CPU-only stack (ollama.gpus: none)", () => {
  let graph: Graph;
  beforeAll(async () => {
    graph = new Graph((await synthesize({ stack: "staging", overrides: { ollama: { gpus: "none" } } })).records);
  });

  it("requests no GPU anywhere (no gpus input at all) and runs no DCGM exporter", () => {
    const containers = graph.ofType(CONTAINER);
    for (const container of containers) expect("gpus" in container.inputs, container.name).toBe(false);
    expect(containers.map((c) => labelOf(c, "service"))).not.toContain("dcgm-exporter");
    expect(containers.map((c) => labelOf(c, "service"))).toContain("ollama");
  });

  it("keeps the GPU rules out (nothing would feed them)", () => {
    const prometheus = graph.byName(CONTAINER, "prometheus");
    const files = (prometheus.inputs.uploads as { file: string }[]).map((u) => u.file);
    expect(files.some((f) => /gpu/i.test(f))).toBe(false);
  });
});

describe("staging and production differ as configured", () => {
  it("stateful volumes are protected and retained only in production", () => {
    // The backup component's metrics volume holds no state: it is rebuilt from the archives at
    // every start (planes/backup/index.ts), so it is the one volume left unprotected.
    const REBUILT = ["mongodb-backup-metrics", "postgres-backup-metrics"];
    for (const volume of stacks.production.graph.ofType(VOLUME)) {
      if (REBUILT.includes(volume.name)) continue;
      expect(volume.protect, volume.name).toBe(true);
      expect(volume.retainOnDelete, volume.name).toBe(true);
    }
    for (const volume of stacks.staging.graph.ofType(VOLUME)) expect(volume.protect, volume.name).toBe(false);
    const names = stacks.production.graph.ofType(VOLUME).map((v) => v.name);
    expect(names).toEqual(
      expect.arrayContaining(["mongodb-data", "mongodb-configdb", "ollama-models", "nsqd-data", "prometheus-data", "alertmanager-data", "grafana-data"]),
    );
  });

  it("MongoDB, NSQ and Ollama publish nothing beyond 127.0.0.1 in production", () => {
    for (const container of stacks.production.graph.ofType(CONTAINER)) {
      if (!["mongodb", "nsqlookupd", "nsqd", "nsqadmin", "ollama"].includes(String(labelOf(container, "service")))) continue;
      for (const port of (container.inputs.ports ?? []) as { ip: string }[]) expect(port.ip, container.name).toMatch(/^127\./);
    }
  });

  it("sizes differ where the stack files say so", () => {
    const memory = (stack: string, name: string) => stacks[stack].graph.byName(CONTAINER, name).inputs.memory as number;
    expect(memory("production", "mongodb")).toBe(4096);
    expect(memory("staging", "mongodb")).toBe(1024);
    expect(memory("production", "ollama")).toBeGreaterThan(memory("staging", "ollama"));
  });

  it("names are prefixed per stack so two stacks never share a container, volume or network", () => {
    const names = (stack: string) =>
      stacks[stack].graph.records.filter((r) => [CONTAINER, VOLUME, "docker:index/network:Network"].includes(r.type)).map((r) => String(r.inputs.name));
    const staging = new Set(names("staging"));
    for (const name of names("production")) expect(staging.has(name), name).toBe(false);
  });
});
