// The canary split, as pure planning: which worker (by index) and which agent runs the candidate
// release, and which the current one. No resources here; workers.ts and planes/agents/agents.ts apply it.
//
// The candidate runs on the FIRST `canary.workers` workers (enrichment-worker-1..N). Scaling the
// pool adds or removes workers at the end, so it never moves an existing worker between tracks:
// only a change of `canary.workers` (or of a release) changes which workers run what.

export type Track = "stable" | "canary";

/** The images of a release (the current one, or the candidate). */
export interface ReleaseImages {
  version: string;
  images: Readonly<Record<string, string>>;
}

/** `enrichment:canary` as the schema parses it. */
export interface CanarySettings {
  release: ReleaseImages;
  /** How many workers run the candidate. */
  workers: number;
  /** Agents (by name) that run the candidate. */
  agents: readonly string[];
  /**
   * For agents named in `agents`: how many of their replicas (the first ones) run the candidate;
   * an agent not listed here runs it on all its replicas.
   */
  agentReplicas?: Readonly<Record<string, number>>;
}

/** What one container runs. */
export interface ReleaseAssignment {
  track: Track;
  /** Release version, shown as the `org.enrichment.release` label. */
  version: string;
  image: string;
}

export const WORKER_SERVICE = "enrichment-worker";

function imageOf(release: ReleaseImages, service: string, where: string): string {
  const image = release.images[service];
  if (!image) throw new Error(`canary plan: ${where}.images has no "${service}" image; add it (pinned by digest) to ${where}.images`);
  return image;
}

const stable = (current: ReleaseImages, service: string, image?: string): ReleaseAssignment => ({
  track: "stable",
  version: current.version,
  image: image ?? imageOf(current, service, "release"),
});

const candidate = (canary: CanarySettings, service: string): ReleaseAssignment => ({
  track: "canary",
  version: canary.release.version,
  image: imageOf(canary.release, service, "canary.release"),
});

/** One assignment per worker, index 1..replicas: the first `canary.workers` run the candidate. */
export function planWorkers(replicas: number, current: ReleaseImages, canary?: CanarySettings): ReleaseAssignment[] {
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`canary plan: workers.replicas must be an integer >= 1, got ${replicas}`);
  const onCandidate = canary?.workers ?? 0;
  if (!Number.isInteger(onCandidate) || onCandidate < 0 || onCandidate > replicas) {
    throw new Error(`canary plan: canary.workers must be an integer from 0 to workers.replicas (${replicas}), got ${onCandidate}`);
  }
  const plan: ReleaseAssignment[] = [];
  const stableWorker = onCandidate < replicas ? stable(current, WORKER_SERVICE) : undefined;
  const canaryWorker = canary && onCandidate > 0 ? candidate(canary, WORKER_SERVICE) : undefined;
  for (let index = 1; index <= replicas; index++) plan.push(index <= onCandidate ? canaryWorker! : stableWorker!);
  return plan;
}

/**
 * What each replica of an agent runs (index 0 is `<name>` or `<name>-1`): the first
 * `canary.agentReplicas[name]` replicas (all of them when unset) run the candidate when
 * `canary.agents` names the agent; the others run the current release, or `imageOverride`
 * (`enrichment:agents.<name>.image`) on the current release.
 */
export function planAgent(name: string, replicas: number, current: ReleaseImages, canary?: CanarySettings, imageOverride?: string): ReleaseAssignment[] {
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`canary plan: ${name} replicas must be an integer >= 1, got ${replicas}`);
  const named = canary?.agents.includes(name) ?? false;
  const onCandidate = named ? (canary?.agentReplicas?.[name] ?? replicas) : 0;
  if (!Number.isInteger(onCandidate) || onCandidate < 0 || onCandidate > replicas) {
    throw new Error(`canary plan: canary.agentReplicas.${name} must be an integer from 1 to the agent's replicas (${replicas}), got ${onCandidate}`);
  }
  const stableAgent = onCandidate < replicas ? stable(current, name, imageOverride) : undefined;
  const canaryAgent = onCandidate > 0 ? candidate(canary!, name) : undefined;
  return Array.from({ length: replicas }, (_, i) => (i < onCandidate ? canaryAgent! : stableAgent!));
}

/** Worker container name for an index (1-based): stable across scaling. */
export function workerName(index: number): string {
  return `${WORKER_SERVICE}-${index}`;
}
