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
// The schedule, retention, S3 storage and tool limits are the stack's `backup` settings: one
// backup policy for every database of the stack.
import * as path from "node:path";
import * as command from "@pulumi/command";
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { BackupSettings } from "../../config/backup";
import { dockerEnvironment, dockerExec } from "../../components/dockerCommand";
import type { PlatformNetwork } from "../../components/network";
import { PlatformContext, ServiceContainer } from "../../components/serviceContainer";
import {
  INGESTION_PLANE,
  POSTGRES_ARCHIVE_SUFFIX,
  POSTGRES_BACKUP_METRICS_SERVICE,
  POSTGRES_BACKUP_OFFSITE_SERVICE,
  POSTGRES_BACKUP_PATHS,
  POSTGRES_BACKUP_SERVICE,
} from "../../facts/ingestion";
import { LABEL_PREFIX } from "../../facts/services";
import { BACKUP_SCRIPTS_DIR, OFFSITE_SCRIPTS, OffsiteStorage, rcloneConfig, releaseSnapshot, remotePath, scriptFiles, SHARED_BACKUP_SCRIPTS } from "../backup";
import { wgetTest } from "../monitoring/exporters";
import type { ScrapeTarget } from "../monitoring/prometheus";
import { pgpass } from "./postgres";

const METRICS_PORT = 9100;
const ENGINE_SCRIPTS_DIR = path.join(__dirname, "backup-scripts");
/** PostgreSQL's own scripts; the rest is planes/backup/scripts. */
export const POSTGRES_SCRIPTS = ["dump.sh", "restore.sh"] as const;

export interface PostgresBackupArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  settings: BackupSettings;
  /** The server and the databases: what is dumped, and where restores are tested. */
  host: string;
  port: number;
  database: string;
  scratchDatabase: string;
  /** The backup role (pg_read_all_data, owns the scratch database) and the application role (`restore.sh apply`). */
  backupUser: string;
  backupPassword: pulumi.Input<string>;
  restoreUser: string;
  restorePassword: pulumi.Input<string>;
  images: { backup: string; offsite: string; metrics: string };
  /** The archive volume (created by the plane: it outlives the plane's containers). */
  archiveVolume: docker.Volume;
  metricsVolume: docker.Volume;
  offsite?: OffsiteStorage;
  release: { version: string; images: Record<string, string> };
  canary?: { version: string; images: Record<string, string> };
  /** A healthy PostgreSQL. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Environment of the scripts (no secrets: the password file is a secret file). */
export function postgresBackupEnvironment(args: Pick<PostgresBackupArgs, "settings" | "host" | "port" | "database" | "scratchDatabase" | "backupUser" | "restoreUser">): Record<string, string> {
  return {
    BACKUP_SERVICE: POSTGRES_BACKUP_SERVICE,
    BACKUP_DIR: POSTGRES_BACKUP_PATHS.dumpArchives,
    BACKUP_METRICS_DIR: POSTGRES_BACKUP_PATHS.dumpMetrics,
    BACKUP_ARCHIVE_SUFFIX: POSTGRES_ARCHIVE_SUFFIX,
    BACKUP_SCHEDULE: args.settings.schedule,
    BACKUP_RESTORE_TEST_SCHEDULE: args.settings.restoreTest.schedule,
    BACKUP_RETENTION_DAYS: String(args.settings.retentionDays),
    BACKUP_KEEP_LATEST: String(args.settings.keepLatest),
    BACKUP_DATABASE: args.database,
    BACKUP_SCRATCH_DATABASE: args.scratchDatabase,
    BACKUP_RESTORE_USER: args.restoreUser,
    BACKUP_TOOL_TIMEOUT_SECONDS: String(args.settings.toolTimeoutMinutes * 60),
    // libpq reads these: the server, the backup role, and the roles' passwords from a file.
    PGHOST: args.host,
    PGPORT: String(args.port),
    PGUSER: args.backupUser,
    PGPASSFILE: POSTGRES_BACKUP_PATHS.passfile,
  };
}

export class PostgresBackup extends pulumi.ComponentResource {
  readonly server: ServiceContainer;
  readonly metrics: ServiceContainer;
  readonly offsite?: ServiceContainer;
  /** The pre-release snapshot (undefined when backup.snapshotBeforeRelease is false). */
  readonly snapshot?: command.local.Command;
  /** `docker exec <it> /backup/bin/restore.sh ...`. */
  readonly containerName: string;
  readonly scrapeTargets: ScrapeTarget[];

