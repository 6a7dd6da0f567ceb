// The shape of one checklist policy, and how an environment turns into an enforcement level.
import type { EnforcementLevel, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

export const ENVIRONMENTS = ["staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The one table that decides enforcement: production refuses, staging warns. */
export const ENFORCEMENT: Record<Environment, EnforcementLevel> = {
  production: "mandatory",
  staging: "advisory",
};

/** What a policy knows besides the resources: the environment whose rules it applies. */
export interface PolicyContext {
  environment: Environment;
}

interface EntryBase {
  /** Policy name: unique in the pack, shown with every violation. */
  name: string;
  /** Why the rule exists, in one sentence. */
  why: string;
  /** The checklist item it enforces, quoted from ../shared/spec.md or the checklist document. */
  checklist: string;
  /** Environments the rule applies to; elsewhere it reports "not applicable". Default: all. */
  environments?: readonly Environment[];
}

export interface ResourceEntry extends EntryBase {
  kind: "resource";
  /**
   * Resource types the rule reads; any other type is not applicable. A rule for containers reads
   * a swarm's services too, through their container view (workloads.ts).
   */
  types: readonly string[];
  /**
   * It reads the content of generated files. On a swarm those are docker.ServiceConfig resources,
   * which a resource policy cannot see: the stack policy `swarm-generated-files` runs it on each
   * service with the files resolved.
   */
  readsGeneratedFiles?: boolean;
  validate(ctx: PolicyContext, args: ResourceValidationArgs, report: ReportViolation): void;
}

export interface StackEntry extends EntryBase {
  kind: "stack";
  validate(ctx: PolicyContext, args: StackValidationArgs, report: ReportViolation): void;
}

export type CatalogEntry = ResourceEntry | StackEntry;

export const describe = (entry: CatalogEntry) => `${entry.why} Checklist: "${entry.checklist}".`;
