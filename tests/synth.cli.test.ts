// The README's first command, as a user runs it: `npm run synth -- --stack <name>`. One case runs
// the real command (tsx scripts/synth.ts: the entry point, its exit code, its streams, the files it
// writes); the others run the same command in this process (runSynth with captured output), its
// evaluations in the test run's synth server (synthesize), which is what evaluate() returns in the
// command's own process.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../release/cli";
import { runSynth } from "../scripts/synth.run";
import { synthesize, TSX_LOADER } from "../synth/index";

const ROOT = path.resolve(__dirname, "..");
const run = promisify(execFile);

/** The real command, as `npm run synth` starts it. */
async function synthProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...TSX_LOADER, path.join(ROOT, "scripts", "synth.ts"), ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The command in this process: what scripts/synth.ts runs, minus the process start, evaluated by synthesize(). */
async function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = { out: (text) => void (stdout += text.endsWith("\n") ? text : `${text}\n`), err: (text) => void (stderr += text.endsWith("\n") ? text : `${text}\n`) };
  const code = await runSynth(args, io, { evaluate: synthesize });
  return { code, stdout, stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-cli-"));

describe("npm run synth -- --stack staging (the real process)", () => {
  let result: { code: number; stdout: string; stderr: string };
  let resources: Record<string, unknown>[];
  const out = path.join(tmp, "out");

  beforeAll(async () => {
    result = await synthProcess(["--stack", "staging", "--out", out]);
    resources = JSON.parse(fs.readFileSync(path.join(out, "staging", "resources.json"), "utf8"));
  });

  it("prints the tree by component and the count", () => {
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/└─ enrichment:platform:EnrichmentPlatform {2}enrichment/);
    expect(result.stdout).toMatch(/│ {2}├─ docker:index\/container:Container {2}mongodb|└─ docker:index\/container:Container {2}mongodb/);
    const count = Number(/(\d+) resources;/.exec(result.stdout)?.[1]);
    expect(count).toBe(resources.length);
  });

  it("notes on stderr each secret the synth stands in for", () => {
    expect(result.stderr).toContain("note: enrichment:anthropicApiKey is not set in the stack file; the synth uses a placeholder");
  });

  it("prints a table per service after the tree", () => {
    expect(result.stdout).toContain("Services of stack staging:");
    expect(result.stdout).toMatch(/^container +image +published +memory MB +CPUs +volumes +health wait s +user$/m);
    expect(result.stdout).toMatch(/^staging-mongodb +mongo:7\.0\.14 +127\.0\.0\.1:27018->27017 /m);
  });

  it("resources.json keeps its contract: these keys, registration order, parents before children", () => {
    expect(resources.length).toBeGreaterThan(30);
    const seen = new Set<string>();
    for (const resource of resources) {
      expect(Object.keys(resource).sort()).toEqual(["dependsOn", "inputs", "name", "parent", "protect", "type", "urn"]);
      expect(typeof resource.urn).toBe("string");
      expect(resource.urn).toMatch(new RegExp(`^urn:pulumi:staging::enrichment::.*::${(resource.name as string).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
      if (resource.parent !== null) expect(seen.has(resource.parent as string), `${resource.urn} registered before its parent`).toBe(true);
      expect(Array.isArray(resource.dependsOn)).toBe(true);
      expect(typeof resource.protect).toBe("boolean");
      seen.add(resource.urn as string);
    }
  });

  it("dependsOn holds both explicit dependsOn and the dependencies inputs carry", () => {
    const find = (name: string, type: string) => resources.find((r) => r.name === name && r.type === type)!;
    const nsqd = find("nsqd", "docker:index/container:Container");
    const lookupd = find("nsqlookupd", "docker:index/container:Container");
    const nsqdImage = find("nsqd-image", "docker:index/remoteImage:RemoteImage");
    // explicit: nsqd waits for nsqlookupd; through inputs: its image.
    expect(nsqd.dependsOn).toContain(lookupd.urn);
    expect(nsqd.dependsOn).toContain(nsqdImage.urn);
  });

  it("every secret value is the string [secret]", () => {
    const text = fs.readFileSync(path.join(out, "staging", "resources.json"), "utf8");
    expect(text).toContain('"[secret]"');
    expect(text).not.toContain("1b47061264138c4ac30d75fd1eb44270");
    expect(text).not.toMatch(/PRIVATE KEY/);
  });

  it("writes every uploaded file, secret files as [secret]", () => {
    const files = path.join(out, "staging", "files");
    expect(fs.readFileSync(path.join(files, "mongodb", "run", "secrets", "mongodb-root-password"), "utf8")).toBe("[secret]");
    const init = fs.readFileSync(path.join(files, "mongodb", "docker-entrypoint-initdb.d", "10-app-user.js"), "utf8");
    expect(init).toContain("createUser");
    expect(init).toContain('read("mongodb-app-password")');
    expect(init).toContain('role: "clusterMonitor"');
    expect(fs.readFileSync(path.join(files, "mongodb", "run", "secrets", "mongodb-monitor-password"), "utf8")).toBe("[secret]");
    const uploads = resources
      .filter((r) => r.type === "docker:index/container:Container")
      .flatMap((r) => ((r.inputs as { uploads?: { file: string }[] }).uploads ?? []).map((u) => path.join(r.name as string, u.file)));
    for (const upload of uploads) expect(fs.existsSync(path.join(files, upload)), upload).toBe(true);
  });
});

describe("--config and errors (in this process)", () => {
  it("evaluates another stack file; secure: values become placeholders", async () => {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8") + "  enrichment:anthropicApiKey:\n    secure: v1:AAAAbm90LWEtcmVhbC1jaXBoZXJ0ZXh0\n";
    const file = path.join(tmp, "Pulumi.review.yaml");
    fs.writeFileSync(file, text);
    const out = path.join(tmp, "out-review");
    const result = await synth(["--stack", "review", "--config", file, "--out", out, "--quiet"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("enrichment:anthropicApiKey is not set");
    const resources = JSON.parse(fs.readFileSync(path.join(out, "review", "resources.json"), "utf8"));
    expect(resources[0].urn).toMatch(/^urn:pulumi:review::enrichment::/);
    expect(JSON.stringify(resources)).not.toContain("v1:AAAA");
  });

  it("a config error exits non-zero with the validation message and writes nothing", async () => {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8").replace("replicas: 1", "replicas: 0");
    const file = path.join(tmp, "Pulumi.broken.yaml");
    fs.writeFileSync(file, text);
    const out = path.join(tmp, "out-broken");
    const result = await synth(["--stack", "broken", "--config", file, "--out", out]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("enrichment:workers.replicas: expected an integer from 1 to 200, got 0");
    expect(fs.existsSync(out)).toBe(false);
  });

  it("a missing stack file is an error, not an empty synth", async () => {
    const result = await synth(["--stack", "nosuchstack", "--out", path.join(tmp, "none")]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no such stack file");
  });
});
