// The ingestion plane's PostgreSQL backups for real: a real PostgreSQL 15 (Debian's, started here
// as a fixture), initialised by the plane's own init script (planes/ingestion/postgres.ts), and
// the backup scripts (the shared planes/backup/scripts with planes/ingestion/backup-scripts'
// dump.sh and restore.sh) run under busybox sh and dash with the real pg_dump, pg_restore and psql:
// a verified archive with the row counts it holds, a restore into the scratch database with the
// same counts, the restore test, `apply` replacing the live data after a safety dump, failures that
// leave every archive as it was, and the roles' least privilege. Also secret-env.sh, which hands
// file-delivered secrets to a program that reads them from its environment.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { postgresInitScript } from "../planes/ingestion/postgres";
import { POSTGRES_BIN, postgresMissing, PostgresServer, startPostgres } from "./fixtures/postgres";
import { describeUnless, missingTools } from "./tools";

const SHARED = path.resolve(__dirname, "..", "planes", "backup", "scripts");
const ENGINE = path.resolve(__dirname, "..", "planes", "ingestion", "backup-scripts");
const SECRET_ENV = path.resolve(__dirname, "..", "planes", "ingestion", "scripts", "secret-env.sh");
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const SHELLS = [...(has("busybox") ? [["busybox", "sh"]] : []), ...(has("dash") ? [["dash"]] : [])];
const SHELLS_MISSING = missingTools(["busybox", "dash"]);
/** What stops the tests that need the server (they run under whichever of the two shells is here). */
const MISSING = postgresMissing() ?? (SHELLS.length === 0 ? SHELLS_MISSING : undefined);
// One line naming what is missing and what provides it; under CI=true / ENRICHMENT_REQUIRE_TOOLS=1
// (where both shells and the server are required) a failing test with that line instead.
const ABSENT = postgresMissing() ?? SHELLS_MISSING;
if (ABSENT) describeUnless(ABSENT, "backup.postgres (a real PostgreSQL 15 under busybox sh and dash)", () => {});

const ROLES = { database: "claude_context", appUser: "ingestion", backupUser: "ingestion_backup", scratchDatabase: "claude_context_restore_test" };
const APP = { name: "ingestion", password: "appPassword0123456789abcdefABCDEF" };
const BACKUP = { name: "ingestion_backup", password: "backupPassword0123456789abcdefAB" };
const T0 = Date.UTC(2026, 11, 1, 2, 30, 0) / 1000;

let pg: PostgresServer;
let vector = false;
let work: string;

beforeAll(async () => {
  if (MISSING) return;
  pg = await startPostgres();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "backup-postgres-"));
  // The init script as the image's entrypoint runs it: as the superuser, in POSTGRES_DB, with the
  // passwords in files (psql's backquote expansion reads them).
  fs.writeFileSync(path.join(work, "app-password"), `${APP.password}\n`, { mode: 0o400 });
  fs.writeFileSync(path.join(work, "backup-password"), `${BACKUP.password}\n`, { mode: 0o400 });
  fs.writeFileSync(path.join(work, "init.sql"), postgresInitScript(ROLES, { app: path.join(work, "app-password"), backup: path.join(work, "backup-password") }));
  pg.psql("CREATE DATABASE claude_context");
  const init = spawnSync(path.join(POSTGRES_BIN, "psql"), ["-X", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "-d", "claude_context", "-f", path.join(work, "init.sql")], {
    encoding: "utf8",
    env: { ...process.env, PGPASSWORD: pg.superuserPassword },
  });
  expect(init.status, init.stderr).toBe(0);
  vector = pg.psql("SELECT count(*) FROM pg_extension WHERE extname = 'vector'", "claude_context") === "1";
}, 60_000);

