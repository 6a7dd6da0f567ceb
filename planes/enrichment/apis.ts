// The HTTP APIs people use, review-api (5001, the human review queue) and cost-api (5002, cost
// tracking). They speak plain HTTP on the private network; the edge serves them over HTTPS and
// publishes nothing of theirs. Both read MongoDB (URI as a secret file) and their feature flags.
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/context";
import { deployService, PlatformService } from "../../components/deploy";
import { PORTS } from "../../facts/services";
import { featureEnv } from "../../facts/features";
import { httpHealthcheck, releaseLabels, ScrapeTarget, serviceScrapeTarget, wire, Wiring } from "./wiring";

export const API_SERVICES = [
  { service: "review-api", port: PORTS.reviewApi, role: "human review queue" },
  { service: "cost-api", port: PORTS.costApi, role: "cost tracking" },
] as const;

export type ApiService = (typeof API_SERVICES)[number]["service"];

export interface ApisArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  /** The current release: its version and the APIs' images. */
  release: { version: string; images: Readonly<Record<string, string>> };
  sizes: Record<ApiService, { memoryMb: number; cpus: number }>;
  /** MongoDB client wiring (wiring.ts: mongoClient). */
  mongodb: Wiring;
  /** `enrichment:features`; each API gets the flags it reads. */
  features: Readonly<Record<string, boolean>>;
  /** Existing networks (by name) to join as well: the OCR network. */
  externalNetworks?: pulumi.Input<string>[];
  /** More to wait for (e.g. the MongoDB indexes). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  waitTimeoutSeconds?: number;
  /** Replicas of each API on a swarm (one host runs one of each). */
  replicas?: Partial<Record<ApiService, number>>;
}

export class Apis extends pulumi.ComponentResource {
  readonly services = {} as Record<ApiService, PlatformService>;
  readonly scrapeTargets: ScrapeTarget[] = [];

  constructor(name: string, args: ApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:api:Apis", name, {}, opts);
    const missing = API_SERVICES.filter(({ service }) => !args.release.images[service]).map(({ service }) => `enrichment:release.images.${service}`);
    if (missing.length) throw new Error(`Apis ${name}: no image for ${missing.join(", ")}; add it, pinned by digest`);

    for (const { service, port } of API_SERVICES) {
      const wiring = wire(args.mongodb, { env: { PORT: String(port), ...featureEnv(service, args.features) }, dependsOn: args.dependsOn ?? [] });
      this.services[service] = deployService(
        service,
        {
          context: args.context,
          network: args.network,
          service,
          group: "api",
          image: args.release.images[service],
          env: wiring.env,
          secretFiles: wiring.secretFiles,
          healthcheck: httpHealthcheck(port),
          waitTimeoutSeconds: args.waitTimeoutSeconds ?? 120,
          ...args.sizes[service],
          externalNetworks: args.externalNetworks,
          ...releaseLabels({ version: args.release.version, track: "stable" }),
          replicas: args.replicas?.[service],
          dependsOn: wiring.dependsOn,
        },
        { parent: this },
      );
      this.scrapeTargets.push(serviceScrapeTarget(args.context, service, service, port));
    }

    this.registerOutputs({});
  }
}
