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
      meaning:
        "The Watchdog always fires. It is routed to its own receiver (`watchdog`), re-sent every `monitoring.alerting.watchdogRepeatInterval`; with `monitoring.alerting.deadMansSwitch.enabled` " +
        "that receiver calls the external dead-man's switch (URL in the secret `enrichment:deadMansSwitchUrl`, read from a file), which alarms when the calls stop. Only its absence is a problem.",
      check: [
        "The dead-man's switch: when did it last receive a call? It alarms on its own when Prometheus, Alertmanager, the host or the route out is down.",
        "Alertmanager UI: is Watchdog listed as active? If not, Prometheus does not evaluate rules or cannot reach Alertmanager.",
        "Prometheus UI, Status > Runtime: the Alertmanager endpoint and the notifications queue; `alertmanager_notifications_failed_total{integration=\"webhook\"}` for a failing switch URL.",
        "Without a dead-man's switch (deadMansSwitch disabled, as in staging), poll Alertmanager instead (`GET /api/v2/alerts?filter=alertname=\"Watchdog\"`).",
      ],
      act: [
        "Never silence it. If it stops, treat alerting as down: check Prometheus and Alertmanager containers and their logs, and watch the dashboards by hand until fixed.",
      ],
    },
  },
};
