// The edge, from the Docker host on its published loopback address: HTTPS verified against the
// stack's CA for every tls.dnsNames entry (sent as SNI and Host), routed by host name to the
// service the route names (planes/edge/edge.ts EDGE_ROUTES; the stand-ins say who they are), CORS
// headers only for listed origins on the APIs (preflight and GET), none on the UI route, and 429
// past the rate limit (a bounded burst; run last, then the bucket is left to refill).
import * as https from "node:https";
import * as net from "node:net";
import type { E2ECheck, E2EContext } from "../context";
import { EDGE_ROUTES, EdgeRouteEntry } from "../../../planes/edge/edge";
import { HttpAnswer, hostAddress, isLoopback, request } from "./support/http";
import { sleep, guarded } from "./support/docker";

/** The route serving a host name: the one named after its first label. */
export function routeFor(dnsName: string, routes: readonly EdgeRouteEntry[] = EDGE_ROUTES): EdgeRouteEntry | undefined {
  const first = dnsName.toLowerCase().split(".")[0];
  return routes.find((route) => route.name === first);
}

/** Headers a stand-in may use to name itself, most specific first. */
const IDENTITY_HEADERS = ["x-standin-service", "x-service", "x-served-by"];

/**
 * Which service answered, as the answer says: an identity header, a `service` field of a JSON
 * body (the platform stand-ins' /health answers `{status, service, release}`), or Grafana's
 * /api/health shape. Undefined when unsaid.
 */
export function identify(answer: Pick<HttpAnswer, "headers" | "body">): string | undefined {
  for (const header of IDENTITY_HEADERS) {
    const value = answer.headers[header];
    if (typeof value === "string" && value) return value.trim();
  }
  try {
    const parsed = JSON.parse(answer.body) as Record<string, unknown>;
    for (const key of ["service", "standin"]) if (typeof parsed[key] === "string") return parsed[key] as string;
    // Grafana's own /api/health answers {commit, database, version} (the stand-in's too).
    if (typeof parsed.database === "string" && typeof parsed.version === "string" && "commit" in parsed) return "grafana";
  } catch {
    // not JSON
  }
  return undefined;
}

export interface RateLimitVerdict {
  ok: boolean;
  tooMany: number;
  passed: number;
  errors: number;
  /** The most requests the limit lets through in the burst's time: burst + 1 + rate x seconds, with slack. */
  allowance: number;
  detail: string;
}

/** Judges a burst of statuses (0 = network error) against `limit_req rate=<rps>r/s burst=<burst> nodelay`. */
export function rateLimitVerdict(statuses: number[], elapsedMs: number, limit: { requestsPerSecond: number; burst: number }): RateLimitVerdict {
  const tooMany = statuses.filter((s) => s === 429).length;
  const errors = statuses.filter((s) => s === 0).length;
  const passed = statuses.length - tooMany - errors;
  // nginx counts in milliseconds: one request per 1/rps s, plus the burst, plus the first. A 25%
  // margin on the refill absorbs timer granularity.
  const allowance = limit.burst + 1 + Math.ceil((limit.requestsPerSecond * elapsedMs * 1.25) / 1000) + 2;
  const problems: string[] = [];
  if (tooMany === 0) problems.push(`no 429 in ${statuses.length} requests sent in ${elapsedMs} ms (rate ${limit.requestsPerSecond}/s, burst ${limit.burst})`);
  if (passed > allowance) problems.push(`${passed} requests passed, more than the ${allowance} the limit allows in ${elapsedMs} ms`);
  if (errors) problems.push(`${errors} requests failed without an answer`);
  const other = statuses.filter((s) => s !== 0 && s !== 429 && (s < 200 || s >= 400));
  if (other.length) problems.push(`${other.length} answers were neither 2xx/3xx nor 429 (${[...new Set(other)].join(", ")})`);
  const summary = `${statuses.length} requests in ${elapsedMs} ms: ${passed} passed, ${tooMany} got 429, ${errors} errors (allowance ${allowance})`;
  return { ok: problems.length === 0, tooMany, passed, errors, allowance, detail: problems.length ? `${problems.join("; ")}; ${summary}` : summary };
}

