// The five dashboards, by file name in the provisioned folder.
import { agentPerformance } from "./agentPerformance";
import type { DashboardContext } from "./common";
import { costTracking } from "./costTracking";
import { documentQuality } from "./documentQuality";
import { enrichmentOverview } from "./enrichmentOverview";
import { processingThroughput } from "./processingThroughput";
import { webIngestion } from "./webIngestion";

export type { DashboardContext } from "./common";

export const DASHBOARDS = [
  { file: "enrichment-overview.json", build: enrichmentOverview },
  { file: "agent-performance.json", build: agentPerformance },
  { file: "cost-tracking.json", build: costTracking },
  { file: "document-quality.json", build: documentQuality },
  { file: "processing-throughput.json", build: processingThroughput },
] as const;

/** Provisioned only while the web-ingestion plane runs. */
export const INGESTION_DASHBOARD = { file: "web-ingestion.json", build: webIngestion } as const;

/** File name -> dashboard JSON object. */
export function buildDashboards(ctx: DashboardContext): Record<string, Record<string, unknown>> {
  const dashboards = Object.fromEntries(DASHBOARDS.map((d) => [d.file, d.build(ctx)]));
  if (ctx.ingestion) dashboards[INGESTION_DASHBOARD.file] = INGESTION_DASHBOARD.build({ ...ctx, ingestion: ctx.ingestion });
  return dashboards;
}
