// Alerting, read from the generated config files the containers receive: at least 30 alert rules
// loaded by Prometheus; Alertmanager with a receiver enabled, routing critical alerts to a pager
// in production.
import type { PolicyResource } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";
import { ALERTMANAGER, CRITICAL_ALERT_LABELS, PAGING_CONFIGS, PROMETHEUS, THRESHOLDS } from "./facts";
import { containersOf } from "./graph";
import { commandOf, fileContent, flagValue, uploads, UNKNOWN } from "./read";
import type { StackEntry } from "./types";

/** The config file a container reads (its --config.file flag or the image default), parsed. */
function configOf(container: PolicyResource, flag: string, fallback: string): { path: string; doc?: any; error?: string } {
  const path = flagValue(commandOf(container.props), flag) ?? fallback;
  const text = fileContent(container.props, path);
  if (text === undefined) return { path, error: `no readable upload at ${path}` };
  try {
    return { path, doc: parseYaml(text) };
  } catch (error) {
    return { path, error: `${path} is not YAML: ${(error as Error).message}` };
  }
}

const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);

export const alertRulesLoaded: StackEntry = {
  kind: "stack",
  name: "alerting-rules-loaded",
  why: `An alert that Prometheus does not load never fires; the checklist asks for ${THRESHOLDS.minAlertRules}+ rules across its ten categories, counted from the rule files prometheus.yml actually lists.`,
  checklist: "Alert rules loaded: 30+ rules active",
  validate(_ctx, { resources }, report) {
    const [prometheus] = containersOf(resources, PROMETHEUS.service);
    if (!prometheus) {
      report("no Prometheus container (label org.enrichment.service=prometheus): no alert rule is loaded");
      return;
    }
    const config = configOf(prometheus, PROMETHEUS.configFlag, PROMETHEUS.defaultConfig);
    if (config.error) {
      report(config.error, prometheus.urn);
      return;
    }
    const patterns: string[] = Array.isArray(config.doc?.rule_files) ? config.doc.rule_files : [];
    const files = uploads(prometheus.props).filter((u) => u.content !== UNKNOWN && patterns.some((p) => globToRegExp(p).test(u.file)));
    const names = new Set<string>();
    let rules = 0;
    for (const file of files) {
      let doc: any;
      try {
        doc = parseYaml(file.content as string);
      } catch (error) {
        report(`${file.file} is not YAML: ${(error as Error).message}`, prometheus.urn);
        continue;
      }
      for (const group of doc?.groups ?? []) {
        for (const rule of group?.rules ?? []) {
          if (typeof rule?.alert === "string") {
            rules++;
            names.add(rule.alert);
          }
        }
      }
    }
    if (rules < THRESHOLDS.minAlertRules) {
      report(`${rules} alert rules loaded (${files.length} rule files listed in ${config.path} and uploaded); expected >= ${THRESHOLDS.minAlertRules}`, prometheus.urn);
    }
  },
};

interface Route {
  receiver?: string;
  matchers?: string[];
  match?: Record<string, string>;
  match_re?: Record<string, string>;
  continue?: boolean;
  routes?: Route[];
}

/** One Alertmanager matcher (`name="value"`, `=~`, `!=`, `!~`) against a label set. */
function matcherMatches(matcher: string, labels: Record<string, string>): boolean {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(.*?))\s*$/.exec(matcher);
  if (!m) return false;
  const [, name, op, quoted, bare] = m;
  const expected = quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : bare;
  const value = labels[name] ?? "";
  switch (op) {
    case "=":
      return value === expected;
    case "!=":
      return value !== expected;
    case "=~":
      return new RegExp(`^(?:${expected})$`).test(value);
    default:
      return !new RegExp(`^(?:${expected})$`).test(value);
  }
}

