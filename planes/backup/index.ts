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
// The scripts are in ./scripts and are uploaded as they are; tests/backup.scripts.suite.ts runs
// them with busybox sh against fake mongodump/mongorestore and the real rclone.
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { BackupSettings } from "../../config/backup";
import { wgetTest } from "../monitoring/exporters";
import type { ScrapeTarget } from "../monitoring/prometheus";
import { dockerEnvironment } from "../../components/dockerCommand";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/context";
import type { ConfigFile } from "../../components/serviceSpec";
import { deployService, PlatformService, stateVolume } from "../../components/deploy";
import { LABEL_PREFIX } from "../../facts/services";
import { BACKUP_PATHS, BACKUP_SERVICE, METRICS_SERVICE, OFFSITE_SERVICE } from "../../facts/backupPaths";

export { BACKUP_PATHS, BACKUP_SERVICE, METRICS_SERVICE, OFFSITE_SERVICE };
const METRICS_PORT = 9100;

const SCRIPTS_DIR = path.join(__dirname, "scripts");
/** Which scripts each container receives. */
const SCRIPTS = {
  dump: ["lib.sh", "scheduler.sh", "dump.sh", "snapshot.sh", "restore.sh", "restore-test.sh", "health.sh"],
  offsite: ["lib.sh", "offsite.sh", "health.sh"],
} as const;

/** The scripts as the containers receive them (also what the synth writes out). */
export function backupScripts(which: keyof typeof SCRIPTS): ConfigFile[] {
  return scriptFiles(SCRIPTS_DIR, SCRIPTS[which], BACKUP_PATHS.bin);
}

/**
 * The engine-neutral part of the framework, which another database's backup container receives
 * beside its own dump.sh and restore.sh (planes/ingestion/postgresBackup.ts).
 */
export const SHARED_BACKUP_SCRIPTS = ["lib.sh", "scheduler.sh", "snapshot.sh", "restore-test.sh", "health.sh"] as const;
export const OFFSITE_SCRIPTS = SCRIPTS.offsite;
export const BACKUP_SCRIPTS_DIR = SCRIPTS_DIR;

