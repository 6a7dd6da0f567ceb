// What every component needs to name and label what it creates: its own file, so that the
// network and the service container can both use it without importing each other.
import type { RuntimeUser } from "../facts/images";

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
}
