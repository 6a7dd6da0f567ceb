// The edge's nginx.conf: what the generator refuses, `nginx -t` on what it renders, and the
// config running in a real nginx (TLS, routing by host name, CORS allowlist, per-client rate
// limit, security headers, redirect, status) against a stand-in upstream and DNS server.
import * as http from "node:http";
import * as https from "node:https";
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeWithTools } from "./tools";
import { EDGE_ROUTES } from "../facts/services";
import { EdgeConfigInput, EdgeRoute, renderEdgeConfig } from "../planes/edge/edgeConfig";
import { freePort, makePrefix, nginxTest, Prefix, startDns, startNginx } from "./fixtures/app/nginx";

const routes = (domain: string): EdgeRoute[] =>
  EDGE_ROUTES.map((route) => ({ name: route.name, serverNames: [`${route.name}.${domain}`], upstream: route.upstream, kind: route.kind }));

const base = (over: Partial<EdgeConfigInput> = {}): EdgeConfigInput => ({
  routes: routes("example.test"),
  allowedOrigins: ["https://review.example.test"],
  rateLimit: { requestsPerSecond: 20, burst: 40 },
  publicHttpsPort: 443,
  httpRedirect: false,
  ...over,
});

describe("renderEdgeConfig refuses input nginx would reject or misread", () => {
  it.each([
    ["a route without a host name", { routes: [{ ...routes("x.test")[0], serverNames: [] }] }, 'route "review": no host name; add review.<domain> to enrichment:tls.dnsNames'],
    ["one host name on two routes", { routes: [routes("x.test")[0], { ...routes("x.test")[1], serverNames: ["review.x.test"] }] }, 'host name "review.x.test" is served by two routes'],
    ["an origin with a path", { allowedOrigins: ["https://review.x.test/app"] }, 'allowed origin "https://review.x.test/app": expected scheme://host[:port]'],
    ["an origin with a quote", { allowedOrigins: ['https://a.test" $x'] }, "expected scheme://host[:port]"],
    ["a negative burst", { rateLimit: { requestsPerSecond: 5, burst: -1 } }, "rateLimit.burst must be an integer >= 0, got -1"],
    ["a rate of zero", { rateLimit: { requestsPerSecond: 0, burst: 1 } }, "rateLimit.requestsPerSecond must be an integer >= 1, got 0"],
    ["a path with a space", { paths: { certificate: "/tmp/a b.pem", certificateKey: "/k", pidFile: "/p", accessLog: "/l", tempDir: "/t" } }, 'certificate "/tmp/a b.pem" must not contain spaces'],
    ["the same port twice", { ports: { https: 8443, http: 8443, status: 8081 } }, "ports must be three different ports"],
  ])("%s", (_title, over, message) => {
    expect(() => renderEdgeConfig(base(over as Partial<EdgeConfigInput>))).toThrow(message);
  });
});

