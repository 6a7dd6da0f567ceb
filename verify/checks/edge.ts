// The edge, on its published port as a client would reach it: the certificate chain against the
// stack's CA (stack output caCertificate), its SANs and expiry; routing by host name to the service
// each route names (facts/services.ts EDGE_ROUTES); CORS headers only for listed origins on the
// APIs (preflight and GET), none on the UI route; 429 past the rate limit (a bounded burst, run
// last, after which the bucket is left to refill).
import * as https from "node:https";
import * as tls from "node:tls";
import { EDGE_ROUTES, type EdgeRouteEntry } from "../../facts/services";
import { exec } from "../docker";
import { cannotRun, fail, ok, type CheckOutcome, type VerifyContext } from "../context";
import { request, type HttpAnswer } from "../http";
import { sleep } from "../docker";
import type { Endpoint } from "../reach";

/** The route serving a host name: the one named after its first label. */
export function routeFor(dnsName: string, routes: readonly EdgeRouteEntry[] = EDGE_ROUTES): EdgeRouteEntry | undefined {
  const first = dnsName.toLowerCase().split(".")[0];
  return routes.find((route) => route.name === first);
}

/** Headers a service may use to name itself, most specific first. */
const IDENTITY_HEADERS = ["x-standin-service", "x-service", "x-served-by"];

/**
 * Which service answered, as the answer says: an identity header, a `service` field of a JSON
 * body, or Grafana's /api/health shape. Undefined when unsaid.
 */
export function identify(answer: Pick<HttpAnswer, "headers" | "body">): string | undefined {
  for (const header of IDENTITY_HEADERS) {
    const value = answer.headers[header];
    if (typeof value === "string" && value) return value.trim();
  }
  try {
    const parsed = JSON.parse(answer.body) as Record<string, unknown>;
    for (const key of ["service", "standin"]) if (typeof parsed[key] === "string") return parsed[key] as string;
    // Grafana's own /api/health answers {commit, database, version}.
    if (typeof parsed.database === "string" && typeof parsed.version === "string" && "commit" in parsed) return "grafana";
  } catch {
    // not JSON
  }
  return undefined;
}

/** Whether an error is the TLS verification failing (wrong CA, wrong name, expired), not the network. */
export function isTlsVerificationError(error: unknown): boolean {
  const code = String((error as { code?: string }).code ?? "");
  return /CERT|SIGNATURE|ISSUER|ALTNAME|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}

export type EdgeAnswer = { answer: HttpAnswer; via: string } | { error: string } | { tlsFailed: string };

async function edgeEndpoint(ctx: VerifyContext): Promise<Endpoint | { error: string }> {
  const pending = ctx.reach.endpoint("edge");
  if (!pending) return { error: "the edge is not published (exposure.publish.edge): nothing can reach it from outside the host" };
  try {
    return await pending;
  } catch (error) {
    return { error: `the edge's port could not be reached: ${(error as Error).message}` };
  }
}

/** One HTTPS request to the edge as `dnsName` (SNI and Host), verified against the stack's CA. */
export async function edgeRequest(ctx: VerifyContext, dnsName: string, path: string, headers: Record<string, string> = {}, options: { method?: string; agent?: https.Agent } = {}): Promise<EdgeAnswer> {
  const endpoint = await edgeEndpoint(ctx);
  if ("error" in endpoint) return endpoint;
  try {
    const answer = await request(`https://${endpoint.host}:${endpoint.port}${path}`, {
      ca: ctx.outputs.caCertificate,
      servername: dnsName,
      headers: { host: dnsName, ...headers },
      method: options.method,
      agent: options.agent,
      timeoutMs: 10_000,
    });
    return { answer, via: endpoint.via };
  } catch (error) {
    const message = `${options.method ?? "GET"} https://${dnsName}${path} (${endpoint.via}): ${(error as Error).message}`;
    return isTlsVerificationError(error) ? { tlsFailed: message } : { error: message };
  }
}

// ------------------------------------------------------------------------------ edge-tls

