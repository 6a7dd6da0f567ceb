// dump.sh with the real MongoDB database tools against a real MongoDB-wire server (FerretDB over
// SQLite on loopback), and the restore CLI's archive reader on what the real mongodump wrote.
// Needs mongodump/mongorestore and ferretdb binaries: the e2e cache has them after
// `tests/e2e/images/go-build.sh mongo-tools ferretdb` (or set BACKUP_TOOLS_DIR and FERRETDB_BIN).
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithTools, tool, ToolName } from "./tools";
import { compareSummaries, renderComparison, summarizeArchive } from "../release/restoreArchive";
import { freePort } from "./fixtures/net";

const SCRIPTS = path.resolve(__dirname, "..", "planes", "backup", "scripts");
/**
 * The binaries of the row go-build.sh builds with the current patches (tests/tools.json: mongo-tools,
 * ferretdb), or the folders BACKUP_TOOLS_DIR and FERRETDB_BIN name.
 */
const BACKUP_TOOLS: ToolName[] = [...(process.env.BACKUP_TOOLS_DIR ? [] : (["mongo-tools"] as const)), ...(process.env.FERRETDB_BIN ? [] : (["ferretdb"] as const)), "busybox"];
const TOOLS = process.env.BACKUP_TOOLS_DIR ?? (tool("mongo-tools").path && path.dirname(tool("mongo-tools").path!));
const FERRETDB = process.env.FERRETDB_BIN ?? tool("ferretdb").path;

