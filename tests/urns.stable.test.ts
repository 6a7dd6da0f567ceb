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
import { describe, expect, it } from "vitest";
import { synthesize } from "../synth";
import type { ResourceRecord } from "../synth";

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
