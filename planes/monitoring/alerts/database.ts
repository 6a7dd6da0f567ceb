// MongoDB: reachability (percona mongodb_exporter), connections, latency as the services see it.
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

const connections = (kind: string) => `sum without (conn_type) (mongodb_ss_connections{conn_type="${kind}"})`;

export const database: AlertArea = {
  area: "database",
  title: "Database",
  rules: ({ thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "MongoDBDown",
      expr: "mongodb_up == 0",
      for: "1m",
      severity: "critical",
      summary: "MongoDB does not answer the exporter.",
      description: "mongodb_exporter at {{ $labels.instance }} cannot reach MongoDB. Every service that stores or reads documents fails.",
      runbook: "mongodb-down",
      labels: { service: "mongodb" },
    },
    {
      alert: "MongoDBConnectionsHigh",
      expr: `${connections("current")} / (${connections("current")} + ${connections("available")}) > ${num(thresholds.mongodbConnectionsUsageMax)}`,
      for: "10m",
      severity: "warning",
      summary: "MongoDB uses {{ $value | humanizePercentage }} of its connections.",
      description: `MongoDB has used {{ $value | humanizePercentage }} of its connection limit for 10 minutes (warning above ${pct(thresholds.mongodbConnectionsUsageMax)}). New connections will be refused.`,
      runbook: "mongodb-connections-high",
      labels: { service: "mongodb" },
    },
    {
      alert: "DatabaseLatencyHigh",
      expr: `histogram_quantile(0.95, sum by (service, le) (rate(enrichment_db_operation_duration_seconds_bucket[5m]))) > ${num(thresholds.databaseP95MaxSeconds)}`,
      for: "10m",
      severity: "warning",
      summary: "MongoDB operations of {{ $labels.service }} take {{ $value | humanizeDuration }} (p95).",
      description: `The 95th percentile of MongoDB operations seen by {{ $labels.service }} is {{ $value | humanizeDuration }} (allowed: ${num(thresholds.databaseP95MaxSeconds)}s).`,
      runbook: "database-latency-high",
    },
  ],
  runbooks: {
    "mongodb-down": {
      title: "MongoDBDown",
      meaning: "The MongoDB exporter cannot reach MongoDB (`mongodb_up == 0`).",
      check: [
        "`docker ps --filter name=<prefix>-mongodb` and its health status; `docker logs --since 15m <prefix>-mongodb`.",
        "Disk: is the data volume's filesystem full (HostDiskSpaceLow)? MongoDB stops when it cannot write.",
        "Memory: was it OOM-killed (`docker inspect <prefix>-mongodb --format '{{.State.OOMKilled}}'`)?",
        "External MongoDB (`mongodb.mode: external`): is the external host reachable from the Docker host?",
      ],
      act: [
        "Restart it: `docker restart <prefix>-mongodb` (the data volume is kept).",
        "Disk full: free space or grow the volume before restarting.",
        "OOM: raise `enrichment:resources.mongodb.memoryMb` and run `pulumi up`.",
        "Data damaged: restore the latest backup (docs/runbooks/backup-too-old.md lists where backups are).",
      ],
    },
    "mongodb-connections-high": {
      title: "MongoDBConnectionsHigh",
      meaning: "MongoDB is close to its connection limit.",
      check: [
        "Which clients hold connections: `db.currentOp(true)` grouped by `client`, or the services' pool sizes.",
        "Did the worker count grow (`enrichment:workers.replicas`)? Each worker has its own pool.",
      ],
      act: [
        "Lower the services' pool size or the number of workers.",
        "Restart the service that leaks connections.",
      ],
    },
    "database-latency-high": {
      title: "DatabaseLatencyHigh",
      meaning: "MongoDB operations as a service sees them are slower than the stack allows (95th percentile).",
      check: [
        "Throughput dashboard, DB latency by operation: which operation is slow?",
        "Are the eight indexes present (`db.<collection>.getIndexes()`); did the index reconciler report drift?",
        "Host: disk I/O and memory (cAdvisor panels for the mongodb container).",
      ],
      act: [
        "A missing index: run `pulumi up` so the reconciler recreates it.",
        "Memory pressure: raise `enrichment:resources.mongodb.memoryMb`.",
      ],
    },
  },
};
