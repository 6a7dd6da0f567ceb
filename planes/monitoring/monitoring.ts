// The monitoring plane as one component: Prometheus (rules from planes/monitoring/alerts), Alertmanager,
// Grafana (datasource + five dashboards) and the exporters, each in the platform's ServiceContainer.
// Every file a container receives comes from renderMonitoringFiles(), a pure function of the args.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { IMAGES } from "../../facts/images";
import {
  ALERTMANAGER_CONFIG_PATH,
  ALERTMANAGER_DATA_PATH,
  ALERTMANAGER_SECRET_PATHS,
  GRAFANA_PATHS,
  PROMETHEUS_PATHS,
  type AlertmanagerSecret,
} from "../../facts/monitoringFiles";
import { requiredAlertmanagerSecrets, type MonitoringSettings } from "../../config/monitoring";
import type { Targets } from "../../config/targets";
import type { IngestionTargets } from "../../config/ingestion";
import type { PlatformNetwork } from "../../components/network";
import type { Healthcheck, PublishedPort, SecretFile } from "../../components/serviceSpec";
import type { PlatformContext } from "../../components/context";
import { deployService, PlatformService, stateVolume } from "../../components/deploy";
import { PORTS } from "../../facts/services";
import { renderAlertmanagerConfig } from "./alertmanager";
import { alertRuleGroups, renderRuleFile, RuleGroup } from "./alerts";
import { enabledExporters, EXPORTER_PORTS, ExporterEntry, ExporterImage, ExporterInput, wgetTest, WatchedService } from "./exporters";
import { grafanaFiles } from "./grafana";
import {
  exporterScrapeConfig,
  OWN_ALERT_PROBES,
  perNodeScrapeConfig,
  probeScrapeConfigs,
  ProbeTarget,
  renderBlackboxConfig,
  renderPrometheusConfig,
  ScrapeConfig,
  ScrapeTarget,
  serviceScrapeConfig,
} from "./prometheus";

export type { ProbeTarget, ScrapeTarget } from "./prometheus";

type HostPort = { address: string; port: number };

export interface MonitoringArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  settings: MonitoringSettings;
  /** The stack's targets: thresholds of the rules and dashboards. */
  targets: Targets;
  /** Pinned images of Prometheus, Alertmanager, Grafana and each exporter. */
  images: Record<"prometheus" | "alertmanager" | "grafana" | ExporterImage, string>;
  /** Memory (MB) and CPUs of each; `exporter` for every exporter (raised to an exporter's own floor). */
  sizes: Record<"prometheus" | "alertmanager" | "grafana" | "exporter", { memoryMb: number; cpus: number }>;
  /** Alertmanager's credentials (Pulumi secrets); each enabled integration needs its own. */
  secrets: Partial<Record<AlertmanagerSecret, pulumi.Input<string>>>;
  grafanaAdminPassword: pulumi.Input<string>;
  /** Services that expose /metrics (the application plane's services and agents). */
  scrapeTargets: ScrapeTarget[];
  /** Health endpoints the blackbox exporter probes (Ollama, MCP, the APIs through the edge). */
  probes: ProbeTarget[];
  /** Whether the host has a GPU for Ollama: runs the DCGM exporter and the GPU rules. */
  gpu: boolean;
  /** `--gpus` for the DCGM exporter; defaults to "all". */
  gpus?: string;
  /** MongoDB URI for the exporter (a Pulumi secret); without it no MongoDB exporter runs. */
  mongodbUri?: pulumi.Input<string>;
  /** The containers the exporters read (the managed MongoDB, nsqd): each exporter starts once its own are healthy. */
  watched?: Partial<Record<WatchedService, pulumi.Resource>>;
  /** CA of the edge's certificates, so the HTTPS probes verify them. */
  caCertPem?: pulumi.Input<string>;
  /** Host ports (from `exposure.publish`); nothing is published unless set. */
  publish?: { prometheus?: HostPort; alertmanager?: HostPort; grafana?: HostPort };
  /** The web-ingestion plane's success metrics while it runs: its alert area and dashboard. */
  ingestion?: IngestionTargets;
}

