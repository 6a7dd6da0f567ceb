// Dashboards: the five the checklist names are provisioned into Grafana from files.
import { parse as parseYaml } from "yaml";
import { GRAFANA, TYPES } from "./facts";
import { serviceOf, uploads, UNKNOWN } from "./read";
import type { ResourceEntry } from "./types";

export const dashboardsProvisioned: ResourceEntry = {
  kind: "resource",
  name: "monitoring-dashboards",
  why: "Operators watch the platform on these five dashboards; one that is not provisioned is missing after every Grafana replacement.",
  checklist: "5 dashboards: Enrichment Overview, Agent Performance, Cost Tracking, Document Quality, Processing Throughput",
  types: [TYPES.container],
  readsGeneratedFiles: true,
  validate(_ctx, args, report) {
    if (serviceOf(args.props) !== GRAFANA.service) args.notApplicable("not the Grafana container");
    const files = uploads(args.props).filter((u) => u.content !== UNKNOWN);
    const folders: string[] = [];
    for (const provider of files.filter((u) => u.file.startsWith(GRAFANA.providersDir))) {
      try {
        for (const p of parseYaml(provider.content as string)?.providers ?? []) if (typeof p?.options?.path === "string") folders.push(p.options.path.replace(/\/?$/, "/"));
      } catch (error) {
        report(`${provider.file} is not YAML: ${(error as Error).message}`);
      }
    }
    const titles = new Set<string>();
    for (const file of files.filter((u) => u.file.endsWith(".json") && folders.some((f) => u.file.startsWith(f)))) {
      try {
        const title = JSON.parse(file.content as string)?.title;
        if (typeof title === "string") titles.add(title);
      } catch (error) {
        report(`${file.file} is not JSON: ${(error as Error).message}`);
      }
    }
    const missing = GRAFANA.dashboards.filter((t) => !titles.has(t));
    if (missing.length) report(`not provisioned: ${missing.join(", ")} (providers under ${GRAFANA.providersDir} load ${titles.size} dashboards)`);
  },
};

export const MONITORING_POLICIES = [dashboardsProvisioned];
