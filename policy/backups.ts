// Backups: in production a backup job runs at least daily and keeps 30 days of archives.
import { parseDaily } from "../config/backup";
import { BACKUP, INGESTION, THRESHOLDS } from "./facts";
import { containersOf } from "./graph";
import { envValue } from "./read";
import type { StackEntry } from "./types";

/** True for the backup scheduler's daily "HH:MM", or a cron expression that fires every day. */
export function runsDaily(schedule: string): boolean {
  const text = schedule.trim();
  if (parseDaily(text) !== undefined) return true;
  if (["@daily", "@midnight", "@hourly"].includes(text)) return true;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return false;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  const field = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
  return [minute, hour].every((f) => field.test(f)) && dayOfMonth === "*" && month === "*" && dayOfWeek === "*";
}

/** Reports a backup job whose schedule is not daily or whose retention is short. */
function checkJobs(jobs: ReturnType<typeof containersOf>, report: Parameters<StackEntry["validate"]>[2]): void {
  for (const job of jobs) {
    const schedule = envValue(job.props, BACKUP.scheduleEnv);
    const retention = envValue(job.props, BACKUP.retentionEnv);
    if (!schedule) report(`${job.name}: ${BACKUP.scheduleEnv} is not set`, job.urn);
    else if (!runsDaily(schedule)) report(`${job.name}: ${BACKUP.scheduleEnv}="${schedule}" does not run every day`, job.urn);
    const days = retention === undefined ? NaN : Number(retention);
    if (!Number.isInteger(days)) report(`${job.name}: ${BACKUP.retentionEnv} is ${retention === undefined ? "not set" : `"${retention}", not a number of days`}`, job.urn);
    else if (days < THRESHOLDS.minBackupRetentionDays) report(`${job.name}: keeps backups ${days} days; expected >= ${THRESHOLDS.minBackupRetentionDays}`, job.urn);
  }
}

export const dailyBackup: StackEntry = {
  kind: "stack",
  name: "backups-daily-30-days",
  why: `Without a daily MongoDB backup kept ${THRESHOLDS.minBackupRetentionDays} days, a bad migration or a lost volume loses documents and reviews for good.`,
  checklist: "Backups: MongoDB daily, 30-day retention, restore tested",
  environments: ["production"],
  validate(_ctx, { resources }, report) {
    const jobs = containersOf(resources, BACKUP.service);
    if (jobs.length === 0) {
      report(`no backup job: expected a container labelled org.enrichment.service=${BACKUP.service} with ${BACKUP.scheduleEnv} and ${BACKUP.retentionEnv} (enrichment:backup.enabled)`);
      return;
    }
    checkJobs(jobs, report);
  },
};

export const dailyPostgresBackup: StackEntry = {
  kind: "stack",
  name: "backups-postgres-daily-30-days",
  why: `The web-ingestion plane's PostgreSQL holds every indexed page and its embeddings; without a daily dump kept ${THRESHOLDS.minBackupRetentionDays} days, the seed's restore (\`pg_restore\` after data corruption) has nothing to restore.`,
  checklist: "Backups: daily, 30-day retention, restore tested (seed 004: If Data Corruption, `pg_restore -d claude_context backup.dump`)",
  environments: ["production"],
  validate(_ctx, args, report) {
    const { resources } = args;
    if (containersOf(resources, INGESTION.postgres).length === 0) args.notApplicable("no PostgreSQL of the ingestion plane in this stack");
    const jobs = containersOf(resources, INGESTION.backup);
    if (jobs.length === 0) {
      report(`no PostgreSQL backup job: expected a container labelled org.enrichment.service=${INGESTION.backup} with ${BACKUP.scheduleEnv} and ${BACKUP.retentionEnv} (enrichment:backup.enabled)`);
      return;
    }
    checkJobs(jobs, report);
  },
};

export const BACKUP_POLICIES = [dailyBackup, dailyPostgresBackup];
