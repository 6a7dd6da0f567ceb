// The one hardened container every service runs in: pinned image, healthcheck + wait, restart
// policy, limits, log rotation, labels, private network with a DNS alias, no host port unless the
// stack publishes one, secrets as files.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "./network";
import { LABEL_PREFIX } from "./services";

export type ServiceGroup = "data" | "model" | "mcp" | "enrichment" | "api" | "edge" | "monitoring";

/** What every component needs to name and label what it creates. */
export interface PlatformContext {
  stack: string;
  environment: "staging" | "production";
  /** Prefix of container, volume and network names. */
  prefix: string;
  /** Stateful volumes get `protect` + `retainOnDelete` when true. */
  protectState: boolean;
  /** Docker host, for commands that run the docker CLI against it (model pulls, topic creation). */
  dockerHost: string;
}

export interface Healthcheck {
  /** Docker healthcheck test, e.g. ["CMD", "ollama", "list"]. */
  test: string[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retries?: number;
  startPeriodSeconds?: number;
}

export interface SecretFile {
  /** Absolute path inside the container, e.g. /run/secrets/mongodb-root-password. */
  path: string;
  /** The secret; wrapped in pulumi.secret() here in case a caller forgot. */
  content: pulumi.Input<string>;
  /** Environment variable that receives the path (the image's `*_FILE` convention). */
  envVar?: string;
}

export interface ConfigFile {
  path: string;
  content: pulumi.Input<string>;
  executable?: boolean;
}

export interface PublishedPort {
  internal: number;
  external: number;
  /** Host address; the stack's bind address (127.0.0.1 by default) when unset. */
  address: string;
  protocol?: "tcp" | "udp";
}

export interface VolumeMount {
  volume: docker.Volume | pulumi.Input<string>;
  containerPath: string;
  readOnly?: boolean;
}

export interface HostMount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

export interface ServiceContainerArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  /** Service name: the DNS alias on the private network and the container name suffix. */
  service: string;
  group: ServiceGroup;
  /** A pinned image reference, or an image resource shared by several containers (workers). */
  image: string | docker.RemoteImage;
  command?: pulumi.Input<string>[];
  entrypoint?: pulumi.Input<string>[];
  user?: string;
  env?: Record<string, pulumi.Input<string>>;
  secretFiles?: SecretFile[];
  files?: ConfigFile[];
  healthcheck: Healthcheck;
  /** How long `pulumi up` waits for the container to turn healthy before failing. */
  waitTimeoutSeconds: number;
  memoryMb: number;
  cpus: number;
  /** Ports published on the host; none unless the stack publishes them. */
  ports?: PublishedPort[];
  /** Joins the egress network (a route out): only what must reach the outside. */
  egress?: boolean;
  /** Existing Docker networks (by name) to join as well; never managed here. */
  externalNetworks?: pulumi.Input<string>[];
  volumes?: VolumeMount[];
  hostMounts?: HostMount[];
  gpus?: string;
  /** Release this container runs, shown as a label (canary vs current). */
  release?: string;
  labels?: Record<string, string>;
  /** Resources this service must wait for (e.g. a healthy database). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

const DEFAULT_HEALTHCHECK = { intervalSeconds: 15, timeoutSeconds: 5, retries: 5, startPeriodSeconds: 10 };

const seconds = (value: number) => `${value}s`;

export { LABEL_PREFIX };

export class ServiceContainer extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly image: docker.RemoteImage;
  /** The container's name on the Docker host. */
  readonly containerName: string;
  /** The service's DNS name on the private network. */
  readonly hostname: string;

