// HTTP(S) from the Docker host to published ports, loopback only, every request bounded in time.
import * as http from "node:http";
import * as https from "node:https";
import type { E2EContext } from "../../context";
import type { Settings } from "../../../../config/schema";

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** HTTPS only: CA to verify against, and the TLS server name (SNI) to send. */
  ca?: string;
  servername?: string;
  agent?: http.Agent | https.Agent;
}

/** One request; rejects on a network or TLS error or after `timeoutMs`. */
export function request(url: string, options: RequestOptions = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  const isHttps = target.protocol === "https:";
  const send = isHttps ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        headers: { ...(options.headers ?? {}), ...(options.body !== undefined ? { "content-length": String(Buffer.byteLength(options.body)) } : {}) },
        timeout: options.timeoutMs ?? 10_000,
        agent: options.agent,
        ...(isHttps ? { ca: options.ca, servername: options.servername, rejectUnauthorized: true } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 1_000_000) body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/**
 * `host:port` to reach a published service from the Docker host: the runner's `ctx.published`
 * when it names the service, else the stack's publish entry. A wildcard bind is reached on
 * 127.0.0.1 (the checks use loopback only). Undefined when the service is not published.
 */
export function hostAddress(
  ctx: Pick<E2EContext, "published"> & { settings: Pick<Settings, "exposure"> },
  service: string,
): string | undefined {
  const raw = ctx.published[service] ?? publishEntry(ctx.settings, service);
  return raw ? toLoopback(raw) : undefined;
}

function publishEntry(settings: Pick<Settings, "exposure">, service: string): string | undefined {
  const entry = settings.exposure.publish[service];
  return entry ? `${entry.address ?? settings.exposure.bindAddress}:${entry.port}` : undefined;
}

/** `0.0.0.0:443` -> `127.0.0.1:443`; `::`/`[::]` too; a loopback address stays as it is. */
export function toLoopback(hostPort: string): string {
  const match = /^(.*):(\d+)$/.exec(hostPort);
  if (!match) return hostPort;
  const [, host, port] = match;
  const wildcard = host === "0.0.0.0" || host === "::" || host === "[::]" || host === "";
  return `${wildcard ? "127.0.0.1" : host}:${port}`;
}

/** Whether an address is on the loopback interface. */
export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address === "[::1]" || address === "localhost";
}
