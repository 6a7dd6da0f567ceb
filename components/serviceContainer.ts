// The one hardened container every service runs in: pinned image, healthcheck + wait, restart
// policy, limits, log rotation, labels, private network with a DNS alias, no host port unless the
// stack publishes one, secrets as files.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { IMAGES, ImageKey, RuntimeUser, userSpec } from "../facts/images";
import type { PlatformNetwork } from "./network";
import type { PlatformContext } from "./context";
import { dockerCpus, goDuration } from "../facts/readback";
import { LABEL_PREFIX } from "../facts/services";

// Re-exported: most components import the context with the container.
export type { PlatformContext } from "./context";

export type ServiceGroup = "data" | "model" | "mcp" | "enrichment" | "api" | "edge" | "monitoring";

/** Groups whose containers run the platform's own images (release.images): they run as `appRuntimeUser`. */
export const APP_GROUPS: readonly ServiceGroup[] = ["mcp", "enrichment", "api"];

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
  /**
   * More DNS names on the private network: a pool's shared name (all its members answer it), so
   * that Prometheus finds the members by DNS and scaling the pool changes no scrape config.
   */
  aliases?: string[];
  group: ServiceGroup;
  /** A pinned image reference, or an image resource shared by several containers (workers). */
  image: string | docker.RemoteImage;
  /**
   * The third-party image's entry in facts/images.ts: its runtime user owns the secret files
   * (and its `userOverride`, if any, is the container's --user). Unset for the platform's own
   * images (groups mcp, enrichment, api), which run as `context.appRuntimeUser`.
   */
  imageKey?: ImageKey;
  command?: pulumi.Input<string>[];
  entrypoint?: pulumi.Input<string>[];
  /** `--user`; defaults to the catalog's userOverride (third-party) or appRuntimeUser (own images). */
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

/** Orders ports as the provider reads them back (by internal port): the list is ForceNew. */
const byInternalPort = (a: PublishedPort, b: PublishedPort) => a.internal - b.internal || (a.protocol ?? "tcp").localeCompare(b.protocol ?? "tcp");

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
    const runtime = runtimeOf(args);
    const env: Record<string, pulumi.Input<string>> = { ...(args.env ?? {}) };
    for (const file of secretFiles) if (file.envVar) env[file.envVar] = file.path;

    const networks: docker.types.input.ContainerNetworksAdvanced[] = [{ name: network.privateNetworkName, aliases: [service, ...(args.aliases ?? [])] }];
    if (args.egress) networks.push({ name: network.egressNetworkName, aliases: [service] });
    // Docker cannot publish a port of a container that sits only on internal networks. The
    // published network has no NAT but Docker still forwards it: scripts/host-firewall.sh drops
    // what its containers start towards other interfaces (docs/network.md).
    else if (args.ports?.length) networks.push({ name: network.publishedNetworkName, aliases: [service] });
    for (const external of args.externalNetworks ?? []) networks.push({ name: external, aliases: [service] });

    const labels: Record<string, string> = {
      [`${LABEL_PREFIX}.stack`]: context.stack,
      [`${LABEL_PREFIX}.environment`]: context.environment,
      [`${LABEL_PREFIX}.service`]: service,
      [`${LABEL_PREFIX}.group`]: args.group,
      [`${LABEL_PREFIX}.managed-by`]: "pulumi",
      ...(args.release ? { [`${LABEL_PREFIX}.release`]: args.release } : {}),
      // Which facts/images.ts entry describes the image (tests check the container against it).
      ...(args.imageKey ? { [`${LABEL_PREFIX}.image-key`]: args.imageKey } : {}),
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
        user: args.user ?? runtime.user,
        envs: Object.entries(env)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, value]) => pulumi.interpolate`${key}=${value}`),
        uploads: [
          // Readable by the service's own user and nobody else: 0400, owned by its uid:gid
          // (numeric, so the provider does not look the names up on the Pulumi host).
          ...secretFiles.map((file) => ({
            file: file.path,
            content: pulumi.secret(file.content),
            permissions: "0400",
            owner: String(runtime.owner.uid),
            group: String(runtime.owner.gid),
          })),
          ...(args.files ?? []).map((file) => ({
            file: file.path,
            content: file.content,
            executable: file.executable ?? false,
          })),
        ],
        healthcheck: {
          tests: args.healthcheck.test,
          // Go's Duration.String() form ("1m0s", not "60s"): what the provider reads back.
          interval: goDuration(health.intervalSeconds),
          timeout: goDuration(health.timeoutSeconds),
          retries: health.retries,
          startPeriod: goDuration(health.startPeriodSeconds),
        },
        wait: true,
        waitTimeout: args.waitTimeoutSeconds,
        restart: "unless-stopped",
        memory: args.memoryMb,
        memorySwap: args.memoryMb,
        // nanoInt64ToDecimalString's form ("1.0", "0.5"): a different string replaces the container.
        cpus: dockerCpus(args.cpus),
        logDriver: "json-file",
        logOpts: { "max-size": "20m", "max-file": "5" },
        labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
        networkMode: "bridge",
        networksAdvanced: networks,
        ports: [...(args.ports ?? [])]
          .sort(byInternalPort)
          .map((p) => ({ internal: p.internal, external: p.external, ip: p.address, protocol: p.protocol ?? "tcp" })),
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
        // Absent, not empty, without a GPU: any gpus request makes Docker refuse the container on a
        // host without the NVIDIA runtime. "all" and "device=..." read back as sent.
        ...(args.gpus ? { gpus: args.gpus } : {}),
        // Docker's own default bridge would be attached too; networksAdvanced is the whole truth.
        mustRun: true,
      },
      {
        parent: this,
        dependsOn: args.dependsOn,
        // A fixed container name and host port collide if the new container starts first.
        deleteBeforeReplace: true,
      },
    );

    this.registerOutputs({ containerName: this.containerName, hostname: this.hostname });
  }

  /** `http://<service>:<port><path>` on the private network. */
  url(port: number, path = ""): string {
    return `http://${this.hostname}:${port}${path}`;
  }
}

/** Who the container runs as and who owns its secret files. */
function runtimeOf(args: ServiceContainerArgs): { owner: RuntimeUser; user?: string } {
  if (args.imageKey) {
    const facts = IMAGES[args.imageKey];
    return { owner: facts.user.value, user: facts.userOverride };
  }
  if (APP_GROUPS.includes(args.group)) return { owner: args.context.appRuntimeUser, user: userSpec(args.context.appRuntimeUser) };
  // A third-party image without a catalog entry: root-owned files, the image's own user. Only
  // root (or a process with group 0) reads them; give the image an entry in facts/images.ts.
  return { owner: { uid: 0, gid: 0 } };
}

function validate(name: string, args: ServiceContainerArgs): void {
  const problems: string[] = [];
  if (dockerCpus(args.cpus) === undefined) problems.push(`cpus ${args.cpus} does not read back as sent from the docker provider (facts/readback.ts); use e.g. 0.1, 0.25, 0.5, 1`);
  if (args.gpus !== undefined && !/^(all|device=[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*)$/.test(args.gpus)) {
    problems.push(`gpus "${args.gpus}" must be "all" or "device=<id>[,<id>...]" (leave it unset for no GPU)`);
  }
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
