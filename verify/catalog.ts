// Every check `npm run verify` runs against a live stack, as data: what it looks at, why it
// matters, what to do when it fails, and its section in docs/verify.md. The e2e, deploy-staging
// and promote run these same entries through the command; there is no second copy. The order is
// the run order: the cheap state checks first, the ones that wait (first scrapes, alert delivery)
// next, the edge last (its rate-limit burst leaves the client's bucket empty for a few seconds).
import { CHECK_NAMES } from "./checkNames";
import type { CheckOutcome, VerifyContext } from "./context";
import { checkContainers, checkPorts } from "./checks/containers";
import { checkSecretFiles } from "./checks/secretFiles";
import { checkModels, checkMongoIndexes, checkMongoWrite, checkNsqTopic } from "./checks/data";
import { checkAlertDelivery, checkAlertmanagerConfig, checkBackupFreshness, checkGrafanaDashboards, checkPrometheusRules, checkPrometheusTargets } from "./checks/monitoring";
import { checkEdgeCors, checkEdgeRateLimit, checkEdgeRouting, checkEdgeTls } from "./checks/edge";

export interface VerifyCheck {
  /** Stable name: `--only` takes it, the JSON report carries it, docs/verify.md has a section for it. */
  name: string;
  title: string;
  /** What it looks at (the outcome says which, concretely). */
  looksAt: string;
  /** Why it matters: what breaks for whom when it fails. */
  why: string;
  /** What to do when it fails (an outcome may say more precisely). */
  fix: string;
  /** Writes something (the opt-in test alert, the probe document): said in docs/verify.md. */
  writes?: string;
  run(ctx: VerifyContext): Promise<CheckOutcome>;
}

export const RUNBOOK_DOC = "docs/verify.md";
export const runbookOf = (check: Pick<VerifyCheck, "name">) => `${RUNBOOK_DOC}#${check.name}`;

