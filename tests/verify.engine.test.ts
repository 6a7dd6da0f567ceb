// `npm run verify` as a process, on a real Docker engine, against a small stack made here (two
// busybox containers labelled as stack `vfy-mini`, published on loopback, one with a secret file):
// the probe path (--via-engine: each connection is `nc` in a probe container on the host's network),
// a check failing on a broken container, exit 4 on an unreachable engine; over ssh:// against a real
// sshd on this machine (`docker system dial-stdio` through the ssh binary, the stack's sshOpts); and
// the outputs read from the real Pulumi CLI. Throwaway names vfy-*.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import Docker from "dockerode";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Probe, PROBE_LABEL, ProbeError } from "../verify/reach";
import { portAnswers } from "../verify/checks/containers";
import { request } from "../verify/http";
import type { VerifyReport } from "../verify/render";
import { freePort } from "./fixtures/net";
import { describeUnless, describeWithTools, missingTools, toolPath } from "./tools";
import { TSX_LOADER } from "../synth/index";

const ROOT = path.resolve(__dirname, "..");
const IMAGE = "vfy-busybox:1";
const NO_NC = "vfy-nonc:1";
const STACK = "vfy-mini";
const SERVICES = { prometheus: 9090, mongodb: 27017 } as const;

const quiet = (file: string, args: string[], input?: string) => {
  const result = spawnSync(file, args, { encoding: "utf8", timeout: 60_000, input });
  return result.status === 0 ? result.stdout.trim() : undefined;
};
// The engine and busybox (the stack's image) for the whole suite; sshd and the Pulumi CLI for
// their own parts (tests/tools.json: each skips with one line, or fails under CI).
const reason = missingTools(["docker", "busybox"]);
const busybox = reason ? undefined : toolPath("busybox");

const docker = new Docker();
let dir = "";
const ports: Record<string, number> = {};
let stackFile = "";
let outputsFile = "";

/** A busybox image with the applets as links; `onlySleep` leaves out everything but sleep. */
function buildImage(tag: string, applets: string[]): void {
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), "vfy-rootfs-"));
  fs.mkdirSync(path.join(rootfs, "bin"));
  fs.mkdirSync(path.join(rootfs, "tmp"));
  fs.copyFileSync(busybox!, path.join(rootfs, "bin/busybox"));
  fs.chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  for (const applet of applets) fs.symlinkSync("busybox", path.join(rootfs, "bin", applet));
  execFileSync("sh", ["-c", `tar --numeric-owner -C '${rootfs}' -cf - . | docker import - ${tag}`], { stdio: "ignore" });
  fs.rmSync(rootfs, { recursive: true, force: true });
}

const container = (service: string) => `${STACK}-${service}`;

function runVerify(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; report?: VerifyReport; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...TSX_LOADER, path.join(ROOT, "scripts/verify.ts"), "--stack", STACK, "--json", "--config-file", stackFile, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => {
      let report: VerifyReport | undefined;
      try {
        report = JSON.parse(stdout) as VerifyReport;
      } catch {
        report = undefined;
      }
      resolve({ code: code ?? 255, report, stderr });
    });
  });
}

const statuses = (report?: VerifyReport) => Object.fromEntries((report?.checks ?? []).map((c) => [c.name, c.status]));
const detailOf = (report: VerifyReport | undefined, name: string) => report?.checks.find((c) => c.name === name)?.detail ?? "";

/** The stack file: staging's, publishing the two services on loopback, the probe image as images.edge. */
function writeStackFile(file: string, docker: Record<string, unknown> = {}): void {
  const doc = YAML.parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8"));
  doc.setIn(["config", "enrichment:exposure"], doc.createNode({ bindAddress: "127.0.0.1", publish: { mongodb: { port: ports.mongodb, address: "127.0.0.1" }, prometheus: { port: ports.prometheus, address: "127.0.0.1" } } }));
  doc.setIn(["config", "enrichment:images", "edge"], IMAGE);
  doc.setIn(["config", "enrichment:docker"], doc.createNode({ host: "unix:///var/run/docker.sock", ...docker }));
  fs.writeFileSync(file, doc.toString({ lineWidth: 0 }));
}

