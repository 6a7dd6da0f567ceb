// The edge's nginx.conf as a pure function of typed input: TLS termination with the edge
// certificate, one HTTPS server per route (by host name), a per-client request-rate limit and a
// CORS allowlist on the APIs, security headers, an internal status server for health checks and
// probes, and an optional HTTP -> HTTPS redirect. Tested with the real `nginx -t`.
//
// Upstreams are resolved per request through Docker's embedded DNS (proxy_pass with a variable):
// the edge starts without its upstreams (Grafana comes with the monitoring plane), and follows a
// replaced container to its new address instead of keeping the one it saw at start-up.

import { ORIGIN } from "../../config/fields";
import type { EdgeRouteKind } from "../../facts/services";

export interface EdgeRoute {
  /** Route name (`review`): the first label of the DNS names it serves. */
  name: string;
  /** Host names this route answers (`server_name`), all in the edge certificate. */
  serverNames: string[];
  upstream: { host: string; port: number };
  kind: EdgeRouteKind;
}

/** Files the config names; the container's by default, a test's own under `nginx -t`. */
export interface EdgePaths {
  /** Leaf certificate followed by the CA (PEM). */
  certificate: string;
  /** Private key (PEM); a secret file in the container. */
  certificateKey: string;
  pidFile: string;
  /** Access log; the container's stdout (Docker's log driver rotates it). */
  accessLog: string;
  /** Directory of nginx's temp paths (client bodies, proxy buffers, ...). */
  tempDir: string;
}

/** Where the Edge component puts things in the nginx container. */
export const EDGE_CONTAINER_PATHS: EdgePaths = {
  certificate: "/etc/nginx/tls/edge-fullchain.pem",
  certificateKey: "/run/secrets/edge-tls-key.pem",
  pidFile: "/var/run/nginx.pid",
  accessLog: "/dev/stdout",
  tempDir: "/var/cache/nginx",
};

export const EDGE_CONFIG_PATH = "/etc/nginx/nginx.conf";

/** Container ports of the edge; only `https` (and `http`, when redirecting) are published. */
export const EDGE_PORTS = { https: 8443, http: 8080, status: 8081 } as const;

export interface EdgeConfigInput {
  routes: EdgeRoute[];
  /** Origins (scheme://host[:port]) allowed to call the APIs from a browser; none: no CORS headers. */
  allowedOrigins: string[];
  rateLimit: { requestsPerSecond: number; burst: number };
  /** The HTTPS port clients use on the host (redirects point there; omitted from URLs when 443). */
  publicHttpsPort: number;
  /** Serve an HTTP listener that redirects to HTTPS. */
  httpRedirect: boolean;
  /** Docker's embedded DNS by default (`address[:port]`). */
  resolver?: string;
  /** Container ports; EDGE_PORTS by default. */
  ports?: { https: number; http: number; status: number };
  clientMaxBodySize?: string;
  paths?: EdgePaths;
}

