// Where the stack runs (docs/swarm.md): one Docker host, a container per service (the default), or
// a Docker Swarm, a service per catalog entry with replicas, placement by node label, swarm
// secrets and configs, and rolling updates that roll back by themselves. The same catalogs and
// the same service descriptions feed both (components/deploy.ts).
import { z } from "zod";
import { int, num, oneOf, text } from "./fields";
import { DEFAULT_GPU_RESOURCE, SWARM_ROLES } from "../facts/swarm";
import type { ConfigProblem } from "./problems";

export const DEPLOY_TARGETS = ["host", "swarm"] as const;

const replicas = (service: string, fallback: number) => int(1, 32).default(fallback).describe(`${service} replicas, spread over the nodes`);

export const SwarmSchema = z
  .object({
    endpointMode: oneOf(["vip", "dnsrr"])
      .default("vip")
      .describe(
        "how a service's name resolves: vip (one virtual address, balanced by IPVS: every node's kernel needs the ip_vs module) or dnsrr (every task's address; needs no IPVS)",
      ),
    gpu: z
      .object({
        resource: text("a generic resource kind such as NVIDIA-GPU").default(DEFAULT_GPU_RESOURCE).describe("the kind the GPU node advertises (dockerd --node-generic-resource <kind>=<id>)"),
        count: int(0, 64).default(1).describe("units Ollama reserves; 0 reserves none (Ollama then runs wherever the gpu label allows)"),
      })
      .strict()
      .prefault({}),
    replicas: z
      .object({
        mcpServer: replicas("mcp-server", 1),
        coordinator: replicas("enrichment-coordinator", 1),
        reviewApi: replicas("review-api", 2),
        costApi: replicas("cost-api", 2),
      })
      .strict()
      .prefault({})
      .describe("replicas of the services that are not a pool already (workers: workers.replicas; agents: agents.<name>.replicas)"),
    update: z
      .object({
        parallelism: int(1, 32).default(1).describe("tasks replaced at once"),
        delaySeconds: int(0, 3600).default(5).describe("pause between batches"),
        monitorSeconds: int(1, 3600).default(30).describe("how long a new task must stay up before the next batch; a failure inside it rolls the service back"),
        maxFailureRatio: num(0, 1).default(0).describe("share of failed tasks tolerated before rolling back"),
      })
      .strict()
      .prefault({}),
    convergeTimeoutSeconds: int(10, 7200).default(300).describe("how long pulumi up waits for a service's tasks to run healthy (at least; a service may wait longer)"),
    jobTimeoutMinutes: int(1, 1440).default(10).describe("how long a one-shot step (topic creation, a pre-release snapshot) may run as a swarm job; model pulls use ollama.pullTimeoutMinutes"),
    nodeDockerHosts: z
      .record(z.string(), text("a Docker host URL such as ssh://deploy@data-node"), { error: "expected a map of node role to Docker host" })
      .default({})
      .describe(
        `Docker host of the node holding a role (${SWARM_ROLES.join(", ")}): its volumes are created there, where placement runs the services that mount them; unset: the manager (docker.host) holds that role`,
      ),
  })
  .strict();

export const DeployTargetSchema = z
  .object({
    kind: oneOf(DEPLOY_TARGETS).default("host").describe("host: one Docker host (docker.host), a container per service; swarm: docker.host is a swarm manager, a service per catalog entry"),
    swarm: SwarmSchema.optional().describe("the swarm's settings (kind: swarm only); every key has a default"),
  })
  .strict()
  .prefault({});

export type SwarmSettings = z.output<typeof SwarmSchema>;
export type DeployTargetSettings = z.output<typeof DeployTargetSchema>;

/** The swarm settings with every default applied (the block may be absent). */
export const swarmSettings = (target: DeployTargetSettings): SwarmSettings => target.swarm ?? SwarmSchema.parse({});

/** What a swarm cannot honour, and swarm settings on a single host: checked by the schema before anything registers. */
export function deployTargetProblems(cfg: {
  deployTarget: DeployTargetSettings;
  ollama: { gpus: string };
  monitoring: { gpuMetrics?: boolean };
  exposure: { bindAddress: string; publish: Record<string, { port: number; address?: string }> };
  ingestion?: unknown;
}): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { deployTarget } = cfg;
  if (deployTarget.kind === "host") {
    if (deployTarget.swarm !== undefined) {
      problems.push({ path: ["deployTarget", "swarm"], message: "expected no swarm settings on a single host (deployTarget.kind: host); set deployTarget.kind: swarm or remove the block", input: undefined });
    }
    return problems;
  }
  const swarm = swarmSettings(deployTarget);
  if (cfg.ingestion !== undefined) {
    // planes/ingestion renders its services as containers on one host only (not yet through
    // components/deploy.ts), so on a swarm they would land beside the manager, outside the cluster.
    problems.push({
      path: ["ingestion"],
      message: "expected no ingestion block on a swarm: the web-ingestion plane deploys on one Docker host only (deployTarget.kind: host); run it in a stack of its own on a host (docs/swarm.md)",
      input: "(an ingestion block)",
    });
  }
  if (cfg.ollama.gpus !== "none") {
    problems.push({
      path: ["ollama", "gpus"],
      message: "expected none on a swarm: a swarm service cannot request --gpus; it reserves deployTarget.swarm.gpu on the node that advertises it (NVIDIA's runtime as that node's default, docs/swarm.md)",
      input: cfg.ollama.gpus,
    });
  }
  if (cfg.monitoring.gpuMetrics === true && swarm.gpu.count === 0) {
    problems.push({ path: ["monitoring", "gpuMetrics"], message: "expected false or unset when deployTarget.swarm.gpu.count is 0: no node is known to hold a GPU", input: true });
  }
  if (cfg.exposure.bindAddress !== "127.0.0.1") {
    problems.push({
      path: ["exposure", "bindAddress"],
      message: "expected the default on a swarm: a host-mode port binds every address of its node (firewall the node instead, docs/swarm.md)",
      input: cfg.exposure.bindAddress,
    });
  }
  for (const [service, entry] of Object.entries(cfg.exposure.publish)) {
    if (entry.address !== undefined) {
      problems.push({
        path: ["exposure", "publish", service, "address"],
        message: "expected no address on a swarm: a host-mode port binds every address of its node (firewall the node instead, docs/swarm.md)",
        input: entry.address,
      });
    }
  }
  for (const role of Object.keys(swarm.nodeDockerHosts)) {
    if (!(SWARM_ROLES as string[]).includes(role)) {
      problems.push({ path: ["deployTarget", "swarm", "nodeDockerHosts", role], message: `expected a node role: ${SWARM_ROLES.join(", ")}`, input: role });
    }
  }
  return problems;
}
