// The lab swarm as the e2e sees it: lab.sh's declared layout (one source: `lab.sh layout`), a
// Docker client per node's socket, and what the swarm reports about its nodes and tasks.
import { execFile } from "node:child_process";
import * as path from "node:path";
import Docker from "dockerode";

export const LAB_SCRIPT = path.join(__dirname, "lab.sh");

export interface LabNode {
  name: string;
  address: string;
  role: "manager" | "worker";
  /** `key=value` labels the script sets. */
  labels: Record<string, string>;
  /** `--node-generic-resource`, e.g. NVIDIA-GPU=GPU-0; undefined without. */
  genericResource?: string;
  socket: string;
}

export function runLab(args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("bash", [LAB_SCRIPT, ...args], { timeout: timeoutMs, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses `lab.sh layout`: `name address role labels resource socket`, `-` for none. */
export function parseLayout(text: string): LabNode[] {
  return text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name, address, role, labels, resource, socket] = line.trim().split(/\s+/);
      if (!name || !address || !socket || (role !== "manager" && role !== "worker")) throw new Error(`lab.sh layout: cannot read "${line}"`);
      return {
        name,
        address,
        role,
        labels: labels === "-" ? {} : Object.fromEntries(labels!.split(",").map((pair) => pair.split("=") as [string, string])),
        genericResource: resource === "-" ? undefined : resource,
        socket: socket.replace(/^unix:\/\//, ""),
      };
    });
}

export async function labLayout(): Promise<LabNode[]> {
  const result = await runLab(["layout"]);
  if (result.code !== 0) throw new Error(`lab.sh layout failed: ${result.stderr.trim()}`);
  return parseLayout(result.stdout);
}

export class Lab {
  readonly clients = new Map<string, Docker>();
  constructor(readonly nodes: LabNode[]) {
    for (const node of nodes) this.clients.set(node.name, new Docker({ socketPath: node.socket }));
  }

  get manager(): Docker {
    const manager = this.nodes.find((n) => n.role === "manager");
    if (!manager) throw new Error("the lab's layout has no manager");
    return this.clients.get(manager.name)!;
  }

  client(node: string): Docker {
    const client = this.clients.get(node);
    if (!client) throw new Error(`no node ${node} in the lab`);
    return client;
  }

  /** Node id -> hostname, with each node's state as the manager sees it. */
  async swarmNodes(): Promise<Map<string, { hostname: string; state: string; labels: Record<string, string>; resources: string[] }>> {
    const nodes = (await this.manager.listNodes()) as {
      ID: string;
      Description: { Hostname: string; Resources?: { GenericResources?: { NamedResourceSpec?: { Kind: string; Value: string }; DiscreteResourceSpec?: { Kind: string; Value: number } }[] } };
      Status: { State: string };
      Spec: { Labels?: Record<string, string> };
    }[];
    return new Map(
      nodes.map((n) => [
        n.ID,
        {
          hostname: n.Description.Hostname,
          state: n.Status.State,
          labels: n.Spec.Labels ?? {},
          resources: (n.Description.Resources?.GenericResources ?? []).map((r) =>
            r.NamedResourceSpec ? `${r.NamedResourceSpec.Kind}=${r.NamedResourceSpec.Value}` : `${r.DiscreteResourceSpec!.Kind}=${r.DiscreteResourceSpec!.Value}`,
          ),
        },
      ]),
    );
  }
}
