// The backups in the graph, both stacks under Pulumi's mock runtime (synth/index.ts): the
// pre-release snapshot runs before every release container and only when the release changes,
// the backup users exist with least privilege, secrets are files, the metrics are scraped.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackFile } from "../config/stackFile";
import { BACKUP_PATHS, BACKUP_SERVICE, METRICS_SERVICE, OFFSITE_SERVICE } from "../planes/backup";
import { BACKUP_USERS_INIT_PATH } from "../planes/data/backupUsers";
import { Evaluation, Graph, labelOf, ResourceRecord, synthesize } from "../synth";

const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command";
const VOLUME = "docker:index/volume:Volume";
type Upload = { file: string; content?: string; executable?: boolean };
const uploads = (record: ResourceRecord) => record.inputs.uploads as Upload[];
const envOf = (record: ResourceRecord): Record<string, string> =>
  Object.fromEntries((record.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

const S3 = { endpoint: "https://s3.eu-central-1.amazonaws.com", bucket: "enrichment-backups", region: "eu-central-1", prefix: "staging" };
const S3_SECRETS = { backupS3AccessKeyId: "AKIAEXAMPLE", backupS3SecretAccessKey: "s3-secret-example" };

const evaluations: Record<string, Evaluation> = {};
/** The committed stack file's values (release version, database name). */
const valuesOf = (stack: string) => readStackFile(path.resolve(__dirname, "..", `Pulumi.${stack}.yaml`)).raw.values as Record<string, any>;
beforeAll(async () => {
  const [staging, production, withS3, otherWorkers, otherImage, nextRelease, disabled, canary] = await Promise.all([
    synthesize({ stack: "staging" }),
    synthesize({ stack: "production" }),
    synthesize({ stack: "staging", overrides: { backup: { s3: S3 } }, secrets: S3_SECRETS }),
    synthesize({ stack: "staging", overrides: { workers: { replicas: 3 } } }),
    synthesize({ stack: "staging", overrides: { images: { grafana: "grafana/grafana:11.3.2" } } }),
    synthesize({ stack: "staging", overrides: { release: { version: "9.9.9" } } }),
    synthesize({ stack: "staging", overrides: { backup: { enabled: false } } }),
    synthesize({
      stack: "staging",
      overrides: { canary: { release: { version: "9.9.9-rc1", images: { "enrichment-worker": `registry.example.org/enrichment/enrichment-worker:9.9.9@sha256:${"c".repeat(64)}` } }, workers: 1 } },
    }),
  ]);
  Object.assign(evaluations, { staging, production, withS3, otherWorkers, otherImage, nextRelease, disabled, canary });
}, 240_000);

describe.each(["staging", "production"])("%s backups", (stack) => {
  const graph = () => new Graph(evaluations[stack]!.records);

  it("every container that runs a release image waits for the pre-release snapshot; nothing else does", () => {
    const g = graph();
    const snapshot = g.byName(COMMAND, "pre-release-snapshot");
    const containers = g.ofType(CONTAINER);
    const release = containers.filter((c) => labelOf(c, "release") !== undefined);
    expect(release.length).toBeGreaterThanOrEqual(10);
    for (const container of containers) {
      const waits = g.transitiveDependencies(container.urn).has(snapshot.urn);
      expect(waits, `${container.name} ${labelOf(container, "release") ? "runs a release" : "runs no release"}`).toBe(labelOf(container, "release") !== undefined);
    }
    // The snapshot itself waits for the backup container, which waits for a healthy MongoDB.
    const backup = g.byName(CONTAINER, BACKUP_SERVICE);
    expect(snapshot.dependsOn).toContain(backup.urn);
    expect(g.transitiveDependencies(backup.urn).has(g.byName(CONTAINER, "mongodb").urn)).toBe(true);
    expect(snapshot.inputs.create).toBe(`docker exec ${stack}-${BACKUP_SERVICE} ${BACKUP_PATHS.bin}/snapshot.sh ${valuesOf(stack).release.version}`);
  });

  it("the backup container: the scripts, the backup user's URI as a secret file, private network only, archives on a protected volume", () => {
    const g = graph();
    const backup = g.byName(CONTAINER, BACKUP_SERVICE);
    const files = uploads(backup);
    for (const script of ["scheduler.sh", "dump.sh", "snapshot.sh", "restore.sh", "restore-test.sh", "lib.sh", "health.sh"]) {
      const file = files.find((f) => f.file === `${BACKUP_PATHS.bin}/${script}`);
      expect(file?.executable, script).toBe(true);
    }
    expect(files.find((f) => f.file === BACKUP_PATHS.mongoConfig)?.content).toBe("[secret]");
    expect(files.find((f) => f.file === BACKUP_PATHS.restoreConfig)?.content).toBe("[secret]");
    const env = envOf(backup);
    expect(env).toMatchObject({ BACKUP_SCHEDULE: "02:30", BACKUP_RETENTION_DAYS: "30", BACKUP_MONGO_CONFIG: BACKUP_PATHS.mongoConfig });
    expect(JSON.stringify(env)).not.toMatch(/mongodb:\/\/|password/i);
    expect((backup.inputs.networksAdvanced as { name: string }[]).map((n) => n.name)).toEqual([`${stack}-private`]);
    expect(backup.inputs.ports ?? []).toEqual([]);
    const volume = g.byName(VOLUME, "mongodb-backups");
    expect(volume.protect).toBe(stack === "production");
    expect((backup.inputs.volumes as { volumeName: string; containerPath: string }[]).map((v) => v.containerPath)).toEqual([BACKUP_PATHS.dumpArchives, BACKUP_PATHS.dumpMetrics]);
  });

  it("MongoDB's init creates the backup user (read + scratch readWrite) and the restore user (readWrite), never with root", () => {
    const g = graph();
    const mongodb = g.byName(CONTAINER, "mongodb");
    const init = uploads(mongodb).find((f) => f.file === BACKUP_USERS_INIT_PATH)!;
    const database: string = valuesOf(stack).mongodb?.database ?? "enrichment";
    expect(init.content).toContain(`ensure("backup", read("mongodb-backup-password"), [{"role":"read","db":"${database}"},{"role":"readWrite","db":"${database}_restore_test"}]);`);
    expect(init.content).toContain(`ensure("restore", read("mongodb-restore-password"), [{"role":"readWrite","db":"${database}"}]);`);
    expect(init.content).not.toMatch(/"role":"(root|backup|restore|dbOwner|readWriteAnyDatabase)"/);
    for (const name of ["mongodb-backup-password", "mongodb-restore-password"]) {
      expect(uploads(mongodb).find((f) => f.file === `/run/secrets/${name}`)?.content).toBe("[secret]");
    }
  });

  it("Prometheus scrapes the backup metrics with their own service label", () => {
    const prometheus = graph().byName(CONTAINER, "prometheus");
    const config = uploads(prometheus).find((f) => f.file.endsWith("prometheus.yml"))!.content!;
    expect(config).toMatch(new RegExp(`job_name: ${BACKUP_SERVICE}\\n\\s+honor_labels: true\\n\\s+static_configs:\\n\\s+- targets:\\n\\s+- ${METRICS_SERVICE}:9100`));
    const metrics = graph().byName(CONTAINER, METRICS_SERVICE);
    expect(metrics.inputs.command).toContain(`--collector.textfile.directory=${BACKUP_PATHS.metrics}`);
    expect((metrics.inputs.volumes as { readOnly: boolean }[]).every((v) => v.readOnly)).toBe(true);
  });
});

describe("the pre-release snapshot runs only when the release changes", () => {
  const snapshotOf = (name: string) => new Graph(evaluations[name]!.records).byName(COMMAND, "pre-release-snapshot").inputs;

  it("a change outside the release leaves the snapshot's inputs (and so the resource) as they were", () => {
    expect(snapshotOf("otherWorkers")).toEqual(snapshotOf("staging"));
    expect(snapshotOf("otherImage")).toEqual(snapshotOf("staging"));
  });

  it("a new release changes its triggers, so it is replaced and runs again, named after the new release", () => {
    const before = snapshotOf("staging");
    const after = snapshotOf("nextRelease");
    expect(after.triggers).not.toEqual(before.triggers);
    expect((after.triggers as string[])[0]).toBe("9.9.9");
    expect(after.create).toMatch(/snapshot\.sh 9\.9\.9$/);
  });

  it("a canary (new code on the same database) is a change too, with its own snapshot name; its workers wait for it", () => {
    const after = snapshotOf("canary");
    expect(after.triggers).not.toEqual(snapshotOf("staging").triggers);
    expect(after.triggers as string[]).toContain("canary:9.9.9-rc1");
    expect(after.create).toBe(`docker exec staging-${BACKUP_SERVICE} ${BACKUP_PATHS.bin}/snapshot.sh ${valuesOf("staging").release.version}+canary-9.9.9-rc1`);
    const g = new Graph(evaluations.canary!.records);
    const snapshot = g.byName(COMMAND, "pre-release-snapshot");
    const candidate = g.ofType(CONTAINER).find((c) => labelOf(c, "release") === "9.9.9-rc1");
    expect(candidate, "a container runs the candidate").toBeDefined();
    expect(g.transitiveDependencies(candidate!.urn).has(snapshot.urn)).toBe(true);
  });

  it("backup.enabled false: no backup resources, nothing waits", () => {
    const g = new Graph(evaluations.disabled!.records);
    // (The ingestion plane's backup role keeps its password: its database's init created the role.)
    expect(g.records.filter((r) => r.name.includes("backup") && r.name !== "postgres-backup-password")).toEqual([]);
    expect(g.ofType(COMMAND).map((c) => c.name)).not.toContain("pre-release-snapshot");
  });
});

describe("the off-host copy", () => {
  it("runs in its own container: rclone config as a secret file, the archives read-only, a route out, no MongoDB credential", () => {
    const g = new Graph(evaluations.withS3!.records);
    const offsite = g.byName(CONTAINER, OFFSITE_SERVICE);
    expect(uploads(offsite).find((f) => f.file === BACKUP_PATHS.rcloneConfig)?.content).toBe("[secret]");
    expect(uploads(offsite).map((f) => f.file)).not.toContain(BACKUP_PATHS.mongoConfig);
    const env = envOf(offsite);
    expect(env.BACKUP_REMOTE).toBe("offsite:enrichment-backups/staging");
    expect(JSON.stringify(env)).not.toContain(S3_SECRETS.backupS3SecretAccessKey);
    expect(JSON.stringify(env)).not.toContain(S3_SECRETS.backupS3AccessKeyId);
    const volumes = offsite.inputs.volumes as { containerPath: string; readOnly: boolean }[];
    expect(volumes.find((v) => v.containerPath === BACKUP_PATHS.archives)?.readOnly).toBe(true);
    expect((offsite.inputs.networksAdvanced as { name: string }[]).map((n) => n.name)).toEqual(["staging-private", "staging-egress"]);
    // Without an S3 block there is no copier.
    expect(new Graph(evaluations.staging!.records).ofType(CONTAINER).map((c) => c.name)).not.toContain(OFFSITE_SERVICE);
  });
});
