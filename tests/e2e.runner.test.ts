// The e2e runner's pure parts (tests/e2e/runner): the docker provider's read-back forms, its
// diff (ForceNew -> replace, sets, defaults), the upload tar, the state file's secret handling
// and the preview digest that drift-report reads. `npm run e2e` runs the runner for real.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import * as tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { goDurationString, nanoInt64ToDecimalString, parseGoDuration, uploadsTar } from "./e2e/runner/docker";
import { diffResource } from "./e2e/runner/diff";
import { buildDigest } from "./e2e/runner/digest";
import { deletionOrder, type Step } from "./e2e/runner/engine";
import { StateStore, type StateResource } from "./e2e/runner/state";
import { DEFAULT_CONFIG, nestOverrides, setValue, stackSecrets } from "./e2e/runner/cli";
import { e2eSettings } from "./e2e/checks/support/run-one";
import { SECRET_KEYS } from "../config/schema";
import { runDriftReport } from "../release/drift";
import { captureIo } from "./fixtures/release/support";

const CONTAINER = "docker:index/container:Container";

describe("read-back forms (kreuzwerker resourceDockerContainerRead)", () => {
  it.each([
    [1e9, "1.0"],
    [2e9, "2.0"],
    [0.5e9, "0.5"],
    [0.25e9, "0.25"],
    [1.5e9, "1.5"],
    [10e9, "10."],
    [0, "0"],
  ])("NanoCpus %d reads back as cpus %s", (nano, text) => expect(nanoInt64ToDecimalString(nano)).toBe(text));

  it.each([
    ["60s", "1m0s"],
    ["90s", "1m30s"],
    ["5s", "5s"],
    ["0s", "0s"],
    ["1h", "1h0m0s"],
    ["500ms", "500ms"],
  ])("healthcheck duration %s reads back as %s", (sent, read) => expect(goDurationString(parseGoDuration(sent))).toBe(read));

  it("refuses a duration Go would refuse", () => expect(() => parseGoDuration("5 seconds")).toThrow(/ParseDuration/));
});

describe("the container diff", () => {
  const state = {
    name: "e2e-x",
    cpus: "1.0",
    memory: 256,
    envs: ["A=1", "B=2"],
    labels: [{ label: "a", value: "1" }],
    healthcheck: { tests: ["CMD", "true"], interval: "1m0s", timeout: "5s", startPeriod: "10s", startInterval: "0s", retries: 3 },
    ports: [{ internal: 80, external: 8080, ip: "0.0.0.0", protocol: "tcp" }],
    command: ["serve"],
  };

  it("cpus sent as \"1\" against its read-back \"1.0\" is a replacement", () => {
    const diff = diffResource(CONTAINER, state, state, { ...state, cpus: "1" });
    expect(diff.replaceReasons).toEqual(["cpus"]);
    expect(diff.detailedDiff).toEqual({ cpus: { kind: "update-replace", inputDiff: false } });
  });

  it("a healthcheck interval in the sent form (60s) is an in-place update of healthcheck.interval", () => {
    const { startInterval: _unsent, ...sent } = state.healthcheck;
    const diff = diffResource(CONTAINER, state, state, { ...state, healthcheck: { ...sent, interval: "60s" } });
    expect(diff.diffReasons).toEqual(["healthcheck"]);
    expect(diff.replaceReasons).toEqual([]);
    expect(Object.keys(diff.detailedDiff ?? {})).toEqual(["healthcheck.interval"]);
  });

  it("the read-back forms, sets in another order and defaulted port fields are no diff", () => {
    const news = { ...state, envs: ["B=2", "A=1"], ports: [{ internal: 80, external: 8080 }], healthcheck: { tests: ["CMD", "true"], interval: "1m0s", timeout: "5s", startPeriod: "10s", retries: 3 } };
    expect(diffResource(CONTAINER, state, state, news).changes).toBe(false);
  });

  it("a default the program leaves out (uploads[].executable) is no diff against a state that lacks it too", () => {
    const withUploads = { ...state, uploads: [{ file: "/run/secrets/a", content: "x", permissions: "0400" }] };
    expect(diffResource(CONTAINER, withUploads, withUploads, withUploads).changes).toBe(false);
    expect(diffResource(CONTAINER, withUploads, withUploads, { ...withUploads, uploads: [{ file: "/run/secrets/a", content: "y", permissions: "0400" }] }).replaceReasons).toEqual(["uploads"]);
  });

  it("an env change replaces; a memory change updates in place; ignoreChanges hides a property", () => {
    expect(diffResource(CONTAINER, state, state, { ...state, envs: ["A=1", "B=3"] }).replaceReasons).toEqual(["envs"]);
    const memory = diffResource(CONTAINER, state, state, { ...state, memory: 512 });
    expect([memory.diffReasons, memory.replaceReasons]).toEqual([["memory"], []]);
    expect(diffResource(CONTAINER, state, state, { ...state, cpus: "1" }, ["cpus"]).changes).toBe(false);
  });

  it("an empty list sent against a computed value (the image's entrypoint) is no diff, as Terraform treats it as unset", () => {
    const withEntrypoint = { ...state, entrypoints: ["/entrypoint.sh"] };
    expect(diffResource(CONTAINER, withEntrypoint, state, { ...state, entrypoints: [] }).changes).toBe(false);
    expect(diffResource(CONTAINER, withEntrypoint, state, { ...state, entrypoints: ["/other"] }).replaceReasons).toEqual(["entrypoints"]);
  });

  it("a property the program stopped sending is a deletion", () => {
    const { command: _dropped, ...news } = state;
    expect(diffResource(CONTAINER, state, state, news).detailedDiff).toEqual({ command: { kind: "delete-replace", inputDiff: false } });
  });
});

