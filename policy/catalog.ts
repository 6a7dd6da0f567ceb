// The pack's policies: every entry of every area, turned into @pulumi/policy policies for one
// environment. Imported by the pack's entry point (index.ts), the offline runner and the tests.
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ALERTING_POLICIES } from "./alerting";
import { BACKUP_POLICIES } from "./backups";
import { CAPACITY_POLICIES } from "./capacity";
import { CONTAINER_POLICIES } from "./containers";
import { DATA_POLICIES } from "./data";
import { ENVIRONMENT_POLICIES } from "./environment";
import { EXPOSURE_POLICIES } from "./exposure";
import { MONITORING_POLICIES } from "./monitoring";
import { SECRET_POLICIES } from "./secrets";
import { STATE_POLICIES } from "./state";
import { TLS_POLICIES } from "./tls";
import { describe, ENFORCEMENT, type CatalogEntry, type Environment, type PolicyContext } from "./types";

export const PACK_NAME = "enrichment-checklist";

export const CATALOG: readonly CatalogEntry[] = [
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
  ...ENVIRONMENT_POLICIES,
];

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
      const policy: ResourceValidationPolicy = {
        ...base,
        validateResource: (args, report) => {
          if (!entry.types.includes(args.type)) args.notApplicable(`only for ${entry.types.join(", ")}`);
          if (!applies) args.notApplicable(notHere);
          entry.validate(ctx, args, report);
        },
      };
      return policy;
    }
    const policy: StackValidationPolicy = {
      ...base,
      validateStack: (args, report) => {
        if (!applies) args.notApplicable(notHere);
        entry.validate(ctx, args, report);
      },
    };
    return policy;
  });
}
