// Queries over a stack policy's resources (the SDK's PolicyResource: props, opts, parent,
// dependencies), shared by the stack policies.
import type { PolicyResource } from "@pulumi/policy";
import { serviceOf } from "./read";
import { configContents, WORKLOAD_TYPES, workloadProps } from "./workloads";

/**
 * The workloads: one host's containers, and a swarm's services read as containers (workloads.ts),
 * their generated files' content resolved from the stack's ServiceConfigs.
 */
export const containers = (resources: PolicyResource[]): PolicyResource[] => {
  const configs = configContents(resources);
  return resources
    .filter((r) => (WORKLOAD_TYPES as readonly string[]).includes(r.type))
    .map((r) => (r.type === WORKLOAD_TYPES[0] ? r : { ...r, props: workloadProps(r, configs) }));
};

export const containersOf = (resources: PolicyResource[], service: string) =>
  containers(resources).filter((r) => serviceOf(r.props) === service);

/**
 * Every resource `resource` waits for before it is created: its own dependencies and its
 * ancestors', where waiting for a component means waiting for everything under it.
 */
export function waitsFor(resource: PolicyResource, all: PolicyResource[]): Set<string> {
  const children = new Map<string, PolicyResource[]>();
  for (const r of all) {
    const parent = r.parent?.urn ?? r.opts.parent;
    if (!parent) continue;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const seen = new Set<string>();
  const add = (r: PolicyResource) => {
    if (seen.has(r.urn)) return;
    seen.add(r.urn);
    for (const child of children.get(r.urn) ?? []) add(child);
  };
  for (let at: PolicyResource | undefined = resource; at; at = at.parent) for (const dep of at.dependencies) add(dep);
  return seen;
}
