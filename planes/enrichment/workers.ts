// The enrichment worker pool (8002). On one host: `replicas` containers, each its own resource
// with a stable name (enrichment-worker-1, -2, ...); scaling adds or removes workers at the end
// and leaves the others' inputs untouched; the canary split (canary.ts) puts the first
// `canary.workers` on the candidate release; one image resource per distinct image, shared by the
// workers that run it. On a swarm: one service per track (enrichment-worker, and
// enrichment-worker-canary while a canary runs), whose replicas are the track's share of the pool;
// scaling changes only their replica count. Both come from one description (workerSpec).
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import { PlatformContext, targetOf } from "../../components/context";
import { deployService, PlatformService, sharedImage } from "../../components/deploy";
import type { ServiceSpec } from "../../components/serviceSpec";
import { PORTS } from "../../facts/services";
import { TASK_SLOT } from "../../facts/swarm";
import { CanarySettings, planWorkers, ReleaseAssignment, ReleaseImages, Track, WORKER_SERVICE, workerName } from "../../config/canary";
import { httpHealthcheck, METRICS_PATH, releaseLabels, ScrapeTarget, wire, Wiring } from "./wiring";

export interface EnrichmentWorkersArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  /** `enrichment:workers.replicas`. */
  replicas: number;
  /** The current release (its `enrichment-worker` image). */
  release: ReleaseImages;
  /** `enrichment:canary`: the first `canary.workers` workers run its candidate. */
  canary?: CanarySettings;
  memoryMb: number;
  cpus: number;
  /** NSQ, MongoDB and MCP client wirings, and the coordinator's. */
  clients: Wiring[];
  features?: Record<string, string>;
  /** More to wait for (e.g. the MongoDB indexes). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  waitTimeoutSeconds?: number;
}

/** The swarm service of a track: the pool's name for the current release, `-canary` for the candidate. */
export const workerServiceOf = (track: Track) => (track === "stable" ? WORKER_SERVICE : `${WORKER_SERVICE}-canary`);

export class EnrichmentWorkers extends pulumi.ComponentResource {
  /** One host: index i (0-based) is enrichment-worker-(i+1). A swarm: one service per track that has workers. */
  readonly workers: PlatformService[] = [];
  readonly plan: ReleaseAssignment[];
  /** Image resources (one host) or references (a swarm) by track; the same for both when the candidate's image is the current one. */
  readonly images: Partial<Record<Track, string | docker.RemoteImage>> = {};
  readonly scrapeTarget: ScrapeTarget;

  constructor(name: string, args: EnrichmentWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:enrichment:Workers", name, {}, opts);
    this.plan = planWorkers(args.replicas, args.release, args.canary);
    const swarm = targetOf(args.context).kind === "swarm";

    const stableRef = this.plan.find((a) => a.track === "stable")?.image;
    const canaryRef = this.plan.find((a) => a.track === "canary")?.image;
    if (stableRef) this.images.stable = sharedImage(`${WORKER_SERVICE}-image`, stableRef, args.context, { parent: this });
    if (canaryRef) this.images.canary = canaryRef === stableRef ? this.images.stable : sharedImage(`${WORKER_SERVICE}-canary-image`, canaryRef, args.context, { parent: this });

    const common = wire(...args.clients, { env: { PORT: String(PORTS.worker), ...(args.features ?? {}) }, dependsOn: args.dependsOn ?? [] });

    /** The one description of a worker; `id` is its WORKER_ID (a swarm fills in the task's slot). */
    const workerSpec = (service: string, assignment: ReleaseAssignment, id: string): ServiceSpec => {
      const { release, labels } = releaseLabels(assignment);
      return {
        service,
        // The pool's shared name: Prometheus finds every worker through it.
        aliases: [WORKER_SERVICE],
        group: "enrichment",
        image: this.images[assignment.track]!,
        env: { ...common.env, WORKER_ID: id },
        secretFiles: common.secretFiles,
        healthcheck: httpHealthcheck(PORTS.worker),
        waitTimeoutSeconds: args.waitTimeoutSeconds ?? 120,
        memoryMb: args.memoryMb,
        cpus: args.cpus,
        release,
        labels: { ...labels, "org.enrichment.pool": WORKER_SERVICE },
        dependsOn: common.dependsOn,
      };
    };

    if (swarm) {
      for (const track of ["stable", "canary"] as const) {
        const assignments = this.plan.filter((a) => a.track === track);
        if (assignments.length === 0) continue;
        const service = workerServiceOf(track);
        const spec = workerSpec(service, assignments[0]!, `${service}-${TASK_SLOT}`);
        // The stable service is named after the pool; the canary's tasks join the pool's name as an alias.
        spec.aliases = track === "canary" ? [WORKER_SERVICE] : [];
        this.workers.push(deployService(service, { context: args.context, network: args.network, ...spec, replicas: assignments.length }, { parent: this }));
      }
    } else {
      this.plan.forEach((assignment, i) => {
        const service = workerName(i + 1);
        this.workers.push(deployService(service, { context: args.context, network: args.network, ...workerSpec(service, assignment, service) }, { parent: this }));
      });
    }
    // Found by DNS, not listed: scaling the pool adds a container and changes no Prometheus config
    // (a listed target would replace Prometheus, whose uploads are ForceNew). A worker's series
    // carry its `release` label, which tells the canary's workers from the others. On a swarm,
    // `tasks.<pool>` answers every task of both tracks (the pool's name is an alias of each).
    this.scrapeTarget = {
      job: WORKER_SERVICE,
      targets: [],
      dnsSd: { names: [swarm ? `tasks.${WORKER_SERVICE}` : WORKER_SERVICE], port: PORTS.worker },
      metricsPath: METRICS_PATH,
    };

    this.registerOutputs({ workers: this.workers.map((w) => w.containerName) });
  }
}
