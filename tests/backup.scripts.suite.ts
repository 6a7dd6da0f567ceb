// The backup containers' shell scripts (planes/backup/scripts), run for real: busybox sh (the
// rclone image's shell) and dash (the mongo image's /bin/sh) against a temporary directory, with
// fake mongodump/mongorestore on PATH that write and read real gzip files or fail, and the real
// rclone against a local remote. What is asserted is what lands on disk and in the metrics file.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeWithTools, itWithTools, tool, ToolName, toolPath } from "./tools";
import { parseDaily, parseWeekly } from "../config/backup";
import { releaseLabel } from "../release/restore";
import { METRICS } from "../facts/metricsContract";

const SCRIPTS = path.resolve(__dirname, "..", "planes", "backup", "scripts");
/** The two shells the scripts run under in the images, each a tool of the catalog (tests/tools.json). */
const SHELLS: { tool: ToolName; label: string; argv: () => string[] }[] = [
  { tool: "busybox", label: "busybox sh", argv: () => [toolPath("busybox"), "sh"] },
  { tool: "dash", label: "dash", argv: () => [toolPath("dash")] },
];
const RCLONE = tool("rclone").path;

// Fakes of the MongoDB tools: mongodump writes FAKE_COLLECTIONS ("name:count ...") as a gzip file
// and prints mongodump's own "done dumping" lines; mongorestore reads it back and prints
// "finished restoring" lines into the --nsTo database. FAKE_* variables make them fail.
const FAKE_MONGODUMP = `#!/bin/sh
archive=""; db=""; cfg=""
for a in "$@"; do case "$a" in --archive=*) archive=\${a#--archive=};; --db=*) db=\${a#--db=};; --config=*) cfg=\${a#--config=};; esac; done
[ -r "$cfg" ] || { echo "cannot read config '$cfg'" >&2; exit 1; }
echo "mongodump $*" >>"$FAKE_LOG"
if [ -n "\${FAKE_MONGODUMP_FAIL:-}" ]; then echo partial >"$archive"; echo "Failed: server selection error: connection refused" >&2; exit 1; fi
for c in $FAKE_COLLECTIONS; do echo "$c"; done | gzip >"$archive"
# While mongodump writes, only the temporary name exists.
ls -a "\${archive%/*}" | sed 's/^/  ls: /' >>"$FAKE_LOG"
for c in $FAKE_COLLECTIONS; do printf '2026-12-01T02:30:00.000+0000\\tdone dumping %s.%s (%s documents)\\n' "$db" "\${c%%:*}" "\${c#*:}" >&2; done
`;
const FAKE_MONGORESTORE = `#!/bin/sh
archive=""; to=""; dry=""
for a in "$@"; do case "$a" in --archive=*) archive=\${a#--archive=};; --nsTo=*) to=\${a#--nsTo=}; to=\${to%.\\*};; --dryRun) dry=1;; esac; done
echo "mongorestore $*" >>"$FAKE_LOG"
[ -z "\${FAKE_MONGORESTORE_FAIL:-}" ] || { echo "Failed: corrupted archive" >&2; exit 1; }
gzip -dc "$archive" >/dev/null || exit 1
[ -z "$dry" ] || exit 0
gzip -dc "$archive" | while IFS=: read -r c n; do
  [ "$c" = "\${FAKE_RESTORE_SHORT:-}" ] && n=$((n - 1))
  printf '2026-12-01T04:00:00.000+0000\\tfinished restoring %s.%s (%s documents, 0 failures)\\n' "$to" "$c" "$n" >&2
done
`;

