// Drift advice that cannot hurt (issue 11): a replacement caused only by a known-spurious
// difference is named as such, and the report never advises a plain `pulumi up` that would
// recreate that container; with real drift beside it, the advice targets only what drifted.
import { describe, expect, it } from "vitest";
import { analyzePreview, formatDriftReport, type PreviewDigest, type SpuriousDiff } from "../release/drift";

const CONTAINER = "docker:index/container:Container";
const urn = (name: string) => `urn:pulumi:production::enrichment::enrichment:platform:EnrichmentPlatform$enrichment:platform:ServiceContainer$${CONTAINER}::${name}`;
const RULES: SpuriousDiff[] = [{ type: CONTAINER, property: "gpus", reason: "the provider reads `gpus` back in another form" }];

/** A replacement as the engine reports it: create-replacement, replace, delete-replaced. */
const replaced = (name: string, property: string) =>
  ["create-replacement", "replace", "delete-replaced"].map((op) => ({
    op,
    urn: urn(name),
    replaceReasons: [property],
    detailedDiff: { [property]: { kind: "update-replace", inputDiff: false } },
  }));
const same = (name: string) => ({ op: "same", urn: urn(name) });

describe("a replacement caused only by a known-spurious difference", () => {
  it("alone: no drift, and the report says not to run pulumi up", () => {
    const digest: PreviewDigest = { steps: [same("mongodb"), ...replaced("ollama", "gpus")] };
    const analysis = analyzePreview(digest, RULES);
    expect(analysis.drifted).toEqual([]);
    expect(analysis.ignored).toEqual([expect.objectContaining({ name: "ollama", replaces: true })]);
    const report = formatDriftReport(analysis);
    expect(report).toContain("No drift in stack production");
    expect(report).toContain("ollama (docker:index/container:Container): gpus: the provider reads `gpus` back in another form (the preview would REPLACE it for this alone)");
    expect(report).toContain("Careful: a plain `pulumi up --stack production` would delete and recreate ollama although nothing about it drifted.");
    expect(report).toContain("Nothing needs repairing: do not run pulumi up for this.");
    expect(report).not.toMatch(/^ {2}pulumi up/m);
  });

  it("beside real drift: the advice targets only the drifted resources", () => {
    const digest: PreviewDigest = { steps: [...replaced("ollama", "gpus"), { op: "create", urn: urn("enrichment-worker-2") }] };
    const report = formatDriftReport(analyzePreview(digest, RULES));
    expect(report).toContain("Drift in stack production: 1 resource differs from the program");
    expect(report).toContain(`pulumi up --stack production --refresh --target '${urn("enrichment-worker-2")}'`);
    expect(report).not.toMatch(/--target '[^']*::ollama'/);
    expect(report).not.toMatch(/pulumi up --stack production --refresh +#/);
  });

  it("real drift without spurious replacements keeps the plain advice", () => {
    const digest: PreviewDigest = { steps: [same("ollama"), { op: "create", urn: urn("enrichment-worker-2") }] };
    const report = formatDriftReport(analyzePreview(digest, RULES));
    expect(report).toMatch(/^ {2}pulumi up --stack production --refresh +# put the resources back/m);
    expect(report).not.toContain("Careful:");
  });

  it("an update (not a replacement) for a spurious field is ignored without the warning", () => {
    const digest: PreviewDigest = { steps: [{ op: "update", urn: urn("ollama"), diffReasons: ["gpus"], detailedDiff: { gpus: { kind: "update" } } }] };
    const analysis = analyzePreview(digest, RULES);
    expect(analysis.ignored).toEqual([expect.objectContaining({ name: "ollama", replaces: false })]);
    expect(formatDriftReport(analysis)).not.toContain("Careful:");
  });
});