  constructor(name: string, args: PostgresBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:ingestion:PostgresBackup", name, {}, opts);
    if (args.scratchDatabase === args.database) throw new Error(`PostgresBackup ${name}: scratchDatabase must differ from database (${args.database}): restore tests empty it`);
    if (!args.release.version) throw new Error(`PostgresBackup ${name}: release.version is required: snapshots are named after it`);
    const { context, network, settings } = args;
    const resources = settings.resources;
    const labels = { [`${LABEL_PREFIX}.plane`]: INGESTION_PLANE };
    const environment = postgresBackupEnvironment(args);

    this.server = new ServiceContainer(
      POSTGRES_BACKUP_SERVICE,
      {
        context,
        network,
        service: POSTGRES_BACKUP_SERVICE,
        group: "data",
        image: args.images.backup,
        imageKey: "postgresBackup",
        // The image's entrypoint starts postgres; this container only runs the tools, as the
        // image's user (root), with no port and no route out.
        entrypoint: ["/bin/sh", `${POSTGRES_BACKUP_PATHS.bin}/scheduler.sh`],
        env: environment,
        secretFiles: [
          {
            path: POSTGRES_BACKUP_PATHS.passfile,
            content: pgpass([
              { host: args.host, port: args.port, user: args.backupUser, password: args.backupPassword },
              { host: args.host, port: args.port, user: args.restoreUser, password: args.restorePassword },
            ]),
          },
        ],
        files: [
          ...scriptFiles(BACKUP_SCRIPTS_DIR, SHARED_BACKUP_SCRIPTS, POSTGRES_BACKUP_PATHS.bin),
          ...scriptFiles(ENGINE_SCRIPTS_DIR, POSTGRES_SCRIPTS, POSTGRES_BACKUP_PATHS.bin),
        ],
        healthcheck: { test: ["CMD", "sh", `${POSTGRES_BACKUP_PATHS.bin}/health.sh`], intervalSeconds: 30, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 20 },
        waitTimeoutSeconds: 120,
        ...resources.dump,
        volumes: [
          { volume: args.archiveVolume, containerPath: POSTGRES_BACKUP_PATHS.dumpArchives },
          { volume: args.metricsVolume, containerPath: POSTGRES_BACKUP_PATHS.dumpMetrics },
        ],
        labels,
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );
    this.containerName = this.server.containerName;

    if (args.offsite) {
      const intervalSeconds = args.offsite.intervalMinutes * 60;
      this.offsite = new ServiceContainer(
        POSTGRES_BACKUP_OFFSITE_SERVICE,
        {
          context,
          network,
          service: POSTGRES_BACKUP_OFFSITE_SERVICE,
          group: "data",
          image: args.images.offsite,
          imageKey: "backupOffsite",
          entrypoint: ["/bin/sh", `${POSTGRES_BACKUP_PATHS.bin}/offsite.sh`],
          env: {
            BACKUP_SERVICE: POSTGRES_BACKUP_OFFSITE_SERVICE,
            BACKUP_DIR: POSTGRES_BACKUP_PATHS.archives,
            BACKUP_METRICS_DIR: POSTGRES_BACKUP_PATHS.metrics,
            BACKUP_STATE_DIR: `${POSTGRES_BACKUP_PATHS.metrics}/.offsite`,
            BACKUP_ARCHIVE_SUFFIX: POSTGRES_ARCHIVE_SUFFIX,
            BACKUP_RETENTION_DAYS: environment.BACKUP_RETENTION_DAYS,
            BACKUP_KEEP_LATEST: environment.BACKUP_KEEP_LATEST,
            BACKUP_REMOTE: remotePath({ bucket: args.offsite.bucket, prefix: [args.offsite.prefix, "postgres"].filter(Boolean).join("/") }),
            BACKUP_OFFSITE_INTERVAL_SECONDS: String(intervalSeconds),
            BACKUP_HEALTH_MAX_AGE: String(2 * intervalSeconds + 300),
            RCLONE_CONFIG: POSTGRES_BACKUP_PATHS.rcloneConfig,
          },
          secretFiles: [{ path: POSTGRES_BACKUP_PATHS.rcloneConfig, content: rcloneConfig(args.offsite) }],
          files: scriptFiles(BACKUP_SCRIPTS_DIR, OFFSITE_SCRIPTS, POSTGRES_BACKUP_PATHS.bin),
          healthcheck: { test: ["CMD", "sh", `${POSTGRES_BACKUP_PATHS.bin}/health.sh`], intervalSeconds: 60, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 30 },
          waitTimeoutSeconds: 120,
          ...resources.offsite,
          egress: true,
          volumes: [
            { volume: args.archiveVolume, containerPath: POSTGRES_BACKUP_PATHS.archives, readOnly: true },
            { volume: args.metricsVolume, containerPath: POSTGRES_BACKUP_PATHS.metrics },
          ],
          labels,
          dependsOn: [this.server],
        },
        { parent: this },
      );
    }

    this.metrics = new ServiceContainer(
      POSTGRES_BACKUP_METRICS_SERVICE,
      {
        context,
        network,
        service: POSTGRES_BACKUP_METRICS_SERVICE,
        group: "monitoring",
        image: args.images.metrics,
        imageKey: "nodeExporter",
        command: ["--collector.disable-defaults", "--collector.textfile", `--collector.textfile.directory=${POSTGRES_BACKUP_PATHS.metrics}`, `--web.listen-address=:${METRICS_PORT}`],
        healthcheck: { test: wgetTest(METRICS_PORT, "/metrics") },
        waitTimeoutSeconds: 60,
        ...resources.metrics,
        volumes: [{ volume: args.metricsVolume, containerPath: POSTGRES_BACKUP_PATHS.metrics, readOnly: true }],
        labels,
      },
      { parent: this },
    );
    this.scrapeTargets = [{ job: POSTGRES_BACKUP_SERVICE, targets: [`${POSTGRES_BACKUP_METRICS_SERVICE}:${METRICS_PORT}`] }];

    if (settings.snapshotBeforeRelease) {
      // As MongoDB's: replaced (so run again) only when the release changes; a failed dump or
      // verification stops `pulumi up` before the migrations run. Deleting it keeps the archive.
      const { label, triggers } = releaseSnapshot(args.release, args.canary);
      this.snapshot = new command.local.Command(
        "postgres-pre-release-snapshot",
        {
          create: dockerExec(this.containerName, [`${POSTGRES_BACKUP_PATHS.bin}/snapshot.sh`, label]),
          environment: dockerEnvironment(context.dockerHost),
          triggers,
        },
        { parent: this, dependsOn: [this.server], customTimeouts: { create: `${settings.snapshotTimeoutMinutes}m` } },
      );
    }

    this.registerOutputs({ containerName: this.containerName, snapshotArchive: this.snapshot?.stdout });
  }
}
