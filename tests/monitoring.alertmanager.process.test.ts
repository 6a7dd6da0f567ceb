// Alertmanager 0.27 (the pinned image's version) with the generated config: alerts posted to its API land at the right
// receivers (its /api/v2/alerts/groups) and reach a local Slack- and PagerDuty-compatible listener
// on the right channel; a critical alert inhibits the warning of the same alert and service only.
// Only endpoints are rewritten: the secret files hold the listener's URL and a test key.
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import * as YAML from "yaml";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AlertingSchema } from "../config/monitoring";
import { ALERTMANAGER_SECRET_PATHS } from "../facts/monitoringFiles";
import { renderAlertmanagerConfig } from "../planes/monitoring/alertmanager";
import { describeWithTools } from "./tools";
import { ALERTMANAGER_MISSING, freePort, getJson, Process, removeTempDirs, tempDir, TOOLS, waitFor } from "./fixtures/monitoring/tools";

interface Received {
  path: string;
  body: any;
}

const received: Received[] = [];
let listener: http.Server;
let alertmanager: Process | undefined;
let base: string;

const ALERTS = [
  { alertname: "MongoDBDown", severity: "critical", service: "mongodb", area: "database" },
  { alertname: "QueueBacklogHigh", severity: "warning", service: "nsqd", area: "queue" },
  { alertname: "RestoreTestTooOld", severity: "info", service: "mongodb-backup", area: "backups" },
  { alertname: "Watchdog", severity: "info", area: "meta" },
  { alertname: "ApiLatencyHigh", severity: "critical", service: "review-api", area: "performance" },
  { alertname: "ApiLatencyHigh", severity: "warning", service: "review-api", area: "performance" },
  { alertname: "ApiLatencyHigh", severity: "warning", service: "cost-api", area: "performance" },
];

