// The e2e's steps for the web-ingestion plane (issue 22), against the deployed e2e stack with the
// plane on: each step takes the context below and returns { ok, detail }, for the real-engine e2e
// to run as steps named `ingestion ...` in .e2e/report.json (INGESTION_STEPS, in order).
//
//   ingestion migration            the migrations ran once per version before the server started;
//                                  running the step's own command again changes nothing
//   ingestion backup and restore   rows written, a real pg_dump archive whose counts are the live
//                                  database's, restored into the scratch database with the same counts
//   ingestion metrics scraped      Prometheus scrapes every service of the plane and its backups,
//                                  loads its rules, and the blackbox exporter probes its server
//   ingestion rollback             the seed's rollback (USE_UNIFIED_PIPELINE false): only the MCP
//                                  server is replaced, and it serves the legacy pipeline; then back
//   ingestion off                  enabled: false removes every container of the plane and keeps its
//                                  volumes (and their data); on again, the data is still there
import type Docker from "dockerode";
import type { Settings } from "../../../config/schema";
import { ingestionScratchDatabase } from "../../../config/ingestion";
import {
  INGESTION_PLANE,
  INGESTION_SERVICES,
  MIGRATIONS_SERVICE,
  POSTGRES_ARCHIVE_SUFFIX,
  POSTGRES_BACKUP_PATHS,
  POSTGRES_BACKUP_SERVICE,
} from "../../../facts/ingestion";
import { SECRET_ENV_PATH } from "../../../planes/ingestion/secretEnv";
import { exec } from "../../../verify/docker";
import { request } from "../checks/support/http";

export interface IngestionStepContext {
  docker: Docker;
  /** Prefix of the stack's container, volume and network names (`e2e`). */
  prefix: string;
  /** The stack's validated settings (tests/e2e/Pulumi.e2e.yaml with the built images). */
  settings: Settings;
  /**
   * The real CLI on the e2e stack: `configSet(path, value)` is `pulumi config set --path <path>
   * <value>` (path with its namespace, e.g. `enrichment:ingestion.enabled`; booleans and numbers
   * stay typed); `up()` is `pulumi up --yes`.
   */
  pulumi: {
    configSet(path: string, value: string | number | boolean): Promise<void>;
    up(): Promise<{ code: number; stdout?: string; stderr?: string }>;
    preview(): Promise<{ code: number; stdout?: string; stderr?: string }>;
  };
  log(message: string): void;
}

export interface IngestionStepResult {
  ok: boolean;
  detail: string;
}

export interface IngestionStep {
  name: string;
  run(ctx: IngestionStepContext): Promise<IngestionStepResult>;
}

const PLANE_LABEL = "org.enrichment.plane";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fail = (detail: string): IngestionStepResult => ({ ok: false, detail });

function ingestion(ctx: IngestionStepContext) {
  const settings = ctx.settings.ingestion;
  if (!settings) throw new Error("the e2e stack has no enrichment:ingestion block");
  return settings;
}

