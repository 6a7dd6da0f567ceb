// The lab (tests/e2e/swarm/lab.sh) labels its nodes with the labels placement reads
// (facts/swarm.ts), and gives the GPU's generic resource to the node Ollama's placement needs; and
// a one-shot step's script (components/dockerCommand.ts swarmJobScript) run against a stand-in
// `docker` that plays a task through its states: stdout is the task's output, a failed or late
// task fails the step with its logs, and the service is removed either way.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { labLayout, parseLayout } from "./e2e/swarm/lab";
import { DEFAULT_GPU_RESOURCE, SWARM_NODE_LABELS } from "../facts/swarm";
import { swarmJobScript } from "../components/dockerCommand";

describe("the lab's declared layout", () => {
  it("is what placement reads: one node per role, labelled as facts/swarm.ts names it", async () => {
    const nodes = await labLayout();
    expect(nodes.filter((n) => n.role === "manager")).toHaveLength(1);
    for (const [role, label] of Object.entries(SWARM_NODE_LABELS)) {
      expect(nodes.filter((n) => n.labels[label] === "true").length, `a node labelled ${label}=true (${role})`).toBeGreaterThanOrEqual(1);
    }
    const known = new Set<string>(Object.values(SWARM_NODE_LABELS));
    for (const node of nodes) for (const label of Object.keys(node.labels)) expect(known.has(label), `${node.name}: ${label}`).toBe(true);
    const gpu = nodes.filter((n) => n.genericResource?.startsWith(`${DEFAULT_GPU_RESOURCE}=`));
    expect(gpu.map((n) => n.labels[SWARM_NODE_LABELS.gpu])).toEqual(["true"]);
    // A node of workers only: the one the e2e stops.
    expect(nodes.some((n) => Object.keys(n.labels).length === 0)).toBe(true);
  });

  it("parses `-` as none", () => {
    expect(parseLayout("n1 10.0.0.1 worker - - unix:///s.sock")).toEqual([{ name: "n1", address: "10.0.0.1", role: "worker", labels: {}, genericResource: undefined, socket: "/s.sock" }]);
  });
});

/** A stand-in docker CLI: `service create` remembers the job, `service ps` walks `states`, `logs` prints, `rm` records. */
function fakeDocker(dir: string, states: string[]): string {
  const script = `#!/bin/sh
echo "$*" >> "${dir}/calls"
case "$*" in
  "service create"*) echo created ;;
  *"{{.Error}}"*) echo "task: non-zero exit (3)" ;;
  "service ps"*)
    n=$(cat "${dir}/n" 2>/dev/null || echo 0); echo $((n + 1)) > "${dir}/n"
    i=0; for s in ${states.join(" ")}; do i=$((i + 1)); last="$s"; [ $i -gt $n ] && break; done
    echo "$last 1 second ago" ;;
  "service logs"*) echo "the step's output"; echo "a warning" >&2 ;;
  "service rm"*) echo removed ;;
esac
`;
  fs.writeFileSync(path.join(dir, "docker"), script, { mode: 0o755 });
  return dir;
}

function runScript(script: string, dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile("/bin/sh", ["-c", script], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const scriptOf = (timeoutSeconds: number) =>
  new Promise<string>((resolve) =>
    swarmJobScript({ name: "p-nsqd-job", image: "reg/nsq@sha256:x", networks: ["p-private"], constraints: ["node.labels.org.enrichment.data==true"], mounts: [{ type: "volume", source: pulumi.output("p-nsqd-data"), target: "/data" }], env: { A: "1" }, entrypoint: ["wget"], args: ["-q", "http://nsqd:4151/ping"], timeoutSeconds }).apply(resolve),
  );

describe("a swarm job's script", () => {
  it("creates a one-replica service that is never restarted, returns the task's output, removes the service", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-job-"));
    fakeDocker(dir, ["Pending", "Running", "Complete"]);
    const result = await runScript(await scriptOf(30), dir);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("the step's output");
    const calls = fs.readFileSync(path.join(dir, "calls"), "utf8");
    expect(calls).toMatch(/^service create --detach --quiet --name p-nsqd-job-\d+-\d+ --replicas 1 --restart-condition none .*--network p-private --constraint node.labels.org.enrichment.data==true --mount type=volume,source=p-nsqd-data,target=\/data --env A=1 --entrypoint wget reg\/nsq@sha256:x -q http:\/\/nsqd:4151\/ping$/m);
    expect(calls).toMatch(/^service rm p-nsqd-job-/m);
  });

  it("fails with the task's logs and error when the task fails, and still removes the service", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-job-"));
    fakeDocker(dir, ["Running", "Failed"]);
    const result = await runScript(await scriptOf(30), dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the step's output");
    expect(result.stderr).toMatch(/swarm job p-nsqd-job-\d+-\d+: Failed/);
    expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toMatch(/^service rm /m);
  });

  it("fails when the task is not done in time", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-job-"));
    fakeDocker(dir, ["Pending"]);
    const result = await runScript(await scriptOf(2), dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not complete after 2 s \(last state: Pending/);
    expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toMatch(/^service rm /m);
  }, 20_000);
});
