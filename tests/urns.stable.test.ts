// URNs that do not move (issue 14). A resource's URN is its identity in the stack's state: when a
// refactor changes one (a component's type string, its parent, its name), `pulumi up` deletes the
// old resource and creates a new one, which for a protected volume means a refused update and for
// anything else a needless replacement. The lists under tests/fixtures/urns/ are every URN of each
// shipped stack; this test fails when one disappears or appears.
//
// - A URN gone: keep it with `aliases` on the moved resource (or restore the type/parent/name).
// - A URN new because a resource was added on purpose: rewrite the lists with
//   `UPDATE_URNS=1 npx vitest run tests/urns.stable.test.ts` and commit them with the change.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { synthesize } from "../synth";
import type { ResourceRecord } from "../synth";
import { removeWrittenStackFiles, stackFileWithoutIngestion } from "./fixtures/ingestion/stackFiles";

afterAll(removeWrittenStackFiles);

const STACKS = ["staging", "production"] as const;
/**
 * The URN the Pulumi engine gives each record. The mock monitor prefixes a child's type with its
 * parent's type only; the engine prefixes the whole chain of ancestors' types
 * (`Platform$Plane$Component$Type`), so a change of any ancestor changes the URN. Computed here
 * from the records' parent links, as the engine does.
 */
export function engineUrns(stack: string, records: ResourceRecord[]): string[] {
  const byUrn = new Map(records.map((r) => [r.urn, r]));
  const qualifiedType = (record: ResourceRecord): string => {
    const parent = record.parent ? byUrn.get(record.parent) : undefined;
    return parent ? `${qualifiedType(parent)}$${record.type}` : record.type;
  };
  const project = records[0]?.urn.split("::")[1] ?? "";
  return [...new Set(records.map((r) => `urn:pulumi:${stack}::${project}::${qualifiedType(r)}::${r.name}`))].sort();
}

const listPath = (stack: string) => path.join(__dirname, "fixtures", "urns", `${stack}.txt`);

describe.each(STACKS)("the URNs of stack %s", (stack) => {
  it("are the recorded ones, none gone and none new", async () => {
    const urns = engineUrns(stack, (await synthesize({ stack })).records);
    expect(urns.length).toBeGreaterThan(50);
    if (process.env.UPDATE_URNS === "1") {
      fs.mkdirSync(path.dirname(listPath(stack)), { recursive: true });
      fs.writeFileSync(listPath(stack), `${urns.join("\n")}\n`);
    }
    const recorded = fs.existsSync(listPath(stack)) ? fs.readFileSync(listPath(stack), "utf8").split("\n").filter(Boolean) : [];
    const gone = recorded.filter((u) => !urns.includes(u));
    const added = urns.filter((u) => !recorded.includes(u));
    expect(
      { gone, added },
      `URNs changed in ${stack}. Gone ones would be deleted and re-created by \`pulumi up\`: keep them with \`aliases\`. ` +
        `If the new ones are resources added on purpose, run UPDATE_URNS=1 npx vitest run tests/urns.stable.test.ts`,
    ).toEqual({ gone: [], added: [] });
  });
});

// The web-ingestion plane (issue 22) is on in both shipped stacks; the recorded lists include it
// (updated on purpose when it was added). Without it, a stack has exactly the URNs it had before
// the plane existed; turned off, it keeps only the plane's state (its volumes and the passwords
// its database's roles were created with).
const PLANE = "$enrichment:ingestion:IngestionPlane";
const recordedUrns = (stack: string) => fs.readFileSync(listPath(stack), "utf8").split("\n").filter(Boolean);

describe.each(STACKS)("stack %s without the ingestion plane", (stack) => {
  it("has the recorded URNs minus the plane's: the plane adds resources and changes none", async () => {
    const urns = engineUrns(stack, (await synthesize({ stack, configFile: stackFileWithoutIngestion(stack, "absent") })).records);
    expect(urns).toEqual(recordedUrns(stack).filter((u) => !u.includes(PLANE) && !u.endsWith("IngestionPlane::ingestion")));
  });

  it("turned off (enabled: false), keeps the plane's volumes and passwords under the same URNs, and nothing else of it", async () => {
    const urns = engineUrns(stack, (await synthesize({ stack, configFile: stackFileWithoutIngestion(stack, "off") })).records);
    const recorded = recordedUrns(stack);
    expect(urns.filter((u) => !recorded.includes(u)), "URNs the plane does not have when it runs").toEqual([]);
    const kept = urns.filter((u) => u.includes(PLANE)).map((u) => u.split("::").slice(2).join("::").replace(/^.*IngestionPlane\$/, ""));
    expect(kept.sort()).toEqual(
      [
        "docker:index/volume:Volume::postgres-backups",
        "docker:index/volume:Volume::postgres-data",
        "docker:index/volume:Volume::qdrant-storage",
        "docker:index/volume:Volume::reranker-models",
        "docker:index/volume:Volume::splade-models",
        "enrichment:platform:Secrets$random:index/randomPassword:RandomPassword::postgres-app-password",
        "enrichment:platform:Secrets$random:index/randomPassword:RandomPassword::postgres-backup-password",
        "enrichment:platform:Secrets$random:index/randomPassword:RandomPassword::postgres-superuser-password",
        "enrichment:platform:Secrets::ingestion-secrets",
        "enrichment:platform:EnrichmentPlatform$enrichment:ingestion:IngestionPlane::ingestion",
      ].sort(),
    );
  });
});

describe("engineUrns", () => {
  it("prefixes the whole chain of ancestors' types, as the engine does (the mock prefixes only the parent's)", () => {
    const record = (urn: string, type: string, name: string, parent: string | null) => ({ urn, type, name, parent }) as ResourceRecord;
    const records = [
      record("urn:pulumi:s::p::a:A::top", "a:A", "top", null),
      record("urn:pulumi:s::p::a:A$b:B::mid", "b:B", "mid", "urn:pulumi:s::p::a:A::top"),
      record("urn:pulumi:s::p::b:B$c:C::leaf", "c:C", "leaf", "urn:pulumi:s::p::a:A$b:B::mid"),
    ];
    expect(engineUrns("s", records)).toEqual(["urn:pulumi:s::p::a:A$b:B$c:C::leaf", "urn:pulumi:s::p::a:A$b:B::mid", "urn:pulumi:s::p::a:A::top"]);
  });
});
