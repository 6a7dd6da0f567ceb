// The Docker engine of a stack, reached the way the Pulumi Docker provider reaches it
// (enrichment:docker.host): a unix socket; tcp:// (TLS from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH,
// as the docker CLI reads them); ssh:// through the `ssh` binary with the stack's sshOpts running
// `docker system dial-stdio` on the host (the provider's connection helper does the same, so
// ~/.ssh/config, known_hosts and the agent apply). Plus the read-only helpers every check uses:
// the stack's containers, `docker exec` with its output, files read through the archive API.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { Duplex, PassThrough } from "node:stream";
import Docker from "dockerode";
import * as tar from "tar-stream";
import { LABEL_PREFIX } from "../facts/services";

export const STACK_LABEL = `${LABEL_PREFIX}.stack`;
export const SERVICE_LABEL = `${LABEL_PREFIX}.service`;

/** The engine could not be reached (exit 4): nothing was checked. */
export class DockerUnreachable extends Error {}

export interface EngineConnection {
  docker: Docker;
  /** The URL it was reached at, for messages. */
  host: string;
  /** Not this machine: published loopback ports must be reached through the engine. */
  remote: boolean;
  /** The host name of a remote engine (ssh:// or tcp://), where its wildcard binds are reached. */
  hostname?: string;
  close(): Promise<void>;
}

const LOCAL_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** ssh(1) arguments that open `docker system dial-stdio` on the host of an ssh:// URL. */
export function sshDialArgs(url: URL, sshOpts: readonly string[], controlPath?: string): string[] {
  const args = [...sshOpts];
  // Never prompt: verify runs in CI and from scripts (an explicit BatchMode in sshOpts wins: ssh takes the first value).
  args.push("-o", "BatchMode=yes", "-T");
  if (controlPath) args.push("-o", "ControlMaster=auto", "-o", `ControlPath=${controlPath}`, "-o", "ControlPersist=60");
  if (url.username) args.push("-l", decodeURIComponent(url.username));
  if (url.port) args.push("-p", url.port);
  args.push("--", url.hostname, "docker", "system", "dial-stdio");
  return args;
}

/**
 * An http.Agent whose every connection is `ssh ... docker system dial-stdio`: one multiplexed ssh
 * master (ControlMaster) carries them, so a request costs a channel, not a handshake.
 */
class SshDialAgent extends http.Agent {
  constructor(
    private readonly args: string[],
    private readonly target: string,
  ) {
    super({ keepAlive: false });
  }