export interface ServedCertificate {
  authorized: boolean;
  authorizationError?: string;
  hostnameError?: string;
  subjectAltNames: string[];
  validFrom: Date;
  validTo: Date;
  issuer: string;
  fingerprint256: string;
}

/** The certificate the edge serves for `servername`, and whether it verifies against `ca`. */
export function servedCertificate(endpoint: Pick<Endpoint, "host" | "port">, servername: string, ca: string, timeoutMs = 10_000): Promise<ServedCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: endpoint.host, port: endpoint.port, servername, ca, rejectUnauthorized: false });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      const hostnameError = tls.checkServerIdentity(servername, cert);
      resolve({
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        hostnameError: hostnameError?.message,
        subjectAltNames: (cert.subjectaltname ?? "").split(/,\s*/).filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4)),
        validFrom: new Date(cert.valid_from),
        validTo: new Date(cert.valid_to),
        issuer: Object.entries(cert.issuer ?? {}).map(([k, v]) => `${k}=${v}`).join(", "),
        fingerprint256: cert.fingerprint256,
      });
      socket.end();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** What is wrong with the served certificate (empty when nothing). */
export function certificateProblems(dnsName: string, cert: ServedCertificate, wanted: { dnsNames: string[]; earlyRenewalDays: number }, now = new Date()): string[] {
  const problems: string[] = [];
  if (!cert.authorized) problems.push(`${dnsName}: the chain does not verify against the stack's CA (${cert.authorizationError ?? "unauthorized"}; issuer ${cert.issuer})`);
  if (cert.hostnameError) problems.push(`${dnsName}: ${cert.hostnameError}`);
  const missing = wanted.dnsNames.filter((name) => !cert.subjectAltNames.includes(name.toLowerCase()) && !cert.subjectAltNames.includes(name));
  if (missing.length) problems.push(`${dnsName}: the certificate's SANs (${cert.subjectAltNames.join(", ") || "none"}) lack ${missing.join(", ")} (tls.dnsNames)`);
  const daysLeft = (cert.validTo.getTime() - now.getTime()) / 86_400_000;
  if (cert.validFrom.getTime() > now.getTime()) problems.push(`${dnsName}: not valid before ${cert.validFrom.toISOString()}`);
  if (daysLeft < 0) problems.push(`${dnsName}: expired on ${cert.validTo.toISOString()}`);
  else if (daysLeft < wanted.earlyRenewalDays) problems.push(`${dnsName}: expires in ${daysLeft.toFixed(1)} days (${cert.validTo.toISOString()}), inside tls.earlyRenewalDays (${wanted.earlyRenewalDays}): the last \`pulumi up\` predates its renewal`);
  return problems;
}

export async function checkEdgeTls(ctx: VerifyContext): Promise<CheckOutcome> {
  const endpoint = await edgeEndpoint(ctx);
  const names = ctx.settings.tls.dnsNames;
  const lookedAt = `the certificate the edge serves for each of ${names.join(", ")} (SNI)${"via" in endpoint ? ` ${endpoint.via}` : ""}, against the stack output caCertificate`;
  if ("error" in endpoint) return fail(lookedAt, endpoint.error);
  const problems: string[] = [];
  let seen: ServedCertificate | undefined;
  for (const dnsName of names) {
    try {
      const cert = await servedCertificate(endpoint, dnsName, ctx.outputs.caCertificate);
      seen = cert;
      problems.push(...certificateProblems(dnsName, cert, { dnsNames: names, earlyRenewalDays: ctx.settings.tls.earlyRenewalDays }));
    } catch (error) {
      problems.push(`${dnsName}: no TLS handshake: ${(error as Error).message}`);
    }
  }
  const data = seen ? { issuer: seen.issuer, validTo: seen.validTo.toISOString(), fingerprint256: seen.fingerprint256, subjectAltNames: seen.subjectAltNames } : undefined;
  if (problems.length) return fail(lookedAt, problems.join("; "), undefined, data);
  const days = seen ? Math.floor((seen.validTo.getTime() - Date.now()) / 86_400_000) : 0;
  return ok(lookedAt, `the chain verifies against the stack's CA for every name; SANs ${seen?.subjectAltNames.join(", ")}; valid until ${seen?.validTo.toISOString()} (${days} days, renewed by \`pulumi up\` ${ctx.settings.tls.earlyRenewalDays} days before)`, data);
}