/** Plain-text files of each monitoring container (path in the container -> content). */
export interface MonitoringFiles {
  prometheus: Record<string, string>;
  alertmanager: Record<string, string>;
  grafana: Record<string, string>;
  blackboxConfig: string;
  ruleGroups: RuleGroup[];
  exporters: ExporterEntry[];
}

export type MonitoringFilesInput = Pick<MonitoringArgs, "context" | "settings" | "targets" | "scrapeTargets" | "probes" | "gpu" | "ingestion"> & {
  /** Whether a MongoDB exporter runs (a URI was given). */
  mongodbExporter: boolean;
  /** Whether the blackbox exporter has the edge's CA. */
  caFile: boolean;
  /** A swarm: exporters of the node itself run on every node and are found by DNS (`tasks.<service>`). */
  perNodeDiscovery?: boolean;
};

const hostPort = (service: string, port: number) => `${service}:${port}`;

/** Probes of services that expose no metrics of their own: Ollama's `/api/version`, mcp-server's `/health`. */
export function coreProbes(urls: { ollama: string; mcpServer: string }): ProbeTarget[] {
  return [
    { name: OWN_ALERT_PROBES.ollama, url: `${urls.ollama}/api/version` },
    { name: OWN_ALERT_PROBES.mcpServer, url: `${urls.mcpServer}/health` },
  ];
}

/** Everything the monitoring containers receive, as text. Pure; tests run the real tools on it. */
export function renderMonitoringFiles(input: MonitoringFilesInput): MonitoringFiles {
  const { settings } = input;
  const ruleGroups = alertRuleGroups({
    targets: input.targets,
    thresholds: settings.thresholds,
    gpu: input.gpu,
    ingestion: input.ingestion,
    runbookBaseUrl: settings.runbookBaseUrl,
  });
  const blackboxConfig = renderBlackboxConfig(input.probes, { caFile: input.caFile });
  const exporters = enabledExporters({ gpu: input.gpu, mongodb: input.mongodbExporter });

  const scrapeConfigs: ScrapeConfig[] = [
    exporterScrapeConfig("prometheus", hostPort("localhost", PORTS.prometheus), "prometheus"),
    exporterScrapeConfig("alertmanager", hostPort("alertmanager", PORTS.alertmanager), "alertmanager"),
    exporterScrapeConfig("grafana", hostPort("grafana", PORTS.grafana), "grafana"),
    ...exporters.map((exporter) =>
      input.perNodeDiscovery && exporter.perNode
        ? perNodeScrapeConfig(exporter.job, exporter.service, exporter.port, exporter.about, exporter.scrape)
        : exporterScrapeConfig(exporter.job, hostPort(exporter.service, exporter.port), exporter.about, exporter.scrape),
    ),
    ...probeScrapeConfigs(input.probes, hostPort("blackbox-exporter", EXPORTER_PORTS.blackboxExporter)),
    ...input.scrapeTargets.map(serviceScrapeConfig),
  ];

  const prometheus: Record<string, string> = {
    [PROMETHEUS_PATHS.config]: renderPrometheusConfig({
      scrapeInterval: settings.scrapeInterval,
      evaluationInterval: settings.evaluationInterval,
      externalLabels: { stack: input.context.stack, environment: input.context.environment },
      alertmanagers: [hostPort("alertmanager", PORTS.alertmanager)],
      ruleFiles: ruleGroups.map((group) => `${PROMETHEUS_PATHS.rules}/${group.fileName}`),
      scrapeConfigs,
    }),
  };
  for (const group of ruleGroups) prometheus[`${PROMETHEUS_PATHS.rules}/${group.fileName}`] = renderRuleFile(group, settings.runbookBaseUrl);

  return {
    prometheus,
    alertmanager: { [ALERTMANAGER_CONFIG_PATH]: renderAlertmanagerConfig({ alerting: settings.alerting }) },
    grafana: grafanaFiles({
      prometheusUrl: `http://prometheus:${PORTS.prometheus}`,
      scrapeInterval: settings.scrapeInterval,
      dashboards: { targets: input.targets, thresholds: settings.thresholds, defaultRange: settings.grafana.defaultRange, ingestion: input.ingestion },
    }),
    blackboxConfig,
    ruleGroups,
    exporters,
  };
}

