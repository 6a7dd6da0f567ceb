// The monitoring plane of each stack's synthesized graph: the files the containers receive pass
// promtool and amtool (in-container rule paths mapped to the synth folder), secrets are files,
// state is protected in production, and every service that exposes metrics is scraped.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itWithTools } from "./tools";
import { Evaluation, Graph, labelOf, ResourceRecord, synthesize } from "../synth";
import { uploadedFiles } from "../synth/write";
import { ALERTMANAGER_CONFIG_PATH, GRAFANA_PATHS, PROMETHEUS_PATHS } from "../facts/monitoringFiles";
import { mapRulePaths, removeTempDirs, run, tempDir, TOOLS, writeTree } from "./fixtures/monitoring/tools";

afterAll(removeTempDirs);

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const MONITORING = "enrichment:monitoring:Monitoring";
const STACKS = ["staging", "production"] as const;

const stacks = {} as Record<(typeof STACKS)[number], { evaluation: Evaluation; graph: Graph; dir: string; files: Record<string, Record<string, string>> }>;

beforeAll(async () => {
  const evaluations = await Promise.all(STACKS.map((stack) => synthesize({ stack })));
  evaluations.forEach((evaluation, index) => {
    const stack = STACKS[index]!;
    // Exactly what `npm run synth` writes to .synth/<stack>/files/<container>/<path>.
    const dir = tempDir(`synth-${stack}`);
    const files: Record<string, Record<string, string>> = {};
    for (const upload of uploadedFiles(evaluation.records)) {
      (files[upload.resource] ??= {})[upload.file] = upload.content;
      writeTree(path.join(dir, upload.resource), { [upload.file]: upload.content });
    }
    stacks[stack] = { evaluation, graph: new Graph(evaluation.records), dir, files };
  });
}, 180_000);

const inputs = (record: ResourceRecord) => record.inputs as Record<string, any>;

