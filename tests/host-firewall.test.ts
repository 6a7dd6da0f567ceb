// scripts/host-firewall.sh against a real dockerd, with throwaway networks shaped like a stack's
// (<prefix>-private internal, -egress, -published without NAT; prefix fx-fwt) and an "outside"
// host played by a network namespace behind a veth pair. First what Docker alone gives (measured:
// an internal network's container reaches the host's own listeners; the published network is
// forwarded), then the rules (host listeners refused from every stack bridge, nothing forwarded
// out of the published network; egress, published ports and host-to-container traffic still
// work), idempotence, and removal. Everything it creates is named fx-fwt* and removed afterwards.
import { execFile, execFileSync, spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeUnless, missingTools } from "./tools";
import { freePort } from "./fixtures/net";

const ROOT = path.resolve(__dirname, "..");
const SCRIPT = path.join(ROOT, "scripts/host-firewall.sh");
const PREFIX = "fx-fwt";
const IMAGE = "fx-fwt-busybox:1";
const NETNS = "fx-fwt-out";
const OUTSIDE = { host: "10.98.0.1", peer: "10.98.0.2" };

const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] }).trim();
const quiet = (file: string, args: string[]) => {
  try {
    return sh(file, args);
  } catch {
    return undefined;
  }
};

function why(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (iptables, ip netns); run it with sudo npx vitest run tests/host-firewall.test.ts on a Docker host";
  return missingTools(["docker", "iptables", "ip", "busybox"]);
}
const reason = why();

let listener: http.Server | undefined;
let outside: ChildProcess | undefined;
let hostPort = 0;
let outsidePort = 0;
let hostAddress = "";
let www = "";
const gateways: Record<string, string> = {};

const run = (args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile(SCRIPT, args, { timeout: 60_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr })),
  );

/** The first line a container on `network` gets back from http://ip:port/, or "" when it cannot connect. */
const probe = (network: string, ip: string, port: number) =>
  new Promise<string>((resolve) =>
    execFile(
      "docker",
      ["run", "--rm", "--network", network, IMAGE, "sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port} | head -1`],
      { timeout: 30_000 },
      (_error, stdout) => resolve(stdout.trim()),
    ),
  );

const OK = /^HTTP\/1\.[01] 200/;

function cleanup(): void {
  quiet(SCRIPT, ["remove", PREFIX]);
  quiet("docker", ["rm", "-f", `${PREFIX}-pub`]);
  for (const suffix of ["private", "egress", "published"]) quiet("docker", ["network", "rm", `${PREFIX}-${suffix}`]);
  quiet("ip", ["netns", "delete", NETNS]);
  quiet("ip", ["link", "delete", `${PREFIX}-h`]);
}

beforeAll(async () => {
  if (reason) return;
  cleanup();
  // A busybox image (static busybox from Debian): no registry needed.
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), "fx-fwt-rootfs-"));
  fs.mkdirSync(path.join(rootfs, "bin"));
  fs.mkdirSync(path.join(rootfs, "etc"));
  fs.copyFileSync(sh("sh", ["-c", "command -v busybox"]), path.join(rootfs, "bin/busybox"));
  fs.chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  for (const tool of ["sh", "nc", "head", "printf"]) fs.symlinkSync("busybox", path.join(rootfs, "bin", tool));
  fs.writeFileSync(path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/:/bin/sh\n");
  execFileSync("sh", ["-c", `tar --numeric-owner -C '${rootfs}' -cf - . | docker import - ${IMAGE}`], { timeout: 60_000 });
  fs.rmSync(rootfs, { recursive: true, force: true });

  sh("docker", ["network", "create", "--internal", `${PREFIX}-private`]);
  sh("docker", ["network", "create", `${PREFIX}-egress`]);
  sh("docker", ["network", "create", "-o", "com.docker.network.bridge.enable_ip_masquerade=false", `${PREFIX}-published`]);
  for (const suffix of ["private", "egress", "published"]) {
    gateways[suffix] = sh("docker", ["network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", `${PREFIX}-${suffix}`]);
  }

  // A listener of the host itself, on every address.
  hostPort = await freePort();
  listener = http.createServer((_req, res) => res.end("host"));
  await new Promise<void>((resolve) => listener!.listen(hostPort, "0.0.0.0", resolve));
  // One of the host's own non-Docker addresses (its LAN address).
  const addresses = sh("ip", ["-4", "-o", "addr", "show", "scope", "global"]).split("\n");
  hostAddress =
    addresses
      .map((line) => line.split(/\s+/))
      .filter((fields) => !/^(br-|docker|veth|fx-)/.test(fields[1]))
      .map((fields) => fields[3].split("/")[0])[0] ?? gateways.egress;

  // "Outside": a namespace on a veth pair, routing back through the host (so a forwarded packet
  // without NAT gets its answer, as a LAN router with a route to the host would give it).
  sh("ip", ["netns", "add", NETNS]);
  sh("ip", ["link", "add", `${PREFIX}-h`, "type", "veth", "peer", "name", `${PREFIX}-n`]);
  sh("ip", ["link", "set", `${PREFIX}-n`, "netns", NETNS]);
  sh("ip", ["addr", "add", `${OUTSIDE.host}/24`, "dev", `${PREFIX}-h`]);
  sh("ip", ["link", "set", `${PREFIX}-h`, "up"]);
  sh("ip", ["netns", "exec", NETNS, "ip", "addr", "add", `${OUTSIDE.peer}/24`, "dev", `${PREFIX}-n`]);
  sh("ip", ["netns", "exec", NETNS, "ip", "link", "set", `${PREFIX}-n`, "up"]);
  sh("ip", ["netns", "exec", NETNS, "ip", "route", "add", "default", "via", OUTSIDE.host]);
  outsidePort = await freePort();
  www = fs.mkdtempSync(path.join(os.tmpdir(), "fx-fwt-www-"));
  fs.writeFileSync(path.join(www, "index.html"), "outside");
  outside = spawn("ip", ["netns", "exec", NETNS, "busybox", "httpd", "-f", "-p", `${OUTSIDE.peer}:${outsidePort}`, "-h", www], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
}, 120_000);

