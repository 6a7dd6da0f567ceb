// One database's backups, whatever the database: the DatabaseBackup component. MongoDB's
// (MongoBackup, planes/backup/index.ts) and the ingestion plane's PostgreSQL's (PostgresBackup,
// planes/ingestion/postgresBackup.ts) are subclasses that give it their type (so each keeps its
// URNs) and their engine description: what differs (the dump container's image, its own dump.sh
// and restore.sh, its environment, its credentials as secret files, the volumes, the names). The
// rest is made here:
//
//   <dump>          the engine's image: scheduler.sh (daily dump, weekly restore test, metrics
//     file), the shared lib.sh, snapshot.sh, restore-test.sh, health.sh and the engine's dump.sh and
//     restore.sh (lib.sh's dump_main and restore_main with the engine's hooks)
//   <offsite>       (rclone; only with backup.s3) copies the archives off the host and applies the
//     same retention there; the one container with a route out and the S3 keys, and without any
//     database credential
//   <metrics>       (node-exporter, textfile collector only) serves the metrics files
//   <snapshot>      (exec snapshot.sh <release>) replaced when the release changes
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { BackupSettings } from "../../config/backup";
import type { ImageKey } from "../../facts/images";
import { wgetTest } from "../monitoring/exporters";
import type { ScrapeTarget } from "../monitoring/prometheus";
import { dockerEnvironment } from "../../components/dockerCommand";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/context";
import type { ConfigFile, SecretFile } from "../../components/serviceSpec";
import { deployService, PlatformService, stateVolume } from "../../components/deploy";

const METRICS_PORT = 9100;

/** The scripts of planes/backup/scripts, and which of them each container receives. */
export const BACKUP_SCRIPTS_DIR = path.join(__dirname, "scripts");
/** The engine-neutral part of the dump container's scripts; the engine adds its dump.sh and restore.sh. */
export const SHARED_BACKUP_SCRIPTS = ["lib.sh", "scheduler.sh", "snapshot.sh", "restore-test.sh", "health.sh"] as const;
export const OFFSITE_SCRIPTS = ["lib.sh", "offsite.sh", "health.sh"] as const;

/** Files of `dir` as executable uploads under `bin`. */
export function scriptFiles(dir: string, files: readonly string[], bin: string): ConfigFile[] {
  return files.map((file) => ({ path: `${bin}/${file}`, content: fs.readFileSync(path.join(dir, file), "utf8"), executable: true }));
}

export interface OffsiteStorage {
  endpoint: string;
  bucket: string;
  region: string;
  prefix: string;
  intervalMinutes: number;
  /** Pulumi secrets. */
  accessKeyId: pulumi.Input<string>;
  secretAccessKey: pulumi.Input<string>;
}

/** rclone's config for the S3-compatible remote "offsite" (a Pulumi secret: it holds the keys). */
export function rcloneConfig(storage: OffsiteStorage): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([storage.accessKeyId, storage.secretAccessKey]).apply(([id, key]) =>
      [
        "[offsite]",
        "type = s3",
        // "Other": any S3-compatible service (AWS, MinIO, Ceph, ...); rclone's generic dialect.
        "provider = Other",
        `endpoint = ${storage.endpoint}`,
        `region = ${storage.region}`,
        `access_key_id = ${id}`,
        `secret_access_key = ${key}`,
        // Path-style requests work with every S3-compatible server; the bucket must exist (no
        // create permission needed).
        "force_path_style = true",
        "no_check_bucket = true",
        "",
      ].join("\n"),
    ),
  );
}

export function remotePath(storage: Pick<OffsiteStorage, "bucket" | "prefix">): string {
  return `offsite:${storage.bucket}${storage.prefix ? `/${storage.prefix}` : ""}`;
}

/**
 * What a release changes and how its snapshot is named: the version and every image (and the
 * canary's candidate, which runs new code against the same data). A snapshot command triggered by
 * these runs again exactly when the release changes.
 */
