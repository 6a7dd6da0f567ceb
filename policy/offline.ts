// Runs the pack's policies over synthesized resources, with the argument shapes the engine's
// policy server builds (node_modules/@pulumi/policy/server.js: analyze and analyzeStack), so a
// policy cannot tell the two runners apart except by the values: offline, secrets read
// "[secret]" (the engine unwraps them to plaintext) and props are inputs for stack policies too
// (the engine passes outputs, which for these providers carry the same values plus computed ones).
import type {
  EnforcementLevel,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { ResourceRecord } from "../synth/evaluate";
import { buildPolicies, PACK_NAME } from "./catalog";
import { ENFORCEMENT, type Environment } from "./types";

export interface Violation {
  policy: string;
  enforcement: EnforcementLevel;
  message: string;
  /** The resource it is about; undefined for the stack as a whole. */
  urn?: string;
  name?: string;
}

export interface PolicyReport {
  pack: string;
  environment: Environment;
  violations: Violation[];
  /** Policy name -> how many times it reported "not applicable" (per resource for resource policies). */
  notApplicable: Map<string, number>;
  policies: number;
}

/** `--policy-pack-config` as the CLI reads it: `all` and per-policy enforcement levels. */
export type PackConfig = Record<string, EnforcementLevel | { enforcementLevel?: EnforcementLevel; [key: string]: unknown }>;

class NotApplicable extends Error {}

/** The catalog's policies are synchronous, so the runner is; the engine would await a promise. */
function synchronous(policy: string, result: unknown) {
  if (result instanceof Promise) throw new Error(`policy ${policy} returned a promise: the offline runner runs synchronous policies only`);
}

/** The engine resolves a policy's level the same way: its config, then `all`, then its own. */
function levelOf(name: string, declared: EnforcementLevel | undefined, config: PackConfig): EnforcementLevel {
  const own = config[name];
  const ownLevel = typeof own === "string" ? own : own?.enforcementLevel;
  const all = config.all;
  const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
  const level = ownLevel ?? allLevel ?? declared ?? "advisory";
  // As the engine does: a remediation level that still reports is reported as mandatory.
  return level === "remediate" ? "mandatory" : level;
}

function configOf(name: string, config: PackConfig): Record<string, unknown> {
  const own = config[name];
  if (!own || typeof own === "string") return {};
  const { enforcementLevel: _level, ...rest } = own;
  return rest;
}

function optionsOf(record: ResourceRecord): PolicyResourceOptions {
  return {
    protect: record.protect,
    ignoreChanges: record.ignoreChanges,
    // The engine sets it only when the program did (deleteBeforeReplaceDefined).
    ...(record.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: record.additionalSecretOutputs,
    ...(record.parent ? { parent: record.parent } : {}),
  };
}

const isTypeOf = (type: string) => (resourceClass: { __pulumiType?: string }) => resourceClass.__pulumiType === type;
const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "");
};

