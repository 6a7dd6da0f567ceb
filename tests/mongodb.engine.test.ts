// MongoDB's healthcheck as the program declares it, on a real Docker engine with the e2e image of
// mongo (tests/e2e/images/mongodb: the docker-library entrypoint's sequence, FerretDB as the
// server, the mongosh stand-in): while the entrypoint's temporary init server runs (held by an
// extra, slow init script) the check fails; once the final server runs, it passes; a server
// started without --auth, answering on the service's address, never passes. Secret files delivered 0400 999:999 as the provider does.
// Throwaway names fx-mg*.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeUnless } from "./tools";
import { docker, dockerQuiet, engineSkipReason, putUploadsAsProvider, userFlags } from "./fixtures/engine";
import { Graph, ResourceRecord, synthesize } from "../synth";

const IMAGE = process.env.E2E_MONGODB_IMAGE ?? "127.0.0.1:5000/mongodb:7.0.14-ferretdb1.24.2";
const P = `fx-mg-${process.pid}`;
const quiet = dockerQuiet;
const reason = engineSkipReason("mongodb.engine", [IMAGE]);

let mongodb: ResourceRecord;
const started: string[] = [];
type Upload = { file: string; content: string; owner?: string; group?: string; permissions?: string };

/** The container as declared (env, command, uploads, hostname), plus `extraInit`; not started. */
function create(name: string, options: { extraInit?: string; auth?: boolean; initScripts?: boolean }): void {
  const envs = (mongodb.inputs.envs as string[]).filter((e) => options.auth !== false || !e.startsWith("MONGO_INITDB_ROOT"));
  const command = (mongodb.inputs.command as string[]).filter((arg) => options.auth !== false || arg !== "--auth");
  docker(["create", "--name", name, "--hostname", String(mongodb.inputs.hostname), ...userFlags(mongodb.inputs), ...envs.flatMap((e) => ["-e", e]), IMAGE, ...command]);
  started.push(name);
  const uploads = (mongodb.inputs.uploads as Upload[]).filter((u) => options.initScripts !== false || !u.file.startsWith("/docker-entrypoint-initdb.d/"));
  if (options.extraInit) uploads.push({ file: "/docker-entrypoint-initdb.d/99-slow.js", content: options.extraInit });
  // Secret contents read "[secret]" in the synth: a value of their own in their place.
  putUploadsAsProvider(name, uploads, (u) => (u.file.startsWith("/run/secrets/") ? `pw-${path.basename(u.file)}` : (u.content ?? "")));
}

/** Both streams of the container's log. */
const logs = (name: string) => execFileSync("sh", ["-c", `docker logs ${name} 2>&1`], { encoding: "utf8", timeout: 30_000 });

const healthy = (name: string) => {
  const test = (mongodb.inputs.healthcheck as { tests: string[] }).tests;
  expect(test[0]).toBe("CMD");
  return quiet(["exec", name, ...test.slice(1)]) !== undefined;
};

beforeAll(async () => {
  if (reason) return;
  mongodb = new Graph((await synthesize({ stack: "staging" })).records).byName("docker:index/container:Container", "mongodb");
}, 120_000);

afterAll(() => {
  if (reason) return;
  for (const name of started) quiet(["rm", "-f", "-v", name]);
});

describeUnless(reason, "MongoDB's healthcheck on a real engine", () => {
  it("fails while the entrypoint's init server runs, passes once the final server runs", async () => {
    const name = `${P}-init`;
    // Holds the init phase (the temporary server bound to 127.0.0.1) for 20 seconds.
    create(name, { extraInit: "const until = Date.now() + 20000; while (Date.now() < until) {}\n" });
    docker(["start", name]);
    let sawInit = false;
    for (let i = 0; i < 30 && !sawInit; i++) {
      // The init phase, by the entrypoint's own log. (The stand-in's init server listens on another
      // loopback port, the real one on 127.0.0.1:27017 without --auth; the check refuses both.)
      const log = logs(name);
      if (log.includes("99-slow.js") && !log.includes("init process complete")) {
        expect(healthy(name), "healthy during init").toBe(false);
        sawInit = true;
      } else await new Promise((r) => setTimeout(r, 500));
    }
    expect(sawInit, `never caught the init phase:\n${logs(name)}`).toBe(true);
    let ok = false;
    for (let i = 0; i < 90 && !ok; i++) {
      ok = healthy(name);
      if (!ok) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(ok, logs(name)).toBe(true);
    expect(logs(name)).toContain("init process complete");
  }, 180_000);

  it("never passes on a server started without --auth", async () => {
    const name = `${P}-noauth`;
    // No root user and no init scripts: the entrypoint starts mongod at once, without --auth.
    create(name, { auth: false, initScripts: false });
    docker(["start", name]);
    // It answers (ping through the service name works) but does not enforce authorization.
    let answers = false;
    for (let i = 0; i < 60 && !answers; i++) {
      answers = quiet(["exec", name, "mongosh", "--quiet", "--norc", "--host", "mongodb", "--eval", "quit(db.adminCommand({ ping: 1 }).ok === 1 ? 0 : 1)"]) !== undefined;
      if (!answers) await new Promise((r) => setTimeout(r, 500));
    }
    expect(answers, logs(name)).toBe(true);
    expect(healthy(name)).toBe(false);
  }, 90_000);
});
