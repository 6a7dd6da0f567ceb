// drift-report on preview JSON in the shape `pulumi preview --json` writes (a PreviewDigest:
// steps with op/urn/diffReasons/replaceReasons/detailedDiff, changeSummary, diagnostics).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { analyzePreview, parsePreview, parseUrn, runDriftReport, topLevelProperty } from "../release/drift";
import { captureIo, runScript } from "./fixtures/release/support";

const FIXTURES = path.join(__dirname, "fixtures/preview");
const fixture = (name: string) => path.join(FIXTURES, name);

async function report(args: string[], stdin?: string) {
  const capture = captureIo();
  const code = await runDriftReport(args, capture.io, Readable.from(stdin === undefined ? [] : [stdin]));
  return { code, out: capture.out(), err: capture.err() };
}

describe("drift-report", () => {
  // e2e-*.json: real output of the e2e (`npm run e2e`, docs/e2e.md) under the real Pulumi CLI
  // 3.276: its second `preview --json --expect-no-changes` (no drift) and its
  // `preview --refresh --json --expect-no-changes` after drift made by hand.
  it("no drift (the e2e's second preview of the deployed stack): exit 0 and a one-line report", async () => {
    const { code, out } = await report([fixture("e2e-no-drift.json")]);
    expect(code).toBe(0);
    expect(out).toMatch(/^No drift in stack e2e: \d{3} resources match the program\.$/);
  });

  it("drift made by hand on the e2e stack (a container removed, an index altered): both named, with what to run", async () => {
    const { code, out } = await report([fixture("e2e-drift-container-and-index.json")]);
    expect(code).toBe(1);
    expect(out).toContain("Drift in stack e2e: 2 resources differ from the program.");
    // The container removed by hand is a create; nothing else about it is known.
    expect(out).toMatch(/\+\s+nsqadmin \(docker:index\/container:Container\): create\n\s+missing: deleted outside Pulumi/);
    // The dynamic provider host (@pulumi/pulumi's cmd/dynamic-provider) answers a diff with
    // changes and replaces only, never the properties: the real engine's step has no
    // diffReasons or detailedDiff, so the report names the collection's resource and says so.
    expect(out).toMatch(/~\s+mongodb-indexes-cost_records \(pulumi-nodejs:dynamic:Resource\): update\n\s+\(the provider named no properties\)/);
    expect(out.match(/mongodb-indexes-cost_records/g)).toHaveLength(1);
    expect(out).toContain("pulumi preview --stack e2e --refresh --diff");
    // Unchanged resources are not listed.
    expect(out).not.toContain("mongodb-indexes-review_queue");
    expect(out).not.toContain("enrichment-worker-1");
  });

  it("ignores the Docker provider's spurious gpus diff (exit 0, but says so)", async () => {
    const { code, out } = await report([fixture("spurious-gpus.json")]);
    expect(code).toBe(0);
    expect(out).toContain("No drift in stack production");
    expect(out).toContain("ignored 1 known-spurious diff");
    expect(out).toMatch(/production-ollama \(docker:index\/container:Container\): gpus: the Docker provider reads `gpus` back poorly/);
  });

  it("reports a real change next to a spurious gpus diff on the same container", async () => {
    const { code, out } = await report([fixture("gpus-and-memory.json")]);
    expect(code).toBe(1);
    expect(out).toMatch(/production-ollama .*\n\s+memory \(update\)\n\s+ignored as known spurious: gpus/);
  });

  it("a preview that reported errors is not a clean result (exit 2)", async () => {
    const { code, out } = await report([fixture("preview-error.json")]);
    expect(code).toBe(2);
    expect(out).toContain("inconclusive");
    expect(out).toContain("Cannot connect to the Docker daemon");
    expect(out).not.toContain("a warning that does not matter");
  });

  it.each([
    ["a stack export", fixture("stack-export.json"), "not a pulumi preview --json digest"],
    ["the streaming event format", fixture("event-stream.json"), "PULUMI_ENABLE_STREAMING_JSON_PREVIEW"],
  ])("input that is not a preview (%s): exit 2", async (_what, file, message) => {
    const { code, out, err } = await report([file]);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toContain(message);
  });

  it.each([
    ["empty input", "", "empty"],
    ["text", "error: could not log in to the backend\n", "not JSON"],
    ["a JSON array", "[]", "not a pulumi preview"],
    ["steps without urns", JSON.stringify({ steps: [{ op: "same" }] }), "steps.0.urn"],
    ["truncated JSON", fs.readFileSync(fixture("e2e-no-drift.json"), "utf8").slice(0, 500), "not JSON"],
  ])("stdin that is not a preview (%s): exit 2", async (_what, input, message) => {
    const { code, err } = await report(["-"], input);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it("reads stdin, takes --stack, and appends a Markdown summary", async () => {
    const summary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "drift-")), "summary.md");
    try {
      const { code, out } = await report(["--stack", "prod-eu", "--summary", summary], fs.readFileSync(fixture("e2e-drift-container-and-index.json"), "utf8"));
      expect(code).toBe(1);
      expect(out).toContain("Drift in stack prod-eu");
      const markdown = fs.readFileSync(summary, "utf8");
      expect(markdown).toMatch(/^### Drift check prod-eu: DRIFT\n\n```\n/);
      expect(markdown).toContain("nsqadmin");
    } finally {
      fs.rmSync(path.dirname(summary), { recursive: true, force: true });
    }
  });

  it("usage errors exit 3 in one line; an unreadable input exits 2; --help exits 0", async () => {
    expect((await report(["a.json", "b.json"])).code).toBe(3);
    const unknown = await report(["--nope"]);
    expect(unknown.code).toBe(3);
    expect(unknown.err.trim()).toBe("error: unknown option --nope (npm run drift-report -- --help lists the options)");
    expect((await report([path.join(FIXTURES, "missing.json")])).code).toBe(2);
    const help = await report(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("pulumi preview --refresh --expect-no-changes --json");
  });

  it("runs as npm run drift-report would: file argument and stdin, real exit codes", async () => {
    const [fromFile, fromStdin, notPreview] = await Promise.all([
      runScript("drift-report", [fixture("e2e-drift-container-and-index.json")]),
      runScript("drift-report", [], fs.readFileSync(fixture("spurious-gpus.json"), "utf8")),
      runScript("drift-report", [fixture("stack-export.json")]),
    ]);
    expect(fromFile.code, fromFile.stderr).toBe(1);
    expect(fromFile.stdout).toContain("mongodb-indexes-cost_records");
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(notPreview.code).toBe(2);
  });
});

describe("preview parsing helpers", () => {
  it("URNs with parent types and names containing ::", () => {
    expect(parseUrn("urn:pulumi:production::enrichment::enrichment:mcp:McpServer$docker:index/container:Container::production-mcp-server")).toEqual({
      stack: "production",
      project: "enrichment",
      type: "docker:index/container:Container",
      name: "production-mcp-server",
    });
    expect(parseUrn("urn:pulumi:s::p::t::a::b").name).toBe("a::b");
  });

  it("top-level properties of property paths", () => {
    expect(topLevelProperty("gpus")).toBe("gpus");
    expect(topLevelProperty("ports[0].external")).toBe("ports");
    expect(topLevelProperty("labels.org")).toBe("labels");
    expect(topLevelProperty('["a.b"].c')).toBe("a.b");
  });

  it("an empty stack's preview (no steps, only a change summary) is a preview without drift", () => {
    const analysis = analyzePreview(parsePreview(JSON.stringify({ changeSummary: {}, duration: 1 })));
    expect(analysis.drifted).toEqual([]);
    expect(analysis.resources).toBe(0);
  });

  it("only the known type's gpus is spurious", () => {
    const digest = JSON.parse(fs.readFileSync(fixture("spurious-gpus.json"), "utf8"));
    for (const step of digest.steps) step.urn = step.urn.replace("docker:index/container:Container", "docker:index/service:Service");
    const analysis = analyzePreview(parsePreview(JSON.stringify(digest)));
    expect(analysis.ignored).toEqual([]);
    expect(analysis.drifted.map((d) => d.name)).toEqual(["production-ollama"]);
  });
});
