// Exposure: only the edge publishes on a non-loopback address, and only its HTTPS listeners (or a
// plain listener that does nothing but redirect to HTTPS).
import { EDGE, RATE_LIMITED_UPSTREAMS, TYPES } from "./facts";
import { fileContent, known, serviceOf, UNKNOWN, type Props } from "./read";
import type { ResourceEntry } from "./types";

/** True for 127.0.0.0/8 and ::1; an empty address means every interface. */
export const isLoopback = (ip: string | undefined) => !!ip && (/^127\.\d+\.\d+\.\d+$/.test(ip) || ip === "::1" || ip === "localhost");

export interface NginxServer {
  listens: { port: number; ssl: boolean }[];
  names: string[];
  /** The block's text, nested blocks included. */
  body: string;
  /** The block does nothing but `return 301|302|307|308 https://...`. */
  redirectsToHttps: boolean;
}

/** The server blocks of an nginx config (enough of nginx's grammar for the edge's). */
export function nginxServers(conf: string): NginxServer[] {
  const text = conf.replace(/#[^\n]*/g, "");
  const servers: NginxServer[] = [];
  const serverRe = /\bserver\s*\{/g;
  for (let match = serverRe.exec(text); match; match = serverRe.exec(text)) {
    // The block's body, up to the matching brace.
    let depth = 1;
    let i = match.index + match[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
    }
    const body = text.slice(start, i - 1);
    // Directives at the block's own level (nested blocks removed).
    let flat = body;
    for (let prev = ""; prev !== flat; ) {
      prev = flat;
      flat = flat.replace(/\{[^{}]*\}/g, ";");
    }
    const directives = flat.split(";").map((d) => d.trim()).filter(Boolean);
    const others = directives.filter((d) => !/^(listen|server_name)\b/.test(d));
    const listens: NginxServer["listens"] = [];
    const names: string[] = [];
    for (const d of directives) {
      const listen = /^listen\s+(?:[^\s:]+:)?(\d+)(.*)$/.exec(d);
      if (listen) listens.push({ port: Number(listen[1]), ssl: /\bssl\b/.test(listen[2]) });
      const name = /^server_name\s+(.+)$/.exec(d);
      if (name) names.push(...name[1].split(/\s+/));
    }
    const redirectsToHttps = others.length === 1 && /^return\s+30[1278]\s+https:\/\//.test(others[0]);
    servers.push({ listens, names, body, redirectsToHttps });
    serverRe.lastIndex = i;
  }
  return servers;
}

export interface NginxListener {
  port: number;
  ssl: boolean;
  redirectsToHttps: boolean;
}

export const nginxListeners = (conf: string): NginxListener[] =>
  nginxServers(conf).flatMap((s) => s.listens.map((l) => ({ ...l, redirectsToHttps: s.redirectsToHttps })));

interface Port {
  internal?: number;
  external?: number;
  ip?: string;
}

export const exposureLoopbackOnly: ResourceEntry = {
  kind: "resource",
  name: "exposure-only-edge-public",
  why: "MongoDB, NSQ, Ollama, Prometheus, Alertmanager and the exporters have no business being reachable from outside the host; people reach the platform only through the edge.",
  checklist: "Network: MongoDB, NSQ and Ollama private; only the APIs (and Grafana for operators) reachable; Inbound: Only required ports exposed",
  types: [TYPES.container],
  validate(_ctx, { props }, report) {
    const ports = known(() => props.ports as Port[] | undefined);
    if (ports === UNKNOWN || !Array.isArray(ports)) return;
    const service = serviceOf(props) ?? "(unlabelled)";
    for (const port of ports) {
      const ip = known(() => port.ip);
      if (ip === UNKNOWN || isLoopback(ip)) continue;
      if (service !== EDGE.service) {
        report(
          props.swarm === true
            ? `${service} publishes ${port.internal} on ${port.external} of every address of its node (a swarm's host-mode port has no address); only the edge may publish beyond loopback: firewall the node's port (docs/swarm.md) or publish nothing`
            : `${service} publishes ${port.internal} on ${ip || "every interface (no ip)"}:${port.external}; only the edge may publish on a non-loopback address (bind it to 127.0.0.1)`,
        );
      }
    }
  },
};

export const exposureHttpsOnly: ResourceEntry = {
  kind: "resource",
  name: "exposure-https-only",
  why: "What the edge publishes beyond the host must be TLS, or a listener that only redirects to HTTPS.",
  checklist: "Certificates configured for APIs: Review API (port 5001), Cost API (port 5002)",
  types: [TYPES.container],
  readsGeneratedFiles: true,
  validate(_ctx, { props }, report) {
    if (serviceOf(props) !== EDGE.service) return;
    const ports = known(() => props.ports as Port[] | undefined);
    if (ports === UNKNOWN || !Array.isArray(ports)) return;
    const published = ports.filter((p) => {
      const ip = known(() => p.ip);
      return ip !== UNKNOWN && !isLoopback(ip);
    });
    if (published.length === 0) return;
    const conf = fileContent(props as Props, EDGE.configPath);
    if (conf === undefined) {
      report(`the edge publishes on a non-loopback address but has no readable ${EDGE.configPath} upload to show that it speaks TLS`);
      return;
    }
    const listeners = nginxListeners(conf);
    for (const port of published) {
      const mine = listeners.filter((l) => l.port === port.internal);
      if (mine.length === 0) report(`port ${port.external} -> ${port.internal}: nginx has no listener on ${port.internal}`);
      else if (!mine.every((l) => l.ssl || l.redirectsToHttps)) {
        report(`port ${port.external} -> ${port.internal} is published on ${port.ip || "every interface"} but nginx serves plain HTTP there (listen ${port.internal} without ssl, not a redirect to https://)`);
      }
    }
  },
};

export const exposureRateLimited: ResourceEntry = {
  kind: "resource",
  name: "exposure-apis-rate-limited",
  why: "One client must not be able to saturate the review or cost API; the edge limits requests per client on every server that proxies to them.",
  checklist: "Network: ... rate limiting and CORS on the APIs; Rate limiting enabled on APIs",
  types: [TYPES.container],
  readsGeneratedFiles: true,
  validate(_ctx, { props }, report) {
    if (serviceOf(props) !== EDGE.service) return;
    const conf = fileContent(props as Props, EDGE.configPath);
    if (conf === undefined) {
      report(`the edge has no readable ${EDGE.configPath} upload`);
      return;
    }
    for (const upstream of RATE_LIMITED_UPSTREAMS) {
      const servers = nginxServers(conf).filter((s) => new RegExp(`\\b${upstream}\\b`).test(s.body));
      if (servers.length === 0) report(`no server block proxies to ${upstream}`);
      for (const server of servers) {
        if (!/\blimit_req\s/.test(server.body)) report(`server ${server.names.join(" ")} proxies to ${upstream} without limit_req`);
      }
    }
  },
};

export const EXPOSURE_POLICIES = [exposureLoopbackOnly, exposureHttpsOnly, exposureRateLimited];
