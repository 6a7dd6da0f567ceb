// The tool catalog (tests/tools.json) is the one list: every suite's tools are in it with the
// command that provides them, its `suites` are what the suites really use, .ci/run installs its apt
// packages from it, and a missing tool skips with one line, or fails where tools are required.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import catalog from "./tools.json";
import { HIDE_ENV, REQUIRE_ENV, resetToolCache, suitePlan, tool, TOOL_CATALOG, ToolName } from "./tools";
import { toolUsage } from "./tools.usage";

const ROOT = path.resolve(__dirname, "..");
const names = Object.keys(TOOL_CATALOG) as ToolName[];

describe("the catalog", () => {
  it("lists, for each tool, what it is, its version, how it is provided and the suites that use it (as they do)", () => {
    const usage = toolUsage(ROOT, names);
    for (const name of names) {
      const entry = (catalog.tools as Record<string, { what: string; version: string; provide: string; suites: string[]; apt?: string }>)[name];
      expect(entry.what.length, name).toBeGreaterThan(3);
      expect(entry.version.length, name).toBeGreaterThan(0);
      expect(entry.provide, name).toMatch(/^(apt-get install -y |bash tests\/e2e\/|docker run )/);
      if (entry.apt) expect(entry.provide, name).toBe(`apt-get install -y ${entry.apt}`);
      expect(entry.suites, `${name}: tests/tools.json suites vs the suites' own calls`).toEqual(usage[name].map((file) => file.replace(/^tests\//, "")));
    }
  });

  it("every suite file it names exists", () => {
    for (const name of names) for (const suite of (catalog.tools as Record<string, { suites: string[] }>)[name].suites) expect(fs.existsSync(path.join(ROOT, "tests", suite)), suite).toBe(true);
  });

  it(".ci/run installs the catalog's apt packages and builds, read from tests/tools.json", () => {
    const ci = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/tests\/tools\.json/);
    expect(ci).toMatch(/ENRICHMENT_REQUIRE_TOOLS=1|CI=true/);
  });
});

describe("a missing tool", () => {
  const saved = { hide: process.env[HIDE_ENV], require: process.env[REQUIRE_ENV], ci: process.env.CI };
  afterEach(() => {
    for (const [key, value] of [[HIDE_ENV, saved.hide], [REQUIRE_ENV, saved.require], ["CI", saved.ci]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    resetToolCache();
  });

  it("skips with one line naming the tool and the command that provides it", () => {
    process.env[HIDE_ENV] = "promtool";
    delete process.env[REQUIRE_ENV];
    process.env.CI = "false";
    resetToolCache();
    const plan = suitePlan(["promtool"]);
    expect(plan).toEqual({ action: "skip", reason: expect.stringMatching(/^no promtool \(.*\); provide it with `apt-get install -y prometheus`$/) });
    expect((plan as { reason: string }).reason).not.toContain("\n");
  });

  it("fails under CI=true and under ENRICHMENT_REQUIRE_TOOLS=1", () => {
    process.env[HIDE_ENV] = "amtool";
    process.env.CI = "true";
    resetToolCache();
    expect(suitePlan(["amtool"])).toMatchObject({ action: "fail", reason: expect.stringContaining("bash tests/e2e/images/go-build.sh alertmanager") });
    process.env.CI = "false";
    process.env[REQUIRE_ENV] = "1";
    resetToolCache();
    expect(suitePlan(["amtool"])).toMatchObject({ action: "fail" });
  });

  it("an optional tool (never provided by .ci/run) still skips under CI", () => {
    process.env[HIDE_ENV] = "mongodb";
    process.env.CI = "true";
    resetToolCache();
    expect(suitePlan(["mongodb"])).toMatchObject({ action: "skip" });
  });

  it("Debian's amtool 0.25 on PATH is not taken for the 0.27 the program needs", () => {
    const debian = "/usr/bin/amtool";
    if (!fs.existsSync(debian)) return;
    // Only the PATH candidate: the e2e cache's build is hidden by pointing the lookup elsewhere.
    const savedPath = process.env.PATH;
    const savedCache = process.env.E2E_CACHE;
    process.env.PATH = "/usr/bin:/bin";
    process.env.E2E_CACHE = "/nonexistent-e2e-cache";
    delete process.env[HIDE_ENV];
    resetToolCache();
    try {
      expect(tool("amtool").missing).toMatch(/^no amtool 0\.27 \(.*\/usr\/bin\/amtool is another version\); provide it with `bash tests\/e2e\/images\/go-build\.sh alertmanager`$/);
    } finally {
      process.env.PATH = savedPath;
      if (savedCache === undefined) delete process.env.E2E_CACHE;
      else process.env.E2E_CACHE = savedCache;
    }
  });
});