export const VERIFY_CATALOG: readonly VerifyCheck[] = [
  {
    name: "containers",
    title: "every container healthy, limited, restarting",
    looksAt: "every container of the stack (label org.enrichment.stack) against the stack output `containers`: running, healthy by its own healthcheck, restart unless-stopped, memory and CPU limits",
    why: "a stopped or unhealthy service is an outage of everything behind it; no restart policy means the next crash or host reboot is one; no limit lets one service starve the host",
    fix: "read the container's last health probes and logs (`docker inspect`, `docker logs`), fix the cause, then `pulumi up` (it recreates what is missing or changed)",
    run: checkContainers,
  },
  {
    name: "ports",
    title: "published ports, and nothing else",
    looksAt: "the host bindings of every container (configured and actual) against exposure.publish, and a connection to each published port where a client would connect",
    why: "a port bound on every address, or one the stack does not list, exposes a service to the network; a listed port that does not answer is an outage",
    fix: "make exposure.publish say what should be published and `pulumi up`; a binding nobody configured means the container was changed by hand: `pulumi up` replaces it",
    run: checkPorts,
  },
  {
    name: "secret-files",
    title: "secret files: owner, mode, not in any environment",
    looksAt: "/run/secrets and every *_FILE path in every container: owner and mode, read as the service's user and as a stranger; every environment, for the content of any secret file",
    why: "a secret readable by another user, or held in an environment variable (shown by `docker inspect`), leaks to whoever gets into any process or onto the host",
    fix: "`pulumi up` re-uploads every secret file 0400 as its service's user; if an environment holds a secret, the service's image or the stack was changed by hand: redeploy, then rotate that secret",
    run: checkSecretFiles,
  },
  {
    name: "nsq-topic",
    title: "the NSQ topic exists",
    looksAt: "nsqd's /stats (its published port, else busybox wget inside nsqd) for the topic nsq.topic",
    why: "without the topic the coordinator's messages go nowhere and the workers never get work",
    fix: "`pulumi up` creates it (the topic command runs once nsqd is healthy); if nsqd lost its data volume, check the volume too",
    run: checkNsqTopic,
  },
  {
    name: "models",
    title: "each model of the release is pulled",
    looksAt: "`ollama list` inside the Ollama container, against release.models",
    why: "an agent whose model is missing fails every request it gets",
    fix: "`pulumi up` pulls the release's models (ollama.pullTimeoutMinutes bounds each); check the model volume's free space",
    run: checkModels,
  },
  {
    name: "mongodb-indexes",
    title: "the MongoDB indexes, with the TTL",
    looksAt: "every index of facts/indexes.ts (keys, options, the 30-day TTL), read with the index reconciler's own read through MongoDB's loopback port as the application user",
    why: "a missing index turns queries into collection scans (latency, then timeouts); a missing TTL lets review_queue grow forever",
    fix: "`pulumi up` recreates it (the reconciler adds what is missing and never drops what it did not create); `pulumi preview --refresh` shows the drift first",
    run: checkMongoIndexes,
  },
  {
    name: "mongodb-write",
    title: "the application user can write",
    looksAt: "one probe document inserted, read back and deleted in the scratch collection verify_probe, as the application user",
    why: "a database that refuses writes (disk full, wrong user, read-only) stops enrichment while every health check still passes",
    fix: "read MongoDB's log; check the data volume's free space and the application user (its init script runs only on an empty volume: README, Known gaps)",
    writes: "one document in the scratch collection verify_probe, deleted at once (the collection is dropped again when verify made it)",
    run: checkMongoWrite,
  },
  {
    name: "prometheus-targets",
    title: "every Prometheus target up",
    looksAt: "Prometheus's active targets against the jobs of the prometheus.yml the program uploaded (bounded wait for first scrapes: 3 intervals + 30 s, at most 4 min)",
    why: "a target that is down is a service nobody is watching: its alerts cannot fire",
    fix: "the target's lastError says why (its service down, a wrong port, a network); fix that service first",
    run: checkPrometheusTargets,
  },
  {
    name: "prometheus-rules",
    title: "the alert rules are loaded",
    looksAt: "Prometheus's loaded rules (/api/v1/rules) against the rule files the program uploaded, and each rule's evaluation health",
    why: "a rule file Prometheus refused means none of its alerts exist; a failing rule never fires",
    fix: "`promtool check rules` on the file (npm test runs it), then `pulumi up`; a failing rule's lastError names the problem",
    run: checkPrometheusRules,
  },
  {
    name: "alertmanager-config",
    title: "Alertmanager's config and its secret files",
    looksAt: "the alertmanager.yml in the container, the config Alertmanager runs (/api/v2/status), each receiver's secret file (present, not empty, its content nowhere in the config)",
    why: "a config Alertmanager did not load, or a receiver without its credential, means alerts fire and nobody hears them",
    fix: "`pulumi up` re-uploads the config and the secret files; a missing credential is a stack secret (`pulumi config set --secret`)",
    run: checkAlertmanagerConfig,
  },
  {
    name: "alert-delivery",
    title: "one alert delivered (--send-test-alert)",
    looksAt: "with --send-test-alert only: one test alert posted to Alertmanager, routed to Slack's warning receiver (else e-mail's info receiver, never PagerDuty), and Alertmanager's own notification counters",
    why: "the only proof that an alert reaches a person is one that did",
    fix: "Alertmanager's log names the failing notification (alertmanager_notifications_failed_total); check the webhook or SMTP secret and the egress network (docs/runbooks/alertmanager-notifications-failing.md)",
    writes: "one alert (VerifyTestAlert<run>, severity warning or info), resolved again at once: the receiver gets a firing and a resolved message",
    run: checkAlertDelivery,
  },
  {
    name: "backup-freshness",
    title: "the backups are fresh",
    looksAt: "the backup metrics in Prometheus: the last successful dump (and off-host copy) against monitoring.thresholds.backupMaxAgeHours, the last restore test against restoreTestMaxAgeDays",
    why: "a stale backup is data lost on the next failure, and an untested one may not restore",
    fix: "docs/runbooks/backup-too-old.md and docs/backups.md: the backup container's log, a dump by hand (`docker exec <prefix>-mongodb-backup /backup/bin/dump.sh daily`)",
    run: checkBackupFreshness,
  },
  {
    name: "grafana-dashboards",
    title: "Grafana has every dashboard",
    looksAt: "Grafana's /api/search through the edge (admin, password from the stack output grafanaAdminPassword) against the dashboard files the program provisioned",
    why: "an operator opening Grafana during an incident must find the dashboards",
    fix: "Grafana's log names a dashboard it refused; `pulumi up` re-provisions them",
    run: checkGrafanaDashboards,
  },
  {
    name: "edge-tls",
    title: "the edge's certificate: CA, names, expiry",
    looksAt: "the certificate the edge serves for each tls.dnsNames entry (SNI) on its published port: its chain against the stack output caCertificate, its SANs, its dates",
    why: "a certificate from another CA, for other names, or expired, makes every client refuse the platform",
    fix: "`pulumi up` re-uploads the stack's certificate (and renews it tls.earlyRenewalDays before expiry); clients must trust the stack's CA (`pulumi stack output caCertificate`)",
    run: checkEdgeTls,
  },
  {
    name: "edge-routing",
    title: "the edge routes each host name to its service",
    looksAt: "GET <health path> through the edge as each routed tls.dnsNames entry: the answer must come from the route's service",
    why: "a wrong route sends one API's clients to another service",
    fix: "the edge's nginx.conf comes from planes/edge/edgeConfig.ts: `pulumi up` re-uploads it; a 502 means the upstream is down (see containers)",
    run: checkEdgeRouting,
  },
  {
    name: "edge-cors",
    title: "CORS: the allow-list and nothing else",
    looksAt: "preflight and GET through the edge with a listed and an unlisted Origin, on every route",
    why: "CORS for an unlisted origin lets any web page call the APIs with a user's browser; a missing header breaks the listed front-ends",
    fix: "cors.allowedOrigins says who is listed; `pulumi up` re-renders the edge's config",
    run: checkEdgeCors,
  },
  {
    name: "edge-rate-limit",
    title: "the rate limit answers 429",
    looksAt: "a bounded burst of requests to an API route through the edge, against rateLimit (requestsPerSecond, burst)",
    why: "without the limit one client can take the APIs down for everyone",
    fix: "rateLimit in the stack file; `pulumi up` re-renders the edge's config",
    run: checkEdgeRateLimit,
  },
];

// The names, light, for --help (verify/checkNames.ts): the same list, in the same order, or verify does not start.
export { CHECK_NAMES };
if (VERIFY_CATALOG.map((check) => check.name).join() !== CHECK_NAMES.join()) {
  throw new Error(`verify/checkNames.ts lists ${CHECK_NAMES.join(", ")}; verify/catalog.ts has ${VERIFY_CATALOG.map((check) => check.name).join(", ")}: make them the same`);
}
