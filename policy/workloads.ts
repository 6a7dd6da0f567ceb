// Swarm services read as containers (issue 21): a docker.Service carries what a container does
// (image, command, user, environment, health, limits, logs, ports, volumes, secret and generated
// files) in other places. The policies that check a container read a service through this view,
// so one rule covers both targets. What the view cannot show a resource policy: the content of a
// generated file, which on a swarm is a docker.ServiceConfig of its own (a stack policy, which
// sees every resource, gets it: `configContents`).
import type { PolicyResource } from "@pulumi/policy";
import { SECRET_MARK, TYPES, UNKNOWN_MARK } from "./facts";
import { known, UNKNOWN, type Props } from "./read";

/** The workload types: one host's container, a swarm's service. */
export const WORKLOAD_TYPES = [TYPES.container, TYPES.service] as const;

const read = <T>(f: () => T): T | undefined => {
  const value = known(f);
  return value === UNKNOWN ? undefined : value;
};

/** `0o400` -> "0400", the form container uploads carry. */
const octal = (mode: unknown) => (typeof mode === "number" ? `0${mode.toString(8)}` : undefined);

/**
 * A service's props in the container's shape. `configs` maps a ServiceConfig's name to its text;
 * without it (a resource policy) a generated file's content is unknown.
 */
export function serviceAsContainer(props: Props, configs?: ReadonlyMap<string, string>): Props {
  const task = read(() => props.taskSpec as Props) ?? {};
  const spec = read(() => task.containerSpec as Props) ?? {};
  const env = read(() => spec.env as Record<string, string> | undefined) ?? {};
  const limits = read(() => task.resources?.limits as Props | undefined) ?? {};
  const memoryBytes = read(() => limits.memoryBytes as number | undefined);
  const nanoCpus = read(() => limits.nanoCpus as number | undefined);
  const condition = read(() => task.restartPolicy?.condition as string | undefined);
  const replicated = read(() => props.mode?.replicated as Props | undefined);
  const global = read(() => props.mode?.global as boolean | undefined);
  const secrets = (read(() => spec.secrets as Props[] | undefined) ?? []).map((s) => ({
    file: s.fileName,
    content: SECRET_MARK,
    permissions: octal(s.fileMode),
    owner: s.fileUid,
    group: s.fileGid,
  }));
  const files = (read(() => spec.configs as Props[] | undefined) ?? []).map((c) => ({
    file: c.fileName,
    content: configs?.get(String(c.configName)) ?? UNKNOWN_MARK,
    permissions: octal(c.fileMode),
  }));
  return {
    name: props.name,
    labels: props.labels,
    image: spec.image,
    command: spec.args,
    entrypoints: spec.commands,
    user: spec.user,
    groupAdds: spec.groups,
    envs: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    uploads: [...secrets, ...files],
    healthcheck: spec.healthcheck,
    // A swarm restarts a task on any exit (on this node or another): what unless-stopped is on one host.
    restart: condition === "any" ? "unless-stopped" : condition,
    memory: typeof memoryBytes === "number" ? memoryBytes / (1024 * 1024) : undefined,
    cpus: typeof nanoCpus === "number" ? nanoCpus / 1e9 : undefined,
    logDriver: task.logDriver?.name,
    logOpts: task.logDriver?.options,
    // A swarm service has neither a privileged flag nor the host network.
    privileged: false,
    // Every published port binds every address of its node (host mode has no address; the ingress mesh neither).
    ports: (read(() => props.endpointSpec?.ports as Props[] | undefined) ?? []).map((p) => ({ internal: p.targetPort, external: p.publishedPort, ip: "" })),
    volumes: (read(() => spec.mounts as Props[] | undefined) ?? [])
      .filter((m) => m.type === "volume")
      .map((m) => ({ volumeName: m.source, containerPath: m.target, readOnly: m.readOnly })),
    /** How many run: a service's replicas (one per node for a global one: counted as 1 here). */
    replicas: global ? 1 : Number(replicated?.replicas ?? 1),
    swarm: true,
  };
}

/** What a container policy reads: the container's own props, or the service's view. */
export function workloadProps(args: { type: string; props: Props }, configs?: ReadonlyMap<string, string>): Props {
  return args.type === TYPES.service ? serviceAsContainer(args.props, configs) : args.props;
}

/** Every ServiceConfig's text by its name (a service's reference carries the name too), for stack policies. */
export function configContents(resources: PolicyResource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of resources.filter((r) => r.type === TYPES.serviceConfig)) {
    const data = read(() => r.props.data as string | undefined);
    const name = read(() => r.props.name as string | undefined);
    if (typeof name === "string" && typeof data === "string" && data !== SECRET_MARK && data !== UNKNOWN_MARK) out.set(name, Buffer.from(data, "base64").toString("utf8"));
  }
  return out;
}