export interface CorsCase {
  route: string;
  kind: "api" | "ui";
  method: "OPTIONS" | "GET";
  origin: string;
  listed: boolean;
}

/** What is wrong with the CORS headers of one answer (undefined when right). */
export function corsProblem(c: CorsCase, answer: Pick<HttpAnswer, "status" | "headers">): string | undefined {
  const acao = answer.headers["access-control-allow-origin"];
  const what = `${c.method} on ${c.route} with Origin ${c.origin} (${c.listed ? "listed" : "not listed"})`;
  if (c.kind === "api" && c.listed) {
    if (acao !== c.origin) return `${what}: expected Access-Control-Allow-Origin: ${c.origin}, got ${acao === undefined ? "none" : JSON.stringify(acao)} (status ${answer.status})`;
    if (c.method === "OPTIONS" && !answer.headers["access-control-allow-methods"]) return `${what}: preflight answer has no Access-Control-Allow-Methods`;
    if (c.method === "OPTIONS" && (answer.status < 200 || answer.status >= 300)) return `${what}: preflight answered ${answer.status}, expected 2xx`;
    return undefined;
  }
  const leaked = Object.keys(answer.headers).filter((h) => h.startsWith("access-control-"));
  if (leaked.length) return `${what}: expected no Access-Control-* header${c.kind === "ui" ? " (the UI route never sends CORS)" : ""}, got ${leaked.map((h) => `${h}: ${answer.headers[h]}`).join(", ")}`;
  return undefined;
}

/** An origin that is surely not in the list. */
export function unlistedOrigin(allowed: string[]): string {
  let origin = "https://not-listed.e2e.invalid";
  for (let i = 1; allowed.includes(origin); i++) origin = `https://not-listed-${i}.e2e.invalid`;
  return origin;
}

/** true when 127.0.0.1:port accepts a TCP connection within timeoutMs, else the error. */
function canConnect(port: number, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => (socket.destroy(), resolve(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once("connect", () => (clearTimeout(timer), socket.destroy(), resolve(true)));
    socket.once("error", (error) => (clearTimeout(timer), resolve(error.message)));
  });
}

