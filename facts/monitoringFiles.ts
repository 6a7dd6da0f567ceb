// Where the monitoring services find their files and secrets, and the receivers their config
// names: the monitoring plane writes there, `npm run verify` reads there. Plain data, so verify
// reads the paths without loading the plane (and with it the Docker provider and Grafana's SDK).
import { IMAGES } from "./images";

export const PROMETHEUS_PATHS = {
  config: IMAGES.prometheus.paths.config.value,
  rules: "/etc/prometheus/rules",
  data: IMAGES.prometheus.paths.data.value,
} as const;

export const ALERTMANAGER_CONFIG_PATH = IMAGES.alertmanager.paths.config.value;
/** Silences and the notification log: a named volume, or each replacement forgets them. */
export const ALERTMANAGER_DATA_PATH = IMAGES.alertmanager.paths.data.value;

/** Alertmanager's receivers by the severity they take. */
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

/** Where the Alertmanager container finds each secret (only the ones the stack enables are uploaded). */
export const ALERTMANAGER_SECRET_PATHS = {
  slackWebhookUrl: "/run/secrets/slack-webhook-url",
  pagerdutyRoutingKey: "/run/secrets/pagerduty-routing-key",
  smtpPassword: "/run/secrets/smtp-password",
  deadMansSwitchUrl: "/run/secrets/dead-mans-switch-url",
} as const;

export type AlertmanagerSecret = keyof typeof ALERTMANAGER_SECRET_PATHS;

/** Grafana's provisioning files, its dashboards and its admin password file. */
export const GRAFANA_PATHS = {
  datasources: "/etc/grafana/provisioning/datasources/prometheus.yaml",
  providers: "/etc/grafana/provisioning/dashboards/enrichment.yaml",
  dashboards: "/etc/grafana/dashboards/enrichment",
  adminPassword: "/run/secrets/grafana-admin-password",
} as const;