afterAll(async () => {
  await pg?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The application's schema and rows, as a migration would make them (the app role owns them). */
function seed(pages = 25, chunks = 40) {
  pg.psql(
    [
      // The migrations' own statement: a no-op for the app role once the superuser created the extension.
      vector ? "CREATE EXTENSION IF NOT EXISTS vector" : "SELECT 1",
      "DROP TABLE IF EXISTS chunks, pages, schema_migrations, empty_table",
      "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz DEFAULT now())",
      `CREATE TABLE pages (id serial PRIMARY KEY, url text NOT NULL${vector ? ", embedding vector(3)" : ""})`,
      `INSERT INTO pages (url${vector ? ", embedding" : ""}) SELECT 'https://example.org/' || g${vector ? ", ARRAY[g, g + 1, g + 2]::vector" : ""} FROM generate_series(1, ${pages}) g`,
      "CREATE TABLE chunks (id serial PRIMARY KEY, page_id int REFERENCES pages(id), body text)",
      // Newlines and tabs in a value: COPY escapes them, one row per line (what dump.sh counts).
      `INSERT INTO chunks (page_id, body) SELECT (g % ${pages}) + 1, E'line one\\nline two\\tand a tab ' || g FROM generate_series(1, ${chunks}) g`,
      "CREATE TABLE empty_table (x int)",
      "INSERT INTO schema_migrations (version) VALUES ('001_pages'), ('002_chunks')",
    ].join("; "),
    "claude_context",
    APP,
  );
}

/** The PostgreSQL tools, and under busybox its applets only, as in the test of MongoDB's scripts: the folder and the PATH. */
function toolPath(shell: string[]): { dir: string; path: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-tools-"));
  for (const tool of ["pg_dump", "pg_restore", "psql"]) fs.symlinkSync(path.join(POSTGRES_BIN, tool), path.join(dir, tool));
  if (shell[0] !== "busybox") return { dir, path: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}` };
  const busybox = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim();
  for (const applet of spawnSync(busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean)) {
    if (!fs.existsSync(path.join(dir, applet))) fs.symlinkSync(busybox, path.join(dir, applet));
  }
  return { dir, path: dir };
}

describe.skipIf(!!MISSING).each(SHELLS.map((shell) => [shell.join(" "), shell]))("PostgreSQL backup scripts under %s with the real pg_dump", (_label, shell) => {
  let dir: string;
  let env: Record<string, string>;
  const tools = MISSING ? { dir: "", path: "" } : toolPath(shell);
  afterAll(() => tools.dir && fs.rmSync(tools.dir, { recursive: true, force: true }));
  const archives = () => path.join(dir, "archives");

  beforeEach(() => {
    seed();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-backup-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const script of ["lib.sh", "scheduler.sh", "snapshot.sh", "restore-test.sh", "health.sh"]) fs.copyFileSync(path.join(SHARED, script), path.join(bin, script));
    for (const script of ["dump.sh", "restore.sh"]) fs.copyFileSync(path.join(ENGINE, script), path.join(bin, script));
    for (const script of fs.readdirSync(bin)) fs.chmodSync(path.join(bin, script), 0o755);
    // The container's password file: both roles, 0400 (libpq ignores a group- or world-readable one).
    fs.writeFileSync(path.join(dir, "pgpass"), `127.0.0.1:${pg.port}:*:${BACKUP.name}:${BACKUP.password}\n127.0.0.1:${pg.port}:*:${APP.name}:${APP.password}\n`, { mode: 0o400 });
    env = {
      PATH: tools.path,
      BACKUP_SERVICE: "postgres-backup",
      BACKUP_DIR: archives(),
      BACKUP_METRICS_DIR: path.join(dir, "metrics"),
      BACKUP_ARCHIVE_SUFFIX: ".dump",
      BACKUP_DATABASE: "claude_context",
      BACKUP_SCRATCH_DATABASE: "claude_context_restore_test",
      BACKUP_RESTORE_USER: APP.name,
      BACKUP_RETENTION_DAYS: "30",
      BACKUP_KEEP_LATEST: "3",
      BACKUP_SCHEDULE: "02:30",
      BACKUP_RESTORE_TEST_SCHEDULE: "sun 04:00",
      PGHOST: "127.0.0.1",
      PGPORT: String(pg.port),
      PGUSER: BACKUP.name,
      PGPASSFILE: path.join(dir, "pgpass"),
    };
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (script: string, args: string[] = [], extra: Record<string, string> = {}) => {
    const result = spawnSync(shell[0]!, [...shell.slice(1), path.join(dir, "bin", script), ...args], { env: { ...env, ...extra }, encoding: "utf8", timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const metric = (name: string, labels = "") => {
    const line = fs
      .readFileSync(path.join(dir, "metrics", "postgres-backup.prom"), "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${name}{service="postgres-backup"${labels ? `,${labels}` : ""}}`));
    expect(line, name).toBeDefined();
    return Number(line!.split(" ").pop());
  };
  const listing = () => fs.readdirSync(archives()).filter((f) => !f.startsWith(".")).sort();

  it("dump.sh writes a verified pg_dump -Fc archive and the row count of every table as the archive holds it", () => {
    const result = run("dump.sh", ["daily"], { BACKUP_NOW: String(T0) });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("daily-20261201T023000Z.dump");
    expect(listing()).toEqual(["daily-20261201T023000Z.dump", "daily-20261201T023000Z.dump.counts"]);
    // A custom-format archive (pg_dump's magic), and the counts the live database has.
    expect(fs.readFileSync(path.join(archives(), "daily-20261201T023000Z.dump")).subarray(0, 5).toString()).toBe("PGDMP");
    expect(fs.readFileSync(path.join(archives(), "daily-20261201T023000Z.dump.counts"), "utf8")).toBe(
      "public.chunks 40\npublic.empty_table 0\npublic.pages 25\npublic.schema_migrations 2\n",
    );
    expect(fs.readdirSync(archives()).filter((f) => f.includes("partial"))).toEqual([]);
    expect(metric("enrichment_backup_runs_total", 'status="success"')).toBe(1);
    expect(metric("enrichment_backup_last_success_timestamp_seconds")).toBe(T0);
    expect(metric("enrichment_backup_archives")).toBe(1);
  });

  it("restore.sh scratch restores into the scratch database with the archive's counts, again and again (the scratch database is emptied first)", () => {
    const name = run("dump.sh", ["daily"]).stdout.trim();
    for (let i = 0; i < 2; i++) {
      const restored = run("restore.sh", ["scratch", name]);
      expect(restored.status, restored.stderr).toBe(0);
      expect(restored.stdout).toBe("public.chunks 40 0\npublic.empty_table 0 0\npublic.pages 25 0\npublic.schema_migrations 2 0\n");
    }
    // The rows themselves, newlines and tabs included, and (with pgvector) the vectors.
    expect(pg.psql("SELECT body FROM chunks WHERE id = 7", "claude_context_restore_test", BACKUP)).toBe(pg.psql("SELECT body FROM chunks WHERE id = 7", "claude_context", APP));
    if (vector) expect(pg.psql("SELECT embedding::text FROM pages WHERE id = 3", "claude_context_restore_test", BACKUP)).toBe("[3,4,5]");
    // A table the scratch database had and the archive lacks is gone: nothing stale is counted.
    pg.psql("CREATE TABLE stale (x int)", "claude_context_restore_test", BACKUP);
    run("restore.sh", ["scratch", name]);
    expect(pg.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'stale'", "claude_context_restore_test", BACKUP)).toBe("0");
  });

  it("restore-test.sh passes on the newest archive and publishes it; a short restore fails it", () => {
    run("dump.sh", ["daily"], { BACKUP_NOW: String(T0) });
    const passed = run("restore-test.sh", [], { BACKUP_NOW: String(T0 + 60) });
    expect(passed.status, passed.stderr).toBe(0);
    expect(passed.stderr).toContain("4 collections, 67 documents, counts match");
    expect(metric("enrichment_backup_last_restore_test_timestamp_seconds")).toBe(T0 + 60);
    // Counts that disagree with what the archive holds: the test fails and says which table.
    const counts = path.join(archives(), "daily-20261201T023000Z.dump.counts");
    fs.writeFileSync(counts, fs.readFileSync(counts, "utf8").replace("public.pages 25", "public.pages 26"));
    const failed = run("restore-test.sh", [], { BACKUP_NOW: String(T0 + 120) });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("public.pages: restored 25 documents, the archive holds 26");
    expect(metric("enrichment_backup_restore_test_runs_total", 'status="failed"')).toBe(1);
  });

  it("restore.sh apply takes a pre-restore dump, then replaces the live data in one transaction (the seed's pg_restore after data corruption)", () => {
    const name = run("dump.sh", ["daily"], { BACKUP_NOW: String(T0) }).stdout.trim();
    pg.psql("DELETE FROM chunks; INSERT INTO pages (url) VALUES ('corrupt')", "claude_context", APP);
    const applied = run("restore.sh", ["apply", name], { BACKUP_NOW: String(T0 + 60) });
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stdout.trim()).toBe("pre-restore-20261201T023100Z.dump");
    expect(pg.psql("SELECT (SELECT count(*) FROM chunks) || ' ' || (SELECT count(*) FROM pages)", "claude_context", APP)).toBe("40 25");
    // The safety dump holds the state it replaced.
    expect(fs.readFileSync(path.join(archives(), "pre-restore-20261201T023100Z.dump.counts"), "utf8")).toContain("public.chunks 0\n");
    expect(fs.readFileSync(path.join(archives(), "pre-restore-20261201T023100Z.dump.counts"), "utf8")).toContain("public.pages 26\n");
    // Without the role that may write the live database, it refuses.
    const refused = run("restore.sh", ["apply", name], { BACKUP_RESTORE_USER: "" });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain("BACKUP_RESTORE_USER");
  });

  it("a failed dump (the server refuses the password) leaves every archive as it was and counts the failure", () => {
    run("dump.sh", ["daily"], { BACKUP_NOW: String(T0) });
    const before = listing();
    fs.chmodSync(path.join(dir, "pgpass"), 0o600);
    fs.writeFileSync(path.join(dir, "pgpass"), `127.0.0.1:${pg.port}:*:${BACKUP.name}:wrong\n`);
    fs.chmodSync(path.join(dir, "pgpass"), 0o400);
    const failed = run("dump.sh", ["daily"], { BACKUP_NOW: String(T0 + 86400) });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/FAILED: pg_dump exited 1 .*password authentication failed/);
    expect(listing()).toEqual(before);
    expect(metric("enrichment_backup_runs_total", 'status="failed"')).toBe(1);
    expect(metric("enrichment_backup_last_run_success")).toBe(0);
    expect(metric("enrichment_backup_last_success_timestamp_seconds")).toBe(T0);
  });

  it("an archive that does not read back is refused and never takes the final name", () => {
    // pg_dump whose output is cut short after it exits 0 (a full disk, a broken pipe).
    const fakes = path.join(dir, "fakes");
    fs.mkdirSync(fakes);
    fs.writeFileSync(
      path.join(fakes, "pg_dump"),
      `#!/bin/sh\nfile=""; for a in "$@"; do case "$a" in --file=*) file=\${a#--file=};; esac; done\n"${path.join(POSTGRES_BIN, "pg_dump")}" "$@" || exit\nhead -c 3000 "$file" >"$file.cut" && mv "$file.cut" "$file"\n`,
      { mode: 0o755 },
    );
    const failed = run("dump.sh", ["daily"], { PATH: `${fakes}:${env.PATH}` });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/FAILED: (pg_restore cannot read the archive's table of contents|the archive's data does not read back)/);
    expect(listing()).toEqual([]);
  });

  it("scheduler.sh catches up a dump and a restore test at start; retention keeps the newest of each kind", () => {
    fs.mkdirSync(archives(), { recursive: true });
    // Old daily dumps, beyond the 30 days and the newest 3.
    for (const stamp of ["20260101T023000Z", "20260102T023000Z", "20260103T023000Z", "20260104T023000Z"]) fs.writeFileSync(path.join(archives(), `daily-${stamp}.dump`), "x");
    const once = run("scheduler.sh", [], { BACKUP_ONCE: "1", BACKUP_NOW: String(T0 + 60) });
    expect(once.status, once.stderr).toBe(0);
    expect(listing().filter((f) => f.endsWith(".dump"))).toEqual(["daily-20260103T023000Z.dump", "daily-20260104T023000Z.dump", "daily-20261201T023100Z.dump"]);
    expect(metric("enrichment_backup_restore_test_runs_total", 'status="success"')).toBe(1);
    expect(run("health.sh", [], { BACKUP_NOW: String(T0 + 120), BACKUP_STATE_DIR: path.join(archives(), ".state") }).status).toBe(0);
  });
});

