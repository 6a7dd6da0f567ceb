// State: the volumes that hold data are mounted where the service keeps its data and are
// protected in production.
import { STATEFUL_SERVICES, TYPES } from "./facts";
import { containersOf } from "./graph";
import { known, UNKNOWN } from "./read";
import type { ResourceEntry, StackEntry } from "./types";

const STATE_CHECKLIST = "Every service: ... persistent volumes for state that must survive restarts; Volumes persistent: Data survives container restarts";

export const volumesProtected: ResourceEntry = {
  kind: "resource",
  name: "state-volumes-protected",
  why: "Every volume this program creates holds data (databases, models, metrics, dashboards, backups); in production `pulumi destroy` or a rename must not delete one.",
  checklist: STATE_CHECKLIST,
  environments: ["production"],
  types: [TYPES.volume],
  validate(_ctx, { opts }, report) {
    if (!opts.protect) report("volume is not protected; production sets `protect: true` (and retainOnDelete) on stateful volumes (enrichment:protectState)");
  },
};

interface Mount {
  volumeName?: string | typeof UNKNOWN;
  containerPath?: string;
}

export const statefulServicesHaveVolumes: StackEntry = {
  kind: "stack",
  name: "state-services-keep-data-on-volumes",
  why: "A stateful service that keeps its data in the container's own filesystem loses it on every replacement; its volume must be one this stack manages (and so protects in production).",
  checklist: STATE_CHECKLIST,
  validate(_ctx, { resources }, report) {
    const volumes = resources.filter((r) => r.type === TYPES.volume);
    const volumeByName = new Map<string, unknown>();
    for (const v of volumes) {
      const name = known(() => v.props.name as string);
      if (name !== UNKNOWN && typeof name === "string") volumeByName.set(name, v);
    }
    for (const { service, dataPath } of STATEFUL_SERVICES) {
      for (const container of containersOf(resources, service)) {
        const mounts = known(() => container.props.volumes as Mount[] | undefined);
        if (mounts === UNKNOWN) continue;
        const candidates = (mounts ?? []).filter((m) => {
          const path = known(() => m.containerPath);
          return path !== UNKNOWN && (dataPath === undefined || path === dataPath);
        });
        const named = candidates.map((m) => known(() => m.volumeName)).filter((n) => n !== undefined && n !== "");
        const where = dataPath ? ` at ${dataPath}` : "";
        if (named.length === 0) {
          report(`${service} (${container.name}) mounts no named volume${where}: its data dies with the container`, container.urn);
          continue;
        }
        // A volume name computed from a volume created in the same update is unknown during
        // preview: then the volumes the container depends on stand in for it.
        const managed = named.some((n) => n === UNKNOWN)
          ? container.dependencies.some((d) => d.type === TYPES.volume)
          : named.every((n) => volumeByName.has(n as string));
        // Protection itself is state-volumes-protected's job (every volume, production).
        if (!managed) report(`${service} (${container.name}) keeps its data${where} on ${named.join(", ")}, a volume this stack does not manage`, container.urn);
      }
    }
  },
};

export const STATE_POLICIES = [volumesProtected, statefulServicesHaveVolumes];
