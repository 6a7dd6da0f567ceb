// Where verify connects to reach a port the stack publishes. On a local engine: the published
// address itself (a wildcard bind on loopback). On a remote engine, a port published on the host's
// loopback cannot be reached from the operator's machine: it is reached through the engine, by a
// short-lived probe container on the host's network running `nc` for each connection, behind a
// local listener (a port forward, like `ssh -L`), so every client (HTTP, TLS, the MongoDB driver)
// works unchanged. `--via-engine` forces that path on a local engine too.
//
// The probe runs an image the stack already pulled (its pinned reference from the stack settings:
// the edge's, Prometheus', ... whichever is present and has busybox `nc`), as nobody, with a hard
// lifetime (`sleep`) and AutoRemove, so it cannot outlive a crashed run for long; verify removes
// it when done. It joins the host's network, not the stack's: the published binding (address and
// port on the host) is exactly what an operator's client would use, so that is what it tests.
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import { PassThrough, type Duplex } from "node:stream";
import type Docker from "dockerode";
import type { Settings } from "../config/schema";
import { LABEL_PREFIX } from "../facts/services";
import type { EngineConnection } from "./docker";
import { exec } from "./docker";
import { isLoopback, isWildcard } from "./http";

export const PROBE_LABEL = `${LABEL_PREFIX}.verify-probe`;
/** Seconds a probe container lives at most (its `sleep`), whatever happens to verify. */
export const PROBE_LIFETIME_SECONDS = 900;
/** Stack images tried as the probe's image, in order: each has busybox `nc` and `sleep` (facts/images.ts: busybox bases). */
export const PROBE_IMAGE_KEYS = ["edge", "prometheus", "alertmanager", "blackboxExporter", "nodeExporter", "nsq", "backupOffsite"] as const;

export interface Endpoint {
  /** Where this process connects. */
  host: string;
  port: number;
  /** How it is reached, for the report. */
  via: string;
}

export interface Published {
  address: string;
  port: number;
}

/** Where the stack publishes a service on its host (exposure.publish), or undefined. */
export function publishedAt(settings: Pick<Settings, "exposure">, service: string): Published | undefined {
  const entry = settings.exposure.publish[service];
  return entry ? { address: entry.address ?? settings.exposure.bindAddress, port: entry.port } : undefined;
}

/** How verify reaches a published address: directly (and where), or through the engine. */
export function route(published: Published, engine: { remote: boolean; hostname?: string }, viaEngine: boolean): { direct: string } | { engine: string } {
  const onHost = isWildcard(published.address) ? "127.0.0.1" : published.address;
  if (viaEngine || (engine.remote && isLoopback(published.address))) return { engine: onHost };
  if (!engine.remote) return { direct: onHost };
  // A remote host's wildcard bind answers on the host's own name; another address on itself.
  return { direct: isWildcard(published.address) ? (engine.hostname ?? onHost) : published.address };
}

export class ProbeError extends Error {}

/** A probe container on the engine, and the local listeners forwarding through it. */
export class Probe {
  private readonly servers: net.Server[] = [];

  private constructor(
    private readonly docker: Docker,
    readonly name: string,
    readonly image: string,
  ) {}

  /** Starts a probe from the first candidate image present on the engine that runs `nc`. */
  static async start(docker: Docker, options: { candidates: string[]; namePrefix: string; stack: string }): Promise<Probe> {
    const tried: string[] = [];
    for (const ref of [...new Set(options.candidates)]) {
      const id = await localImageId(docker, ref);
      if (!id) {
        tried.push(`${ref}: not on the engine`);
        continue;
      }
      const name = `${options.namePrefix}-verify-probe-${randomBytes(3).toString("hex")}`;
      try {
        const container = await docker.createContainer({
          name,
          Image: id,
          Entrypoint: ["sleep"],
          Cmd: [String(PROBE_LIFETIME_SECONDS)],
          User: "65534:65534",
          Labels: { [PROBE_LABEL]: options.stack },
          HostConfig: { NetworkMode: "host", AutoRemove: true, Memory: 64 * 1024 * 1024, NanoCpus: 250_000_000, RestartPolicy: { Name: "no" } },
        });
        await container.start();
      } catch (error) {
        tried.push(`${ref}: ${(error as Error).message.trim()}`);
        await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
        continue;
      }
      const probe = new Probe(docker, name, ref);
      // busybox nc without arguments prints its usage and exits 1; 126/127 or an error: no nc.
      const nc = await exec(docker, name, ["nc"], { timeoutMs: 10_000 });
      if (nc.error || nc.exitCode === 126 || nc.exitCode === 127 || nc.exitCode === null) {
        tried.push(`${ref}: no \`nc\` in the image (${nc.error ?? `exit ${nc.exitCode}`})`);
        await probe.remove();
        continue;
      }
      return probe;
    }
    throw new ProbeError(`no image of the stack can serve as the probe (needs busybox nc and sleep): ${tried.join("; ") || "no candidate image"}`);
  }

