// The platform's services by name (spec: "Services"). Names here are the DNS aliases on the
// private network, the keys of `release.images`, and the keys of `exposure.publish`.
import { INGESTION_LOOPBACK_ONLY, INGESTION_PUBLISHABLE } from "./ingestion";

/** The platform's own services, whose images come from the release (agents are in facts/agents.ts). */
export const APP_SERVICES = ["mcp-server", "enrichment-coordinator", "enrichment-worker", "review-api", "cost-api"] as const;
export type AppService = (typeof APP_SERVICES)[number];

/** Services that hold data or models: they may publish a port only on a loopback address. */
export const LOOPBACK_ONLY_SERVICES: readonly string[] = ["mongodb", "nsqlookupd", "nsqd", "nsqadmin", "ollama", ...INGESTION_LOOPBACK_ONLY];

/** Services a stack may publish on the host. Everything people use goes through the edge. */
export const PUBLISHABLE_SERVICES: readonly string[] = [
  ...LOOPBACK_ONLY_SERVICES,
  "edge",
  // Plain HTTP on the edge, answered only with a redirect to HTTPS.
  "edge-http",
  "prometheus",
  "alertmanager",
  "grafana",
  // The web-ingestion plane's (facts/ingestion.ts): only while it runs (config/ingestion.ts).
  ...INGESTION_PUBLISHABLE.filter((service) => !INGESTION_LOOPBACK_ONLY.includes(service)),
];

/**
 * The edge's routes by the first label of the host name they answer (review.<domain> ...): each
 * needs a name in `tls.dnsNames` (EDGE_ROUTES below uses these names).
 */
export const EDGE_ROUTE_NAMES = ["review", "cost", "grafana"] as const;

/** Prefix of every container label this program sets (`org.enrichment.service`, ...). */
export const LABEL_PREFIX = "org.enrichment";

/** Well-known container ports. */
export const PORTS = {
  mongodb: 27017,
  nsqlookupdTcp: 4160,
  nsqlookupdHttp: 4161,
  nsqdTcp: 4150,
  nsqdHttp: 4151,
  nsqadmin: 4171,
  ollama: 11434,
  mcpServer: 3000,
  coordinator: 8001,
  worker: 8002,
  reviewApi: 5001,
  costApi: 5002,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
  grafanaHost: 3001,
  edgeHttps: 443,
} as const;

/** `api`: rate-limited, CORS allowlist, no framing. `ui` (Grafana): websockets, its own headers. */
export type EdgeRouteKind = "api" | "ui";

export interface EdgeRouteEntry {
  /** First label of the host names it serves. */
  name: (typeof EDGE_ROUTE_NAMES)[number];
  upstream: { host: string; port: number };
  kind: EdgeRouteKind;
  /** Health endpoint of the upstream, probed through the edge. */
  healthPath: string;
}

/** What the edge fronts (the edge plane serves them, verify checks them). Grafana comes with the monitoring plane. */
export const EDGE_ROUTES: readonly EdgeRouteEntry[] = [
  { name: "review", upstream: { host: "review-api", port: PORTS.reviewApi }, kind: "api", healthPath: "/health" },
  { name: "cost", upstream: { host: "cost-api", port: PORTS.costApi }, kind: "api", healthPath: "/health" },
  { name: "grafana", upstream: { host: "grafana", port: PORTS.grafana }, kind: "ui", healthPath: "/api/health" },
];
