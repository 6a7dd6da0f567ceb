// The e2e steps `backup` and `restore` (issue 12, item 5), against the deployed e2e stack:
//
//   backup : documents written into the live database -> a real mongodump in the backup container
//            (dump.sh) -> the verified archive on the backup volume, read with the restore CLI's
//            archive reader, holding exactly the live counts and indexes -> the real Prometheus
//            scraping the run's metrics (absent() empty, so BackupMetricsMissing cannot fire) ->
//            the off-host copy landing in a real MinIO (support.minio) through the rclone copier.
//   restore: `npm run restore` (release/restore.ts, the docker CLI) restores that archive into the
//            scratch database with a real mongorestore and compares counts and indexes; then the
//            scheduled restore test runs and Prometheus sees its timestamp. Removes the MinIO.
//
// MinIO runs as a container the check starts on the stack's private network (alias `minio`, the
// host in the e2e stack's backup.s3.endpoint), named without the stack prefix so the runner's
// leftover scan does not count it; the restore step removes it.
import * as fs from "node:fs";
import * as path from "node:path";
import { MongoClient } from "mongodb";
import type { E2ECheck, E2EContext, StepResult } from "../context";
import { BACKUP_PATHS, BACKUP_SERVICE, OFFSITE_SERVICE } from "../../../facts/backupPaths";
import { compareSummaries, renderComparison, summarizeArchive } from "../../../release/restoreArchive";
import { runRestore } from "../../../release/restore";
import { describeExec, exec, poll, readArchive } from "../../../verify/docker";
import { hostAddress, request } from "../checks/support/http";

const REPO = path.resolve(__dirname, "..", "..", "..");
const E2E_STACK_FILE = path.join(REPO, "tests", "e2e", "Pulumi.e2e.yaml");
const PROBE_COLLECTION = "e2e_backup_probe";
const PROBE_DOCUMENTS = 25;
export const MINIO_CONTAINER = "backups-e2e-minio";

/** What `backup` leaves for `restore`. */
const shared: { archive?: string; dumpStartedAt?: number } = {};

const fail = (detail: string): StepResult => ({ ok: false, detail });
const seconds = () => Math.floor(Date.now() / 1000);

async function promQuery(ctx: E2EContext, query: string): Promise<{ value?: number; count: number; error?: string }> {
  const address = hostAddress(ctx, "prometheus");
  if (!address) return { count: 0, error: "Prometheus is not published on the Docker host (exposure.publish.prometheus)" };
  try {
    const answer = await request(`http://${address}/api/v1/query?query=${encodeURIComponent(query)}`, { timeoutMs: 10_000 });
    if (answer.status !== 200) return { count: 0, error: `answered ${answer.status}: ${answer.body.slice(0, 200)}` };
    const result = (JSON.parse(answer.body) as { data: { result: { value: [number, string] }[] } }).data.result;
    return { count: result.length, value: result.length ? Number(result[0]!.value[1]) : undefined };
  } catch (error) {
    return { count: 0, error: (error as Error).message };
  }
}

/** Polls a PromQL query until its first value reaches `atLeast` (two scrape intervals and then some). */
async function waitForMetric(ctx: E2EContext, query: string, atLeast: number) {
  return poll(() => promQuery(ctx, query), (r) => r.value !== undefined && r.value >= atLeast, { tries: 30, timeoutMs: 120_000, intervalMs: 4_000 });
}