  // The http client treats the returned stream as its socket.
  override createConnection(): Duplex {
    const child = spawn("ssh", this.args, { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const socket = new Duplex({
      read: () => void child.stdout.resume(),
      write: (chunk: Buffer, _encoding, done) => void child.stdin.write(chunk, done),
      final: (done) => {
        child.stdin.end();
        done();
      },
      destroy: (error, done) => {
        child.kill();
        done(error);
      },
    }) as Duplex & Record<string, unknown>;
    child.stdout.on("data", (chunk: Buffer) => {
      if (!socket.push(chunk)) child.stdout.pause();
    });
    // A dead ssh is reported with its own words (host key, auth, no docker there), not as a hang-up.
    child.stdin.on("error", () => undefined);
    child.on("error", (error) => socket.destroy(new DockerUnreachable(`cannot run ssh: ${error.message}`)));
    child.on("close", (code) => {
      if (code) socket.destroy(new DockerUnreachable(`ssh to ${this.target} (docker system dial-stdio) exited ${code}: ${stderr.trim().split(/\r?\n/).map((line) => line.trim()).filter(Boolean).slice(-3).join(" | ")}`));
      else socket.push(null);
    });
    // What http's client may call on a net.Socket; a pipe has none of it.
    for (const name of ["setTimeout", "setNoDelay", "setKeepAlive", "ref", "unref"]) socket[name] = () => socket;
    return socket;
  }
}

/** A client for the engine at `host` (enrichment:docker.host), with the stack's ssh options. */
export function connectEngine(host: string, sshOpts: readonly string[] = []): EngineConnection {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new DockerUnreachable(`enrichment:docker.host ${JSON.stringify(host)} is not a URL (unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host)`);
  }
  if (url.protocol === "unix:" || url.protocol === "npipe:") {
    return { docker: new Docker({ socketPath: url.pathname }), host, remote: false, close: async () => undefined };
  }
  if (url.protocol === "tcp:") {
    const certPath = process.env.DOCKER_CERT_PATH;
    const tls = !!process.env.DOCKER_TLS_VERIFY && process.env.DOCKER_TLS_VERIFY !== "0";
    const read = (file: string) => fs.readFileSync(path.join(certPath ?? path.join(os.homedir(), ".docker"), file));
    const docker = new Docker({
      host: url.hostname,
      port: url.port || (tls ? "2376" : "2375"),
      protocol: tls ? "https" : "http",
      ...(tls ? { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") } : {}),
    });
    return { docker, host, remote: !LOCAL_NAMES.has(url.hostname), hostname: url.hostname, close: async () => undefined };
  }
  if (url.protocol === "ssh:") {
    const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-ssh-"));
    const controlPath = path.join(controlDir, "master");
    const agent = new SshDialAgent(sshDialArgs(url, sshOpts, controlPath), url.host);
    const docker = new Docker({ protocol: "http", host: "docker", port: "80", agent } as Docker.DockerOptions);
    return {
      docker,
      host,
      remote: true,
      hostname: url.hostname,
      close: async () => {
        // Ends the shared master now rather than after ControlPersist.
        await new Promise<void>((resolve) => {
          const stop = spawn("ssh", ["-o", `ControlPath=${controlPath}`, "-O", "exit", url.hostname], { stdio: "ignore" });
          stop.on("exit", () => resolve());
          stop.on("error", () => resolve());
        });
        fs.rmSync(controlDir, { recursive: true, force: true });
      },
    };
  }
  throw new DockerUnreachable(`enrichment:docker.host ${host}: unsupported scheme ${url.protocol} (unix://, tcp:// or ssh://)`);
}

/** The engine's version, or DockerUnreachable saying why not (bounded in time). */
export async function pingEngine(connection: EngineConnection, timeoutMs = 20_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const version = await Promise.race([
      connection.docker.version(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs))),
    ]);
    return `${version.Version} (API ${version.ApiVersion})`;
  } catch (error) {
    throw new DockerUnreachable(`the Docker engine at ${connection.host} cannot be reached: ${(error as Error).message.trim()}`);
  } finally {
    clearTimeout(timer);
  }
}

export interface StackContainer {
  /** Container name without the leading slash (`e2e-mongodb`). */
  name: string;
  /** The `org.enrichment.service` label (`mongodb`, `enrichment-worker-1`, ...). */
  service: string;
  info: Docker.ContainerInspectInfo;
}

/** Every container (running or not) labelled as part of the stack, inspected, sorted by name. */
export async function stackContainers(docker: Docker, stack: string): Promise<StackContainer[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${STACK_LABEL}=${stack}`] } });
  const out: StackContainer[] = [];
  for (const entry of list) {
    const info = await docker.getContainer(entry.Id).inspect();
    out.push({ name: info.Name.replace(/^\//, ""), service: info.Config.Labels?.[SERVICE_LABEL] ?? "", info });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Set when the exec could not be created or started (e.g. the executable is not in the image). */
  error?: string;
  timedOut?: boolean;
}

/** `docker exec [--user user] container cmd...`, waiting at most `timeoutMs`. Never throws. */
export async function exec(
  docker: Docker,
  container: string,
  cmd: string[],
  options: { user?: string; timeoutMs?: number; /** Do not attach stdout (e.g. `cat` of a secret). */ discardStdout?: boolean } = {},
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let stdout = "";
  let stderr = "";
  try {
    const handle = await docker.getContainer(container).exec({
      Cmd: cmd,
      AttachStdout: !options.discardStdout,
      AttachStderr: true,
      ...(options.user ? { User: options.user } : {}),
    });
    const stream = await handle.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    out.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    err.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    docker.modem.demuxStream(stream, out, err);
    const finished = new Promise<"done">((resolve) => {
      stream.on("end", () => resolve("done"));
      stream.on("close", () => resolve("done"));
      stream.on("error", () => resolve("done"));
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const outcome = await Promise.race([finished, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      return { exitCode: null, stdout, stderr, timedOut: true, error: `no answer within ${timeoutMs} ms` };
    }
    // The exit code is set a moment after the stream ends.
    for (let i = 0; i < 20; i++) {
      const state = await handle.inspect();
      if (!state.Running) return { exitCode: state.ExitCode, stdout, stderr };
      await sleep(100);
    }
    return { exitCode: null, stdout, stderr, error: "exec still running after its output ended" };
  } catch (error) {
    return { exitCode: null, stdout, stderr, error: (error as Error).message };
  }
}

/** One line describing an exec's outcome, for a detail message. */
export function describeExec(cmd: string[], result: ExecResult): string {
  const what = `\`${cmd.join(" ")}\``;
  if (result.error) return `${what} failed to run: ${result.error}`;
  const tail = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ");
  return `${what} exited ${result.exitCode}${tail ? `: ${tail.slice(0, 300)}` : ""}`;
}

