// Docker helpers the checks share: the stack's containers, `docker exec` with its output and exit
// code (bounded in time), and files read out of a container through the archive API (no shell or
// tool needed in the image, and the tar headers carry the owner and mode).
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import * as tar from "tar-stream";
import type { E2EContext } from "../../context";

export const STACK_LABEL = "org.enrichment.stack";
export const SERVICE_LABEL = "org.enrichment.service";

export interface StackContainer {
  /** Container name without the leading slash (`e2e-mongodb`). */
  name: string;
  /** The `org.enrichment.service` label (`mongodb`, `enrichment-worker-1`, ...). */
  service: string;
  info: Docker.ContainerInspectInfo;
}

/** Every container (running or not) labelled as part of the stack, inspected, sorted by name. */
export async function stackContainers(ctx: Pick<E2EContext, "docker" | "stack">): Promise<StackContainer[]> {
  const list = await ctx.docker.listContainers({ all: true, filters: { label: [`${STACK_LABEL}=${ctx.stack}`] } });
  const out: StackContainer[] = [];
  for (const entry of list) {
    const info = await ctx.docker.getContainer(entry.Id).inspect();
    out.push({ name: info.Name.replace(/^\//, ""), service: info.Config.Labels?.[SERVICE_LABEL] ?? "", info });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The stack's container for one service label, or undefined. */
export async function serviceContainer(ctx: Pick<E2EContext, "docker" | "stack">, service: string): Promise<StackContainer | undefined> {
  return (await stackContainers(ctx)).find((c) => c.service === service);
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

/**
 * Files under `path` in a container, as the archive API returns them (GET /containers/{id}/archive).
 * Returns null when the path does not exist.
 */
export async function readArchive(docker: Docker, container: string, path: string, maxBytes = 4 * 1024 * 1024): Promise<ArchiveEntry[] | null> {
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
        entries.push({
          name: header.name,
          type: header.type ?? "file",
          mode: header.mode ?? 0,
          uid: header.uid ?? -1,
          gid: header.gid ?? -1,
          content: Buffer.concat(chunks),
        });
        next();
      });
      body.resume();
    });
    extract.on("finish", () => resolve());
    extract.on("error", reject);
  });
  (stream as NodeJS.ReadableStream).pipe(extract);
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

/**
 * A check that returns, never throws: an unexpected error (the Docker API refusing a call, a
 * socket dying) becomes a failed result that says what broke, so the step's detail explains it.
 */
export function guarded<C>(run: (ctx: C) => Promise<{ ok: boolean; detail: string }>): (ctx: C) => Promise<{ ok: boolean; detail: string }> {
  return async (ctx) => {
    try {
      return await run(ctx);
    } catch (error) {
      return { ok: false, detail: `the check stopped on an unexpected error: ${(error as Error).message?.trim() ?? String(error)}` };
    }
  };
}
