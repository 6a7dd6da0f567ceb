// The docker provider's resources applied with dockerode, in the provider's own sequence
// (kreuzwerker/terraform-provider-docker, internal/provider/resource_docker_container_funcs.go,
// which @pulumi/docker wraps): create the container on the bridge, disconnect it, connect each
// network of networksAdvanced with its aliases, upload the files as a tar at `/`, start, wait for
// healthy up to waitTimeout. Reads give back what the provider's Read sets, in its forms, so a
// diff against them is the diff `pulumi preview` shows.
import type Docker from "dockerode";
import * as tar from "tar-stream";

export type Props = Record<string, unknown>;

export class StepError extends Error {
  constructor(
    message: string,
    /** Container logs or command output that explain the failure. */
    readonly logs?: string,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------------------------------------
// Forms the provider reads back

/** Go's nanoInt64ToDecimalString as the provider reads `cpus` (1 -> "1.0", 0.25 -> "0.25", 10 -> "10."). */
export function nanoInt64ToDecimalString(nano: number): string {
  if (nano === 0) return "0";
  const whole = Math.trunc(nano / 1e9);
  const frac = String(nano % 1e9).padStart(9, "0");
  const str = `${whole}.${frac}`;
  if ((str.match(/0/g) ?? []).length === 9) return `${whole}.${frac.slice(0, 1)}`;
  return str.replace(/0+$/, "");
}

/** Go's time.Duration.String for whole nanoseconds ("60s" -> "1m0s", 0 -> "0s", 500ms -> "500ms"). */
export function goDurationString(nanos: number): string {
  if (nanos === 0) return "0s";
  if (nanos < 1e9) {
    if (nanos < 1e3) return `${nanos}ns`;
    if (nanos < 1e6) return `${trimFloat(nanos / 1e3)}µs`;
    return `${trimFloat(nanos / 1e6)}ms`;
  }
  const totalSeconds = nanos / 1e9;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds - hours * 3600) / 60);
  const seconds = trimFloat(totalSeconds - hours * 3600 - minutes * 60);
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

const trimFloat = (n: number) => String(Number(n.toFixed(9)));

/** Go's time.ParseDuration for the units a healthcheck uses. */
export function parseGoDuration(text: string): number {
  if (text === "0" || text === "") return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let matched = "";
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0];
  }
  if (matched !== text) throw new StepError(`invalid duration "${text}" (Go's time.ParseDuration would refuse it)`);
  return Math.round(total);
}

// ------------------------------------------------------------------------------------------
// Network

export async function createNetwork(docker: Docker, inputs: Props): Promise<{ id: string; outputs: Props }> {
  const ipam = (inputs.ipamConfigs as Props[] | undefined) ?? [];
  const labels = Object.fromEntries(((inputs.labels as { label: string; value: string }[]) ?? []).map((l) => [l.label, l.value]));
  const network = await docker.createNetwork({
    Name: String(inputs.name),
    Driver: (inputs.driver as string) ?? "bridge",
    Internal: inputs.internal === true,
    Attachable: inputs.attachable === true,
    CheckDuplicate: true,
    Options: (inputs.options as Record<string, string>) ?? {},
    Labels: labels,
    IPAM: {
      Driver: (inputs.ipamDriver as string) ?? "default",
      Config: ipam.map((c) => ({ Subnet: c.subnet as string, Gateway: c.gateway as string, IPRange: c.ipRange as string })),
    },
  });
  const read = await readNetwork(docker, network.id, inputs);
  if (!read) throw new StepError(`network ${String(inputs.name)} vanished right after it was created`);
  return { id: network.id, outputs: read };
}

