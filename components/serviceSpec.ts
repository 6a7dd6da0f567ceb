// One description of a service: image, command, ports, health, secrets, generated files, volumes,
// size, user, placement. Planes write it once; a renderer turns it into what the stack's target
// runs: a container on one Docker host (serviceContainer.ts) or a Swarm service on a cluster
// (swarmService.ts). deploy.ts picks the renderer from the context's target.
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { IMAGES, ImageKey, RuntimeUser, userSpec } from "../facts/images";
import type { SwarmRole } from "../facts/swarm";
import { dockerCpus } from "../facts/readback";
import { LABEL_PREFIX } from "../facts/services";
import type { PlatformContext } from "./context";

export type ServiceGroup = "data" | "model" | "mcp" | "enrichment" | "api" | "edge" | "monitoring" | "ingestion";

/** Groups whose containers run the platform's own images (release.images): they run as `appRuntimeUser`. */
export const APP_GROUPS: readonly ServiceGroup[] = ["mcp", "enrichment", "api", "ingestion"];

export interface Healthcheck {
  /** Docker healthcheck test, e.g. ["CMD", "ollama", "list"]. */
  test: string[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retries?: number;
  startPeriodSeconds?: number;
}

export const DEFAULT_HEALTHCHECK = { intervalSeconds: 15, timeoutSeconds: 5, retries: 5, startPeriodSeconds: 10 };

export interface SecretFile {
  /** Absolute path inside the container, e.g. /run/secrets/mongodb-root-password. */
  path: string;
  /** The secret; wrapped in pulumi.secret() by the renderers in case a caller forgot. */
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
  /** Host address; the stack's bind address (127.0.0.1 by default) when unset. A swarm binds every address of the node. */
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

/** The service description both renderers read. */
export interface ServiceSpec {
  /** Service name: the DNS alias on the private network and the container (or swarm service) name suffix. */
  service: string;
  /**
   * More DNS names on the private network: a pool's shared name (all its members answer it), so
   * that Prometheus finds the members by DNS and scaling the pool changes no scrape config.
   */
  aliases?: string[];
  group: ServiceGroup;
  /** A pinned image reference, or an image resource shared by several containers (workers, on one host). */
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
  /** How long `pulumi up` waits for the service to turn healthy before failing. */
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
  /** `docker run --gpus` on one host ("all" or "device=..."). A swarm reserves its generic resource instead (`reservesGpu`). */
  gpus?: string;
  /** Release this service runs, shown as a label (canary vs current). */
  release?: string;
  labels?: Record<string, string>;
  /** Resources this service must wait for (e.g. a healthy database). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];

  // --- What only a cluster reads (a single host has one of everything on one machine).
  /** Identical instances behind the service's name (swarm replicas). One host runs one container per spec. */
  replicas?: number;
  /** The labelled node it must run on: where its volumes live (data), the GPU (gpu), the public ports (edge). */
  placement?: SwarmRole;
  /** Reserves the swarm's GPU generic resource (Ollama): only a node that advertises it takes the task. */
  reservesGpu?: boolean;
  /** One instance on every node (swarm global mode): exporters of the node itself. */
  perNode?: boolean;
}

/** How a one-shot step reaches the service it acts on (PlatformService.exec). */
export interface ExecOptions {
  /** Environment of the step when it cannot run inside the service's own container (a swarm). */
  env?: Record<string, string>;
  /** How long the step may take, when it runs as a task of its own (a swarm). */
  timeoutSeconds?: number;
}

/** What a renderer is given besides the spec: where it deploys. */
export interface ServiceEnvironment {
  context: PlatformContext;
  network: import("./network").PlatformNetwork;
}

/**
 * The labels both renderers put on a service (its container, or its swarm service and tasks):
 * stack, environment, service, group, release, and which facts/images.ts entry describes the
 * image (tests check the container against it). `placement`, the node label it is pinned to,
 * only a cluster reads: one host passes none.
 */
export function serviceLabels(
  spec: Pick<ServiceSpec, "service" | "group" | "release" | "imageKey" | "labels">,
  context: Pick<PlatformContext, "stack" | "environment">,
  placement?: SwarmRole,
): Record<string, string> {
  return {
    [`${LABEL_PREFIX}.stack`]: context.stack,
    [`${LABEL_PREFIX}.environment`]: context.environment,
    [`${LABEL_PREFIX}.service`]: spec.service,
    [`${LABEL_PREFIX}.group`]: spec.group,
    [`${LABEL_PREFIX}.managed-by`]: "pulumi",
    ...(spec.release ? { [`${LABEL_PREFIX}.release`]: spec.release } : {}),
    ...(spec.imageKey ? { [`${LABEL_PREFIX}.image-key`]: spec.imageKey } : {}),
    ...(placement ? { [`${LABEL_PREFIX}.placement`]: placement } : {}),
    ...(spec.labels ?? {}),
  };
}

/**
 * Who the service runs as (`user`: the --user the program sets), who reads its secret files, and
 * the image's own USER line when the catalog knows it ("" for none; undefined when unknown).
 */
export function runtimeOf(spec: Pick<ServiceSpec, "imageKey" | "group">, context: PlatformContext): { owner: RuntimeUser; user?: string; imageUser?: string } {
  if (spec.imageKey) {
    const facts = IMAGES[spec.imageKey];
    return { owner: facts.user.value, user: facts.userOverride, imageUser: facts.imageUser.value };
  }
  if (APP_GROUPS.includes(spec.group)) return { owner: context.appRuntimeUser, user: userSpec(context.appRuntimeUser) };
  // A third-party image without a catalog entry: root-owned files, the image's own user. Only
  // root (or a process with group 0) reads them; give the image an entry in facts/images.ts.
  return { owner: { uid: 0, gid: 0 } };
}

/** Every problem with a spec, each saying what to change; empty when it can be rendered. */
export function serviceSpecProblems(spec: ServiceSpec): string[] {
  const problems: string[] = [];
  if (dockerCpus(spec.cpus) === undefined) problems.push(`cpus ${spec.cpus} does not read back as sent from the docker provider (facts/readback.ts); use e.g. 0.1, 0.25, 0.5, 1`);
  if (spec.gpus !== undefined && !/^(all|device=[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*)$/.test(spec.gpus)) {
    problems.push(`gpus "${spec.gpus}" must be "all" or "device=<id>[,<id>...]" (leave it unset for no GPU)`);
  }
  if (!/^[a-z][a-z0-9-]*$/.test(spec.service)) problems.push(`service "${spec.service}" must be lower-case letters, digits and dashes`);
  if (spec.healthcheck.test.length === 0) problems.push("healthcheck.test must not be empty: `wait` needs a healthcheck");
  if (!(spec.waitTimeoutSeconds > 0)) problems.push("waitTimeoutSeconds must be > 0");
  if (!(spec.memoryMb >= 16)) problems.push(`memoryMb must be >= 16 (it is in MB), got ${spec.memoryMb}`);
  if (!(spec.cpus > 0)) problems.push(`cpus must be > 0, got ${spec.cpus}`);
  for (const file of spec.secretFiles ?? []) if (!file.path.startsWith("/")) problems.push(`secret file path "${file.path}" must be absolute`);
  for (const file of spec.files ?? []) if (!file.path.startsWith("/")) problems.push(`file path "${file.path}" must be absolute`);
  const hostPorts = (spec.ports ?? []).map((p) => `${p.address}:${p.external}`);
  if (new Set(hostPorts).size !== hostPorts.length) problems.push(`host ports must be unique, got ${hostPorts.join(", ")}`);
  if (spec.replicas !== undefined && !(Number.isInteger(spec.replicas) && spec.replicas >= 1)) problems.push(`replicas must be an integer >= 1, got ${spec.replicas}`);
  if (spec.perNode && spec.replicas !== undefined && spec.replicas !== 1) problems.push("perNode runs one instance on every node: give it no replicas");
  if (spec.perNode && spec.volumes?.length) problems.push("perNode services cannot mount named volumes: each node would get a volume of its own");
  return problems;
}
