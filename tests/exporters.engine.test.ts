// The MongoDB exporter container as the program declares it (entrypoint, command, secret file,
// healthcheck from the synthesized graph) on a real Docker engine, with the e2e stand-in of its
// image (tests/e2e/images: the catalog's user 1001:0, bash, the exporter binary at the catalog's
// path). The URI reaches the exporter's own environment from the 0400 file; `docker inspect`
// shows no password; the healthcheck fails while MongoDB is unreachable. Throwaway names fx-ex*.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeUnless } from "./tools";
import { docker, dockerQuiet, engineSkipReason, putUploadsAsProvider, userFlags, type ProviderUpload } from "./fixtures/engine";
import { IMAGES } from "../facts/images";
import { MONGODB_EXPORTER_URI_PATH } from "../planes/monitoring/exporters";
import { Graph, ResourceRecord, synthesize } from "../synth";

const STANDIN = process.env.E2E_MONGODB_EXPORTER_IMAGE ?? "127.0.0.1:5000/mongodb-exporter:0.47.1-standin";
const NAME = `fx-ex-${process.pid}`;
const run = docker;
const quiet = dockerQuiet;
const reason = engineSkipReason("exporters.engine", [STANDIN]);

let exporter: ResourceRecord;
const URI = "mongodb://monitor:pw-from-the-file@127.0.0.1:1/admin?authSource=admin&serverSelectionTimeoutMS=500";

beforeAll(async () => {
  if (reason) return;
  exporter = new Graph((await synthesize({ stack: "staging" })).records).byName("docker:index/container:Container", "mongodb-exporter");
  const entrypoint = exporter.inputs.entrypoints as string[];
  const command = exporter.inputs.command as string[];
  const upload = (exporter.inputs.uploads as ProviderUpload[]).find((u) => u.file === MONGODB_EXPORTER_URI_PATH)!;
  // The image's USER (1001, primary group 0) reads the 0440 root:root file through group 0.
  expect([upload.permissions, upload.owner, upload.group]).toEqual(["0440", undefined, undefined]);

  run(["create", "--name", NAME, ...userFlags(exporter.inputs), "--entrypoint", entrypoint[0], STANDIN, ...entrypoint.slice(1), ...command]);
  putUploadsAsProvider(NAME, [upload], () => URI);
  run(["start", NAME]);
  await new Promise((r) => setTimeout(r, 2_000));
}, 120_000);

afterAll(() => {
  if (!reason) quiet(["rm", "-f", NAME]);
});

describeUnless(reason, "the MongoDB exporter container on a real engine", () => {
  it("runs the exporter (PID 1 after the wrapper's exec) with the URI from the file, as 1001:0", () => {
    expect(run(["inspect", "-f", "{{.State.Running}}", NAME])).toBe("true");
    const environ = run(["exec", NAME, "cat", "/proc/1/environ"]).split("\0");
    expect(environ).toContain(`MONGODB_URI=${URI}`);
    expect(run(["exec", NAME, "cat", "/proc/1/cmdline"]).split("\0")[0]).toBe(IMAGES.mongodbExporter.paths.binary.value);
    expect(run(["exec", NAME, "id", "-u"])).toBe("1001");
  });

  it("docker inspect shows no password: not in the environment, not in the command", () => {
    const config = run(["inspect", "-f", "{{json .Config}}", NAME]);
    expect(config).not.toContain("pw-from-the-file");
    expect(config).toContain(MONGODB_EXPORTER_URI_PATH);
  });

  it("its healthcheck fails while MongoDB is unreachable (mongodb_up 0)", () => {
    const test = (exporter.inputs.healthcheck as { tests: string[] }).tests;
    expect(test[0]).toBe("CMD");
    let code = 0;
    try {
      execFileSync("docker", ["exec", NAME, ...test.slice(1)], { stdio: "ignore", timeout: 30_000 });
    } catch (error) {
      code = Number((error as { status?: number }).status ?? 1);
    }
    expect(code).not.toBe(0);
    // And the exporter does answer: it is MongoDB that is missing.
    const metrics = run(["exec", NAME, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9216 && printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"]);
    expect(metrics).toMatch(/^mongodb_up(\{[^}]*\})? 0$/m);
  }, 60_000);
});
