// The exporters the monitoring stack runs for what exposes no Prometheus metrics itself: MongoDB,
// NSQ, health endpoints (blackbox), containers (cAdvisor), the host (node-exporter) and the GPU
// (DCGM). One entry per exporter; the Monitoring component turns each into a ServiceContainer and
// prometheus.ts into a scrape job.
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigFile, HostMount } from "../components/serviceContainer";
import { PORTS } from "../components/services";
import { BLACKBOX_CA_PATH, CADVISOR_METRIC_RELABEL, ScrapeConfig } from "./prometheus";

export type ExporterImage = "mongodbExporter" | "nsqExporter" | "blackboxExporter" | "cadvisor" | "nodeExporter" | "dcgmExporter";

/** What decides which exporters run. */
export interface ExporterSelection {
  /** Whether the stack has a GPU (DCGM exporter). */
  gpu: boolean;
  /** Whether a MongoDB URI is available (MongoDB exporter). */
  mongodb: boolean;
}

export interface ExporterInput {
  /** `--gpus` value for the DCGM exporter. */
  gpus: string;
  /** MongoDB URI for the exporter (a Pulumi secret); no MongoDB exporter without it. */
  mongodbUri?: pulumi.Input<string>;
  /** Rendered blackbox modules (monitoring/prometheus.ts renderBlackboxConfig). */
  blackboxConfig: string;
  /** CA the edge's certificates chain to, for the HTTPS probes. */
  caCertPem?: pulumi.Input<string>;
}

export interface ExporterContainer {
  command?: string[];
  /** Plain environment; `secretEnv` carries secrets the image can only read from its environment. */
  env?: Record<string, string>;
  secretEnv?: Record<string, pulumi.Input<string>>;
  files?: ConfigFile[];
  hostMounts?: HostMount[];
  gpus?: string;
}

export interface ExporterEntry {
  /** Service name: container name suffix and DNS alias. */
  service: string;
  image: ExporterImage;
  port: number;
  /** Scrape job name. */
  job: string;
  /** The `service` label its series get: what they describe. */
  about: string;
  /** Docker healthcheck test; the image decides what is available (busybox wget, bash, nothing). */
  healthcheck: string[];
  enabled(selection: ExporterSelection): boolean;
  container(input: ExporterInput): ExporterContainer;
  scrape?: Partial<ScrapeConfig>;
  /** Memory floor in MB when `resources.exporter` is smaller (cAdvisor and DCGM need more). */
  minMemoryMb?: number;
  /** What an operator should know about how it runs. */
  notes?: string;
}

