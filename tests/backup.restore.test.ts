// `npm run restore`: the mongodump archive reader (archives written here in mongo-tools' format,
// gzip and plain, collections split over interleaved blocks), the comparison of an archive with a
// scratch restore, and the CLI's decisions and exit codes against a scripted backup container.
import * as path from "node:path";
import * as zlib from "node:zlib";
import { BSON } from "mongodb";
import { describe, expect, it } from "vitest";
import { BackupCommandFailed, BackupExec, DockerUnreachable, runRestore, snapshotFor } from "../release/restore";
import { ArchiveFormatError, compareSummaries, renderComparison, summarizeArchive } from "../release/restoreArchive";
import { EXIT } from "../release/cli";

const ROOT = path.resolve(__dirname, "..");

interface FakeCollection {
  name: string;
  documents: number;
  indexes: { name: string; key: Record<string, number> }[];
}

/** An archive as mongodump writes it (mongo-tools common/archive), blocks of each collection interleaved. */
function writeArchive(db: string, collections: FakeCollection[], { gzip = true, blockSize = 2 } = {}): Buffer {
  const parts: Buffer[] = [];
  const u32 = (value: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0, 0);
    return b;
  };
  const doc = (value: Record<string, unknown>) => Buffer.from(BSON.serialize(value));
  const terminator = u32(0xffffffff);
  parts.push(u32(0x8199e26d), doc({ concurrent_collections: 4, version: "0.1", server_version: "7.0.14", tool_version: "100.10.0" }));
  for (const c of collections) {
    const metadata = BSON.EJSON.stringify(
      { indexes: c.indexes.map((i) => ({ v: new BSON.Int32(2), key: Object.fromEntries(Object.entries(i.key).map(([k, v]) => [k, new BSON.Int32(v)])), name: i.name })), collectionName: c.name, type: "collection" },
      { relaxed: false },
    );
    parts.push(doc({ db, collection: c.name, metadata, size: c.documents * 40, type: "collection" }));
  }
  parts.push(terminator);
  const remaining = new Map(collections.map((c) => [c.name, c.documents]));
  let serial = 0;
  while ([...remaining.values()].some((n) => n > 0)) {
    for (const c of collections) {
      const left = remaining.get(c.name)!;
      if (left === 0) continue;
      const take = Math.min(blockSize, left);
      parts.push(doc({ db, collection: c.name, EOF: false, CRC: BSON.Long.fromNumber(0) }));
      for (let i = 0; i < take; i++) parts.push(doc({ _id: serial++, text: "x".repeat(serial % 50), collection: c.name }));
      parts.push(terminator);
      remaining.set(c.name, left - take);
    }
  }
  for (const c of collections) parts.push(doc({ db, collection: c.name, EOF: true, CRC: BSON.Long.fromNumber(12345) }), terminator);
  const raw = Buffer.concat(parts);
  return gzip ? zlib.gzipSync(raw) : raw;
}

const COLLECTIONS: FakeCollection[] = [
  { name: "ocr_jobs", documents: 5, indexes: [{ name: "_id_", key: { _id: 1 } }, { name: "job_id_1_status_1_created_at_1", key: { job_id: 1, status: 1, created_at: 1 } }] },
  { name: "review_queue", documents: 3, indexes: [{ name: "_id_", key: { _id: 1 } }, { name: "completed_at_1", key: { completed_at: 1 } }] },
  { name: "empty", documents: 0, indexes: [{ name: "_id_", key: { _id: 1 } }] },
];

/** Yields a buffer in small chunks, so records straddle chunk boundaries. */
async function* chunks(buffer: Buffer, size = 7): AsyncIterable<Buffer> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

describe("reading a mongodump archive", () => {
  it.each([true, false])("counts documents per collection and reads index definitions (gzip %s)", async (gzip) => {
    const summary = await summarizeArchive(chunks(writeArchive("enrichment", COLLECTIONS, { gzip })));
    expect(summary.database).toBe("enrichment");
    expect(summary.serverVersion).toBe("7.0.14");
    expect(Object.fromEntries(Object.entries(summary.collections).map(([name, c]) => [name, c.documents]))).toEqual({ ocr_jobs: 5, review_queue: 3, empty: 0 });
    expect(summary.collections.ocr_jobs!.indexes).toEqual([
      { name: "_id_", key: '{"_id":1}' },
      { name: "job_id_1_status_1_created_at_1", key: '{"job_id":1,"status":1,"created_at":1}' },
    ]);
  });

  it("refuses what is not an archive, and an archive cut short", async () => {
    await expect(summarizeArchive(Buffer.from("hello world"))).rejects.toThrow(ArchiveFormatError);
    const whole = writeArchive("enrichment", COLLECTIONS, { gzip: false });
    await expect(summarizeArchive(whole.subarray(0, whole.length - 30))).rejects.toThrow(ArchiveFormatError);
    await expect(summarizeArchive(zlib.gzipSync(whole.subarray(0, 40)))).rejects.toThrow(ArchiveFormatError);
  });

  it("refuses an archive of several databases (a restore compares one)", async () => {
    const a = writeArchive("one", COLLECTIONS.slice(0, 1), { gzip: false });
    // Rewrite the second collection's metadata db by building a two-db prelude by hand.
    const two = writeArchive("two", COLLECTIONS.slice(1, 2), { gzip: false });
    expect(a.length).toBeGreaterThan(0);
    const mixed = Buffer.concat([a.subarray(0, a.indexOf(Buffer.from([0xff, 0xff, 0xff, 0xff]))), two.subarray(4 + BSON.serialize({ concurrent_collections: 4, version: "0.1", server_version: "7.0.14", tool_version: "100.10.0" }).length)]);
    await expect(summarizeArchive(mixed)).rejects.toThrow(/several databases/);
  });
});

