// Stack settings of the MongoDB backups (planes/backup): when the daily dump and the weekly
// restore test run, how long archives are kept, the backup users, and the optional off-host copy
// to S3-compatible storage. Times are UTC; the container's scheduler (planes/backup/scripts)
// reads them in exactly these forms.
import { z } from "zod";
import { bool, httpUrl, int, size, text } from "./fields";
import { mongoDatabase } from "./names";

const DAILY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const WEEKLY = new RegExp(`^(${WEEKDAYS.join("|")}) ([01]\\d|2[0-3]):([0-5]\\d)$`);

const dailyMessage = 'expected a daily UTC time "HH:MM" such as "02:30" (cron expressions are not supported)';
const weeklyMessage = `expected a weekly UTC time "<day> HH:MM" such as "sun 04:00" (day: ${WEEKDAYS.join(", ")})`;

/** Seconds after midnight UTC of a daily "HH:MM". */
export function parseDaily(schedule: string): number | undefined {
  const match = DAILY.exec(schedule);
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 : undefined;
}

/** Seconds after Sunday 00:00 UTC of a weekly "<day> HH:MM". */
export function parseWeekly(schedule: string): number | undefined {
  const match = WEEKLY.exec(schedule);
  if (!match) return undefined;
  return WEEKDAYS.indexOf(match[1] as (typeof WEEKDAYS)[number]) * 86400 + Number(match[2]) * 3600 + Number(match[3]) * 60;
}

const mongoUser = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, { error: `expected ${what}: letters, digits, '_', '.', '-', starting with a letter` });

export const S3_KEYS = ["endpoint", "bucket", "region"] as const;

