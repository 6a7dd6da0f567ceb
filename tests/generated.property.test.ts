// Every file the program generates must be valid for every value the schema accepts (issue 20):
// schema-valid settings drawn at random (fast-check, biased to the schema's bounds) are fed through
// the generators and the real consumers: promtool check config (prometheus.yml and every rule
// file), amtool check-config (Alertmanager 0.27), nginx -t (the edge). A value a consumer refuses
// is a schema bug: the schema must refuse it first, by its key path. promtool and amtool check
// every run's files in one process each; only if they refuse one does a process run per run.
// FC_SEED and ENRICHMENT_PROPERTY_RUNS replay or widen the search (fast-check prints the seed and
// the smallest failing settings).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseStackConfig } from "../config/load";
import type { Settings } from "../config/schema";
import { readStackFile } from "../config/stackFile";
import { edgeRoutes } from "../planes/edge/edge";
import { renderEdgeConfig } from "../planes/edge/edgeConfig";
import { ALERTMANAGER_CONFIG_PATH } from "../facts/monitoringFiles";
import { renderMonitoringFiles } from "../planes/monitoring/monitoring";
import { makePrefix, nginxTest, Prefix } from "./fixtures/app/nginx";
import { defaultFilesInput, mapRulePaths, removeTempDirs, tempDir, TOOLS, writeTree } from "./fixtures/monitoring/tools";
import { describeWithTools } from "./tools";
import { spawnSync } from "node:child_process";

const ROOT = path.resolve(__dirname, "..");
const STAGING = readStackFile(path.join(ROOT, "Pulumi.staging.yaml")).raw.values;
// (ingestionOpenaiApiKey and ingestionLlmApiKey: staging runs the ingestion plane.)
const SECRETS = ["anthropicApiKey", "slackWebhookUrl", "pagerdutyRoutingKey", "smtpPassword", "deadMansSwitchUrl", "ingestionOpenaiApiKey", "ingestionLlmApiKey"];
const RUNS = Number(process.env.ENRICHMENT_PROPERTY_RUNS ?? 25);
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_261_204;

afterAll(removeTempDirs);

/** The staging stack with `overrides` merged in, if the schema accepts it. */
function settingsWith(overrides: Record<string, unknown>): Settings | undefined {
  const values: Record<string, unknown> = { ...structuredClone(STAGING), ...overrides };
  for (const key of SECRETS) values[key] = `[secret:${key}]`;
  try {
    return parseStackConfig("staging", { values, secretKeys: new Set(SECRETS) }, () => pulumi.secret("x")).settings;
  } catch {
    return undefined;
  }
}

const UNITS = ["ms", "s", "m", "h", "d", "w", "y"] as const;
/** Durations in the schema's form, biased to its edges (1ms, the scrape timeout, 10y). */
const duration = (units: readonly string[] = UNITS) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom("1ms", "1s", "10s", "59s", "1m", "24h", "3650d", "521w", "10y").filter((d) => units.includes(d.replace(/^\d+/, ""))) },
    { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 1, max: 9_999 }), fc.constantFrom(...units)).map(([n, unit]) => `${n}${unit}`) },
    // Up to the schema's six digits: mostly refused (over 10y) by the schema, which is the point.
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 999_999 }), fc.constantFrom(...units)).map(([n, unit]) => `${n}${unit}`) },
  );
const ratio = () => fc.oneof(fc.constantFrom(0, 1, 0.5, 1e-9), fc.double({ min: 0, max: 1, noNaN: true }));
const count = () => fc.oneof(fc.constantFrom(1, 2, 2 ** 31 - 1, 2 ** 53 - 1), fc.integer({ min: 1, max: 1e9 }));
/** A warning/critical pair in the order the schema requires (warning first). */
const ordered = (arb: fc.Arbitrary<number>, higherIsWorse: boolean) =>
  fc.tuple(arb, arb).filter(([a, b]) => a !== b).map(([a, b]) => (higherIsWorse === a < b ? [a, b] : [b, a]) as [number, number]);
const text = () => fc.oneof(fc.constantFrom("#alerts", "#ops-🔥", 'a "quoted" channel', "x"), fc.string({ minLength: 1, maxLength: 40 }));

