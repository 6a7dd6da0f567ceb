// Where the external tools and engines of tests/tools.json are on this machine, or why one is not
// usable here (one line: the tool and the command that provides it). No vitest here: fixtures and
// the e2e (plain tsx) import it; tests/tools.ts adds the suites' describe helpers.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import catalog from "./tools.json";

export type ToolName = keyof typeof catalog.tools;

interface ToolEntry {
  what: string;
  version: string;
  versionArgs?: string[];
  file?: string;
  goBuild?: string;
  binary?: string;
  command?: string;
  check?: string;
  apt?: string;
  provide: string;
  required: boolean;
}

export const TOOL_CATALOG = catalog.tools as Record<ToolName, ToolEntry>;

/** Set to a comma-separated list of tool names (or `*`) to treat them as absent: shows what a machine without them sees. */
export const HIDE_ENV = "ENRICHMENT_TOOLS_HIDE";
/** Set to 1 to make a missing required tool a failure (CI=true does the same). */
export const REQUIRE_ENV = "ENRICHMENT_REQUIRE_TOOLS";

/** The e2e cache (images' tools, Go-built binaries, the Pulumi CLI), read at each lookup. */
export const e2eCache = (): string => process.env.E2E_CACHE ?? "/var/cache/enrichment-e2e";

export function toolsRequired(): boolean {
  return process.env[REQUIRE_ENV] === "1" || process.env.CI === "true";
}

const expand = (file: string) => file.replace(/^\$E2E_CACHE/, e2eCache());

function onPath(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const GO_BUILD = path.join(__dirname, "e2e", "images", "go-build.sh");
const goBuildDirs = new Map<string, string | undefined>();

/** The folder tests/e2e/images/go-build.sh builds a row into (version and patches), when its build completed. */
function goBuildDir(row: string): string | undefined {
  if (!goBuildDirs.has(row)) {
    const version = fs
      .readFileSync(path.join(path.dirname(GO_BUILD), "go-binaries.tsv"), "utf8")
      .split("\n")
      .map((line) => line.split("\t"))
      .find((cells) => cells[0] === row)?.[2];
    const result = version
      ? spawnSync("bash", ["-c", 'source "$1"; bin_dir "$2" "$3"', "bin_dir", GO_BUILD, row, version], { encoding: "utf8", env: { ...process.env, E2E_CACHE: e2eCache() } })
      : undefined;
    const dir = result?.stdout.trim();
    goBuildDirs.set(row, dir && fs.existsSync(path.join(dir, ".complete")) ? dir : undefined);
  }
  return goBuildDirs.get(row);
}

function quiet(file: string, args: string[], timeout = 15_000): string | undefined {
  try {
    return execFileSync(file, args, { encoding: "utf8", timeout, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; status?: number };
    // Some tools print their version on stderr with a zero exit; others exit 0 with no output.
    return failed.status === 0 ? `${failed.stdout ?? ""}${failed.stderr ?? ""}` : undefined;
  }
}

function versionOk(entry: ToolEntry, file: string): boolean {
  if (!entry.versionArgs) return true;
  // amtool and alertmanager print their version on stderr; pulumi on stdout.
  const result = spawnSync(file, entry.versionArgs, { encoding: "utf8", timeout: 15_000 });
  return `${result.stdout ?? ""}${result.stderr ?? ""}`.includes(entry.version.replace(/^v/, ""));
}

export type ToolStatus = { name: ToolName; path: string; missing?: undefined } | { name: ToolName; path?: undefined; missing: string };

const cache = new Map<ToolName, ToolStatus>();

function hidden(name: ToolName): boolean {
  const list = (process.env[HIDE_ENV] ?? "").split(",").map((item) => item.trim());
  return list.includes("*") || list.includes(name);
}

function locate(name: ToolName): ToolStatus {
  const entry = TOOL_CATALOG[name];
  const missing = (why: string): ToolStatus => ({ name, missing: `${why}; provide it with \`${entry.provide}\`` });
  if (hidden(name)) return missing(`no ${name} (${entry.what}, hidden by ${HIDE_ENV})`);
  if (entry.check === "docker-engine") {
    const docker = onPath("docker");
    const version = docker && quiet(docker, ["version", "--format", "{{.Server.Version}}"]);
    return version ? { name, path: docker! } : missing(`no Docker engine answers${docker ? "" : " (no docker CLI)"}`);
  }
  if (entry.check === "e2e-images") {
    const docker = onPath("docker");
    const engine = docker && quiet(docker, ["version", "--format", "{{.Server.Version}}"]);
    if (!engine) return missing("no Docker engine answers, so no e2e images");
    return { name, path: docker! };
  }
  if (entry.check?.startsWith("env:")) {
    const variable = entry.check.slice(4);
    return process.env[variable] ? { name, path: process.env[variable]! } : missing(`${variable} is not set (${entry.what})`);
  }
  // A cache file's folder names its version (go-build.sh builds without version stamps: a built
  // amtool prints an empty version); a command found on PATH must say its version.
  const built = entry.goBuild ? goBuildDir(entry.goBuild) : undefined;
  const cached = [entry.file && expand(entry.file), built && path.join(built, entry.binary ?? name)].find((file): file is string => !!file && fs.existsSync(file));
  if (cached) return { name, path: cached };
  const command = entry.command && onPath(entry.command);
  if (command && versionOk(entry, command)) return { name, path: command };
  if (command) return missing(`no ${name} ${entry.version} (${entry.what}; ${command} is another version)`);
  return missing(`no ${name} (${entry.what}, ${entry.version})`);
}

/** Where a tool is, or why it is not usable here (one line: the tool and the command that provides it). */
export function tool(name: ToolName): ToolStatus {
  let status = cache.get(name);
  if (!status) {
    status = locate(name);
    cache.set(name, status);
  }
  return status;
}

/** The path of a tool the suite checked with describeWithTools (throws, with the line, when absent). */
export function toolPath(name: ToolName): string {
  const status = tool(name);
  if (status.missing !== undefined) throw new Error(status.missing);
  return status.path;
}

/** Why a suite needing these tools cannot run here (the missing tools' lines joined), or undefined. */
export function missingTools(tools: readonly ToolName[]): string | undefined {
  const lines = tools.map(tool).filter((status) => status.missing !== undefined).map((status) => status.missing);
  return lines.length ? lines.join("; ") : undefined;
}

/** What a suite needing `tools` does here: run, skip with the line, or fail with it (tools required). */
export function suitePlan(tools: readonly ToolName[]): { action: "run" } | { action: "skip" | "fail"; reason: string } {
  const reason = missingTools(tools);
  if (!reason) return { action: "run" };
  const required = tools.some((name) => TOOL_CATALOG[name].required && tool(name).missing !== undefined);
  return { action: required && toolsRequired() ? "fail" : "skip", reason };
}

/** Forgets what was found (for tests of this module that change the environment). */
export function resetToolCache(): void {
  cache.clear();
  goBuildDirs.clear();
}
