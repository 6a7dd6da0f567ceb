// Stack settings of the monitoring plane (Prometheus, Alertmanager, Grafana, exporters).
import { z } from "zod";
import { bool, int, num, text } from "./fields";

const duration = (fallback: string) =>
  z
    .string({ error: "expected a Prometheus duration such as 15s, 5m or 4h" })
    .regex(/^\d+(ms|s|m|h|d|w|y)$/, { error: "expected a Prometheus duration such as 15s, 5m or 4h" })
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
  })
  .strict()
  .prefault({});

export const MonitoringSchema = z
  .object({
    scrapeInterval: duration("15s"),
    retentionDays: int(1).default(15).describe("Prometheus TSDB retention"),
    gpuMetrics: bool().default(true).describe("run NVIDIA's DCGM exporter (needs the NVIDIA runtime)"),
    thresholds: z
      .object({
        reviewQueueMax: int(1).default(500),
        queueBacklogMax: int(1).default(1000),
        certificateExpiryDays: int(1).default(21),
        backupMaxAgeHours: int(1).default(26),
        diskFreeMin: num(0, 1).default(0.15),
        memoryUsageMax: num(0, 1).default(0.9),
        agentErrorRateMax: num(0, 1).default(0.05),
        agentP95MaxSeconds: num(0).default(30),
        gpuMemoryUsageMax: num(0, 1).default(0.95),
      })
      .strict()
      .prefault({}),
    alerting: AlertingSchema,
    grafana: z
      .object({
        defaultRange: duration("24h"),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type MonitoringSettings = z.output<typeof MonitoringSchema>;