const monitoringOverrides = fc
  .record({
    scrapeInterval: fc.oneof(fc.constant("10s"), duration().filter((d) => !/^\d+ms$/.test(d) && !/^[1-9]s$/.test(d))),
    evaluationInterval: duration(),
    retentionDays: fc.integer({ min: 1, max: 3650 }),
    runbookBaseUrl: fc.oneof(fc.constant("https://example.org/runbooks"), fc.webUrl({ withQueryParameters: true, withFragments: true })),
    review: ordered(count(), true),
    backlog: ordered(count(), true),
    certificate: ordered(fc.integer({ min: 1, max: 3650 }), false),
    disk: ordered(ratio(), false),
    agentErrors: ordered(ratio(), true),
    apiP95: ordered(fc.double({ min: 0, max: 1e6, noNaN: true }), true),
    errorRate: ordered(ratio(), true),
    completeness: ordered(ratio(), false),
    other: fc.record({
      reviewOldestItemMaxHours: fc.double({ min: 0, max: 1e6, noNaN: true }),
      queueTimeoutsMax: fc.integer({ min: 0, max: 1e9 }),
      backupMaxAgeHours: count(),
      memoryUsageMax: ratio(),
      containerRestartsMax: fc.integer({ min: 0, max: 1e9 }),
      mixedReleaseMaxHours: fc.oneof(fc.constantFrom(1, 8760), fc.integer({ min: 1, max: 8760 })),
      gpuTemperatureMaxCelsius: fc.double({ min: 0, max: 1e4, noNaN: true }),
    }),
    alerting: fc.record({
      groupWait: duration(),
      groupInterval: duration(),
      repeatInterval: duration(),
      criticalRepeatInterval: duration(),
      watchdogRepeatInterval: duration(),
      slack: fc.record({ enabled: fc.boolean(), channels: fc.record({ alerts: text(), critical: text(), warnings: text() }) }),
      pagerduty: fc.record({ enabled: fc.boolean() }),
      email: fc.oneof(
        fc.constant({ enabled: false }),
        fc.record({
          enabled: fc.constant(true),
          to: fc.emailAddress(),
          from: fc.emailAddress(),
          smarthost: fc.tuple(fc.domain(), fc.integer({ min: 0, max: 99_999 })).map(([host, port]) => `${host}:${port}`),
          requireTls: fc.boolean(),
        }),
      ),
      deadMansSwitch: fc.record({ enabled: fc.boolean() }),
    }),
    defaultRange: duration(["s", "m", "h", "d", "w", "y"]),
    // The ingestion plane's success metrics become its alert rules (ingestion.rules.yml).
    ingestionTargets: fc.record({
      availabilityMin: ratio(),
      indexP95MaxSeconds: fc.double({ min: 0, max: 1e6, noNaN: true }),
      queryP95MaxSeconds: fc.double({ min: 0, max: 1e6, noNaN: true }),
      errorRateMax: ratio(),
    }),
  })
  .map((m) => ({
    monitoring: {
      scrapeInterval: m.scrapeInterval,
      evaluationInterval: m.evaluationInterval,
      retentionDays: m.retentionDays,
      runbookBaseUrl: m.runbookBaseUrl,
      thresholds: {
        reviewQueueMax: m.review[0],
        reviewQueueCritical: m.review[1],
        queueBacklogMax: m.backlog[0],
        queueBacklogCritical: m.backlog[1],
        certificateExpiryDays: m.certificate[0],
        certificateExpiryCriticalDays: m.certificate[1],
        diskFreeMin: m.disk[0],
        diskFreeCritical: m.disk[1],
        agentErrorRateMax: m.agentErrors[0],
        agentErrorRateCritical: m.agentErrors[1],
        apiP95CriticalSeconds: m.apiP95[1],
        errorRateCritical: m.errorRate[1],
        completenessCriticalMin: m.completeness[1],
        ...m.other,
      },
      alerting: m.alerting,
      grafana: { defaultRange: m.defaultRange },
    },
    targets: { apiP95MaxSeconds: m.apiP95[0], errorRateMax: m.errorRate[0], completenessMin: m.completeness[0] },
    ingestion: { ...(STAGING.ingestion as object), targets: m.ingestionTargets },
  }));

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join("."));
const edgeOverrides = fc
  .record({
    domains: fc.array(domain, { minLength: 1, maxLength: 3 }),
    wildcard: fc.boolean(),
    origins: fc.array(
      fc.tuple(fc.constantFrom("http", "https"), domain, fc.option(fc.integer({ min: 0, max: 99_999 }), { nil: undefined })).map(
        ([scheme, host, port]) => `${scheme}://${host}${port === undefined ? "" : `:${port}`}`,
      ),
      { maxLength: 4 },
    ),
    requestsPerSecond: fc.oneof(fc.constantFrom(1, 2 ** 31 - 1, 2 ** 53 - 1), fc.integer({ min: 1, max: 1e7 })),
    burst: fc.oneof(fc.constantFrom(0, 2 ** 31 - 1, 2 ** 53 - 1), fc.integer({ min: 0, max: 1e7 })),
    port: fc.integer({ min: 1, max: 65_535 }),
  })
  .map((e) => ({
    tls: { ...(STAGING.tls as object), dnsNames: [...e.domains.flatMap((d) => ["review", "cost", "grafana"].map((r) => `${r}.${d}`)), ...(e.wildcard ? [`*.${e.domains[0]}`] : [])] },
    cors: { allowedOrigins: [...new Set(e.origins)] },
    rateLimit: { requestsPerSecond: e.requestsPerSecond, burst: e.burst },
    exposure: { ...(STAGING.exposure as object), publish: { ...((STAGING.exposure as { publish: object }).publish), edge: { port: e.port } } },
  }));