const wget = (port: number, path: string): Healthcheck => ({ test: wgetTest(port, path) });
const asFiles = (files: Record<string, string>) => Object.entries(files).map(([path, content]) => ({ path, content }));
const published = (internal: number, host?: HostPort): PublishedPort[] =>
  host ? [{ internal, external: host.port, address: host.address }] : [];

export class Monitoring extends pulumi.ComponentResource {
  readonly prometheus: PlatformService;
  readonly alertmanager: PlatformService;
  readonly grafana: PlatformService;
  readonly exporters: Record<string, PlatformService> = {};
  readonly prometheusVolume: docker.Volume;
  readonly alertmanagerVolume: docker.Volume;
  readonly grafanaVolume: docker.Volume;
  /** The generated files (also what the synth writes out). */
  readonly files: MonitoringFiles;
  readonly prometheusUrl = `http://prometheus:${PORTS.prometheus}`;
  readonly alertmanagerUrl = `http://alertmanager:${PORTS.alertmanager}`;
  readonly grafanaUrl = `http://grafana:${PORTS.grafana}`;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:monitoring:Monitoring", name, {}, opts);
    const { context, network, settings, images, sizes } = args;
    const parent = { parent: this };

    const missing = requiredAlertmanagerSecrets(settings.alerting).filter((key) => args.secrets[key] === undefined);
    if (missing.length) throw new Error(`Monitoring: alerting needs the secrets ${missing.join(", ")} (set them with pulumi config set --secret)`);

    this.files = renderMonitoringFiles({
      context,
      settings,
      targets: args.targets,
      scrapeTargets: args.scrapeTargets,
      probes: args.probes,
      gpu: args.gpu,
      ingestion: args.ingestion,
      mongodbExporter: args.mongodbUri !== undefined,
      caFile: args.caCertPem !== undefined,
      perNodeDiscovery: context.target?.kind === "swarm" ? true : undefined,
    });

    const volume = (volumeName: string) => stateVolume(volumeName, { context, protect: context.protectState, role: "data" }, { parent: this });
    this.prometheusVolume = volume("prometheus-data");
    this.alertmanagerVolume = volume("alertmanager-data");
    this.grafanaVolume = volume("grafana-data");

    // Exporters are optional for the core: Prometheus, Alertmanager and Grafana never wait for one
    // (a refused DCGM exporter on a host without a GPU must not hold back monitoring). Prometheus
    // scrapes each from the start anyway; a missing one shows as `up == 0`.
    const exporterInput: ExporterInput = {
      gpus: args.gpus ?? "all",
      mongodbUri: args.mongodbUri,
      blackboxConfig: this.files.blackboxConfig,
      caCertPem: args.caCertPem,
    };
    for (const exporter of this.files.exporters) {
      const container = exporter.container(exporterInput);
      this.exporters[exporter.service] = deployService(
        exporter.service,
        {
          context,
          network,
          service: exporter.service,
          group: "monitoring",
          image: images[exporter.image],
          imageKey: exporter.image,
          entrypoint: container.entrypoint,
          command: container.command,
          env: container.env,
          secretFiles: container.secretFiles,
          files: container.files,
          hostMounts: container.hostMounts,
          gpus: container.gpus,
          healthcheck: { test: exporter.healthcheck },
          waitTimeoutSeconds: 90,
          memoryMb: Math.max(sizes.exporter.memoryMb, exporter.minMemoryMb ?? 0),
          cpus: sizes.exporter.cpus,
          perNode: exporter.perNode,
          placement: exporter.placement,
          // Its healthcheck needs a reachable MongoDB, and `wait` runs only at creation.
          dependsOn: (exporter.waitsFor ?? []).flatMap((service) => (args.watched?.[service] ? [args.watched[service]!] : [])),
        },
        parent,
      );
    }

