// Scrape targets, health endpoints, the host (node-exporter), containers (cAdvisor), the
// monitoring stack itself, and releases running side by side.
import { OWN_ALERT_PROBES } from "../prometheus";
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

const realFs = 'fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs"';
const diskFree = `node_filesystem_avail_bytes{${realFs}} / node_filesystem_size_bytes{${realFs}}`;
/** Services whose probe has its own alert (OllamaDown, McpServerDown). */
const OWN_PROBE_ALERTS = Object.values(OWN_ALERT_PROBES);

export const infrastructure: AlertArea = {
  area: "infrastructure",
  title: "Infrastructure",
  rules: ({ thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "TargetDown",
      expr: "up == 0",
      for: "5m",
      severity: "warning",
      summary: "Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}.",
      description: "The scrape of {{ $labels.instance }} (job {{ $labels.job }}) has failed for 5 minutes. The service is down, or its metrics endpoint is; alerts that need its metrics are blind.",
      runbook: "target-down",
    },
    {
      alert: "HealthEndpointDown",
      expr: `probe_success{service!~"${OWN_PROBE_ALERTS.join("|")}"} == 0`,
      for: "3m",
      severity: "critical",
      summary: "{{ $labels.service }} fails its health check at {{ $labels.instance }}.",
      description: "The blackbox probe of {{ $labels.instance }} has failed for 3 minutes. Users of {{ $labels.service }} get errors.",
      runbook: "health-endpoint-down",
    },
    {
      alert: "HostDiskSpaceLow",
      expr: `${diskFree} < ${num(thresholds.diskFreeMin)}`,
      for: "15m",
      severity: "warning",
      summary: "{{ $labels.mountpoint }} has {{ $value | humanizePercentage }} free.",
      description: `Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on the Docker host has {{ $value | humanizePercentage }} space left (warning below ${pct(thresholds.diskFreeMin)}).`,
      runbook: "host-disk-space-low",
    },
    {
      alert: "HostDiskSpaceLow",
      expr: `${diskFree} < ${num(thresholds.diskFreeCritical)}`,
      for: "5m",
      severity: "critical",
      summary: "{{ $labels.mountpoint }} has {{ $value | humanizePercentage }} free.",
      description: `Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on the Docker host has {{ $value | humanizePercentage }} space left (critical below ${pct(thresholds.diskFreeCritical)}). MongoDB, NSQ and Prometheus stop when it is full.`,
      runbook: "host-disk-space-low",
    },
    {
      alert: "HostMemoryHigh",
      expr: `1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes > ${num(thresholds.memoryUsageMax)}`,
      for: "15m",
      severity: "warning",
      summary: "The Docker host uses {{ $value | humanizePercentage }} of its memory.",
      description: `The Docker host has used {{ $value | humanizePercentage }} of its memory for 15 minutes (warning above ${pct(thresholds.memoryUsageMax)}). The kernel will start killing containers.`,
      runbook: "host-memory-high",
    },
    {
      alert: "HostCpuHigh",
      expr: `1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="idle"}[5m])) > ${num(thresholds.cpuUsageMax)}`,
      for: "30m",
      severity: "warning",
      summary: "The Docker host's CPUs are {{ $value | humanizePercentage }} busy.",
      description: `The Docker host's CPUs have been {{ $value | humanizePercentage }} busy for 30 minutes (warning above ${pct(thresholds.cpuUsageMax)}).`,
      runbook: "host-cpu-high",
    },
    {
      alert: "ContainerMemoryNearLimit",
      expr: `container_memory_working_set_bytes{name!=""} / (container_spec_memory_limit_bytes{name!=""} > 0) > ${num(thresholds.containerMemoryUsageMax)}`,
      for: "15m",
      severity: "warning",
      summary: "Container {{ $labels.name }} uses {{ $value | humanizePercentage }} of its memory limit.",
      description: `Container {{ $labels.name }} has used {{ $value | humanizePercentage }} of its memory limit for 15 minutes (warning above ${pct(thresholds.containerMemoryUsageMax)}). It will be OOM-killed at the limit.`,
      runbook: "container-memory-near-limit",
    },
    {
      alert: "ContainerRestarting",
      expr: `changes(container_start_time_seconds{name!=""}[30m]) > ${num(thresholds.containerRestartsMax)}`,
      severity: "warning",
      summary: "Container {{ $labels.name }} restarted {{ $value }} times in 30 minutes.",
      description: `Container {{ $labels.name }} restarted {{ $value }} times in the last 30 minutes (allowed: ${num(thresholds.containerRestartsMax)}). It crashes, fails its health check or is OOM-killed.`,
      runbook: "container-restarting",
    },
    {
      alert: "PrometheusRuleFailures",
      expr: "sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[10m])) > 0",
      severity: "warning",
      summary: "Rules of {{ $labels.rule_group }} fail to evaluate.",
      description: "{{ $value | humanize }} rule evaluations of {{ $labels.rule_group }} failed in the last 10 minutes; the alerts of that group are blind.",
      runbook: "prometheus-rule-failures",
      labels: { service: "prometheus" },
    },
    {
      alert: "AlertmanagerNotificationsFailing",
      expr: "sum by (integration) (rate(alertmanager_notifications_failed_total[5m])) > 0",
      for: "10m",
      severity: "critical",
      summary: "Alertmanager cannot deliver notifications to {{ $labels.integration }}.",
      description: "Notifications through {{ $labels.integration }} have failed for 10 minutes. Alerts may not reach anyone through that channel.",
      runbook: "alertmanager-notifications-failing",
      labels: { service: "alertmanager" },
    },
    {
      alert: "MixedReleasesRunning",
      expr: "count(count by (release) (enrichment_release_info == 1)) > 1",
      for: `${num(thresholds.mixedReleaseMaxHours)}h`,
      severity: "info",
      summary: "{{ $value }} releases have run side by side for " + num(thresholds.mixedReleaseMaxHours) + " hours.",
      description: `Services report {{ $value }} different releases and have for ${num(thresholds.mixedReleaseMaxHours)} hours. A canary was left running, or a rollout stopped half-way.`,
      runbook: "mixed-releases-running",
    },
  ],
  runbooks: {
    "target-down": {
      title: "TargetDown",
      meaning: "Prometheus cannot scrape a target: the service or its `/metrics` endpoint is down.",
      check: [
        "Prometheus UI, Status > Targets: the scrape error (connection refused, timeout, 404).",
        "`docker ps --filter name=<prefix>-<service>` and its health status.",
        "Connection refused on a running container: is the metrics port the one in the scrape job?",
      ],
      act: [
        "Container down: `docker restart <prefix>-<service>`, or `pulumi up` if it is missing.",
        "Wrong port or path: fix the scrape target passed to the Monitoring component.",
      ],
    },
    "health-endpoint-down": {
      title: "HealthEndpointDown",
      meaning: "A blackbox probe of a health endpoint fails (APIs are probed through the edge).",
      check: [
        "The probe's detail: `curl -s 'http://<blackbox-exporter>:9115/probe?module=<module>&target=<url>&debug=true'` from a container on the private network.",
        "For APIs: is the edge up and does it route the name (its log), and is the API container healthy?",
        "TLS errors: is the certificate valid for the name (CertificateExpiringSoon)?",
      ],
      act: [
        "Restart the failing service or the edge; `pulumi up` recreates missing containers.",
        "A release broke it: roll back.",
      ],
    },
    "host-disk-space-low": {
      title: "HostDiskSpaceLow",
      meaning: "A filesystem of the Docker host is running out of space.",
      check: [
        "`df -h` and `docker system df -v` on the host: which volume grows (MongoDB data, Prometheus TSDB, Ollama models, NSQ data, container logs)?",
        "Prometheus retention (`enrichment:monitoring.retentionDays`) against the volume size.",
      ],
      act: [
        "Remove unused images and stopped containers (`docker image prune`, never `docker volume prune`: volumes hold data).",
        "Remove Ollama models no release uses (`ollama rm <tag>`).",
        "Lower Prometheus retention, or grow the filesystem.",
      ],
    },
    "host-memory-high": {
      title: "HostMemoryHigh",
      meaning: "The Docker host is nearly out of memory.",
      check: ["cAdvisor panels: which container grows?", "Sum of the containers' memory limits against the host's memory."],
      act: ["Lower the limits or replica counts of the largest consumers, or move to a larger host.", "Restart a container that leaks memory."],
    },
    "host-cpu-high": {
      title: "HostCpuHigh",
      meaning: "The Docker host's CPUs have been nearly saturated for half an hour.",
      check: ["cAdvisor panels: which container uses the CPU?", "Is Ollama running on the CPU (GpuMetricsMissing)?"],
      act: ["Fix a CPU fallback of Ollama first.", "Lower worker replicas or move to a larger host."],
    },
    "container-memory-near-limit": {
      title: "ContainerMemoryNearLimit",
      meaning: "A container uses nearly all of its memory limit and will be OOM-killed at the limit.",
      check: ["The container's memory over 24 h: steady growth (a leak) or a plateau (the limit is too small)?"],
      act: [
        "Too small: raise `enrichment:resources.<service>.memoryMb` and run `pulumi up`.",
        "A leak: restart the container and open a bug with the graph.",
      ],
    },
    "container-restarting": {
      title: "ContainerRestarting",
      meaning: "A container restarted several times in half an hour.",
      check: [
        "`docker inspect <container> --format '{{.State.OOMKilled}} {{.State.ExitCode}}'` and `docker logs --since 30m <container>`.",
        "Its health check: `docker inspect <container> --format '{{json .State.Health}}'`.",
      ],
      act: ["OOM: raise its memory limit.", "A crash on start: fix its configuration or roll back the release."],
    },
    "prometheus-rule-failures": {
      title: "PrometheusRuleFailures",
      meaning: "Prometheus fails to evaluate some alert rules, so those alerts cannot fire.",
      check: ["Prometheus UI, Alerts or Rules page: the error of the failing rule.", "Prometheus log: `docker logs --since 15m <prefix>-prometheus`."],
      act: [
        "A rule that divides vectors with clashing labels after a metric change: fix the metric (docs/metrics-contract.md) or the rule in planes/monitoring/alerts.",
        "Run `npm test` (promtool tests) before deploying rule changes.",
      ],
    },
    "alertmanager-notifications-failing": {
      title: "AlertmanagerNotificationsFailing",
      meaning: "Alertmanager cannot deliver notifications through one integration (Slack, PagerDuty or e-mail).",
      check: [
        "Alertmanager log: `docker logs --since 15m <prefix>-alertmanager` names the error (401, DNS, timeout).",
        "Does the container have egress (it joins the egress network)?",
        "Is the secret file content right (Slack webhook URL, PagerDuty routing key, SMTP password)?",
      ],
      act: [
        "A revoked or rotated credential: set the new one with `pulumi config set --secret ...` and run `pulumi up`.",
        "Until fixed, watch the Alertmanager UI yourself.",
      ],
    },
    "mixed-releases-running": {
      title: "MixedReleasesRunning",
      meaning: "Services have reported different releases for hours: a canary was left running or a rollout stopped half-way.",
      check: [
        "`count by (release, service) (enrichment_release_info)`: which services run which release?",
        "The stack file: is a `canary` block still set?",
      ],
      act: ["Promote the candidate (`npm run promote`) or remove the canary block and run `pulumi up`."],
    },
  },
};