export async function readNetwork(docker: Docker, id: string, state: Props): Promise<Props | undefined> {
  try {
    const info = await docker.getNetwork(id).inspect();
    return {
      ...state,
      name: info.Name,
      driver: info.Driver,
      internal: info.Internal,
      scope: info.Scope,
      ...(state.options !== undefined ? { options: info.Options ?? {} } : {}),
      ...(state.ipamConfigs !== undefined
        ? { ipamConfigs: ((info.IPAM?.Config ?? []) as Props[]).map((c) => ({ subnet: c.Subnet, gateway: c.Gateway, ipRange: c.IPRange ?? "", auxAddress: {} })) }
        : {}),
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function deleteNetwork(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getNetwork(id).remove();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

// ------------------------------------------------------------------------------------------
// Volume

export async function createVolume(docker: Docker, inputs: Props): Promise<{ id: string; outputs: Props }> {
  const labels = Object.fromEntries(((inputs.labels as { label: string; value: string }[]) ?? []).map((l) => [l.label, l.value]));
  await docker.createVolume({
    Name: String(inputs.name),
    Driver: (inputs.driver as string) ?? "local",
    DriverOpts: (inputs.driverOpts as Record<string, string>) ?? {},
    Labels: labels,
  });
  const read = await readVolume(docker, String(inputs.name), inputs);
  if (!read) throw new StepError(`volume ${String(inputs.name)} vanished right after it was created`);
  return { id: String(read.name), outputs: read };
}

export async function readVolume(docker: Docker, id: string, state: Props): Promise<Props | undefined> {
  try {
    const info = (await docker.getVolume(id).inspect()) as unknown as { Name: string; Driver: string; Mountpoint: string };
    return { ...state, name: info.Name, driver: info.Driver, mountpoint: info.Mountpoint };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function deleteVolume(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getVolume(id).remove();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

// ------------------------------------------------------------------------------------------
// RemoteImage

/** `repo:tag@sha256:...` -> what to pull and how to find it locally. */
export function imageRef(name: string): { pull: string; inspect: string; repo: string } {
  const at = name.indexOf("@");
  if (at >= 0) {
    const repoTag = name.slice(0, at);
    const digest = name.slice(at + 1);
    const repo = stripTag(repoTag);
    return { pull: `${repo}@${digest}`, inspect: `${repo}@${digest}`, repo };
  }
  const repo = stripTag(name);
  return { pull: name.includes(":", name.lastIndexOf("/") + 1) ? name : `${name}:latest`, inspect: name, repo };
}

function stripTag(repoTag: string): string {
  const slash = repoTag.lastIndexOf("/");
  const colon = repoTag.lastIndexOf(":");
  return colon > slash ? repoTag.slice(0, colon) : repoTag;
}

export async function pullImage(docker: Docker, name: string): Promise<Props> {
  const ref = imageRef(name);
  let info = await inspectImage(docker, ref.inspect);
  if (!info) {
    const stream = await docker.pull(ref.pull);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
        const failed = events?.find((e) => e.error);
        if (error || failed) reject(new StepError(`pull ${ref.pull}: ${error?.message ?? failed?.error}`));
        else resolve();
      }),
    );
    info = await inspectImage(docker, ref.inspect);
    if (!info) throw new StepError(`pulled ${ref.pull} but cannot find it as ${ref.inspect}`);
  }
  const repoDigest = (info.RepoDigests ?? []).find((d) => d.startsWith(`${ref.repo}@`)) ?? (info.RepoDigests ?? [])[0] ?? "";
  return { imageId: info.Id, repoDigest };
}

export async function inspectImage(docker: Docker, ref: string): Promise<{ Id: string; RepoDigests?: string[] } | undefined> {
  try {
    return (await docker.getImage(ref).inspect()) as unknown as { Id: string; RepoDigests?: string[] };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function deleteImage(docker: Docker, inputs: Props, outputs: Props): Promise<void> {
  if (inputs.keepLocally === true) return;
  try {
    await docker.getImage(String(outputs.imageId)).remove({ force: false });
  } catch (error) {
    if (!isNotFound(error) && !/conflict|being used|in use/i.test(String((error as Error).message))) throw error;
  }
}

// ------------------------------------------------------------------------------------------
// Container

interface Upload {
  file: string;
  content?: string;
  contentBase64?: string;
  executable?: boolean;
  permissions?: string;
  owner?: string;
  group?: string;
}

function numericId(value: string | undefined, what: string, file: string): number {
  if (value === undefined || value === "") return 0;
  if (!/^\d+$/.test(value)) {
    throw new StepError(`upload ${file}: ${what} "${value}" is a name; the provider resolves names in the Pulumi host's own user database, not the image's, so give the numeric id`);
  }
  return Number(value);
}

/** One tar of every upload, each entry with its mode and numeric owner/group, extracted at `/`. */
export async function uploadsTar(uploads: Upload[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (chunk: unknown) => void chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on("end", () => resolve());
    pack.on("error", reject);
  });
  for (const upload of uploads) {
    const body = upload.contentBase64 ? Buffer.from(upload.contentBase64, "base64") : Buffer.from(upload.content ?? "", "utf8");
    const mode = upload.permissions ? parseInt(upload.permissions, 8) : upload.executable ? 0o744 : 0o644;
    pack.entry(
      { name: upload.file.replace(/^\/+/, ""), mode, uid: numericId(upload.owner, "owner", upload.file), gid: numericId(upload.group, "group", upload.file), mtime: new Date() },
      body,
    );
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

function containerCreateOptions(inputs: Props): Docker.ContainerCreateOptions {
  const health = inputs.healthcheck as Props | undefined;
  const ports = (inputs.ports as Props[] | undefined) ?? [];
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    const key = `${p.internal}/${(p.protocol as string) ?? "tcp"}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: (p.ip as string) ?? "0.0.0.0", HostPort: p.external === undefined ? "" : String(p.external) });
  }
  const binds: string[] = [];
  for (const v of (inputs.volumes as Props[] | undefined) ?? []) {
    const source = (v.volumeName as string) || (v.hostPath as string);
    binds.push(`${source}:${v.containerPath}${v.readOnly === true ? ":ro" : ""}`);
  }
  const gpus = inputs.gpus as string | undefined;
  const memory = inputs.memory as number | undefined;
  const swap = inputs.memorySwap as number | undefined;
  return {
    name: String(inputs.name),
    Hostname: inputs.hostname as string | undefined,
    Image: String(inputs.image),
    Cmd: inputs.command as string[] | undefined,
    Entrypoint: inputs.entrypoints as string[] | undefined,
    User: inputs.user as string | undefined,
    WorkingDir: inputs.workingDir as string | undefined,
    Env: (inputs.envs as string[] | undefined) ?? [],
    Labels: Object.fromEntries(((inputs.labels as { label: string; value: string }[]) ?? []).map((l) => [l.label, l.value])),
    ExposedPorts: ports.length ? exposed : undefined,
    Healthcheck: health
      ? {
          Test: health.tests as string[],
          Interval: parseGoDuration(String(health.interval ?? "0s")),
          Timeout: parseGoDuration(String(health.timeout ?? "0s")),
          StartPeriod: parseGoDuration(String(health.startPeriod ?? "0s")),
          Retries: Number(health.retries ?? 0),
        }
      : undefined,
    HostConfig: {
      NetworkMode: (inputs.networkMode as string) ?? "bridge",
      RestartPolicy: { Name: (inputs.restart as string) ?? "no", MaximumRetryCount: Number(inputs.maxRetryCount ?? 0) },
      Memory: memory ? memory * 1024 * 1024 : undefined,
      MemorySwap: swap ? (swap > 0 ? swap * 1024 * 1024 : swap) : undefined,
      NanoCpus: inputs.cpus !== undefined ? Math.round(Number(inputs.cpus) * 1e9) : undefined,
      LogConfig: { Type: (inputs.logDriver as string) ?? "json-file", Config: (inputs.logOpts as Record<string, string>) ?? {} },
      PortBindings: ports.length ? bindings : undefined,
      Binds: binds.length ? binds : undefined,
      ReadonlyRootfs: inputs.readOnly === true,
      Privileged: inputs.privileged === true,
      CapAdd: ((inputs.capabilities as Props | undefined)?.adds as string[]) ?? undefined,
      CapDrop: ((inputs.capabilities as Props | undefined)?.drops as string[]) ?? undefined,
      Init: inputs.init === true,
      DeviceRequests: gpus ? [{ Driver: "", Count: gpus === "all" ? -1 : 0, DeviceIDs: gpus.startsWith("device=") ? gpus.slice(7).split(",") : undefined, Capabilities: [["gpu"]] }] : undefined,
    },
  };
}

export interface ContainerCreateResult {
  id: string;
  outputs: Props;
  secondsToHealthy?: number;
}

/** Logs of a container (last lines), for a failure message. */
export async function containerLogs(docker: Docker, id: string, tail = 60): Promise<string> {
  try {
    const buffer = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
    return demux(buffer);
  } catch (error) {
    return `(no logs: ${(error as Error).message})`;
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) to text. */
function demux(buffer: Buffer): string {
  const out: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && (buffer[offset] === 1 || buffer[offset] === 2 || buffer[offset] === 0)) {
    const size = buffer.readUInt32BE(offset + 4);
    out.push(buffer.subarray(offset + 8, offset + 8 + size).toString("utf8"));
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString("utf8") : out.join("");
}

export async function createContainer(docker: Docker, inputs: Props): Promise<ContainerCreateResult> {
  const created = await docker.createContainer(containerCreateOptions(inputs)).catch((error: Error) => {
    throw new StepError(`Unable to create container: ${error.message}`);
  });
  const id = created.id;
  const networks = (inputs.networksAdvanced as Props[] | undefined) ?? [];
  if (networks.length) {
    try {
      await docker.getNetwork("bridge").disconnect({ Container: id, Force: false });
    } catch (error) {
      if (!/is not connected to the network bridge/i.test(String((error as Error).message))) throw new StepError(`Unable to disconnect the default network: ${(error as Error).message}`);
    }
    for (const network of networks) {
      await docker
        .getNetwork(String(network.name))
        .connect({
          Container: id,
          EndpointConfig: {
            Aliases: (network.aliases as string[]) ?? [],
            IPAMConfig: { IPv4Address: (network.ipv4Address as string) ?? "", IPv6Address: (network.ipv6Address as string) ?? "" },
          },
        })
        .catch((error: Error) => {
          throw new StepError(`Unable to connect to network '${String(network.name)}': ${error.message}`);
        });
    }
  }
  const uploads = (inputs.uploads as Upload[] | undefined) ?? [];
  if (uploads.length) {
    const archive = await uploadsTar(uploads);
    await created.putArchive(archive, { path: "/" }).catch((error: Error) => {
      throw new StepError(`Unable to upload volume content: ${error.message}`);
    });
  }
  let secondsToHealthy: number | undefined;
  if (inputs.start !== false) {
    const started = Date.now();
    await created.start().catch(async (error: Error) => {
      throw new StepError(`Unable to start container: ${error.message}`, await containerLogs(docker, id));
    });
    if (inputs.wait === true) {
      const timeoutMs = Number(inputs.waitTimeout ?? 60) * 1000;
      for (;;) {
        const info = await created.inspect();
        const health = info.State.Health;
        if (!health) throw new StepError("you have supplied a 'wait' argument, but the container does not have a healthcheck defined");
        if (health.Status === "healthy") break;
        if (!info.State.Running && info.State.Status !== "restarting" && info.State.Status !== "created") {
          throw new StepError(
            `container exited (code ${info.State.ExitCode}) before it turned healthy`,
            `${await containerLogs(docker, id)}\n--- last health checks ---\n${lastHealth(health)}`,
          );
        }
        if (Date.now() - started > timeoutMs) {
          throw new StepError(
            `container failed to be in healthy state in time (waitTimeout ${inputs.waitTimeout ?? 60} s; status ${health.Status})`,
            `${await containerLogs(docker, id)}\n--- last health checks ---\n${lastHealth(health)}`,
          );
        }
        await sleep(1000);
      }
      secondsToHealthy = (Date.now() - started) / 1000;
    }
  }
  const read = await readContainer(docker, id, inputs);
  if (!read) throw new StepError("container vanished right after it was created", await containerLogs(docker, id));
  if (inputs.mustRun !== false && read.mustRun === false) throw new StepError("container failed to be in running state", await containerLogs(docker, id));
  return { id, outputs: read, secondsToHealthy };
}

function lastHealth(health: { Log?: { ExitCode: number; Output: string }[] }): string {
  return (health.Log ?? [])
    .slice(-3)
    .map((entry) => `exit ${entry.ExitCode}: ${entry.Output.trim()}`)
    .join("\n");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * resourceDockerContainerRead: the state after a read is the previous state (config values for
 * what it does not read: envs, labels, uploads, volumes, networksAdvanced, wait) overlaid with
 * what it reads, in its forms. Undefined when the container is gone.
 */
export async function readContainer(docker: Docker, id: string, state: Props): Promise<Props | undefined> {
  let info: Docker.ContainerInspectInfo;
  try {
    info = await docker.getContainer(id).inspect();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const host = info.HostConfig as Docker.HostConfig & { NanoCpus?: number; DeviceRequests?: { DeviceIDs?: string[]; Count?: number; Capabilities?: string[][] }[] };
  const config = info.Config as Docker.ContainerInspectInfo["Config"] & { Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number } };
  const out: Props = { ...state };
  out.name = info.Name.replace(/^\/+/, "");
  out.image = String(state.image ?? "").startsWith("sha256:") ? info.Image : config.Image;
  out.hostname = config.Hostname;
  out.command = config.Cmd ?? [];
  out.entrypoints = config.Entrypoint ?? [];
  out.user = config.User;
  out.restart = host.RestartPolicy?.Name;
  out.maxRetryCount = host.RestartPolicy?.MaximumRetryCount ?? 0;
  out.readOnly = host.ReadonlyRootfs ?? false;
  out.privileged = host.Privileged ?? false;
  out.init = host.Init ?? false;
  out.memory = Math.trunc((host.Memory ?? 0) / 1024 / 1024);
  out.memorySwap = (host.MemorySwap ?? 0) > 0 ? Math.trunc((host.MemorySwap ?? 0) / 1024 / 1024) : (host.MemorySwap ?? 0);
  if ((host.NanoCpus ?? 0) > 0) out.cpus = nanoInt64ToDecimalString(host.NanoCpus ?? 0);
  out.logDriver = host.LogConfig?.Type;
  out.logOpts = state.logOpts !== undefined ? (host.LogConfig?.Config ?? {}) : undefined;
  out.networkMode = host.NetworkMode;
  if (state.ports !== undefined && (info.State.Running || state.mustRun !== false)) out.ports = flattenPorts(info.NetworkSettings.Ports ?? {});
  if (state.gpus !== undefined) {
    const requests = host.DeviceRequests ?? [];
    if (requests.length === 0) out.gpus = "";
    else if (requests.length === 1 && requests[0]!.DeviceIDs?.length) out.gpus = `device=${requests[0]!.DeviceIDs.join(",")}`;
    else if (requests.length === 1 && requests[0]!.Count === -1) out.gpus = "all";
  }
  if (config.Healthcheck) {
    out.healthcheck = {
      tests: config.Healthcheck.Test,
      interval: goDurationString(config.Healthcheck.Interval ?? 0),
      timeout: goDurationString(config.Healthcheck.Timeout ?? 0),
      startPeriod: goDurationString(config.Healthcheck.StartPeriod ?? 0),
      startInterval: goDurationString(config.Healthcheck.StartInterval ?? 0),
      retries: config.Healthcheck.Retries ?? 0,
    };
  }
  out.networkData = Object.entries(info.NetworkSettings.Networks ?? {}).map(([name, n]) => ({ networkName: name, ipAddress: n.IPAddress, gateway: n.Gateway, macAddress: n.MacAddress }));
  if (!info.State.Running) {
    out.exitCode = info.State.ExitCode;
    if (state.mustRun !== false) out.mustRun = false;
  }
  return out;
}

/** flattenContainerPorts: sorted by port and protocol, one entry per binding. */
function flattenPorts(ports: Record<string, { HostIp: string; HostPort: string }[] | null>): Props[] {
  const keys = Object.keys(ports).sort((a, b) => {
    const [pa, qa] = a.split("/");
    const [pb, qb] = b.split("/");
    return Number(pa) - Number(pb) || String(qa).localeCompare(String(qb));
  });
  const out: Props[] = [];
  for (const key of keys) {
    const [internal, protocol] = key.split("/");
    for (const binding of ports[key] ?? []) out.push({ internal: Number(internal), external: Number(binding.HostPort), ip: binding.HostIp, protocol });
  }
  return out;
}

/** resourceDockerContainerUpdate: only restart, memory, swap, CPU shares/set are applied; must_run restarts. */
export async function updateContainer(docker: Docker, id: string, olds: Props, news: Props): Promise<Props> {
  const container = docker.getContainer(id);
  const changed = (key: string) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]);
  if (changed("mustRun") && news.mustRun !== false && olds.mustRun === false) await container.start();
  if (["restart", "maxRetryCount", "cpuShares", "memory", "cpuSet", "memorySwap"].some(changed)) {
    const memory = Number(news.memory ?? 0);
    const swap = Number(news.memorySwap ?? 0);
    await container.update({
      RestartPolicy: { Name: (news.restart as string) ?? "no", MaximumRetryCount: Number(news.maxRetryCount ?? 0) },
      CpuShares: Number(news.cpuShares ?? 0),
      Memory: memory * 1024 * 1024,
      MemorySwap: swap > 0 ? swap * 1024 * 1024 : swap,
      CpusetCpus: (news.cpuSet as string) ?? "",
    });
  }
  const read = await readContainer(docker, id, { ...olds, ...news });
  if (!read) throw new StepError("container vanished during update");
  return read;
}

export async function deleteContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export function isNotFound(error: unknown): boolean {
  const e = error as { statusCode?: number; message?: string };
  return e?.statusCode === 404 || /no such|not found/i.test(String(e?.message ?? ""));
}
