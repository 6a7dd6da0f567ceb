// alertmanager.yml: valid for amtool, routes (labels in, receivers out), inhibition, no secret in
// the file, integrations only where the stack enables them.
import * as path from "node:path";
import * as YAML from "yaml";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AlertingSchema } from "../config/monitoring";
import { requiredAlertmanagerSecrets } from "../config/monitoring";
import { ALERTMANAGER_SECRET_PATHS } from "../facts/monitoringFiles";
import { alertmanagerConfig, renderAlertmanagerConfig } from "../planes/monitoring/alertmanager";
import { describeWithTools } from "./tools";
import { removeTempDirs, run, tempDir, TOOLS, writeTree } from "./fixtures/monitoring/tools";

afterAll(removeTempDirs);

const everything = AlertingSchema.parse({
  pagerduty: { enabled: true },
  email: { enabled: true, to: "oncall@example.org", from: "alertmanager@example.org", smarthost: "smtp.example.org:587", authUsername: "alertmanager@example.org" },
  deadMansSwitch: { enabled: true },
});
const slackOnly = AlertingSchema.parse(undefined);
const nothing = AlertingSchema.parse({ slack: { enabled: false } });

/** Labels in, receivers out (amtool config routes test). */
const ROUTES: [string, string[], string][] = [
  ["the Watchdog goes to its own receiver", ["alertname=Watchdog", "severity=info"], "watchdog"],
  ["the Watchdog, whatever its severity", ["alertname=Watchdog", "severity=critical"], "watchdog"],
  ["critical: PagerDuty and #critical-alerts", ["alertname=MongoDBDown", "severity=critical", "service=mongodb"], "critical"],
  ["warning: #warnings", ["alertname=QueueBacklogHigh", "severity=warning", "service=nsqd"], "warning"],
  ["info: #alerts and e-mail", ["alertname=RestoreTestTooOld", "severity=info"], "info"],
  ["no severity: the default receiver", ["alertname=SomethingNew"], "default"],
  ["an unknown severity: the default receiver", ["alertname=SomethingNew", "severity=page"], "default"],
];

describeWithTools(["amtool"], "alertmanager.yml (amtool 0.27)", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("alertmanager");
    writeTree(dir, {
      "everything.yml": renderAlertmanagerConfig({ alerting: everything }),
      "slack-only.yml": renderAlertmanagerConfig({ alerting: slackOnly }),
      "nothing.yml": renderAlertmanagerConfig({ alerting: nothing }),
    });
  });

  it.each(["everything.yml", "slack-only.yml", "nothing.yml"])("%s passes amtool check-config", async (file) => {
    const result = await run(TOOLS.amtool, ["check-config", path.join(dir, file)]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("SUCCESS");
    expect(result.stdout).toMatch(/5 receivers/);
  });

  it("amtool rejects a broken config (the check can fail)", async () => {
    writeTree(dir, { "broken.yml": renderAlertmanagerConfig({ alerting: everything }).replace("receiver: warning", "receiver: nobody") });
    const result = await run(TOOLS.amtool, ["check-config", path.join(dir, "broken.yml")]);
    expect(result.code).not.toBe(0);
  });

  it.each(ROUTES)("route: %s", async (_what, labels, receiver) => {
    const file = path.join(dir, "everything.yml");
    const ok = await run(TOOLS.amtool, ["config", "routes", "test", `--config.file=${file}`, `--verify.receivers=${receiver}`, ...labels]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(receiver);
    // And not to any other receiver.
    const other = receiver === "default" ? "info" : "default";
    const wrong = await run(TOOLS.amtool, ["config", "routes", "test", `--config.file=${file}`, `--verify.receivers=${other}`, ...labels]);
    expect(wrong.code).not.toBe(0);
  });

  it("critical inhibits warning (and info) of the same alert and service; grouping and repeats are set", () => {
    const config = alertmanagerConfig({ alerting: everything });
    expect(config.inhibit_rules[0]).toEqual({
      source_matchers: ['severity="critical"'],
      target_matchers: ['severity=~"warning|info"'],
      equal: ["alertname", "service"],
    });
    expect(config.route.group_by).toEqual(["alertname", "service"]);
    expect(config.route).toMatchObject({ group_wait: "30s", group_interval: "5m", repeat_interval: "4h" });
    expect(config.route.routes.find((r) => r.receiver === "critical")?.repeat_interval).toBe("1h");
    expect(config.route.routes.find((r) => r.receiver === "watchdog")).toMatchObject({ repeat_interval: "1m", group_wait: "0s" });
    const custom = alertmanagerConfig({ alerting: AlertingSchema.parse({ groupWait: "10s", repeatInterval: "12h", criticalRepeatInterval: "30m" }) });
    expect(custom.route).toMatchObject({ group_wait: "10s", repeat_interval: "12h" });
    expect(custom.route.routes.find((r) => r.receiver === "critical")?.repeat_interval).toBe("30m");
  });

  it("receivers: PagerDuty and #critical-alerts for critical, #warnings, #alerts + e-mail for info", () => {
    const receivers = Object.fromEntries(alertmanagerConfig({ alerting: everything }).receivers.map((r) => [r.name, r as Record<string, any>]));
    expect(receivers.critical.pagerduty_configs).toHaveLength(1);
    expect(receivers.critical.slack_configs[0].channel).toBe("#critical-alerts");
    expect(receivers.warning.slack_configs[0].channel).toBe("#warnings");
    expect(receivers.info.slack_configs[0].channel).toBe("#alerts");
    expect(receivers.info.email_configs[0]).toMatchObject({ to: "oncall@example.org", smarthost: "smtp.example.org:587" });
    expect(receivers.warning.pagerduty_configs).toBeUndefined();
    // The heartbeat's webhook reads its URL from the secret file (Alertmanager 0.27's url_file).
    expect(receivers.watchdog.webhook_configs).toEqual([{ url_file: ALERTMANAGER_SECRET_PATHS.deadMansSwitchUrl, send_resolved: false }]);
    expect(Object.keys(alertmanagerConfig({ alerting: slackOnly }).receivers.find((r) => r.name === "watchdog")!)).toEqual(["name"]);

    const none = Object.fromEntries(alertmanagerConfig({ alerting: nothing }).receivers.map((r) => [r.name, r as Record<string, any>]));
    for (const receiver of Object.values(none)) expect(Object.keys(receiver)).toEqual(["name"]);
  });

  it("holds no secret: credentials are *_file paths, and exactly those files are required", () => {
    const secretKeys = new Set(["api_url", "url", "routing_key", "service_key", "auth_password", "auth_secret", "smtp_auth_password"]);
    const found: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${at}[${i}]`));
      else if (node && typeof node === "object") {
        for (const [key, value] of Object.entries(node)) {
          if (secretKeys.has(key)) found.push(`${at}.${key}`);
          walk(value, `${at}.${key}`);
        }
      }
    };
    const text = renderAlertmanagerConfig({ alerting: everything });
    walk(YAML.parse(text), "");
    expect(found).toEqual([]);
    const files = [...text.matchAll(/_file: (\S+)/g)].map((m) => m[1]);
    expect(new Set(files)).toEqual(new Set(Object.values(ALERTMANAGER_SECRET_PATHS)));
    expect(requiredAlertmanagerSecrets(everything)).toEqual(["slackWebhookUrl", "pagerdutyRoutingKey", "smtpPassword", "deadMansSwitchUrl"]);
    expect(requiredAlertmanagerSecrets(slackOnly)).toEqual(["slackWebhookUrl"]);
    expect(requiredAlertmanagerSecrets(nothing)).toEqual([]);
  });
});