/** A healthcheck test for busybox/alpine images: wget of a local URL. */
export const wgetTest = (port: number, path: string) => ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}${path}`];

export const EXPORTER_PORTS = {
  mongodbExporter: 9216,
  nsqExporter: 9117,
  blackboxExporter: 9115,
  cadvisor: 8080,
  nodeExporter: 9100,
  dcgmExporter: 9400,
} as const;

export const EXPORTERS: readonly ExporterEntry[] = [
  {
    service: "mongodb-exporter",
    image: "mongodbExporter",
    port: EXPORTER_PORTS.mongodbExporter,
    job: "mongodb-exporter",
    about: "mongodb",
    // The image is FROM scratch: no shell, no wget. The binary answering --version is all a
    // healthcheck can run; `up` and MongoDBDown watch the real thing.
    healthcheck: ["CMD", "/mongodb_exporter", "--version"],
    enabled: (selection) => selection.mongodb,
    container: (input) => ({
      command: [`--web.listen-address=:${EXPORTER_PORTS.mongodbExporter}`, "--collector.diagnosticdata", "--collector.dbstats", "--mongodb.direct-connect"],
      secretEnv: { MONGODB_URI: input.mongodbUri! },
    }),
    notes: "reads MONGODB_URI from its environment (the exporter has no file option); the value is a Pulumi secret",
  },
  {
    service: "nsq-exporter",
    image: "nsqExporter",
    port: EXPORTER_PORTS.nsqExporter,
    job: "nsq-exporter",
    about: "nsqd",
    healthcheck: wgetTest(EXPORTER_PORTS.nsqExporter, "/metrics"),
    enabled: () => true,
    container: () => ({
      command: [
        `-web.listen=:${EXPORTER_PORTS.nsqExporter}`,
        `-nsqd.addr=http://nsqd:${PORTS.nsqdHttp}/stats`,
        "-collect=stats.topics,stats.channels",
      ],
    }),
  },
  {
    service: "blackbox-exporter",
    image: "blackboxExporter",
    port: EXPORTER_PORTS.blackboxExporter,
    job: "blackbox-exporter",
    about: "blackbox-exporter",
    healthcheck: wgetTest(EXPORTER_PORTS.blackboxExporter, "/-/healthy"),
    enabled: () => true,
    container: (input) => ({
      command: ["--config.file=/etc/blackbox_exporter/config.yml", `--web.listen-address=:${EXPORTER_PORTS.blackboxExporter}`],
      files: [
        { path: "/etc/blackbox_exporter/config.yml", content: input.blackboxConfig },
        ...(input.caCertPem ? [{ path: BLACKBOX_CA_PATH, content: input.caCertPem }] : []),
      ],
    }),
  },
  {
    service: "cadvisor",
    image: "cadvisor",
    port: EXPORTER_PORTS.cadvisor,
    job: "cadvisor",
    about: "cadvisor",
    healthcheck: wgetTest(EXPORTER_PORTS.cadvisor, "/healthz"),
    enabled: () => true,
    container: () => ({
      command: [
        "--docker_only=true",
        "--store_container_labels=false",
        "--whitelisted_container_labels=org.enrichment.service,org.enrichment.stack",
        "--housekeeping_interval=15s",
        "--disable_metrics=percpu,sched,tcp,udp,advtcp,hugetlb,referenced_memory,cpu_topology,resctrl,process",
      ],
      hostMounts: [
        { hostPath: "/", containerPath: "/rootfs" },
        { hostPath: "/var/run", containerPath: "/var/run" },
        { hostPath: "/sys", containerPath: "/sys" },
        { hostPath: "/var/lib/docker", containerPath: "/var/lib/docker" },
        { hostPath: "/dev/disk", containerPath: "/dev/disk" },
      ],
    }),
    scrape: { metric_relabel_configs: CADVISOR_METRIC_RELABEL },
    minMemoryMb: 256,
    notes: "reads the Docker socket (read-only mount, but the socket grants Docker API access); runs unprivileged, so a few cgroup metrics may be missing",
  },
  {
    service: "node-exporter",
    image: "nodeExporter",
    port: EXPORTER_PORTS.nodeExporter,
    job: "node-exporter",
    about: "node-exporter",
    healthcheck: wgetTest(EXPORTER_PORTS.nodeExporter, "/metrics"),
    enabled: () => true,
    container: () => ({
      command: [
        "--path.rootfs=/host",
        `--web.listen-address=:${EXPORTER_PORTS.nodeExporter}`,
        "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+)($|/)",
      ],
      hostMounts: [{ hostPath: "/", containerPath: "/host" }],
    }),
    notes: "sees the host's filesystems, memory and CPU through /host; network metrics are the container's own",
  },
  {
    service: "dcgm-exporter",
    image: "dcgmExporter",
    port: EXPORTER_PORTS.dcgmExporter,
    job: "dcgm-exporter",
    about: "dcgm-exporter",
    // Ubuntu image: bash, no curl or wget.
    healthcheck: ["CMD", "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${EXPORTER_PORTS.dcgmExporter}`],
    enabled: (selection) => selection.gpu,
    container: (input) => ({ gpus: input.gpus }),
    minMemoryMb: 512,
  },
];

/** The exporters a stack runs. */
export function enabledExporters(selection: ExporterSelection): ExporterEntry[] {
  return EXPORTERS.filter((exporter) => exporter.enabled(selection));
}
