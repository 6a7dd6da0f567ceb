// MongoDB backups as glue around pinned third-party images, not a new application:
//
//   mongodb-backup          (images.backup: the mongo image's mongodump/mongorestore, POSIX sh)
//     scheduler.sh: daily dump -> verify -> rename -> retention; weekly restore test; metrics file
//     volumes: <prefix>-mongodb-backups (archives, protected) and <prefix>-mongodb-backup-metrics
//   mongodb-backup-offsite  (images.backupOffsite: rclone; only with backup.s3) copies the archives
//     off the host and applies the same retention there; the one container with a route out and
//     the S3 keys, and without any MongoDB credential
//   mongodb-backup-metrics  (images.nodeExporter, textfile collector only) serves the metrics files
//   pre-release-snapshot    (docker exec snapshot.sh <release>) replaced when the release changes;
//     every release container waits for it (platform/platform.ts)
//
// The containers, the volumes and the snapshot are every database's (DatabaseBackup,
// ./databaseBackup.ts); what is MongoDB's is the engine below: the mongo image,
// ./scripts/dump.sh and ./scripts/restore.sh (lib.sh's hooks), the mongo-tools config files with
// the users' URIs, and the names. The scripts are uploaded as they are;
// tests/backup.scripts.suite.ts runs them with busybox sh and dash against fake
// mongodump/mongorestore and the real rclone.
import * as pulumi from "@pulumi/pulumi";
import { LABEL_PREFIX } from "../../facts/services";
import { BACKUP_PATHS, BACKUP_SERVICE, METRICS_SERVICE, OFFSITE_SERVICE } from "../../facts/backupPaths";
import { BACKUP_SCRIPTS_DIR, BackupEngine, DatabaseBackup, DatabaseBackupArgs } from "./databaseBackup";

export { BACKUP_PATHS, BACKUP_SERVICE, METRICS_SERVICE, OFFSITE_SERVICE };
export { rcloneConfig, releaseSnapshot, remotePath } from "./databaseBackup";
export type { OffsiteStorage } from "./databaseBackup";

export interface MongoBackupArgs extends DatabaseBackupArgs {
  /** URI of the backup user (a Pulumi secret). */
  backupUri: pulumi.Input<string>;
  /** URI of the restore user (a Pulumi secret); without it `restore --apply` refuses. */
  restoreUri?: pulumi.Input<string>;
}

/** mongo-tools' --config file: the URI, so the password never appears on a command line. */
export function mongoToolsConfig(uri: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.output(uri).apply((value) => `uri: ${JSON.stringify(value)}\n`));
}

/** MongoDB's part of the backups: the mongo image's tools, its dump.sh and restore.sh, the users' URIs as config files. */
export function mongoBackupEngine(args: Pick<MongoBackupArgs, "backupUri" | "restoreUri">): BackupEngine {
  return {
    services: { dump: BACKUP_SERVICE, offsite: OFFSITE_SERVICE, metrics: METRICS_SERVICE },
    imageKey: "backup",
    paths: BACKUP_PATHS,
    scripts: { dir: BACKUP_SCRIPTS_DIR, files: ["dump.sh", "restore.sh"] },
    environment: {
      BACKUP_MONGO_CONFIG: BACKUP_PATHS.mongoConfig,
      ...(args.restoreUri ? { BACKUP_RESTORE_CONFIG: BACKUP_PATHS.restoreConfig } : {}),
    },
    secretFiles: [
      { path: BACKUP_PATHS.mongoConfig, content: mongoToolsConfig(args.backupUri) },
      ...(args.restoreUri ? [{ path: BACKUP_PATHS.restoreConfig, content: mongoToolsConfig(args.restoreUri) }] : []),
    ],
    volumes: { archiveName: "mongodb-backups", metricsName: "mongodb-backup-metrics" },
    snapshotName: "pre-release-snapshot",
    problems: args.backupUri ? [] : ["backupUri is required (managed: the generated backup user; external: enrichment:mongodbBackupUri)"],
  };
}

/** MongoDB's backups: `docker exec <prefix>-mongodb-backup /backup/bin/restore.sh ...` (containerName). */
export class MongoBackup extends DatabaseBackup {
  constructor(name: string, args: MongoBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:backup:MongoBackup", name, mongoBackupEngine(args), args, opts);
  }
}

/**
 * Resource transformation for a component whose containers run the release: each container that
 * carries a release label waits for the snapshot, so a changed release is dumped and verified
 * before any of them is replaced. (The SDK applies transformations in-process, mocks included.)
 */
export function waitForSnapshot(snapshot: pulumi.Resource): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    // A container on one host, a service on a swarm: both carry the release label.
    if (type !== "docker:index/container:Container" && type !== "docker:index/service:Service") return undefined;
    const labels = (props.labels ?? []) as { label: string; value: unknown }[];
    if (!labels.some((entry) => entry.label === `${LABEL_PREFIX}.release`)) return undefined;
    // ServiceContainer passes dependsOn as a plain array (or nothing).
    const existing = (opts.dependsOn === undefined ? [] : Array.isArray(opts.dependsOn) ? opts.dependsOn : [opts.dependsOn]) as pulumi.Input<pulumi.Resource>[];
    return { props, opts: { ...opts, dependsOn: [...existing, snapshot] } };
  };
}
