// MongoDB's healthcheck script (components/mongodb.ts healthScript) against the two servers the
// mongo entrypoint runs on an empty volume: the temporary init mongod (no --auth, --bind_ip
// 127.0.0.1) and the final one (--auth --bind_ip_all). The script runs in node's vm with the
// mongosh calls it makes (new Mongo().getDB, auth, adminCommand, quit) played by a stand-in that
// answers as each server does (getCmdLineOpts' `parsed` mirrors the command-line options).
// A real mongod is not available here; the e2e (tests/e2e) runs the script in the real image.
import * as vm from "node:vm";
import { describe, expect, it } from "vitest";
import { healthScript, MONITOR_USER } from "../components/mongodb";

interface Server {
  parsed: Record<string, unknown>;
  users: Record<string, string>;
  up: boolean;
}

function run(server: Server, passwordFile = "pw-monitor\n"): { exit?: number; error?: string } {
  let exit: number | undefined;
  class Mongo {
    constructor(readonly uri: string) {
      if (!server.up) throw new Error("MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017");
    }
    getDB(name: string) {
      return {
        auth(user: string, password: string) {
          if (server.users[user] !== password) throw new Error("MongoServerError: Authentication failed.");
          return { ok: 1 };
        },
        adminCommand(command: Record<string, unknown>) {
          if ("getCmdLineOpts" in command) return { ok: 1, argv: [], parsed: server.parsed };
          if ("ping" in command) return { ok: 1 };
          throw new Error(`unexpected command on ${name}`);
        },
      };
    }
  }
  const sandbox = {
    require: (module: string) => {
      expect(module).toBe("fs");
      return { readFileSync: (file: string) => (expect(file).toBe("/run/secrets/mongodb-monitor-password"), passwordFile) };
    },
    Mongo,
    quit: (code: number) => {
      exit = code;
      throw new Error("quit");
    },
  };
  try {
    vm.runInNewContext(healthScript(), sandbox);
  } catch (error) {
    if ((error as Error).message !== "quit") return { error: (error as Error).message };
  }
  return { exit };
}

const initMongod: Server = { parsed: { net: { bindIp: "127.0.0.1", port: 27017 }, processManagement: { fork: true } }, users: { [MONITOR_USER]: "pw-monitor" }, up: true };
const finalMongod: Server = { parsed: { net: { bindIpAll: true }, security: { authorization: "enabled" } }, users: { [MONITOR_USER]: "pw-monitor" }, up: true };

describe("MongoDB healthcheck script", () => {
  it("is healthy on the final server, for the monitoring user", () => {
    expect(run(finalMongod)).toEqual({ exit: 0 });
  });

  it("is unhealthy on the entrypoint's temporary init mongod, even once the users exist", () => {
    expect(run(initMongod).exit).toBe(1);
  });

  it("is unhealthy before the init script created the monitoring user (mongosh exits non-zero on the error)", () => {
    expect(run({ ...finalMongod, users: {} }).error).toMatch(/Authentication failed/);
  });

  it("is unhealthy when nothing answers", () => {
    expect(run({ ...finalMongod, up: false }).error).toMatch(/ECONNREFUSED/);
  });

  it("needs both options: auth alone or all interfaces alone is not the final server", () => {
    expect(run({ ...finalMongod, parsed: { security: { authorization: "enabled" } } }).exit).toBe(1);
    expect(run({ ...finalMongod, parsed: { net: { bindIpAll: true } } }).exit).toBe(1);
  });
});