export async function checkEdge(ctx: E2EContext) {
  const address = hostAddress(ctx, "edge");
  if (!address) return { ok: false, detail: "the edge is not published (exposure.publish.edge): nothing to test from the host" };
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), address.slice(address.lastIndexOf(":") + 1)];
  if (!isLoopback(host)) return { ok: false, detail: `the edge is published on ${address}, not on loopback or every address; the checks use loopback only` };
  const base = `https://127.0.0.1:${port}`;
  const listening = await canConnect(Number(port), 5_000);
  if (listening !== true) return { ok: false, detail: `nothing accepts connections on 127.0.0.1:${port} (exposure.publish.edge ${address}): ${listening}` };
  const ca = ctx.caCertPem;
  const problems: string[] = [];
  const notes: string[] = [];
  const send = (dnsName: string, path: string, options: { method?: string; headers?: Record<string, string>; agent?: https.Agent } = {}) =>
    request(`${base}${path}`, { ca, servername: dnsName, headers: { host: dnsName, ...(options.headers ?? {}) }, method: options.method, agent: options.agent, timeoutMs: 10_000 });
  // Outside the burst, requests are paced at the limit's rate, and a 429 is retried (3 tries).
  const refillMs = Math.ceil(1000 / ctx.settings.rateLimit.requestsPerSecond) + 100;
  let last = 0;
  const paced = async (dnsName: string, path: string, options: { method?: string; headers?: Record<string, string> }) => {
    await sleep(Math.max(0, last + refillMs - Date.now()));
    last = Date.now();
    return send(dnsName, path, options);
  };
  const sendPatient = async (dnsName: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}) => {
    let answer = await paced(dnsName, path, options);
    for (let i = 0; i < 2 && answer.status === 429; i++) answer = await paced(dnsName, path, options);
    return answer;
  };

  // TLS and routing, per DNS name.
  const served: { dnsName: string; route: EdgeRouteEntry }[] = [];
  for (const dnsName of ctx.settings.tls.dnsNames) {
    const route = routeFor(dnsName);
    if (!route) {
      notes.push(`${dnsName} names no route (a SAN only)`);
      continue;
    }
    served.push({ dnsName, route });
    try {
      const answer = await sendPatient(dnsName, route.healthPath);
      const who = identify(answer);
      if (answer.status !== 200) problems.push(`GET https://${dnsName}${route.healthPath} answered ${answer.status}, expected 200 from ${route.upstream.host}: ${answer.body.slice(0, 200)}`);
      if (who === undefined) problems.push(`GET https://${dnsName}${route.healthPath}: the answer does not say which service sent it (no ${IDENTITY_HEADERS.join("/")} header, no JSON "service"); expected ${route.upstream.host}`);
      else if (who !== route.upstream.host) problems.push(`https://${dnsName} was answered by ${who}, expected ${route.upstream.host}`);
      else notes.push(`${dnsName} -> ${who}`);
    } catch (error) {
      problems.push(`HTTPS to ${base} as ${dnsName} (CA: the stack's) failed: ${(error as Error).message}`);
    }
  }
  if (served.length === 0) return { ok: false, detail: `no tls.dnsNames entry names a route (${EDGE_ROUTES.map((r) => `${r.name}.*`).join(", ")})` };

  // CORS on every served route: a listed origin (when the stack lists one) and an unlisted one.
  const allowed = ctx.settings.cors.allowedOrigins;
  const origins = [...(allowed.length ? [{ origin: allowed[0]!, listed: true }] : []), { origin: unlistedOrigin(allowed), listed: false }];
  if (!allowed.length) notes.push("cors.allowedOrigins is empty: only the absence of CORS headers was tested");
  let corsCases = 0;
  for (const { dnsName, route } of served) {
    for (const { origin, listed } of origins) {
      for (const method of ["OPTIONS", "GET"] as const) {
        const c: CorsCase = { route: dnsName, kind: route.kind, method, origin, listed };
        const headers: Record<string, string> = { origin };
        if (method === "OPTIONS") Object.assign(headers, { "access-control-request-method": "GET", "access-control-request-headers": "content-type" });
        try {
          const answer = await sendPatient(dnsName, route.healthPath, { method, headers });
          const problem = corsProblem(c, answer);
          if (problem) problems.push(problem);
          corsCases++;
        } catch (error) {
          problems.push(`${method} https://${dnsName}${route.healthPath} with Origin ${origin}: ${(error as Error).message}`);
        }
      }
    }
  }
  notes.push(`${corsCases} CORS cases`);

  // Rate limit, last: a bounded burst on the first API route, then let the bucket refill.
  const api = served.find((s) => s.route.kind === "api");
  if (!api) problems.push("no API route is served, so the rate limit (APIs only) could not be tested");
  else {
    const limit = ctx.settings.rateLimit;
    const total = Math.min(600, limit.burst + 1 + limit.requestsPerSecond * 2 + 60);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
    const statuses: number[] = [];
    const start = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < total && Date.now() - start < 30_000) {
        next++;
        try {
          statuses.push((await send(api.dnsName, api.route.healthPath, { agent })).status);
        } catch {
          statuses.push(0);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const elapsedMs = Date.now() - start;
    agent.destroy();
    const verdict = rateLimitVerdict(statuses, elapsedMs, limit);
    if (!verdict.ok) problems.push(`rate limit on ${api.dnsName}: ${verdict.detail}`);
    else notes.push(`rate limit: ${verdict.detail}`);
    await sleep(Math.min(10_000, Math.ceil((limit.burst / limit.requestsPerSecond) * 1000) + 1000));
  }

  if (problems.length) return { ok: false, detail: `${problems.length} edge problem(s): ${problems.join("; ")} (passed: ${notes.join("; ")})` };
  return { ok: true, detail: `HTTPS on ${address} verified with the stack's CA for ${served.map((s) => s.dnsName).join(", ")}; ${notes.join("; ")}` };
}

export const check: E2ECheck = { name: "edge", check: guarded(checkEdge) };