const S3Schema = z
  .object({
    endpoint: httpUrl("an S3 endpoint URL such as https://s3.eu-central-1.amazonaws.com or http://minio:9000").optional(),
    bucket: z
      .string({ error: "expected a bucket name" })
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name (3-63 lower-case letters, digits, '.', '-')" })
      .optional(),
    region: text("a region such as eu-central-1 (MinIO: us-east-1)").optional(),
    prefix: z
      .string({ error: "expected a key prefix such as enrichment/production" })
      .regex(/^([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/, { error: "expected a key prefix such as enrichment/production (no leading or trailing slash)" })
      .default("")
      .describe("folder inside the bucket; archives land at <bucket>/<prefix>/<archive>"),
    intervalMinutes: int(1, 1440).default(15).describe("how often the off-host copier looks for archives it has not copied yet"),
  })
  .strict()
  .superRefine((s3, ctx) => {
    const missing = S3_KEYS.filter((key) => s3[key] === undefined);
    if (missing.length > 0 && missing.length < S3_KEYS.length) {
      ctx.addIssue({
        code: "custom",
        path: [],
        input: s3,
        message: `expected ${S3_KEYS.join(", ")} together (the off-host copy is all or nothing); missing: ${missing.join(", ")}`,
      });
    } else if (missing.length === S3_KEYS.length) {
      ctx.addIssue({ code: "custom", path: [], input: s3, message: `expected ${S3_KEYS.join(", ")} (remove backup.s3 to keep archives on the host only)` });
    }
  });

export const BackupSchema = z
  .object({
    enabled: bool().default(true).describe("run the backup service (daily dump, restore test, pre-release snapshot)"),
    schedule: z.string({ error: dailyMessage }).regex(DAILY, { error: dailyMessage }).default("02:30").describe("daily dump time, UTC"),
    retentionDays: int(1, 3650).default(30).describe("archives older than this many days are deleted (locally and off-host), but never the newest keepLatest"),
    keepLatest: int(1, 1000).default(7).describe("the newest N archives of each kind (daily, pre-release) are kept whatever their age"),
    restoreTest: z
      .object({
        schedule: z.string({ error: weeklyMessage }).regex(WEEKLY, { error: weeklyMessage }).default("sun 04:00").describe("weekly restore test time, UTC"),
      })
      .strict()
      .prefault({}),
    snapshotBeforeRelease: bool().default(true).describe("dump and verify before a changed release replaces any application container"),
    snapshotTimeoutMinutes: int(1).default(60).describe("how long the pre-release snapshot may take before pulumi up fails"),
    toolTimeoutMinutes: int(1).default(120).describe("how long one mongodump or mongorestore may run (an unreachable server otherwise makes it wait forever)"),
    user: mongoUser("the MongoDB user the dumps connect as").default("backup"),
    restoreUser: mongoUser("the MongoDB user that replaces the live database on `npm run restore -- --apply`").default("restore"),
    scratchDatabase: mongoDatabase().optional().describe("where restores are tested; defaults to <mongodb.database>_restore_test"),
    s3: S3Schema.optional().describe("off-host copy to S3-compatible storage; credentials are the secrets backupS3AccessKeyId and backupS3SecretAccessKey"),
    resources: z
      .object({ dump: size(512, 0.5), offsite: size(128, 0.25), metrics: size(32, 0.1) })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type BackupSettings = z.output<typeof BackupSchema>;

/** The settings the cross-slice checks read (a structural subset of Settings). */
interface BackupCheckInput {
  backup: BackupSettings;
  mongodb: { mode: string; database: string; appUser: string };
}

// The users planes/data/mongodb.ts creates besides the app user (a test keeps these equal to its
// MONITOR_USER). Not imported: a config module that loads a component loads the Pulumi SDK before
// the synth sets the environment.
const ROOT_USER = "root";
export const MONITOR_USER_NAME = "monitor";

/** Problems that need settings outside the slice (user names, the scratch database). */
export function backupConfigProblems(cfg: BackupCheckInput): { path: string[]; message: string; input: unknown }[] {
  const problems: { path: string[]; message: string; input: unknown }[] = [];
  const { backup, mongodb } = cfg;
  const taken: Record<string, string> = { [ROOT_USER]: "the root user", [MONITOR_USER_NAME]: "the monitoring user", [mongodb.appUser]: "mongodb.appUser" };
  for (const key of ["user", "restoreUser"] as const) {
    const owner = taken[backup[key]];
    if (owner) problems.push({ path: ["backup", key], message: `expected a name other than ${JSON.stringify(backup[key])}, which is ${owner}`, input: backup[key] });
  }
  if (backup.user === backup.restoreUser) {
    problems.push({ path: ["backup", "restoreUser"], message: "expected a name other than backup.user: the restore user alone may write the live database", input: backup.restoreUser });
  }
  if (backup.scratchDatabase !== undefined && backup.scratchDatabase === mongodb.database) {
    problems.push({ path: ["backup", "scratchDatabase"], message: `expected a database other than mongodb.database (${mongodb.database}): restore tests drop what they restore into`, input: backup.scratchDatabase });
  }
  return problems;
}

/** Secrets of the backups: spread into SECRET_KEYS (config/schema.ts). */
export const BACKUP_SECRET_KEYS = {
  backupS3AccessKeyId: {
    description: "access key id of the S3-compatible storage that receives the off-host copies (backup.s3)",
    requiredWhen: (cfg: { backup: BackupSettings }) => cfg.backup.enabled && cfg.backup.s3 !== undefined,
  },
  backupS3SecretAccessKey: {
    description: "secret access key of the S3-compatible storage (backup.s3)",
    requiredWhen: (cfg: { backup: BackupSettings }) => cfg.backup.enabled && cfg.backup.s3 !== undefined,
  },
  mongodbBackupUri: {
    description: "URI of the external MongoDB as a user with read on the database (and readWrite on the scratch database) for dumps and restore tests",
    requiredWhen: (cfg: { backup: BackupSettings; mongodb: { mode: string } }) => cfg.backup.enabled && cfg.mongodb.mode === "external",
  },
  mongodbRestoreUri: {
    description: "URI of the external MongoDB as a user with readWrite on the database, used only by `npm run restore -- --apply`",
    requiredWhen: () => false,
  },
} as const;

/** The scratch database restores go to. */
export function scratchDatabase(backup: BackupSettings, database: string): string {
  return backup.scratchDatabase ?? `${database}_restore_test`;
}