describe("renderEdgeConfig output", () => {
  it("limits requests per client address at the configured rate, on the API routes only", () => {
    const config = renderEdgeConfig(base({ rateLimit: { requestsPerSecond: 7, burst: 3 } }));
    expect(config).toContain("limit_req_zone $binary_remote_addr zone=per_client:10m rate=7r/s;");
    // Route servers start with an http-level comment "# <route>: <hosts> -> <upstream>".
    const servers = config.split("\n  # ").filter((block) => block.includes("proxy_pass http://"));
    expect(servers.map((b) => b.split(":")[0])).toEqual(["review", "cost", "grafana"]);
    const limited = servers.filter((block) => block.includes("limit_req zone=per_client burst=3 nodelay;")).map((b) => b.split(":")[0]);
    expect(limited).toEqual(["review", "cost"]);
  });

  it("a burst of 0 leaves the burst out (nginx rejects nothing, queues nothing)", () => {
    const config = renderEdgeConfig(base({ rateLimit: { requestsPerSecond: 5, burst: 0 } }));
    expect(config).toContain("limit_req zone=per_client;");
    expect(config).not.toContain("burst=");
  });

  it("answers CORS only for the listed origins; none listed, the map allows nothing", () => {
    const listed = renderEdgeConfig(base({ allowedOrigins: ["https://a.test", "http://b.test:8080"] }));
    expect(listed).toMatch(/map \$http_origin \$cors_origin \{\n\s+default "";\n\s+"https:\/\/a\.test" \$http_origin;\n\s+"http:\/\/b\.test:8080" \$http_origin;\n\s+\}/);
    const none = renderEdgeConfig(base({ allowedOrigins: [] }));
    expect(none).toMatch(/map \$http_origin \$cors_origin \{\n\s+default "";\n\s+\}/);
  });

  it("redirects plain HTTP to the published HTTPS port only when asked", () => {
    expect(renderEdgeConfig(base())).not.toContain("return 308");
    expect(renderEdgeConfig(base({ httpRedirect: true }))).toContain("return 308 https://$host$request_uri;");
    expect(renderEdgeConfig(base({ httpRedirect: true, publicHttpsPort: 8443 }))).toContain("return 308 https://$host:8443$request_uri;");
  });

  it("resolves upstreams per request through Docker's DNS, so nginx starts without them", () => {
    const config = renderEdgeConfig(base());
    expect(config).toContain("resolver 127.0.0.11 valid=10s ipv6=off;");
    expect(config).toContain("set $upstream_grafana grafana:3000;");
    expect(config).toContain("proxy_pass http://$upstream_grafana;");
    expect(config).not.toMatch(/proxy_pass http:\/\/[a-z]/);
    expect(config).not.toMatch(/^\s*upstream /m);
  });
});

