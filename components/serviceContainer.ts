// The one hardened container every service runs in on a single Docker host: pinned image,
// healthcheck + wait, restart policy, limits, log rotation, labels, private network with a DNS
// alias, no host port unless the stack publishes one, secrets as files. The host renderer of the
// service description (serviceSpec.ts); swarmService.ts renders the same description on a swarm.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerCpus, goDuration } from "../facts/readback";
import { LABEL_PREFIX } from "../facts/services";
import { secretDelivery } from "./secretDelivery";
import { RELEASE_ENV } from "../facts/metricsContract";
import { dockerExec, ifContainerExists } from "./dockerCommand";
import { DEFAULT_HEALTHCHECK, ExecOptions, PublishedPort, runtimeOf, ServiceEnvironment, serviceLabels, ServiceSpec, serviceSpecProblems } from "./serviceSpec";

// Re-exported: most components import the context and the description's parts with the container.
export type { PlatformContext } from "./context";
export { APP_GROUPS } from "./serviceSpec";
export type { ConfigFile, Healthcheck, HostMount, PublishedPort, SecretFile, ServiceGroup, VolumeMount } from "./serviceSpec";

export type ServiceContainerArgs = ServiceSpec & ServiceEnvironment;

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
    const runtime = runtimeOf(args, context);
    const user = args.user ?? runtime.user;
    const delivery = secretDelivery(user ?? runtime.imageUser ?? "unknown", runtime.owner);
    // A release container is told its release: the `release` label of its metrics (facts/metricsContract.ts).
    const env: Record<string, pulumi.Input<string>> = { ...(args.release ? { [RELEASE_ENV]: args.release } : {}), ...(args.env ?? {}) };
    for (const file of secretFiles) if (file.envVar) env[file.envVar] = file.path;

    const networks: docker.types.input.ContainerNetworksAdvanced[] = [{ name: network.privateNetworkName, aliases: [service, ...(args.aliases ?? [])] }];
    if (args.egress) networks.push({ name: network.egressNetworkName, aliases: [service] });
    // Docker cannot publish a port of a container that sits only on internal networks. The
    // published network has no NAT but Docker still forwards it: scripts/host-firewall.sh drops
    // what its containers start towards other interfaces (docs/network.md).
    else if (args.ports?.length) networks.push({ name: network.publishedNetworkName, aliases: [service] });
    for (const external of args.externalNetworks ?? []) networks.push({ name: external, aliases: [service] });

    const labels = serviceLabels(args, context);

    this.container = new docker.Container(
      name,
      {
        name: this.containerName,
        hostname: service,
        image: this.image.imageId,
        command: args.command,
        entrypoints: args.entrypoint,
        user,
        envs: Object.entries(env)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, value]) => pulumi.interpolate`${key}=${value}`),
        uploads: [
          // Readable by the service's own user (and root) only, in the one form the daemon honours
          // for this container's user (components/secretDelivery.ts).
          ...secretFiles.map((file) => ({
            file: file.path,
            content: pulumi.secret(file.content),
            ...delivery.upload,
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
        ...(secretFiles.length && delivery.groupAdds.length ? { groupAdds: delivery.groupAdds } : {}),
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

  /**
   * A one-shot step inside the service (`docker exec`), as a shell command for command.local.Command.
   * `args` gets the address the service listens on as seen by the step: its own loopback here.
   */
  exec(args: (self: string) => string[], _options: ExecOptions = {}): string {
    return dockerExec(this.containerName, args("127.0.0.1"));
  }

  /** Runs `then` only while the container exists, so a delete after it is gone succeeds. */
  whenPresent(then: pulumi.Input<string>): pulumi.Input<string> {
    return typeof then === "string" ? ifContainerExists(this.containerName, then) : pulumi.output(then).apply((command) => ifContainerExists(this.containerName, command));
  }
}

function validate(name: string, args: ServiceContainerArgs): void {
  const problems = serviceSpecProblems(args);
  if ((args.replicas ?? 1) !== 1) problems.push(`one host runs one container per spec: give each replica a spec of its own (replicas ${args.replicas})`);
  if (problems.length) throw new Error(`ServiceContainer ${name}: ${problems.join("; ")}`);
}
