// Where a service description becomes resources: the context's target picks the renderer (a
// container on one Docker host, a Swarm service on a cluster). Planes call these, never a
// renderer directly, so one description serves both targets; the same for the images several
// services share and for the volumes that hold state.
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { SwarmRole } from "../facts/swarm";
import { PlatformContext, targetOf } from "./context";
import { ServiceContainer, ServiceContainerArgs } from "./serviceContainer";
import type { ExecOptions } from "./serviceSpec";
import { SwarmService } from "./swarmService";

/** What planes hold on to: either renderer, with the same way to reach it and act on it. */
export type PlatformService = ServiceContainer | SwarmService;

/** The service's handle for planes: its name, its URL, one-shot steps on it. */
export interface ServiceHandle {
  readonly hostname: string;
  /** The container's name on one host; the swarm service's name on a cluster. */
  readonly containerName: string;
  url(port: number, path?: string): string;
  exec(args: (self: string) => string[], options?: ExecOptions): pulumi.Input<string>;
  whenPresent(then: pulumi.Input<string>): pulumi.Input<string>;
}

/** Renders a service description for the context's target. */
export function deployService(name: string, args: ServiceContainerArgs, opts?: pulumi.ComponentResourceOptions): PlatformService {
  return targetOf(args.context).kind === "swarm" ? new SwarmService(name, args, opts) : new ServiceContainer(name, args, opts);
}

/**
 * An image several services share: one RemoteImage on one host (pulled once, its id pinned in every
 * container); on a swarm the pinned reference itself, which every node pulls (a RemoteImage would
 * pull only onto the manager).
 */
export function sharedImage(name: string, reference: string, context: PlatformContext, opts: pulumi.CustomResourceOptions): string | docker.RemoteImage {
  if (targetOf(context).kind === "swarm") return reference;
  return new docker.RemoteImage(name, { name: reference, keepLocally: true }, opts);
}

/**
 * A named volume `<prefix>-<name>`, protected and kept on delete when `protect`. On a swarm it
 * is created on the node of its role (that node's provider, when the stack names one), which is
 * where placement runs the services that mount it: a volume is local to its node.
 */
export function stateVolume(
  name: string,
  args: { context: PlatformContext; protect: boolean; role?: SwarmRole },
  opts: { parent: pulumi.Resource },
): docker.Volume {
  const { context } = args;
  const target = targetOf(context);
  const provider = target.kind === "swarm" && args.role ? target.nodeProviders[args.role] : undefined;
  return new docker.Volume(
    name,
    { name: `${context.prefix}-${name}`, labels: [{ label: "org.enrichment.stack", value: context.stack }] },
    { parent: opts.parent, protect: args.protect, retainOnDelete: args.protect, ...(provider ? { provider } : {}) },
  );
}

/**
 * On a swarm, a one-per-node task on the private and egress overlays, doing nothing else, so that
 * every node holds its attachment to both from the start. Measured on docker 20.10: a task that
 * reserves a generic resource (Ollama's GPU) on a node not yet attached to one of its networks is
 * rejected, "node is missing network attachments", again and again (its held resource then also
 * rejects the retries, "assigned node no longer meets constraints"); the same task starts at once
 * once any other task attached that node to the network. The image is the node exporter's with
 * every collector off (it serves only its own metrics).
 */
export function networkAnchor(
  args: { context: PlatformContext; network: import("./network").PlatformNetwork; image: string; memoryMb: number; cpus: number },
  opts: pulumi.ComponentResourceOptions,
): SwarmService | undefined {
  if (targetOf(args.context).kind !== "swarm") return undefined;
  return new SwarmService(
    "network-anchor",
    {
      context: args.context,
      network: args.network,
      service: "network-anchor",
      group: "monitoring",
      image: args.image,
      imageKey: "nodeExporter",
      command: ["--collector.disable-defaults", "--web.listen-address=:9100"],
      healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9100/metrics"] },
      waitTimeoutSeconds: 60,
      memoryMb: args.memoryMb,
      cpus: args.cpus,
      egress: true,
      perNode: true,
    },
    opts,
  );
}