// ------------------------------------------------------------------------------ shared by the HTTP checks

/** Requests paced at the rate limit (and a 429 retried twice), so the checks do not trip it themselves. */
function pacedSender(ctx: VerifyContext) {
  const refillMs = Math.ceil(1000 / ctx.settings.rateLimit.requestsPerSecond) + 100;
  let last = 0;
  const paced = async (dnsName: string, path: string, headers: Record<string, string>, method?: string) => {
    await sleep(Math.max(0, last + refillMs - Date.now()));
    last = Date.now();
    return edgeRequest(ctx, dnsName, path, headers, { method });
  };
  return async (dnsName: string, path: string, headers: Record<string, string> = {}, method?: string): Promise<EdgeAnswer> => {
    let answer = await paced(dnsName, path, headers, method);
    for (let i = 0; i < 2 && "answer" in answer && answer.answer.status === 429; i++) answer = await paced(dnsName, path, headers, method);
    return answer;
  };
}

/** The tls.dnsNames entries that name a route, with the route. */
function servedRoutes(ctx: VerifyContext): { dnsName: string; route: EdgeRouteEntry }[] {
  return ctx.settings.tls.dnsNames.flatMap((dnsName) => {
    const route = routeFor(dnsName);
    return route ? [{ dnsName, route }] : [];
  });
}

const tlsCannotRun = (lookedAt: string, message: string) => cannotRun(lookedAt, `the edge's TLS does not verify against the stack's CA, so this was not tested (edge-tls says why): ${message}`, "fix edge-tls first");

// ------------------------------------------------------------------------------ edge-routing

export async function checkEdgeRouting(ctx: VerifyContext): Promise<CheckOutcome> {
  const served = servedRoutes(ctx);
  const lookedAt = `GET <health path> through the edge as each of ${served.map((s) => s.dnsName).join(", ") || "(no routed name)"}: who answers`;
  if (served.length === 0) return fail(lookedAt, `no tls.dnsNames entry names a route (${EDGE_ROUTES.map((r) => `${r.name}.*`).join(", ")})`);
  const send = pacedSender(ctx);
  const problems: string[] = [];
  const routed: string[] = [];
  for (const { dnsName, route } of served) {
    const result = await send(dnsName, route.healthPath);
    if ("tlsFailed" in result) return tlsCannotRun(lookedAt, result.tlsFailed);
    if ("error" in result) {
      problems.push(result.error);
      continue;
    }
    const { answer } = result;
    if (answer.status !== 200) {
      problems.push(`https://${dnsName}${route.healthPath} answered ${answer.status}, expected 200 from ${route.upstream.host}: ${answer.body.slice(0, 200)}`);
      continue;
    }
    const who = identify(answer);
    if (who === route.upstream.host) routed.push(`${dnsName} -> ${who}`);
    else if (who !== undefined) problems.push(`https://${dnsName} was answered by ${who}, expected ${route.upstream.host}`);
    else {
      // The service does not say who it is: its own answer, asked from inside the edge, must be the same.
      const url = `http://${route.upstream.host}:${route.upstream.port}${route.healthPath}`;
      const direct = await exec(ctx.docker, `${ctx.prefix}-edge`, ["wget", "-q", "-O", "-", url], { timeoutMs: 15_000 });
      if (direct.exitCode === 0 && direct.stdout === answer.body) routed.push(`${dnsName} -> ${route.upstream.host} (same answer as ${url} from inside the edge)`);
      else problems.push(`https://${dnsName}${route.healthPath} does not say which service answered, and its body differs from ${url} asked from inside the edge (${direct.exitCode === 0 ? direct.stdout.slice(0, 100) : direct.error ?? `wget exited ${direct.exitCode}`})`);
    }
  }
  const via = (await ctx.reach.routes()).edge ?? "";
  if (problems.length) return fail(`${lookedAt} (${via})`, `${problems.length} routing problem(s): ${problems.join("; ")}${routed.length ? ` (right: ${routed.join(", ")})` : ""}`);
  return ok(`${lookedAt} (${via})`, routed.join(", "));
}