function routeMatches(route: Route, labels: Record<string, string>): boolean {
  for (const matcher of route.matchers ?? []) if (!matcherMatches(matcher, labels)) return false;
  for (const [name, value] of Object.entries(route.match ?? {})) if ((labels[name] ?? "") !== value) return false;
  for (const [name, re] of Object.entries(route.match_re ?? {})) if (!new RegExp(`^(?:${re})$`).test(labels[name] ?? "")) return false;
  return true;
}

/** The receivers an alert with `labels` reaches, as Alertmanager routes it. */
export function routeReceivers(route: Route, labels: Record<string, string>, inherited?: string): string[] {
  const receiver = route.receiver ?? inherited;
  const out: string[] = [];
  for (const child of route.routes ?? []) {
    if (!routeMatches(child, labels)) continue;
    out.push(...routeReceivers(child, labels, receiver));
    if (!child.continue) break;
  }
  return out.length ? out : receiver ? [receiver] : [];
}

type Receiver = Record<string, unknown> & { name: string };

const integrations = (receiver: Receiver) =>
  Object.entries(receiver).filter(([key, value]) => key.endsWith("_configs") && Array.isArray(value) && value.length > 0).map(([key]) => key);

function alertmanagerConfig(resources: PolicyResource[], report: (message: string, urn?: string) => void) {
  const [alertmanager] = containersOf(resources, ALERTMANAGER.service);
  if (!alertmanager) {
    report("no Alertmanager container (label org.enrichment.service=alertmanager): alerts reach nobody");
    return undefined;
  }
  const config = configOf(alertmanager, ALERTMANAGER.configFlag, ALERTMANAGER.defaultConfig);
  if (config.error) {
    report(config.error, alertmanager.urn);
    return undefined;
  }
  return { container: alertmanager, doc: config.doc as { route?: Route; receivers?: Receiver[] }, path: config.path };
}

export const receiverEnabled: StackEntry = {
  kind: "stack",
  name: "alerting-receiver-enabled",
  why: "An Alertmanager whose receivers have no integration drops every alert silently.",
  checklist: "Alert channels configured: Email notifications; Slack integration; PagerDuty integration",
  validate(_ctx, { resources }, report) {
    const am = alertmanagerConfig(resources, report);
    if (!am) return;
    const enabled = (am.doc.receivers ?? []).filter((r) => integrations(r).length > 0);
    if (enabled.length === 0) report(`no receiver in ${am.path} has an integration (slack_configs, pagerduty_configs, email_configs, ...)`, am.container.urn);
  },
};

export const criticalPages: StackEntry = {
  kind: "stack",
  name: "alerting-critical-pages",
  why: "A critical alert in production must wake someone: it is routed to a receiver that pages (PagerDuty, Opsgenie, VictorOps), not only to a chat channel.",
  checklist: "PagerDuty integration; Check for alerts: Immediate response",
  environments: ["production"],
  validate(_ctx, { resources }, report) {
    const am = alertmanagerConfig(resources, report);
    if (!am) return;
    if (!am.doc.route) {
      report(`${am.path} has no route`, am.container.urn);
      return;
    }
    const reached = routeReceivers(am.doc.route, CRITICAL_ALERT_LABELS);
    const byName = new Map((am.doc.receivers ?? []).map((r) => [r.name, r]));
    const paging = reached.filter((name) => {
      const receiver = byName.get(name);
      return receiver && integrations(receiver).some((i) => (PAGING_CONFIGS as readonly string[]).includes(i));
    });
    if (paging.length === 0) {
      const labels = Object.entries(CRITICAL_ALERT_LABELS).map(([k, v]) => `${k}="${v}"`).join(",");
      report(`an alert {${labels}} reaches ${reached.join(", ") || "no receiver"}, none of which pages (${PAGING_CONFIGS.join(", ")}); enable enrichment:monitoring.alerting.pagerduty`, am.container.urn);
    }
  },
};

export const ALERTING_POLICIES = [alertRulesLoaded, receiverEnabled, criticalPages];