describeWithTools(BACKUP_TOOLS, "dump.sh with the real mongodump against FerretDB", () => {
  let dir: string;
  let server: ChildProcess;
  let uri: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "backup-real-"));
    fs.mkdirSync(path.join(dir, "data"));
    fs.mkdirSync(path.join(dir, "state"));
    const port = await freePort();
    server = spawn(FERRETDB!, ["--handler=sqlite", `--sqlite-url=file:${dir}/data/`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${dir}/state`, "--telemetry=disable", "--log-level=warn"], { stdio: "ignore" });
    uri = `mongodb://127.0.0.1:${port}/?directConnection=true`;
    fs.writeFileSync(path.join(dir, "backup.yaml"), `uri: ${JSON.stringify(uri)}\n`);
    for (let i = 0; i < 50; i++) {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500 });
      try {
        await client.connect();
        const db = client.db("enrichment");
        await db.collection("ocr_jobs").insertMany(Array.from({ length: 17 }, (_, n) => ({ job_id: n, status: n % 2 ? "done" : "new", created_at: new Date() })));
        await db.collection("ocr_jobs").createIndex({ job_id: 1, status: 1, created_at: 1 });
        await db.collection("cost_records").insertMany(Array.from({ length: 4 }, (_, n) => ({ enrichment_job_id: n, timestamp: new Date() })));
        await db.collection("cost_records").createIndex({ timestamp: 1 });
        // Secondary indexes (one a TTL) in the restore half: mongorestore sends each with an
        // `ns` option, which unpatched FerretDB 1.24 refuses (patches/ferretdb-v1.24.2-index-options.patch).
        const plain = client.db("plain");
        await plain.collection("review_queue").insertMany(Array.from({ length: 9 }, (_, n) => ({ document_id: n, status: "new", completed_at: new Date() })));
        await plain.collection("review_queue").createIndex({ document_id: 1, status: 1 });
        await plain.collection("review_queue").createIndex({ completed_at: 1 }, { expireAfterSeconds: 2592000 });
        await plain.collection("cost_records").insertMany(Array.from({ length: 2 }, (_, n) => ({ n })));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await client.close().catch(() => undefined);
      }
    }
    throw new Error("FerretDB did not come up");
  }, 60_000);

  afterAll(() => {
    server?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The scripts' environment for one database: archives and metrics in folders of its own (`<folder>archives`), the scratch database beside it. */
  const scriptEnv = (database: string, folder: string, extra: Record<string, string> = {}) => ({
    PATH: `${TOOLS}:${process.env.PATH}`,
    BACKUP_DIR: path.join(dir, `${folder}archives`),
    BACKUP_METRICS_DIR: path.join(dir, `${folder}metrics`),
    BACKUP_DATABASE: database,
    BACKUP_SCRATCH_DATABASE: `${database}_restore_test`,
    BACKUP_MONGO_CONFIG: path.join(dir, "backup.yaml"),
    ...extra,
  });
  /** The "plain" database's (the restore test and npm run restore's halves share its archives). */
  const plainEnv = () => scriptEnv("plain", "plain-");

  it("writes a verified archive whose counts and indexes are the live database's", async () => {
    const archives = path.join(dir, "archives");
    const result = spawnSync("busybox", ["sh", path.join(SCRIPTS, "dump.sh"), "daily"], {
      env: scriptEnv("enrichment", "", { BACKUP_RETENTION_DAYS: "30", BACKUP_KEEP_LATEST: "7" }),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const name = result.stdout.trim();
    expect(name).toMatch(/^daily-\d{8}T\d{6}Z\.archive\.gz$/);
    // mongodump's own per-collection report, recorded beside the archive.
    expect(fs.readFileSync(path.join(archives, `${name}.counts`), "utf8")).toBe("cost_records 4\nocr_jobs 17\n");
    const summary = await summarizeArchive(fs.readFileSync(path.join(archives, name)));
    expect(summary.database).toBe("enrichment");
    expect(Object.fromEntries(Object.entries(summary.collections).map(([c, s]) => [c, s.documents]))).toEqual({ ocr_jobs: 17, cost_records: 4 });
    expect(summary.collections.ocr_jobs!.indexes.map((i) => i.name)).toEqual(["_id_", "job_id_1_status_1_created_at_1"]);
    expect(summary.collections.cost_records!.indexes.find((i) => i.name === "timestamp_1")?.key).toBe('{"timestamp":1}');
    const metrics = fs.readFileSync(path.join(dir, "metrics", "mongodb-backup.prom"), "utf8");
    expect(metrics).toContain('enrichment_backup_runs_total{service="mongodb-backup",status="success"} 1');
  }, 90_000);

  it("the restore test restores with the real mongorestore into the scratch database and compares counts", async () => {
    const env = plainEnv();
    const dumped = spawnSync("busybox", ["sh", path.join(SCRIPTS, "dump.sh"), "daily"], { env, encoding: "utf8", timeout: 60_000 });
    expect(dumped.status, dumped.stderr).toBe(0);
    const tested = spawnSync("busybox", ["sh", path.join(SCRIPTS, "restore-test.sh")], { env, encoding: "utf8", timeout: 60_000 });
    expect(tested.status, tested.stderr).toBe(0);
    expect(tested.stderr).toContain("2 collections, 11 documents, counts match");
    const client = new MongoClient(uri);
    try {
      await client.connect();
      expect(await client.db("plain_restore_test").collection("review_queue").countDocuments()).toBe(9);
    } finally {
      await client.close();
    }
    expect(fs.readFileSync(path.join(dir, "plain-metrics", "mongodb-backup.prom"), "utf8")).toContain('enrichment_backup_restore_test_runs_total{service="mongodb-backup",status="success"} 1');
  }, 90_000);

  it("npm run restore's halves: restore.sh scratch, then export-scratch read back and compared with the archive", async () => {
    const env = plainEnv();
    const sh = (...args: string[]) => spawnSync("busybox", ["sh", path.join(SCRIPTS, "restore.sh"), ...args], { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    const name = sh("list").stdout.toString().trim().split("\n")[0]!;
    const archive = await summarizeArchive(sh("cat", name).stdout);
    const scratch = sh("scratch", name);
    expect(scratch.status, scratch.stderr.toString()).toBe(0);
    expect(scratch.stdout.toString()).toBe("cost_records 2 0\nreview_queue 9 0\n");
    const exported = sh("export-scratch");
    expect(exported.status, exported.stderr.toString()).toBe(0);
    const comparison = compareSummaries(archive, await summarizeArchive(exported.stdout));
    expect(comparison.ok, renderComparison(comparison)).toBe(true);
    expect(comparison.rows.map((r) => [r.collection, r.archive, r.scratch])).toEqual([
      ["cost_records", 2, 2],
      ["review_queue", 9, 9],
    ]);
    // The secondary indexes came back, the TTL with its option.
    const client = new MongoClient(uri);
    try {
      await client.connect();
      const indexes = await client.db("plain_restore_test").collection("review_queue").indexes();
      expect(indexes.map((i) => i.name).sort()).toEqual(["_id_", "completed_at_1", "document_id_1_status_1"]);
      expect(indexes.find((i) => i.name === "completed_at_1")?.expireAfterSeconds).toBe(2592000);
    } finally {
      await client.close();
    }
  }, 90_000);

  it("restore.sh apply (npm run restore --apply's last step) dumps the live database first, then replaces it with the real mongorestore", async () => {
    // FerretDB has no roles: the restore user's config points at the same server.
    const env = scriptEnv("applied", "apply-", { BACKUP_RESTORE_CONFIG: path.join(dir, "backup.yaml") });
    const sh = (script: string, ...args: string[]) => spawnSync("busybox", ["sh", path.join(SCRIPTS, script), ...args], { env, encoding: "utf8", timeout: 60_000 });
    const client = new MongoClient(uri);
    try {
      await client.connect();
      const items = client.db("applied").collection("items");
      await items.insertMany(Array.from({ length: 6 }, (_, n) => ({ n, state: "before" })));
      await items.createIndex({ n: 1 });
      const dumped = sh("dump.sh", "daily");
      expect(dumped.status, dumped.stderr).toBe(0);
      const archive = dumped.stdout.trim();

      // The incident: documents lost and a stray one written after the dump.
      await items.deleteMany({ n: { $gte: 2 } });
      await items.insertOne({ n: 99, state: "after" });

      const refused = sh("restore.sh", "apply", "daily-19700101T000000Z.archive.gz");
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain("no archive daily-19700101T000000Z.archive.gz");
      expect(await items.countDocuments()).toBe(3);

      const applied = sh("restore.sh", "apply", archive);
      expect(applied.status, applied.stderr).toBe(0);
      const safety = applied.stdout.trim();
      expect(safety).toMatch(/^pre-restore-\d{8}T\d{6}Z\.archive\.gz$/);
      // The live database is the archive's again: the lost documents back, the stray one gone, the index kept.
      expect((await items.find({}, { projection: { _id: 0, n: 1 } }).sort({ n: 1 }).toArray()).map((d) => d.n)).toEqual([0, 1, 2, 3, 4, 5]);
      expect((await items.indexes()).map((i) => i.name).sort()).toEqual(["_id_", "n_1"]);
      // The pre-restore dump holds the state it replaced, so the apply can itself be undone.
      const undo = await summarizeArchive(fs.readFileSync(path.join(env.BACKUP_DIR, safety)));
      expect(undo.collections.items?.documents).toBe(3);
    } finally {
      await client.close();
    }
  }, 120_000);

  it("a server that is gone fails the run and leaves the archives alone", async () => {
    const archives = path.join(dir, "archives");
    const before = fs.readdirSync(archives).sort();
    fs.writeFileSync(path.join(dir, "gone.yaml"), `uri: "mongodb://127.0.0.1:9/?directConnection=true&serverSelectionTimeoutMS=1000"\n`);
    const result = spawnSync("busybox", ["sh", path.join(SCRIPTS, "dump.sh"), "daily"], {
      env: scriptEnv("enrichment", "", {
        BACKUP_MONGO_CONFIG: path.join(dir, "gone.yaml"),
        BACKUP_NOW: String(Math.floor(Date.now() / 1000) + 86400),
        // mongodump waits for an unreachable server without end: the scripts bound it.
        BACKUP_TOOL_TIMEOUT_SECONDS: "3",
        BACKUP_TOOL_KILL_SECONDS: "2",
      }),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/mongodump exited (124|137|143) /);
    expect(result.stderr).toContain("after at most 3s");
    expect(fs.readdirSync(archives).sort()).toEqual(before);
    expect(fs.readFileSync(path.join(dir, "metrics", "mongodb-backup.prom"), "utf8")).toContain('enrichment_backup_runs_total{service="mongodb-backup",status="failed"} 1');
  }, 90_000);
});