// ------------------------------------------------------------------------------ edge-cors

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
  let origin = "https://not-listed.verify.invalid";
  for (let i = 1; allowed.includes(origin); i++) origin = `https://not-listed-${i}.verify.invalid`;
  return origin;
}

export async function checkEdgeCors(ctx: VerifyContext): Promise<CheckOutcome> {
  const served = servedRoutes(ctx);
  const allowed = ctx.settings.cors.allowedOrigins;
  const origins = [...(allowed.length ? [{ origin: allowed[0]!, listed: true }] : []), { origin: unlistedOrigin(allowed), listed: false }];
  const lookedAt = `preflight (OPTIONS) and GET through the edge on ${served.map((s) => s.dnsName).join(", ")} with Origin ${origins.map((o) => `${o.origin} (${o.listed ? "listed" : "not listed"})`).join(" and ")}`;
  if (served.length === 0) return fail(lookedAt, "no tls.dnsNames entry names a route");
  const send = pacedSender(ctx);
  const problems: string[] = [];
  let cases = 0;
  for (const { dnsName, route } of served) {
    for (const { origin, listed } of origins) {
      for (const method of ["OPTIONS", "GET"] as const) {
        const headers: Record<string, string> = { origin };
        if (method === "OPTIONS") Object.assign(headers, { "access-control-request-method": "GET", "access-control-request-headers": "content-type" });
        const result = await send(dnsName, route.healthPath, headers, method);
        if ("tlsFailed" in result) return tlsCannotRun(lookedAt, result.tlsFailed);
        if ("error" in result) {
          problems.push(result.error);
          continue;
        }
        const problem = corsProblem({ route: dnsName, kind: route.kind, method, origin, listed }, result.answer);
        if (problem) problems.push(problem);
        cases++;
      }
    }
  }
  const note = allowed.length ? "" : "; cors.allowedOrigins is empty: only the absence of CORS headers was tested";
  if (problems.length) return fail(lookedAt, `${problems.length} CORS problem(s): ${problems.join("; ")}${note}`);
  return ok(lookedAt, `${cases} cases: the listed origin is allowed on the APIs, the unlisted one nowhere, the UI route never sends CORS${note}`);
}

// ------------------------------------------------------------------------------ edge-rate-limit

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

export async function checkEdgeRateLimit(ctx: VerifyContext): Promise<CheckOutcome> {
  const api = servedRoutes(ctx).find((s) => s.route.kind === "api");
  const limit = ctx.settings.rateLimit;
  const total = Math.min(600, limit.burst + 1 + limit.requestsPerSecond * 2 + 60);
  const lookedAt = `a burst of at most ${total} requests (16 at a time, 30 s at most) to https://${api?.dnsName ?? "<api route>"}${api?.route.healthPath ?? ""} against rateLimit (${limit.requestsPerSecond}/s, burst ${limit.burst})`;
  if (!api) return fail(lookedAt, "no API route is served (tls.dnsNames names neither review.* nor cost.*), so the rate limit (APIs only) cannot be tested");
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  const statuses: number[] = [];
  let tlsFailed: string | undefined;
  const start = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < total && Date.now() - start < 30_000 && !tlsFailed) {
      next++;
      const result = await edgeRequest(ctx, api.dnsName, api.route.healthPath, {}, { agent });
      if ("tlsFailed" in result) tlsFailed = result.tlsFailed;
      statuses.push("answer" in result ? result.answer.status : 0);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const elapsedMs = Date.now() - start;
  agent.destroy();
  if (tlsFailed) return tlsCannotRun(lookedAt, tlsFailed);
  const verdict = rateLimitVerdict(statuses, elapsedMs, limit);
  // Leave the bucket to refill, so what runs next is not refused.
  await sleep(Math.min(10_000, Math.ceil((limit.burst / limit.requestsPerSecond) * 1000) + 1000));
  return verdict.ok ? ok(lookedAt, verdict.detail) : fail(lookedAt, verdict.detail);
}
