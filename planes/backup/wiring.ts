// How the platform builds the backups from the stack config: the users' passwords (before MongoDB,
// whose init script creates the users), then the MongoBackup component once MongoDB is healthy.
import * as pulumi from "@pulumi/pulumi";
import { scratchDatabase } from "../../config/backup";
import type { StackConfig } from "../../config/load";
import type { MongoDatabase } from "../data/mongodb";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/serviceContainer";
import { MongoBackup } from "./index";
import { BackupCredentials, BackupUsers, managedUri } from "../data/backupUsers";

/** The generated passwords, for a managed MongoDB with backups enabled. */
export function backupCredentialsFor(config: StackConfig, opts: pulumi.ComponentResourceOptions): BackupCredentials | undefined {
  const { settings } = config;
  if (!settings.backup.enabled || settings.mongodb.mode !== "managed") return undefined;
  return new BackupCredentials("backup-credentials", {}, opts);
}

/** The users MongoDatabase's init creates (managed mode). */
export function backupUsersFor(config: StackConfig, credentials: BackupCredentials | undefined): BackupUsers | undefined {
  if (!credentials) return undefined;
  const { backup, mongodb } = config.settings;
  return {
    backup: { user: backup.user, password: credentials.backupPassword },
    restore: { user: backup.restoreUser, password: credentials.restorePassword },
    scratchDatabase: scratchDatabase(backup, mongodb.database),
  };
}

export interface BackupDeps {
  context: PlatformContext;
  network: PlatformNetwork;
  mongodb: MongoDatabase;
  credentials?: BackupCredentials;
}

export function createBackup(config: StackConfig, deps: BackupDeps, opts: pulumi.ComponentResourceOptions): MongoBackup | undefined {
  const { settings, secrets } = config;
  const { backup, mongodb } = settings;
  if (!backup.enabled) return undefined;
  const managed = mongodb.mode === "managed";
  if (managed && !deps.credentials) throw new Error("createBackup: a managed MongoDB needs the backup credentials (backupCredentialsFor)");
  const s3 = backup.s3;
  const offsite =
    s3 && s3.endpoint && s3.bucket && s3.region
      ? {
          endpoint: s3.endpoint,
          bucket: s3.bucket,
          region: s3.region,
          prefix: s3.prefix,
          intervalMinutes: s3.intervalMinutes,
          accessKeyId: secrets.backupS3AccessKeyId!,
          secretAccessKey: secrets.backupS3SecretAccessKey!,
        }
      : undefined;
  return new MongoBackup(
    "backup",
    {
      context: deps.context,
      network: deps.network,
      settings: backup,
      database: mongodb.database,
      scratchDatabase: scratchDatabase(backup, mongodb.database),
      images: { backup: settings.images.backup, offsite: settings.images.backupOffsite, metrics: settings.images.nodeExporter },
      backupUri: managed ? managedUri(backup.user, deps.credentials!.backupPassword) : secrets.mongodbBackupUri!,
      restoreUri: managed ? managedUri(backup.restoreUser, deps.credentials!.restorePassword) : secrets.mongodbRestoreUri,
      offsite,
      release: { version: settings.release.version, images: settings.release.images },
      canary: settings.canary ? { version: settings.canary.release.version, images: settings.canary.release.images } : undefined,
      dependsOn: deps.mongodb.server ? [deps.mongodb.server] : [],
    },
    opts,
  );
}