export interface ArchiveEntry {
  /** Path as the archive names it (relative to the parent of the requested path). */
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  content: Buffer;
}

/** Host paths under which the host mounts things of its own (the root, Docker's and the kernel's trees). */
const HOST_MOUNT_TREES = ["/", "/var/lib/docker", "/run", "/var/run", "/sys", "/proc", "/dev"];

/**
 * The binds of a container that the archive API must not mount: a host folder holding other mounts
 * (the root, or an ancestor of Docker's or the kernel's trees), as cAdvisor and the node exporter
 * bind. For each GET /archive the daemon bind-mounts the container's binds again, recursively;
 * those copies propagate into the (rslave) mount namespaces of every container binding the host's
 * root and stay there, so each read multiplies their mounts until the kernel's limit (fs.mount-max,
 * 100000) refuses every later mount that propagates: seen on the e2e's engine, cAdvisor at 97,512
 * mounts after a few verify runs, and from then on `docker cp` and container starts failing.
 */
export function hostTreeBinds(mounts: readonly { Type?: string; Source?: string }[]): string[] {
  const within = (tree: string, source: string) => source === "/" || tree === source || tree.startsWith(`${source}/`);
  return mounts
    .filter((m) => m.Type === "bind" && typeof m.Source === "string")
    .map((m) => m.Source!.replace(/\/+$/, "") || "/")
    .filter((source) => HOST_MOUNT_TREES.some((tree) => within(tree, source)));
}

/** Why the archive API is not used on this container. */
export class ArchiveRefused extends Error {}

/**
 * Files under `path` in a container, as the archive API returns them (GET /containers/{id}/archive:
 * no shell or tool needed in the image, and the headers carry owner and mode). Null when absent.
 * Refused (ArchiveRefused) for a container that binds a host tree holding other mounts (hostTreeBinds).
 */
export async function readArchive(docker: Docker, container: string, path: string, maxBytes = 4 * 1024 * 1024): Promise<ArchiveEntry[] | null> {
  const binds = hostTreeBinds((await docker.getContainer(container).inspect()).Mounts ?? []);
  if (binds.length) throw new ArchiveRefused(`not read through the archive API: ${container} binds the host's ${binds.join(", ")}, which the daemon would mount again for the read (each copy stays in the mount namespaces of the containers binding the host's root)`);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getContainer(container).getArchive({ path });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
  const extract = tar.extract();
  const entries: ArchiveEntry[] = [];
  let total = 0;
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on("data", (chunk: unknown) => {
        const data = chunk as Buffer;
        total += data.length;
        if (total <= maxBytes) chunks.push(data);
      });
      body.on("end", () => {
        entries.push({ name: header.name, type: header.type ?? "file", mode: header.mode ?? 0, uid: header.uid ?? -1, gid: header.gid ?? -1, content: Buffer.concat(chunks) });
        next();
      });
      body.resume();
    });
    extract.on("finish", () => resolve());
    extract.on("error", reject);
  });
  stream.pipe(extract);
  await done;
  return entries;
}

/** One file's text from a container, or null when it is not there. */
export async function readFileText(docker: Docker, container: string, path: string): Promise<string | null> {
  const entries = await readArchive(docker, container, path);
  const file = entries?.find((entry) => entry.type === "file");
  return file ? file.content.toString("utf8") : null;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `attempt` until it returns a value that `done` accepts, at most `tries` times and for at
 * most `timeoutMs`, `intervalMs` apart. Returns the last value and whether it was accepted.
 */
export async function poll<T>(
  attempt: () => Promise<T>,
  done: (value: T) => boolean,
  limits: { tries: number; timeoutMs: number; intervalMs: number },
): Promise<{ value: T; accepted: boolean; tries: number; elapsedMs: number }> {
  const start = Date.now();
  let value = await attempt();
  let tries = 1;
  while (!done(value) && tries < limits.tries && Date.now() - start + limits.intervalMs <= limits.timeoutMs) {
    await sleep(limits.intervalMs);
    value = await attempt();
    tries++;
  }
  return { value, accepted: done(value), tries, elapsedMs: Date.now() - start };
}
