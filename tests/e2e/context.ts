// What every e2e step gets: the deployed stack's settings, where things are published, the
// values that were generated for it, and a Docker client. Built by the runner after `up`.
import type Docker from "dockerode";
import type { Settings } from "../../config/schema";

export interface E2EContext {
  /** The stack name (`e2e`) and the prefix of every container, volume and network it created. */
  stack: string;
  prefix: string;
  /** The validated settings of tests/e2e/Pulumi.e2e.yaml (with the built images). */
  settings: Settings;
  /** Container name -> `host:port` on the Docker host, for every published port (`mongodb`, `edge`, `prometheus`, ...). */
  published: Record<string, string>;
  /** The PEM of the CA that signed the edge's certificate. */
  caCertPem: string;
  /** Every secret the stack was given or generated, by name (`mongodb-app-password`, `slackWebhookUrl`, ...). */
  secrets: Record<string, string>;
  /** MongoDB URI the Docker host uses (the published loopback port), as the app user. */
  mongodbAdminUri: string;
  /** Base URL (on the Docker host) of the local sink that receives Alertmanager's webhooks; GET `${alertSinkUrl}/received` lists what arrived. */
  alertSinkUrl: string;
  docker: Docker;
  /** Prints one progress line. */
  log(message: string): void;
}

export interface StepResult {
  ok: boolean;
  /** One paragraph a person can act on; on failure, what was expected and what was seen. */
  detail: string;
  /** What the step recorded for machines, kept in the report as is (the verify steps: `npm run verify --json`'s report). */
  json?: unknown;
}

export interface E2ECheck {
  name: string;
  /** The step's name in the e2e report when it is a scenario step of its own (`backup`); default `check <name>`. */
  step?: string;
  /** How long the step may take before it is reported as timed out (default 5 minutes). */
  timeoutMs?: number;
  check(ctx: E2EContext): Promise<StepResult>;
}
