// Grafana provisioning: the Prometheus datasource, the dashboard provider, and five classic (v1)
// dashboards with the default 24 h range, thresholds from the stack's targets.
import * as YAML from "yaml";
import { describe, expect, it } from "vitest";
import { MonitoringSchema } from "../config/monitoring";
import { TargetsSchema } from "../config/targets";
import { GRAFANA_SCHEMA_VERSION } from "../planes/monitoring/dashboards/common";
import { GRAFANA_PATHS } from "../facts/monitoringFiles";
import { grafanaFiles, PROMETHEUS_DATASOURCE_UID } from "../planes/monitoring/grafana";

const settings = MonitoringSchema.parse(undefined);
const targets = TargetsSchema.parse(undefined);
const input = {
  prometheusUrl: "http://prometheus:9090",
  scrapeInterval: settings.scrapeInterval,
  dashboards: { targets, thresholds: settings.thresholds, defaultRange: settings.grafana.defaultRange },
};
const files = grafanaFiles(input);
const dashboards = Object.entries(files)
  .filter(([file]) => file.startsWith(`${GRAFANA_PATHS.dashboards}/`))
  .map(([file, text]) => ({ file, json: JSON.parse(text) }));

const panelsOf = (json: any): any[] => (json.panels as any[]).flatMap((panel) => [panel, ...(panel.panels ?? [])]);

describe("Grafana provisioning", () => {
  it("provisions the Prometheus datasource with a fixed uid, as the default", () => {
    const datasources = YAML.parse(files[GRAFANA_PATHS.datasources]!);
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: PROMETHEUS_DATASOURCE_UID, type: "prometheus", url: "http://prometheus:9090", isDefault: true, access: "proxy" }),
    ]);
    expect(datasources.datasources[0].jsonData.timeInterval).toBe("15s");
  });

  it("provisions a file provider reading the folder the dashboards are uploaded to", () => {
    const providers = YAML.parse(files[GRAFANA_PATHS.providers]!);
    expect(providers.providers).toEqual([expect.objectContaining({ type: "file", options: expect.objectContaining({ path: GRAFANA_PATHS.dashboards }) })]);
    expect(dashboards.every(({ file }) => file.startsWith(providers.providers[0].options.path + "/"))).toBe(true);
  });

  it("has the five dashboards", () => {
    expect(dashboards.map(({ json }) => json.title).sort()).toEqual(
      ["Agent Performance", "Cost Tracking", "Document Quality", "Enrichment Overview", "Processing Throughput"],
    );
    expect(new Set(dashboards.map(({ json }) => json.uid)).size).toBe(5);
  });

  it.each(dashboards.map(({ file, json }) => [file, json]))("%s is classic (v1) dashboard JSON with a 24 h default range", (_file, json) => {
    expect(json.time).toEqual({ from: "now-24h", to: "now" });
    expect(json.schemaVersion).toBe(GRAFANA_SCHEMA_VERSION);
    expect(Array.isArray(json.panels)).toBe(true);
    expect(json.id).toBeNull();
    expect(json.editable).toBe(false);
    // v2 dashboards have elements and a layout instead of panels.
    expect(json).not.toHaveProperty("elements");
    expect(json).not.toHaveProperty("layout");
    expect(json.templating).toEqual({ list: [] });
    expect(json.annotations.list.length).toBe(1);

    const panels = panelsOf(json);
    const dataPanels = panels.filter((p) => p.type !== "row");
    expect(dataPanels.length).toBeGreaterThanOrEqual(6);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const panel of dataPanels) {
      expect(["stat", "timeseries"]).toContain(panel.type);
      expect(panel.datasource).toEqual({ type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID });
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        expect(target.expr.length, panel.title).toBeGreaterThan(3);
        expect(target.datasource.uid).toBe(PROMETHEUS_DATASOURCE_UID);
      }
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      expect(panel.gridPos.h, panel.title).toBeGreaterThan(0);
    }
    // Panels do not overlap.
    const cells = new Set<string>();
    for (const panel of panels) {
      for (let x = panel.gridPos.x; x < panel.gridPos.x + panel.gridPos.w; x++) {
        for (let y = panel.gridPos.y; y < panel.gridPos.y + panel.gridPos.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `${panel.title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  it("takes its range and thresholds from config", () => {
    const custom = grafanaFiles({
      ...input,
      dashboards: { ...input.dashboards, defaultRange: "7d", targets: { ...targets, throughputMinPerHour: 80, costPerDocumentMaxUsd: 0.35 } },
    });
    const overview = JSON.parse(custom[`${GRAFANA_PATHS.dashboards}/enrichment-overview.json`]!);
    expect(overview.time.from).toBe("now-7d");
    const steps = (title: string) => panelsOf(overview).find((p) => p.title === title)?.fieldConfig.defaults.thresholds.steps;
    expect(steps("Documents per hour")).toEqual([{ value: null, color: "red" }, { value: 80, color: "green" }]);
    expect(steps("Cost per document")).toEqual([{ value: null, color: "green" }, { value: 0.35, color: "red" }]);
    const original = JSON.parse(files[`${GRAFANA_PATHS.dashboards}/enrichment-overview.json`]!);
    expect(panelsOf(original).find((p) => p.title === "Documents per hour")?.fieldConfig.defaults.thresholds.steps[1].value).toBe(targets.throughputMinPerHour);
  });
});