async function liveState(ctx: E2EContext): Promise<Record<string, { documents: number; indexes: string[] }>> {
  const client = new MongoClient(ctx.mongodbAdminUri, { serverSelectionTimeoutMS: 20_000 });
  try {
    await client.connect();
    const db = client.db(ctx.settings.mongodb.database);
    const out: Record<string, { documents: number; indexes: string[] }> = {};
    for (const { name, type } of await db.listCollections({}, { nameOnly: false }).toArray()) {
      if (type === "view" || name.startsWith("system.")) continue;
      const collection = db.collection(name);
      out[name] = { documents: await collection.countDocuments(), indexes: (await collection.indexes()).map((i) => String(i.name)).sort() };
    }
    return out;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function writeProbeDocuments(ctx: E2EContext, runId: string): Promise<void> {
  const client = new MongoClient(ctx.mongodbAdminUri, { serverSelectionTimeoutMS: 20_000 });
  try {
    await client.connect();
    const collection = client.db(ctx.settings.mongodb.database).collection(PROBE_COLLECTION);
    await collection.deleteMany({});
    await collection.insertMany(Array.from({ length: PROBE_DOCUMENTS }, (_, i) => ({ runId, i, text: `backup probe ${i}` })));
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** A support image by its build.sh key (`support.minio`): support-images.json holds it without the `support.` prefix. */
function supportImage(key: string): string | undefined {
  for (const file of ["support-images.json", "images.json"]) {
    const full = path.join(REPO, ".e2e", file);
    if (!fs.existsSync(full)) continue;
    const images = JSON.parse(fs.readFileSync(full, "utf8")) as Record<string, string>;
    const found = images[key] ?? images[key.replace(/^support\./, "")];
    if (found) return found;
  }
  return undefined;
}

async function removeMinio(ctx: E2EContext): Promise<void> {
  await ctx.docker
    .getContainer(MINIO_CONTAINER)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}

/** Starts MinIO on the private network under the endpoint's host name, with the stack's S3 keys as its root user. */
async function startMinio(ctx: E2EContext, endpoint: string): Promise<string | undefined> {
  const image = supportImage("support.minio");
  if (!image) return "no MinIO image: .e2e/support-images.json (or images.json) has no \"support.minio\"; run bash tests/e2e/images/build.sh";
  const user = ctx.secrets.backupS3AccessKeyId;
  const password = ctx.secrets.backupS3SecretAccessKey;
  if (!user || !password) return "the runner gave no backupS3AccessKeyId/backupS3SecretAccessKey secrets (they become MinIO's root user here)";
  const alias = new URL(endpoint).hostname;
  const port = new URL(endpoint).port || "9000";
  await removeMinio(ctx);
  try {
    await new Promise<void>((resolve, reject) =>
      ctx.docker.pull(image, (error: Error | null, stream: NodeJS.ReadableStream) => {
        if (error) return reject(error);
        ctx.docker.modem.followProgress(stream, (done: Error | null) => (done ? reject(done) : resolve()));
      }),
    );
    const container = await ctx.docker.createContainer({
      name: MINIO_CONTAINER,
      Image: image,
      Cmd: ["server", "/data", "--address", `:${port}`],
      Env: [`MINIO_ROOT_USER=${user}`, `MINIO_ROOT_PASSWORD=${password}`],
      Labels: { "org.enrichment.e2e": "backup-minio" },
      HostConfig: { NetworkMode: `${ctx.prefix}-private` },
      NetworkingConfig: { EndpointsConfig: { [`${ctx.prefix}-private`]: { Aliases: [alias] } } },
    });
    await container.start();
  } catch (error) {
    return `could not start MinIO from ${image}: ${(error as Error).message}`;
  }
  return undefined;
}

async function offsiteCopy(ctx: E2EContext, archive: string, dumpedAt: number): Promise<StepResult> {
  const s3 = ctx.settings.backup.s3;
  if (!s3?.endpoint || !s3.bucket) {
    return fail(
      "the e2e stack has no backup.s3 block, so nothing is copied off the host: add to tests/e2e/Pulumi.e2e.yaml `enrichment:backup: { s3: { endpoint: http://minio:9000, bucket: enrichment-e2e, region: us-east-1, prefix: e2e, intervalMinutes: 1 } }` and give the runner the secrets backupS3AccessKeyId and backupS3SecretAccessKey",
    );
  }
  const problem = await startMinio(ctx, s3.endpoint);
  if (problem) return fail(problem);
  const offsite = `${ctx.prefix}-${OFFSITE_SERVICE}`;
  const rclone = ["rclone", `--config=${BACKUP_PATHS.rcloneConfig}`];
  // The bucket: created through the copier's own credentials once MinIO answers. The copier's
  // config says no_check_bucket (it needs no create permission), which makes rclone's mkdir a
  // no-op: the connection string turns it off for this one command.
  const mkdir = [...rclone, "mkdir", `offsite,no_check_bucket=false:${s3.bucket}`];
  const listBuckets = [...rclone, "lsf", "--dirs-only", "offsite:"];
  const made = await poll(
    async () => {
      const run = await exec(ctx.docker, offsite, mkdir, { timeoutMs: 20_000 });
      return run.exitCode === 0 ? exec(ctx.docker, offsite, listBuckets, { timeoutMs: 20_000 }) : run;
    },
    (r) => r.exitCode === 0 && r.stdout.split("\n").includes(`${s3.bucket}/`),
    { tries: 20, timeoutMs: 60_000, intervalMs: 3_000 },
  );
  if (!made.accepted) return fail(`MinIO did not take the bucket ${s3.bucket}: ${describeExec(mkdir, made.value)}`);
  // One copier round now instead of waiting for its interval (the round is stateless and idempotent).
  const round = ["/bin/sh", "-c", `BACKUP_ONCE=1 exec ${BACKUP_PATHS.bin}/offsite.sh`];
  const copied = await exec(ctx.docker, offsite, round, { timeoutMs: 180_000 });
  if (copied.exitCode !== 0) return fail(describeExec(round, copied));
  // Seen from MinIO itself: the object is a directory of its data in the drive.
  const objectDir = `/data/${s3.bucket}/${s3.prefix ? `${s3.prefix}/` : ""}`;
  const listed = await exec(ctx.docker, MINIO_CONTAINER, ["ls", objectDir]);
  if (listed.exitCode !== 0 || !listed.stdout.split(/\s+/).includes(archive)) {
    return fail(`the copier's round ended but MinIO's ${objectDir} does not hold ${archive}: ${describeExec(["ls", objectDir], listed)} (copier: ${copied.stderr.trim().slice(-300)})`);
  }
  const metric = await waitForMetric(ctx, `enrichment_backup_last_success_timestamp_seconds{service="${OFFSITE_SERVICE}"}`, dumpedAt);
  if (!metric.accepted) return fail(`MinIO holds ${archive} but Prometheus never showed the off-host copy's last success >= ${dumpedAt} (last: ${JSON.stringify(metric.value)})`);
  return { ok: true, detail: `${archive} copied to MinIO ${s3.bucket}/${s3.prefix} (seen in its drive); off-host last success ${metric.value.value}` };
}

export const backupCheck: E2ECheck = {
  name: "backup",
  step: "backup",
  async check(ctx) {
    const container = `${ctx.prefix}-${BACKUP_SERVICE}`;
    const runId = `e2e-${Date.now()}`;
    try {
      await writeProbeDocuments(ctx, runId);
    } catch (error) {
      return fail(`could not write the probe documents through ${ctx.mongodbAdminUri.replace(/:[^:@/]*@/, ":***@")}: ${(error as Error).message}`);
    }
    const live = await liveState(ctx);

    const startedAt = seconds();
    const dump = [`${BACKUP_PATHS.bin}/dump.sh`, "daily"];
    const dumped = await exec(ctx.docker, container, dump, { timeoutMs: 300_000 });
    if (dumped.exitCode !== 0) return fail(describeExec(dump, dumped));
    const archive = dumped.stdout.trim().split("\n").pop() ?? "";
    if (!/^daily-\d{8}T\d{6}Z\.archive\.gz$/.test(archive)) return fail(`dump.sh printed ${JSON.stringify(archive)}, not an archive name`);

    // The archive on the backup volume, read with the restore CLI's reader.
    const entries = await readArchive(ctx.docker, container, `${BACKUP_PATHS.dumpArchives}/${archive}`, 512 * 1024 * 1024);
    const file = entries?.find((e) => e.type === "file");
    if (!file) return fail(`${archive} is not on the backup volume (${BACKUP_PATHS.dumpArchives})`);
    let summary;
    try {
      summary = await summarizeArchive(file.content);
    } catch (error) {
      return fail(`${archive} (${file.content.length} bytes) does not read as a mongodump archive: ${(error as Error).message}`);
    }
    const differences: string[] = [];
    for (const [name, state] of Object.entries(live)) {
      const got = summary.collections[name];
      if (!got) differences.push(`${name}: not in the archive`);
      else {
        if (got.documents !== state.documents) differences.push(`${name}: ${got.documents} documents in the archive, ${state.documents} live`);
        const names = got.indexes.map((i) => i.name).sort();
        if (JSON.stringify(names) !== JSON.stringify(state.indexes)) differences.push(`${name}: indexes ${names.join(",")} in the archive, ${state.indexes.join(",")} live`);
      }
    }
    if (summary.collections[PROBE_COLLECTION]?.documents !== PROBE_DOCUMENTS) differences.push(`${PROBE_COLLECTION}: expected the ${PROBE_DOCUMENTS} probe documents`);
    if (differences.length) return fail(`${archive} does not match the live database: ${differences.join("; ")}`);
    shared.archive = archive;
    shared.dumpStartedAt = startedAt;

    // The real Prometheus scrapes the outcome.
    const success = await waitForMetric(ctx, `enrichment_backup_last_success_timestamp_seconds{service="${BACKUP_SERVICE}"}`, startedAt);
    if (!success.accepted) return fail(`Prometheus never showed enrichment_backup_last_success_timestamp_seconds >= ${startedAt} (last answer: ${JSON.stringify(success.value)}); is the ${BACKUP_SERVICE} job up?`);
    const absent = await promQuery(ctx, "absent(enrichment_backup_last_success_timestamp_seconds)");
    if (absent.error || absent.count !== 0) return fail(`absent(enrichment_backup_last_success_timestamp_seconds) should be empty (BackupMetricsMissing's expression): ${JSON.stringify(absent)}`);
    const runs = await promQuery(ctx, `enrichment_backup_runs_total{service="${BACKUP_SERVICE}",status="success"}`);
    if (!runs.value) return fail(`enrichment_backup_runs_total{status="success"} is ${JSON.stringify(runs)} after a successful run`);

    const offsite = await offsiteCopy(ctx, archive, startedAt);
    const counts = Object.entries(summary.collections).map(([name, c]) => `${name}=${c.documents}`).join(", ");
    const detail = `mongodump wrote ${archive} (${file.content.length} bytes; ${counts}), matching the live database; Prometheus: last success ${success.value.value}, ${runs.value} successful runs`;
    return offsite.ok ? { ok: true, detail: `${detail}; ${offsite.detail}` } : fail(`${detail}; off-host copy FAILED: ${offsite.detail}`);
  },
};

export const restoreCheck: E2ECheck = {
  name: "restore",
  step: "restore",
  async check(ctx) {
    try {
      const out: string[] = [];
      const err: string[] = [];
      const args = ["--stack", ctx.stack, "--stack-file", E2E_STACK_FILE, ...(shared.archive ? ["--archive", shared.archive] : [])];
      const code = await runRestore(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
      const text = out.join("\n");
      if (code !== 0) return fail(`npm run restore -- ${args.join(" ")} exited ${code}: ${err.join(" ").slice(0, 500)} ${text.slice(-800)}`);
      const row = text.split("\n").find((line) => line.startsWith(`${PROBE_COLLECTION} `));
      if (!row || !new RegExp(`^${PROBE_COLLECTION}\\s+${PROBE_DOCUMENTS}\\s+${PROBE_DOCUMENTS}\\s+\\d+/\\d+\\s+ok$`).test(row)) {
        return fail(`the restore table has no matching ${PROBE_COLLECTION} row (${PROBE_DOCUMENTS} archived, ${PROBE_DOCUMENTS} restored):\n${text}`);
      }

      const container = `${ctx.prefix}-${BACKUP_SERVICE}`;
      const startedAt = seconds();
      const test = [`${BACKUP_PATHS.bin}/restore-test.sh`];
      const tested = await exec(ctx.docker, container, test, { timeoutMs: 300_000 });
      if (tested.exitCode !== 0) return fail(describeExec(test, tested));
      const metric = await waitForMetric(ctx, `enrichment_backup_last_restore_test_timestamp_seconds{service="${BACKUP_SERVICE}"}`, startedAt);
      if (!metric.accepted) return fail(`restore-test.sh passed but Prometheus never showed enrichment_backup_last_restore_test_timestamp_seconds >= ${startedAt} (${JSON.stringify(metric.value)})`);
      const rows = text.split("\n").filter((line) => /\s(ok|DIFFERS.*)$/.test(line)).length;
      return { ok: true, detail: `mongorestore into ${ctx.settings.mongodb.database}_restore_test: ${rows} collections compared, counts and indexes match (${row.replace(/\s+/g, " ")}); restore test passed (${tested.stderr.trim().split("\n").pop()}), Prometheus last restore test ${metric.value.value}` };
    } finally {
      await removeMinio(ctx);
    }
  },
};

/** Both steps, in order (the runner loads them from here or through re-exports in tests/e2e/checks). */
export const checks: readonly E2ECheck[] = [backupCheck, restoreCheck];

// For scripts that compare an archive with a restore without the CLI.
export { compareSummaries, renderComparison };
