// Which environment's rules the pack applies. The CLI starts a policy pack with the stack's
// configuration and name in its environment (PULUMI_CONFIG, and PULUMI_STACK or, from older CLIs,
// PULUMI_NODEJS_STACK: pkg/resource/plugin/analyzer_plugin.go constructEnv); the offline runner
// evaluates the program with PULUMI_CONFIG set the same way. One function reads them for both.
import { ENVIRONMENT_CONFIG_KEY, LABELS } from "./facts";
import { containers } from "./graph";
import { label } from "./read";
import { ENVIRONMENTS, type Environment, type StackEntry } from "./types";

export interface PackEnvironment {
  environment: Environment;
  /** Where it came from, for the pack's log and the offline report. */
  source: string;
}

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
  const stack = env.PULUMI_STACK ?? env.PULUMI_NODEJS_STACK;
  if (isEnvironment(stack)) return { environment: stack, source: "stack name" };
  return { environment: "production", source: "default (no stack config seen): the strictest rules" };
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
