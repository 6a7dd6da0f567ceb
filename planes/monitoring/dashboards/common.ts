// Shared pieces of the five dashboards: the datasource, stat and time-series panels built with
// the Grafana Foundation SDK, and the classic (v1) dashboard JSON that Grafana's file provisioning loads.
// The SDK's subpath types come from ./grafana-sdk.d.ts; referenced here because the engine's ts-node
// compiles only what is required (tsc alone would find it through tsconfig's include).
/// <reference path="./grafana-sdk.d.ts" />
import { GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, ReduceDataOptionsBuilder, BigValueGraphMode } from "@grafana/grafana-foundation-sdk/common";
import { DashboardBuilder, RowBuilder, ThresholdsConfigBuilder, ThresholdsMode } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import type { Thresholds } from "../../../config/monitoring";
import type { Targets } from "../../../config/targets";
import type { IngestionTargets } from "../../../config/ingestion";

export interface DashboardContext {
  targets: Targets;
  thresholds: Thresholds;
  /** uid of the provisioned Prometheus datasource. */
  datasourceUid: string;
  /** Default time range, e.g. 24h (the dashboards open on now-24h .. now). */
  defaultRange: string;
  /** The web-ingestion plane's targets while it runs: its dashboard is provisioned too. */
  ingestion?: IngestionTargets;
}

/** Grafana 11.3's dashboard schema version (grafana/grafana:11.3.x); the SDK's own is newer. */
export const GRAFANA_SCHEMA_VERSION = 39;

export type Step = { value: number | null; color: string };

/** Green from `good`, red below it (higher is better). */
export const atLeast = (good: number, warn?: number): Step[] =>
  warn === undefined
    ? [{ value: null, color: "red" }, { value: good, color: "green" }]
    : [{ value: null, color: "red" }, { value: warn, color: "orange" }, { value: good, color: "green" }];

/** Green below `bad`, red from it (lower is better). */
export const atMost = (bad: number, warn?: number): Step[] =>
  warn === undefined
    ? [{ value: null, color: "green" }, { value: bad, color: "red" }]
    : [{ value: null, color: "green" }, { value: warn, color: "orange" }, { value: bad, color: "red" }];

const thresholdsOf = (steps: Step[]) => new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);

export interface PanelOptions {
  unit?: string;
  description?: string;
  /** Width in grid units (24 = full width). */
  span?: number;
  height?: number;
  thresholds?: Step[];
  decimals?: number;
  min?: number;
  max?: number;
}

export class Panels {
  constructor(private readonly ctx: DashboardContext) {}

  private get datasource() {
    return { type: "prometheus", uid: this.ctx.datasourceUid };
  }

  query(expr: string, legend?: string, refId = "A") {
    const builder = new DataqueryBuilder().datasource(this.datasource).expr(expr).refId(refId);
    return legend ? builder.legendFormat(legend) : builder;
  }

  /** One number, reduced to its last value. */
  stat(title: string, expr: string, options: PanelOptions = {}) {
    const panel = new StatPanelBuilder()
      .title(title)
      .datasource(this.datasource)
      .withTarget(this.query(expr))
      .span(options.span ?? 4)
      .height(options.height ?? 4)
      .graphMode(BigValueGraphMode.Area)
      .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]));
    if (options.unit) panel.unit(options.unit);
    if (options.description) panel.description(options.description);
    if (options.thresholds) panel.thresholds(thresholdsOf(options.thresholds));
    if (options.decimals !== undefined) panel.decimals(options.decimals);
    return panel;
  }

  /** A graph of one or more queries; thresholds are drawn as dashed lines. */
  timeseries(title: string, queries: { expr: string; legend: string }[], options: PanelOptions = {}) {
    const panel = new TimeseriesPanelBuilder()
      .title(title)
      .datasource(this.datasource)
      .span(options.span ?? 12)
      .height(options.height ?? 8)
      .lineWidth(1)
      .fillOpacity(10);
    queries.forEach((q, index) => panel.withTarget(this.query(q.expr, q.legend, String.fromCharCode(65 + index))));
    if (options.unit) panel.unit(options.unit);
    if (options.description) panel.description(options.description);
    if (options.min !== undefined) panel.min(options.min);
    if (options.max !== undefined) panel.max(options.max);
    if (options.thresholds) {
      panel.thresholds(thresholdsOf(options.thresholds));
      panel.thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
    }
    return panel;
  }
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  rows: { title: string; panels: (StatPanelBuilder | TimeseriesPanelBuilder)[] }[];
}

/** Classic dashboard JSON (what Grafana's file provisioning reads), built with the SDK. */
export function buildDashboard(spec: DashboardSpec, ctx: DashboardContext): Record<string, unknown> {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(["enrichment", ...spec.tags])
    .time({ from: `now-${ctx.defaultRange}`, to: "now" })
    .refresh("1m")
    .timezone("browser")
    .readonly();
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) builder.withPanel(panel);
  }
  const built = builder.build() as unknown as Record<string, unknown>;
  // Panels need unique ids for links and "view panel"; the SDK leaves them unset.
  const panels = (built.panels as { id?: number }[] | undefined) ?? [];
  panels.forEach((panel, index) => (panel.id = index + 1));
  return {
    ...built,
    id: null,
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    templating: { list: [] },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
  };
}