export function releaseSnapshot(release: { version: string; images: Record<string, string> }, canary?: { version: string; images: Record<string, string> }): { label: string; triggers: string[] } {
  const images = (of: { images: Record<string, string> }, prefix = "") =>
    Object.entries(of.images).sort(([a], [b]) => a.localeCompare(b)).map(([service, image]) => `${prefix}${service}=${image}`);
  return {
    label: canary ? `${release.version}+canary-${canary.version}` : release.version,
    triggers: [release.version, ...images(release), ...(canary ? [`canary:${canary.version}`, ...images(canary, "canary:")] : [])],
  };
}

/** What every database's backup is given by the stack. */
export interface DatabaseBackupArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  settings: BackupSettings;
  /** The application database (what is dumped) and the scratch database (where restores are tested). */
  database: string;
  scratchDatabase: string;
  /** The dump container's image (the engine's dump and restore tools), the copier's (rclone) and the metrics server's. */
  images: { backup: string; offsite: string; metrics: string };
  offsite?: OffsiteStorage;
  /** The release whose change takes a snapshot (version and images), and the canary's candidate if any. */
  release: { version: string; images: Record<string, string> };
  canary?: { version: string; images: Record<string, string> };
  /** What the dump container waits for (a healthy database). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Paths inside the backup containers (facts/backupPaths.ts, facts/ingestion.ts). */
export interface BackupPaths {
  bin: string;
  /** The archive and metrics volumes in the dump container. */
  dumpArchives: string;
  dumpMetrics: string;
  /** The same volumes in the copier and the metrics server. */
  archives: string;
  metrics: string;
  rcloneConfig: string;
}

/** What one database's backup differs in. */
export interface BackupEngine {
  /** The three containers' service names. */
  services: { dump: string; offsite: string; metrics: string };
  /** facts/images.ts's entry of the dump container's image (args.images.backup). */
  imageKey: ImageKey;
  paths: BackupPaths;
  /** The engine's dump.sh and restore.sh (the hooks of lib.sh's dump_main and restore_main), from `dir`. */
  scripts: { dir: string; files: readonly string[] };
  /** The archives' suffix, when not lib.sh's default (mongodump's ".archive.gz"). */
  archiveSuffix?: string;
  /** The dump container's own settings beside the shared ones: never a secret (those are secretFiles). */
  environment: Record<string, string>;
  /** The credentials of the engine's tools, as files only the service's user reads. */
  secretFiles: SecretFile[];
  /**
   * The archive and metrics volumes: made by the caller (to outlive the component), or made here
   * under these names, the archives protected like the database (context.protectState) and the
   * metrics not (they are rebuilt from the state files on the archive volume at every start).
   */
  volumes: { archive: docker.Volume; metrics: docker.Volume } | { archiveName: string; metricsName: string };
  /** The copier's folder under the storage's prefix (undefined: the prefix itself). */
  remoteFolder?: string;
  /** The pre-release snapshot's resource name. */
  snapshotName: string;
  /** Labels of every container (beside the ones each service gets). */
  labels?: Record<string, string>;
  /** What is wrong with the engine's own arguments (a missing credential), each saying what to change. */
  problems: string[];
}

/** The problems of the arguments every backup shares, each saying what to change; empty when fine. */
export function databaseBackupProblems(args: DatabaseBackupArgs): string[] {
  const problems: string[] = [];
  if (!args.database) problems.push("database is required");
  if (args.scratchDatabase === args.database) problems.push(`scratchDatabase must differ from database (${args.database}): restore tests overwrite it`);
  if (!args.release.version) problems.push("release.version is required: snapshots are named after it");
  return problems;
}

