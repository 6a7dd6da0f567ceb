// The alert rules: generated rule files pass `promtool check rules`, the promtool unit tests in
// planes/monitoring/alerts/tests pass against them, every alert has a firing and a quiet case, thresholds
// come from config, and every runbook exists.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeWithTools } from "./tools";
import { ThresholdsSchema } from "../config/monitoring";
import { TargetsSchema } from "../config/targets";
import { IngestionTargetsSchema } from "../config/ingestion";
import { ALERT_AREAS, alertRuleGroups, AlertRule, renderRuleFiles, runbookUrl } from "../planes/monitoring/alerts";
import { SEVERITIES } from "../planes/monitoring/alerts/types";
import { removeTempDirs, REPO_ROOT, RULE_TESTS_DIR, run, tempDir, TOOLS, writeTree } from "./fixtures/monitoring/tools";

afterAll(removeTempDirs);

const RUNBOOK_BASE = "https://github.com/example/enrichment-platform/blob/main/docs/runbooks";
const defaults = { targets: TargetsSchema.parse(undefined), thresholds: ThresholdsSchema.parse(undefined), runbookBaseUrl: RUNBOOK_BASE };
/** Every area: a GPU and the web-ingestion plane. */
const ingestion = IngestionTargetsSchema.parse(undefined);
const withGpu = alertRuleGroups({ ...defaults, gpu: true, ingestion });
const allRules = withGpu.flatMap((group) => group.rules);
const alertNames = [...new Set(allRules.map((rule) => rule.alert))];

interface RuleTestFile {
  rule_files: string[];
  tests: { alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[] }[];
}
const testFiles = fs
  .readdirSync(RULE_TESTS_DIR)
  .filter((file) => file.endsWith(".test.yaml"))
  .map((file) => ({ file, content: YAML.parse(fs.readFileSync(path.join(RULE_TESTS_DIR, file), "utf8")) as RuleTestFile }));

const minutes = (duration: string) => {
  const match = /^(\d+)(m|h)$/.exec(duration);
  if (!match) throw new Error(`unexpected eval_time ${duration}`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
};

describeWithTools(["promtool"], "generated rule files", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("rules");
    writeTree(dir, renderRuleFiles({ ...defaults, gpu: true, ingestion }));
    for (const { file } of testFiles) fs.copyFileSync(path.join(RULE_TESTS_DIR, file), path.join(dir, file));
  });

  it("pass promtool check rules", async () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".rules.yml"));
    expect(files.length).toBe(withGpu.length);
    const result = await run(TOOLS.promtool, ["check", "rules", ...files], { cwd: dir });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const found = [...result.stdout.matchAll(/SUCCESS: (\d+) rules found/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(found).toBe(allRules.length);
  });

  it("pass their promtool unit tests (promtool test rules)", async () => {
    const result = await run(TOOLS.promtool, ["test", "rules", ...testFiles.map((t) => t.file)], { cwd: dir, timeoutMs: 90_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.match(/SUCCESS/g)?.length).toBe(testFiles.length);
  });

  it("a broken expectation fails promtool (the unit tests can fail)", async () => {
    const broken = fs.readFileSync(path.join(dir, "review.test.yaml"), "utf8").replace('summary: "600 documents are waiting for review."', 'summary: "601 documents are waiting for review."');
    fs.writeFileSync(path.join(dir, "broken.test.yaml"), broken);
    const result = await run(TOOLS.promtool, ["test", "rules", "broken.test.yaml"], { cwd: dir });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/ReviewQueueBacklog/);
  });
});

