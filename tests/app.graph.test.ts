// The application plane of each committed stack, evaluated under Pulumi's mock runtime: the
// agents the catalog describes and what each waits for, the coordinator and workers, exposure,
// secrets as files, feature flags, release labels, and the edge's generated nginx.conf (nginx -t).
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { AGENT_CATALOG } from "../facts/agents";
import { EDGE_CONFIG_PATH, EDGE_CONTAINER_PATHS } from "../planes/edge/edgeConfig";
import { FEATURE_FLAGS, FEATURE_NAMES, featureEnv } from "../facts/features";
import { readStackFile } from "../config/stackFile";
import { Evaluation, Graph, labelOf, ResourceRecord, synthesize } from "../synth";
import { makePrefix, nginxTest, retarget } from "./fixtures/app/nginx";
import { itWithTools } from "./tools";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const COMMAND = "command:local:Command";
const APP_GROUPS = ["mcp", "enrichment", "api", "edge"];

type Upload = { file: string; content?: string };
const envOf = (record: ResourceRecord): Record<string, string> =>
  Object.fromEntries((record.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const uploads = (record: ResourceRecord) => record.inputs.uploads as Upload[];
const networks = (record: ResourceRecord) => (record.inputs.networksAdvanced as { name: string }[]).map((n) => n.name);
/** The service a container stands for in catalogs: its agent, the worker pool, or itself. */
const serviceKey = (record: ResourceRecord) => labelOf(record, "agent") ?? labelOf(record, "pool") ?? labelOf(record, "service")!;

const stacks: Record<string, { evaluation: Evaluation; graph: Graph; values: Record<string, any> }> = {};

beforeAll(async () => {
  const names = ["staging", "production"] as const;
  const evaluations = await Promise.all(names.map((stack) => synthesize({ stack })));
  names.forEach((stack, i) => {
    const values = readStackFile(path.resolve(__dirname, "..", `Pulumi.${stack}.yaml`)).raw.values as Record<string, any>;
    stacks[stack] = { evaluation: evaluations[i], graph: new Graph(evaluations[i].records), values };
  });
});

describe.each(["staging", "production"])("%s application plane", (stack) => {
  const graph = () => stacks[stack].graph;
  const values = () => stacks[stack].values;
  const containers = () => graph().ofType(CONTAINER);
  const appContainers = () => containers().filter((c) => APP_GROUPS.includes(labelOf(c, "group")!));
  const container = (name: string) => graph().byName(CONTAINER, name);
  const pulls = () => graph().ofType(COMMAND).filter((c) => c.name.startsWith("pull-"));

  it("has every service of the plane, and URNs are unique", () => {
    const services = appContainers().map((c) => labelOf(c, "service"));
    for (const service of ["mcp-server", "enrichment-coordinator", "review-api", "cost-api", "edge"]) expect(services).toContain(service);
    const urns = graph().records.map((r) => r.urn);
    expect(new Set(urns).size).toBe(urns.length);
  });

  it("the agent catalog yields exactly the containers it describes", () => {
    const agents = appContainers().filter((c) => labelOf(c, "agent"));
    expect(agents.map((c) => c.name).sort()).toEqual(AGENT_CATALOG.map((a) => a.name).sort());
    const models = values().release.models as Record<string, string>;
    for (const entry of AGENT_CATALOG) {
      const agent = container(entry.name);
      const env = envOf(agent);
      expect(env.AGENT_NAME).toBe(entry.name);
      expect(env.MODEL_BACKEND).toBe(entry.backend);
      expect(env.MODEL).toBe(entry.backend === "ollama" ? models[entry.model] : entry.model);
      expect(env.FALLBACK_MODEL).toBe(entry.fallbackModel ? models[entry.fallbackModel] : undefined);
      expect(labelOf(agent, "group")).toBe("mcp");
      const image = agent.dependsOn.map((urn) => graph().byUrn(urn)!).find((r) => r.type === IMAGE && r.name === `${entry.name}-image`);
      expect(image?.inputs.name).toBe(values().release.images[entry.name]);
    }
  });

  it("every agent waits for the healthy MCP server and its own model pulls, not another model's", () => {
    const mcp = container("mcp-server");
    for (const entry of AGENT_CATALOG) {
      const agent = container(entry.name);
      expect(agent.dependsOn, entry.name).toContain(mcp.urn);
      const waited = graph().transitiveDependencies(agent.urn);
      const own = entry.backend === "ollama" ? [entry.model, ...(entry.fallbackModel ? [entry.fallbackModel] : [])] : [];
      const waitedPulls = pulls().filter((p) => waited.has(p.urn)).map((p) => p.name.replace(/^pull-/, ""));
      expect(waitedPulls.sort(), entry.name).toEqual(own.sort());
      // Nothing else of the plane: not another agent, the coordinator, a worker or an API.
      const others = appContainers().filter((c) => c.urn !== agent.urn && c.urn !== mcp.urn);
      for (const other of others) expect(waited.has(other.urn), `${entry.name} waits for ${other.name}`).toBe(false);
    }
  });

  it("every agent gets the MCP server's address and the JWT secret as a file", () => {
    for (const entry of AGENT_CATALOG) {
      const agent = container(entry.name);
      const env = envOf(agent);
      expect(env.MCP_SERVER_URL).toBe("http://mcp-server:3000");
      expect(env.MCP_JWT_SECRET_FILE).toBe("/run/secrets/mcp-jwt-secret");
      const index = uploads(agent).findIndex((u) => u.file === "/run/secrets/mcp-jwt-secret");
      expect(agent.secretPaths, entry.name).toContain(`uploads.${index}.content`);
    }
  });

  it("context-agent: the Anthropic key as a secret file, no Ollama, the only agent with a route out", () => {
    const context = container("context-agent");
    const env = envOf(context);
    expect(env.ANTHROPIC_API_KEY_FILE).toBe("/run/secrets/anthropic-api-key");
    expect(env.OLLAMA_URL).toBeUndefined();
    const index = uploads(context).findIndex((u) => u.file === "/run/secrets/anthropic-api-key");
    expect(context.secretPaths).toContain(`uploads.${index}.content`);
    const agentsOnEgress = appContainers()
      .filter((c) => labelOf(c, "agent") && networks(c).includes(`${stack}-egress`))
      .map((c) => c.name);
    expect(agentsOnEgress).toEqual(["context-agent"]);
    for (const entry of AGENT_CATALOG.filter((a) => a.backend === "ollama")) {
      expect(envOf(container(entry.name)).OLLAMA_URL).toBe("http://ollama:11434");
      expect(uploads(container(entry.name)).map((u) => u.file)).not.toContain("/run/secrets/anthropic-api-key");
    }
  });

  it("the coordinator is wired to NSQ, MongoDB and the MCP server, waits for them, and joins the OCR network", () => {
    const coordinator = container("enrichment-coordinator");
    const env = envOf(coordinator);
    expect(env).toMatchObject({
      PORT: "8001",
      NSQD_TCP_ADDRESS: "nsqd:4150",
      NSQLOOKUPD_HTTP_ADDRESS: "nsqlookupd:4161",
      NSQ_TOPIC: "enrichment",
      MONGODB_URI_FILE: "/run/secrets/mongodb-uri",
      MCP_SERVER_URL: "http://mcp-server:3000",
      MCP_JWT_SECRET_FILE: "/run/secrets/mcp-jwt-secret",
    });
    for (const name of ["mongodb", "mcp-server"]) expect(coordinator.dependsOn).toContain(container(name).urn);
    expect(coordinator.dependsOn).toContain(graph().byName(COMMAND, "topic-enrichment").urn);
    expect(networks(coordinator)).toContain(values().network.externalNetwork);
  });

  it("workers: one container each with a stable name, one shared image, wired like the coordinator and after it", () => {
    const replicas = values().workers.replicas as number;
    const workers = appContainers().filter((c) => labelOf(c, "pool") === "enrichment-worker");
    expect(workers.map((w) => w.name)).toEqual(Array.from({ length: replicas }, (_, i) => `enrichment-worker-${i + 1}`));
    const workerImages = graph().ofType(IMAGE).filter((i) => i.name.startsWith("enrichment-worker"));
    expect(workerImages.map((i) => i.name)).toEqual(["enrichment-worker-image"]);
    expect(workerImages[0].inputs.name).toBe(values().release.images["enrichment-worker"]);
    for (const worker of workers) {
      const env = envOf(worker);
      expect(env).toMatchObject({ PORT: "8002", WORKER_ID: worker.name, COORDINATOR_URL: "http://enrichment-coordinator:8001", NSQ_TOPIC: "enrichment" });
      expect(worker.dependsOn).toContain(workerImages[0].urn);
      expect(worker.dependsOn).toContain(container("enrichment-coordinator").urn);
      expect(worker.inputs.name).toBe(`${stack}-${worker.name}`);
      expect(networks(worker)).not.toContain(values().network.externalNetwork);
    }
  });

  it("the APIs read MongoDB through a secret file and join the OCR network", () => {
    for (const [name, port] of [["review-api", "5001"], ["cost-api", "5002"]]) {
      const api = container(name);
      expect(envOf(api)).toMatchObject({ PORT: port, MONGODB_URI_FILE: "/run/secrets/mongodb-uri", MONGODB_DATABASE: "enrichment" });
      expect(api.dependsOn).toContain(container("mongodb").urn);
      expect(networks(api)).toContain(values().network.externalNetwork);
      expect(api.inputs.ports).toEqual([]);
    }
  });

  it("only the edge publishes beyond loopback; nothing publishes unless the stack file lists it", () => {
    const publishing = containers().filter((c) => (c.inputs.ports as unknown[]).length > 0);
    const listed = new Set(Object.keys(values().exposure.publish).map((service) => (service === "edge-http" ? "edge" : service)));
    expect(publishing.map((c) => c.name).sort()).toEqual([...listed].sort());
    // The committed stacks publish the edge, MongoDB for the index reconciler, (staging)
    // Prometheus for promotion, and the ingestion plane's MCP server and PostgreSQL on loopback
    // (docs/ingestion.md); nothing else.
    for (const name of listed) expect(["edge", "mongodb", "prometheus", "ingestion-mcp-server", "postgres"]).toContain(name);
    for (const c of publishing) {
      for (const p of c.inputs.ports as { ip: string }[]) if (!p.ip.startsWith("127.")) expect(c.name).toBe("edge");
    }
    const edgePublish = values().exposure.publish.edge;
    expect(container("edge").inputs.ports).toEqual([
      { internal: 8443, external: edgePublish.port, ip: edgePublish.address ?? values().exposure.bindAddress, protocol: "tcp" },
    ]);
    // Published without a route out: the published network, not egress.
    expect(networks(container("edge"))).toEqual([`${stack}-private`, `${stack}-published`]);
  });

  it("secrets arrive only as secret files: every /run/secrets upload is secret, no environment value is", () => {
    const expected: Record<string, string[]> = {
      "mcp-server": ["mcp-jwt-secret"],
      "enrichment-coordinator": ["mcp-jwt-secret", "mongodb-uri"],
      "enrichment-worker-1": ["mcp-jwt-secret", "mongodb-uri"],
      "review-api": ["mongodb-uri"],
      "cost-api": ["mongodb-uri"],
      "context-agent": ["anthropic-api-key", "mcp-jwt-secret"],
      "metadata-agent": ["mcp-jwt-secret"],
      edge: ["edge-tls-key.pem"],
    };
    for (const [name, secrets] of Object.entries(expected)) {
      const c = container(name);
      const secretFiles = uploads(c).filter((u) => u.file.startsWith("/run/secrets/"));
      expect(secretFiles.map((u) => path.basename(u.file)).sort(), name).toEqual(secrets);
    }
    for (const c of appContainers()) {
      uploads(c).forEach((u, i) => {
        expect(c.secretPaths.includes(`uploads.${i}.content`), `${c.name} ${u.file}`).toBe(u.file.startsWith("/run/secrets/"));
      });
      expect(c.secretPaths.filter((p) => p.startsWith("envs")), c.name).toEqual([]);
    }
  });

  it("feature flags reach exactly the services that read them, with the stack's values", () => {
    const stackFlags = values().features as Record<string, boolean>;
    for (const c of appContainers()) {
      const flags = Object.fromEntries(Object.entries(envOf(c)).filter(([key]) => key.startsWith("ENABLE_")));
      expect(flags, c.name).toEqual(featureEnv(serviceKey(c), stackFlags));
    }
    for (const name of FEATURE_NAMES) {
      const readers = new Set(appContainers().filter((c) => name in envOf(c)).map(serviceKey));
      expect([...readers].sort(), name).toEqual([...FEATURE_FLAGS[name].readBy].sort());
      for (const c of appContainers().filter((c) => name in envOf(c))) expect(envOf(c)[name]).toBe(String(stackFlags[name] ?? FEATURE_FLAGS[name].default));
    }
  });

  it("the platform's own containers carry the release they run and the stable track", () => {
    for (const c of appContainers().filter((c) => c.name !== "edge")) {
      expect(labelOf(c, "release"), c.name).toBe(values().release.version);
      expect(labelOf(c, "track"), c.name).toBe("stable");
    }
  });

  it("the endpoints people use go through the edge", () => {
    const outputs = stacks[stack].evaluation.outputs.endpoints as Record<string, string>;
    const port = values().exposure.publish.edge.port as number;
    const suffix = port === 443 ? "" : `:${port}`;
    const dnsNames = values().tls.dnsNames as string[];
    for (const [service, route] of [["review-api", "review"], ["cost-api", "cost"], ["grafana", "grafana"]]) {
      const host = dnsNames.find((d) => d.startsWith(`${route}.`));
      expect(outputs[service]).toBe(`https://${host}${suffix}`);
    }
    expect(outputs["mcp-server"]).toBe("http://mcp-server:3000");
  });

  describe("the edge's nginx.conf", () => {
    const edge = () => container("edge");
    const config = () => uploads(edge()).find((u) => u.file === EDGE_CONFIG_PATH)!.content!;

    it("is uploaded with the certificate chain; the key is a secret file", () => {
      const files = uploads(edge()).map((u) => u.file);
      expect(files).toEqual(expect.arrayContaining([EDGE_CONFIG_PATH, EDGE_CONTAINER_PATHS.certificate, EDGE_CONTAINER_PATHS.certificateKey]));
      const keyIndex = files.indexOf(EDGE_CONTAINER_PATHS.certificateKey);
      expect(edge().secretPaths).toEqual([`uploads.${keyIndex}.content`]);
      expect(uploads(edge())[files.indexOf(EDGE_CONTAINER_PATHS.certificate)].content).toContain("BEGIN CERTIFICATE");
    });

    it("serves the stack's host names, origins and rate", () => {
      const text = config();
      for (const name of values().tls.dnsNames as string[]) expect(text).toMatch(new RegExp(`server_name ${name.replace(/\./g, "\\.")};`));
      for (const origin of values().cors.allowedOrigins as string[]) expect(text).toContain(`"${origin}" $http_origin;`);
      expect(text).toContain(`rate=${values().rateLimit.requestsPerSecond}r/s;`);
      expect(text).toContain(`burst=${values().rateLimit.burst} nodelay;`);
    });

    itWithTools(["nginx", "openssl"], "passes nginx -t (container paths replaced by a test prefix and a throwaway certificate)", () => {
      const prefix = makePrefix();
      try {
        const result = nginxTest(retarget(config(), prefix.paths), prefix);
        expect(result.output).toContain("syntax is ok");
        expect(result.output).toContain("test is successful");
        expect(result.status).toBe(0);
      } finally {
        fs.rmSync(prefix.dir, { recursive: true, force: true });
      }
    });
  });
});
