// The swarm renderer of the service description (serviceSpec.ts): one docker.Service per spec,
// its secret files as docker.Secret (0400, owned by the reader's uid:gid), its generated files as
// docker.ServiceConfig named by content hash (a change creates a new config, which rolls the
// service), placement by node label, replicas, rolling updates that start the new task first
// where two can coexist and roll back on failure, and `pulumi up` waiting until every task runs
// healthy (convergeConfig). The same hardening as the container: pinned image, healthcheck,
// restart on failure, limits, log rotation, labels, private network with the service's name as
// alias, no published port unless the stack publishes one.
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { swarmDuration } from "../facts/readback";
import { LABEL_PREFIX } from "../facts/services";
import { RELEASE_ENV } from "../facts/metricsContract";
import { roleConstraint, SwarmRole } from "../facts/swarm";
import { SwarmTarget, targetOf } from "./context";
import { ifServiceExists, SwarmJob, swarmJobScript } from "./dockerCommand";
import { DEFAULT_HEALTHCHECK, ExecOptions, runtimeOf, ServiceEnvironment, serviceLabels, ServiceSpec, serviceSpecProblems } from "./serviceSpec";

export type SwarmServiceArgs = ServiceSpec & ServiceEnvironment;

/** Docker refuses secret and config names over 64 characters. */
const MAX_OBJECT_NAME = 64;
const SECRET_MODE = 0o400;
const FILE_MODE = 0o444;
const EXECUTABLE_MODE = 0o555;
/** How long a service that holds a volume has to stop before it is killed. */
const STOP_GRACE_SECONDS = 30;

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * `<prefix>-<service>-<file>-<hash>`: a changed content is a new name, so the new object is created
 * before the service moves to it and the old one is deleted after (an object in use cannot be
 * deleted, and a swarm object's data cannot change).
 */
export function objectName(prefix: string, service: string, file: string, content: string): string {
  const hash = sha(`${service}\n${file}\n${content}`).slice(0, 12);
  const base = `${prefix}-${service}-${path.posix.basename(file).replace(/[^A-Za-z0-9_.-]/g, "-")}`;
  return `${base.slice(0, MAX_OBJECT_NAME - hash.length - 1)}-${hash}`;
}

/** The update order: a second task beside the first only where it cannot fight over a volume or a host port. */
export function updateOrder(spec: Pick<ServiceSpec, "volumes" | "ports" | "perNode">): "start-first" | "stop-first" {
  return spec.volumes?.length || spec.ports?.length || spec.perNode ? "stop-first" : "start-first";
}

export class SwarmService extends pulumi.ComponentResource {
  readonly service: docker.Service;
  readonly secrets: docker.Secret[] = [];
  readonly configs: docker.ServiceConfig[] = [];
  /** The swarm service's name (`<prefix>-<service>`): what `docker service ps` shows. */
  readonly containerName: string;
  /** The service's DNS name on the private network (an alias of every task). */
  readonly hostname: string;
  /** The image reference every node pulls. */
  readonly imageRef: pulumi.Input<string>;
  private readonly args: SwarmServiceArgs;
  private readonly target: SwarmTarget;
  private readonly secretRefs: { name: pulumi.Output<string>; target: string; uid: number; gid: number; mode: number }[] = [];
  private readonly configRefs: { name: pulumi.Output<string>; target: string; mode: number }[] = [];
  private readonly user?: string;
  private readonly env: Record<string, pulumi.Input<string>>;

  constructor(name: string, args: SwarmServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:platform:SwarmService", name, {}, opts);
    const target = targetOf(args.context);
    if (target.kind !== "swarm") throw new Error(`SwarmService ${name}: the context's target is not a swarm`);
    const problems = serviceSpecProblems(args);
    if (args.gpus !== undefined) problems.push(`a swarm service cannot request --gpus (${args.gpus}): reserve the GPU generic resource (reservesGpu) and run the NVIDIA runtime as the GPU node's default (docs/swarm.md)`);
    if (problems.length) throw new Error(`SwarmService ${name}: ${problems.join("; ")}`);
    this.args = args;
    this.target = target;

    const { context, network, service } = args;
    this.hostname = service;
    this.containerName = `${context.prefix}-${service}`;
    // Every node pulls the pinned reference itself; an image resource pulls only on the manager.
    this.imageRef = typeof args.image === "string" ? args.image : args.image.name;

    const health = { ...DEFAULT_HEALTHCHECK, ...args.healthcheck };
    const runtime = runtimeOf(args, context);
    this.user = args.user ?? runtime.user;
    // A release service is told its release, as its container is (facts/metricsContract.ts).
    const env: Record<string, pulumi.Input<string>> = { ...(args.release ? { [RELEASE_ENV]: args.release } : {}), ...(args.env ?? {}) };
    for (const file of args.secretFiles ?? []) if (file.envVar) env[file.envVar] = file.path;
    this.env = env;

    const objectLabels = [
      { label: `${LABEL_PREFIX}.stack`, value: context.stack },
      { label: `${LABEL_PREFIX}.service`, value: service },
      { label: `${LABEL_PREFIX}.managed-by`, value: "pulumi" },
    ];
    const resourceNames = uniqueNames([...(args.secretFiles ?? []), ...(args.files ?? [])].map((file) => path.posix.basename(file.path)));
    let index = 0;

    for (const file of args.secretFiles ?? []) {
      const content = pulumi.secret(file.content);
      const secret = new docker.Secret(
        `${name}-secret-${resourceNames[index++]}`,
        {
          name: content.apply((text) => objectName(context.prefix, service, file.path, text)),
          data: content.apply((text) => Buffer.from(text, "utf8").toString("base64")),
          labels: objectLabels,
        },
        { parent: this },
      );
      this.secrets.push(secret);
      this.secretRefs.push({ name: secret.name, target: file.path, uid: runtime.owner.uid, gid: runtime.owner.gid, mode: SECRET_MODE });
    }
    for (const file of args.files ?? []) {
      const content = pulumi.output(file.content);
      const config = new docker.ServiceConfig(
        `${name}-config-${resourceNames[index++]}`,
        {
          name: content.apply((text) => objectName(context.prefix, service, file.path, text)),
          data: content.apply((text) => Buffer.from(text, "utf8").toString("base64")),
          labels: objectLabels,
        },
        { parent: this },
      );
      this.configs.push(config);
      this.configRefs.push({ name: config.name, target: file.path, mode: file.executable ? EXECUTABLE_MODE : FILE_MODE });
    }

    const labels = serviceLabels(args, context, args.placement);
    const labelList = Object.entries(labels).map(([label, value]) => ({ label, value }));

    const aliases = [service, ...(args.aliases ?? [])];
    const networks: docker.types.input.ServiceTaskSpecNetworksAdvanced[] = [{ id: network.privateNetwork.id, aliases }];
    if (args.egress) networks.push({ id: network.egressNetwork.id, aliases: [service] });
    // A host-mode port is published only through a network that is not internal (measured: on
    // the internal overlay alone the task runs and nothing listens on the node).
    else if (args.ports?.length) networks.push({ id: network.publishedNetwork.id, aliases: [service] });
    for (const external of args.externalNetworks ?? []) networks.push({ name: external, aliases: [service] });

    const order = updateOrder(args);
    const rollout = {
      parallelism: target.update.parallelism,
      delay: swarmDuration(target.update.delaySeconds),
      monitor: swarmDuration(target.update.monitorSeconds),
      maxFailureRatio: String(target.update.maxFailureRatio),
      order,
    };
    const replicas = args.replicas ?? 1;
    const convergeSeconds = Math.max(target.convergeTimeoutSeconds, args.waitTimeoutSeconds);

    this.service = new docker.Service(
      name,
      {
        name: this.containerName,
        labels: labelList,
        taskSpec: {
          containerSpec: {
            image: this.imageRef,
            hostname: service,
            // A swarm has no entrypoint field: `commands` replaces the image's entrypoint, `args` its command.
            commands: args.entrypoint,
            args: args.command,
            user: this.user,
            env: Object.keys(env).length ? env : undefined,
            labels: labelList,
            secrets: this.secretRefs.map((ref) => ({
              secretId: this.secrets[this.secretRefs.indexOf(ref)]!.id,
              secretName: ref.name,
              fileName: ref.target,
              fileUid: String(ref.uid),
              fileGid: String(ref.gid),
              fileMode: ref.mode,
            })),
            configs: this.configRefs.map((ref) => ({
              configId: this.configs[this.configRefs.indexOf(ref)]!.id,
              configName: ref.name,
              fileName: ref.target,
              fileUid: "0",
              fileGid: "0",
              fileMode: ref.mode,
            })),
            healthcheck: {
              tests: args.healthcheck.test,
              interval: swarmDuration(health.intervalSeconds),
              timeout: swarmDuration(health.timeoutSeconds),
              retries: health.retries,
              startPeriod: swarmDuration(health.startPeriodSeconds),
            },
            // A service that holds a volume gets time to stop cleanly, and `destroy` waits for its
            // containers to be gone (the provider waits only with a grace period), so the volume
            // is free to delete after it (measured: without, an unprotected volume's delete timed out "in_use").
            ...(args.volumes?.length ? { stopGracePeriod: swarmDuration(STOP_GRACE_SECONDS) } : {}),
            mounts: [
              ...(args.volumes ?? []).map((mount) => ({
                type: "volume",
                source: mount.volume instanceof docker.Volume ? mount.volume.name : mount.volume,
                target: mount.containerPath,
                readOnly: mount.readOnly ?? false,
              })),
              ...(args.hostMounts ?? []).map((mount) => ({
                type: "bind",
                source: mount.hostPath,
                target: mount.containerPath,
                readOnly: mount.readOnly ?? true,
              })),
            ],
          },
          resources: {
            limits: { memoryBytes: args.memoryMb * 1024 * 1024, nanoCpus: Math.round(args.cpus * 1e9) },
            ...(args.reservesGpu && target.gpu.count > 0
              ? { reservation: { genericResources: { discreteResourcesSpecs: [`${target.gpu.resource}=${target.gpu.count}`] } } }
              : {}),
          },
          // `unless-stopped` on one host; a swarm restarts a failed task, on this node or another.
          // (The window is read back as "0s": sent so, a second preview shows no change.)
          restartPolicy: { condition: "any", delay: "5s", window: "0s" },
          logDriver: { name: "json-file", options: { "max-size": "20m", "max-file": "5" } },
          networksAdvanceds: networks,
          placement: args.placement ? { constraints: [roleConstraint(args.placement)] } : undefined,
        },
        mode: args.perNode ? { global: true } : { replicated: { replicas } },
        endpointSpec: {
          mode: target.endpointMode,
          // Host mode: the routing mesh needs IPVS; a published port binds every address of the node.
          ports: [...(args.ports ?? [])]
            .sort((a, b) => a.internal - b.internal)
            .map((p) => ({ targetPort: p.internal, publishedPort: p.external, publishMode: "host", protocol: p.protocol ?? "tcp" })),
        },
        updateConfig: { ...rollout, failureAction: "rollback" },
        rollbackConfig: { ...rollout, failureAction: "pause" },
        // The provider waits for every replica to run healthy (a task with a healthcheck is
        // "starting" until then); a global service has no replica count for it to wait for.
        ...(args.perNode ? {} : { convergeConfig: { delay: "2s", timeout: swarmDuration(convergeSeconds) } }),
      },
      { parent: this, dependsOn: args.dependsOn },
    );

    this.registerOutputs({ serviceName: this.containerName, hostname: this.hostname });
  }

  /** `http://<service>:<port><path>` on the private network. */
  url(port: number, path = ""): string {
    return `http://${this.hostname}:${port}${path}`;
  }

  /**
   * A one-shot step as a swarm job: a task of the service's image, networks, secrets, files,
   * volumes, user and node (without its GPU reservation), so it runs wherever the service's task
   * runs and whatever node Pulumi is on. `args` gets the service's DNS name, which the step uses
   * where `docker exec` would use loopback.
   */
  exec(args: (self: string) => string[], options: ExecOptions = {}): pulumi.Output<string> {
    const spec = this.args;
    // As `docker exec` runs its words: the first is the program, whatever the image's entrypoint.
    const [program, ...rest] = args(this.hostname);
    if (!program) throw new Error(`SwarmService ${this.containerName}: exec needs a command`);
    const job: SwarmJob = {
      name: `${this.containerName}-job`,
      image: this.imageRef,
      networks: [spec.network.privateNetworkName, ...(spec.egress ? [spec.network.egressNetworkName] : [])],
      constraints: spec.placement ? [roleConstraint(spec.placement)] : [],
      mounts: (spec.volumes ?? []).map((mount) => ({
        type: "volume" as const,
        source: mount.volume instanceof docker.Volume ? mount.volume.name : mount.volume,
        target: mount.containerPath,
        readOnly: mount.readOnly,
      })),
      secrets: this.secretRefs,
      configs: this.configRefs,
      env: { ...this.env, ...(options.env ?? {}) },
      user: this.user,
      entrypoint: [program],
      args: rest,
      timeoutSeconds: options.timeoutSeconds ?? this.target.jobTimeoutSeconds,
    };
    return swarmJobScript(job);
  }

  /** Runs `then` only while the swarm service exists, so a delete after it is gone succeeds. */
  whenPresent(then: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(then).apply((command) => ifServiceExists(this.containerName, command));
  }

  /** The node role this service is pinned to, if any. */
  get placement(): SwarmRole | undefined {
    return this.args.placement;
  }
}

/** File names made unique (`a`, `a-2`, ...), for resource names under one service. */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((raw) => {
    const base = raw.replace(/[^A-Za-z0-9_.-]/g, "-");
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}-${count}`;
  });
}
