// Stack settings of the monitoring plane (Prometheus, Alertmanager, Grafana, exporters). Alert
// thresholds live here and in `targets` (config/targets.ts); planes/monitoring/alerts reads both.
import { z } from "zod";
import { bool, int, num, text } from "./fields";
import type { ConfigProblem } from "./problems";
import type { Targets } from "./targets";
import type { AlertmanagerSecret } from "../facts/monitoringFiles";

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 } as const;
const DURATION = /^(\d{1,6})(ms|s|m|h|d|w|y)$/;

/** Milliseconds of a Prometheus duration in the one-unit form the schema accepts, or undefined. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  return match ? Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS] : undefined;
}

/** The scrape timeout prometheus.yml sets (planes/monitoring/prometheus.ts); Prometheus refuses a scrape interval shorter than it. */
export const PROMETHEUS_SCRAPE_TIMEOUT = "10s";

const MAX_DURATION_MS = 10 * DURATION_UNITS_MS.y;
const durationMessage = "expected a Prometheus duration such as 15s, 5m or 4h, above zero and at most 10y";
/**
 * A duration Prometheus, Alertmanager and Grafana all read: one unit, above zero (Alertmanager
 * refuses a zero group or repeat interval; Prometheus reads a zero interval as its default), at
 * most ten years (Go's durations end at 292 years; a longer one does not parse).
 */
const duration = (fallback: string, units = "ms|s|m|h|d|w|y") =>
  z
    .string({ error: durationMessage })
    .regex(new RegExp(`^\\d{1,6}(${units})$`), { error: durationMessage })
    // Only a duration of the right form is checked for its length: one message per value.
    .refine((text) => {
      const ms = durationMs(text);
      return ms === undefined || (ms > 0 && ms <= MAX_DURATION_MS);
    }, { error: durationMessage })
    .default(fallback);