export function runPolicies(records: ResourceRecord[], environment: Environment, config: PackConfig = {}): PolicyReport {
  const policies = buildPolicies(environment);
  const violations: Violation[] = [];
  const notApplicable = new Map<string, number>();
  const byUrn = new Map(records.map((r) => [r.urn, r]));
  const stackTags: ReadonlyMap<string, string> = new Map();
  // Provider references are `<urn>::<id>` in the request; the record keeps the URN.
  const providerOf = (record: ResourceRecord) => {
    const provider = record.provider ? byUrn.get(record.provider) : undefined;
    return provider ? { type: provider.type, props: provider.inputs, urn: provider.urn, name: provider.name } : undefined;
  };

  const reporter = (policy: string, level: EnforcementLevel, fallback?: ResourceRecord): ReportViolation => (message, urn) => {
    // Resource policies: the engine ignores the urn argument and uses the validated resource's.
    const target = fallback ?? (urn ? byUrn.get(urn) : undefined);
    violations.push({ policy, enforcement: level, message, urn: target?.urn ?? urn, name: target?.name });
  };

  for (const policy of policies) {
    const level = levelOf(policy.name, policy.enforcementLevel, config);
    if (level === "disabled") continue;
    const getConfig = <T extends object>() => configOf(policy.name, config) as T;
    try {
      if ("validateResource" in policy) {
        const declared = (policy as ResourceValidationPolicy).validateResource;
        const validations: ResourceValidation[] = declared === undefined ? [] : Array.isArray(declared) ? declared : [declared];
        for (const record of records) {
          const provider = providerOf(record);
          const args: ResourceValidationArgs = {
            type: record.type,
            props: record.inputs,
            urn: record.urn,
            name: record.name,
            opts: optionsOf(record),
            ...(provider ? { provider } : {}),
            stackTags,
            isType: isTypeOf(record.type) as ResourceValidationArgs["isType"],
            asType: ((resourceClass: { __pulumiType?: string }) => (isTypeOf(record.type)(resourceClass) ? record.inputs : undefined)) as ResourceValidationArgs["asType"],
            getConfig,
            notApplicable: throwNotApplicable,
          };
          for (const validate of validations) {
            try {
              synchronous(policy.name, validate(args, reporter(policy.name, level, record)));
            } catch (error) {
              if (!(error instanceof NotApplicable)) throw error;
              notApplicable.set(policy.name, (notApplicable.get(policy.name) ?? 0) + 1);
            }
          }
        }
      } else {
        const resources = policyResources(records);
        const args: StackValidationArgs = { resources, stackTags, getConfig, notApplicable: throwNotApplicable };
        synchronous(policy.name, (policy as StackValidationPolicy).validateStack(args, reporter(policy.name, level)));
      }
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw new Error(`policy ${policy.name}: ${(error as Error).stack ?? error}`);
      notApplicable.set(policy.name, (notApplicable.get(policy.name) ?? 0) + 1);
    }
  }
  return { pack: PACK_NAME, environment, violations, notApplicable, policies: policies.length };
}

/** The records as the SDK's PolicyResource: parent and dependencies are the resource objects. */
export function policyResources(records: ResourceRecord[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const resources = records.map((record) => {
    const resource: PolicyResource = {
      type: record.type,
      props: record.inputs,
      urn: record.urn,
      name: record.name,
      opts: optionsOf(record),
      dependencies: [],
      propertyDependencies: {},
      isType: isTypeOf(record.type) as PolicyResource["isType"],
      asType: ((resourceClass: { __pulumiType?: string }) => (isTypeOf(record.type)(resourceClass) ? record.inputs : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(record.urn, resource);
    return resource;
  });
  records.forEach((record, i) => {
    const resource = resources[i];
    const parent = record.parent ? byUrn.get(record.parent) : undefined;
    if (parent) resource.parent = parent;
    resource.dependencies = record.dependsOn.map((urn) => byUrn.get(urn)).filter((r): r is PolicyResource => !!r);
    for (const [key, urns] of Object.entries(record.propertyDependencies ?? {})) {
      resource.propertyDependencies[key] = urns.map((urn) => byUrn.get(urn)).filter((r): r is PolicyResource => !!r);
    }
  });
  return resources;
}

/** Text like the CLI's "Policies:" section. */
export function renderReport(report: PolicyReport): string {
  const lines = [`Policies: ${report.pack} (${report.policies} policies, ${report.environment} rules, violations ${ENFORCEMENT[report.environment]} unless configured otherwise)`];
  if (report.violations.length === 0) lines.push("    no violations");
  for (const v of report.violations) {
    lines.push(`    - [${v.enforcement}]  ${v.policy}  (${v.name ?? "stack"}${v.urn ? `: ${v.urn}` : ""})`);
    lines.push(`      ${v.message}`);
  }
  const mandatory = report.violations.filter((v) => v.enforcement === "mandatory").length;
  lines.push(`${report.violations.length} violations: ${mandatory} mandatory, ${report.violations.length - mandatory} advisory`);
  return lines.join("\n");
}
