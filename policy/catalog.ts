// The pack's policies: every entry of every area, turned into @pulumi/policy policies for one
// environment. Imported by the pack's entry point (index.ts), the offline runner and the tests.
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ALERTING_POLICIES } from "./alerting";
import { BACKUP_POLICIES } from "./backups";
import { CAPACITY_POLICIES } from "./capacity";
import { CONTAINER_POLICIES } from "./containers";
import { DATA_POLICIES } from "./data";
import { ENVIRONMENT_POLICIES } from "./environment";
import { INGESTION_POLICIES } from "./ingestion";
import { EXPOSURE_POLICIES } from "./exposure";
import { MONITORING_POLICIES } from "./monitoring";
import { SECRET_POLICIES } from "./secrets";
import { STATE_POLICIES } from "./state";
import { TLS_POLICIES } from "./tls";
import { describe, ENFORCEMENT, type CatalogEntry, type Environment, type PolicyContext, type ResourceEntry, type StackEntry } from "./types";
import { TYPES } from "./facts";
import { configContents, serviceAsContainer } from "./workloads";

export const PACK_NAME = "enrichment-checklist";

const RESOURCE_ENTRIES = [
  ...CONTAINER_POLICIES,
  ...EXPOSURE_POLICIES,
  ...SECRET_POLICIES,
  ...TLS_POLICIES,
  ...STATE_POLICIES,
  ...DATA_POLICIES,
  ...CAPACITY_POLICIES,
  ...ALERTING_POLICIES,
  ...MONITORING_POLICIES,
  ...BACKUP_POLICIES,
  ...INGESTION_POLICIES,
  ...ENVIRONMENT_POLICIES,
];

class NotApplicableHere extends Error {}

/**
 * The container rules that read generated files, run on a swarm's services with their
 * ServiceConfigs resolved (a resource policy sees a service's config references, not the files).
 */
export const swarmGeneratedFiles: StackEntry = {
  kind: "stack",
  name: "swarm-generated-files",
  why: "On a swarm a service's generated files (nginx.conf, Grafana's dashboards) are docker.ServiceConfig resources; the rules that read them on a container read them here on each service.",
  checklist: "(the checklist items of exposure-https-only, exposure-apis-rate-limited and monitoring-dashboards)",
  validate(ctx, { resources }, report) {
    const services = resources.filter((r) => r.type === TYPES.service);
    if (services.length === 0) throw new NotApplicableHere("no swarm service in the stack");
    const configs = configContents(resources);
    const fileRules = RESOURCE_ENTRIES.filter((e): e is ResourceEntry => e.kind === "resource" && !!e.readsGeneratedFiles);
    for (const service of services) {
      const props = serviceAsContainer(service.props, configs);
      for (const rule of fileRules) {
        if (rule.environments && !rule.environments.includes(ctx.environment)) continue;
        const args = {
          type: TYPES.container,
          props,
          urn: service.urn,
          name: service.name,
          opts: service.opts,
          notApplicable: (reason?: string): never => {
            throw new NotApplicableHere(reason ?? "");
          },
        } as unknown as Parameters<ResourceEntry["validate"]>[1];
        try {
          rule.validate(ctx, args, (message) => report(`${rule.name}: ${message}`, service.urn));
        } catch (error) {
          if (!(error instanceof NotApplicableHere)) throw error;
        }
      }
    }
  },
};

export const CATALOG: readonly CatalogEntry[] = [...RESOURCE_ENTRIES, swarmGeneratedFiles];

const names = CATALOG.map((e) => e.name);
const duplicate = names.find((n, i) => names.indexOf(n) !== i);
if (duplicate) throw new Error(`policy ${duplicate} is defined twice`);

/** The catalog as policies for `environment`: one enforcement level for all, from ENFORCEMENT. */
export function buildPolicies(environment: Environment): Policies {
  const ctx: PolicyContext = { environment };
  const enforcementLevel = ENFORCEMENT[environment];
  return CATALOG.map((entry) => {
    const applies = !entry.environments || entry.environments.includes(environment);
    const notHere = `applies to ${entry.environments?.join(", ")} only; this is ${environment}`;
    const base = { name: entry.name, description: describe(entry), enforcementLevel };
    if (entry.kind === "resource") {
      const forServices = entry.types.includes(TYPES.container);
      const policy: ResourceValidationPolicy = {
        ...base,
        validateResource: (args, report) => {
          const service = forServices && args.type === TYPES.service;
          if (!entry.types.includes(args.type) && !service) args.notApplicable(`only for ${entry.types.join(", ")}${forServices ? ` and ${TYPES.service}` : ""}`);
          if (!applies) args.notApplicable(notHere);
          if (!service) return entry.validate(ctx, args, report);
          if (entry.readsGeneratedFiles) args.notApplicable("a service's generated files are ServiceConfig resources: swarm-generated-files checks them");
          // A swarm service, read as the container it stands for (workloads.ts).
          entry.validate(ctx, { ...args, props: serviceAsContainer(args.props) } as typeof args, report);
        },
      };
      return policy;
    }
    const policy: StackValidationPolicy = {
      ...base,
      validateStack: (args, report) => {
        if (!applies) args.notApplicable(notHere);
        try {
          entry.validate(ctx, args, report);
        } catch (error) {
          if (error instanceof NotApplicableHere) args.notApplicable(error.message);
          throw error;
        }
      },
    };
    return policy;
  });
}
