// prometheus.yml and the blackbox modules as pure functions: promtool accepts them, and they follow
// the input (services, probes, GPU, MongoDB, intervals).
import * as YAML from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { itWithTools } from "./tools";
import { MonitoringSchema } from "../config/monitoring";
import { PROMETHEUS_PATHS } from "../facts/monitoringFiles";
import { renderMonitoringFiles } from "../planes/monitoring/monitoring";
import { probeScrapeConfigs, renderPrometheusConfig, serviceScrapeConfig } from "../planes/monitoring/prometheus";
import { defaultFilesInput, mapRulePaths, removeTempDirs, run, tempDir, TOOLS, writeTree } from "./fixtures/monitoring/tools";

afterAll(removeTempDirs);

/** Lays the Prometheus container's files out under a temp dir; returns the config with rule paths mapped. */
function writePrometheus(files: Record<string, string>): string {
  const dir = tempDir("prometheus-config");
  writeTree(dir, files);
  return mapRulePaths(dir);
}

const jobsOf = (files: Record<string, string>) => YAML.parse(files[PROMETHEUS_PATHS.config]!).scrape_configs as any[];

describe("prometheus.yml", () => {
  const files = renderMonitoringFiles(defaultFilesInput());

  itWithTools(["promtool"], "passes promtool check config (rule files included)", async () => {
    const result = await run(TOOLS.promtool, ["check", "config", writePrometheus(files.prometheus)]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: .* is valid prometheus config file syntax/);
    expect(result.stdout.match(/SUCCESS: \d+ rules found/g)?.length).toBe(files.ruleGroups.length);
  });

  itWithTools(["promtool"], "promtool rejects a config whose rule file is missing (the check can fail)", async () => {
    const broken = { ...files.prometheus };
    delete broken[`${PROMETHEUS_PATHS.rules}/cost.rules.yml`];
    const result = await run(TOOLS.promtool, ["check", "config", writePrometheus(broken)]);
    expect(result.code).not.toBe(0);
  });

  it("scrapes every 15 s, evaluates every 15 s, labels alerts with the stack, sends them to Alertmanager", () => {
    const config = YAML.parse(files.prometheus[PROMETHEUS_PATHS.config]!);
    expect(config.global).toMatchObject({ scrape_interval: "15s", evaluation_interval: "15s", external_labels: { stack: "test", environment: "staging" } });
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager:9093"]);
    expect(config.rule_files).toEqual(files.ruleGroups.map((g) => `${PROMETHEUS_PATHS.rules}/${g.fileName}`));
    const custom = renderMonitoringFiles(defaultFilesInput({ settings: MonitoringSchema.parse({ scrapeInterval: "30s", evaluationInterval: "1m" }) }));
    expect(YAML.parse(custom.prometheus[PROMETHEUS_PATHS.config]!).global).toMatchObject({ scrape_interval: "30s", evaluation_interval: "1m" });
  });

  it("scrapes the services it is given, keeping their own service label, with per-target labels", () => {
    const jobs = jobsOf(files.prometheus);
    const agents = jobs.find((j) => j.job_name === "agents");
    expect(agents.honor_labels).toBe(true);
    expect(agents.static_configs).toEqual([
      { targets: ["metadata-agent:8080"], labels: { service: "metadata-agent" } },
      { targets: ["context-agent:8080"], labels: { service: "context-agent" } },
    ]);
    // The worker pool is found by DNS: scaling it changes nothing here.
    const workers = jobs.find((j) => j.job_name === "enrichment-worker");
    expect(workers.static_configs).toBeUndefined();
    expect(workers.dns_sd_configs).toEqual([{ names: ["enrichment-worker"], type: "A", port: 8002, refresh_interval: "15s" }]);
    expect(workers.relabel_configs).toEqual([{ target_label: "service", replacement: "enrichment-worker" }]);
    for (const job of ["prometheus", "alertmanager", "grafana", "nsq-exporter", "blackbox-exporter", "cadvisor", "node-exporter"]) {
      expect(jobs.some((j) => j.job_name === job), job).toBe(true);
    }
  });

  it("runs the MongoDB exporter only with a URI and the DCGM exporter (and GPU rules) only with a GPU", () => {
    const withAll = jobsOf(files.prometheus).map((j) => j.job_name);
    expect(withAll).toContain("mongodb-exporter");
    expect(withAll).toContain("dcgm-exporter");
    const bare = renderMonitoringFiles(defaultFilesInput({ gpu: false, mongodbExporter: false }));
    const jobs = jobsOf(bare.prometheus).map((j) => j.job_name);
    expect(jobs).not.toContain("mongodb-exporter");
    expect(jobs).not.toContain("dcgm-exporter");
    expect(bare.exporters.map((e) => e.service)).toEqual(["nsq-exporter", "blackbox-exporter", "cadvisor", "node-exporter"]);
    expect(Object.keys(bare.prometheus)).not.toContain(`${PROMETHEUS_PATHS.rules}/gpu.rules.yml`);
  });

  it("probes through the blackbox exporter: plain HTTP, and HTTPS through the edge with Host, SNI and the CA", () => {
    const jobs = jobsOf(files.prometheus);
    const http = jobs.find((j) => j.job_name === "probe-http");
    expect(http.params).toEqual({ module: ["http_2xx"] });
    expect(http.static_configs).toEqual([
      { targets: ["http://ollama:11434/api/version"], labels: { service: "ollama" } },
      { targets: ["http://mcp-server:3000/health"], labels: { service: "mcp-server" } },
    ]);
    expect(http.relabel_configs.at(-1)).toEqual({ target_label: "__address__", replacement: "blackbox-exporter:9115" });
    const review = jobs.find((j) => j.job_name === "probe-edge-review");
    expect(review.params).toEqual({ module: ["https_edge-review"] });
    const modules = YAML.parse(files.blackboxConfig).modules;
    expect(modules["https_edge-review"].http).toMatchObject({
      headers: { Host: "review.example.org" },
      tls_config: { server_name: "review.example.org", ca_file: "/etc/blackbox_exporter/ca.pem" },
      fail_if_not_ssl: true,
    });
    expect(Object.keys(modules).sort()).toEqual(["http_2xx", "https_edge-review"]);
  });

  it("cAdvisor's series get the container's service label", () => {
    const cadvisor = jobsOf(files.prometheus).find((j) => j.job_name === "cadvisor");
    expect(cadvisor.metric_relabel_configs[0]).toEqual({
      source_labels: ["container_label_org_enrichment_service"],
      regex: "(.+)",
      target_label: "service",
      replacement: "$1",
    });
  });

  it("refuses duplicate jobs, duplicate probes, and labels for unknown targets", () => {
    const base = { scrapeInterval: "15s", evaluationInterval: "15s", externalLabels: {}, alertmanagers: [], ruleFiles: [] };
    const job = serviceScrapeConfig({ job: "review-api", targets: ["review-api:5001"] });
    expect(() => renderPrometheusConfig({ ...base, scrapeConfigs: [job, job] })).toThrow(/"review-api" is defined twice/);
    expect(() => renderMonitoringFiles(defaultFilesInput({ scrapeTargets: [{ job: "prometheus", targets: ["x:1"] }] }))).toThrow(/"prometheus" is defined twice/);
    expect(() => probeScrapeConfigs([{ name: "a", url: "http://a" }, { name: "a", url: "http://b" }], "bb:9115")).toThrow(/"a" is listed twice/);
    expect(() => serviceScrapeConfig({ job: "x", targets: ["x:1"], targetLabels: { "y:1": { service: "y" } } })).toThrow(/unknown targets y:1/);
    expect(() => serviceScrapeConfig({ job: "x", targets: [] })).toThrow(/no targets/);
  });
});
