// Alertmanager delivers a test alert to the local sink through its `*_file` secrets: the config
// in the container names the secret files and holds no secret value; a uniquely named alert
// posted to /api/v2/alerts arrives at the sink (whose URL only the Slack webhook secret file holds)
// within the route's group_wait plus a margin.
import type { E2ECheck, E2EContext } from "../context";
import type { AlertingSettings } from "../../../config/monitoring";
import { ALERTMANAGER_CONFIG_PATH } from "../../../planes/monitoring/monitoring";
import { ALERTMANAGER_SECRET_PATHS, requiredAlertmanagerSecrets } from "../../../planes/monitoring/alertmanager";
import { describeExec, exec, poll, readFileText, serviceContainer, guarded } from "./support/docker";
import { hostAddress, isLoopback, request } from "./support/http";
import { durationMs } from "./support/duration";

export interface TestAlertPlan {
  labels: Record<string, string>;
  /** The receiver (planes/monitoring/alertmanager.ts RECEIVERS) the labels route to. */
  receiver: string;
}

/**
 * The labels of a test alert that reaches the sink, or why none can: only the Slack webhook's
 * URL comes from a secret the stack sets (the sink's); PagerDuty and SMTP go to fixed hosts.
 * `warning` routes to the warning receiver, which posts to Slack only.
 */
export function testAlertPlan(alerting: AlertingSettings, runId: string): TestAlertPlan | { problem: string } {
  if (!alerting.slack.enabled) {
    return { problem: "monitoring.alerting.slack.enabled is false: no receiver posts to a URL the stack sets, so nothing can reach the sink; enable Slack in tests/e2e/Pulumi.e2e.yaml with slackWebhookUrl = the sink" };
  }
  return {
    labels: { alertname: `E2EAlertDelivery${runId}`, severity: "warning", service: "e2e-check", e2e_run: runId },
    receiver: "warning",
  };
}

/** Secret values that appear in a config file's text (by secret name; never the values). */
export function leakedSecrets(configText: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => value.length >= 8 && configText.includes(value))
    .map(([name]) => name);
}

/** Whether the sink's `/received` answer mentions the alert (any shape: the alert name is in the Slack title). */
export function sinkHasAlert(receivedBody: string, alertname: string): boolean {
  return receivedBody.includes(alertname);
}

/**
 * The request paths the alert arrived on, from the sink's `/received` (tests/e2e/standins
 * exporters.go: `[{time, path, header, body}]`); undefined when the answer is not that list.
 * Only the webhook secret holds its random path, so a match proves the secret file was used.
 */