/** Environment of the dump container's scripts (no secrets: those are files). */
export function backupEnvironment(engine: Pick<BackupEngine, "services" | "paths" | "archiveSuffix" | "environment">, args: Pick<DatabaseBackupArgs, "settings" | "database" | "scratchDatabase">): Record<string, string> {
  const { settings } = args;
  return {
    BACKUP_SERVICE: engine.services.dump,
    BACKUP_DIR: engine.paths.dumpArchives,
    BACKUP_METRICS_DIR: engine.paths.dumpMetrics,
    ...(engine.archiveSuffix ? { BACKUP_ARCHIVE_SUFFIX: engine.archiveSuffix } : {}),
    BACKUP_SCHEDULE: settings.schedule,
    BACKUP_RESTORE_TEST_SCHEDULE: settings.restoreTest.schedule,
    BACKUP_RETENTION_DAYS: String(settings.retentionDays),
    BACKUP_KEEP_LATEST: String(settings.keepLatest),
    BACKUP_DATABASE: args.database,
    BACKUP_SCRATCH_DATABASE: args.scratchDatabase,
    BACKUP_TOOL_TIMEOUT_SECONDS: String(settings.toolTimeoutMinutes * 60),
    ...engine.environment,
  };
}

/**
 * One database's backup: its containers, its volumes (unless given) and its pre-release snapshot.
 * Each database's component is a subclass that names its type (so the URNs are its own) and passes
 * its engine; the arguments are checked before anything is made.
 */
export abstract class DatabaseBackup extends pulumi.ComponentResource {
  readonly archiveVolume: docker.Volume;
  readonly metricsVolume: docker.Volume;
  readonly server: PlatformService;
  /** The off-host copier (undefined without backup.s3). */
  readonly offsite?: PlatformService;
  readonly metrics: PlatformService;
  /** The pre-release snapshot (undefined when backup.snapshotBeforeRelease is false). */
  readonly snapshot?: command.local.Command;
  /** The dump container's name: `docker exec <it> <bin>/restore.sh ...`. */
  readonly containerName: string;
  /** Prometheus job for the metrics files (both services' series; honor_labels keeps their `service`). */
  readonly scrapeTargets: ScrapeTarget[];