export const AlertingSchema = z
  .object({
    slack: z
      .object({
        enabled: bool().default(true),
        channels: z
          .object({
            alerts: text().default("#alerts"),
            critical: text().default("#critical-alerts"),
            warnings: text().default("#warnings"),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    pagerduty: z.object({ enabled: bool().default(false) }).strict().prefault({}),
    email: z
      .object({
        enabled: bool().default(false),
        to: z.string().email({ error: "expected an e-mail address" }).optional(),
        from: z.string().email({ error: "expected an e-mail address" }).optional(),
        smarthost: z.string().regex(/^[^:\s]+:\d+$/, { error: "expected host:port" }).optional(),
        authUsername: text().optional(),
        requireTls: bool().default(true),
      })
      .strict()
      .prefault({})
      .refine((email) => !email.enabled || (email.to && email.from && email.smarthost), {
        error: "expected to, from and smarthost when e-mail is enabled",
      }),
    groupWait: duration("30s"),
    groupInterval: duration("5m"),
    repeatInterval: duration("4h"),
    criticalRepeatInterval: duration("1h"),
    watchdogRepeatInterval: duration("1m").describe("how often the Watchdog heartbeat is re-sent to its receiver"),
    deadMansSwitch: z
      .object({
        enabled: bool()
          .default(false)
          .describe("send the Watchdog heartbeat to an external dead-man's switch (webhook URL in the secret enrichment:deadMansSwitchUrl, read from a file by Alertmanager 0.27's url_file); it alerts when the heartbeats stop"),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/**
 * Alert thresholds beyond the stack's `targets` (which hold the spec's figures). Ratios are 0..1,
 * durations are named in their unit. The defaults are the values the rule tests
 * (planes/monitoring/alerts/tests) are written against.
 */
export const ThresholdsSchema = z
  .object({
    completenessCriticalMin: num(0, 1).default(0.85).describe("average completeness below which EnrichmentCompletenessLow turns critical"),
    lowCompletenessShareMax: num(0, 1).default(0.1).describe("share of documents scoring below 0.5 completeness"),
    reviewQueueMax: int(1).default(500).describe("documents waiting for review (warning)"),
    reviewQueueCritical: int(1).default(2000).describe("documents waiting for review (critical)"),
    reviewOldestItemMaxHours: num(0).default(24).describe("age of the oldest document waiting for review"),
    queueBacklogMax: int(1).default(1000).describe("messages waiting on an NSQ channel (warning)"),
    queueBacklogCritical: int(1).default(5000).describe("messages waiting on an NSQ channel (critical)"),
    queueTimeoutsMax: int(0).default(10).describe("NSQ message timeouts per channel in 15 minutes"),
    certificateExpiryDays: int(1).default(21).describe("days before expiry a certificate warns"),
    certificateExpiryCriticalDays: int(1).default(7).describe("days before expiry a certificate is critical"),
    backupMaxAgeHours: int(1).default(26).describe("hours since the last successful MongoDB backup"),
    restoreTestMaxAgeDays: int(1).default(35).describe("days since a backup was last restored as a test"),
    diskFreeMin: num(0, 1).default(0.15).describe("free share of a host filesystem (warning)"),
    diskFreeCritical: num(0, 1).default(0.05).describe("free share of a host filesystem (critical)"),
    memoryUsageMax: num(0, 1).default(0.9).describe("used share of host memory"),
    cpuUsageMax: num(0, 1).default(0.9).describe("busy share of host CPU over 5 minutes"),
    containerMemoryUsageMax: num(0, 1).default(0.9).describe("used share of a container's memory limit"),
    containerRestartsMax: int(0).default(2).describe("container restarts in 30 minutes"),
    agentErrorRateMax: num(0, 1).default(0.05).describe("failed share of agent requests (warning)"),
    agentErrorRateCritical: num(0, 1).default(0.25).describe("failed share of agent requests (critical)"),
    agentP95MaxSeconds: num(0).default(30).describe("agent request latency, 95th percentile"),
    apiP95CriticalSeconds: num(0).default(1).describe("API latency p95 at which ApiLatencyHigh turns critical (warning: targets.apiP95MaxSeconds)"),
    errorRateCritical: num(0, 1).default(0.05).describe("API error share at which ApiErrorRateHigh turns critical (warning: targets.errorRateMax)"),
    databaseP95MaxSeconds: num(0).default(0.5).describe("MongoDB operation latency seen by the services, 95th percentile"),
    mongodbConnectionsUsageMax: num(0, 1).default(0.8).describe("used share of MongoDB's available connections"),
    ollamaProbeMaxSeconds: num(0).default(2).describe("duration of the Ollama /api/version probe"),
    gpuMemoryUsageMax: num(0, 1).default(0.95).describe("used share of GPU frame-buffer memory"),
    gpuTemperatureMaxCelsius: num(0).default(85).describe("GPU temperature"),
    // A Prometheus `for:` duration: at most a year, far inside Go's 292-year range (promtool refuses more).
    mixedReleaseMaxHours: int(1, 8760).default(6).describe("hours two releases may run side by side (a canary) before it is reported"),
  })
  .strict()
  .prefault({});

export const MonitoringSchema = z
  .object({
    scrapeInterval: duration("15s"),
    evaluationInterval: duration("15s"),
    retentionDays: int(1, 3650).default(15).describe("Prometheus TSDB retention"),
    gpuMetrics: bool()
      .optional()
      .describe("run NVIDIA's DCGM exporter (needs a GPU and the NVIDIA runtime); unset: on when ollama.gpus is not none. true with ollama.gpus none is refused"),
    runbookBaseUrl: z
      .string({ error: "expected the URL of the runbook folder" })
      .url({ error: "expected the URL of the runbook folder, such as https://github.com/org/repo/blob/main/docs/runbooks" })
      .default("https://github.com/example/enrichment-platform/blob/main/docs/runbooks")
      .describe("alerts link to <runbookBaseUrl>/<slug>.md"),
    thresholds: ThresholdsSchema,
    alerting: AlertingSchema,
    grafana: z
      .object({
        // Grafana's relative time ranges (now-24h) know s, m, h, d, w, M, y: no milliseconds.
        defaultRange: duration("24h", "s|m|h|d|w|y"),
        rootUrl: z.string().url({ error: "expected the URL operators open Grafana at, such as https://grafana.example.org/" }).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type MonitoringSettings = z.output<typeof MonitoringSchema>;
export type Thresholds = z.output<typeof ThresholdsSchema>;
export type AlertingSettings = z.output<typeof AlertingSchema>;

/** Which secret files alertmanager.yml refers to under these settings: the monitoring plane uploads exactly these, verify checks them. */
export function requiredAlertmanagerSecrets(alerting: AlertingSettings): AlertmanagerSecret[] {
  const needed: AlertmanagerSecret[] = [];
  if (alerting.slack.enabled) needed.push("slackWebhookUrl");
  if (alerting.pagerduty.enabled) needed.push("pagerdutyRoutingKey");
  if (alerting.email.enabled && alerting.email.authUsername) needed.push("smtpPassword");
  if (alerting.deadMansSwitch.enabled) needed.push("deadMansSwitchUrl");
  return needed;
}

/**
 * Warning and critical thresholds of one alert pair: the warning must fire first. `higherIsWorse`
 * pairs (a queue's depth) need warning < critical; the others (days left, free share) need warning > critical.
 */
const SEVERITY_PAIRS: { warning: string[]; critical: string[]; higherIsWorse: boolean }[] = [
  { warning: ["targets", "completenessMin"], critical: ["monitoring", "thresholds", "completenessCriticalMin"], higherIsWorse: false },
  { warning: ["monitoring", "thresholds", "reviewQueueMax"], critical: ["monitoring", "thresholds", "reviewQueueCritical"], higherIsWorse: true },
  { warning: ["monitoring", "thresholds", "queueBacklogMax"], critical: ["monitoring", "thresholds", "queueBacklogCritical"], higherIsWorse: true },
  { warning: ["monitoring", "thresholds", "certificateExpiryDays"], critical: ["monitoring", "thresholds", "certificateExpiryCriticalDays"], higherIsWorse: false },
  { warning: ["monitoring", "thresholds", "diskFreeMin"], critical: ["monitoring", "thresholds", "diskFreeCritical"], higherIsWorse: false },
  { warning: ["monitoring", "thresholds", "agentErrorRateMax"], critical: ["monitoring", "thresholds", "agentErrorRateCritical"], higherIsWorse: true },
  { warning: ["targets", "apiP95MaxSeconds"], critical: ["monitoring", "thresholds", "apiP95CriticalSeconds"], higherIsWorse: true },
  { warning: ["targets", "errorRateMax"], critical: ["monitoring", "thresholds", "errorRateCritical"], higherIsWorse: true },
];

function at(root: unknown, path: string[]): number {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root) as number;
}

/** Cross-field rules of monitoring: alert pairs whose critical would fire before (or with) their warning. */
export function monitoringConfigProblems(cfg: { monitoring: MonitoringSettings; targets: Targets }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const scrapeTimeoutMs = durationMs(PROMETHEUS_SCRAPE_TIMEOUT)!;
  if ((durationMs(cfg.monitoring.scrapeInterval) ?? Infinity) < scrapeTimeoutMs) {
    problems.push({
      path: ["monitoring", "scrapeInterval"],
      message: `expected at least the scrape timeout (${PROMETHEUS_SCRAPE_TIMEOUT}): Prometheus refuses a configuration whose scrape interval is shorter than its scrape timeout`,
      input: cfg.monitoring.scrapeInterval,
    });
  }
  for (const pair of SEVERITY_PAIRS) {
    const warning = at(cfg, pair.warning);
    const critical = at(cfg, pair.critical);
    const ordered = pair.higherIsWorse ? critical > warning : critical < warning;
    if (ordered) continue;
    const side = pair.higherIsWorse ? "above" : "below";
    problems.push({
      path: pair.critical,
      message: `expected a critical threshold ${side} the warning's ${pair.warning.join(".")} (${warning}): the critical alert must not fire before the warning`,
      input: critical,
      reads: [pair.warning],
    });
  }
  return problems;
}
