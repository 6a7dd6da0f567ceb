// Alertmanager as production declares it (command, config, secret files, volume from the synthesized
// graph) on a real Docker engine with the e2e image (tests/e2e/images: Alertmanager 0.27 built from
// its module, busybox, USER nobody). It starts as nobody with its four secret files delivered as the
// provider delivers them (0440 root:root, read through group 0: the config's *_file and url_file paths), and a silence survives replacing the
// container because /alertmanager is a named volume (and is gone without it). Throwaway names fx-am*.
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeUnless } from "./tools";
import { docker, dockerQuiet, engineSkipReason, putUploadsAsProvider, userFlags } from "./fixtures/engine";
import { IMAGES } from "../facts/images";
import { Graph, ResourceRecord, synthesize } from "../synth";
import { freePort } from "./fixtures/net";

const IMAGE = process.env.E2E_ALERTMANAGER_IMAGE ?? "127.0.0.1:5000/alertmanager:v0.27.0";
const P = `fx-am-${process.pid}`;
const VOLUME = `${P}-data`;

const quiet = dockerQuiet;
const reason = engineSkipReason("alertmanager.engine", [IMAGE]);

let alertmanager: ResourceRecord;
const started: string[] = [];
type Upload = { file: string; content: string; owner?: string; group?: string; permissions?: string };

/** Creates and starts the container as declared; resolves its base URL once /-/ready answers. */
async function start(name: string, withVolume: boolean): Promise<string> {
  const port = await freePort();
  const data = (alertmanager.inputs.volumes as { containerPath: string }[])[0].containerPath;
  docker(["create", "--name", name, ...userFlags(alertmanager.inputs), "-p", `127.0.0.1:${port}:9093`, ...(withVolume ? ["-v", `${VOLUME}:${data}`] : []), IMAGE, ...(alertmanager.inputs.command as string[])]);
  started.push(name);
  const uploads = alertmanager.inputs.uploads as Upload[];
  const secrets = uploads.filter((u) => u.file.startsWith("/run/secrets/"));
  expect(secrets.length).toBe(4);
  // The image runs as nobody (its USER line): root:root 0440, read through group 0.
  for (const s of secrets) expect([s.permissions, s.owner, s.group]).toEqual(["0440", undefined, undefined]);
  // Secret contents are "[secret]" in the synth; stand-in values in their place.
  putUploadsAsProvider(name, uploads, (u) => (u.file.startsWith("/run/secrets/") ? (u.file.includes("url") ? "http://127.0.0.1:9/hook" : "test-value") : u.content ?? ""));
  docker(["start", name]);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 60; i++) {
    const ready = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok).catch(() => false);
    if (ready) return base;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} not ready:\n${quiet(["logs", name])}`);
}

const silences = async (base: string) =>
  ((await (await fetch(`${base}/api/v2/silences`)).json()) as { comment: string; status: { state: string } }[]).filter((s) => s.status.state === "active").map((s) => s.comment);

beforeAll(async () => {
  if (reason) return;
  alertmanager = new Graph((await synthesize({ stack: "production" })).records).byName("docker:index/container:Container", "alertmanager");
  docker(["volume", "create", VOLUME]);
}, 120_000);

afterAll(() => {
  if (reason) return;
  // -v: also the anonymous volume Docker makes for the image's VOLUME when none is mounted.
  for (const name of started) quiet(["rm", "-f", "-v", name]);
  quiet(["volume", "rm", VOLUME]);
});

describeUnless(reason, "Alertmanager on a real engine", () => {
  it("starts as nobody reading its secret files (0440 root:root through group 0), and a silence survives a replacement on the named volume", async () => {
    const first = await start(`${P}-1`, true);
    expect(docker(["exec", `${P}-1`, "id", "-u"])).toBe(String(IMAGES.alertmanager.user.value.uid));
    const now = Date.now();
    const response = await fetch(`${first}/api/v2/silences`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        matchers: [{ name: "alertname", value: "QueueBacklogHigh", isRegex: false, isEqual: true }],
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: "fx test",
        comment: "maintenance window",
      }),
    });
    expect(response.status).toBe(200);
    expect(await silences(first)).toContain("maintenance window");

    // Replacement: stop (Alertmanager writes its silence snapshot on shutdown), remove, recreate.
    docker(["stop", `${P}-1`]);
    docker(["rm", `${P}-1`]);
    const second = await start(`${P}-2`, true);
    expect(await silences(second)).toContain("maintenance window");
    docker(["rm", "-f", "-v", `${P}-2`]);

    // Without the volume (the image's anonymous VOLUME, new per container) the silence is gone.
    const bare = await start(`${P}-bare`, false);
    expect(await silences(bare)).toEqual([]);
  }, 150_000);
});