async function putSecretMode(mode: number): Promise<void> {
  const tar = path.join(dir, "secret.tar");
  execFileSync("tar", ["--numeric-owner", "--owner=0", "--group=0", `--mode=${mode.toString(8)}`, "-C", path.join(dir, "secret"), "-cf", tar, "run/secrets/token"]);
  execFileSync("sh", ["-c", `docker cp - ${container("prometheus")}:/ < '${tar}'`]);
}

async function waitHealthy(name: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if ((await docker.getContainer(name).inspect()).State.Health?.Status === "healthy") return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} did not become healthy`);
}

beforeAll(async () => {
  if (reason) return;
  buildImage(IMAGE, ["sh", "nc", "sleep", "cat", "ls", "httpd", "true", "stat"]);
  buildImage(NO_NC, ["sleep"]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "vfy-engine-"));
  fs.mkdirSync(path.join(dir, "secret/run/secrets"), { recursive: true });
  fs.writeFileSync(path.join(dir, "secret/run/secrets/token"), "vfy-secret-token-0123456789");
  for (const [service, port] of Object.entries(SERVICES)) {
    ports[service] = await freePort();
    quiet("docker", ["rm", "-f", container(service)]);
    execFileSync("docker", [
      "create", "--name", container(service),
      "--label", `org.enrichment.stack=${STACK}`, "--label", `org.enrichment.service=${service}`,
      "--restart", "unless-stopped", "--memory", "32m", "--cpus", "0.1",
      "--health-cmd", "true", "--health-interval", "1s",
      "-p", `127.0.0.1:${ports[service]}:${port}`,
      IMAGE, "httpd", "-f", "-p", String(port), "-h", "/tmp",
    ], { stdio: "ignore" });
  }
  await putSecretMode(0o400);
  for (const service of Object.keys(SERVICES)) execFileSync("docker", ["start", container(service)], { stdio: "ignore" });
  for (const service of Object.keys(SERVICES)) await waitHealthy(container(service));
  stackFile = path.join(dir, `Pulumi.${STACK}.yaml`);
  writeStackFile(stackFile);
  outputsFile = path.join(dir, "outputs.json");
  const outputs = { caCertificate: "-----BEGIN CERTIFICATE-----\nnot used here\n-----END CERTIFICATE-----\n", namePrefix: STACK, containers: Object.keys(SERVICES).map(container) };
  fs.writeFileSync(outputsFile, JSON.stringify(outputs), { mode: 0o600 });
}, 180_000);

afterAll(() => {
  if (reason) return;
  for (const service of Object.keys(SERVICES)) quiet("docker", ["rm", "-f", container(service)]);
  for (const id of (quiet("docker", ["ps", "-aq", "--filter", `label=${PROBE_LABEL}`]) ?? "").split("\n").filter(Boolean)) quiet("docker", ["rm", "-f", id]);
  quiet("docker", ["rmi", IMAGE, NO_NC]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describeUnless(reason, "npm run verify on a real engine", () => {
  it("--via-engine: published ports reached through a probe container; containers, ports, secret-files pass; the probe is gone afterwards", async () => {
    const run = await runVerify(["--outputs", outputsFile, "--only", "containers,ports,secret-files", "--via-engine"]);
    expect(run.code, `${run.stderr}\n${JSON.stringify(run.report, null, 1)}`).toBe(0);
    expect(statuses(run.report)).toEqual({ containers: "ok", ports: "ok", "secret-files": "ok" });
    expect(run.report!.reached.prometheus).toMatch(new RegExp(`^through the engine: probe ${STACK}-verify-probe-[0-9a-f]+ \\(${IMAGE}\\) on the host's network -> 127\\.0\\.0\\.1:${ports.prometheus}$`));
    expect(detailOf(run.report, "ports")).toContain(`prometheus (through the engine`);
    expect(detailOf(run.report, "secret-files")).toContain(`${container("prometheus")}:/run/secrets/token 0:0 0400`);
    expect(quiet("docker", ["ps", "-aq", "--filter", `label=${PROBE_LABEL}`])).toBe("");
  }, 120_000);

  it("on a local engine without --via-engine it connects directly", async () => {
    const run = await runVerify(["--outputs", outputsFile, "--only", "ports"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.report!.reached).toEqual({ mongodb: `directly at 127.0.0.1:${ports.mongodb}`, prometheus: `directly at 127.0.0.1:${ports.prometheus}` });
  }, 60_000);

  it("a secret file readable by all: secret-files fails naming it, exit 1", async () => {
    await putSecretMode(0o444);
    try {
      const run = await runVerify(["--outputs", outputsFile, "--only", "secret-files"]);
      expect(run.code).toBe(1);
      expect(detailOf(run.report, "secret-files")).toContain(`${container("prometheus")}: /run/secrets/token mode 0444: every user may read it (expected 0400`);
      expect(detailOf(run.report, "secret-files")).toContain("readable by uid 54321:54321");
    } finally {
      await putSecretMode(0o400);
    }
  }, 60_000);

  it("a stopped container: containers fails naming it, exit 1; a removed one is named as gone", async () => {
    execFileSync("docker", ["stop", "-t", "1", container("mongodb")], { stdio: "ignore" });
    try {
      const run = await runVerify(["--outputs", outputsFile, "--only", "containers"]);
      expect(run.code).toBe(1);
      expect(detailOf(run.report, "containers")).toContain(`${container("mongodb")}: not running (status exited`);
      const gone = path.join(dir, "outputs-gone.json");
      fs.writeFileSync(gone, JSON.stringify({ ...JSON.parse(fs.readFileSync(outputsFile, "utf8")), containers: [...Object.keys(SERVICES).map(container), `${STACK}-grafana`] }), { mode: 0o600 });
      const missing = await runVerify(["--outputs", gone, "--only", "containers"]);
      expect(detailOf(missing.report, "containers")).toContain(`${STACK}-grafana: does not exist (the stack deployed it)`);
    } finally {
      execFileSync("docker", ["start", container("mongodb")], { stdio: "ignore" });
      await waitHealthy(container("mongodb"));
    }
  }, 60_000);

  it("an engine that does not answer: exit 4, nothing checked, the host named", async () => {
    const port = await freePort();
    const run = await runVerify(["--outputs", outputsFile, "--docker-host", `tcp://127.0.0.1:${port}`]);
    expect(run.code).toBe(4);
    expect(run.report!.checks).toEqual([]);
    expect(run.report!.error).toContain(`the Docker engine at tcp://127.0.0.1:${port} cannot be reached`);
  }, 60_000);

  describe("the probe", () => {
    it("forwards each connection through `nc` in the container; a port nothing listens on closes at once", async () => {
      const server = http.createServer((_req, res) => res.end("hello from the host"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as import("node:net").AddressInfo).port;
      const probe = await Probe.start(docker, { candidates: ["vfy-absent:0", NO_NC, IMAGE], namePrefix: "vfy-t", stack: "vfy-t" });
      try {
        expect(probe.image).toBe(IMAGE);
        const local = await probe.forward("127.0.0.1", port);
        const answers = await Promise.all([1, 2, 3].map(() => request(`http://127.0.0.1:${local}/`, { timeoutMs: 10_000 })));
        expect(answers.map((a) => a.body)).toEqual(["hello from the host", "hello from the host", "hello from the host"]);
        const closed = await probe.forward("127.0.0.1", await freePort());
        expect(await portAnswers({ host: "127.0.0.1", port: closed })).toBe("the connection was closed at once (nothing listens there)");
      } finally {
        await probe.remove();
        server.close();
      }
      expect(quiet("docker", ["ps", "-aq", "--filter", "label=" + PROBE_LABEL])).toBe("");
    }, 60_000);

    it("refuses images it cannot use, saying why for each", async () => {
      await expect(Probe.start(docker, { candidates: ["vfy-absent:0", NO_NC], namePrefix: "vfy-t", stack: "vfy-t" })).rejects.toThrow(ProbeError);
      await expect(Probe.start(docker, { candidates: ["vfy-absent:0", NO_NC], namePrefix: "vfy-t", stack: "vfy-t" })).rejects.toThrow(/vfy-absent:0: not on the engine; vfy-nonc:1: no `nc` in the image/);
      expect(quiet("docker", ["ps", "-aq", "--filter", "label=" + PROBE_LABEL])).toBe("");
    }, 60_000);
  });

  describeWithTools(["sshd"], "over ssh:// (a real sshd on 127.0.0.1, the docker CLI on its side)", () => {
    let daemon: ChildProcess | undefined;
    let sshPort = 0;
    let sshDir = "";

    beforeAll(async () => {
      sshDir = fs.mkdtempSync(path.join(os.tmpdir(), "vfy-ssh-"));
      sshPort = await freePort();
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(sshDir, "host_key")]);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(sshDir, "client_key")]);
      fs.copyFileSync(path.join(sshDir, "client_key.pub"), path.join(sshDir, "authorized_keys"));
      fs.writeFileSync(path.join(sshDir, "known_hosts"), `[127.0.0.1]:${sshPort} ${fs.readFileSync(path.join(sshDir, "host_key.pub"), "utf8")}`);
      const other = path.join(sshDir, "other_key");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
      fs.writeFileSync(path.join(sshDir, "wrong_known_hosts"), `[127.0.0.1]:${sshPort} ${fs.readFileSync(`${other}.pub`, "utf8")}`);
      fs.writeFileSync(
        path.join(sshDir, "sshd_config"),
        [`Port ${sshPort}`, "ListenAddress 127.0.0.1", `HostKey ${sshDir}/host_key`, `PidFile ${sshDir}/sshd.pid`, `AuthorizedKeysFile ${sshDir}/authorized_keys`,
          "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "StrictModes no", "UsePAM no"].join("\n") + "\n",
      );
      fs.mkdirSync("/run/sshd", { recursive: true });
      daemon = spawn(toolPath("sshd"), ["-D", "-e", "-f", path.join(sshDir, "sshd_config")], { stdio: "ignore" });
      for (let i = 0; i < 50 && (await portAnswers({ host: "127.0.0.1", port: sshPort }, 0, 500)) !== true; i++) await new Promise((r) => setTimeout(r, 100));
    }, 60_000);

    afterAll(() => {
      daemon?.kill();
      if (sshDir) fs.rmSync(sshDir, { recursive: true, force: true });
    });

    const sshStack = (knownHosts: string) => {
      const file = path.join(sshDir, `Pulumi.${STACK}.yaml`);
      // docker.host is the ssh:// URL itself: sshOpts on any other host are refused (config/docker).
      writeStackFile(file, { host: `ssh://root@127.0.0.1:${sshPort}`, sshOpts: ["-i", path.join(sshDir, "client_key"), "-o", `UserKnownHostsFile=${path.join(sshDir, knownHosts)}`, "-o", "StrictHostKeyChecking=yes"] });
      return file;
    };

    it("reaches the engine through `ssh ... docker system dial-stdio` with the stack's sshOpts; a remote host's loopback ports through the probe", async () => {
      const file = sshStack("known_hosts");
      const run = await runVerify(["--outputs", outputsFile, "--config-file", file, "--docker-host", `ssh://root@127.0.0.1:${sshPort}`, "--only", "containers,ports,secret-files"]);
      expect(run.code, `${run.stderr}\n${JSON.stringify(run.report, null, 1)}`).toBe(0);
      expect(run.report!.dockerHost).toBe(`ssh://root@127.0.0.1:${sshPort}`);
      expect(run.stderr).toMatch(/verify: engine: .* at ssh:\/\/root@127\.0\.0\.1/);
      expect(run.report!.reached.mongodb).toMatch(/^through the engine: probe vfy-mini-verify-probe-/);
      expect(quiet("docker", ["ps", "-aq", "--filter", `label=${PROBE_LABEL}`])).toBe("");
    }, 120_000);

    it("a host key that does not match known_hosts: exit 4, ssh's own words", async () => {
      const file = sshStack("wrong_known_hosts");
      const run = await runVerify(["--outputs", outputsFile, "--config-file", file, "--docker-host", `ssh://root@127.0.0.1:${sshPort}`]);
      expect(run.code).toBe(4);
      expect(run.report!.error).toMatch(/cannot be reached: ssh to 127\.0\.0\.1:\d+ \(docker system dial-stdio\) exited 255: .*(REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed)/);
    }, 60_000);
  });

  describeWithTools(["pulumi"], "the outputs from the Pulumi CLI (file:// backend, passphrase secrets)", () => {
    const PULUMI = toolPath("pulumi");
    let home = "";
    const env = () => ({ PULUMI_HOME: path.join(home, "home"), PULUMI_CONFIG_PASSPHRASE: "vfy", PULUMI_SKIP_UPDATE_CHECK: "1", PULUMI_CLI: PULUMI });
    const pulumi = (args: string[]) => execFileSync(PULUMI, [...args, "--non-interactive"], { env: { ...process.env, ...env() }, stdio: "pipe" }).toString();

    beforeAll(() => {
      home = fs.mkdtempSync(path.join(os.tmpdir(), "vfy-pulumi-"));
      fs.mkdirSync(path.join(home, "proj"));
      fs.mkdirSync(path.join(home, "state"));
      fs.writeFileSync(path.join(home, "proj/Pulumi.yaml"), "name: enrichment\nruntime: nodejs\n");
      fs.copyFileSync(stackFile, path.join(home, "proj", `Pulumi.${STACK}.yaml`));
      pulumi(["login", `file://${path.join(home, "state")}`]);
      pulumi(["stack", "init", STACK, "--cwd", path.join(home, "proj")]);
      const deployment = JSON.parse(pulumi(["stack", "export", "--stack", STACK, "--cwd", path.join(home, "proj")])) as { deployment: Record<string, unknown> };
      const outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8")) as Record<string, unknown>;
      // A secret output as the engine stores it (the CLI encrypts it with the stack's passphrase on import).
      outputs.mongodbAdminUri = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify("mongodb://enrichment:vfy@127.0.0.1:1/enrichment") };
      deployment.deployment.resources = [{ urn: `urn:pulumi:${STACK}::enrichment::pulumi:pulumi:Stack::enrichment-${STACK}`, custom: false, type: "pulumi:pulumi:Stack", outputs }];
      fs.writeFileSync(path.join(home, "deployment.json"), JSON.stringify(deployment));
      pulumi(["stack", "import", "--file", path.join(home, "deployment.json"), "--stack", STACK, "--cwd", path.join(home, "proj")]);
    }, 120_000);

    afterAll(() => {
      if (home) fs.rmSync(home, { recursive: true, force: true });
    });

    it("reads `pulumi stack output --json --show-secrets` in the project (--cwd), its stack file there", async () => {
      const run = await new Promise<{ code: number; report?: VerifyReport; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [...TSX_LOADER, path.join(ROOT, "scripts/verify.ts"), "--stack", STACK, "--json", "--cwd", path.join(home, "proj"), "--only", "containers"], { cwd: ROOT, env: { ...process.env, ...env() } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code: code ?? 255, report: stdout ? (JSON.parse(stdout) as VerifyReport) : undefined, stderr }));
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.report!.outputs).toBe(`${PULUMI} stack output --json --show-secrets --non-interactive --stack ${STACK} --cwd ${path.join(home, "proj")}`);
      expect(statuses(run.report)).toEqual({ containers: "ok" });
    }, 60_000);

    it("a stack Pulumi does not know: exit 4 with Pulumi's message", async () => {
      fs.copyFileSync(stackFile, path.join(home, "proj", "Pulumi.vfy-absent.yaml"));
      const child = spawnSync(process.execPath, [...TSX_LOADER, path.join(ROOT, "scripts/verify.ts"), "--stack", "vfy-absent", "--cwd", path.join(home, "proj")], { cwd: ROOT, env: { ...process.env, ...env() }, encoding: "utf8" });
      expect(child.status).toBe(4);
      expect(child.stderr).toMatch(/stack output --json --show-secrets --non-interactive --stack vfy-absent .* exited \d+: .*no stack named 'vfy-absent' found/);
    }, 60_000);
  });
});