beforeAll(async () => {
  if (ALERTMANAGER_MISSING) return;
  const dir = tempDir("alertmanager-process");
  const [listenerPort, webPort] = await Promise.all([freePort(), freePort()]);
  listener = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", body: JSON.parse(body || "{}") });
      response.writeHead(request.url?.startsWith("/pagerduty") ? 202 : 200, { "content-type": "application/json" });
      response.end(request.url?.startsWith("/pagerduty") ? '{"status":"success"}' : "ok");
    });
  });
  await new Promise<void>((resolve) => listener.listen(listenerPort, "127.0.0.1", resolve));

  const alerting = AlertingSchema.parse({
    pagerduty: { enabled: true },
    email: { enabled: true, to: "oncall@example.org", from: "am@example.org", smarthost: "127.0.0.1:9", authUsername: "am@example.org", requireTls: false },
    groupWait: "1s",
    deadMansSwitch: { enabled: true },
  });
  // The generated config, with its secret files mapped into the temp folder and PagerDuty's
  // endpoint pointed at the listener (the generated config uses PagerDuty's default URL).
  const secrets: Record<string, string> = {
    [ALERTMANAGER_SECRET_PATHS.slackWebhookUrl]: `http://127.0.0.1:${listenerPort}/slack`,
    [ALERTMANAGER_SECRET_PATHS.pagerdutyRoutingKey]: "test-routing-key",
    [ALERTMANAGER_SECRET_PATHS.smtpPassword]: "test-smtp-password",
    [ALERTMANAGER_SECRET_PATHS.deadMansSwitchUrl]: `http://127.0.0.1:${listenerPort}/deadmans`,
  };
  let text = renderAlertmanagerConfig({ alerting });
  for (const [inContainer, content] of Object.entries(secrets)) {
    const local = path.join(dir, path.basename(inContainer));
    fs.writeFileSync(local, content);
    expect(text).toContain(inContainer);
    text = text.split(inContainer).join(local);
  }
  const config = YAML.parse(text);
  for (const receiver of config.receivers) for (const pd of receiver.pagerduty_configs ?? []) pd.url = `http://127.0.0.1:${listenerPort}/pagerduty`;
  fs.writeFileSync(path.join(dir, "alertmanager.yml"), YAML.stringify(config));

  alertmanager = new Process(TOOLS.alertmanager, [
    `--config.file=${path.join(dir, "alertmanager.yml")}`,
    `--storage.path=${path.join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${webPort}`,
    "--cluster.listen-address=",
    "--log.level=warn",
  ]);
  base = `http://127.0.0.1:${webPort}`;
  await waitFor("Alertmanager ready", async () => {
    if (alertmanager!.exited) throw new Error(`alertmanager exited:\n${alertmanager!.output}`);
    const response = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? true : undefined;
  }, 20_000);

  const startsAt = new Date().toISOString();
  const response = await fetch(`${base}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(
      ALERTS.map((labels) => ({
        labels: { ...labels, environment: "test" },
        annotations: { summary: `${labels.alertname} summary`, description: "d", runbook_url: "https://example.org/runbook.md" },
        startsAt,
      })),
    ),
  });
  expect(response.status).toBe(200);
}, 40_000);

afterAll(async () => {
  await alertmanager?.stop();
  await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
  removeTempDirs();
});

interface Group {
  receiver: { name: string };
  alerts: { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
}

const key = (labels: Record<string, string>) => `${labels.alertname}/${labels.severity}/${labels.service ?? "-"}`;

describeWithTools(["alertmanager"], "Alertmanager 0.27 with the generated config", () => {
  it("sends the Watchdog, and only the Watchdog, to the dead-man's switch URL read from its file", async () => {
    const calls = await waitFor("dead-man's switch called", async () => {
      const list = received.filter((r) => r.path === "/deadmans");
      return list.length ? list : undefined;
    });
    const names = calls.flatMap((call) => call.body.alerts.map((alert: { labels: Record<string, string> }) => alert.labels.alertname));
    expect(new Set(names)).toEqual(new Set(["Watchdog"]));
    expect(calls[0].body.receiver).toBe("watchdog");
  });

  it("routes each alert to its receiver", async () => {
    const routed = await waitFor("all alerts grouped", async () => {
      const groups = await getJson<Group[]>(`${base}/api/v2/alerts/groups`);
      const map = new Map<string, string>();
      for (const group of groups) for (const alert of group.alerts) map.set(key(alert.labels), group.receiver.name);
      return map.size === ALERTS.length ? map : undefined;
    });
    expect(Object.fromEntries(routed)).toEqual({
      "MongoDBDown/critical/mongodb": "critical",
      "QueueBacklogHigh/warning/nsqd": "warning",
      "RestoreTestTooOld/info/mongodb-backup": "info",
      "Watchdog/info/-": "watchdog",
      "ApiLatencyHigh/critical/review-api": "critical",
      "ApiLatencyHigh/warning/review-api": "warning",
      "ApiLatencyHigh/warning/cost-api": "warning",
    });
  });

  it("inhibits the warning of the same alert and service, not of another service", async () => {
    const states = await waitFor("inhibition applied", async () => {
      const alerts = await getJson<{ labels: Record<string, string>; status: { state: string } }[]>(`${base}/api/v2/alerts`);
      const map = Object.fromEntries(alerts.map((a) => [key(a.labels), a.status.state]));
      return map["ApiLatencyHigh/warning/review-api"] === "suppressed" ? map : undefined;
    });
    expect(states["ApiLatencyHigh/warning/cost-api"]).toBe("active");
    expect(states["ApiLatencyHigh/critical/review-api"]).toBe("active");
    expect(states["QueueBacklogHigh/warning/nsqd"]).toBe("active");
  });

  it("delivers to Slack channels by severity and to PagerDuty for critical only", async () => {
    const slackTitles = () =>
      received
        .filter((r) => r.path === "/slack")
        .flatMap((r) => (r.body.attachments ?? []).map((a: { title: string }) => `${r.body.channel} ${a.title}`));
    const titles = await waitFor("Slack notifications", async () => {
      const list = slackTitles();
      const expected = ["#critical-alerts", "#warnings", "#alerts"].every((channel) => list.some((t) => t.startsWith(channel)));
      const pagerduty = received.filter((r) => r.path === "/pagerduty").length >= 2;
      return expected && pagerduty && list.length >= 5 ? list : undefined;
    });
    const on = (channel: string) => titles.filter((t) => t.startsWith(`${channel} `));
    expect(on("#critical-alerts").some((t) => t.includes("MongoDBDown (mongodb)"))).toBe(true);
    expect(on("#critical-alerts").some((t) => t.includes("ApiLatencyHigh (review-api)"))).toBe(true);
    expect(on("#warnings").some((t) => t.includes("QueueBacklogHigh (nsqd)"))).toBe(true);
    expect(on("#warnings").some((t) => t.includes("ApiLatencyHigh (cost-api)"))).toBe(true);
    expect(on("#alerts").some((t) => t.includes("RestoreTestTooOld"))).toBe(true);
    expect(titles.every((t) => t.includes("[test]"))).toBe(true);
    // The inhibited warning and the Watchdog are not sent to Slack.
    expect(on("#warnings").some((t) => t.includes("ApiLatencyHigh (review-api)"))).toBe(false);
    expect(titles.some((t) => t.includes("Watchdog"))).toBe(false);

    const pagerduty = received.filter((r) => r.path === "/pagerduty").map((r) => r.body);
    expect(pagerduty.every((event) => event.routing_key === "test-routing-key")).toBe(true);
    expect(pagerduty.map((event) => event.payload.summary).sort()).toEqual(
      ["ApiLatencyHigh: ApiLatencyHigh summary", "MongoDBDown: MongoDBDown summary"],
    );
  });
});