describe.each(STACKS)("%s monitoring plane", (stack) => {
  const s = () => stacks[stack];
  const monitoringContainers = () => {
    const component = s().graph.ofType(MONITORING);
    expect(component).toHaveLength(1);
    const below = new Set(s().graph.descendants(component[0]!.urn));
    return s().graph.ofType(CONTAINER).filter((c) => below.has(c.urn));
  };
  const container = (name: string) => s().graph.byName(CONTAINER, name);

  itWithTools(["promtool"], "synthesized prometheus.yml passes promtool check config, rule paths mapped to the synth folder", async () => {
    const result = await run(TOOLS.promtool, ["check", "config", mapRulePaths(path.join(s().dir, "prometheus"))]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The thirteen areas (the GPU's included: both stacks have one) and the ingestion plane's.
    expect(result.stdout).toContain("SUCCESS: 14 rule files found");
    expect(result.stdout).toMatch(/SUCCESS: .*is valid prometheus config file syntax/);
  });

  itWithTools(["promtool"], "synthesized rule files pass promtool check rules", async () => {
    const rulesDir = path.join(s().dir, "prometheus", PROMETHEUS_PATHS.rules);
    const files = fs.readdirSync(rulesDir).map((f) => path.join(rulesDir, f));
    expect(files.length).toBe(14);
    expect(files.map((f) => path.basename(f))).toContain("ingestion.rules.yml");
    const result = await run(TOOLS.promtool, ["check", "rules", ...files]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  itWithTools(["amtool"], "synthesized alertmanager.yml passes amtool check-config and names only uploaded secret files", async () => {
    const file = path.join(s().dir, "alertmanager", ALERTMANAGER_CONFIG_PATH);
    const result = await run(TOOLS.amtool, ["check-config", file]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.toContain("[secret");
    const referenced = [...text.matchAll(/_file: (\S+)/g)].map((m) => m[1]).sort();
    const uploads = inputs(container("alertmanager")).uploads as { file: string; content: string }[];
    const secretUploads = uploads.filter((u) => u.file.startsWith("/run/secrets/"));
    expect([...new Set(referenced)]).toEqual(secretUploads.map((u) => u.file).sort());
    for (const upload of secretUploads) expect(upload.content).toBe("[secret]");
    expect(secretUploads.map((u) => path.basename(u.file)).sort()).toEqual(
      stack === "production" ? ["dead-mans-switch-url", "pagerduty-routing-key", "slack-webhook-url", "smtp-password"] : ["slack-webhook-url"],
    );
  });

  it("Grafana gets the datasource, the provider, the five dashboards and the ingestion plane's, and its admin password as a secret file", () => {
    const grafana = s().files.grafana!;
    const dashboards = Object.keys(grafana).filter((f) => f.startsWith(`${GRAFANA_PATHS.dashboards}/`));
    expect(dashboards).toHaveLength(6);
    expect(dashboards).toContain(`${GRAFANA_PATHS.dashboards}/web-ingestion.json`);
    for (const file of dashboards) expect(JSON.parse(grafana[file]!).time.from).toBe("now-24h");
    expect(YAML.parse(grafana[GRAFANA_PATHS.datasources]!).datasources[0].url).toBe("http://prometheus:9090");
    expect(grafana[GRAFANA_PATHS.adminPassword]).toBe("[secret]");
    expect(inputs(container("grafana")).envs).toContain(`GF_SECURITY_ADMIN_PASSWORD__FILE=${GRAFANA_PATHS.adminPassword}`);
  });

  it("keeps Prometheus, Alertmanager and Grafana data on volumes, protected in production", () => {
    for (const name of ["prometheus-data", "alertmanager-data", "grafana-data"]) {
      const volume = s().graph.byName(VOLUME, name);
      expect(volume.protect, name).toBe(stack === "production");
      expect(volume.retainOnDelete, name).toBe(stack === "production");
    }
    const mounts = (name: string) => (inputs(container(name)).volumes as { volumeName: string; containerPath: string }[]).map((v) => `${v.volumeName}:${v.containerPath}`);
    expect(mounts("prometheus")).toEqual([`${stack}-prometheus-data:/prometheus`]);
    expect(mounts("grafana")).toEqual([`${stack}-grafana-data:/var/lib/grafana`]);
    // Silences and the notification log survive a replacement (the image declares VOLUME /alertmanager).
    expect(mounts("alertmanager")).toEqual([`${stack}-alertmanager-data:/alertmanager`]);
    expect(inputs(container("alertmanager")).command).toContain("--storage.path=/alertmanager");
    expect(inputs(container("prometheus")).command).toContain(`--storage.tsdb.retention.time=${stack === "production" ? 30 : 15}d`);
  });

  it("only Alertmanager reaches the outside; every monitoring container is a hardened ServiceContainer", () => {
    const containers = monitoringContainers();
    expect(containers.map((c) => c.name).sort()).toEqual(
      ["alertmanager", "blackbox-exporter", "cadvisor", "dcgm-exporter", "grafana", "mongodb-exporter", "node-exporter", "nsq-exporter", "prometheus"],
    );
    for (const c of containers) {
      const networks = (inputs(c).networksAdvanced as { name: string }[]).map((n) => n.name);
      expect(networks.includes(`${stack}-egress`), c.name).toBe(c.name === "alertmanager");
      expect(labelOf(c, "group"), c.name).toBe("monitoring");
      expect(inputs(c).healthcheck.tests.length, c.name).toBeGreaterThan(1);
    }
    expect(inputs(container("dcgm-exporter")).gpus).toBe("all");
    // The exporter's MongoDB URI carries the password: a secret file read by a wrapper, never
    // an environment value that `docker inspect` shows.
    const exporter = container("mongodb-exporter");
    expect(inputs(exporter).envs).toEqual([]);
    expect(JSON.stringify(inputs(exporter).entrypoints)).toContain("$(cat /run/secrets/mongodb-exporter-uri)");
    const uploads = inputs(exporter).uploads as { file: string; content: string }[];
    const uri = uploads.findIndex((u) => u.file === "/run/secrets/mongodb-exporter-uri");
    expect(exporter.secretPaths).toContain(`uploads.${uri}.content`);
    // It starts once MongoDB is healthy (its healthcheck needs mongodb_up 1).
    expect(exporter.dependsOn).toContain(s().graph.byName(CONTAINER, "mongodb").urn);
    // And the NSQ exporter once nsqd is (its healthcheck needs nsqd's stats; the e2e saw it time
    // out when nsqd came up late).
    expect(container("nsq-exporter").dependsOn).toContain(s().graph.byName(CONTAINER, "nsqd").urn);
    expect(container("nsq-exporter").dependsOn).not.toContain(s().graph.byName(CONTAINER, "mongodb").urn);
  });

  it("node-exporter reads the host's udev database; cAdvisor and node-exporter run unprivileged, with no devices", () => {
    expect(inputs(container("node-exporter")).command).toContain("--path.udev.data=/host/run/udev/data");
    expect(inputs(container("node-exporter")).volumes).toContainEqual({ hostPath: "/", containerPath: "/host", readOnly: true });
    for (const name of ["cadvisor", "node-exporter"]) {
      expect(inputs(container(name)).privileged, name).toBeUndefined();
      expect(inputs(container(name)).devices, name).toBeUndefined();
    }
  });

  it("Prometheus, Alertmanager and Grafana never wait on an exporter (an optional one must not hold back monitoring)", () => {
    const exporters = new Set(monitoringContainers().filter((c) => c.name.endsWith("-exporter") || c.name === "cadvisor").map((c) => c.urn));
    expect(exporters.size).toBeGreaterThanOrEqual(5);
    for (const core of ["prometheus", "alertmanager", "grafana"]) {
      const waits = [...s().graph.transitiveDependencies(container(core).urn)].filter((urn) => exporters.has(urn));
      expect(waits, `${core} waits for ${waits.join(", ")}`).toEqual([]);
    }
  });

  it("scrapes every service that exposes metrics and probes the ones that do not", () => {
    const config = YAML.parse(s().files.prometheus![PROMETHEUS_PATHS.config]!);
    const scraped = new Set<string>();
    const services = new Set<string>();
    for (const job of config.scrape_configs) {
      for (const sc of job.static_configs ?? []) {
        services.add(sc.labels?.service);
        for (const target of sc.targets) scraped.add(job.metrics_path === "/probe" ? new URL(target).hostname : target.split(":")[0]);
      }
      // A pool found by DNS: every container answering one of its names is scraped.
      for (const sd of job.dns_sd_configs ?? []) for (const name of sd.names) scraped.add(name);
    }
    const app = s().graph.ofType(CONTAINER).filter((c) => ["mcp", "enrichment", "api"].includes(labelOf(c, "group") ?? ""));
    expect(app.length).toBeGreaterThanOrEqual(9);
    const privateAliases = (c: ResourceRecord) => ((inputs(c).networksAdvanced as { aliases?: string[] }[] | undefined)?.[0]?.aliases ?? []);
    for (const c of app) expect([inputs(c).hostname, ...privateAliases(c)].some((name) => scraped.has(name)), `${c.name} is not scraped`).toBe(true);
    // What exposes no metrics: exporters for MongoDB and NSQ, probes for Ollama, MCP and the edge.
    for (const service of ["mongodb", "nsqd", "ollama", "mcp-server", "edge"]) expect(services.has(service), service).toBe(true);
    expect(scraped.has("ollama") && scraped.has("edge")).toBe(true);
  });
});
