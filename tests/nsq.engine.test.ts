// nsqd and the NSQ exporter as the program declares them (command, volume, user, config file,
// healthcheck from the synthesized graph) on a real Docker engine with the e2e stand-in images
// (tests/e2e/images: real nsqd 1.3 and telegraf built from their modules). Messages queued on a
// channel survive the replacement of the nsqd container because /data is a named volume (and are
// gone without it); the exporter, running as the catalog's user, exports their depth and is
// healthy. Throwaway names fx-nq*.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeUnless } from "./tools";
import { docker, dockerQuiet, engineSkipReason } from "./fixtures/engine";
import { IMAGES } from "../facts/images";
import { TELEGRAF_CONFIG_PATH } from "../planes/monitoring/exporters";
import { Graph, ResourceRecord, synthesize } from "../synth";

const NSQ_IMAGE = process.env.E2E_NSQ_IMAGE ?? "127.0.0.1:5000/nsq:v1.3.0";
const EXPORTER_IMAGE = process.env.E2E_NSQ_EXPORTER_IMAGE ?? "127.0.0.1:5000/nsq-exporter:v1.32.3-nsq";
const P = `fx-nq-${process.pid}`;
const NET = `${P}-net`;
const VOLUME = `${P}-data`;

const quiet = dockerQuiet;
const reason = engineSkipReason("nsq.engine", [NSQ_IMAGE, EXPORTER_IMAGE]);

let nsqd: ResourceRecord;
let exporter: ResourceRecord;
const started: string[] = [];

function startNsqd(name: string, withVolume: boolean): void {
  const mount = (nsqd.inputs.volumes as { containerPath: string }[])[0].containerPath;
  docker(["run", "-d", "--name", name, "--network", NET, "--network-alias", "nsqd", ...(withVolume ? ["-v", `${VOLUME}:${mount}`] : []), NSQ_IMAGE, ...(nsqd.inputs.command as string[])]);
  started.push(name);
  for (let i = 0; i < 40; i++) {
    if (quiet(["exec", name, "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:4151/ping"]) !== undefined) return;
    execFileSync("sleep", ["0.25"]);
  }
  throw new Error(`${name} did not answer /ping:\n${quiet(["logs", name])}`);
}

const nsqdPost = (name: string, pathAndQuery: string, body = "") => docker(["exec", name, "wget", "-q", "-O", "-", `--post-data=${body}`, `http://127.0.0.1:4151${pathAndQuery}`]);
const channelDepth = (name: string): number | undefined => {
  const stats = JSON.parse(docker(["exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:4151/stats?format=json&topic=enrichment"]));
  return stats.topics?.find((t: { topic_name: string }) => t.topic_name === "enrichment")?.channels?.find((c: { channel_name: string }) => c.channel_name === "workers")?.depth;
};

beforeAll(async () => {
  if (reason) return;
  const graph = new Graph((await synthesize({ stack: "staging" })).records);
  nsqd = graph.byName("docker:index/container:Container", "nsqd");
  exporter = graph.byName("docker:index/container:Container", "nsq-exporter");
  docker(["network", "create", NET]);
  docker(["volume", "create", VOLUME]);
}, 120_000);

afterAll(() => {
  if (reason) return;
  for (const name of started) quiet(["rm", "-f", name]);
  quiet(["network", "rm", NET]);
  quiet(["volume", "rm", VOLUME]);
});

describeUnless(reason, "nsqd and its exporter on a real engine", () => {
  it("queued messages survive replacing the nsqd container (named /data), and not without the volume", () => {
    expect(nsqd.inputs.command).toContain(`--data-path=${IMAGES.nsq.paths.data.value}`);
    startNsqd(`${P}-nsqd-1`, true);
    nsqdPost(`${P}-nsqd-1`, "/topic/create?topic=enrichment");
    nsqdPost(`${P}-nsqd-1`, "/channel/create?topic=enrichment&channel=workers");
    for (const id of ["d1", "d2", "d3"]) nsqdPost(`${P}-nsqd-1`, "/pub?topic=enrichment", `{"document_id":"${id}"}`);
    expect(channelDepth(`${P}-nsqd-1`)).toBe(3);

    // A replacement: stop (nsqd writes its queues to --data-path on SIGTERM), remove, recreate.
    docker(["stop", `${P}-nsqd-1`]);
    docker(["rm", `${P}-nsqd-1`]);
    startNsqd(`${P}-nsqd-2`, true);
    expect(channelDepth(`${P}-nsqd-2`)).toBe(3);

    // Without the volume (what the program did before) a new container starts empty.
    docker(["stop", `${P}-nsqd-2`]);
    startNsqd(`${P}-nsqd-bare`, false);
    expect(channelDepth(`${P}-nsqd-bare`)).toBeUndefined();
    docker(["rm", "-f", `${P}-nsqd-bare`]);
    docker(["start", `${P}-nsqd-2`]);
  }, 120_000);

  it("the exporter, as the catalog's user with the program's config, exports the channel depth and is healthy", async () => {
    const name = `${P}-exporter`;
    const user = exporter.inputs.user as string;
    expect(user).toBe(IMAGES.nsqExporter.userOverride);
    docker(["create", "--name", name, "--network", NET, "--user", user, EXPORTER_IMAGE, ...(exporter.inputs.command as string[])]);
    started.push(name);
    const config = (exporter.inputs.uploads as { file: string; content: string }[]).find((u) => u.file === TELEGRAF_CONFIG_PATH)!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fx-nq-"));
    fs.writeFileSync(path.join(dir, "telegraf.conf"), config.content);
    // The provider's upload: mode 0644 (not executable, no permissions), root-owned.
    docker(["cp", path.join(dir, "telegraf.conf"), `${name}:${TELEGRAF_CONFIG_PATH}`]);
    fs.rmSync(dir, { recursive: true, force: true });
    docker(["start", name]);

    const script = (exporter.inputs.healthcheck as { tests: string[] }).tests;
    expect(script[0]).toBe("CMD-SHELL");
    let healthy = false;
    let metrics = "";
    for (let i = 0; i < 80 && !healthy; i++) {
      healthy = quiet(["exec", name, "sh", "-c", script[1]]) !== undefined;
      if (!healthy) await new Promise((r) => setTimeout(r, 500));
    }
    expect(healthy, quiet(["logs", name])).toBe(true);
    metrics = docker(["exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:9117/metrics"]);
    expect(metrics).toMatch(/^nsq_channel_depth\{[^}]*channel="workers"[^}]*topic="enrichment"[^}]*\} 3$/m);
    expect(docker(["exec", name, "id", "-u"])).toBe(user.split(":")[0]);
  }, 90_000);
});