const check = <T,>(property: fc.IProperty<[T]>) => fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: true });

describeWithTools(["promtool", "amtool"], "generated monitoring files, for schema-valid settings, pass promtool and amtool", () => {
  /** Writes the files of one run's settings, or returns undefined for settings the schema refuses. */
  const writeFiles = (overrides: Record<string, unknown>) => {
    const settings = settingsWith(overrides);
    if (!settings) return undefined;
    const files = renderMonitoringFiles(defaultFilesInput({ settings: settings.monitoring, targets: settings.targets, ingestion: settings.ingestion?.targets }));
    const dir = tempDir("property");
    writeTree(dir, { ...files.prometheus, ...files.alertmanager });
    return { prometheus: mapRulePaths(dir), alertmanager: path.join(dir, ALERTMANAGER_CONFIG_PATH) };
  };
  const promtool = (configs: string[]) => spawnSync(TOOLS.promtool, ["check", "config", ...configs], { encoding: "utf8", timeout: 60_000 });
  const amtool = (configs: string[]) => spawnSync(TOOLS.amtool, ["check-config", ...configs], { encoding: "utf8", timeout: 60_000 });

  it("prometheus.yml with its rule files, and alertmanager.yml", () => {
    // Every run's files first, then one promtool and one amtool for all of them: a process per run
    // was most of this test's time. Both check each file they are given, as they would alone.
    const written: NonNullable<ReturnType<typeof writeFiles>>[] = [];
    check(
      fc.property(monitoringOverrides, (overrides) => {
        const files = writeFiles(overrides);
        fc.pre(files !== undefined);
        written.push(files!);
      }),
    );
    // The search reached the consumers, not only the schema's refusals.
    expect(written.length).toBeGreaterThanOrEqual(Math.min(RUNS, 10));
    const prometheus = promtool(written.map((files) => files.prometheus));
    const alertmanager = amtool(written.map((files) => files.alertmanager));
    if (prometheus.status === 0 && alertmanager.status === 0) return;

    // A file was refused: the same runs again, a process per run, so that fast-check reports the
    // smallest settings the consumer refuses.
    check(
      fc.property(monitoringOverrides, (overrides) => {
        const files = writeFiles(overrides);
        fc.pre(files !== undefined);
        const one = promtool([files!.prometheus]);
        expect(one.status, `promtool check config:\n${one.stdout}${one.stderr}\nsettings: ${JSON.stringify(overrides)}`).toBe(0);
        const other = amtool([files!.alertmanager]);
        expect(other.status, `amtool check-config:\n${other.stdout}${other.stderr}\nsettings: ${JSON.stringify(overrides)}`).toBe(0);
      }),
    );
    // Refused together, accepted one by one: show what the tools said.
    expect.fail(`the consumers refused a file checked together with the others, but none alone:\n${prometheus.stdout}${prometheus.stderr}\n${alertmanager.stdout}${alertmanager.stderr}`);
  }, 300_000);
});

describeWithTools(["nginx", "openssl"], "the generated nginx.conf, for schema-valid settings, passes nginx -t", () => {
  let prefix: Prefix;
  beforeAll(() => (prefix = makePrefix()));
  afterAll(() => fs.rmSync(prefix.dir, { recursive: true, force: true }));

  it("TLS names, origins, rate limits and the published port", () => {
    let accepted = 0;
    check(
      fc.property(edgeOverrides, (overrides) => {
        const settings = settingsWith(overrides);
        fc.pre(settings !== undefined);
        accepted++;
        const config = renderEdgeConfig({
          routes: edgeRoutes(settings!.tls.dnsNames),
          allowedOrigins: settings!.cors.allowedOrigins,
          rateLimit: settings!.rateLimit,
          publicHttpsPort: settings!.exposure.publish.edge?.port ?? 443,
          httpRedirect: false,
          paths: prefix.paths,
        });
        const result = nginxTest(config, prefix);
        expect(result.status, `nginx -t:\n${result.output}\nsettings: ${JSON.stringify(overrides)}`).toBe(0);
      }),
    );
    expect(accepted).toBeGreaterThanOrEqual(Math.min(RUNS, 10));
  }, 300_000);
});
