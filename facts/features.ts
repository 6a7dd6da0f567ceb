// The ENABLE_* feature flags: the one list of the flags a stack may set (`enrichment:features`),
// which services read each one, and its value when the stack does not set it. Services receive
// every flag they read as an environment value ("true" / "false"), always explicit, so a
// container's behaviour never depends on a default baked into its image.
import type { AppService } from "./services";

/** A service that reads flags: one of the platform's own services or an agent of facts/agents.ts. */
export type FeatureReader = AppService | (string & {});

export interface FeatureFlag {
  description: string;
  /** Value when the stack does not set the flag. */
  default: boolean;
  /** Services (DNS names / release.images keys) that get the flag in their environment. */
  readBy: readonly FeatureReader[];
}

export const FEATURE_FLAGS = {
  ENABLE_AUTO_APPROVAL: {
    description: "approve enriched documents that meet the auto-approval target without a human review",
    default: false,
    readBy: ["enrichment-coordinator", "enrichment-worker", "review-api"],
  },
  ENABLE_CONTEXT_AGENT: {
    description: "route historical-context tasks to context-agent (Anthropic API); off, documents skip that step",
    default: true,
    readBy: ["mcp-server", "enrichment-coordinator", "enrichment-worker"],
  },
  ENABLE_COST_TRACKING: {
    description: "record the cost of every enrichment job in cost_records",
    default: true,
    readBy: ["enrichment-coordinator", "enrichment-worker", "cost-api", "context-agent"],
  },
} as const satisfies Record<string, FeatureFlag>;

export type FeatureName = keyof typeof FEATURE_FLAGS;

export const FEATURE_NAMES = Object.keys(FEATURE_FLAGS) as FeatureName[];

export function isFeatureName(name: string): name is FeatureName {
  return Object.prototype.hasOwnProperty.call(FEATURE_FLAGS, name);
}

/**
 * The flags `service` reads, as environment values: the stack's value, else the flag's default.
 * `settings` is `enrichment:features` (validated by the schema: only names from FEATURE_FLAGS).
 */
export function featureEnv(service: string, settings: Readonly<Record<string, boolean>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of FEATURE_NAMES) {
    const flag: FeatureFlag = FEATURE_FLAGS[name];
    if (!flag.readBy.includes(service)) continue;
    env[name] = String(settings[name] ?? flag.default);
  }
  return env;
}
