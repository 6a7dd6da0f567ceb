// What every check gets (the live stack: its settings, outputs, engine and how to reach its
// published ports), what it returns, and the shared ways to talk to a service: over its published
// port when it has one, else `docker exec` of busybox wget inside its own container.
import type Docker from "dockerode";
import type { Settings } from "../config/schema";
import { describeExec, exec, type StackContainer } from "./docker";
import { request, type HttpAnswer } from "./http";
import type { StackOutputs } from "./outputs";
import type { Reach } from "./reach";

export type CheckStatus = "ok" | "fail" | "cannot-run" | "skipped";

export interface CheckOutcome {
  status: CheckStatus;
  /** What it looked at, concretely (which containers, which URL, through what). */
  lookedAt: string;
  /** The result: on failure, what was expected and what was seen. */
  detail: string;
  /** What to do, when it is more specific than the catalog entry's fix. */
  fix?: string;
  /** Facts for machines (the --json report), e.g. the test alert's name. */
  data?: Record<string, unknown>;
}

export interface VerifyContext {
  stack: string;
  /** Prefix of every container, volume and network name (`<prefix>-mongodb`). */
  prefix: string;
  settings: Settings;
  outputs: StackOutputs;
  docker: Docker;
  engine: { host: string; remote: boolean };
  reach: Reach;
  /** --send-test-alert: the one check that writes (an alert) runs. */
  sendTestAlert: boolean;
  /** Progress on stderr (what a waiting check waits for, and how long at most). */
  log(line: string): void;
  /** The stack's containers, inspected once per run; `fresh` inspects again. */
  containers(fresh?: boolean): Promise<StackContainer[]>;
  /** Outcomes of the checks that already ran, by name. */
  earlier: ReadonlyMap<string, CheckOutcome>;
}

export const ok = (lookedAt: string, detail: string, data?: Record<string, unknown>): CheckOutcome => ({ status: "ok", lookedAt, detail, ...(data ? { data } : {}) });
export const fail = (lookedAt: string, detail: string, fix?: string, data?: Record<string, unknown>): CheckOutcome => ({ status: "fail", lookedAt, detail, ...(fix ? { fix } : {}), ...(data ? { data } : {}) });
export const cannotRun = (lookedAt: string, detail: string, fix?: string): CheckOutcome => ({ status: "cannot-run", lookedAt, detail, ...(fix ? { fix } : {}) });
export const skipped = (lookedAt: string, detail: string): CheckOutcome => ({ status: "skipped", lookedAt, detail });

/** The stack's container of one service, or undefined. */
export async function serviceContainer(ctx: VerifyContext, service: string): Promise<StackContainer | undefined> {
  return (await ctx.containers()).find((c) => c.service === service);
}

export interface ServiceAnswer {
  answer?: HttpAnswer;
  error?: string;
  /** How it was asked (URL and route, or the exec). */
  via: string;
}

/**
 * An HTTP request to a service: on its published port (reached as verify/reach.ts decides), else
 * busybox wget inside its container (a non-2xx answer is then an error: wget only says it failed).
 */
export async function askService(
  ctx: VerifyContext,
  service: string,
  containerPort: number,
  path: string,
  options: { method?: "GET" | "POST"; body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<ServiceAnswer> {
  const pending = ctx.reach.endpoint(service);
  if (pending) {
    let url = `http://${service}${path}`;
    try {
      const endpoint = await pending;
      url = `http://${endpoint.host}:${endpoint.port}${path}`;
      const answer = await request(url, {
        method: options.method,
        body: options.body,
        headers: options.contentType ? { "content-type": options.contentType } : {},
        timeoutMs: options.timeoutMs ?? 10_000,
      });
      return { answer, via: `${options.method ?? "GET"} ${path} on ${service}'s published port (${endpoint.via})` };
    } catch (error) {
      return { error: `${url}: ${(error as Error).message}`, via: `${service}'s published port` };
    }
  }
  const container = `${ctx.prefix}-${service}`;
  const cmd = ["wget", "-q", "-O", "-", ...(options.contentType ? ["--header", `Content-Type: ${options.contentType}`] : []), ...(options.body !== undefined ? ["--post-data", options.body] : []), `http://127.0.0.1:${containerPort}${path}`];
  const shown = options.body !== undefined ? [...cmd.slice(0, -2), "<body>", cmd[cmd.length - 1]!] : cmd;
  const via = `docker exec ${container} ${shown.join(" ")}`;
  const result = await exec(ctx.docker, container, cmd, { timeoutMs: options.timeoutMs ?? 15_000 });
  if (result.exitCode !== 0) return { error: describeExec(shown, result), via };
  return { answer: { status: 200, headers: {}, body: result.stdout }, via };
}

/** The first line of an error, for details. */
export const firstLine = (text: string) => text.trim().split("\n")[0] ?? "";
