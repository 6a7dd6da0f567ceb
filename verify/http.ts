// HTTP(S) requests to an endpoint verify can reach (verify/reach.ts), each bounded in time, and
// Prometheus/Alertmanager durations.
import * as http from "node:http";
import * as https from "node:https";

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
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        headers: { ...(options.headers ?? {}), ...(options.body !== undefined ? { "content-length": String(Buffer.byteLength(options.body)) } : {}) },
        timeout: timeoutMs,
        agent: options.agent,
        ...(isHttps ? { ca: options.ca, servername: options.servername, rejectUnauthorized: true } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 2_000_000) body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** `0.0.0.0:443` -> `127.0.0.1:443`; `::`/`[::]` too; a loopback address stays as it is. */
export function toLoopback(hostPort: string): string {
  const match = /^(.*):(\d+)$/.exec(hostPort);
  if (!match) return hostPort;
  const [, host, port] = match;
  return `${isWildcard(host!) ? "127.0.0.1" : host}:${port}`;
}

export const isWildcard = (address: string) => address === "0.0.0.0" || address === "::" || address === "[::]" || address === "";

/** Whether an address is on the loopback interface. */
export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address === "[::1]" || address === "localhost";
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Milliseconds of a Prometheus duration such as `1m30s`; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(value) * UNIT_MS[unit!]!;
  return total;
}
