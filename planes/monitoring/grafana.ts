// Grafana's file provisioning: the Prometheus datasource, a dashboard provider, and the five
// dashboards as classic JSON. Pure functions; the Monitoring component uploads the result.
import * as YAML from "yaml";
import { GRAFANA_PATHS } from "../../facts/monitoringFiles";
import { buildDashboards, DashboardContext } from "./dashboards";

export const PROMETHEUS_DATASOURCE_UID = "prometheus";

export interface GrafanaProvisioningInput {
  /** URL Grafana reaches Prometheus at, e.g. http://prometheus:9090. */
  prometheusUrl: string;
  scrapeInterval: string;
  dashboards: Omit<DashboardContext, "datasourceUid">;
}

export function renderDatasources(input: Pick<GrafanaProvisioningInput, "prometheusUrl" | "scrapeInterval">): string {
  return YAML.stringify({
    apiVersion: 1,
    deleteDatasources: [],
    datasources: [
      {
        name: "Prometheus",
        uid: PROMETHEUS_DATASOURCE_UID,
        type: "prometheus",
        access: "proxy",
        url: input.prometheusUrl,
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: input.scrapeInterval, httpMethod: "POST" },
      },
    ],
  });
}

export function renderDashboardProviders(): string {
  return YAML.stringify({
    apiVersion: 1,
    providers: [
      {
        name: "enrichment",
        orgId: 1,
        folder: "Enrichment",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: GRAFANA_PATHS.dashboards, foldersFromFilesStructure: false },
      },
    ],
  });
}

/** Every file Grafana receives (path in the container -> content), secrets excluded. */
export function grafanaFiles(input: GrafanaProvisioningInput): Record<string, string> {
  const files: Record<string, string> = {
    [GRAFANA_PATHS.datasources]: renderDatasources(input),
    [GRAFANA_PATHS.providers]: renderDashboardProviders(),
  };
  const dashboards = buildDashboards({ ...input.dashboards, datasourceUid: PROMETHEUS_DATASOURCE_UID });
  for (const [file, json] of Object.entries(dashboards)) files[`${GRAFANA_PATHS.dashboards}/${file}`] = `${JSON.stringify(json, null, 2)}\n`;
  return files;
}
