// The enrichment worker pool (8002): `replicas` containers, each its own resource with a stable
// name (enrichment-worker-1, -2, ...). Scaling adds or removes workers at the end and leaves the
// others' inputs untouched; the canary split (canary.ts) puts the first `canary.workers` on the
// candidate release. One image resource per distinct image, shared by the workers that run it.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import { PlatformContext, ServiceContainer } from "../../components/serviceContainer";
import { PORTS } from "../../facts/services";
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

export class EnrichmentWorkers extends pulumi.ComponentResource {
  /** Index i (0-based) is enrichment-worker-(i+1). */
  readonly workers: ServiceContainer[] = [];
  readonly plan: ReleaseAssignment[];
  /** Image resources by track; the same resource for both when the candidate's image is the current one. */
  readonly images: Partial<Record<Track, docker.RemoteImage>> = {};
  readonly scrapeTarget: ScrapeTarget;

  constructor(name: string, args: EnrichmentWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:enrichment:Workers", name, {}, opts);
    this.plan = planWorkers(args.replicas, args.release, args.canary);

    const remoteImage = (resourceName: string, ref: string) =>
      new docker.RemoteImage(resourceName, { name: ref, keepLocally: true }, { parent: this });
    const stableRef = this.plan.find((a) => a.track === "stable")?.image;
    const canaryRef = this.plan.find((a) => a.track === "canary")?.image;
    if (stableRef) this.images.stable = remoteImage(`${WORKER_SERVICE}-image`, stableRef);
    if (canaryRef) this.images.canary = canaryRef === stableRef ? this.images.stable : remoteImage(`${WORKER_SERVICE}-canary-image`, canaryRef);

    const common = wire(...args.clients, { env: { PORT: String(PORTS.worker), ...(args.features ?? {}) }, dependsOn: args.dependsOn ?? [] });

    this.plan.forEach((assignment, i) => {
      const service = workerName(i + 1);
      const { release, labels } = releaseLabels(assignment);
      const worker = new ServiceContainer(
        service,
        {
          context: args.context,
          network: args.network,
          service,
          // The pool's shared name: Prometheus finds every worker through it.
          aliases: [WORKER_SERVICE],
          group: "enrichment",
          image: this.images[assignment.track]!,
          env: { ...common.env, WORKER_ID: service },
          secretFiles: common.secretFiles,
          healthcheck: httpHealthcheck(PORTS.worker),
          waitTimeoutSeconds: args.waitTimeoutSeconds ?? 120,
          memoryMb: args.memoryMb,
          cpus: args.cpus,
          release,
          labels: { ...labels, "org.enrichment.pool": WORKER_SERVICE },
          dependsOn: common.dependsOn,
        },
        { parent: this },
      );
      this.workers.push(worker);
    });
    // Found by DNS, not listed: scaling the pool adds a container and changes no Prometheus config
    // (a listed target would replace Prometheus, whose uploads are ForceNew). A worker's series
    // carry its `release` label, which tells the canary's workers from the others.
    this.scrapeTarget = { job: WORKER_SERVICE, targets: [], dnsSd: { names: [WORKER_SERVICE], port: PORTS.worker }, metricsPath: METRICS_PATH };

    this.registerOutputs({ workers: this.workers.map((w) => w.containerName) });
  }
}
