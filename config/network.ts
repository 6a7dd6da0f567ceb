// Connection and network settings checked for what Docker makes of them: the Docker host URL and
// its ssh options, and the private subnet (a CIDR Docker accepts, large enough for every container
// the stack attaches to it).
import { AGENT_CATALOG } from "../facts/agents";
import type { ConfigProblem } from "./problems";
import { ingestionPrivateContainers, type IngestionSettings } from "./ingestion";

/** Schemes the docker provider and the docker CLI (model pulls, topic creation, snapshots) both dial. */
export const DOCKER_HOST_SCHEMES = ["unix", "tcp", "ssh"] as const;
const DOCKER_HOST = /^(unix:\/\/\/\S+|tcp:\/\/[A-Za-z0-9.-]+(:\d{1,5})?|ssh:\/\/([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:\d{1,5})?)$/;

/** The parts of a CIDR, or why it is not one Docker reads as written. */
export function parseCidr(cidr: string): { network: number; prefix: number } | { problem: string } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return { problem: "expected a CIDR such as 10.42.0.0/24" };
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  const bad = octets.find((octet) => octet > 255);
  if (bad !== undefined) return { problem: `expected a CIDR such as 10.42.0.0/24: octet ${bad} is over 255` };
  if (prefix > 32) return { problem: `expected a CIDR such as 10.42.0.0/24: prefix /${prefix} is over 32` };
  const address = octets.reduce((value, octet) => value * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  if (network !== address) {
    const text = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".");
    return { problem: `expected the network's own address, ${text}/${prefix}: the address has host bits set` };
  }
  return { network, prefix };
}

/**
 * Containers Docker can attach to a bridge network of this prefix: the network address, the
 * broadcast address and the gateway are taken (measured on docker.io 20.10: a /30 takes one
 * container, the second is refused with "no available IPv4 addresses"; /31 and /32 have no room
 * for the gateway).
 */
export const containersInPrefix = (prefix: number): number => Math.max(0, 2 ** (32 - prefix) - 3);

interface NetworkCheckInput {
  docker: { host: string; sshOpts: string[] };
  network: { privateSubnet?: string };
  mongodb: { mode: string };
  workers: { replicas: number };
  agents: Record<string, { replicas?: number }>;
  ollama: { gpus: string };
  monitoring: { gpuMetrics?: boolean };
  backup: { enabled: boolean; s3?: unknown };
  ingestion?: IngestionSettings;
}

/**
 * Every container the platform attaches to its private network (all of them): the names are
 * in platform/ and the planes; tests/config.meaning.test.ts keeps this count equal to the synth's.
 */
export function privateNetworkContainers(cfg: Omit<NetworkCheckInput, "docker" | "network">): number {
  const agents = AGENT_CATALOG.reduce((sum, agent) => sum + (cfg.agents[agent.name]?.replicas ?? agent.replicas ?? 1), 0);
  const gpuMetrics = (cfg.monitoring.gpuMetrics ?? true) && cfg.ollama.gpus !== "none";
  return (
    (cfg.mongodb.mode === "managed" ? 1 : 0) +
    3 + // nsqlookupd, nsqd, nsqadmin
    1 + // ollama
    1 + agents + // mcp-server and the agents' replicas
    1 + cfg.workers.replicas + 2 + 1 + // coordinator, workers, review-api and cost-api, edge
    3 + // prometheus, alertmanager, grafana
    5 + (gpuMetrics ? 1 : 0) + // mongodb, nsq, blackbox, cadvisor, node exporters; DCGM with a GPU
    (cfg.backup.enabled ? 2 + (cfg.backup.s3 ? 1 : 0) : 0) + // mongodb-backup, its metrics, the off-host copier
    ingestionPrivateContainers(cfg.ingestion, cfg.backup) // the web-ingestion plane's (config/ingestion.ts)
  );
}

export function networkConfigProblems(cfg: NetworkCheckInput): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { host, sshOpts } = cfg.docker;
  if (!DOCKER_HOST.test(host)) {
    const scheme = /^([a-z]+):\/\//.exec(host)?.[1];
    problems.push({
      path: ["docker", "host"],
      message:
        scheme && !(DOCKER_HOST_SCHEMES as readonly string[]).includes(scheme)
          ? `expected a Docker host URL with one of the schemes ${DOCKER_HOST_SCHEMES.map((s) => `${s}://`).join(", ")}, not ${scheme}://`
          : `expected a Docker host URL with its scheme: unix:///var/run/docker.sock, tcp://<host>:<port> or ssh://<user>@<host>`,
      input: host,
    });
  } else if (sshOpts.length > 0 && !host.startsWith("ssh://")) {
    problems.push({
      path: ["docker", "sshOpts"],
      message: `expected no ssh options: docker.host (${host}) is not an ssh:// host, so they would be ignored; remove them or use ssh://<user>@<host>`,
      input: sshOpts,
      reads: [["docker", "host"]],
    });
  }

  const subnet = cfg.network.privateSubnet;
  if (subnet !== undefined) {
    const parsed = parseCidr(subnet);
    if ("problem" in parsed) {
      problems.push({ path: ["network", "privateSubnet"], message: parsed.problem, input: subnet });
    } else {
      const needed = privateNetworkContainers(cfg);
      const room = containersInPrefix(parsed.prefix);
      if (needed > room) {
        let prefix = parsed.prefix;
        while (prefix > 0 && containersInPrefix(prefix) < needed) prefix--;
        problems.push({
          path: ["network", "privateSubnet"],
          message: `expected room for the ${needed} containers this stack attaches to its private network: a /${parsed.prefix} holds ${room} (the network, broadcast and gateway addresses are taken); use a /${prefix} or larger`,
          input: subnet,
          reads: [["workers", "replicas"], ["agents"], ["mongodb", "mode"], ["ollama", "gpus"], ["monitoring", "gpuMetrics"], ["backup"]],
        });
      }
    }
  }
  return problems;
}
