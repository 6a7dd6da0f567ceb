// The metrics contract: every alert expression and every dashboard query, parsed with the official
// PromQL parser, reads only contract metrics and matches only labels those metrics have.
import { describe, expect, it } from "vitest";
import { ThresholdsSchema } from "../config/monitoring";
import { TargetsSchema } from "../config/targets";
import { IngestionTargetsSchema } from "../config/ingestion";
import { GATE_METRICS } from "../release/gates";
import { alertRuleGroups } from "../planes/monitoring/alerts";
import { allowedLabels, contractMetricFor, EXPORTER_METRICS, METRICS, PLATFORM_METRICS } from "../facts/metricsContract";
import { buildDashboards } from "../planes/monitoring/dashboards";
import { parsePromql, substituteGrafanaVariables } from "./fixtures/monitoring/promql";

const targets = TargetsSchema.parse(undefined);
const thresholds = ThresholdsSchema.parse(undefined);
/** With the web-ingestion plane, so its area and dashboard are checked too. */
const ingestion = IngestionTargetsSchema.parse(undefined);

/** Problems of one expression against the contract (empty when it is fine). */
function contractProblems(expr: string): string[] {
  const { selectors, errors } = parsePromql(expr);
  const problems = [...errors];
  if (selectors.length === 0 && !/^vector\(/.test(expr)) problems.push("no metric selector at all");
  for (const selector of selectors) {
    if (!selector.metric) {
      problems.push(`selector without a metric name: ${selector.text}`);
      continue;
    }
    if (!contractMetricFor(selector.metric)) {
      problems.push(`metric ${selector.metric} is not in facts/metricsContract.ts`);
      continue;
    }
    const allowed = allowedLabels(selector.metric);
    for (const matcher of selector.matchers) {
      if (matcher.label !== "__name__" && !allowed.has(matcher.label)) {
        problems.push(`${selector.metric} has no label "${matcher.label}" (contract: ${[...allowed].join(", ")})`);
      }
      const known = contractMetricFor(selector.metric)!.values?.[matcher.label];
      if (known && matcher.op === "=" && !known.includes(matcher.value)) {
        problems.push(`${selector.metric}{${matcher.label}="${matcher.value}"}: the contract's values are ${known.join(", ")}`);
      }
    }
  }
  return problems;
}

const rules = alertRuleGroups({ targets, thresholds, gpu: true, ingestion, runbookBaseUrl: "https://example.org/runbooks" }).flatMap((group) => group.rules);

function dashboardQueries(): { where: string; expr: string }[] {
  const queries: { where: string; expr: string }[] = [];
  const dashboards = buildDashboards({ targets, thresholds, datasourceUid: "prometheus", defaultRange: "24h", ingestion });
  for (const [file, json] of Object.entries(dashboards)) {
    const walk = (panels: any[]) => {
      for (const panel of panels) {
        if (panel.panels) walk(panel.panels);
        for (const target of panel.targets ?? []) queries.push({ where: `${file} / ${panel.title} / ${target.refId}`, expr: target.expr });
      }
    };
    walk((json.panels as any[]) ?? []);
  }
  return queries;
}

describe("metrics contract", () => {
  it("includes the promotion gates' metrics with the gates' labels", () => {
    for (const name of Object.values(GATE_METRICS)) expect(contractMetricFor(name) ?? contractMetricFor(`${name}_count`), name).toBeDefined();
    const labels = (name: string) => PLATFORM_METRICS.find((m) => m.name === name)?.labels;
    expect(labels("enrichment_documents_processed_total")).toEqual(expect.arrayContaining(["service", "release", "status"]));
    expect(PLATFORM_METRICS.find((m) => m.name === "enrichment_documents_processed_total")?.values?.status).toEqual(["completed", "failed"]);
    expect(labels("enrichment_cost_usd_total")).toEqual(expect.arrayContaining(["service", "release", "agent", "model"]));
    expect(labels("enrichment_api_requests_total")).toEqual(expect.arrayContaining(["service", "code", "release"]));
    expect(PLATFORM_METRICS.find((m) => m.name === "enrichment_document_completeness_score")?.type).toBe("histogram");
    expect(PLATFORM_METRICS.find((m) => m.name === "enrichment_api_request_duration_seconds")?.type).toBe("histogram");
    expect(PLATFORM_METRICS.find((m) => m.name === "enrichment_release_info")?.type).toBe("gauge");
  });

  it("platform metrics follow Prometheus conventions: enrichment_*, counters end in _total, histograms have buckets", () => {
    for (const metric of METRICS) expect(metric.help.length, metric.name).toBeGreaterThan(5);
    // Exporters name their own (mongodb_ss_opcounters is a counter without _total); ours must not.
    for (const metric of PLATFORM_METRICS) {
      // The ingestion MCP server keeps the seed's names (web_pages_indexed_total, ...).
      expect(metric.name).toMatch(metric.exposedBy.includes("ingestion-mcp-server") && !metric.name.startsWith("enrichment_") ? /^web_[a-z0-9_]+$/ : /^enrichment_[a-z0-9_]+$/);
      if (metric.type === "counter") expect(metric.name, metric.name).toMatch(/_total$/);
      else expect(metric.name, metric.name).not.toMatch(/_total$/);
      if (metric.type === "histogram") expect(metric.buckets?.length, metric.name).toBeGreaterThan(2);
    }
    expect(EXPORTER_METRICS.some((m) => m.name === "probe_ssl_earliest_cert_expiry")).toBe(true);
  });

  it("histogram buckets contain the boundaries the alerts test at", () => {
    const buckets = (name: string) => PLATFORM_METRICS.find((m) => m.name === name)?.buckets ?? [];
    expect(buckets("enrichment_document_completeness_score")).toEqual(expect.arrayContaining([0.5, thresholds.completenessCriticalMin, targets.completenessMin]));
    expect(buckets("enrichment_api_request_duration_seconds")).toEqual(expect.arrayContaining([targets.apiP95MaxSeconds, thresholds.apiP95CriticalSeconds]));
    expect(buckets("enrichment_agent_request_duration_seconds")).toEqual(expect.arrayContaining([thresholds.agentP95MaxSeconds]));
    expect(buckets("enrichment_db_operation_duration_seconds")).toEqual(expect.arrayContaining([thresholds.databaseP95MaxSeconds]));
    // The seed's histogram and buckets, and the seed's success metrics on their boundaries.
    expect(buckets("web_index_duration_seconds")).toEqual([0.5, 1, 2, 5, 10]);
    expect(buckets("web_index_duration_seconds")).toContain(ingestion.indexP95MaxSeconds);
    expect(buckets("web_query_duration_seconds")).toContain(ingestion.queryP95MaxSeconds);
  });

  it("the checker rejects what it must: unknown metrics, unknown labels, wrong values, bad syntax", () => {
    expect(contractProblems("rate(enrichment_documents_processd_total[5m])")).toEqual([
      "metric enrichment_documents_processd_total is not in facts/metricsContract.ts",
    ]);
    expect(contractProblems('enrichment_review_queue_depth{queue="x"}')[0]).toMatch(/has no label "queue"/);
    expect(contractProblems('enrichment_documents_processed_total{status="done"}')[0]).toMatch(/the contract's values are completed, failed/);
    expect(contractProblems("sum(rate(up[5m])")[0]).toMatch(/parse error/);
    expect(contractProblems('{__name__="not_a_metric"}')[0]).toMatch(/not_a_metric is not in/);
    expect(contractProblems('histogram_quantile(0.95, sum by (le) (rate(enrichment_api_request_duration_seconds_bucket{le="0.2"}[5m])))')).toEqual([]);
  });

  it.each(rules.map((rule) => [`${rule.alert} (${rule.severity})`, rule.expr]))("alert %s uses contract metrics only", (_name, expr) => {
    expect(contractProblems(expr)).toEqual([]);
  });

  it("every dashboard query uses contract metrics only", () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(40);
    const problems = queries.flatMap((q) => contractProblems(substituteGrafanaVariables(q.expr)).map((p) => `${q.where}: ${p}`));
    expect(problems).toEqual([]);
  });

  it("every platform metric is used by an alert or a dashboard (the contract lists nothing dead)", () => {
    const used = new Set<string>();
    for (const expr of [...rules.map((r) => r.expr), ...dashboardQueries().map((q) => substituteGrafanaVariables(q.expr))]) {
      for (const selector of parsePromql(expr).selectors) if (selector.metric) used.add(contractMetricFor(selector.metric)?.name ?? selector.metric);
    }
    const unused = PLATFORM_METRICS.map((m) => m.name).filter((name) => !used.has(name));
    expect(unused).toEqual([]);
  });
});
