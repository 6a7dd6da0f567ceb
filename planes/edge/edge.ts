// The edge: nginx (pinned image) terminating TLS with the foundation's edge certificate in front
// of review-api, cost-api and, for operators, Grafana. The only service that publishes a host
// port for people. Routes are by host name: a route serves the certificate's DNS names whose first
// label is the route's name (review.<domain>, cost.<domain>, grafana.<domain>).
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import type { PublishedPort } from "../../components/serviceSpec";
import type { PlatformContext } from "../../components/context";
import { deployService, PlatformService } from "../../components/deploy";
import { EDGE_ROUTES, type EdgeRouteEntry } from "../../facts/services";
import type { IssuedCertificate } from "../../components/tls";
import { EDGE_CONFIG_PATH, EDGE_CONTAINER_PATHS, EDGE_PORTS, renderEdgeConfig } from "./edgeConfig";

/** A URL for the monitoring plane's blackbox exporter. */
export interface ProbeTarget {
  name: string;
  url: string;
  /** Host header and TLS server name to send: the edge routes by host name. */
  hostname?: string;
}

export interface EdgeArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  /** `enrichment:images.edge` (nginx, pinned). */
  image: string;
  /** The edge leaf certificate (components/tls.ts): full chain uploaded as a file, key as a secret file. */
  certificate: Pick<IssuedCertificate, "fullChainPem" | "privateKeyPem">;
  /** The certificate's DNS names (`enrichment:tls.dnsNames`): each route serves those named after it. */
  dnsNames: string[];
  allowedOrigins: string[];
  rateLimit: { requestsPerSecond: number; burst: number };
  /** Host address and port of HTTPS (`enrichment:exposure.publish.edge`); unpublished when unset. */
  publish?: { address: string; port: number };
  /** Host address and port of an HTTP listener that redirects to HTTPS; none when unset. */
  httpPublish?: { address: string; port: number };
  memoryMb: number;
  cpus: number;
  routes?: readonly EdgeRouteEntry[];
  waitTimeoutSeconds?: number;
  /** Edge tasks on a swarm (each on an edge-labelled node of its own: a host port binds once per node). */
  replicas?: number;
}

export const EDGE_SERVICE = "edge";

/** Each route with the certificate's DNS names it answers: those whose first label is its name. */
export function edgeRoutes(dnsNames: readonly string[], routes: readonly EdgeRouteEntry[] = EDGE_ROUTES): (EdgeRouteEntry & { serverNames: string[] })[] {
  return routes.map((route) => ({
    ...route,
    serverNames: dnsNames.map((dns) => dns.toLowerCase()).filter((dns) => dns.split(".")[0] === route.name),
  }));
}

export class Edge extends pulumi.ComponentResource {
  readonly server: PlatformService;
  /** The generated nginx.conf. */
  readonly config: string;
  /** Route name -> the URL people use (only when HTTPS is published). */
  readonly urls: Record<string, string> = {};
  /** The edge's own health and each route's health through the edge, on the private network. */
  readonly probeTargets: ProbeTarget[];

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:edge:Edge", name, {}, opts);
    const routes = edgeRoutes(args.dnsNames, args.routes);
    const unserved = routes.filter((route) => route.serverNames.length === 0).map((route) => `${route.name}.<domain>`);
    if (unserved.length) throw new Error(`Edge ${name}: no host name for ${unserved.join(", ")}; add it to enrichment:tls.dnsNames`);

    const publicPort = args.publish?.port ?? 443;
    this.config = renderEdgeConfig({
      routes,
      allowedOrigins: args.allowedOrigins,
      rateLimit: args.rateLimit,
      publicHttpsPort: publicPort,
      httpRedirect: !!args.httpPublish,
    });

    const ports: PublishedPort[] = [];
    if (args.publish) ports.push({ internal: EDGE_PORTS.https, external: args.publish.port, address: args.publish.address });
    if (args.httpPublish) ports.push({ internal: EDGE_PORTS.http, external: args.httpPublish.port, address: args.httpPublish.address });

    this.server = deployService(
      EDGE_SERVICE,
      {
        context: args.context,
        network: args.network,
        service: EDGE_SERVICE,
        group: "edge",
        image: args.image,
        imageKey: "edge",
        files: [
          { path: EDGE_CONFIG_PATH, content: this.config },
          { path: EDGE_CONTAINER_PATHS.certificate, content: args.certificate.fullChainPem },
        ],
        secretFiles: [{ path: EDGE_CONTAINER_PATHS.certificateKey, content: args.certificate.privateKeyPem }],
        healthcheck: {
          test: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${EDGE_PORTS.status}/healthz`],
          intervalSeconds: 10,
          retries: 3,
          startPeriodSeconds: 5,
        },
        waitTimeoutSeconds: args.waitTimeoutSeconds ?? 60,
        memoryMb: args.memoryMb,
        cpus: args.cpus,
        // Published through the foundation's published network: the edge only answers, it never
        // needs a route out (no NAT; scripts/host-firewall.sh also drops forwarding out of it).
        ports,
        // A swarm publishes it in host mode on the edge-labelled node(s), one task per node.
        placement: "edge",
        replicas: args.replicas,
      },
      { parent: this },
    );

    const suffix = publicPort === 443 ? "" : `:${publicPort}`;
    if (args.publish) for (const route of routes) this.urls[route.name] = `https://${route.serverNames[0]}${suffix}`;
    this.probeTargets = [
      { name: "edge", url: `http://${EDGE_SERVICE}:${EDGE_PORTS.status}/healthz` },
      ...routes.map((route) => ({
        name: `edge-${route.name}`,
        url: `https://${EDGE_SERVICE}:${EDGE_PORTS.https}${route.healthPath}`,
        hostname: route.serverNames[0],
      })),
    ];

    this.registerOutputs({ urls: this.urls });
  }
}
