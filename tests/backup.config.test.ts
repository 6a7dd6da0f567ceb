// The backup settings (config/backup.ts) through the real loader: every refusal checked by the
// message an operator reads, and the defaults the issue asks for.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { MONITOR_USER_NAME, parseDaily, parseWeekly, scratchDatabase } from "../config/backup";
import type { RawConfig } from "../config/load";
import { MONITOR_USER } from "../planes/data/mongodb";
import { configProblems, parseConfig, rawConfig, SHIPPED_SECRETS, type Values } from "./fixtures/config/stackConfig";

const BASE_SECRETS = SHIPPED_SECRETS;
const raw = (edit: (values: Values) => void = () => {}, secrets: string[] = BASE_SECRETS) => rawConfig("staging", edit, secrets);
const parse = (config: RawConfig) => parseConfig(config, "staging");
const problemsOf = (config: RawConfig) => configProblems(config, "staging");

const withBackup = (backup: Record<string, unknown>) => raw((v) => (v.backup = { ...(v.backup ?? {}), ...backup }));
const S3 = { endpoint: "http://minio:9000", bucket: "enrichment-backups", region: "us-east-1" };

describe("backup settings", () => {
  it("defaults: daily at 02:30 UTC, 30 days, the newest 7 kept, restore test on Sundays, users backup and restore", () => {
    const { backup, mongodb } = parse(raw()).settings;
    expect(backup).toMatchObject({ enabled: true, schedule: "02:30", retentionDays: 30, keepLatest: 7, user: "backup", restoreUser: "restore", snapshotBeforeRelease: true });
    expect(backup.restoreTest.schedule).toBe("sun 04:00");
    expect(backup.s3).toBeUndefined();
    expect(scratchDatabase(backup, mongodb.database)).toBe(`${mongodb.database}_restore_test`);
  });

  it.each([0, -1, 1.5, "30"])("refuses retentionDays %j", (retentionDays) => {
    expect(problemsOf(withBackup({ retentionDays }))).toEqual([`enrichment:backup.retentionDays: expected an integer from 1 to 3650, got ${JSON.stringify(retentionDays)}`]);
  });

  it("refuses keepLatest 0: the newest archive is never deleted", () => {
    expect(problemsOf(withBackup({ keepLatest: 0 }))).toEqual(["enrichment:backup.keepLatest: expected an integer from 1 to 1000, got 0"]);
  });

  it.each(["2:30", "25:00", "02:30:00", "30 2 * * *", "daily"])("refuses the schedule %j", (schedule) => {
    expect(problemsOf(withBackup({ schedule }))).toEqual([
      `enrichment:backup.schedule: expected a daily UTC time "HH:MM" such as "02:30" (cron expressions are not supported), got ${JSON.stringify(schedule)}`,
    ]);
    expect(parseDaily(schedule)).toBeUndefined();
  });

  it.each(["sunday 04:00", "04:00", "Sun 04:00", "sun 4:00"])("refuses the restore test schedule %j", (schedule) => {
    const problems = problemsOf(withBackup({ restoreTest: { schedule } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe(
      `enrichment:backup.restoreTest.schedule: expected a weekly UTC time "<day> HH:MM" such as "sun 04:00" (day: sun, mon, tue, wed, thu, fri, sat), got ${JSON.stringify(schedule)}`,
    );
    expect(parseWeekly(schedule)).toBeUndefined();
  });

  it("reads the schedules it accepts", () => {
    expect(parseDaily("00:00")).toBe(0);
    expect(parseDaily("23:59")).toBe(86340);
    expect(parseWeekly("sun 04:00")).toBe(4 * 3600);
    expect(parseWeekly("sat 23:59")).toBe(6 * 86400 + 86340);
  });

  it.each([
    [{ endpoint: S3.endpoint }, "bucket, region"],
    [{ bucket: S3.bucket, region: S3.region }, "endpoint"],
    [{ endpoint: S3.endpoint, region: S3.region, prefix: "staging" }, "bucket"],
  ])("refuses S3 settings given by half (%j), naming what is missing", (s3, missing) => {
    const problems = problemsOf(withBackup({ s3 }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^enrichment:backup\\.s3: expected endpoint, bucket, region together \\(the off-host copy is all or nothing\\); missing: ${missing}, got \\{`),
    );
  });

  it("an S3 block needs both credentials as secrets, and names the command that sets them", () => {
    expect(problemsOf(withBackup({ s3: S3 }))).toEqual([
      "enrichment:backupS3AccessKeyId: expected a secret (access key id of the S3-compatible storage that receives the off-host copies (backup.s3)); set it with `pulumi config set --secret enrichment:backupS3AccessKeyId`",
      "enrichment:backupS3SecretAccessKey: expected a secret (secret access key of the S3-compatible storage (backup.s3)); set it with `pulumi config set --secret enrichment:backupS3SecretAccessKey`",
    ]);
    const config = parse(raw((v) => (v.backup = { s3: S3 }), [...BASE_SECRETS, "backupS3AccessKeyId", "backupS3SecretAccessKey"]));
    expect(config.settings.backup.s3).toEqual({ ...S3, prefix: "", intervalMinutes: 15 });
    expect(pulumi.Output.isInstance(config.secrets.backupS3SecretAccessKey)).toBe(true);
  });

  it("refuses the S3 secret key as a plain value", () => {
    const config = raw((v) => {
      v.backup = { s3: S3 };
      v.backupS3AccessKeyId = "AKIA";
      v.backupS3SecretAccessKey = "plain";
    }, [...BASE_SECRETS, "backupS3AccessKeyId"]);
    expect(problemsOf(config)).toEqual([
      "enrichment:backupS3SecretAccessKey: expected a secret, got a plain value; set it with `pulumi config set --secret enrichment:backupS3SecretAccessKey`",
    ]);
  });

  it.each([
    ["user", "enrichment", "mongodb.appUser"],
    ["user", "root", "the root user"],
    ["user", "monitor", "the monitoring user"],
    ["restoreUser", "monitor", "the monitoring user"],
    ["restoreUser", "root", "the root user"],
  ])("refuses backup.%s %j, which is %s", (key, name, owner) => {
    const problems = problemsOf(raw((v) => (v.backup = { [key]: name })));
    expect(problems).toContain(`enrichment:backup.${key}: expected a name other than "${name}", which is ${owner}, got "${name}"`);
  });

  it("refuses a restore user equal to the backup user, and a scratch database equal to the live one", () => {
    expect(problemsOf(withBackup({ user: "ops", restoreUser: "ops" }))).toEqual([
      'enrichment:backup.restoreUser: expected a name other than backup.user: the restore user alone may write the live database, got "ops"',
    ]);
    const database = parse(raw()).settings.mongodb.database;
    expect(problemsOf(withBackup({ scratchDatabase: database }))).toEqual([
      `enrichment:backup.scratchDatabase: expected a database other than mongodb.database (${database}): restore tests drop what they restore into, got "${database}"`,
    ]);
  });

  it("an external MongoDB needs the backup user's URI as a secret", () => {
    const problems = problemsOf(
      raw((v) => {
        v.mongodb = { ...(v.mongodb ?? {}), mode: "external" };
      }, [...BASE_SECRETS, "mongodbExternalUri"]),
    );
    expect(problems).toContain(
      "enrichment:mongodbBackupUri: expected a secret (URI of the external MongoDB as a user with read on the database (and readWrite on the scratch database) for dumps and restore tests); set it with `pulumi config set --secret enrichment:mongodbBackupUri`",
    );
  });

  it("the reserved monitoring user name is the one planes/data/mongodb.ts creates", () => {
    expect(MONITOR_USER_NAME).toBe(MONITOR_USER);
  });
});