describe("comparing the archive with the scratch restore", () => {
  it("matches when counts and indexes are the same; extra scratch collections are only reported", async () => {
    const archive = await summarizeArchive(writeArchive("enrichment", COLLECTIONS));
    const scratch = await summarizeArchive(writeArchive("enrichment_restore_test", [...COLLECTIONS, { name: "old", documents: 1, indexes: [] }]));
    const comparison = compareSummaries(archive, scratch);
    expect(comparison.ok).toBe(true);
    expect(comparison.extra).toEqual(["old"]);
    const table = renderComparison(comparison);
    expect(table.split("\n")[0]).toMatch(/^collection\s+archive docs\s+scratch docs\s+indexes \(archive\/scratch\)\s+result$/);
    expect(table).toMatch(/ocr_jobs\s+5\s+5\s+2\/2\s+ok/);
    expect(table).toContain("In the scratch database only (left from an earlier restore, not compared): old");
  });

  it("names every difference: a count, a missing or changed index, a missing collection", async () => {
    const archive = await summarizeArchive(writeArchive("enrichment", COLLECTIONS));
    const scratch = await summarizeArchive(
      writeArchive("enrichment_restore_test", [
        { ...COLLECTIONS[0]!, documents: 4 },
        { ...COLLECTIONS[1]!, indexes: [{ name: "_id_", key: { _id: 1 } }, { name: "completed_at_1", key: { completed_at: -1 } }] },
      ]),
    );
    const comparison = compareSummaries(archive, scratch);
    expect(comparison.ok).toBe(false);
    const problems = Object.fromEntries(comparison.rows.map((row) => [row.collection, row.problems]));
    expect(problems.ocr_jobs).toEqual(["4 documents restored, the archive holds 5"]);
    expect(problems.review_queue).toEqual(['indexes missing: completed_at_1 {"completed_at":1}', 'indexes not in the archive: completed_at_1 {"completed_at":-1}']);
    expect(problems.empty).toEqual(["not in the scratch database"]);
    expect(renderComparison(comparison)).toMatch(/ocr_jobs\s+5\s+4\s+2\/2\s+DIFFERS: 4 documents restored/);
  });
});

/** A scripted backup container: what restore.sh would answer, and what was asked. */
function fakeExec(options: { archives: string[]; scratch?: FakeCollection[]; failScratch?: boolean; unreachable?: boolean }) {
  const calls: string[][] = [];
  const exec: BackupExec = {
    async *stream(args) {
      calls.push(args);
      if (options.unreachable) throw new DockerUnreachable("Cannot connect to the Docker daemon at unix:///var/run/docker.sock");
      if (args[0] === "cat") yield writeArchive("enrichment", COLLECTIONS);
      else if (args[0] === "export-scratch") yield writeArchive("enrichment_restore_test", options.scratch ?? COLLECTIONS, { gzip: false });
      else if (args[0] === "list") yield Buffer.from(options.archives.join("\n") + "\n");
      else if (args[0] === "scratch") {
        if (options.failScratch) throw new BackupCommandFailed("restore.sh scratch exited 1: mongorestore into enrichment_restore_test failed");
        yield Buffer.from("ocr_jobs 5 0\n");
      } else if (args[0] === "apply") yield Buffer.from("pre-restore-20261201T090000Z.archive.gz\n");
    },
    async text(args) {
      const out: Buffer[] = [];
      for await (const chunk of exec.stream(args)) out.push(chunk);
      return Buffer.concat(out).toString();
    },
  };
  return { exec, calls };
}

const ARCHIVES = ["daily-20261201T023000Z.archive.gz", "pre-release-1.4.1-20261130T120000Z.archive.gz", "daily-20261130T023000Z.archive.gz"];

async function cli(argv: string[], fake: ReturnType<typeof fakeExec>) {
  const out: string[] = [];
  const err: string[] = [];
  let container = "";
  const code = await runRestore([...argv, "--dir", ROOT], { out: (t) => out.push(t), err: (t) => err.push(t) }, (name) => {
    container = name;
    return fake.exec;
  });
  return { code, out: out.join("\n"), err: err.join("\n"), container };
}

