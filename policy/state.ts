// State: the services that hold data keep it on a named volume this stack manages, mounted where
// the service writes it, and in production those volumes are protected.
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { STATEFUL_SERVICES, TYPES } from "./facts";
import { containersOf } from "./graph";
import { known, UNKNOWN } from "./read";
import type { StackEntry } from "./types";

const STATE_CHECKLIST = "Every service: ... persistent volumes for state that must survive restarts; Volumes persistent: Data survives container restarts";

interface Mount {
  volumeName?: string;
  containerPath?: string;
}

interface DataMount {
  service: string;
  container: PolicyResource;
  dataPath: string;
  /** The volume's name; UNKNOWN while it is computed (first preview); undefined: nothing mounted there. */
  volumeName?: string | typeof UNKNOWN;
  /** The managed Volume resource of that name, if any. */
  volume?: PolicyResource;
}

/** Where each stateful service of the stack keeps its data. */
function dataMounts(resources: PolicyResource[]): DataMount[] {
  const volumeByName = new Map<string, PolicyResource>();
  for (const v of resources.filter((r) => r.type === TYPES.volume)) {
    const name = known(() => v.props.name as string);
    if (name !== UNKNOWN && typeof name === "string") volumeByName.set(name, v);
  }
  const out: DataMount[] = [];
  for (const { service, dataPath } of STATEFUL_SERVICES) {
    for (const container of containersOf(resources, service)) {
      const mounts = known(() => container.props.volumes as Mount[] | undefined);
      if (mounts === UNKNOWN) continue;
      const mount = (mounts ?? []).find((m) => known(() => m.containerPath) === dataPath);
      const volumeName = mount ? known(() => mount.volumeName) : undefined;
      out.push({
        service,
        container,
        dataPath,
        volumeName: volumeName === "" ? undefined : volumeName,
        volume: typeof volumeName === "string" ? volumeByName.get(volumeName) : undefined,
      });
    }
  }
  return out;
}

export const statefulServicesHaveVolumes: StackEntry = {
  kind: "stack",
  name: "state-services-keep-data-on-volumes",
  why: "A stateful service that keeps its data in the container's own filesystem loses it on every replacement; the volume must be one this stack manages (and so protects in production).",
  checklist: STATE_CHECKLIST,
  validate(_ctx, { resources }, report: ReportViolation) {
    for (const m of dataMounts(resources)) {
      const where = `${m.service} (${m.container.name})`;
      if (m.volumeName === undefined) report(`${where} mounts no named volume at ${m.dataPath}: its data dies with the container`, m.container.urn);
      else if (m.volumeName !== UNKNOWN && !m.volume) report(`${where} keeps ${m.dataPath} on ${m.volumeName}, a volume this stack does not manage`, m.container.urn);
    }
  },
};

export const dataVolumesProtected: StackEntry = {
  kind: "stack",
  name: "state-data-volumes-protected",
  why: "In production `pulumi destroy`, a rename or a replacement must not delete the data of MongoDB, NSQ, Ollama, Prometheus, Alertmanager, Grafana or the backups.",
  checklist: STATE_CHECKLIST,
  environments: ["production"],
  validate(_ctx, { resources }, report: ReportViolation) {
    for (const m of dataMounts(resources)) {
      // A name still computed during a first preview is checked after the update (outputs known).
      if (m.volume && !m.volume.opts.protect) {
        report(`${m.volume.name} holds ${m.service}'s data (${m.dataPath}) but is not protected (enrichment:protectState)`, m.volume.urn);
      }
    }
  },
};

export const STATE_POLICIES = [statefulServicesHaveVolumes, dataVolumesProtected];
