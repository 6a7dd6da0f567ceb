// Commands that run the docker CLI on the Pulumi host against the stack's Docker host (or a
// swarm's manager), for the few steps the Docker provider has no resource for (model pulls, NSQ
// topic creation, the pre-release snapshot): `docker exec` on one host, a swarm job on a cluster.
import * as pulumi from "@pulumi/pulumi";

/** Quotes one shell word (POSIX sh). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `docker exec <container> <args...>`, as one shell command line. */
export function dockerExec(container: string, args: string[]): string {
  return ["docker", "exec", container, ...args].map(shellQuote).join(" ");
}

/** Runs `then` only when the container exists, so a delete after the container is gone succeeds. */
export function ifContainerExists(container: string, then: string): string {
  return `if docker container inspect ${shellQuote(container)} >/dev/null 2>&1; then ${then}; fi`;
}

/** Environment of every docker CLI command: the stack's Docker host. */
export function dockerEnvironment(dockerHost: string): Record<string, pulumi.Input<string>> {
  return { DOCKER_HOST: dockerHost };
}

/** A one-shot task on a swarm: a one-replica service that is never restarted, created, awaited and removed by one shell script. */
export interface SwarmJob {
  /** The job's service name; a unique suffix is added when it runs. */
  name: string;
  image: pulumi.Input<string>;
  /** Networks (by name) the task joins: the attachable overlays of the stack. */
  networks: pulumi.Input<string>[];
  constraints?: string[];
  mounts?: { type: "volume" | "bind"; source: pulumi.Input<string>; target: string; readOnly?: boolean }[];
  secrets?: { name: pulumi.Input<string>; target: string; uid: number; gid: number; mode: number }[];
  configs?: { name: pulumi.Input<string>; target: string; mode: number }[];
  env?: Record<string, pulumi.Input<string>>;
  user?: string;
  entrypoint?: pulumi.Input<string>[];
  args: pulumi.Input<string>[];
  timeoutSeconds: number;
}

const octal = (mode: number) => `0${mode.toString(8)}`;

/**
 * The shell script of a one-shot task on a swarm: a service of one replica that is never
 * restarted, created detached, polled until its task completes or fails, its output read back
 * (`docker service logs --raw`: the step's stdout reads as it would from `docker exec`), and
 * removed. Measured on docker 20.10: a `replicated-job` service leaves its exited container on the
 * node after `docker service rm` (and with it a hold on the volumes it mounted), and without
 * --detach the CLI never returns for a failed job; a replicated service's containers go with it.
 */
export function swarmJobScript(job: SwarmJob): pulumi.Output<string> {
  return pulumi
    .all([
      pulumi.output(job.image),
      pulumi.all(job.networks.map((n) => pulumi.output(n))),
      pulumi.all((job.secrets ?? []).map((s) => pulumi.output(s.name))),
      pulumi.all((job.configs ?? []).map((c) => pulumi.output(c.name))),
      pulumi.all(Object.entries(job.env ?? {}).map(([key, value]) => pulumi.output(value).apply((v) => `${key}=${v}`))),
      pulumi.all((job.entrypoint ?? []).map((e) => pulumi.output(e))),
      pulumi.all(job.args.map((a) => pulumi.output(a))),
      pulumi.all((job.mounts ?? []).map((m) => pulumi.output(m.source))),
    ])
    .apply(([image, networks, secretNames, configNames, env, entrypoint, args, sources]) => {
      const flags: string[] = ["--detach", "--quiet", "--name", '"$job"', "--replicas", "1", "--restart-condition", "none", "--label", shellQuote(`org.enrichment.job=${job.name}`)];
      for (const network of networks) flags.push("--network", shellQuote(network));
      for (const constraint of job.constraints ?? []) flags.push("--constraint", shellQuote(constraint));
      (job.mounts ?? []).forEach((mount, i) => {
        flags.push("--mount", shellQuote(`type=${mount.type},source=${sources[i]},target=${mount.target}${mount.readOnly ? ",readonly" : ""}`));
      });
      (job.secrets ?? []).forEach((secret, i) => {
        flags.push("--secret", shellQuote(`source=${secretNames[i]},target=${secret.target},uid=${secret.uid},gid=${secret.gid},mode=${octal(secret.mode)}`));
      });
      (job.configs ?? []).forEach((config, i) => flags.push("--config", shellQuote(`source=${configNames[i]},target=${config.target},mode=${octal(config.mode)}`)));
      for (const pair of [...env].sort()) flags.push("--env", shellQuote(pair));
      if (job.user) flags.push("--user", shellQuote(job.user));
      // --entrypoint takes one string the CLI splits into words.
      if (entrypoint.length) flags.push("--entrypoint", shellQuote(entrypoint.map(shellQuote).join(" ")));
      const ps = (format: string) => `docker service ps --no-trunc --format '${format}' "$job" 2>/dev/null | head -n 1`;
      return [
        `job=${shellQuote(job.name)}-$(date +%s)-$$`,
        `docker service create ${flags.join(" ")} ${shellQuote(image)} ${args.map(shellQuote).join(" ")} >/dev/null || exit 1`,
        `trap 'docker service rm "$job" >/dev/null 2>&1' EXIT`,
        `deadline=$(( $(date +%s) + ${job.timeoutSeconds} ))`,
        "while :; do",
        `  state=$(${ps("{{.CurrentState}}")})`,
        '  case "$state" in',
        "    Complete*) break ;;",
        "    Failed*|Rejected*|Shutdown*|Orphaned*)",
        '      docker service logs --raw "$job" >&2 2>&1',
        `      echo "swarm job $job: \${state%% *}: $(${ps("{{.Error}}")})" >&2`,
        "      exit 1 ;;",
        "  esac",
        `  if [ "$(date +%s)" -ge "$deadline" ]; then echo "swarm job $job: not complete after ${job.timeoutSeconds} s (last state: $state)" >&2; exit 1; fi`,
        "  sleep 1",
        "done",
        'docker service logs --raw "$job" 2>/dev/null',
      ].join("\n");
    });
}

/** Runs `then` only when the swarm service exists, so a delete after the service is gone succeeds. */
export function ifServiceExists(service: string, then: string): string {
  return `if docker service inspect ${shellQuote(service)} >/dev/null 2>&1; then ${then}; fi`;
}