    this.alertmanager = deployService(
      "alertmanager",
      {
        context,
        network,
        service: "alertmanager",
        group: "monitoring",
        image: images.alertmanager,
        imageKey: "alertmanager",
        command: [`--config.file=${ALERTMANAGER_CONFIG_PATH}`, `--storage.path=${ALERTMANAGER_DATA_PATH}`, `--web.listen-address=:${PORTS.alertmanager}`],
        files: asFiles(this.files.alertmanager),
        secretFiles: alertmanagerSecretFiles(settings, args.secrets),
        healthcheck: wget(PORTS.alertmanager, "/-/ready"),
        waitTimeoutSeconds: 60,
        ...sizes.alertmanager,
        // Slack, PagerDuty, SMTP and the dead-man's switch are outside.
        egress: true,
        ports: published(PORTS.alertmanager, args.publish?.alertmanager),
        volumes: [{ volume: this.alertmanagerVolume, containerPath: ALERTMANAGER_DATA_PATH }],
        placement: "data",
      },
      parent,
    );

    this.prometheus = deployService(
      "prometheus",
      {
        context,
        network,
        service: "prometheus",
        group: "monitoring",
        image: images.prometheus,
        imageKey: "prometheus",
        command: [
          `--config.file=${PROMETHEUS_PATHS.config}`,
          `--storage.tsdb.path=${PROMETHEUS_PATHS.data}`,
          `--storage.tsdb.retention.time=${settings.retentionDays}d`,
          `--web.listen-address=:${PORTS.prometheus}`,
        ],
        files: asFiles(this.files.prometheus),
        healthcheck: { ...wget(PORTS.prometheus, "/-/ready"), startPeriodSeconds: 60 },
        // Replaying a large write-ahead log after a restart takes a while.
        waitTimeoutSeconds: 300,
        ...sizes.prometheus,
        ports: published(PORTS.prometheus, args.publish?.prometheus),
        volumes: [{ volume: this.prometheusVolume, containerPath: PROMETHEUS_PATHS.data }],
        placement: "data",
        dependsOn: [this.alertmanager],
      },
      parent,
    );

    const rootUrl = settings.grafana.rootUrl;
    this.grafana = deployService(
      "grafana",
      {
        context,
        network,
        service: "grafana",
        group: "monitoring",
        image: images.grafana,
        imageKey: "grafana",
        env: {
          GF_SECURITY_ADMIN_USER: "admin",
          GF_SECURITY_DISABLE_GRAVATAR: "true",
          GF_USERS_ALLOW_SIGN_UP: "false",
          GF_AUTH_ANONYMOUS_ENABLED: "false",
          GF_ANALYTICS_REPORTING_ENABLED: "false",
          GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
          GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
          GF_NEWS_NEWS_FEED_ENABLED: "false",
          GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: `${GRAFANA_PATHS.dashboards}/enrichment-overview.json`,
          ...(rootUrl ? { GF_SERVER_ROOT_URL: rootUrl, GF_SECURITY_COOKIE_SECURE: String(rootUrl.startsWith("https:")) } : {}),
        },
        secretFiles: [{ path: GRAFANA_PATHS.adminPassword, content: args.grafanaAdminPassword, envVar: "GF_SECURITY_ADMIN_PASSWORD__FILE" }],
        files: asFiles(this.files.grafana),
        healthcheck: wget(PORTS.grafana, "/api/health"),
        waitTimeoutSeconds: 120,
        ...sizes.grafana,
        ports: published(PORTS.grafana, args.publish?.grafana),
        volumes: [{ volume: this.grafanaVolume, containerPath: IMAGES.grafana.paths.data.value }],
        placement: "data",
        dependsOn: [this.prometheus],
      },
      parent,
    );

    this.registerOutputs({
      prometheusUrl: this.prometheusUrl,
      alertmanagerUrl: this.alertmanagerUrl,
      grafanaUrl: this.grafanaUrl,
      ruleGroups: this.files.ruleGroups.map((group) => group.name),
    });
  }
}

function alertmanagerSecretFiles(settings: MonitoringSettings, secrets: MonitoringArgs["secrets"]): SecretFile[] {
  return requiredAlertmanagerSecrets(settings.alerting).map((key: AlertmanagerSecret) => ({
    path: ALERTMANAGER_SECRET_PATHS[key],
    content: secrets[key]!,
  }));
}