describe("rule unit tests cover every alert", () => {
  const cases = new Map<string, { firing: boolean; quiet: boolean; pendingBeforeFiring: boolean }>();
  for (const { content } of testFiles) {
    for (const test of content.tests) {
      const evals = test.alert_rule_test ?? [];
      for (const evaluation of evals) {
        const entry = cases.get(evaluation.alertname) ?? { firing: false, quiet: false, pendingBeforeFiring: false };
        const fires = (evaluation.exp_alerts ?? []).length > 0;
        if (fires) {
          entry.firing = true;
          const earlierQuiet = evals.some(
            (other) => other.alertname === evaluation.alertname && (other.exp_alerts ?? []).length === 0 && minutes(other.eval_time) < minutes(evaluation.eval_time),
          );
          if (earlierQuiet) entry.pendingBeforeFiring = true;
        } else entry.quiet = true;
        cases.set(evaluation.alertname, entry);
      }
    }
  }

  it("each test file tests one generated rule file, and each rule file has a test file", () => {
    const ruleFiles = withGpu.map((group) => group.fileName).sort();
    expect(testFiles.map((t) => t.content.rule_files).flat().sort()).toEqual(ruleFiles);
    expect(testFiles.map((t) => t.file.replace(".test.yaml", ".rules.yml")).sort()).toEqual(ruleFiles);
  });

  it.each(alertNames)("%s has a case where it fires and one where it must not", (alert) => {
    const entry = cases.get(alert);
    expect(entry?.firing, `${alert}: no case where it fires`).toBe(true);
    // The Watchdog always fires: silence is its failure mode, tested by the Alertmanager tests.
    if (alert !== "Watchdog") expect(entry?.quiet, `${alert}: no case where it must not fire`).toBe(true);
  });

  it.each(alertNames.filter((alert) => allRules.some((rule) => rule.alert === alert && rule.for)))(
    "%s is tested inside its `for` window (quiet, then firing, in one case)",
    (alert) => {
      expect(cases.get(alert)?.pendingBeforeFiring).toBe(true);
    },
  );
});

