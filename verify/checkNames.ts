// The names of verify's checks, in run order, without the checks: `npm run verify -- --help` lists
// them (verify/run.usage.ts) before anything heavy loads. verify/catalog.ts holds the checks
// themselves and refuses to load when its names and these differ.
export const CHECK_NAMES: readonly string[] = [
  "containers",
  "ports",
  "secret-files",
  "nsq-topic",
  "models",
  "mongodb-indexes",
  "mongodb-write",
  "prometheus-targets",
  "prometheus-rules",
  "alertmanager-config",
  "alert-delivery",
  "backup-freshness",
  "grafana-dashboards",
  "edge-tls",
  "edge-routing",
  "edge-cors",
  "edge-rate-limit",
];