  protected constructor(type: string, name: string, engine: BackupEngine, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    const problems = [...databaseBackupProblems(args), ...engine.problems];
    if (problems.length) throw new Error(`${type.split(":").pop()} ${name}: ${problems.join("; ")}`);
    const { context, network, settings } = args;
    const { paths, services } = engine;
    const resources = settings.resources;
    const environment = backupEnvironment(engine, args);
    const health = `${paths.bin}/health.sh`;

    const volumes = engine.volumes;
    if ("archive" in volumes) {
      this.archiveVolume = volumes.archive;
      this.metricsVolume = volumes.metrics;
    } else {
      const volume = (volumeName: string, protect: boolean) => stateVolume(volumeName, { context, protect, role: "data" }, { parent: this });
      this.archiveVolume = volume(volumes.archiveName, context.protectState);
      this.metricsVolume = volume(volumes.metricsName, false);
    }

    this.server = deployService(
      services.dump,
      {
        context,
        network,
        service: services.dump,
        group: "data",
        image: args.images.backup,
        imageKey: engine.imageKey,
        // The image's entrypoint starts the database; this container only runs the tools. It runs as
        // the image's user (root: neither image has a USER), which reads the 0440 root:root secret
        // files; it has no host mount, no port and no route out.
        entrypoint: ["/bin/sh", `${paths.bin}/scheduler.sh`],
        env: environment,
        secretFiles: engine.secretFiles,
        files: [...scriptFiles(BACKUP_SCRIPTS_DIR, SHARED_BACKUP_SCRIPTS, paths.bin), ...scriptFiles(engine.scripts.dir, engine.scripts.files, paths.bin)],
        healthcheck: { test: ["CMD", "sh", health], intervalSeconds: 30, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 20 },
        waitTimeoutSeconds: 120,
        ...resources.dump,
        volumes: [
          { volume: this.archiveVolume, containerPath: paths.dumpArchives },
          { volume: this.metricsVolume, containerPath: paths.dumpMetrics },
        ],
        labels: engine.labels,
        placement: "data",
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );
    this.containerName = this.server.containerName;

    if (args.offsite) {
      const intervalSeconds = args.offsite.intervalMinutes * 60;
      this.offsite = deployService(
        services.offsite,
        {
          context,
          network,
          service: services.offsite,
          group: "data",
          image: args.images.offsite,
          imageKey: "backupOffsite",
          entrypoint: ["/bin/sh", `${paths.bin}/offsite.sh`],
          env: {
            BACKUP_SERVICE: services.offsite,
            BACKUP_DIR: paths.archives,
            BACKUP_METRICS_DIR: paths.metrics,
            // The archive volume is read-only here; the copier's own state sits beside the metrics.
            BACKUP_STATE_DIR: `${paths.metrics}/.offsite`,
            ...(engine.archiveSuffix ? { BACKUP_ARCHIVE_SUFFIX: engine.archiveSuffix } : {}),
            // The same retention as on the host.
            BACKUP_RETENTION_DAYS: environment.BACKUP_RETENTION_DAYS!,
            BACKUP_KEEP_LATEST: environment.BACKUP_KEEP_LATEST!,
            BACKUP_REMOTE: remotePath({ bucket: args.offsite.bucket, prefix: [args.offsite.prefix, engine.remoteFolder].filter(Boolean).join("/") }),
            BACKUP_OFFSITE_INTERVAL_SECONDS: String(intervalSeconds),
            BACKUP_HEALTH_MAX_AGE: String(2 * intervalSeconds + 300),
            RCLONE_CONFIG: paths.rcloneConfig,
          },
          secretFiles: [{ path: paths.rcloneConfig, content: rcloneConfig(args.offsite) }],
          files: scriptFiles(BACKUP_SCRIPTS_DIR, OFFSITE_SCRIPTS, paths.bin),
          healthcheck: { test: ["CMD", "sh", health], intervalSeconds: 60, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 30 },
          waitTimeoutSeconds: 120,
          ...resources.offsite,
          // The storage is outside the host.
          egress: true,
          volumes: [
            { volume: this.archiveVolume, containerPath: paths.archives, readOnly: true },
            { volume: this.metricsVolume, containerPath: paths.metrics },
          ],
          labels: engine.labels,
          placement: "data",
          dependsOn: [this.server],
        },
        { parent: this },
      );
    }

    // node-exporter with only the textfile collector: serves the *.prom files the scripts write
    // atomically. Its own go_/process_ series come along; the backup series keep their `service`.
    this.metrics = deployService(
      services.metrics,
      {
        context,
        network,
        service: services.metrics,
        group: "monitoring",
        image: args.images.metrics,
        imageKey: "nodeExporter",
        command: ["--collector.disable-defaults", "--collector.textfile", `--collector.textfile.directory=${paths.metrics}`, `--web.listen-address=:${METRICS_PORT}`],
        healthcheck: { test: wgetTest(METRICS_PORT, "/metrics") },
        waitTimeoutSeconds: 60,
        ...resources.metrics,
        volumes: [{ volume: this.metricsVolume, containerPath: paths.metrics, readOnly: true }],
        labels: engine.labels,
        placement: "data",
      },
      { parent: this },
    );
    this.scrapeTargets = [{ job: services.dump, targets: [`${services.metrics}:${METRICS_PORT}`] }];

    if (settings.snapshotBeforeRelease) {
      // Replaced (so run again) only when the release's version or images change; an unchanged
      // release takes no snapshot. It fails, and stops `pulumi up` before what waits for it is
      // replaced, when the dump or its verification fails. Deleting it keeps the archive.
      // A canary runs new code against the same database: its candidate is part of the trigger.
      const { label, triggers } = releaseSnapshot(args.release, args.canary);
      this.snapshot = new command.local.Command(
        engine.snapshotName,
        {
          // On a swarm, a job with the backup service's image, secrets, scripts and volumes on the data node.
          create: this.server.exec(() => [`${paths.bin}/snapshot.sh`, label], { timeoutSeconds: settings.snapshotTimeoutMinutes * 60 }),
          environment: dockerEnvironment(context.dockerHost),
          triggers,
        },
        { parent: this, dependsOn: [this.server], customTimeouts: { create: `${settings.snapshotTimeoutMinutes}m` } },
      );
    }

    this.registerOutputs({ containerName: this.containerName, snapshotArchive: this.snapshot?.stdout });
  }
}