/** psql as the superuser over the postgres container's socket (local connections are trusted). */
async function psql(ctx: IngestionStepContext, database: string, sql: string): Promise<string> {
  const result = await exec(ctx.docker, `${ctx.prefix}-postgres`, ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", database, "-c", sql], { user: "postgres" });
  if (result.exitCode !== 0) throw new Error(`psql in ${database}: ${result.error ?? ""}${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** `<table> <rows>` for the application's tables, sorted. */
async function liveCounts(ctx: IngestionStepContext, database: string): Promise<Map<string, number>> {
  const tables = (await psql(ctx, database, "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).split("\n").filter(Boolean);
  const counts = new Map<string, number>();
  for (const table of tables) counts.set(table, Number(await psql(ctx, database, `SELECT count(*) FROM ${table}`)));
  return counts;
}

const parseCounts = (text: string) =>
  new Map(
    text
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split(" "))
      .map(([table, rows]) => [table!, Number(rows)] as const),
  );
const showCounts = (counts: Map<string, number>) => [...counts].map(([t, n]) => `${t}=${n}`).join(", ");
const sameCounts = (a: Map<string, number>, b: Map<string, number>) => a.size === b.size && [...a].every(([t, n]) => b.get(t) === n);

async function planeContainers(ctx: IngestionStepContext): Promise<{ name: string; id: string; created: number; state: string; health?: string }[]> {
  const list = await ctx.docker.listContainers({ all: true, filters: { label: [`${PLANE_LABEL}=${INGESTION_PLANE}`] } });
  return list
    .map((c) => ({ name: c.Names[0]!.replace(/^\//, ""), id: c.Id, created: c.Created, state: c.State, health: /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1] }))
    .filter((c) => c.name.startsWith(`${ctx.prefix}-`))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The migrations as the graph's `migrate` step runs them (planes/ingestion/migrations.ts). */
const migrateCommand = (ctx: IngestionStepContext) => ["sh", SECRET_ENV_PATH, ...ingestion(ctx).migrations.command];

export async function ingestionMigration(ctx: IngestionStepContext): Promise<IngestionStepResult> {
  const db = ingestion(ctx).database;
  const rows = async () => (await psql(ctx, db, "SELECT version || ' ' || extract(epoch FROM applied_at) FROM schema_migrations ORDER BY version")).split("\n").filter(Boolean);
  const before = await rows();
  if (before.length === 0) return fail("schema_migrations is empty: the migrations did not run before the MCP server");
  const versions = before.map((r) => r.split(" ")[0]!);
  if (new Set(versions).size !== versions.length) return fail(`a migration is recorded twice: ${versions.join(", ")}`);
  // Before the server: every migration's time is before the MCP server's container was created.
  const server = await ctx.docker.getContainer(`${ctx.prefix}-ingestion-mcp-server`).inspect();
  const serverCreated = Date.parse(server.Created) / 1000;
  const lastApplied = Math.max(...before.map((r) => Number(r.split(" ")[1])));
  if (!(lastApplied <= serverCreated)) return fail(`the last migration was applied at ${lastApplied}, after the MCP server's container was created (${serverCreated})`);
  const extension = await psql(ctx, db, "SELECT coalesce((SELECT extversion FROM pg_extension WHERE extname = 'vector'), 'absent')");

  // Again, exactly as the step runs it: nothing to do, nothing changes.
  const again = await exec(ctx.docker, `${ctx.prefix}-${MIGRATIONS_SERVICE}`, migrateCommand(ctx), { timeoutMs: 120_000 });
  if (again.exitCode !== 0) return fail(`running the migrations again exited ${again.exitCode}: ${again.error ?? ""}${again.stderr.trim()}`);
  const after = await rows();
  if (after.join("\n") !== before.join("\n")) return fail(`running the migrations again changed schema_migrations:\nbefore ${before.join("; ")}\nafter  ${after.join("; ")}`);
  return {
    ok: true,
    detail:
      `${versions.length} migrations applied once each (${versions.join(", ")}), the last ${Math.round(serverCreated - lastApplied)} s before the MCP server's container was created; ` +
      `pgvector ${extension}; running \`${migrateCommand(ctx).join(" ")}\` again in ${ctx.prefix}-${MIGRATIONS_SERVICE} exited 0 and changed nothing ("${again.stdout.trim().split("\n").pop()}")`,
  };
}

export async function ingestionBackupRestore(ctx: IngestionStepContext): Promise<IngestionStepResult> {
  const settings = ingestion(ctx);
  const db = settings.database;
  const scratch = ingestionScratchDatabase(settings);
  const backup = `${ctx.prefix}-${POSTGRES_BACKUP_SERVICE}`;
  // Rows of the application's tables (the migrations made them), newlines and a vector included.
  const tag = Date.now();
  await psql(
    ctx,
    db,
    `INSERT INTO pages (url, title) SELECT 'https://e2e.example.org/${tag}/' || g, 'page ' || g FROM generate_series(1, 17) g; ` +
      `INSERT INTO chunks (page_id, body, embedding) SELECT p.id, E'first line\\nsecond line ' || p.id, ARRAY[p.id::int, 1, 2]::vector FROM pages p WHERE p.url LIKE 'https://e2e.example.org/${tag}/%'`,
  );
  const live = await liveCounts(ctx, db);

  const dumped = await exec(ctx.docker, backup, [`${POSTGRES_BACKUP_PATHS.bin}/dump.sh`, "daily"], { timeoutMs: 300_000 });
  const archive = dumped.stdout.trim().split("\n").pop() ?? "";
  if (dumped.exitCode !== 0 || !archive.endsWith(POSTGRES_ARCHIVE_SUFFIX)) return fail(`dump.sh daily exited ${dumped.exitCode}: ${dumped.error ?? ""}${dumped.stderr.trim()}`);
  const countsFile = await exec(ctx.docker, backup, ["cat", `${POSTGRES_BACKUP_PATHS.dumpArchives}/${archive}.counts`]);
  const archived = parseCounts(countsFile.stdout);
  if (!sameCounts(archived, live)) return fail(`${archive} holds ${showCounts(archived)}; the live database has ${showCounts(live)}`);

  const restored = await exec(ctx.docker, backup, [`${POSTGRES_BACKUP_PATHS.bin}/restore.sh`, "scratch", archive], { timeoutMs: 300_000 });
  if (restored.exitCode !== 0) return fail(`restore.sh scratch ${archive} exited ${restored.exitCode}: ${restored.error ?? ""}${restored.stderr.trim()}`);
  const reported = parseCounts(restored.stdout.split("\n").map((l) => l.split(" ").slice(0, 2).join(" ")).join("\n"));
  const inScratch = await liveCounts(ctx, scratch);
  if (!sameCounts(reported, live) || !sameCounts(inScratch, live)) {
    return fail(`restored into ${scratch}: restore.sh counted ${showCounts(reported)}, the database holds ${showCounts(inScratch)}; the archive and the live database have ${showCounts(live)}`);
  }
  const sample = await psql(ctx, scratch, `SELECT body FROM chunks WHERE body LIKE 'first line%' ORDER BY id DESC LIMIT 1`);
  if (!sample.includes("\n")) return fail(`a restored chunk lost its newline: ${JSON.stringify(sample)}`);
  return { ok: true, detail: `pg_dump -Fc archive ${archive} (${showCounts(archived)}, as the live database) restored into ${scratch} with the same counts (restore.sh and a count in the database agree)` };
}

/** Prometheus on the Docker host (the stack publishes it on loopback). */
function prometheusUrl(ctx: IngestionStepContext): string {
  const published = ctx.settings.exposure.publish.prometheus;
  if (!published) throw new Error("the e2e stack does not publish Prometheus (exposure.publish.prometheus)");
  return `http://${published.address ?? ctx.settings.exposure.bindAddress}:${published.port}`;
}

async function promQuery(ctx: IngestionStepContext, query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const answer = await request(`${prometheusUrl(ctx)}/api/v1/query?query=${encodeURIComponent(query)}`);
  if (answer.status !== 200) throw new Error(`Prometheus answered ${answer.status} to ${query}`);
  return (JSON.parse(answer.body) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

export async function ingestionMetricsScraped(ctx: IngestionStepContext): Promise<IngestionStepResult> {
  const settings = ingestion(ctx);
  const jobs = [
    ...INGESTION_SERVICES.filter((s) => s.metrics && (s.key !== "qdrant" || settings.qdrant.enabled)).map((s) => s.service),
    ...(ctx.settings.backup.enabled ? [POSTGRES_BACKUP_SERVICE] : []),
  ];
  const want = [
    'web_pages_indexed_total{service="ingestion-mcp-server"}',
    'web_index_duration_seconds_bucket{service="ingestion-mcp-server",le="5"}',
    'enrichment_release_info{service="splade"}',
    'probe_success{service="ingestion-mcp-server"} == 1',
    ...(ctx.settings.backup.enabled ? ['enrichment_backup_last_success_timestamp_seconds{service="postgres-backup"} > 0'] : []),
  ];
  const deadline = Date.now() + 120_000;
  let last = "";
  for (;;) {
    try {
      const targets = (JSON.parse((await request(`${prometheusUrl(ctx)}/api/v1/targets?state=active`)).body) as { data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] } }).data.activeTargets;
      const health = new Map(targets.map((t) => [t.labels.job, `${t.health}${t.lastError ? ` (${t.lastError})` : ""}`]));
      const down = jobs.filter((job) => health.get(job) !== "up");
      const missing: string[] = [];
      for (const query of want) if ((await promQuery(ctx, query)).length === 0) missing.push(query);
      const rules = (JSON.parse((await request(`${prometheusUrl(ctx)}/api/v1/rules`)).body) as { data: { groups: { name: string; rules: { name: string }[] }[] } }).data.groups;
      const group = rules.find((g) => g.name === "enrichment-ingestion");
      if (down.length === 0 && missing.length === 0 && group) {
        return {
          ok: true,
          detail: `Prometheus scrapes ${jobs.join(", ")} (all up), has ${want.join("; ")}, and loaded rule group enrichment-ingestion (${group.rules.map((r) => r.name).join(", ")})`,
        };
      }
      last = `down or absent: ${down.map((job) => `${job} ${health.get(job) ?? "not a target"}`).join("; ") || "none"}; no series for: ${missing.join("; ") || "none"}; ingestion rules ${group ? "loaded" : "not loaded"}`;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) return fail(`after 120 s: ${last}`);
    await sleep(5_000);
  }
}

async function serverHealth(ctx: IngestionStepContext): Promise<{ flags?: Record<string, string>; raw: string }> {
  const health = await exec(ctx.docker, `${ctx.prefix}-ingestion-mcp-server`, ["wget", "-q", "-O", "-", "http://127.0.0.1:3000/health"]);
  try {
    return { ...(JSON.parse(health.stdout) as { flags?: Record<string, string> }), raw: health.stdout.trim() };
  } catch {
    return { raw: `${health.stdout}${health.stderr}${health.error ?? ""}`.trim() };
  }
}

export async function ingestionRollback(ctx: IngestionStepContext): Promise<IngestionStepResult> {
  const before = await planeContainers(ctx);
  await ctx.pulumi.configSet("enrichment:ingestion.flags.USE_UNIFIED_PIPELINE", false);
  const up = await ctx.pulumi.up();
  if (up.code !== 0) return fail(`pulumi up with USE_UNIFIED_PIPELINE false exited ${up.code}: ${(up.stderr ?? up.stdout ?? "").slice(-2000)}`);
  const after = await planeContainers(ctx);
  const replaced = after.filter((c) => before.find((b) => b.name === c.name)?.id !== c.id).map((c) => c.name);
  const env = (await ctx.docker.getContainer(`${ctx.prefix}-ingestion-mcp-server`).inspect()).Config.Env ?? [];
  const health = await serverHealth(ctx);
  const problems: string[] = [];
  if (replaced.join(",") !== `${ctx.prefix}-ingestion-mcp-server`) problems.push(`replaced: ${replaced.join(", ") || "nothing"} (expected only ${ctx.prefix}-ingestion-mcp-server)`);
  if (!env.includes("USE_UNIFIED_PIPELINE=false")) problems.push("the new container's environment lacks USE_UNIFIED_PIPELINE=false");
  if (health.flags?.USE_UNIFIED_PIPELINE !== "false") problems.push(`its /health says ${health.raw}`);
  // Back to the unified pipeline, as the seed's rollback is undone.
  await ctx.pulumi.configSet("enrichment:ingestion.flags.USE_UNIFIED_PIPELINE", true);
  const back = await ctx.pulumi.up();
  if (back.code !== 0) problems.push(`pulumi up back to USE_UNIFIED_PIPELINE true exited ${back.code}`);
  if ((await serverHealth(ctx)).flags?.USE_UNIFIED_PIPELINE !== "true") problems.push("after switching back, /health does not say USE_UNIFIED_PIPELINE true");
  if (problems.length) return fail(problems.join("; "));
  return { ok: true, detail: `USE_UNIFIED_PIPELINE false: pulumi up replaced only ${replaced[0]}, whose /health reports the legacy pipeline (${health.raw}); switched back to true the same way` };
}

export async function ingestionOff(ctx: IngestionStepContext): Promise<IngestionStepResult> {
  const settings = ingestion(ctx);
  const stateVolumes = [
    ...INGESTION_SERVICES.filter((s) => s.state && (s.key !== "qdrant" || settings.qdrant.enabled)).map((s) => `${ctx.prefix}-${s.state!.volume}`),
    ...(ctx.settings.backup.enabled ? [`${ctx.prefix}-postgres-backups`] : []),
  ];
  // dockerode's typings lack CreatedAt, which the engine returns.
  const volumeCreated = async (name: string) => ((await ctx.docker.getVolume(name).inspect().catch(() => undefined)) as { CreatedAt?: string } | undefined)?.CreatedAt;
  const containersBefore = await planeContainers(ctx);
  const createdBefore = await Promise.all(stateVolumes.map(volumeCreated));
  const pagesBefore = await psql(ctx, settings.database, "SELECT count(*) FROM pages");
  const migrationsBefore = await psql(ctx, settings.database, "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations");
  if (containersBefore.length === 0) return fail("no container of the plane runs before the step");

  await ctx.pulumi.configSet("enrichment:ingestion.enabled", false);
  const off = await ctx.pulumi.up();
  if (off.code !== 0) return fail(`pulumi up with ingestion.enabled false exited ${off.code}: ${(off.stderr ?? off.stdout ?? "").slice(-2000)}`);
  const containersOff = await planeContainers(ctx);
  const createdOff = await Promise.all(stateVolumes.map(volumeCreated));
  const problems: string[] = [];
  if (containersOff.length) problems.push(`still there after turning the plane off: ${containersOff.map((c) => c.name).join(", ")}`);
  stateVolumes.forEach((name, i) => {
    if (!createdOff[i]) problems.push(`volume ${name} is gone`);
    else if (createdOff[i] !== createdBefore[i]) problems.push(`volume ${name} was re-created (${createdBefore[i]} -> ${createdOff[i]})`);
  });

  // On again: the same volumes, the same data; the migrations find nothing to do.
  await ctx.pulumi.configSet("enrichment:ingestion.enabled", true);
  const on = await ctx.pulumi.up();
  if (on.code !== 0) problems.push(`pulumi up turning the plane on again exited ${on.code}: ${(on.stderr ?? on.stdout ?? "").slice(-1500)}`);
  else {
    const pagesAfter = await psql(ctx, settings.database, "SELECT count(*) FROM pages");
    const migrationsAfter = await psql(ctx, settings.database, "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations");
    if (pagesAfter !== pagesBefore) problems.push(`pages: ${pagesBefore} before, ${pagesAfter} after turning the plane off and on`);
    if (migrationsAfter !== migrationsBefore) problems.push(`schema_migrations changed: ${migrationsBefore} -> ${migrationsAfter}`);
    const unhealthy = (await planeContainers(ctx)).filter((c) => c.health !== "healthy").map((c) => `${c.name} (${c.health ?? c.state})`);
    if (unhealthy.length) problems.push(`not healthy after turning the plane on again: ${unhealthy.join(", ")}`);
  }
  if (problems.length) return fail(problems.join("; "));
  return {
    ok: true,
    detail:
      `enabled: false removed ${containersBefore.length} containers (${containersBefore.map((c) => c.name).join(", ")}) and kept ${stateVolumes.join(", ")} (same creation times); ` +
      `enabled: true again: every container healthy, ${pagesBefore} pages and the migrations (${migrationsBefore}) as before`,
  };
}

/** The steps in the order the e2e runs them, each named as in .e2e/report.json. */
export const INGESTION_STEPS: readonly IngestionStep[] = [
  { name: "ingestion migration", run: ingestionMigration },
  { name: "ingestion backup and restore", run: ingestionBackupRestore },
  { name: "ingestion metrics scraped", run: ingestionMetricsScraped },
  { name: "ingestion rollback", run: ingestionRollback },
  { name: "ingestion off", run: ingestionOff },
];