const T0 = Date.UTC(2026, 11, 1, 2, 30, 0) / 1000; // 2026-12-01 02:30:00 UTC, a Tuesday
const stamp = (epoch: number) => new Date(epoch * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
const dailyName = (epoch: number) => `daily-${stamp(epoch)}.archive.gz`;

/**
 * Under busybox the scripts see only busybox's applets (plus the fakes and rclone), as in the
 * rclone image and the e2e images: no GNU tool can sneak in. Under dash they see the host's
 * coreutils, as in the mongo image (Ubuntu).
 */
function scriptsPath(shellTool: ToolName): string {
  if (shellTool !== "busybox") return process.env.PATH ?? "/usr/bin:/bin";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backup-busybox-"));
  const busybox = toolPath("busybox");
  for (const applet of spawnSync(busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean)) {
    fs.symlinkSync(busybox, path.join(dir, applet));
  }
  if (RCLONE) fs.symlinkSync(RCLONE, path.join(dir, "rclone"));
  return dir;
}

/**
 * The suite under one shell. Each shell has its own test file (tests/backup.scripts.<shell>.test.ts)
 * so that the two run side by side.
 */
export function backupScriptsUnder(shellTool: "busybox" | "dash"): void {
  const entry = SHELLS.find((shell) => shell.tool === shellTool)!;
  describeWithTools([entry.tool], `backup scripts under ${entry.label}`, () => suite(entry));
}

function suite(entry: (typeof SHELLS)[number]): void {
  const shell = entry.argv();
  let dir: string;
  let env: Record<string, string>;
  const tools = scriptsPath(entry.tool);
  afterAll(() => {
    if (entry.tool === "busybox") fs.rmSync(tools, { recursive: true, force: true });
  });
  const archives = () => path.join(dir, "archives");
  const metricsFile = (service = "mongodb-backup") => path.join(dir, "metrics", `${service}.prom`);

  const run = (script: string, args: string[] = [], extra: Record<string, string> = {}) => {
    const result = spawnSync(shell[0]!, [...shell.slice(1), path.join(SCRIPTS, script), ...args], {
      env: { ...env, ...extra },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  /** Calls lib.sh functions in the shell under test. */
  const lib = (body: string, extra: Record<string, string> = {}) => {
    const result = spawnSync(shell[0]!, [...shell.slice(1), "-c", `. "${SCRIPTS}/lib.sh"; ${body}`], { env: { ...env, ...extra }, encoding: "utf8" });
    return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
  };
  const metric = (name: string, labels: string, service = "mongodb-backup") => {
    const line = fs
      .readFileSync(metricsFile(service), "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${name}{service="${service}"${labels ? `,${labels}` : ""}}`));
    expect(line, `${name} ${labels} in ${metricsFile(service)}`).toBeDefined();
    return Number(line!.split(" ").pop());
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "backup-scripts-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "mongodump"), FAKE_MONGODUMP, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "mongorestore"), FAKE_MONGORESTORE, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "backup.yaml"), 'uri: "mongodb://backup:x@mongodb:27017/?authSource=admin"\n');
    env = {
      PATH: `${bin}:${tools}`,
      BACKUP_DIR: archives(),
      BACKUP_METRICS_DIR: path.join(dir, "metrics"),
      BACKUP_DATABASE: "enrichment",
      BACKUP_SCRATCH_DATABASE: "enrichment_restore_test",
      BACKUP_MONGO_CONFIG: path.join(dir, "backup.yaml"),
      BACKUP_RETENTION_DAYS: "30",
      BACKUP_KEEP_LATEST: "3",
      BACKUP_SCHEDULE: "02:30",
      BACKUP_RESTORE_TEST_SCHEDULE: "sun 04:00",
      BACKUP_NOW: String(T0),
      FAKE_COLLECTIONS: "ocr_jobs:3 review_queue:12 cost_records:0",
      FAKE_LOG: path.join(dir, "fake.log"),
    };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("scheduling", () => {
    // Expected instants computed here with Date, independently of the shell's arithmetic.
    const nows = [
      T0, // exactly at the slot
      T0 - 1,
      T0 + 1,
      Date.UTC(2026, 11, 31, 23, 59, 59) / 1000, // year end
      Date.UTC(2028, 1, 29, 0, 0, 0) / 1000, // leap day
      Date.UTC(2027, 2, 28, 1, 30, 0) / 1000, // a European DST change: UTC has none
    ];
    it.each(nows)("the daily dump's previous and next run around %i", (now) => {
      const offset = parseDaily("02:30")!;
      const day = Math.floor(now / 86400) * 86400;
      const prev = day + offset <= now ? day + offset : day + offset - 86400;
      expect(lib(`prev_daily 02:30 ${now}`).stdout).toBe(String(prev));
      expect(lib(`next_daily 02:30 ${now}`).stdout).toBe(String(prev + 86400));
      expect(prev).toBeLessThanOrEqual(now);
      expect(prev + 86400).toBeGreaterThan(now);
    });

    it.each(["sun 04:00", "mon 00:00", "tue 02:30", "sat 23:59"])("the weekly restore test %s lands on its weekday", (schedule) => {
      for (const now of nows) {
        const prev = Number(lib(`prev_weekly "${schedule}" ${now}`).stdout);
        const next = Number(lib(`next_weekly "${schedule}" ${now}`).stdout);
        const day = new Date(prev * 1000);
        expect(["sun", "mon", "tue", "wed", "thu", "fri", "sat"][day.getUTCDay()]).toBe(schedule.slice(0, 3));
        expect(day.toISOString().slice(11, 16)).toBe(schedule.slice(4));
        expect(prev).toBeLessThanOrEqual(now);
        expect(next - prev).toBe(604800);
        expect(next).toBeGreaterThan(now);
        // The config slice and the scheduler read the schedule the same way.
        expect((prev - (Math.floor(prev / 86400) - ((Math.floor(prev / 86400) + 4) % 7)) * 86400)).toBe(parseWeekly(schedule));
      }
    });

    it.each(["2:30", "24:00", "02:60", "0230", "*/5 * * * *", ""])("refuses the daily schedule %j", (schedule) => {
      expect(lib(`prev_daily "${schedule}" ${T0}`).status).not.toBe(0);
      const result = run("scheduler.sh", [], { BACKUP_SCHEDULE: schedule, BACKUP_ONCE: "1" });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(schedule ? /BACKUP_SCHEDULE must be "HH:MM"/ : /BACKUP_SCHEDULE is not set/);
      expect(fs.existsSync(archives())).toBe(false);
    });

    it("archive names carry the dump time; the stamp converts both ways like Date does", () => {
      for (const epoch of [0, 951782400, T0, 4102444799, 1709164800 + 3723]) {
        expect(lib(`epoch_stamp ${epoch}`).stdout).toBe(stamp(epoch));
        expect(lib(`archive_epoch ${dailyName(epoch)}`).stdout).toBe(String(epoch));
      }
      expect(lib("archive_epoch notes.txt").status).not.toBe(0);
      expect(lib(`archive_name pre-release ${T0} "2026.12/rc 1"`).stdout).toBe(`pre-release-2026.12_rc_1-${stamp(T0)}.archive.gz`);
      // The restore CLI finds snapshots by the same label.
      expect(releaseLabel("2026.12/rc 1")).toBe("2026.12_rc_1");
    });

    it("the scheduler catches up a missed run once, then waits for the next slot", () => {
      expect(run("scheduler.sh", [], { BACKUP_ONCE: "1" }).status).toBe(0);
      expect(metric("enrichment_backup_runs_total", 'status="success"')).toBe(1);
      // A fresh stack also gets its restore test (the last Sunday slot is in the past).
      expect(metric("enrichment_backup_restore_test_runs_total", 'status="success"')).toBe(1);
      // Same day, later: nothing is due.
      expect(run("scheduler.sh", [], { BACKUP_ONCE: "1", BACKUP_NOW: String(T0 + 3600) }).status).toBe(0);
      expect(metric("enrichment_backup_runs_total", 'status="success"')).toBe(1);
      // The next day's slot has passed: one more dump, no extra restore test before Sunday.
      expect(run("scheduler.sh", [], { BACKUP_ONCE: "1", BACKUP_NOW: String(T0 + 86400) }).status).toBe(0);
      expect(metric("enrichment_backup_runs_total", 'status="success"')).toBe(2);
      expect(metric("enrichment_backup_restore_test_runs_total", 'status="success"')).toBe(1);
      expect(fs.existsSync(path.join(archives(), dailyName(T0 + 86400)))).toBe(true);
      expect(fs.readFileSync(path.join(archives(), ".state", "heartbeat"), "utf8").trim()).toBe(String(T0 + 86400));
      expect(run("health.sh", [], { BACKUP_NOW: String(T0 + 86400 + 60) }).status).toBe(0);
      expect(run("health.sh", [], { BACKUP_NOW: String(T0 + 86400 + 3600) }).status).toBe(1);
    });
  });

  describe("a dump", () => {
    it("writes under a temporary name, verifies, renames, records counts and metrics", () => {
      const result = run("dump.sh", ["daily"]);
      expect(result.status, result.stderr).toBe(0);
      const name = dailyName(T0);
      expect(result.stdout.trim()).toBe(name);
      expect(fs.readdirSync(archives()).sort()).toEqual([".state", name, `${name}.counts`]);
      // While mongodump ran, the directory held only the temporary name.
      const during = fs.readFileSync(env.FAKE_LOG!, "utf8").split("\n").filter((l) => l.startsWith("  ls: "));
      expect(during).toContain(`  ls: .${name}.partial`);
      expect(during).not.toContain(`  ls: ${name}`);
      expect(spawnSync("gzip", ["-t", path.join(archives(), name)]).status).toBe(0);
      expect(fs.readFileSync(path.join(archives(), `${name}.counts`), "utf8")).toBe("cost_records 0\nocr_jobs 3\nreview_queue 12\n");
      // The password is in the --config file, never on the command line.
      expect(fs.readFileSync(env.FAKE_LOG!, "utf8")).toContain(`--config=${env.BACKUP_MONGO_CONFIG}`);
      expect(metric("enrichment_backup_runs_total", 'status="success"')).toBe(1);
      expect(metric("enrichment_backup_runs_total", 'status="failed"')).toBe(0);
      expect(metric("enrichment_backup_last_success_timestamp_seconds", "")).toBe(T0);
      expect(metric("enrichment_backup_last_run_success", "")).toBe(1);
      expect(metric("enrichment_backup_last_size_bytes", "")).toBe(fs.statSync(path.join(archives(), name)).size);
      expect(metric("enrichment_backup_archives", "")).toBe(1);
    });

    itWithTools(["promtool"], "writes a metrics file promtool accepts", () => {
      expect(run("dump.sh", ["daily"]).status).toBe(0);
      const check = spawnSync(toolPath("promtool"), ["check", "metrics"], { input: fs.readFileSync(metricsFile()), encoding: "utf8" });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    });

    it.each([
      ["mongodump fails", { FAKE_MONGODUMP_FAIL: "1" }, "mongodump exited 1"],
      ["the archive does not verify", { FAKE_MONGORESTORE_FAIL: "1" }, "could not read the archive"],
    ])("when %s: exit 1, metrics say failed, the previous archive is untouched", (_what, failure, message) => {
      expect(run("dump.sh", ["daily"]).status).toBe(0);
      const previous = path.join(archives(), dailyName(T0));
      const before = fs.readFileSync(previous);
      const later = T0 + 86400;
      const result = run("dump.sh", ["daily"], { ...failure, BACKUP_NOW: String(later) });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(message);
      expect(fs.readFileSync(previous)).toEqual(before);
      // Neither the failed archive nor its temporary file is left behind.
      expect(fs.readdirSync(archives()).sort()).toEqual([".state", dailyName(T0), `${dailyName(T0)}.counts`]);
      expect(metric("enrichment_backup_runs_total", 'status="failed"')).toBe(1);
      expect(metric("enrichment_backup_runs_total", 'status="success"')).toBe(1);
      expect(metric("enrichment_backup_last_success_timestamp_seconds", "")).toBe(T0);
      expect(metric("enrichment_backup_last_run_end_timestamp_seconds", "")).toBe(later);
      expect(metric("enrichment_backup_last_run_success", "")).toBe(0);
    });

    it("metrics are replaced atomically: a reader never sees half a file", () => {
      expect(run("dump.sh", ["daily"]).status).toBe(0);
      // The reader uses only builtins (no fork per read), so it reads many times per write and costs
      // little beside the writer.
      const script = `
        . "${SCRIPTS}/lib.sh"
        ( i=0; while [ $i -lt 50 ]; do publish_metrics; i=$((i + 1)); done ) &
        writer=$!
        torn=0 reads=0
        while kill -0 $writer 2>/dev/null; do
          reads=$((reads + 1)) last=""
          while IFS= read -r line; do last=$line; done <"$BACKUP_METRICS_DIR/mongodb-backup.prom"
          case "$last" in enrichment_backup_last_restore_test_timestamp_seconds*) ;; *) torn=$((torn + 1)) ;; esac
        done
        echo "$reads $torn"`;
      const result = spawnSync(shell[0]!, [...shell.slice(1), "-c", script], { env, encoding: "utf8", timeout: 120_000 });
      const [reads, torn] = result.stdout.trim().split(" ").map(Number);
      // A writer that is not atomic (publish_metrics writing with > instead of write_atomically) tore
      // every read when tried (560 to 3288 reads over 10 writes, under both shells). publish_metrics
      // renders with builtins and starts two processes (chmod, mv), so one write takes about as long
      // as two or three reads: 5 writes gave 5 to 8 reads under busybox; 50 give 58 to 189, and a
      // writer with > then tears nearly every read (190 to 1669 of them, both shells). Enough reads
      // show that the reader overlapped the writer.
      expect(torn).toBe(0);
      expect(reads).toBeGreaterThan(10);
      // No temporary file is left, and none is named *.prom (the textfile collector reads those).
      expect(fs.readdirSync(path.join(dir, "metrics"))).toEqual(["mongodb-backup.prom"]);
    });

    it("a pre-release snapshot is named after the release and kept apart from the daily dumps", () => {
      const result = run("snapshot.sh", ["2026.12.1"]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe(`pre-release-2026.12.1-${stamp(T0)}.archive.gz`);
      expect(run("snapshot.sh", []).status).toBe(2);
    });

    it("a second run waits for the lock instead of dumping at the same time", () => {
      fs.mkdirSync(path.join(archives(), ".state", "lock"), { recursive: true });
      fs.writeFileSync(path.join(archives(), ".state", "lock", "pid"), String(process.pid));
      const result = run("dump.sh", ["daily"], { BACKUP_LOCK_WAIT_SECONDS: "0" });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("holds the lock");
      // A lock whose holder is gone is taken over.
      fs.writeFileSync(path.join(archives(), ".state", "lock", "pid"), "999999");
      expect(run("dump.sh", ["daily"], { BACKUP_LOCK_WAIT_SECONDS: "0" }).status).toBe(0);
    });
  });

  describe("retention", () => {
    const select = (names: string[], keep: number, days: number, now = T0) =>
      lib(`printf '%s\\n' ${names.map((n) => `'${n}'`).join(" ")} | retention_select ${keep} ${days} ${now}`).stdout.split("\n").filter(Boolean);
    const dailies = (count: number, newest = T0) => Array.from({ length: count }, (_, i) => dailyName(newest - i * 86400));

    it("deletes what is older than the retention, beyond the newest N", () => {
      const names = dailies(40);
      const deleted = select(names, 3, 30);
      // 30 days back is kept (not older than 30 days); days 31..39 go.
      expect(deleted.sort()).toEqual(names.slice(31).sort());
    });

    it("never deletes the newest N, even when every archive is older than the retention", () => {
      const names = dailies(10, T0 - 90 * 86400);
      const deleted = select(names, 3, 30);
      expect(deleted.sort()).toEqual(names.slice(3).sort());
      expect(deleted).not.toContain(names[0]);
      expect(select(names.slice(0, 1), 1, 1)).toEqual([]);
    });

    it("keeps each kind's newest apart: daily dumps do not push out release snapshots", () => {
      const old = T0 - 100 * 86400;
      const snapshots = [`pre-release-1.4.0-${stamp(old)}.archive.gz`, `pre-release-1.3.0-${stamp(old - 86400)}.archive.gz`];
      const deleted = select([...dailies(5), ...snapshots], 1, 30);
      expect(deleted).toEqual([snapshots[1]]);
    });

    it("never lists names it does not understand", () => {
      expect(select(["notes.txt", "daily-yesterday.archive.gz", `.${dailyName(T0 - 99 * 86400)}.partial`], 1, 1)).toEqual([]);
    });

    it("refuses keepLatest 0 and retention 0", () => {
      expect(lib(`echo ${dailyName(T0)} | retention_select 0 30 ${T0}`).status).not.toBe(0);
      expect(lib(`echo ${dailyName(T0)} | retention_select 1 0 ${T0}`).status).not.toBe(0);
    });

    it("a successful dump deletes expired archives with their counts; a failed one deletes nothing", () => {
      // Eight daily archives with their counts: one real run, then its files under the next seven
      // days' names (what seven more runs would leave; the dump itself is tested above).
      expect(run("dump.sh", ["daily"]).status).toBe(0);
      for (let day = 1; day < 8; day++) {
        for (const suffix of ["", ".counts"]) fs.copyFileSync(path.join(archives(), dailyName(T0) + suffix), path.join(archives(), dailyName(T0 + day * 86400) + suffix));
      }
      const later = T0 + 40 * 86400;
      expect(run("dump.sh", ["daily"], { BACKUP_NOW: String(later), FAKE_MONGODUMP_FAIL: "1" }).status).toBe(1);
      expect(fs.readdirSync(archives()).filter((f) => f.endsWith(".archive.gz"))).toHaveLength(8);
      expect(run("dump.sh", ["daily"], { BACKUP_NOW: String(later) }).status).toBe(0);
      const left = fs.readdirSync(archives()).filter((f) => f !== ".state").sort();
      // keepLatest 3: the new one and the two newest older ones, each with its counts.
      const kept = [later, T0 + 7 * 86400, T0 + 6 * 86400].map(dailyName);
      expect(left).toEqual(kept.flatMap((n) => [n, `${n}.counts`]).sort());
      expect(metric("enrichment_backup_archives", "")).toBe(3);
    });
  });

  describe("the restore test", () => {
    it("restores the newest archive into the scratch database and compares counts", () => {
      expect(run("dump.sh", ["daily"]).status).toBe(0);
      const result = run("restore-test.sh", [], { BACKUP_NOW: String(T0 + 600) });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain("3 collections, 15 documents, counts match");
      const log = fs.readFileSync(env.FAKE_LOG!, "utf8");
      expect(log).toContain("--nsFrom=enrichment.* --nsTo=enrichment_restore_test.*");
      expect(metric("enrichment_backup_last_restore_test_timestamp_seconds", "")).toBe(T0 + 600);
      expect(metric("enrichment_backup_restore_test_runs_total", 'status="success"')).toBe(1);
    });

    it("fails on a count that differs, and keeps the last good timestamp", () => {
      expect(run("dump.sh", ["daily"]).status).toBe(0);
      expect(run("restore-test.sh", [], { BACKUP_NOW: String(T0 + 600) }).status).toBe(0);
      const result = run("restore-test.sh", [], { BACKUP_NOW: String(T0 + 7200), FAKE_RESTORE_SHORT: "review_queue" });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("review_queue: restored 11 documents, the archive holds 12");
      expect(metric("enrichment_backup_restore_test_runs_total", 'status="failed"')).toBe(1);
      expect(metric("enrichment_backup_last_restore_test_timestamp_seconds", "")).toBe(T0 + 600);
    });

    it("fails when there is nothing to restore", () => {
      const result = run("restore-test.sh");
      expect(result.status).toBe(1);
      expect(metric("enrichment_backup_restore_test_runs_total", 'status="failed"')).toBe(1);
      expect(metric("enrichment_backup_last_restore_test_timestamp_seconds", "")).toBe(0);
    });

    it("restore.sh lists newest first and refuses names outside the archive directory", () => {
      for (const day of [0, 1, 2]) expect(run("dump.sh", ["daily"], { BACKUP_NOW: String(T0 + day * 86400) }).status).toBe(0);
      expect(run("restore.sh", ["list"]).stdout.trim().split("\n")).toEqual([2, 1, 0].map((d) => dailyName(T0 + d * 86400)));
      // By time, not by name: a snapshot older than the newest daily dump comes after it (npm run restore takes the first).
      expect(run("snapshot.sh", ["1.4.1"], { BACKUP_NOW: String(T0 + 86400 + 60) }).status).toBe(0);
      expect(run("restore.sh", ["list"]).stdout.trim().split("\n")).toEqual([dailyName(T0 + 2 * 86400), `pre-release-1.4.1-${stamp(T0 + 86400 + 60)}.archive.gz`, dailyName(T0 + 86400), dailyName(T0)]);
      expect(run("restore.sh", ["cat", "../backup.yaml"]).status).not.toBe(0);
      expect(run("restore.sh", ["apply", dailyName(T0)]).stderr).toContain("no restore user");
    });
  });

  describeWithTools(["rclone"], "the off-host copy (real rclone, local remote)", () => {
    let remote: string;
    beforeEach(() => {
      remote = path.join(dir, "bucket", "enrichment");
      fs.mkdirSync(remote, { recursive: true });
      fs.writeFileSync(path.join(dir, "rclone.conf"), "[offsite]\ntype = local\n");
      Object.assign(env, {
        BACKUP_SERVICE: "mongodb-backup-offsite",
        BACKUP_STATE_DIR: path.join(dir, "metrics", ".offsite"),
        BACKUP_REMOTE: `offsite:${remote}`,
        RCLONE_CONFIG: path.join(dir, "rclone.conf"),
        BACKUP_ONCE: "1",
      });
    });
    const dumpAt = (epoch: number) =>
      expect(run("dump.sh", ["daily"], { BACKUP_SERVICE: "mongodb-backup", BACKUP_STATE_DIR: path.join(archives(), ".state"), BACKUP_NOW: String(epoch) }).status).toBe(0);

    it("copies every archive with its counts, then reports the newest remote archive's time", () => {
      dumpAt(T0);
      dumpAt(T0 + 86400);
      const result = run("offsite.sh");
      expect(result.status, result.stderr).toBe(0);
      expect(fs.readdirSync(remote).sort()).toEqual([T0, T0 + 86400].map(dailyName).flatMap((n) => [n, `${n}.counts`]).sort());
      expect(fs.readFileSync(path.join(remote, dailyName(T0)))).toEqual(fs.readFileSync(path.join(archives(), dailyName(T0))));
      expect(metric("enrichment_backup_runs_total", 'status="success"', "mongodb-backup-offsite")).toBe(2);
      expect(metric("enrichment_backup_last_success_timestamp_seconds", "", "mongodb-backup-offsite")).toBe(T0 + 86400);
      // A second round copies nothing again.
      expect(run("offsite.sh").status).toBe(0);
      expect(metric("enrichment_backup_runs_total", 'status="success"', "mongodb-backup-offsite")).toBe(2);
    });

    // node-exporter's textfile collector serves both files as one exposition: a family whose HELP
    // or TYPE differs from the first file's is dropped ("has help ... but should have ..."; seen
    // with node-exporter 1.5.0 in the e2e: the copier's file sorts first and the dump's contract
    // series vanished from Prometheus).
    it("writes the families both files share with one HELP and TYPE, the contract's help for the contract's", () => {
      dumpAt(T0);
      expect(run("offsite.sh").status).toBe(0);
      const families = (service: string) => {
        const out = new Map<string, string[]>();
        for (const line of fs.readFileSync(metricsFile(service), "utf8").split("\n")) {
          const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
          if (m) out.set(m[2]!, [...(out.get(m[2]!) ?? []), `${m[1]} ${m[3]}`]);
        }
        return out;
      };
      const dump = families("mongodb-backup");
      const offsite = families("mongodb-backup-offsite");
      const shared = [...offsite.keys()].filter((name) => dump.has(name));
      expect(shared.sort()).toEqual(["enrichment_backup_archives", "enrichment_backup_last_success_timestamp_seconds", "enrichment_backup_runs_total"]);
      for (const name of shared) expect(offsite.get(name), name).toEqual(dump.get(name));
      for (const spec of METRICS.filter((m) => dump.has(m.name))) expect(dump.get(spec.name), spec.name).toEqual([`HELP ${spec.help}`, `TYPE ${spec.type}`]);
    });

    it("applies the retention remotely, never to the newest", () => {
      const old = Array.from({ length: 5 }, (_, i) => dailyName(T0 - (60 + i) * 86400));
      for (const name of old) {
        fs.writeFileSync(path.join(remote, name), "old");
        fs.writeFileSync(path.join(remote, `${name}.counts`), "");
      }
      const result = run("offsite.sh", [], { BACKUP_KEEP_LATEST: "2" });
      expect(result.status, result.stderr).toBe(0);
      expect(fs.readdirSync(remote).sort()).toEqual(old.slice(0, 2).flatMap((n) => [n, `${n}.counts`]).sort());
      expect(metric("enrichment_backup_archives", "", "mongodb-backup-offsite")).toBe(2);
    });

    it("an unreachable remote counts as a failed run and copies nothing", () => {
      dumpAt(T0);
      fs.writeFileSync(path.join(dir, "rclone.conf"), "[offsite]\ntype = s3\nprovider = Other\nendpoint = http://127.0.0.1:9\naccess_key_id = x\nsecret_access_key = y\n");
      const result = run("offsite.sh", [], { BACKUP_REMOTE: "offsite:bucket/enrichment" });
      expect(result.status).toBe(0);
      expect(result.stderr).toContain("FAILED");
      expect(metric("enrichment_backup_runs_total", 'status="failed"', "mongodb-backup-offsite")).toBeGreaterThanOrEqual(1);
      expect(metric("enrichment_backup_last_success_timestamp_seconds", "", "mongodb-backup-offsite")).toBe(0);
    });
  });
}