describeWithTools(["nginx", "openssl"], "nginx -t", () => {
  let prefix: Prefix;
  beforeAll(() => (prefix = makePrefix()));
  afterAll(() => fs.rmSync(prefix.dir, { recursive: true, force: true }));

  it.each([
    ["with a redirect, two origins and a burst", base({ httpRedirect: true, publicHttpsPort: 8443, allowedOrigins: ["https://a.test", "http://localhost:3000"] })],
    ["without origins and without burst", base({ allowedOrigins: [], rateLimit: { requestsPerSecond: 1, burst: 0 } })],
    ["with several host names per route", base({ routes: routes("a.test").map((r) => ({ ...r, serverNames: [...r.serverNames, `${r.name}.b.test`] })) })],
  ])("accepts the config %s", (_title, input) => {
    const result = nginxTest(renderEdgeConfig({ ...input, paths: prefix.paths }), prefix);
    expect(result.output).toContain("test is successful");
    expect(result.status).toBe(0);
  });

  it("fails on a broken config (the check can fail)", () => {
    const broken = renderEdgeConfig({ ...base(), paths: prefix.paths }).replace("limit_req_status 429;", "limit_req_status 429");
    const result = nginxTest(broken, prefix);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/emerg/);
  });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, host: string, options: { method?: string; path?: string; headers?: Record<string, string>; tls?: boolean } = {}): Promise<Reply> {
  const tls = options.tls ?? true;
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        headers: { Host: host, ...(options.headers ?? {}) },
        agent: false,
        ...(tls ? { servername: host, rejectUnauthorized: false } : {}),
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describeWithTools(["nginx", "openssl"], "the config in a running nginx", () => {
  let prefix: Prefix;
  let dns: Awaited<ReturnType<typeof startDns>>;
  let upstream: http.Server;
  const seen: { host: string; url: string; headers: http.IncomingHttpHeaders }[] = [];
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  const ports = { https: 0, http: 0, status: 0 };

  beforeAll(async () => {
    prefix = makePrefix();
    dns = await startDns();
    upstream = http.createServer((req, res) => {
      seen.push({ host: req.headers.host ?? "", url: req.url ?? "", headers: req.headers });
      // An upstream that sets its own CORS and framing headers: the edge must be the only authority.
      res.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*", "X-Frame-Options": "ALLOWALL" });
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const upstreamPort = (upstream.address() as import("node:net").AddressInfo).port;
    ports.https = await freePort();
    ports.http = await freePort();
    ports.status = await freePort();
    const config = renderEdgeConfig({
      routes: EDGE_ROUTES.map((route) => ({
        name: route.name,
        serverNames: [`${route.name}.example.test`],
        upstream: { host: route.upstream.host, port: upstreamPort },
        kind: route.kind,
      })),
      allowedOrigins: ["https://review.example.test"],
      rateLimit: { requestsPerSecond: 1, burst: 3 },
      publicHttpsPort: 8443,
      httpRedirect: true,
      resolver: `127.0.0.1:${dns.port}`,
      ports,
      paths: prefix.paths,
    });
    nginx = await startNginx(config, prefix, ports.https);
  });

  afterAll(async () => {
    await nginx?.stop();
    upstream?.close();
    dns?.close();
    fs.rmSync(prefix.dir, { recursive: true, force: true });
  });

  it("routes by host name to the route's upstream, resolved through DNS, with forwarding headers", async () => {
    const reply = await request(ports.https, "cost.example.test", { path: "/costs?day=1" });
    expect(reply.status).toBe(200);
    expect(dns.queries).toContain("cost-api");
    const got = seen.at(-1)!;
    expect(got.url).toBe("/costs?day=1");
    expect(got.host).toBe("cost.example.test");
    expect(got.headers["x-forwarded-proto"]).toBe("https");
    expect(got.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    expect(reply.headers["x-request-id"]).toBe(got.headers["x-request-id"]);
    expect(reply.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    expect(reply.headers["x-frame-options"]).toBe("DENY");
    expect(reply.headers["server"]).toBe("nginx");
  });

  it("answers CORS for an allowed origin and hides the upstream's own CORS headers", async () => {
    const allowed = await request(ports.https, "review.example.test", { headers: { Origin: "https://review.example.test" } });
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://review.example.test");
    expect(allowed.headers["access-control-allow-credentials"]).toBe("true");
    expect(allowed.headers["vary"]).toContain("Origin");
    const other = await request(ports.https, "review.example.test", { headers: { Origin: "https://evil.example.test" } });
    expect(other.status).toBe(200);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("answers a preflight itself: 204, with the methods only for an allowed origin", async () => {
    const before = seen.length;
    const allowed = await request(ports.https, "review.example.test", {
      method: "OPTIONS",
      headers: { Origin: "https://review.example.test", "Access-Control-Request-Method": "POST" },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers["access-control-allow-methods"]).toContain("POST");
    const other = await request(ports.https, "review.example.test", { method: "OPTIONS", headers: { Origin: "https://evil.example.test" } });
    expect(other.status).toBe(204);
    expect(other.headers["access-control-allow-methods"]).toBeUndefined();
    expect(seen.length).toBe(before);
  });

  it("Grafana gets websocket upgrades and no API rate limit or CORS", async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, () => request(ports.https, "grafana.example.test", { headers: { Origin: "https://review.example.test" } })));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(replies[0].headers["access-control-allow-origin"]).toBeUndefined();
    await request(ports.https, "grafana.example.test", { path: "/api/live/ws", headers: { Upgrade: "websocket", Connection: "Upgrade" } }).catch(() => undefined);
    const live = seen.find((s) => s.url === "/api/live/ws");
    expect(live?.headers["upgrade"]).toBe("websocket");
  });

  it("a host name no route serves gets 421", async () => {
    expect((await request(ports.https, "unknown.example.test")).status).toBe(421);
  });

  it("plain HTTP is redirected to the published HTTPS port", async () => {
    const reply = await request(ports.http, "review.example.test", { tls: false, path: "/queue?x=1" });
    expect(reply.status).toBe(308);
    expect(reply.headers.location).toBe("https://review.example.test:8443/queue?x=1");
  });

  it("the status server answers the health check", async () => {
    const reply = await request(ports.status, "edge", { tls: false, path: "/healthz" });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("ok\n");
  });

  // Last: it uses up this client's allowance (1 r/s, burst 3) on the API routes.
  it("limits the request rate per client on the APIs: beyond the burst, 429", async () => {
    const replies = await Promise.all(Array.from({ length: 10 }, () => request(ports.https, "review.example.test")));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
  });
});
