// tests/e2e/processTree.ts on real processes: the e2e's deadlines describe and stop a command
// together with what it started (a shell's background children included).
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { describeTree, processTree, signalTree } from "./e2e/processTree";

describe("the e2e's process tree", () => {
  it("finds a command's children and grandchildren, and stops all of them", async () => {
    const child = spawn("sh", ["-c", "sh -c 'sleep 31 & sleep 32' & sleep 33; :"], { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    let tree = processTree(child.pid!);
    for (let i = 0; i < 50 && tree.filter((p) => p.args.startsWith("sleep")).length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      tree = processTree(child.pid!);
    }
    expect(tree[0]).toMatchObject({ pid: child.pid, depth: 0 });
    expect(tree.map((p) => p.args).filter((a) => a.startsWith("sleep")).sort()).toEqual(["sleep 31", "sleep 32", "sleep 33"]);
    const nested = tree.find((p) => p.args === "sleep 31")!;
    expect(nested.depth).toBe(2);
    expect(describeTree(child.pid!)).toMatch(new RegExp(`^${child.pid} [RS] \\d+s sh -c`));

    const sleeps = tree.filter((p) => p.args.startsWith("sleep")).map((p) => p.pid);
    expect(signalTree(child.pid!, "SIGKILL").length).toBe(tree.length);
    expect(await exited).toBe("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const alive = sleeps.filter((pid) => {
      try {
        process.kill(pid, 0);
        return !require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });

  it("describes a pid that is gone", () => {
    expect(describeTree(2 ** 22 + 7)).toBe(`(pid ${2 ** 22 + 7} is gone)`);
  });
});