  /** A local listener (127.0.0.1, a free port) whose every connection is `nc host port` in the probe. */
  async forward(host: string, port: number): Promise<number> {
    const server = net.createServer((client) => {
      client.pause();
      this.pipe(client, host, port).catch((error: Error) => client.destroy(error));
    });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  private async pipe(client: net.Socket, host: string, port: number): Promise<void> {
    const handle = await this.docker.getContainer(this.name).exec({ Cmd: ["nc", host, String(port)], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = (await handle.start({ hijack: true, stdin: true })) as unknown as Duplex;
    const out = new PassThrough();
    const err = new PassThrough();
    err.resume();
    this.docker.modem.demuxStream(stream, out, err);
    out.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("data", (chunk: Buffer) => stream.write(chunk));
    // nc shuts its side down on stdin's end, so a half-close travels on.
    client.on("end", () => stream.end());
    const finish = () => client.end();
    stream.on("end", finish);
    stream.on("close", finish);
    stream.on("error", () => client.destroy());
    client.on("error", () => stream.destroy());
    client.on("close", () => stream.destroy());
    client.resume();
  }

  async remove(): Promise<void> {
    for (const server of this.servers) server.close();
    await this.docker
      .getContainer(this.name)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/** The engine's image ID for a reference (`repo:tag@digest`, `repo@digest` or `repo:tag`), or undefined. */
export async function localImageId(docker: Docker, ref: string): Promise<string | undefined> {
  const forms = [ref];
  const at = ref.indexOf("@");
  if (at > 0) {
    const name = ref.slice(0, at);
    const digest = ref.slice(at);
    const tagAt = name.lastIndexOf(":");
    const repo = tagAt > name.lastIndexOf("/") ? name.slice(0, tagAt) : name;
    forms.push(`${repo}${digest}`, name);
  }
  for (const form of forms) {
    try {
      return (await docker.getImage(form).inspect()).Id;
    } catch {
      // next form
    }
  }
  return undefined;
}

/** Resolves each published service to an endpoint, starting the probe only when one needs it. */
export class Reach {
  private probe?: Promise<Probe>;
  private readonly endpoints = new Map<string, Promise<Endpoint>>();

  constructor(
    private readonly options: {
      docker: Docker;
      engine: Pick<EngineConnection, "remote" | "hostname">;
      settings: Pick<Settings, "exposure" | "images">;
      stack: string;
      namePrefix: string;
      viaEngine: boolean;
      log?: (line: string) => void;
    },
  ) {}

  /** The endpoint of a published service; undefined when the stack does not publish it. */
  endpoint(service: string): Promise<Endpoint> | undefined {
    const published = publishedAt(this.options.settings, service);
    if (!published) return undefined;
    let pending = this.endpoints.get(service);
    if (!pending) {
      pending = this.resolve(published);
      this.endpoints.set(service, pending);
    }
    return pending;
  }

  private async resolve(published: Published): Promise<Endpoint> {
    const how = route(published, this.options.engine, this.options.viaEngine);
    if ("direct" in how) return { host: how.direct, port: published.port, via: `directly at ${how.direct}:${published.port}` };
    const probe = await this.startProbe();
    const local = await probe.forward(how.engine, published.port);
    return { host: "127.0.0.1", port: local, via: `through the engine: probe ${probe.name} (${probe.image}) on the host's network -> ${how.engine}:${published.port}` };
  }

  private startProbe(): Promise<Probe> {
    if (!this.probe) {
      const images = this.options.settings.images as Record<string, string>;
      const candidates = PROBE_IMAGE_KEYS.map((key) => images[key]).filter((ref): ref is string => !!ref);
      this.probe = Probe.start(this.options.docker, { candidates, namePrefix: this.options.namePrefix, stack: this.options.stack });
      this.probe.then((p) => this.options.log?.(`probe ${p.name} (${p.image}) started on the host's network`), () => undefined);
    }
    return this.probe;
  }

  /** Each service resolved so far and how it was reached. */
  async routes(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [service, pending] of this.endpoints) out[service] = await pending.then((e) => e.via, (error: Error) => `not reachable: ${error.message}`);
    return out;
  }

  async close(): Promise<void> {
    const probe = await this.probe?.catch(() => undefined);
    await probe?.remove();
  }
}