const SAFE_WORD = /^[A-Za-z0-9._:/*-]+$/;
const HOST_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function validate(input: EdgeConfigInput): void {
  const problems: string[] = [];
  if (input.routes.length === 0) problems.push("routes: expected at least one route");
  const names = new Set<string>();
  const hosts = new Set<string>();
  for (const route of input.routes) {
    if (!/^[a-z][a-z0-9-]*$/.test(route.name)) problems.push(`route "${route.name}": name must be lower-case letters, digits and dashes`);
    if (names.has(route.name)) problems.push(`route "${route.name}" appears twice`);
    names.add(route.name);
    if (route.serverNames.length === 0) problems.push(`route "${route.name}": no host name; add ${route.name}.<domain> to enrichment:tls.dnsNames`);
    for (const host of route.serverNames) {
      if (!HOST_NAME.test(host)) problems.push(`route "${route.name}": "${host}" is not a host name`);
      if (hosts.has(host)) problems.push(`host name "${host}" is served by two routes`);
      hosts.add(host);
    }
    if (!/^[a-z][a-z0-9-]*$/.test(route.upstream.host)) problems.push(`route "${route.name}": upstream host "${route.upstream.host}" is not a service name`);
    if (!validPort(route.upstream.port)) problems.push(`route "${route.name}": upstream port ${route.upstream.port} is not a port`);
  }
  for (const origin of input.allowedOrigins) {
    if (!ORIGIN.test(origin)) problems.push(`allowed origin "${origin}": expected scheme://host[:port], lower case, no path`);
  }
  if (!Number.isInteger(input.rateLimit.requestsPerSecond) || input.rateLimit.requestsPerSecond < 1) {
    problems.push(`rateLimit.requestsPerSecond must be an integer >= 1, got ${input.rateLimit.requestsPerSecond}`);
  }
  if (!Number.isInteger(input.rateLimit.burst) || input.rateLimit.burst < 0) problems.push(`rateLimit.burst must be an integer >= 0, got ${input.rateLimit.burst}`);
  if (!validPort(input.publicHttpsPort)) problems.push(`publicHttpsPort ${input.publicHttpsPort} is not a port`);
  const ports = Object.values(input.ports ?? EDGE_PORTS);
  if (!ports.every(validPort) || new Set(ports).size !== ports.length) problems.push(`ports must be three different ports, got ${ports.join(", ")}`);
  for (const [key, value] of Object.entries({ ...(input.paths ?? {}), resolver: input.resolver ?? "", clientMaxBodySize: input.clientMaxBodySize ?? "" })) {
    if (value && !SAFE_WORD.test(value)) problems.push(`${key} "${value}" must not contain spaces, quotes or semicolons`);
  }
  if (problems.length) throw new Error(`edge config: ${problems.join("; ")}`);
}

const validPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65535;

/**
 * nginx keeps map keys and server names in hash buckets of 64 bytes by default (the CPU's cache
 * line), and refuses to start ("could not build map_hash, you should increase map_hash_bucket_size")
 * when one key does not fit: an element takes its length plus a pointer and a length field,
 * aligned to 8, and a bucket ends with a pointer. Past that, the directive names the next power of
 * two that fits the longest key (a valid origin or DNS name can be 250+ characters).
 */
function hashBucketSize(directive: string, keys: readonly string[]): string[] {
  const longest = Math.max(0, ...keys.map((key) => Buffer.byteLength(key)));
  const needed = Math.ceil((longest + 10) / 8) * 8 + 8;
  let size = 64;
  while (size < needed) size *= 2;
  return size > 64 ? [`${directive} ${size};`] : [];
}

/** Security headers per route kind; upstream copies are hidden so each is sent once. */
const SECURITY_HEADERS: Record<EdgeRouteKind, [string, string][]> = {
  api: [
    ["Strict-Transport-Security", "max-age=63072000; includeSubDomains"],
    ["X-Content-Type-Options", "nosniff"],
    ["X-Frame-Options", "DENY"],
    ["Referrer-Policy", "no-referrer"],
    ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ],
  ui: [
    ["Strict-Transport-Security", "max-age=63072000; includeSubDomains"],
    ["X-Content-Type-Options", "nosniff"],
    ["Referrer-Policy", "strict-origin-when-cross-origin"],
  ],
};

/** CORS response headers, each from a variable that is empty unless the origin is allowed. */
const CORS_HEADERS: [string, string][] = [
  ["Access-Control-Allow-Origin", "$cors_origin"],
  ["Access-Control-Allow-Credentials", "$cors_credentials"],
  ["Access-Control-Allow-Methods", "$cors_methods"],
  ["Access-Control-Allow-Headers", "$cors_headers"],
  ["Access-Control-Max-Age", "$cors_max_age"],
];

const indent = (lines: string[], depth: number) => lines.map((line) => (line ? "  ".repeat(depth) + line : line));

function routeServer(route: EdgeRoute, input: EdgeConfigInput, httpsPort: number): string[] {
  const variable = `$upstream_${route.name.replace(/-/g, "_")}`;
  const burst = input.rateLimit.burst > 0 ? ` burst=${input.rateLimit.burst} nodelay` : "";
  const lines = route.kind === "api" ? [`limit_req zone=per_client${burst};`, ""] : [];
  lines.push("# Headers: add_header in a location replaces inherited ones, so all are here.");
  for (const [header, value] of SECURITY_HEADERS[route.kind]) lines.push(`add_header ${header} "${value}" always;`);
  lines.push(`add_header X-Request-ID $request_id always;`);
  if (route.kind === "api") {
    for (const [header, value] of CORS_HEADERS) lines.push(`add_header ${header} ${value} always;`);
    lines.push(`add_header Vary Origin always;`);
  }
  // The edge is the only CORS authority, on every route: an upstream's own CORS headers never pass.
  const hidden = [...SECURITY_HEADERS[route.kind].map(([h]) => h), ...CORS_HEADERS.map(([h]) => h), "X-Powered-By"];
  for (const header of hidden) lines.push(`proxy_hide_header ${header};`);
  if (route.kind === "api") {
    lines.push("", "# CORS preflight: answered here; the headers above say whether the origin may call.", "if ($request_method = OPTIONS) {", "  return 204;", "}");
  }
  lines.push(
    "",
    "proxy_http_version 1.1;",
    "proxy_set_header Host $host;",
    "proxy_set_header X-Real-IP $remote_addr;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Proto https;",
    "proxy_set_header X-Forwarded-Host $host;",
    "proxy_set_header X-Request-ID $request_id;",
  );
  if (route.kind === "ui") lines.push("proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;");
  else lines.push('proxy_set_header Connection "";');
  lines.push(`proxy_pass http://${variable};`);

  return [
    `# ${route.name}: ${route.serverNames.join(", ")} -> ${route.upstream.host}:${route.upstream.port}`,
    "server {",
    ...indent(
      [
        `listen ${httpsPort} ssl;`,
        `server_name ${route.serverNames.join(" ")};`,
        `set ${variable} ${route.upstream.host}:${route.upstream.port};`,
        "",
        "location / {",
        ...indent(lines, 1),
        "}",
      ],
      1,
    ),
    "}",
  ];
}

/** nginx.conf for the edge. Throws, listing every problem, on input nginx would reject or misread. */
export function renderEdgeConfig(input: EdgeConfigInput): string {
  validate(input);
  const paths = input.paths ?? EDGE_CONTAINER_PATHS;
  const resolver = input.resolver ?? "127.0.0.11";
  const ports = input.ports ?? EDGE_PORTS;
  const httpsSuffix = input.publicHttpsPort === 443 ? "" : `:${input.publicHttpsPort}`;

  const http: string[] = [
    "default_type application/octet-stream;",
    "server_tokens off;",
    "keepalive_timeout 65s;",
    `client_max_body_size ${input.clientMaxBodySize ?? "10m"};`,
    "",
    `log_format edge '$remote_addr [$time_iso8601] $host "$request" $status $body_bytes_sent rt=$request_time urt=$upstream_response_time rid=$request_id';`,
    `access_log ${paths.accessLog} edge;`,
    "",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `${kind}_temp_path ${paths.tempDir}/${kind}_temp;`),
    "",
    "# Docker's embedded DNS; upstreams are resolved per request (see proxy_pass with variables).",
    `resolver ${resolver} valid=10s ipv6=off;`,
    "resolver_timeout 5s;",
    "proxy_connect_timeout 5s;",
    "proxy_read_timeout 60s;",
    "",
    `ssl_certificate ${paths.certificate};`,
    `ssl_certificate_key ${paths.certificateKey};`,
    "ssl_protocols TLSv1.2 TLSv1.3;",
    "ssl_prefer_server_ciphers off;",
    "ssl_session_cache shared:TLS:10m;",
    "ssl_session_timeout 1d;",
    "ssl_session_tickets off;",
    "",
    "# Request rate per client address, on the APIs.",
    `limit_req_zone $binary_remote_addr zone=per_client:10m rate=${input.rateLimit.requestsPerSecond}r/s;`,
    "limit_req_status 429;",
    "limit_req_log_level warn;",
    "",
    "# CORS: only these origins get Access-Control-* headers.",
    ...hashBucketSize("map_hash_bucket_size", input.allowedOrigins),
    ...hashBucketSize("server_names_hash_bucket_size", input.routes.flatMap((route) => route.serverNames)),
    "map $http_origin $cors_origin {",
    '  default "";',
    ...input.allowedOrigins.map((origin) => `  "${origin}" $http_origin;`),
    "}",
    ...(
      [
        ["cors_credentials", "true"],
        ["cors_methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS"],
        ["cors_headers", "Authorization, Content-Type, X-Request-ID"],
        ["cors_max_age", "600"],
      ] as const
    ).flatMap(([name, value]) => [`map $cors_origin $${name} {`, `  default "${value}";`, '  "" "";', "}"]),
    "map $http_upgrade $connection_upgrade {",
    "  default upgrade;",
    '  "" close;',
    "}",
    "",
    "# Internal status: health checks and probes on the private network; never published.",
    "server {",
    ...indent(
      [
        `listen ${ports.status};`,
        "access_log off;",
        "location = /healthz {",
        "  default_type text/plain;",
        '  return 200 "ok\\n";',
        "}",
        "location = /stub_status {",
        "  stub_status;",
        "}",
        "location / {",
        "  return 404;",
        "}",
      ],
      1,
    ),
    "}",
    "",
  ];
  if (input.httpRedirect) {
    http.push(
      "# Plain HTTP: redirect to HTTPS.",
      "server {",
      ...indent([`listen ${ports.http} default_server;`, "server_name _;", `return 308 https://$host${httpsSuffix}$request_uri;`], 1),
      "}",
      "",
    );
  }
  http.push(
    "# Host names no route serves.",
    "server {",
    ...indent([`listen ${ports.https} ssl default_server;`, "server_name _;", "return 421;"], 1),
    "}",
    "",
  );
  input.routes.forEach((route, i) => http.push(...(i ? [""] : []), ...routeServer(route, input, ports.https)));

  return [
    "# Generated by planes/edge/edgeConfig.ts (Pulumi uploads it); edit the generator, not this file.",
    "worker_processes auto;",
    `pid ${paths.pidFile};`,
    "error_log stderr warn;",
    "",
    "events {",
    "  worker_connections 1024;",
    "}",
    "",
    "http {",
    ...indent(http, 1).map((line) => line.trimEnd()),
    "}",
    "",
  ].join("\n");
}