/** Files of `dir` as executable uploads under `bin`. */
export function scriptFiles(dir: string, files: readonly string[], bin: string): ConfigFile[] {
  return files.map((file) => ({ path: `${bin}/${file}`, content: fs.readFileSync(path.join(dir, file), "utf8"), executable: true }));
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

export interface MongoBackupArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  settings: BackupSettings;
  /** The application database (what is dumped) and the scratch database (where restores are tested). */
  database: string;
  scratchDatabase: string;
  images: { backup: string; offsite: string; metrics: string };
  /** URI of the backup user (a Pulumi secret). */
  backupUri: pulumi.Input<string>;
  /** URI of the restore user (a Pulumi secret); without it `restore --apply` refuses. */
  restoreUri?: pulumi.Input<string>;
  offsite?: OffsiteStorage;
  /** The release whose change takes a snapshot (version and images), and the canary's candidate if any. */
  release: { version: string; images: Record<string, string> };
  canary?: { version: string; images: Record<string, string> };
  /** What the backup container waits for (a healthy MongoDB). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** mongo-tools' --config file: the URI, so the password never appears on a command line. */
export function mongoToolsConfig(uri: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.output(uri).apply((value) => `uri: ${JSON.stringify(value)}\n`));
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

/** Environment of the scripts (no secrets: those are files). */
export function backupEnvironment(args: Pick<MongoBackupArgs, "settings" | "database" | "scratchDatabase">): Record<string, string> {
  return {
    BACKUP_SERVICE: BACKUP_SERVICE,
    BACKUP_DIR: BACKUP_PATHS.dumpArchives,
    BACKUP_METRICS_DIR: BACKUP_PATHS.dumpMetrics,
    BACKUP_SCHEDULE: args.settings.schedule,
    BACKUP_RESTORE_TEST_SCHEDULE: args.settings.restoreTest.schedule,
    BACKUP_RETENTION_DAYS: String(args.settings.retentionDays),
    BACKUP_KEEP_LATEST: String(args.settings.keepLatest),
    BACKUP_DATABASE: args.database,
    BACKUP_SCRATCH_DATABASE: args.scratchDatabase,
    BACKUP_MONGO_CONFIG: BACKUP_PATHS.mongoConfig,
    BACKUP_TOOL_TIMEOUT_SECONDS: String(args.settings.toolTimeoutMinutes * 60),
  };
}

export class MongoBackup extends pulumi.ComponentResource {
  readonly archiveVolume: docker.Volume;
  readonly metricsVolume: docker.Volume;
  readonly server: PlatformService;
  readonly metrics: PlatformService;
  readonly offsite?: PlatformService;
  /** The pre-release snapshot (undefined when backup.snapshotBeforeRelease is false). */
  readonly snapshot?: command.local.Command;
  /** The backup container's name: `docker exec <it> /backup/bin/restore.sh ...`. */
  readonly containerName: string;
  /** Prometheus job for the metrics files (both services' series; honor_labels keeps their `service`). */
  readonly scrapeTargets: ScrapeTarget[];

  constructor(name: string, args: MongoBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:backup:MongoBackup", name, {}, opts);
    validate(name, args);
    const { context, network, settings } = args;
    const resources = settings.resources;

    const volume = (volumeName: string, protect: boolean) => stateVolume(volumeName, { context, protect, role: "data" }, { parent: this });
    // The archives are state: protected like the database. The metrics are rebuilt from the state
    // files on the archive volume at every start.
    this.archiveVolume = volume("mongodb-backups", context.protectState);
    this.metricsVolume = volume("mongodb-backup-metrics", false);

    const environment = backupEnvironment(args);
    this.server = deployService(
      BACKUP_SERVICE,
      {
        context,
        network,
        service: BACKUP_SERVICE,
        group: "data",
        image: args.images.backup,
        imageKey: "backup",
        // The mongo image's entrypoint starts mongod; this container only runs the tools. It runs
        // as the image's user (root: the image has no USER), which reads the 0440 root:root
        // secret files; it has no host mount, no port and no route out.
        entrypoint: ["/bin/sh", `${BACKUP_PATHS.bin}/scheduler.sh`],
        env: { ...environment, ...(args.restoreUri ? { BACKUP_RESTORE_CONFIG: BACKUP_PATHS.restoreConfig } : {}) },
        secretFiles: [
          { path: BACKUP_PATHS.mongoConfig, content: mongoToolsConfig(args.backupUri) },
          ...(args.restoreUri ? [{ path: BACKUP_PATHS.restoreConfig, content: mongoToolsConfig(args.restoreUri) }] : []),
        ],
        files: backupScripts("dump"),
        healthcheck: { test: ["CMD", "sh", `${BACKUP_PATHS.bin}/health.sh`], intervalSeconds: 30, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 20 },
        waitTimeoutSeconds: 120,
        ...resources.dump,
        volumes: [
          { volume: this.archiveVolume, containerPath: BACKUP_PATHS.dumpArchives },
          { volume: this.metricsVolume, containerPath: BACKUP_PATHS.dumpMetrics },
        ],
        placement: "data",
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );
    this.containerName = this.server.containerName;

    if (args.offsite) {
      const intervalSeconds = args.offsite.intervalMinutes * 60;
      this.offsite = deployService(
        OFFSITE_SERVICE,
        {
          context,
          network,
          service: OFFSITE_SERVICE,
          group: "data",
          image: args.images.offsite,
          imageKey: "backupOffsite",
          entrypoint: ["/bin/sh", `${BACKUP_PATHS.bin}/offsite.sh`],
          env: {
            ...environment,
            BACKUP_SERVICE: OFFSITE_SERVICE,
            BACKUP_DIR: BACKUP_PATHS.archives,
            BACKUP_METRICS_DIR: BACKUP_PATHS.metrics,
            // The archive volume is read-only here; the copier's own state sits beside the metrics.
            BACKUP_STATE_DIR: `${BACKUP_PATHS.metrics}/.offsite`,
            BACKUP_REMOTE: remotePath(args.offsite),
            BACKUP_OFFSITE_INTERVAL_SECONDS: String(intervalSeconds),
            BACKUP_HEALTH_MAX_AGE: String(2 * intervalSeconds + 300),
            RCLONE_CONFIG: BACKUP_PATHS.rcloneConfig,
          },
          secretFiles: [{ path: BACKUP_PATHS.rcloneConfig, content: rcloneConfig(args.offsite) }],
          files: backupScripts("offsite"),
          healthcheck: { test: ["CMD", "sh", `${BACKUP_PATHS.bin}/health.sh`], intervalSeconds: 60, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 30 },
          waitTimeoutSeconds: 120,
          ...resources.offsite,
          // The storage is outside the host.
          egress: true,
          volumes: [
            { volume: this.archiveVolume, containerPath: BACKUP_PATHS.archives, readOnly: true },
            { volume: this.metricsVolume, containerPath: BACKUP_PATHS.metrics },
          ],
          placement: "data",
          dependsOn: [this.server],
        },
        { parent: this },
      );
    }

    // node-exporter with only the textfile collector: serves the *.prom files the scripts write
    // atomically. Its own go_/process_ series come along; the backup series keep their `service`.
    this.metrics = deployService(
      METRICS_SERVICE,
      {
        context,
        network,
        service: METRICS_SERVICE,
        group: "monitoring",
        image: args.images.metrics,
        imageKey: "nodeExporter",
        command: ["--collector.disable-defaults", "--collector.textfile", `--collector.textfile.directory=${BACKUP_PATHS.metrics}`, `--web.listen-address=:${METRICS_PORT}`],
        healthcheck: { test: wgetTest(METRICS_PORT, "/metrics") },
        waitTimeoutSeconds: 60,
        ...resources.metrics,
        volumes: [{ volume: this.metricsVolume, containerPath: BACKUP_PATHS.metrics, readOnly: true }],
        placement: "data",
      },
      { parent: this },
    );
    this.scrapeTargets = [{ job: BACKUP_SERVICE, targets: [`${METRICS_SERVICE}:${METRICS_PORT}`] }];

    if (settings.snapshotBeforeRelease) {
      // Replaced (so run again) only when the release's version or images change; an unchanged
      // release takes no snapshot. It fails, and stops `pulumi up` before any release container
      // is replaced, when the dump or its verification fails. Deleting it keeps the archive.
      // A canary runs new code against the same database: its candidate is part of the trigger.
      const { label, triggers } = releaseSnapshot(args.release, args.canary);
      this.snapshot = new command.local.Command(
        "pre-release-snapshot",
        {
          // On a swarm, a job with the backup service's image, secrets, scripts and volumes on the data node.
          create: this.server.exec(() => [`${BACKUP_PATHS.bin}/snapshot.sh`, label], { timeoutSeconds: settings.snapshotTimeoutMinutes * 60 }),
          environment: dockerEnvironment(context.dockerHost),
          triggers,
        },
        { parent: this, dependsOn: [this.server], customTimeouts: { create: `${settings.snapshotTimeoutMinutes}m` } },
      );
    }

    this.registerOutputs({ containerName: this.containerName, snapshotArchive: this.snapshot?.stdout });
  }
}

function validate(name: string, args: MongoBackupArgs): void {
  const problems: string[] = [];
  if (!args.database) problems.push("database is required");
  if (args.scratchDatabase === args.database) problems.push(`scratchDatabase must differ from database (${args.database}): restore tests overwrite it`);
  if (!args.backupUri) problems.push("backupUri is required (managed: the generated backup user; external: enrichment:mongodbBackupUri)");
  if (!args.release.version) problems.push("release.version is required: snapshots are named after it");
  if (problems.length) throw new Error(`MongoBackup ${name}: ${problems.join("; ")}`);
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
