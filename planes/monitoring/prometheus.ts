// prometheus.yml and the blackbox exporter's modules as pure functions of typed input. The
// Monitoring component uploads exactly what these return; tests run promtool on it.
import * as YAML from "yaml";
import { PROMETHEUS_SCRAPE_TIMEOUT } from "../../config/monitoring";

/**
 * A scrape job for services that expose metrics; the application plane passes these in
 * (planes/enrichment/wiring.ts has the same shape).
 */
export interface ScrapeTarget {
  /** Job name, usually the service name (`enrichment-worker`). */
  job: string;
  /** host:port on the private network, e.g. `enrichment-mcp-server:3000`. */
  targets: string[];
  /**
   * A pool found by DNS instead (its members share a DNS name on the private network): Prometheus
   * asks Docker's DNS for every address of each name, so adding a member changes no config.
   */
  dnsSd?: { names: string[]; port: number; labels?: Record<string, string> };
  /** Defaults to /metrics. */
  metricsPath?: string;
  scheme?: "http" | "https";
  /** Labels per target (e.g. `service` of each agent, `track`); `service` defaults to the job name. */
  targetLabels?: Record<string, Record<string, string>>;
}

/** A health endpoint the blackbox exporter probes (planes/edge/edge.ts has the same shape). */
export interface ProbeTarget {
  /** The probe's `service` label: ollama, mcp-server, edge-review, ... */
  name: string;
  /** What the exporter requests, e.g. http://ollama:11434/api/version or https://edge:443/health. */
  url: string;
  /** For HTTPS through the edge: the name sent as Host header and TLS server name. */
  hostname?: string;
}

/** One scrape_config as Prometheus reads it (only the fields this program uses). */
export interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  scheme?: string;
  honor_labels?: boolean;
  params?: Record<string, string[]>;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  dns_sd_configs?: { names: string[]; type: "A"; port: number; refresh_interval?: string }[];
  relabel_configs?: Record<string, unknown>[];
  metric_relabel_configs?: Record<string, unknown>[];
}

export interface PrometheusConfigInput {
  scrapeInterval: string;
  evaluationInterval: string;
  /** Added to every alert and federated series (stack, environment). */
  externalLabels: Record<string, string>;
  /** Alertmanager host:port. */
  alertmanagers: string[];
  /** Rule file paths as the container sees them. */
  ruleFiles: string[];
  scrapeConfigs: ScrapeConfig[];
}

const BLACKBOX_CA_PATH = "/etc/blackbox_exporter/ca.pem";

/** Probes with alerts of their own (OllamaDown, McpServerDown); HealthEndpointDown covers the rest. */
export const OWN_ALERT_PROBES = { ollama: "ollama", mcpServer: "mcp-server" } as const;

/**
 * A job for platform services: one static config per target with its labels. honor_labels keeps
 * the `service` label a service sets itself; the target label fills in where a series has none.
 */
export function serviceScrapeConfig(target: ScrapeTarget): ScrapeConfig {
  if (target.dnsSd) {
    if (target.targets.length > 0 || target.targetLabels) throw new Error(`scrape job ${target.job}: give dnsSd or targets, not both`);
    if (target.dnsSd.names.length === 0) throw new Error(`scrape job ${target.job}: dnsSd needs a name`);
    return {
      job_name: target.job,
      ...(target.metricsPath && target.metricsPath !== "/metrics" ? { metrics_path: target.metricsPath } : {}),
      ...(target.scheme && target.scheme !== "http" ? { scheme: target.scheme } : {}),
      honor_labels: true,
      // Docker's embedded DNS answers a shared alias with every member's address.
      dns_sd_configs: [{ names: target.dnsSd.names, type: "A", port: target.dnsSd.port, refresh_interval: "15s" }],
      relabel_configs: [
        { target_label: "service", replacement: target.job },
        ...Object.entries(target.dnsSd.labels ?? {}).map(([label, value]) => ({ target_label: label, replacement: value })),
      ],
    };
  }
  if (target.targets.length === 0) throw new Error(`scrape job ${target.job}: no targets`);
  const unknown = Object.keys(target.targetLabels ?? {}).filter((t) => !target.targets.includes(t));
  if (unknown.length) throw new Error(`scrape job ${target.job}: labels for unknown targets ${unknown.join(", ")}`);
  return {
    job_name: target.job,
    ...(target.metricsPath && target.metricsPath !== "/metrics" ? { metrics_path: target.metricsPath } : {}),
    ...(target.scheme && target.scheme !== "http" ? { scheme: target.scheme } : {}),
    honor_labels: true,
    static_configs: target.targets.map((address) => ({
      targets: [address],
      labels: { service: target.job, ...(target.targetLabels?.[address] ?? {}) },
    })),
  };
}