describe("rule catalog", () => {
  it("has 30 or more alert rules besides the Watchdog, even without a GPU, plus a Watchdog", () => {
    const withoutGpu = alertRuleGroups({ ...defaults, gpu: false }).flatMap((group) => group.rules);
    expect(withoutGpu.filter((rule) => rule.alert !== "Watchdog").length).toBeGreaterThanOrEqual(30);
    expect(withoutGpu.some((rule) => rule.alert === "Watchdog" && rule.expr === "vector(1)")).toBe(true);
    expect(withoutGpu.some((rule) => rule.alert.startsWith("Gpu"))).toBe(false);
    expect(allRules.some((rule) => rule.alert.startsWith("Gpu"))).toBe(true);
  });

  it("has the ingestion area only while the plane runs", () => {
    expect(alertRuleGroups({ ...defaults, gpu: true }).map((g) => g.area)).not.toContain("ingestion");
    expect(withGpu.find((g) => g.area === "ingestion")!.rules.map((r) => r.alert)).toEqual([
      "IngestionAvailabilityLow", "IngestionIndexLatencyHigh", "IngestionQueryLatencyHigh", "IngestionErrorRateHigh", "SpladeFailuresHigh", "RerankFailuresHigh",
    ]);
  });

  it("covers the spec's categories", () => {
    const areas = withGpu.map((group) => group.area);
    for (const area of ["completeness", "review", "cost", "agents", "database", "performance", "ollama", "gpu", "queue", "backups", "certificates", "infrastructure"]) {
      expect(areas).toContain(area);
    }
    const names = allRules.map((r) => r.alert);
    for (const alert of ["ApiLatencyHigh", "ApiErrorRateHigh", "ThroughputLow", "CostPerDocumentHigh", "DailyBudgetExceeded", "TargetDown", "HostDiskSpaceLow", "HostMemoryHigh", "CertificateExpiringSoon", "BackupTooOld"]) {
      expect(names).toContain(alert);
    }
  });

  it.each(allRules.map((rule) => [`${rule.alert}/${rule.severity}`, rule] as const))("%s has severity, summary, description and a runbook page", (_n, rule) => {
    expect(SEVERITIES).toContain(rule.severity);
    expect(rule.summary.length).toBeGreaterThan(10);
    expect(rule.description.length).toBeGreaterThan(rule.summary.length / 2);
    const url = runbookUrl(RUNBOOK_BASE, rule.runbook);
    expect(url).toBe(`${RUNBOOK_BASE}/${rule.runbook}.md`);
    const page = path.join(REPO_ROOT, "docs/runbooks", `${rule.runbook}.md`);
    expect(fs.existsSync(page), page).toBe(true);
    const text = fs.readFileSync(page, "utf8");
    expect(text).toMatch(/^## Check\n\n1\. .+/m);
    expect(text).toMatch(/^## Act\n\n- .+/m);
    expect(text).toContain(rule.alert);
  });

  it("runbook_url uses the configured base", () => {
    const files = renderRuleFiles({ ...defaults, gpu: false, runbookBaseUrl: "https://git.example.org/ops/runbooks/" });
    expect(files["cost.rules.yml"]).toContain("runbook_url: https://git.example.org/ops/runbooks/cost-per-document-high.md");
  });

  it("critical and warning rules of one alert share the name, so Alertmanager can inhibit the warning", () => {
    const critical = allRules.filter((rule) => rule.severity === "critical").map((rule) => rule.alert);
    const paired = allRules.filter((rule) => rule.severity === "warning" && critical.includes(rule.alert)).map((rule) => rule.alert);
    expect(new Set(paired).size).toBeGreaterThanOrEqual(8);
  });

  it("thresholds come from config: changing every target and threshold changes every rule that has one", () => {
    const changedTargets = Object.fromEntries(Object.entries(defaults.targets).map(([k, v]) => [k, Number((v * 0.7).toPrecision(6))])) as typeof defaults.targets;
    const changedThresholds = Object.fromEntries(
      Object.entries(defaults.thresholds).map(([k, v]) => [k, Number.isInteger(v) ? v + 3 : Number((v * 0.7).toPrecision(6))]),
    ) as typeof defaults.thresholds;
    const changedIngestion = Object.fromEntries(Object.entries(ingestion).map(([k, v]) => [k, Number((v * 0.7).toPrecision(6))])) as typeof ingestion;
    const changed = alertRuleGroups({ targets: changedTargets, thresholds: changedThresholds, gpu: true, ingestion: changedIngestion, runbookBaseUrl: RUNBOOK_BASE }).flatMap((g) => g.rules);
    // Conditions without a threshold: a state (down, absent, no consumer), any failure, or the heartbeat.
    const thresholdFree = [
      "AgentNoRequests", "McpServerDown", "MongoDBDown", "PipelineStalled", "OllamaDown", "GpuXidErrors", "GpuMetricsMissing",
      "QueueNoConsumers", "BackupMetricsMissing", "BackupFailed", "TargetDown", "HealthEndpointDown", "PrometheusRuleFailures",
      "AlertmanagerNotificationsFailing", "Watchdog", "SpladeFailuresHigh", "RerankFailuresHigh",
    ];
    const key = (rule: AlertRule) => `${rule.alert}/${rule.severity}`;
    const before = new Map(allRules.map((rule) => [key(rule), rule]));
    for (const rule of changed) {
      const old = before.get(key(rule))!;
      const differs = old.expr !== rule.expr || old.for !== rule.for;
      expect(differs, `${key(rule)}: ${thresholdFree.includes(rule.alert) ? "has no threshold but changed" : "ignores its threshold"}`).toBe(!thresholdFree.includes(rule.alert));
    }
    expect(changed.find((r) => r.alert === "ThroughputLow")!.expr).toContain(`< ${changedTargets.throughputMinPerHour} and`);
  });

  it("every area's runbooks are used by a rule, and rule names are CamelCase", () => {
    for (const area of ALERT_AREAS) {
      const used = new Set(area.rules(defaults).map((rule) => rule.runbook));
      expect(Object.keys(area.runbooks).sort(), area.area).toEqual([...used].sort());
    }
    for (const name of alertNames) expect(name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
  });
});