  constructor(name: string, args: ServiceContainerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:platform:ServiceContainer", name, {}, opts);
    validate(name, args);

    const { context, network, service } = args;
    this.hostname = service;
    this.containerName = `${context.prefix}-${service}`;

    this.image =
      typeof args.image === "string"
        ? new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this })
        : args.image;

    const health = { ...DEFAULT_HEALTHCHECK, ...args.healthcheck };
    const secretFiles = args.secretFiles ?? [];
    const env: Record<string, pulumi.Input<string>> = { ...(args.env ?? {}) };
    for (const file of secretFiles) if (file.envVar) env[file.envVar] = file.path;

    const networks: docker.types.input.ContainerNetworksAdvanced[] = [{ name: network.privateNetworkName, aliases: [service] }];
    if (args.egress) networks.push({ name: network.egressNetworkName, aliases: [service] });
    // Docker cannot publish a port of a container that sits only on internal networks; the
    // published network has no NAT out, so publishing does not open a route to the internet.
    else if (args.ports?.length) networks.push({ name: network.publishedNetworkName, aliases: [service] });
    for (const external of args.externalNetworks ?? []) networks.push({ name: external, aliases: [service] });

    const labels: Record<string, string> = {
      [`${LABEL_PREFIX}.stack`]: context.stack,
      [`${LABEL_PREFIX}.environment`]: context.environment,
      [`${LABEL_PREFIX}.service`]: service,
      [`${LABEL_PREFIX}.group`]: args.group,
      [`${LABEL_PREFIX}.managed-by`]: "pulumi",
      ...(args.release ? { [`${LABEL_PREFIX}.release`]: args.release } : {}),
      ...(args.labels ?? {}),
    };

    this.container = new docker.Container(
      name,
      {
        name: this.containerName,
        hostname: service,
        image: this.image.imageId,
        command: args.command,
        entrypoints: args.entrypoint,
        user: args.user,
        envs: Object.entries(env)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, value]) => pulumi.interpolate`${key}=${value}`),
        uploads: [
          ...secretFiles.map((file) => ({ file: file.path, content: pulumi.secret(file.content), permissions: "0440" })),
          ...(args.files ?? []).map((file) => ({
            file: file.path,
            content: file.content,
            executable: file.executable ?? false,
          })),
        ],
        healthcheck: {
          tests: args.healthcheck.test,
          interval: seconds(health.intervalSeconds),
          timeout: seconds(health.timeoutSeconds),
          retries: health.retries,
          startPeriod: seconds(health.startPeriodSeconds),
        },
        wait: true,
        waitTimeout: args.waitTimeoutSeconds,
        restart: "unless-stopped",
        memory: args.memoryMb,
        memorySwap: args.memoryMb,
        cpus: String(args.cpus),
        logDriver: "json-file",
        logOpts: { "max-size": "20m", "max-file": "5" },
        labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
        networkMode: "bridge",
        networksAdvanced: networks,
        ports: (args.ports ?? []).map((p) => ({ internal: p.internal, external: p.external, ip: p.address, protocol: p.protocol ?? "tcp" })),
        volumes: [
          ...(args.volumes ?? []).map((mount) => ({
            volumeName: mount.volume instanceof docker.Volume ? mount.volume.name : mount.volume,
            containerPath: mount.containerPath,
            readOnly: mount.readOnly ?? false,
          })),
          ...(args.hostMounts ?? []).map((mount) => ({
            hostPath: mount.hostPath,
            containerPath: mount.containerPath,
            readOnly: mount.readOnly ?? true,
          })),
        ],
        gpus: args.gpus,
        // Docker's own default bridge would be attached too; networksAdvanced is the whole truth.
        mustRun: true,
      },
      {
        parent: this,
        dependsOn: args.dependsOn,
        // A fixed container name and host port collide if the new container starts first.
        deleteBeforeReplace: true,
        // The provider reads `gpus` back poorly; without this every preview shows a diff.
        ignoreChanges: args.gpus ? ["gpus"] : [],
      },
    );

    this.registerOutputs({ containerName: this.containerName, hostname: this.hostname });
  }

  /** `http://<service>:<port><path>` on the private network. */
  url(port: number, path = ""): string {
    return `http://${this.hostname}:${port}${path}`;
  }
}

function validate(name: string, args: ServiceContainerArgs): void {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]*$/.test(args.service)) problems.push(`service "${args.service}" must be lower-case letters, digits and dashes`);
  if (args.healthcheck.test.length === 0) problems.push("healthcheck.test must not be empty: `wait` needs a healthcheck");
  if (!(args.waitTimeoutSeconds > 0)) problems.push("waitTimeoutSeconds must be > 0");
  if (!(args.memoryMb >= 16)) problems.push(`memoryMb must be >= 16 (it is in MB), got ${args.memoryMb}`);
  if (!(args.cpus > 0)) problems.push(`cpus must be > 0, got ${args.cpus}`);
  for (const file of args.secretFiles ?? []) if (!file.path.startsWith("/")) problems.push(`secret file path "${file.path}" must be absolute`);
  for (const file of args.files ?? []) if (!file.path.startsWith("/")) problems.push(`file path "${file.path}" must be absolute`);
  const hostPorts = (args.ports ?? []).map((p) => `${p.address}:${p.external}`);
  if (new Set(hostPorts).size !== hostPorts.length) problems.push(`host ports must be unique, got ${hostPorts.join(", ")}`);
  if (problems.length) throw new Error(`ServiceContainer ${name}: ${problems.join("; ")}`);
}
