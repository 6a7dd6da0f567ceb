// What would be deployed, at a glance: one row per container with what a reviewer asks first
// (image, where it is published, its size, its volumes, how long `up` waits for it, its user),
// read from the same records resources.json holds.
import type { ResourceRecord } from "./evaluate";
import { mockImageId } from "./mocks";

const CONTAINER = "docker:index/container:Container";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const SERVICE = "docker:index/service:Service";

/** A swarm service's row: its replicas and the node role it is pinned to beside its name. */
function swarmServiceRow(record: ResourceRecord): ServiceRow {
  const inputs = record.inputs as Record<string, any>;
  const spec = (inputs.taskSpec?.containerSpec ?? {}) as Record<string, any>;
  const limits = (inputs.taskSpec?.resources?.limits ?? {}) as { memoryBytes?: number; nanoCpus?: number };
  const constraint = ((inputs.taskSpec?.placement?.constraints ?? []) as string[]).map((c) => /node\.labels\.org\.enrichment\.(\w+)==true/.exec(c)?.[1] ?? c);
  const count = inputs.mode?.global ? "on every node" : `x${inputs.mode?.replicated?.replicas ?? 1}${constraint.length ? ` on ${constraint.join("+")}` : ""}`;
  const ports = ((inputs.endpointSpec?.ports ?? []) as { publishedPort: number; targetPort: number; publishMode?: string }[]).map((p) => `*:${p.publishedPort}->${p.targetPort} (${p.publishMode ?? "ingress"})`);
  const volumes = ((spec.mounts ?? []) as { type: string; source: string; target: string; readOnly?: boolean }[]).map((m) => `${m.source}:${m.target}${m.readOnly ? ":ro" : ""}`);
  return {
    container: `${inputs.name ?? record.name} ${count}`,
    image: String(spec.image ?? "?"),
    published: ports.join(", ") || "-",
    memoryMb: limits.memoryBytes === undefined ? "-" : String(limits.memoryBytes / (1024 * 1024)),
    cpus: limits.nanoCpus === undefined ? "-" : String(limits.nanoCpus / 1e9),
    volumes: volumes.join(", ") || "-",
    waitSeconds: inputs.convergeConfig?.timeout ?? "-",
    user: spec.user ?? "image default",
  };
}

export interface ServiceRow {
  container: string;
  image: string;
  published: string;
  memoryMb: string;
  cpus: string;
  volumes: string;
  waitSeconds: string;
  user: string;
}

interface ContainerInputs {
  name?: string;
  image?: string;
  user?: string;
  memory?: number;
  cpus?: string;
  waitTimeout?: number;
  ports?: { internal: number; external: number; ip?: string; protocol?: string }[];
  volumes?: { volumeName?: string; hostPath?: string; containerPath: string; readOnly?: boolean }[];
}

export function serviceRows(records: ResourceRecord[]): ServiceRow[] {
  const imageById = new Map(records.filter((r) => r.type === REMOTE_IMAGE).map((r) => [mockImageId(String(r.inputs.name)), String(r.inputs.name)]));
  return records
    .filter((record) => record.type === CONTAINER || record.type === SERVICE)
    .map((record) => {
      if (record.type === SERVICE) return swarmServiceRow(record);
      const inputs = record.inputs as ContainerInputs;
      // The container's image input is its RemoteImage's id (a stand-in offline): show the reference.
      const image = imageById.get(String(inputs.image)) ?? String(inputs.image ?? "?");
      const ports = (inputs.ports ?? []).map((p) => `${p.ip ?? "0.0.0.0"}:${p.external}->${p.internal}${p.protocol && p.protocol !== "tcp" ? `/${p.protocol}` : ""}`);
      const volumes = (inputs.volumes ?? []).map((v) => `${v.volumeName ?? v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
      return {
        container: inputs.name ?? record.name,
        image,
        published: ports.join(", ") || "-",
        memoryMb: inputs.memory === undefined ? "-" : String(inputs.memory),
        cpus: inputs.cpus ?? "-",
        volumes: volumes.join(", ") || "-",
        waitSeconds: inputs.waitTimeout === undefined ? "-" : String(inputs.waitTimeout),
        user: inputs.user ?? "image default",
      };
    });
}

const HEADINGS: Record<keyof ServiceRow, string> = {
  container: "container",
  image: "image",
  published: "published",
  memoryMb: "memory MB",
  cpus: "CPUs",
  volumes: "volumes",
  waitSeconds: "health wait s",
  user: "user",
};

/** A plain-text table, columns padded to their widest cell. */
export function renderServiceTable(records: ResourceRecord[]): string {
  const rows = serviceRows(records);
  const columns = Object.keys(HEADINGS) as (keyof ServiceRow)[];
  const widths = columns.map((column) => Math.max(HEADINGS[column].length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  return [line(columns.map((c) => HEADINGS[c])), line(widths.map((w) => "-".repeat(w))), ...rows.map((row) => line(columns.map((c) => row[c])))].join("\n");
}
