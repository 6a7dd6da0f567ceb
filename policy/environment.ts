// Which environment's rules the pack applies. Older CLIs start a policy pack with the stack's
// configuration and name in its environment (PULUMI_CONFIG, and PULUMI_STACK or PULUMI_NODEJS_STACK:
// analyzer_plugin.go constructEnv), and the offline runner sets PULUMI_CONFIG the same way. CLI
// 3.276 no longer does (measured under the real engine): it sends the config in the ConfigureStack
// call, of which @pulumi/policy 1.21 (the newest) reads only the stack's tags. There the operator
// names the environment: ENRICHMENT_POLICY_ENVIRONMENT=staging (the CLI hands its own environment to
// the pack). Without any of them the strict production rules apply. One function reads them all.
import { ENVIRONMENT_CONFIG_KEY, LABELS } from "./facts";
import { containers } from "./graph";
import { label } from "./read";
import { ENVIRONMENTS, type Environment, type StackEntry } from "./types";

export interface PackEnvironment {
  environment: Environment;
  /** Where it came from, for the pack's log and the offline report. */
  source: string;
}

/** Names the environment where the CLI does not hand the pack the stack's config. */
export const ENVIRONMENT_VARIABLE = "ENRICHMENT_POLICY_ENVIRONMENT";

const isEnvironment = (value: unknown): value is Environment => (ENVIRONMENTS as readonly unknown[]).includes(value);

/** The stack's `enrichment:environment`, else a stack named after an environment, else production (the strict rules). */
export function packEnvironment(env: NodeJS.ProcessEnv = process.env): PackEnvironment {
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(env.PULUMI_CONFIG ?? "{}");
  } catch {
    // An unreadable config is treated as absent: production rules apply.
  }
  const configured = config[ENVIRONMENT_CONFIG_KEY];
  if (isEnvironment(configured)) return { environment: configured, source: `stack config ${ENVIRONMENT_CONFIG_KEY}` };
  const named = env[ENVIRONMENT_VARIABLE];
  if (isEnvironment(named)) return { environment: named, source: ENVIRONMENT_VARIABLE };
  const stack = env.PULUMI_STACK ?? env.PULUMI_NODEJS_STACK;
  if (isEnvironment(stack)) return { environment: stack, source: "stack name" };
  return { environment: "production", source: `default (no stack config seen; set ${ENVIRONMENT_VARIABLE} with a CLI that does not pass it): the strictest rules` };
}

export const environmentMatches: StackEntry = {
  kind: "stack",
  name: "environment-matches-stack",
  why: "The pack applies one environment's rules; containers labelled with another environment mean the wrong rules (and enforcement) are being applied.",
  checklist: "Release: staging first, then production",
  validate(ctx, { resources }, report) {
    for (const container of containers(resources)) {
      const labelled = label(container.props, LABELS.environment);
      if (labelled !== undefined && labelled !== ctx.environment) {
        report(`${container.name} is labelled ${LABELS.environment}=${labelled} but the pack applies ${ctx.environment} rules; run with that stack's config`, container.urn);
      }
    }
  },
};

export const ENVIRONMENT_POLICIES = [environmentMatches];
