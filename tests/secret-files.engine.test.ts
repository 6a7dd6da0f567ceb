// Secret files on a real Docker engine, delivered as the docker provider delivers uploads: a tar
// (mode from `permissions`, uid/gid from the upload's numeric `owner`/`group`) put into the created
// container through the archive API (`docker cp -`), before it starts. For every distinct owner
// the synthesized stacks use, the service's own user reads its file, another non-root user cannot;
// and the old delivery (0440 root:root) is what the service could not read. Throwaway names fx-sf*.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Graph, synthesize } from "../synth";

const IMAGE = "fx-sf-busybox:1";
const quiet = (file: string, args: string[]) => {
  try {
    return execFileSync(file, args, { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return undefined;
  }
};
const engine = quiet("docker", ["version", "--format", "{{.Server.Version}}"]);
const reason = engine === undefined ? "no Docker engine answers: start one with tests/e2e/dockerd.sh" : quiet("sh", ["-c", "command -v busybox"]) === undefined ? "busybox is missing (apt-get install -y busybox-static)" : undefined;
const skip = reason ? ` [skipped: ${reason}; run npx vitest run tests/secret-files.engine.test.ts on a Docker host]` : "";
if (skip) console.warn(`secret-files.engine:${skip}`);

let owners: string[] = [];
let n = 0;
const created: string[] = [];

/** Creates a container running as `user`, puts the file in as the provider would, starts `cat`; its output or the error. */
function deliverAndRead(user: string, upload: { owner: string; group: string; mode: string }): { ok: boolean; output: string } {
  const name = `fx-sf-${process.pid}-${n++}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fx-sf-"));
  try {
    fs.mkdirSync(path.join(dir, "run/secrets"), { recursive: true });
    fs.writeFileSync(path.join(dir, "run/secrets/token"), "s3cret");
    const tar = path.join(dir, "upload.tar");
    // The provider writes one header per file: the name, the mode, and (owner/group) the uid/gid.
    execFileSync("tar", ["--numeric-owner", `--owner=${upload.owner}`, `--group=${upload.group}`, `--mode=${upload.mode}`, "-C", dir, "-cf", tar, "run/secrets/token"]);
    execFileSync("docker", ["create", "--name", name, "--user", user, IMAGE, "cat", "/run/secrets/token"], { stdio: "ignore" });
    created.push(name);
    execFileSync("sh", ["-c", `docker cp - ${name}:/ < '${tar}'`]);
    const output = execFileSync("docker", ["start", "-a", name], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { ok: true, output: output.trim() };
  } catch (error) {
    return { ok: false, output: String((error as { stderr?: Buffer }).stderr ?? error) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  if (reason) return;
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), "fx-sf-rootfs-"));
  fs.mkdirSync(path.join(rootfs, "bin"));
  fs.copyFileSync(execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim(), path.join(rootfs, "bin/busybox"));
  fs.chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  for (const tool of ["sh", "cat"]) fs.symlinkSync("busybox", path.join(rootfs, "bin", tool));
  execFileSync("sh", ["-c", `tar --numeric-owner -C '${rootfs}' -cf - . | docker import - ${IMAGE}`], { stdio: "ignore" });
  fs.rmSync(rootfs, { recursive: true, force: true });

  const set = new Set<string>();
  for (const stack of ["staging", "production"]) {
    const graph = new Graph((await synthesize({ stack })).records);
    for (const container of graph.ofType("docker:index/container:Container")) {
      const uploads = (container.inputs.uploads ?? []) as { owner?: string; group?: string; permissions?: string }[];
      uploads.forEach((upload, i) => {
        if (container.secretPaths.includes(`uploads.${i}.content`)) set.add(`${upload.owner}:${upload.group}:${upload.permissions}`);
      });
    }
  }
  owners = [...set].sort();
}, 180_000);

afterAll(() => {
  for (const name of created) quiet("docker", ["rm", "-f", name]);
  if (!reason) quiet("docker", ["rmi", IMAGE]);
});

describe.skipIf(!!reason)(`secret files as the provider delivers them${skip}`, () => {
  it("the stacks use these owners, all mode 0400 (root, mongodb 999, nobody 65534, grafana 472:0, the exporter 1001:0, the apps 10001)", () => {
    expect(owners).toEqual(expect.arrayContaining(["0:0:0400", "999:999:0400", "65534:65534:0400", "472:0:0400", "1001:0:0400", "10001:10001:0400"]));
    for (const owner of owners) expect(owner.endsWith(":0400"), owner).toBe(true);
  });

  it("each service's own user reads its file; another non-root user cannot", () => {
    for (const entry of owners) {
      const [uid, gid] = entry.split(":");
      const read = deliverAndRead(`${uid}:${gid}`, { owner: uid, group: gid, mode: "0400" });
      expect(read, `${entry} read by ${uid}:${gid}`).toEqual({ ok: true, output: "s3cret" });
      if (uid === "0") continue;
      const other = deliverAndRead("4444:4444", { owner: uid, group: gid, mode: "0400" });
      expect(other.ok, `${entry} read by 4444:4444`).toBe(false);
      expect(other.output).toMatch(/Permission denied/);
    }
  }, 180_000);

  it("the old delivery (0440 root:root) is unreadable by uid 999 and by 65534:65534: what stopped MongoDB", () => {
    for (const user of ["999:999", "65534:65534"]) {
      const read = deliverAndRead(user, { owner: "0", group: "0", mode: "0440" });
      expect(read.ok, user).toBe(false);
      expect(read.output).toMatch(/Permission denied/);
    }
  }, 60_000);
});
