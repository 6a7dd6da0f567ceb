// Names and paths of the backup service, shared by the component and the restore CLI (which must
// not load the Pulumi SDK just to know where restore.sh is).
export const BACKUP_SERVICE = "mongodb-backup";
export const OFFSITE_SERVICE = "mongodb-backup-offsite";
export const METRICS_SERVICE = "mongodb-backup-metrics";

/**
 * Paths inside the backup containers. The mongo image declares VOLUME /data/db /data/configdb; the
 * dump container mounts its two named volumes there (facts/images.ts `backup`), so Docker creates
 * no anonymous volume for them. The copier and the metrics server see them at /backup/*.
 */
export const BACKUP_PATHS = {
  bin: "/backup/bin",
  /** The archive volume in the dump container. */
  dumpArchives: "/data/db",
  /** The metrics volume in the dump container. */
  dumpMetrics: "/data/configdb",
  archives: "/backup/archives",
  metrics: "/backup/metrics",
  mongoConfig: "/run/secrets/mongodb-backup.yaml",
  restoreConfig: "/run/secrets/mongodb-restore.yaml",
  rcloneConfig: "/run/secrets/rclone.conf",
} as const;
