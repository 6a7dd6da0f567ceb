// PostgreSQL backups of the ingestion plane in the MongoDB backups' framework (planes/backup):
//
//   postgres-backup          (ingestion.images.postgresBackup: the postgres image's pg_dump,
//     pg_restore and psql) the shared scheduler.sh, snapshot.sh, restore-test.sh, health.sh and
//     lib.sh with PostgreSQL's own dump.sh (pg_dump -Fc, verified, row counts) and restore.sh
//     (scratch database, apply); daily dump, retention, weekly restore test, metrics file
//   postgres-backup-offsite  (images.backupOffsite, only with backup.s3) the shared offsite.sh,
//     into <prefix>/postgres of the same bucket
//   postgres-backup-metrics  (images.nodeExporter, textfile collector) serves the metrics files;
//     the backups' alerts (BackupTooOld, BackupFailed, RestoreTestTooOld) are by `service`, so
//     they cover these with no rule of their own
//   postgres-pre-release-snapshot  (docker exec snapshot.sh <release>) replaced when the release
//     changes; the migrations wait for it
//
// The containers and the snapshot are every database's (DatabaseBackup,
// planes/backup/databaseBackup.ts); what is PostgreSQL's is the engine below. The schedule,
// retention, S3 storage and tool limits are the stack's `backup` settings: one backup policy for
// every database of the stack.
import * as path from "node:path";
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import {
  INGESTION_PLANE,
  POSTGRES_ARCHIVE_SUFFIX,
  POSTGRES_BACKUP_METRICS_SERVICE,
  POSTGRES_BACKUP_OFFSITE_SERVICE,
  POSTGRES_BACKUP_PATHS,
  POSTGRES_BACKUP_SERVICE,
} from "../../facts/ingestion";
import { LABEL_PREFIX } from "../../facts/services";
import { BackupEngine, DatabaseBackup, DatabaseBackupArgs } from "../backup/databaseBackup";
import { pgpass } from "./postgres";

const ENGINE_SCRIPTS_DIR = path.join(__dirname, "backup-scripts");
/** PostgreSQL's own scripts; the rest is planes/backup/scripts. */
export const POSTGRES_SCRIPTS = ["dump.sh", "restore.sh"] as const;

export interface PostgresBackupArgs extends DatabaseBackupArgs {
  /** The server. */
  host: string;
  port: number;
  /** The backup role (pg_read_all_data, owns the scratch database) and the application role (`restore.sh apply`). */
  backupUser: string;
  backupPassword: pulumi.Input<string>;
  restoreUser: string;
  restorePassword: pulumi.Input<string>;
  /** The archive volume (created by the plane: it outlives the plane's containers). */
  archiveVolume: docker.Volume;
  metricsVolume: docker.Volume;
}

/**
 * PostgreSQL's part of the backups: the postgres image's pg_dump, pg_restore and psql, its dump.sh
 * and restore.sh, libpq's settings (no secrets) and the roles' passwords as one pgpass file.
 */
export function postgresBackupEngine(args: Omit<PostgresBackupArgs, keyof DatabaseBackupArgs>): BackupEngine {
  const problems: string[] = [];
  if (!args.backupUser || !args.restoreUser) problems.push("backupUser and restoreUser are required");
  else if (args.backupUser === args.restoreUser) problems.push(`backupUser must differ from restoreUser (${args.restoreUser}): only restore.sh apply may write the live database`);
  return {
    services: { dump: POSTGRES_BACKUP_SERVICE, offsite: POSTGRES_BACKUP_OFFSITE_SERVICE, metrics: POSTGRES_BACKUP_METRICS_SERVICE },
    imageKey: "postgresBackup",
    paths: POSTGRES_BACKUP_PATHS,
    scripts: { dir: ENGINE_SCRIPTS_DIR, files: POSTGRES_SCRIPTS },
    archiveSuffix: POSTGRES_ARCHIVE_SUFFIX,
    environment: {
      BACKUP_RESTORE_USER: args.restoreUser,
      // libpq reads these: the server, the backup role, and the roles' passwords from a file.
      PGHOST: args.host,
      PGPORT: String(args.port),
      PGUSER: args.backupUser,
      PGPASSFILE: POSTGRES_BACKUP_PATHS.passfile,
    },
    secretFiles: [
      {
        path: POSTGRES_BACKUP_PATHS.passfile,
        content: pgpass([
          { host: args.host, port: args.port, user: args.backupUser, password: args.backupPassword },
          { host: args.host, port: args.port, user: args.restoreUser, password: args.restorePassword },
        ]),
      },
    ],
    volumes: { archive: args.archiveVolume, metrics: args.metricsVolume },
    // Into <prefix>/postgres of the stack's bucket, beside MongoDB's archives.
    remoteFolder: "postgres",
    snapshotName: "postgres-pre-release-snapshot",
    labels: { [`${LABEL_PREFIX}.plane`]: INGESTION_PLANE },
    problems,
  };
}

/** The ingestion plane's PostgreSQL backups; the migrations wait for its snapshot. */
export class PostgresBackup extends DatabaseBackup {
  constructor(name: string, args: PostgresBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:ingestion:PostgresBackup", name, postgresBackupEngine(args), args, opts);
  }
}
