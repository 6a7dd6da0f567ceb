// The Watchdog: always firing, so that its absence at the receiver means alerting is broken.
import { AlertArea, AlertRule } from "./types";

export const meta: AlertArea = {
  area: "meta",
  title: "Alerting pipeline",
  rules: (): AlertRule[] => [
    {
      alert: "Watchdog",
      expr: "vector(1)",
      severity: "info",
      summary: "Alerting pipeline heartbeat.",
      description: "This alert always fires. It proves that Prometheus evaluates rules and Alertmanager receives them; its receiver should raise an alarm when it stops.",
      runbook: "watchdog",
    },
  ],
  runbooks: {
    watchdog: {
      title: "Watchdog",
      meaning: "The Watchdog always fires. It is routed to its own receiver (`watchdog`) and re-sent often; only its absence is a problem.",
      check: [
        "Alertmanager UI: is Watchdog listed as active? If not, Prometheus does not evaluate rules or cannot reach Alertmanager.",
        "Prometheus UI, Status > Runtime: the Alertmanager endpoint and the notifications queue.",
        "A heartbeat service polling Alertmanager (`GET /api/v2/alerts?filter=alertname=\"Watchdog\"`) should alarm when it is missing.",
      ],
      act: [
        "Never silence it. If it stops, treat alerting as down: check Prometheus and Alertmanager containers and their logs, and watch the dashboards by hand until fixed.",
      ],
    },
  },
};
