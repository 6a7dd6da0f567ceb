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
 * What an agent (all its replicas) runs: the candidate when `canary.agents` names it, else the
 * current release, or `imageOverride` (`enrichment:agents.<name>.image`) on the current release.
 */
export function planAgent(name: string, current: ReleaseImages, canary?: CanarySettings, imageOverride?: string): ReleaseAssignment {
  if (canary?.agents.includes(name)) return candidate(canary, name);
  return stable(current, name, imageOverride);
}

/** Worker container name for an index (1-based): stable across scaling. */
export function workerName(index: number): string {
  return `${WORKER_SERVICE}-${index}`;
}