describe("npm run restore", () => {
  it("restores the newest archive into scratch, prints the table, and does not apply without --apply", async () => {
    const fake = fakeExec({ archives: ARCHIVES });
    const result = await cli(["--stack", "staging"], fake);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.container).toBe("staging-mongodb-backup");
    expect(fake.calls.map((c) => c[0])).toEqual(["list", "cat", "scratch", "export-scratch"]);
    expect(fake.calls[1]).toEqual(["cat", ARCHIVES[0]]);
    expect(result.out).toMatch(/review_queue\s+3\s+3\s+2\/2\s+ok/);
    expect(result.out).toContain(`npm run restore -- --stack staging --archive ${ARCHIVES[0]} --apply`);
  });

  it("--apply replaces the live database only after a matching scratch restore", async () => {
    const ok = fakeExec({ archives: ARCHIVES });
    const applied = await cli(["--stack", "staging", "--archive", ARCHIVES[2]!, "--apply"], ok);
    expect(applied.code).toBe(EXIT.ok);
    expect(ok.calls.at(-1)).toEqual(["apply", ARCHIVES[2]]);
    expect(applied.out).toContain("pre-restore-20261201T090000Z.archive.gz");

    const differs = fakeExec({ archives: ARCHIVES, scratch: COLLECTIONS.slice(0, 2) });
    const refused = await cli(["--stack", "staging", "--apply"], differs);
    expect(refused.code).toBe(EXIT.failed);
    expect(differs.calls.map((c) => c[0])).not.toContain("apply");
    expect(refused.out).toContain("nothing was applied");
  });

  it("--before-release picks the snapshot taken before that release", async () => {
    expect(snapshotFor(ARCHIVES, "1.4.1")).toBe(ARCHIVES[1]);
    expect(snapshotFor(ARCHIVES, "1.4")).toBeUndefined();
    const fake = fakeExec({ archives: ARCHIVES });
    expect((await cli(["--stack", "staging", "--before-release", "1.4.1"], fake)).code).toBe(EXIT.ok);
    expect(fake.calls[1]).toEqual(["cat", ARCHIVES[1]]);
    const missing = await cli(["--stack", "staging", "--before-release", "9.9.9"], fakeExec({ archives: ARCHIVES }));
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.err).toContain("no snapshot taken before release 9.9.9");
  });

  it("exit codes: 3 for usage, 4 when Docker is unreachable, 1 when the scratch restore fails", async () => {
    expect((await cli([], fakeExec({ archives: ARCHIVES }))).code).toBe(EXIT.usage);
    expect((await cli(["--stack", "staging", "--archive", "a", "--before-release", "b"], fakeExec({ archives: ARCHIVES }))).code).toBe(EXIT.usage);
    const unknown = await cli(["--stack", "staging", "--archive", "daily-20200101T000000Z.archive.gz"], fakeExec({ archives: ARCHIVES }));
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.err).toContain("--list shows what there is");
    const down = await cli(["--stack", "staging"], fakeExec({ archives: ARCHIVES, unreachable: true }));
    expect(down.code).toBe(EXIT.unreachable);
    expect(down.err).toContain("Nothing was restored");
    const failed = await cli(["--stack", "staging"], fakeExec({ archives: ARCHIVES, failScratch: true }));
    expect(failed.code).toBe(EXIT.failed);
    expect(failed.err).toContain("mongorestore into enrichment_restore_test failed");
  });
});

describe("npm run rollback points at the snapshot taken before the release it leaves", () => {
  it("prints the restore command for the pre-release snapshot of the current release", async () => {
    const { runRollback } = await import("../release/rollback");
    const { loadStack, withPromotedRelease } = await import("../release/stackEdit");
    const { captureIo, stackDir } = await import("./fixtures/release/support");
    const stacks = stackDir();
    try {
      const base = loadStack("production", stacks.file("production")).settings.release;
      stacks.write("production", withPromotedRelease(loadStack("production", stacks.file("production")), { ...base, version: "1.9.0" }, new Date(Date.UTC(2026, 10, 2))));
      const capture = captureIo();
      expect(await runRollback(["--stack", "production", "--dir", stacks.dir, "--dry-run"], capture.io)).toBe(0);
      expect(capture.out()).toContain("took a verified snapshot before 1.9.0 was deployed (pre-release-1.9.0-<time>.archive.gz)");
      expect(capture.out()).toContain("npm run restore -- --stack production --before-release 1.9.0 --apply");
      // With snapshots switched off there is nothing to point at.
      stacks.write("production", stacks.read("production").replace(/^config:\n/m, "config:\n  enrichment:backup:\n    snapshotBeforeRelease: false\n"));
      const off = captureIo();
      expect(await runRollback(["--stack", "production", "--dir", stacks.dir, "--dry-run"], off.io), off.err()).toBe(0);
      expect(off.out()).not.toContain("pre-release-");
    } finally {
      stacks.remove();
    }
  });
});