describe.skipIf(!!MISSING)("the roles the init script creates", () => {
  it("the backup role reads the live database and cannot write it; it owns the scratch database", () => {
    expect(pg.psql("SELECT count(*) FROM pages", "claude_context", BACKUP)).toBe("25");
    expect(() => pg.psql("INSERT INTO pages (url) VALUES ('x')", "claude_context", BACKUP)).toThrow(/permission denied/);
    expect(() => pg.psql("CREATE TABLE sneaky (x int)", "claude_context", BACKUP)).toThrow(/permission denied/);
    expect(pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'claude_context_restore_test'")).toBe("ingestion_backup");
    expect(pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'claude_context'")).toBe("ingestion");
  });

  it("the init script refuses a password file it cannot read, before it creates anything (psql's backquotes would give an empty password)", () => {
    fs.writeFileSync(path.join(work, "init-unreadable.sql"), postgresInitScript(ROLES, { app: path.join(work, "absent"), backup: path.join(work, "backup-password") }));
    const init = spawnSync(path.join(POSTGRES_BIN, "psql"), ["-X", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "-d", "claude_context", "-f", path.join(work, "init-unreadable.sql")], {
      encoding: "utf8",
      env: { ...process.env, PGPASSWORD: pg.superuserPassword },
    });
    expect(init.status).not.toBe(0);
    expect(init.stderr).toContain("are empty or unreadable as postgres: no role was created");
  });

  it("the application role cannot touch the scratch database's objects nor create roles", () => {
    expect(() => pg.psql("CREATE ROLE intruder", "claude_context", APP)).toThrow(/permission denied/);
  });

  it("pgvector: created by the superuser in both databases when the server has it (the migrations' CREATE EXTENSION IF NOT EXISTS is then a no-op)", () => {
    const available = pg.psql("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'") === "1";
    expect(vector).toBe(available);
    if (!available) {
      console.warn(`backup.postgres: ${POSTGRES_BIN} has no pgvector; the extension half of this test ran as "not installed" (POSTGRES_BIN=<a PostgreSQL 15 with vector.so> runs it)`);
      expect(() => pg.psql("CREATE EXTENSION IF NOT EXISTS vector", "claude_context", APP)).toThrow(/not available|could not open extension control file/);
      return;
    }
    expect(pg.psql("SELECT count(*) FROM pg_extension WHERE extname = 'vector'", "claude_context_restore_test")).toBe("1");
    expect(() => pg.psql("CREATE EXTENSION IF NOT EXISTS vector", "claude_context", APP)).not.toThrow();
    // Not trusted: the application role could not have created it itself.
    pg.psql("DROP EXTENSION vector CASCADE", "claude_context");
    expect(() => pg.psql("CREATE EXTENSION vector", "claude_context", APP)).toThrow(/permission denied/);
    pg.psql("CREATE EXTENSION vector", "claude_context");
  });
});

describe.skipIf(SHELLS.length === 0).each(SHELLS.map((shell) => [shell.join(" "), shell]))("secret-env.sh under %s", (_label, shell) => {
  const run = (env: Record<string, string>, argv: string[]) => spawnSync(shell[0]!, [...shell.slice(1), SECRET_ENV, ...argv], { env: { PATH: "/usr/bin:/bin", ...env }, encoding: "utf8" });
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "secret-env-"));
    fs.writeFileSync(path.join(dir, "conn"), "postgresql://ingestion:pw@postgres:5432/claude_context\n", { mode: 0o400 });
    fs.writeFileSync(path.join(dir, "key"), "sk-example", { mode: 0o400 });
    fs.writeFileSync(path.join(dir, "empty"), "", { mode: 0o400 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("exports each variable from its file, drops the *_FILE variables, and execs the command", () => {
    const result = run(
      { ENV_FROM_FILES: "POSTGRES_CONNECTION_STRING OPENAI_API_KEY", POSTGRES_CONNECTION_STRING_FILE: path.join(dir, "conn"), OPENAI_API_KEY_FILE: path.join(dir, "key"), KEEP: "kept" },
      ["sh", "-c", 'printf "%s|%s|%s|%s|%s" "$POSTGRES_CONNECTION_STRING" "$OPENAI_API_KEY" "${POSTGRES_CONNECTION_STRING_FILE:-unset}" "${ENV_FROM_FILES:-unset}" "$KEEP"'],
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe("postgresql://ingestion:pw@postgres:5432/claude_context|sk-example|unset|unset|kept");
  });

  it("refuses, naming the variable and the user, when a file is missing, unreadable or empty", () => {
    const missing = run({ ENV_FROM_FILES: "LLM_API_KEY", LLM_API_KEY_FILE: path.join(dir, "absent") }, ["true"]);
    expect(missing.status).toBe(66);
    expect(missing.stderr).toMatch(/cannot read LLM_API_KEY_FILE=.*absent as uid \d+ gid \d+/);
    expect(run({ ENV_FROM_FILES: "LLM_API_KEY" }, ["true"]).stderr).toContain("LLM_API_KEY_FILE is not set");
    expect(run({ ENV_FROM_FILES: "LLM_API_KEY", LLM_API_KEY_FILE: path.join(dir, "empty") }, ["true"]).stderr).toContain("is empty");
    expect(run({ ENV_FROM_FILES: "BAD;NAME" }, ["true"]).status).toBe(64);
  });
});
