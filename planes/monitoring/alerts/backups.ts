// Backups of every database (checklist: daily, 30-day retention, restore tested): MongoDB's
// (mongodb-backup) and, where the ingestion plane runs, PostgreSQL's (postgres-backup). The rules are
// by `service`, so each job and its off-host copier is watched on its own.
import { AlertArea, AlertContext, AlertRule, num } from "./types";

export const backups: AlertArea = {
  area: "backups",
  title: "Backups",
  rules: ({ thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "BackupTooOld",
      expr: `time() - max by (service) (enrichment_backup_last_success_timestamp_seconds) > ${num(thresholds.backupMaxAgeHours * 3600)}`,
      for: "10m",
      severity: "critical",
      summary: "The last successful backup of {{ $labels.service }} is {{ $value | humanizeDuration }} old.",
      description: `The last successful backup finished {{ $value | humanizeDuration }} ago (allowed: ${num(thresholds.backupMaxAgeHours)}h). A failure now would lose more than a day of enrichment.`,
      runbook: "backup-too-old",
    },
    {
      alert: "BackupMetricsMissing",
      expr: "absent(enrichment_backup_last_success_timestamp_seconds)",
      for: "1h",
      severity: "warning",
      summary: "No backup job reports its last success.",
      description: "No series enrichment_backup_last_success_timestamp_seconds exists for an hour: the backup job is not running or not scraped, so BackupTooOld cannot fire.",
      runbook: "backup-metrics-missing",
      labels: { service: "mongodb-backup" },
    },
    {
      alert: "BackupFailed",
      expr: 'sum by (service) (increase(enrichment_backup_runs_total{status="failed"}[24h])) > 0',
      severity: "warning",
      summary: "Backup runs of {{ $labels.service }} failed in the last 24 hours: {{ $value | humanize }}.",
      description: "{{ $labels.service }} reported failed backup runs in the last 24 hours ({{ $value | humanize }}). Check whether a later run succeeded.",
      runbook: "backup-failed",
    },
    {
      alert: "RestoreTestTooOld",
      expr: `time() - max by (service) (enrichment_backup_last_restore_test_timestamp_seconds) > ${num(thresholds.restoreTestMaxAgeDays * 86400)}`,
      for: "1h",
      severity: "info",
      summary: "No backup was restored as a test for {{ $value | humanizeDuration }}.",
      description: `The last successful restore test was {{ $value | humanizeDuration }} ago (allowed: ${num(thresholds.restoreTestMaxAgeDays)} days). Untested backups may not restore.`,
      runbook: "restore-test-too-old",
    },
  ],
  runbooks: {
    "backup-too-old": {
      title: "BackupTooOld",
      meaning: "The last successful backup of a database (`service`: mongodb-backup, postgres-backup, or their *-offsite copier) is older than the stack allows (daily backups are expected).",
      check: [
        "The backup job's logs and its last runs (`enrichment_backup_runs_total` by status).",
        "Space on the backup target; credentials of the backup user.",
        "Is the database itself healthy (MongoDBDown; for postgres-backup, HealthEndpointDown/TargetDown of the ingestion plane and `docker ps --filter name=<prefix>-postgres`)?",
      ],
      act: [
        "Fix the cause and run a backup by hand now (`docker exec <prefix>-mongodb-backup /backup/bin/dump.sh daily`); confirm `enrichment_backup_last_success_timestamp_seconds` moved. Step by step: docs/backups.md, BackupTooOld.",
        "Until a backup succeeds, avoid risky changes (releases, index changes) on this stack.",
      ],
    },
    "backup-metrics-missing": {
      title: "BackupMetricsMissing",
      meaning: "Prometheus has no backup metrics at all, so an old backup would go unnoticed.",
      check: [
        "Is the backup job deployed on this stack and listed in the scrape targets (Prometheus UI, Status > Targets)?",
        "Does the job push or expose its metrics under the contracted names (docs/metrics-contract.md)?",
      ],
      act: [
        "Deploy or fix the backup job (`<prefix>-mongodb-backup`, its metrics server `<prefix>-mongodb-backup-metrics`, scrape job `mongodb-backup`); docs/backups.md, BackupMetricsMissing.",
        "Until then, check the backups by hand every day.",
      ],
    },
    "backup-failed": {
      title: "BackupFailed",
      meaning: "At least one backup run failed in the last 24 hours.",
      check: ["The failed run's log.", "Did a later run succeed (BackupTooOld not firing)?"],
      act: [
        "Transient failure and a later success: no action beyond noting it.",
        "Repeated failures: fix the cause before BackupTooOld fires; `service` says which part failed (mongodb-backup: the dump, mongodb-backup-offsite: the off-host copy). Step by step: docs/backups.md, BackupFailed.",
      ],
    },
    "restore-test-too-old": {
      title: "RestoreTestTooOld",
      meaning: "No backup has been restored as a test for longer than the stack allows.",
      check: ["When was the last restore test and where is its record?"],
      act: [
        "Run the restore test now (`docker exec <prefix>-mongodb-backup /backup/bin/restore-test.sh`: the newest archive into the scratch database, counts compared) or `npm run restore -- --stack <stack>` (counts and indexes); a passing test updates `enrichment_backup_last_restore_test_timestamp_seconds`. Full restore: docs/backups.md.",
      ],
    },
  },
};
