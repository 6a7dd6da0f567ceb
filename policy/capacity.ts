// Capacity: two workers or more in production, every model an agent uses pulled before the agent
// starts, 30 days of metrics in production.
import { AGENT_ENV, LABELS, MODEL_PULL, PROMETHEUS, THRESHOLDS, TYPES, WORKER_POOL } from "./facts";
import { containers, waitsFor } from "./graph";
import { commandOf, durationDays, envValue, flagValue, known, label, serviceOf, UNKNOWN } from "./read";
import type { ResourceEntry, StackEntry } from "./types";

export const workerReplicas: StackEntry = {
  kind: "stack",
  name: "capacity-workers",
  why: `One worker is a single point of failure for the whole pipeline; production runs ${THRESHOLDS.minProductionWorkers} or more.`,
  checklist: "EnrichmentWorker replicas: >=2",
  environments: ["production"],
  validate(_ctx, { resources }, report) {
    // A container is one worker; a swarm service is as many as its replicas.
    const workers = containers(resources)
      .filter((c) => label(c.props, LABELS.pool) === WORKER_POOL)
      .reduce((n, c) => n + (typeof c.props.replicas === "number" ? c.props.replicas : 1), 0);
    if (workers < THRESHOLDS.minProductionWorkers) {
      report(`${workers} ${WORKER_POOL} container(s); expected >= ${THRESHOLDS.minProductionWorkers} (enrichment:workers.replicas)`);
    }
  },
};

export const modelsPulled: StackEntry = {
  kind: "stack",
  name: "capacity-models-pulled",
  why: "An agent whose model is not on the Ollama volume fails its first request (or starts a 26 GB download mid-traffic); every model is pulled before the agent that uses it starts.",
  checklist: "Models pulled and available: `llama3.2` for Phase 1 agents; `mixtral` for structure-agent",
  validate(_ctx, { resources }, report) {
    const pulls = new Map<string, string>();
    for (const command of resources.filter((r) => r.type === TYPES.command)) {
      const create = known(() => command.props.create as string | undefined);
      if (create === UNKNOWN || typeof create !== "string") continue;
      const match = MODEL_PULL.exec(create);
      const tag = match?.[1] ?? match?.[2];
      if (tag) pulls.set(tag, command.urn);
    }
    for (const container of containers(resources)) {
      if (envValue(container.props, AGENT_ENV.backend) !== AGENT_ENV.ollamaBackend) continue;
      const waits = waitsFor(container, resources);
      for (const variable of AGENT_ENV.models) {
        const model = envValue(container.props, variable);
        if (!model) continue;
        const pull = pulls.get(model);
        if (!pull) report(`${container.name} uses ${model} (${variable}) but nothing pulls it (ollama pull ${model})`, container.urn);
        else if (!waits.has(pull)) report(`${container.name} uses ${model} but does not wait for its pull; it may start before the model is there`, container.urn);
      }
    }
  },
};

export const metricsRetention: ResourceEntry = {
  kind: "resource",
  name: "capacity-metrics-retention",
  why: `Incidents and cost trends are investigated over weeks; production keeps ${THRESHOLDS.minProductionRetentionDays} days of metrics.`,
  checklist: "Prometheus retention: >=30 days",
  environments: ["production"],
  types: [TYPES.container],
  validate(_ctx, args, report) {
    if (serviceOf(args.props) !== PROMETHEUS.service) args.notApplicable("not the Prometheus container");
    const retention = flagValue(commandOf(args.props), PROMETHEUS.retentionFlag) ?? PROMETHEUS.defaultRetention;
    const days = durationDays(retention);
    if (days === undefined) report(`${PROMETHEUS.retentionFlag}=${retention} is not a Prometheus duration`);
    else if (days < THRESHOLDS.minProductionRetentionDays) {
      report(`metrics are kept ${retention} (${PROMETHEUS.retentionFlag}); expected >= ${THRESHOLDS.minProductionRetentionDays}d (enrichment:monitoring.retentionDays)`);
    }
  },
};

export const CAPACITY_POLICIES = [workerReplicas, modelsPulled, metricsRetention];