afterAll(async () => {
  if (reason) return;
  outside?.kill("SIGTERM");
  await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
  cleanup();
  quiet("docker", ["rmi", IMAGE]);
  if (www) fs.rmSync(www, { recursive: true, force: true });
}, 60_000);

describeUnless(reason, "host firewall on a real dockerd", () => {
  it("without it (what Docker gives): the internal network reaches the host's listeners; the published network is forwarded out", async () => {
    expect(await probe(`${PREFIX}-private`, gateways.private, hostPort)).toMatch(OK);
    expect(await probe(`${PREFIX}-private`, hostAddress, hostPort)).toMatch(OK);
    expect(await probe(`${PREFIX}-published`, OUTSIDE.peer, outsidePort)).toMatch(OK);
    // What Docker does give: an internal network is not forwarded.
    expect(await probe(`${PREFIX}-private`, OUTSIDE.peer, outsidePort)).toBe("");
  }, 120_000);

  it("apply (twice: idempotent) closes both, leaving egress, published ports and host-to-container traffic working", async () => {
    expect((await run(["apply", PREFIX])).code).toBe(0);
    const first = (await run(["status", PREFIX])).out;
    expect((await run(["apply", PREFIX])).code).toBe(0);
    const status = await run(["status", PREFIX]);
    expect(status.code, status.out).toBe(0);
    expect(status.out).toBe(first);

    for (const suffix of ["private", "egress", "published"]) {
      expect(await probe(`${PREFIX}-${suffix}`, gateways[suffix], hostPort), `${suffix} -> its gateway`).toBe("");
      expect(await probe(`${PREFIX}-${suffix}`, hostAddress, hostPort), `${suffix} -> host address`).toBe("");
    }
    expect(await probe(`${PREFIX}-published`, OUTSIDE.peer, outsidePort)).toBe("");
    expect(await probe(`${PREFIX}-egress`, OUTSIDE.peer, outsidePort)).toMatch(OK);

    // A published port (host-initiated, replies are ESTABLISHED) still answers.
    const port = await freePort();
    sh("docker", [
      "run", "-d", "--name", `${PREFIX}-pub`, "--network", `${PREFIX}-published`, "-p", `127.0.0.1:${port}:8080`, IMAGE,
      "sh", "-c", "while true; do printf 'HTTP/1.0 200 OK\\r\\n\\r\\nok' | nc -l -p 8080; done",
    ]);
    let body = "";
    for (let i = 0; i < 20 && body !== "ok"; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text()).catch(() => "");
      if (body !== "ok") await new Promise((r) => setTimeout(r, 250));
    }
    expect(body).toBe("ok");
    sh("docker", ["rm", "-f", `${PREFIX}-pub`]);
  }, 180_000);

  it("remove restores Docker's behaviour, and status says the rules are gone", async () => {
    expect((await run(["remove", PREFIX])).code).toBe(0);
    expect((await run(["status", PREFIX])).code).toBe(1);
    expect(await probe(`${PREFIX}-private`, gateways.private, hostPort)).toMatch(OK);
  }, 60_000);

  it("refuses a stack whose networks do not exist, and a malformed prefix", async () => {
    const missing = await run(["apply", "fx-fwt-none"]);
    expect(missing.code).not.toBe(0);
    expect(missing.out).toContain("Docker network fx-fwt-none-private not found");
    expect((await run(["apply", "Bad Prefix"])).code).toBe(2);
  });
});
