// What the swarm target relies on about the cluster (docs/swarm.md): the node labels placement
// reads, the generic resource a GPU node advertises, and the rollout defaults. Operators set the
// labels with `docker node update --label-add <label>=true <node>`; tests/e2e/swarm/lab.sh sets
// the same ones on its nodes (tests/swarm.lab.test.ts keeps the two equal).

/** A node's role, as a label: stateful services run where their volumes are, Ollama where the GPU is. */
export const SWARM_NODE_LABELS = {
  /** MongoDB, NSQ, Prometheus, Alertmanager, Grafana, backups: their volumes live on this node. */
  data: "org.enrichment.data",
  /** Ollama and its model volume (and DCGM's exporter). */
  gpu: "org.enrichment.gpu",
  /** The edge: its ports are published in host mode on this node's addresses. */
  edge: "org.enrichment.edge",
} as const;

export type SwarmRole = keyof typeof SWARM_NODE_LABELS;
export const SWARM_ROLES = Object.keys(SWARM_NODE_LABELS) as SwarmRole[];

/** The placement constraint of a role: the label set to "true". */
export const roleConstraint = (role: SwarmRole) => `node.labels.${SWARM_NODE_LABELS[role]}==true`;

/**
 * The generic resource a GPU node advertises (`dockerd --node-generic-resource NVIDIA-GPU=<uuid>`,
 * or `node-generic-resources` in daemon.json): the kind NVIDIA's container runtime reads.
 * Source: https://docs.docker.com/reference/cli/dockerd/#configure-node-generic-resources
 */
export const DEFAULT_GPU_RESOURCE = "NVIDIA-GPU";

/** Swarm's per-task template of the slot number (1..replicas), for names that must stay stable. */
export const TASK_SLOT = "{{.Task.Slot}}";
