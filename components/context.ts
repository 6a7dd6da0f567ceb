// What every component needs to name and label what it creates: its own file, so that the
// network and the service renderers can all use it without importing each other.
import type * as pulumi from "@pulumi/pulumi";
import type { RuntimeUser } from "../facts/images";
import type { SwarmRole } from "../facts/swarm";

/** What every component needs to name and label what it creates. */
export interface PlatformContext {
  stack: string;
  environment: "staging" | "production";
  /** Prefix of container, volume and network names. */
  prefix: string;
  /** Stateful volumes get `protect` + `retainOnDelete` when true. */
  protectState: boolean;
  /** Docker host, for commands that run the docker CLI against it (model pulls, topic creation). */
  dockerHost: string;
  /** uid:gid the platform's own images run as (enrichment:appRuntimeUser). */
  appRuntimeUser: RuntimeUser;
  /** Where services run: one Docker host (the default) or a swarm. */
  target?: DeployTarget;
}

/** One Docker host: a container per service. */
export interface HostTarget {
  kind: "host";
}

/** A Docker Swarm: a service per spec, secrets and configs as swarm objects (docs/swarm.md). */
export interface SwarmTarget {
  kind: "swarm";
  /** `vip` needs IPVS in the nodes' kernels; `dnsrr` answers a name with every task's address. */
  endpointMode: "vip" | "dnsrr";
  /** The generic resource Ollama reserves, and how many units; count 0 reserves nothing. */
  gpu: { resource: string; count: number };
  /** Rolling updates: start-first where two instances can coexist, rollback on failure. */
  update: { parallelism: number; delaySeconds: number; monitorSeconds: number; maxFailureRatio: number };
  /** How long `pulumi up` waits for a service's tasks to run healthy, at least (a spec may wait longer). */
  convergeTimeoutSeconds: number;
  /** How long a one-shot task (model pull, topic, snapshot) may take before the step fails, unless the step says. */
  jobTimeoutSeconds: number;
  /**
   * The Docker provider of a labelled node, for the volumes that live there (a volume is local to
   * its node); undefined: the stack's provider (the manager), when the manager holds that role.
   */
  nodeProviders: Partial<Record<SwarmRole, pulumi.ProviderResource>>;
}

export type DeployTarget = HostTarget | SwarmTarget;

/** The context's target; one Docker host when it names none. */
export const targetOf = (context: PlatformContext): DeployTarget => context.target ?? { kind: "host" };
