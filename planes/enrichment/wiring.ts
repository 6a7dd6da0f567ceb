// How an application-plane service is wired to what it uses: environment values, secret files
// (the `*_FILE` convention) and the resources it must wait for, as one mergeable value. Also the
// image contract every platform image meets: `GET /health` and `GET /metrics` on its port.
import type * as pulumi from "@pulumi/pulumi";
import type { MongoDatabase } from "../data/mongodb";
import type { Nsq } from "../data/nsq";
import type { Healthcheck, SecretFile } from "../../components/serviceSpec";
import { PlatformContext, targetOf } from "../../components/context";
import type { ReleaseAssignment } from "../../config/canary";

export const SECRETS_DIR = "/run/secrets";

/** Where each secret lands in a container, and the variable that names the file. */
export const SECRET_FILES = {
  mcpJwtSecret: { path: `${SECRETS_DIR}/mcp-jwt-secret`, envVar: "MCP_JWT_SECRET_FILE" },
  anthropicApiKey: { path: `${SECRETS_DIR}/anthropic-api-key`, envVar: "ANTHROPIC_API_KEY_FILE" },
  mongodbUri: { path: `${SECRETS_DIR}/mongodb-uri`, envVar: "MONGODB_URI_FILE" },
} as const;

export function secretFile(which: keyof typeof SECRET_FILES, content: pulumi.Input<string>): SecretFile {
  return { ...SECRET_FILES[which], content };
}

export interface Wiring {
  env: Record<string, pulumi.Input<string>>;
  secretFiles: SecretFile[];
  /** Resources the service must wait for (healthy containers, created topics, pulled models). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Merges wirings; a variable or secret path set twice is a programming error, not a silent override. */
export function wire(...parts: Partial<Wiring>[]): Wiring {
  const out: Wiring = { env: {}, secretFiles: [], dependsOn: [] };
  for (const part of parts) {
    for (const [key, value] of Object.entries(part.env ?? {})) {
      if (key in out.env) throw new Error(`wiring: environment variable ${key} is set twice`);
      out.env[key] = value;
    }
    for (const file of part.secretFiles ?? []) {
      if (out.secretFiles.some((f) => f.path === file.path)) throw new Error(`wiring: secret file ${file.path} is mounted twice`);
      out.secretFiles.push(file);
    }
    out.dependsOn.push(...(part.dependsOn ?? []));
  }
  return out;
}

/** MongoDB: the URI as a secret file; waits for the managed server to be healthy. */
export function mongoClient(mongodb: MongoDatabase): Wiring {
  return wire({
    env: { MONGODB_DATABASE: mongodb.database },
    secretFiles: [secretFile("mongodbUri", mongodb.connectionUri)],
    dependsOn: mongodb.server ? [mongodb.server] : [],
  });
}

/** NSQ: producer and consumer addresses and the topic; waits for the topic to exist. */
export function nsqClient(nsq: Nsq): Wiring {
  return wire({
    env: { NSQD_TCP_ADDRESS: nsq.nsqdTcpAddress, NSQLOOKUPD_HTTP_ADDRESS: nsq.lookupdHttpAddress, NSQ_TOPIC: nsq.topicName },
    dependsOn: [nsq.topic],
  });
}

/**
 * The platform images' health contract: `GET /health` on the service port answers 2xx. The
 * check uses busybox `wget` where the image has it and `curl` otherwise (both through /bin/sh).
 */
export function httpHealthcheck(port: number, path = "/health"): Healthcheck {
  const url = `http://127.0.0.1:${port}${path}`;
  return {
    test: ["CMD-SHELL", `wget -q -O /dev/null ${url} || curl -fsS -o /dev/null ${url}`],
    intervalSeconds: 15,
    timeoutSeconds: 5,
    retries: 5,
    startPeriodSeconds: 20,
  };
}

/** Where the platform's own services serve Prometheus metrics (on their service port). */
export const METRICS_PATH = "/metrics";

export const TRACK_LABEL = "org.enrichment.track";

/** The release label value and the track label, for ServiceContainer's `release` and `labels`. */
export function releaseLabels(assignment: Pick<ReleaseAssignment, "version" | "track">): { release: string; labels: Record<string, string> } {
  return { release: assignment.version, labels: { [TRACK_LABEL]: assignment.track } };
}

/**
 * The scrape job of one service: its address on one host; on a swarm every task, found by DNS
 * (`tasks.<name>` answers each task's address whatever the endpoint mode), since a service may
 * run several.
 */
export function serviceScrapeTarget(context: PlatformContext, job: string, service: string, port: number): ScrapeTarget {
  return targetOf(context).kind === "swarm"
    ? { job, targets: [], dnsSd: { names: [`tasks.${service}`], port }, metricsPath: METRICS_PATH }
    : { job, targets: [`${service}:${port}`], metricsPath: METRICS_PATH };
}

/** A Prometheus scrape job of the application plane, for the monitoring plane to consume. */
export interface ScrapeTarget {
  job: string;
  /** `host:port` on the private network. */
  targets: string[];
  metricsPath?: string;
  /**
   * Target labels per target: `service` (the pool or agent name) and `track` (stable or canary).
   * No `release`: the services put that label on their own series.
   */
  targetLabels?: Record<string, Record<string, string>>;
  /** A pool found by DNS (planes/monitoring/prometheus.ts ScrapeTarget.dnsSd), with labels for all its targets. */
  dnsSd?: { names: string[]; port: number; labels?: Record<string, string> };
}
