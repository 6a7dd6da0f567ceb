// Debian's Prometheus with the generated prometheus.yml and rule files, targets rewritten to local
// addresses (nothing listens there except Prometheus itself): every rule group loads, every scrape
// job is configured, and the rules evaluate (the Watchdog fires).
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithTools, missingTools } from "./tools";
import { PROMETHEUS_PATHS } from "../facts/monitoringFiles";
import { renderMonitoringFiles } from "../planes/monitoring/monitoring";
import { defaultFilesInput, freePort, getJson, Process, removeTempDirs, run, tempDir, TOOLS, waitFor } from "./fixtures/monitoring/tools";

const files = renderMonitoringFiles(defaultFilesInput());
let prometheus: Process | undefined;
let base: string;
let config: any;

beforeAll(async () => {
  if (missingTools(["prometheus", "promtool"])) return;
  const dir = tempDir("prometheus-process");
  const [webPort, deadPort] = await Promise.all([freePort(), freePort()]);

  // Rule files into the temp folder; the config's in-container rule paths mapped to them.
  const rulesDir = path.join(dir, "rules");
  fs.mkdirSync(rulesDir);
  for (const [file, content] of Object.entries(files.prometheus)) {
    if (file.startsWith(`${PROMETHEUS_PATHS.rules}/`)) fs.writeFileSync(path.join(rulesDir, path.basename(file)), content);
  }
  config = YAML.parse(files.prometheus[PROMETHEUS_PATHS.config]!);
  config.rule_files = config.rule_files.map((file: string) => path.join(rulesDir, path.basename(file)));
  // Private-network addresses become local ones: Prometheus itself, or a port nobody listens on.
  const local = (address: string) => (address === "localhost:9090" ? `127.0.0.1:${webPort}` : `127.0.0.1:${deadPort}`);
  for (const job of config.scrape_configs) {
    const isProbe = job.metrics_path === "/probe";
    for (const staticConfig of job.static_configs ?? []) if (!isProbe) staticConfig.targets = staticConfig.targets.map(local);
    // A pool found by DNS: Prometheus asks a DNS server (never /etc/hosts), and none serves the
    // pool's name here, so the job gets the address Docker's DNS would give (the e2e resolves it
    // for real); `promtool check config` below still reads the rest of the job as generated.
    if (job.dns_sd_configs) {
      job.static_configs = [{ targets: [`127.0.0.1:${deadPort}`] }];
      delete job.dns_sd_configs;
    }
    for (const relabel of job.relabel_configs ?? []) if (relabel.target_label === "__address__") relabel.replacement = local(relabel.replacement);
  }
  config.alerting.alertmanagers[0].static_configs[0].targets = [`127.0.0.1:${deadPort}`];
  const configFile = path.join(dir, "prometheus.yml");
  fs.writeFileSync(configFile, YAML.stringify(config));

  const check = await run(TOOLS.promtool, ["check", "config", configFile]);
  expect(check.code, check.stdout + check.stderr).toBe(0);

  prometheus = new Process(TOOLS.prometheus, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${webPort}`,
    "--log.level=warn",
  ]);
  base = `http://127.0.0.1:${webPort}`;
  await waitFor("Prometheus ready", async () => {
    if (prometheus!.exited) throw new Error(`prometheus exited:\n${prometheus!.output}`);
    const response = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? true : undefined;
  }, 30_000);
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  removeTempDirs();
});

interface RulesResponse {
  data: { groups: { name: string; file: string; rules: { name: string; type: string; health: string; labels: Record<string, string> }[] }[] };
}

describeWithTools(["prometheus", "promtool"], "Prometheus with the generated config", () => {
  it("loads every rule group with every rule", async () => {
    const rules = await getJson<RulesResponse>(`${base}/api/v1/rules`);
    const loaded = Object.fromEntries(rules.data.groups.map((group) => [group.name, group.rules.map((rule) => `${rule.name}/${rule.labels.severity}`)]));
    const expected = Object.fromEntries(files.ruleGroups.map((group) => [group.name, group.rules.map((rule) => `${rule.alert}/${rule.severity}`)]));
    expect(loaded).toEqual(expected);
    expect(Object.keys(loaded).length).toBe(13);
    for (const group of rules.data.groups) for (const rule of group.rules) expect(rule.type).toBe("alerting");
  });

  it("configures every scrape job: services, exporters and probes", async () => {
    const jobs = config.scrape_configs.map((job: { job_name: string }) => job.job_name).sort();
    type Targets = { data: { activeTargets: { scrapePool: string; labels: Record<string, string> }[] } };
    // Target discovery runs after start-up; wait until every pool is there.
    const targets = await waitFor("every scrape pool", async () => {
      const response = await getJson<Targets>(`${base}/api/v1/targets`);
      return new Set(response.data.activeTargets.map((t) => t.scrapePool)).size === jobs.length ? response : undefined;
    }, 20_000).catch(() => getJson<Targets>(`${base}/api/v1/targets`));
    const pools = new Set(targets.data.activeTargets.map((t) => t.scrapePool));
    expect([...pools].sort()).toEqual(jobs);
    for (const job of ["mcp-server", "agents", "enrichment-worker", "review-api", "mongodb-exporter", "nsq-exporter", "cadvisor", "node-exporter", "dcgm-exporter", "probe-http"]) {
      expect(pools.has(job), job).toBe(true);
    }
    const serviceOf = (pool: string) => targets.data.activeTargets.filter((t) => t.scrapePool === pool).map((t) => t.labels.service).sort();
    expect(serviceOf("probe-http")).toEqual(["mcp-server", "ollama"]);
    expect(serviceOf("agents")).toEqual(["context-agent", "metadata-agent"]);
    expect(serviceOf("mongodb-exporter")).toEqual(["mongodb"]);
    // Discovered by DNS, labelled by the relabel rule.
    expect(serviceOf("enrichment-worker").length).toBeGreaterThan(0);
    expect(new Set(serviceOf("enrichment-worker"))).toEqual(new Set(["enrichment-worker"]));
  });

  it("evaluates the rules: the Watchdog fires, and no rule fails to evaluate", async () => {
    const alerts = await waitFor("Watchdog firing", async () => {
      const response = await getJson<{ data: { alerts: { labels: Record<string, string>; state: string }[] } }>(`${base}/api/v1/alerts`);
      return response.data.alerts.some((a) => a.labels.alertname === "Watchdog" && a.state === "firing") ? response.data.alerts : undefined;
    }, 40_000, 500);
    expect(alerts.find((a) => a.labels.alertname === "Watchdog")?.labels).toMatchObject({ severity: "info", area: "meta" });
    const rules = await getJson<RulesResponse>(`${base}/api/v1/rules`);
    const unhealthy = rules.data.groups.flatMap((g) => g.rules).filter((rule) => rule.health === "err");
    expect(unhealthy).toEqual([]);
  }, 60_000);
});
