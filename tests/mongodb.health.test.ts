// MongoDB's healthcheck script (planes/data/mongodb.ts healthScript) against the servers the mongo
// entrypoint runs: the script runs in node's vm with the mongosh calls it makes (db.adminCommand,
// quit) played by a stand-in answering as mongod does (server errors throw, as in mongosh). The
// init mongod is also excluded by the connection itself (--host <service>: it listens only on
// 127.0.0.1); tests/mongodb.engine.test.ts runs the real check in a container.
import * as vm from "node:vm";
import { describe, expect, it } from "vitest";
import { healthScript } from "../planes/data/mongodb";

function run(server: { auth: boolean; pingOk?: boolean }): { exit?: number; error?: string } {
  let exit: number | undefined;
  const db = {
    adminCommand(command: Record<string, unknown>) {
      if ("listDatabases" in command) {
        if (server.auth) throw Object.assign(new Error("Command listDatabases requires authentication"), { code: 13, codeName: "Unauthorized" });
        return { ok: 1, databases: [] };
      }
      if ("ping" in command) return { ok: server.pingOk === false ? 0 : 1 };
      throw new Error("unexpected command");
    },
  };
  const sandbox = {
    db,
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

describe("MongoDB healthcheck script", () => {
  it("is healthy on a server that enforces authorization and answers ping", () => {
    expect(run({ auth: true })).toEqual({ exit: 0 });
  });

  it("is unhealthy on a server without --auth (the entrypoint's init mongod)", () => {
    expect(run({ auth: false })).toEqual({ exit: 1 });
  });

  it("is unhealthy when ping fails", () => {
    expect(run({ auth: true, pingOk: false })).toEqual({ exit: 1 });
  });
});
