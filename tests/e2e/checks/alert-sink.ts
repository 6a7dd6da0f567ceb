// After `verify --send-test-alert`: its test alert reached the e2e's sink (the Slack webhook the
// stack's slackWebhookUrl secret points at), on the secret URL's random path, so the delivery
// went through the secret file. verify itself saw the delivery in Alertmanager's counters; this
// step sees it arrive.
import type { E2ECheck } from "../context";
import { poll } from "../../../verify/docker";
import { request } from "../../../verify/http";
import { lastVerify } from "./verify";

/** The request paths an alert arrived on, from the sink's `/received` (`[{time, path, header, body}]`); undefined when not that list. */
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

export const check: E2ECheck = {
  name: "alert-sink",
  async check(ctx) {
    const delivery = lastVerify.report?.checks.find((c) => c.name === "alert-delivery");
    const alertname = delivery?.data?.alertname;
    if (typeof alertname !== "string") return { ok: false, detail: `verify reported no test alert (alert-delivery: ${delivery ? `${delivery.status}: ${delivery.detail}` : "not run"})` };
    const received = `${ctx.alertSinkUrl.replace(/\/$/, "")}/received`;
    const webhookPath = new URL(ctx.secrets.slackWebhookUrl ?? "http://invalid/").pathname;
    const result = await poll(
      async () => {
        try {
          return arrivalPaths((await request(received, { timeoutMs: 5_000 })).body, alertname) ?? [];
        } catch {
          return [];
        }
      },
      (paths) => paths.length > 0,
      { tries: 15, timeoutMs: 30_000, intervalMs: 2_000 },
    );
    if (!result.accepted) return { ok: false, detail: `${alertname} never reached ${received} (verify said: ${delivery?.detail})` };
    const viaSecret = result.value.includes(webhookPath);
    return { ok: viaSecret, detail: `${alertname} arrived at the sink on ${result.value.join(", ")}${viaSecret ? ", the slackWebhookUrl secret's path: it went through the secret file" : `, not on the secret's path ${webhookPath}`}` };
  },
};
