// alertmanager.yml as a pure function: routes by severity, the Watchdog to its own receiver,
// critical inhibits warning for the same alert and service. The file holds no secret: the Slack
// webhook, the PagerDuty routing key and the SMTP password are files (`*_file` fields) that the
// Monitoring component uploads as secrets. Alertmanager 0.27+ (webhook url_file).
import * as YAML from "yaml";
import type { AlertingSettings } from "../../config/monitoring";

export const RECEIVERS = {
  /** Anything without a known severity: Slack #alerts. */
  default: "default",
  /** PagerDuty and Slack #critical-alerts. */
  critical: "critical",
  /** Slack #warnings. */
  warning: "warning",
  /** Slack #alerts and e-mail. */
  info: "info",
  /** The Watchdog heartbeat. */
  watchdog: "watchdog",
} as const;

export type ReceiverName = (typeof RECEIVERS)[keyof typeof RECEIVERS];

/** Where the container finds each secret (only the ones the stack enables are uploaded). */
export const ALERTMANAGER_SECRET_PATHS = {
  slackWebhookUrl: "/run/secrets/slack-webhook-url",
  pagerdutyRoutingKey: "/run/secrets/pagerduty-routing-key",
  smtpPassword: "/run/secrets/smtp-password",
  deadMansSwitchUrl: "/run/secrets/dead-mans-switch-url",
} as const;

export type AlertmanagerSecret = keyof typeof ALERTMANAGER_SECRET_PATHS;

export interface AlertmanagerConfigInput {
  alerting: AlertingSettings;
}

/** Which secret files the config refers to: the component must upload exactly these. */
export function requiredAlertmanagerSecrets(alerting: AlertingSettings): AlertmanagerSecret[] {
  const needed: AlertmanagerSecret[] = [];
  if (alerting.slack.enabled) needed.push("slackWebhookUrl");
  if (alerting.pagerduty.enabled) needed.push("pagerdutyRoutingKey");
  if (alerting.email.enabled && alerting.email.authUsername) needed.push("smtpPassword");
  if (alerting.deadMansSwitch.enabled) needed.push("deadMansSwitchUrl");
  return needed;
}

const SLACK_TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}]' +
  "{{ with .CommonLabels.environment }} [{{ . }}]{{ end }} {{ .CommonLabels.alertname }}{{ with .CommonLabels.service }} ({{ . }}){{ end }}";
const SLACK_TEXT =
  "{{ range .Alerts }}*{{ .Labels.severity }}*: {{ .Annotations.summary }}\n{{ .Annotations.description }}\n" +
  "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}";

function slack(channel: string) {
  return {
    api_url_file: ALERTMANAGER_SECRET_PATHS.slackWebhookUrl,
    channel,
    send_resolved: true,
    title: SLACK_TITLE,
    text: SLACK_TEXT,
  };
}

export function alertmanagerConfig(input: AlertmanagerConfigInput) {
  const { alerting } = input;
  const { slack: slackSettings, pagerduty, email } = alerting;
  const slackTo = (channel: string) => (slackSettings.enabled ? { slack_configs: [slack(channel)] } : {});

  const receivers = [
    { name: RECEIVERS.default, ...slackTo(slackSettings.channels.alerts) },
    {
      name: RECEIVERS.critical,
      ...(pagerduty.enabled
        ? {
            pagerduty_configs: [
              {
                routing_key_file: ALERTMANAGER_SECRET_PATHS.pagerdutyRoutingKey,
                severity: "critical",
                description: "{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}",
                links: [{ href: "{{ .CommonAnnotations.runbook_url }}", text: "Runbook" }],
                send_resolved: true,
              },
            ],
          }
        : {}),
      ...slackTo(slackSettings.channels.critical),
    },
    { name: RECEIVERS.warning, ...slackTo(slackSettings.channels.warnings) },
    {
      name: RECEIVERS.info,
      ...slackTo(slackSettings.channels.alerts),
      ...(email.enabled
        ? {
            email_configs: [
              {
                to: email.to,
                from: email.from,
                smarthost: email.smarthost,
                ...(email.authUsername ? { auth_username: email.authUsername, auth_password_file: ALERTMANAGER_SECRET_PATHS.smtpPassword } : {}),
                require_tls: email.requireTls,
                send_resolved: true,
              },
            ],
          }
        : {}),
    },
    // The heartbeat: a webhook to an external dead-man's switch, which alerts when the calls stop
    // (Prometheus, Alertmanager or the host is down). url_file (Alertmanager 0.27+) keeps the
    // URL, a credential, in a secret file. Without one the receiver is empty (docs/runbooks/watchdog.md).
    {
      name: RECEIVERS.watchdog,
      ...(alerting.deadMansSwitch.enabled
        ? { webhook_configs: [{ url_file: ALERTMANAGER_SECRET_PATHS.deadMansSwitchUrl, send_resolved: false }] }
        : {}),
    },
  ];

  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: RECEIVERS.default,
      group_by: ["alertname", "service"],
      group_wait: alerting.groupWait,
      group_interval: alerting.groupInterval,
      repeat_interval: alerting.repeatInterval,
      routes: [
        {
          receiver: RECEIVERS.watchdog,
          matchers: ['alertname="Watchdog"'],
          group_wait: "0s",
          group_interval: alerting.watchdogRepeatInterval,
          repeat_interval: alerting.watchdogRepeatInterval,
        },
        { receiver: RECEIVERS.critical, matchers: ['severity="critical"'], repeat_interval: alerting.criticalRepeatInterval },
        { receiver: RECEIVERS.warning, matchers: ['severity="warning"'] },
        { receiver: RECEIVERS.info, matchers: ['severity="info"'] },
      ],
    },
    inhibit_rules: [
      // A critical alert silences the warning (and info) of the same alert and service.
      { source_matchers: ['severity="critical"'], target_matchers: ['severity=~"warning|info"'], equal: ["alertname", "service"] },
      { source_matchers: ['severity="warning"'], target_matchers: ['severity="info"'], equal: ["alertname", "service"] },
    ],
    receivers,
  };
}

export function renderAlertmanagerConfig(input: AlertmanagerConfigInput): string {
  return `# Generated by planes/monitoring/alertmanager.ts; secrets are files under /run/secrets.\n${YAML.stringify(alertmanagerConfig(input), { lineWidth: 0 })}`;
}