/** A job for an exporter: its series describe `about` (e.g. mongodb), which becomes `service`. */
export function exporterScrapeConfig(job: string, address: string, about: string, extra: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return { job_name: job, static_configs: [{ targets: [address], labels: { service: about } }], ...extra };
}

/** A job for an exporter on every node of a swarm: each task found by DNS (`tasks.<service>`). */
export function perNodeScrapeConfig(job: string, service: string, port: number, about: string, extra: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return {
    job_name: job,
    dns_sd_configs: [{ names: [`tasks.${service}`], type: "A", port, refresh_interval: "30s" }],
    relabel_configs: [{ target_label: "service", replacement: about }],
    ...extra,
  };
}

/** The blackbox module a probe uses. */
export function probeModule(probe: ProbeTarget): string {
  return probe.hostname ? `https_${probe.name}` : "http_2xx";
}

/** Probe jobs: one per blackbox module, each target labelled with its service. */
export function probeScrapeConfigs(probes: ProbeTarget[], blackboxAddress: string): ScrapeConfig[] {
  const names = probes.map((probe) => probe.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`probe "${duplicate}" is listed twice`);
  const byModule = new Map<string, ProbeTarget[]>();
  for (const probe of probes) byModule.set(probeModule(probe), [...(byModule.get(probeModule(probe)) ?? []), probe]);
  return [...byModule.entries()].map(([module, list]) => ({
    job_name: module === "http_2xx" ? "probe-http" : `probe-${list[0]!.name}`,
    metrics_path: "/probe",
    params: { module: [module] },
    static_configs: list.map((probe) => ({ targets: [probe.url], labels: { service: probe.name } })),
    relabel_configs: [
      { source_labels: ["__address__"], target_label: "__param_target" },
      { source_labels: ["__param_target"], target_label: "instance" },
      { target_label: "__address__", replacement: blackboxAddress },
    ],
  }));
}

/** cAdvisor: the container's `org.enrichment.service` label becomes `service`; other labels go. */
export const CADVISOR_METRIC_RELABEL: Record<string, unknown>[] = [
  { source_labels: ["container_label_org_enrichment_service"], regex: "(.+)", target_label: "service", replacement: "$1" },
  { regex: "container_label_.*", action: "labeldrop" },
];

export function renderPrometheusConfig(input: PrometheusConfigInput): string {
  const jobs = input.scrapeConfigs.map((job) => job.job_name);
  const duplicate = jobs.find((job, index) => jobs.indexOf(job) !== index);
  if (duplicate) throw new Error(`prometheus.yml: scrape job "${duplicate}" is defined twice`);
  const document = {
    global: {
      scrape_interval: input.scrapeInterval,
      scrape_timeout: PROMETHEUS_SCRAPE_TIMEOUT,
      evaluation_interval: input.evaluationInterval,
      external_labels: input.externalLabels,
    },
    alerting: { alertmanagers: [{ static_configs: [{ targets: input.alertmanagers }] }] },
    rule_files: input.ruleFiles,
    scrape_configs: input.scrapeConfigs,
  };
  return `# Generated by planes/monitoring/prometheus.ts; changes here are overwritten by pulumi up.\n${YAML.stringify(document, { lineWidth: 0 })}`;
}

/** The blackbox exporter's modules: plain HTTP, and one HTTPS module per API behind the edge. */
export function renderBlackboxConfig(probes: ProbeTarget[], options: { caFile: boolean }): string {
  const modules: Record<string, unknown> = {
    http_2xx: { prober: "http", timeout: "5s", http: { preferred_ip_protocol: "ip4", follow_redirects: false } },
  };
  for (const probe of probes) {
    if (!probe.hostname) continue;
    modules[probeModule(probe)] = {
      prober: "http",
      timeout: "5s",
      http: {
        preferred_ip_protocol: "ip4",
        follow_redirects: false,
        fail_if_not_ssl: true,
        headers: { Host: probe.hostname },
        tls_config: { server_name: probe.hostname, ...(options.caFile ? { ca_file: BLACKBOX_CA_PATH } : {}) },
      },
    };
  }
  return `# Generated by planes/monitoring/prometheus.ts.\n${YAML.stringify({ modules }, { lineWidth: 0 })}`;
}

export { BLACKBOX_CA_PATH };