export function arrivalPaths(receivedBody: string, alertname: string): string[] | undefined {
  let list: unknown;
  try {
    list = JSON.parse(receivedBody);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  return list
    .filter((entry): entry is { path: string; body: unknown } => typeof entry === "object" && entry !== null && typeof (entry as { path?: unknown }).path === "string")
    .filter((entry) => JSON.stringify(entry.body ?? null).includes(alertname))
    .map((entry) => entry.path);
}

async function postAlert(ctx: E2EContext, container: string, body: string): Promise<string | undefined> {
  const address = hostAddress(ctx, "alertmanager");
  if (address && isLoopback(address.split(":")[0]!)) {
    try {
      const answer = await request(`http://${address}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        timeoutMs: 10_000,
      });
      return answer.status === 200 ? undefined : `POST http://${address}/api/v2/alerts answered ${answer.status}: ${answer.body.slice(0, 200)}`;
    } catch (error) {
      return `POST http://${address}/api/v2/alerts: ${(error as Error).message}`;
    }
  }
  // Not published: post from inside the container (busybox wget in the Alertmanager image).
  const cmd = ["wget", "-q", "-O", "-", "--header", "Content-Type: application/json", "--post-data", body, "http://127.0.0.1:9093/api/v2/alerts"];
  const result = await exec(ctx.docker, container, cmd, { timeoutMs: 15_000 });
  return result.exitCode === 0 ? undefined : describeExec(cmd.slice(0, 6).concat("<alert>", cmd[cmd.length - 1]!), result);
}

export async function checkAlertDelivery(ctx: E2EContext) {
  const alerting = ctx.settings.monitoring.alerting;
  const runId = Date.now().toString(36);
  const plan = testAlertPlan(alerting, runId);
  if ("problem" in plan) return { ok: false, detail: plan.problem };

  const am = await serviceContainer(ctx, "alertmanager");
  if (!am) return { ok: false, detail: `no container with org.enrichment.service=alertmanager in stack ${ctx.stack}` };

  // The config names the secret files and holds none of the secrets.
  const problems: string[] = [];
  const config = await readFileText(ctx.docker, am.name, ALERTMANAGER_CONFIG_PATH);
  if (config === null) return { ok: false, detail: `${am.name} has no ${ALERTMANAGER_CONFIG_PATH}` };
  const leaked = leakedSecrets(config, ctx.secrets);
  if (leaked.length) problems.push(`${ALERTMANAGER_CONFIG_PATH} contains the value of ${leaked.join(", ")}; it must name *_file paths only`);
  for (const key of requiredAlertmanagerSecrets(alerting)) {
    const path = ALERTMANAGER_SECRET_PATHS[key];
    if (!config.includes(path)) problems.push(`${ALERTMANAGER_CONFIG_PATH} does not name ${path} (${key})`);
    const file = await readFileText(ctx.docker, am.name, path);
    if (file === null) problems.push(`${am.name} has no secret file ${path}`);
    else if (ctx.secrets[key] !== undefined && file.trim() !== ctx.secrets[key]!.trim()) problems.push(`${path} in ${am.name} does not hold the stack's ${key}`);
  }

  if (!isLoopback(new URL(ctx.alertSinkUrl).hostname)) problems.push(`the sink's URL ${ctx.alertSinkUrl} is not on loopback; the checks read it anyway`);

  // The sink must answer before an alert is worth posting.
  const received = `${ctx.alertSinkUrl.replace(/\/$/, "")}/received`;
  try {
    const answer = await request(received, { timeoutMs: 5_000 });
    if (answer.status !== 200) return { ok: false, detail: [...problems, `the sink answered ${answer.status} on ${received}; nothing can be verified`].join("; ") };
  } catch (error) {
    return { ok: false, detail: [...problems, `the sink does not answer on ${received} (${(error as Error).message}); nothing can be verified`].join("; ") };
  }

  const now = new Date();
  const alert = [
    {
      labels: plan.labels,
      annotations: { summary: "e2e: Alertmanager delivers to the sink", description: `run ${runId}`, runbook_url: "https://example.invalid/e2e" },
      startsAt: now.toISOString(),
      endsAt: new Date(now.getTime() + 10 * 60_000).toISOString(),
    },
  ];
  const postError = await postAlert(ctx, am.name, JSON.stringify(alert));
  if (postError) return { ok: false, detail: [...problems, `could not post the test alert: ${postError}`].join("; ") };

  const groupWait = durationMs(alerting.groupWait) ?? 30_000;
  const timeoutMs = Math.min(180_000, groupWait + 60_000);
  let lastSeen = "";
  let lastBody = "";
  const result = await poll(
    async () => {
      try {
        const answer = await request(received, { timeoutMs: 5_000 });
        lastSeen = `${answer.status} ${answer.body.slice(0, 300)}`;
        lastBody = answer.body;
        return answer.status === 200 && sinkHasAlert(answer.body, plan.labels.alertname!);
      } catch (error) {
        lastSeen = (error as Error).message;
        return false;
      }
    },
    (arrived) => arrived,
    { tries: 100, timeoutMs, intervalMs: 2_000 },
  );
  const waited = `${Math.round(result.elapsedMs / 1000)} s`;
  if (!result.accepted) {
    const logs = await alertmanagerLogTail(ctx, am.name);
    problems.unshift(
      `alert ${plan.labels.alertname} (receiver ${plan.receiver}) did not reach ${ctx.alertSinkUrl}/received within ${waited} (group_wait ${alerting.groupWait}); last answer: ${lastSeen}${logs ? `; Alertmanager log: ${logs}` : ""}`,
    );
    return { ok: false, detail: problems.join("; ") };
  }
  const paths = arrivalPaths(lastBody, plan.labels.alertname!);
  const webhook = ctx.secrets.slackWebhookUrl;
  const secretPath = webhook ? safePath(webhook) : undefined;
  const viaSecret = !!(paths && secretPath && paths.includes(secretPath));
  if (paths && secretPath && !viaSecret) {
    problems.push(`the alert arrived on ${paths.join(", ")}, not on the path of the slackWebhookUrl secret: it did not come through the secret file`);
  }
  if (problems.length) return { ok: false, detail: `the alert arrived after ${waited}, but: ${problems.join("; ")}` };
  return { ok: true, detail: `alert ${plan.labels.alertname} posted to Alertmanager reached the sink through receiver ${plan.receiver} (Slack, api_url_file${viaSecret ? ", on the secret webhook's path" : ""}) after ${waited}; the config names its secret files and holds no secret` };
}

function safePath(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

async function alertmanagerLogTail(ctx: E2EContext, container: string): Promise<string> {
  try {
    const raw = (await ctx.docker.getContainer(container).logs({ stdout: true, stderr: true, tail: 200 })) as unknown as Buffer;
    // Multiplexed frames: strip the 8-byte headers roughly by keeping printable lines.
    return raw
      .toString("utf8")
      .split("\n")
      .filter((line) => /notify|error|level=(warn|error)/i.test(line))
      .slice(-3)
      .map((line) => line.replace(/[\x00-\x08]/g, "").trim())
      .join(" | ");
  } catch {
    return "";
  }
}

export const check: E2ECheck = { name: "alert-delivery", check: guarded(checkAlertDelivery) };