describe("uploads as one tar at /", () => {
  async function entries(buffer: Buffer) {
    const extract = tar.extract();
    const found: { name: string; mode: number; uid: number; gid: number; body: string }[] = [];
    extract.on("entry", (header, stream, next) => {
      let body = "";
      stream.on("data", (d: unknown) => void (body += String(d)));
      stream.on("end", () => {
        found.push({ name: header.name, mode: header.mode ?? 0, uid: header.uid ?? -1, gid: header.gid ?? -1, body });
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      extract.on("finish", () => resolve());
      extract.on("error", reject);
      Readable.from([buffer]).pipe(extract);
    });
    return found;
  }

  it("carries each file's mode and numeric owner and group", async () => {
    const buffer = await uploadsTar([
      { file: "/run/secrets/a", content: "s3cret", permissions: "0440", owner: "999", group: "999" },
      { file: "/etc/app.conf", content: "x=1", executable: false },
      { file: "/usr/local/bin/run", content: "#!/bin/sh", executable: true },
    ]);
    expect(await entries(buffer)).toEqual([
      { name: "run/secrets/a", mode: 0o440, uid: 999, gid: 999, body: "s3cret" },
      { name: "etc/app.conf", mode: 0o644, uid: 0, gid: 0, body: "x=1" },
      { name: "usr/local/bin/run", mode: 0o744, uid: 0, gid: 0, body: "#!/bin/sh" },
    ]);
  });

  it("refuses an owner given by name (the provider would resolve it on the Pulumi host, not in the image)", async () => {
    await expect(uploadsTar([{ file: "/a", content: "x", owner: "mongodb" }])).rejects.toThrow(/numeric id/);
  });
});

describe("the state file", () => {
  it("gives every secret the e2e stack file requires (backup.s3's S3 keys too), generated once and kept", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-secrets-"));
    try {
      const settings = e2eSettings(DEFAULT_CONFIG, path.join(dir, "no-images.json"), path.join(dir, "no-overrides.json"));
      expect(settings.backup.s3?.endpoint).toBe("http://minio:9000");
      const store = StateStore.open(path.join(dir, "state.json"), path.join(dir, "cache", "secrets.json"), "e2e");
      const secrets = stackSecrets(store);
      const required = Object.entries(SECRET_KEYS).filter(([, spec]) => spec.requiredWhen(settings as never)).map(([key]) => key);
      expect(required).toEqual(expect.arrayContaining(["backupS3AccessKeyId", "backupS3SecretAccessKey"]));
      for (const key of required) expect(secrets[key], key).toMatch(/\S/);
      // MinIO's root user takes them: an access key of >= 3 characters, a secret of >= 8.
      expect(secrets.backupS3AccessKeyId!.length).toBeGreaterThanOrEqual(3);
      expect(secrets.backupS3SecretAccessKey!.length).toBeGreaterThanOrEqual(8);
      expect(secrets.backupS3AccessKeyId).not.toBe(secrets.backupS3SecretAccessKey);
      expect(stackSecrets(StateStore.open(path.join(dir, "state.json"), path.join(dir, "cache", "secrets.json"), "e2e"))).toEqual(secrets);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("holds secrets only as hashes; the values live in a 0600 file and come back on reopen", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-state-"));
    try {
      const statePath = path.join(dir, "state.json");
      const secretsPath = path.join(dir, "cache", "secrets.json");
      const store = StateStore.open(statePath, secretsPath, "e2e");
      const resource: StateResource = {
        urn: "urn:pulumi:e2e::enrichment::random:index/randomPassword:RandomPassword::pw",
        type: "random:index/randomPassword:RandomPassword",
        name: "pw",
        parent: null,
        custom: true,
        id: "none",
        inputs: { length: 8, uploads: [{ content: "input-secret-value" }] },
        outputs: { result: "output-secret-value" },
        dependsOn: [],
        protect: false,
        retainOnDelete: false,
        deleteBeforeReplace: false,
        secretInputPaths: ["uploads.0.content"],
        secretOutputPaths: ["result"],
      };
      store.put(resource);
      const text = fs.readFileSync(statePath, "utf8");
      expect(text).not.toContain("secret-value");
      expect(text).toContain("[secret sha256:");
      expect(fs.statSync(secretsPath).mode & 0o777).toBe(0o600);
      const reopened = StateStore.open(statePath, secretsPath, "e2e");
      expect(reopened.get(resource.urn)?.outputs.result).toBe("output-secret-value");
      expect((reopened.get(resource.urn)?.inputs.uploads as { content: string }[])[0]!.content).toBe("input-secret-value");
      fs.chmodSync(secretsPath, 0o644);
      expect(() => StateStore.open(statePath, secretsPath, "e2e")).toThrow(/readable by others/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("deletes dependents before what they depend on, children before parents", () => {
    const r = (urn: string, dependsOn: string[] = [], parent: string | null = null) => ({ urn, dependsOn, parent }) as unknown as StateResource;
    const order = deletionOrder([r("net"), r("vol"), r("comp"), r("ctr", ["net", "vol"], "comp")]).map((x) => x.urn);
    expect(order.indexOf("ctr")).toBeLessThan(order.indexOf("net"));
    expect(order.indexOf("ctr")).toBeLessThan(order.indexOf("vol"));
    expect(order.indexOf("ctr")).toBeLessThan(order.indexOf("comp"));
  });
});

describe("the preview digest", () => {
  const step = (op: Step["op"], type: string, name: string, diff: Partial<Step["diff"]> = {}): Step => ({
    op,
    type,
    name,
    urn: `urn:pulumi:e2e::enrichment::enrichment:platform:ServiceContainer$${type}::${name}`,
    diff: { changes: op !== "same", diffReasons: [], replaceReasons: [], detailedDiff: null, ...diff },
  });

  it("is read by drift-report: a created container and a replaced index are named, exit 1", async () => {
    const digest = buildDigest(
      [
        step("same", CONTAINER, "mongodb"),
        step("create", CONTAINER, "enrichment-worker-1"),
        step("replace", "pulumi-nodejs:dynamic:Resource", "mongodb-indexes-review_queue", { diffReasons: ["indexes"], replaceReasons: ["indexes"] }),
      ],
      [],
      { stack: "e2e", project: "enrichment", nanoseconds: 1, expectNoChanges: true },
    );
    expect(digest.changeSummary).toEqual({ same: 2, create: 1, replace: 1 });
    expect(digest.steps.filter((s) => s.urn.endsWith("review_queue")).map((s) => s.op)).toEqual(["create-replacement", "replace", "delete-replaced"]);
    const capture = captureIo();
    const code = await runDriftReport(["-"], capture.io, Readable.from([JSON.stringify(digest)]));
    expect(code).toBe(1);
    expect(capture.out()).toContain("enrichment-worker-1 (docker:index/container:Container): create");
    expect(capture.out()).toContain("mongodb-indexes-review_queue");
    expect(capture.out()).not.toContain("mongodb (docker");
  });
});

describe("images.json as stack overrides", () => {
  it("nests images.<name> and release.images.<service>, keeps service names whole, leaves the sink out", () => {
    expect(
      nestOverrides({
        "images.mongodb": "127.0.0.1:5000/mongodb:7@sha256:aa",
        "release.images.mcp-server": "127.0.0.1:5000/mcp-server:1@sha256:bb",
        sink: "127.0.0.1:5000/sink:1@sha256:cc",
      }),
    ).toEqual({ images: { mongodb: "127.0.0.1:5000/mongodb:7@sha256:aa" }, release: { images: { "mcp-server": "127.0.0.1:5000/mcp-server:1@sha256:bb" } } });
  });
});

describe("--set", () => {
  it("merges an object deeply over the overrides, so a new release version keeps the built images", () => {
    const overrides: Record<string, unknown> = { release: { version: "e2e-1", images: { "cost-api": "127.0.0.1:5000/cost-api:e2e-1@sha256:ab" } } };
    setValue(overrides, 'release={"version":"e2e-2"}');
    setValue(overrides, 'workers={"replicas":2}');
    expect(overrides).toEqual({ release: { version: "e2e-2", images: { "cost-api": "127.0.0.1:5000/cost-api:e2e-1@sha256:ab" } }, workers: { replicas: 2 } });
    setValue(overrides, "environment=staging");
    expect(overrides.environment).toBe("staging");
  });
});
