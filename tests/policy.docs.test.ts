// docs/policy.md maps the checklist to the policies: it must name every policy of the catalog,
// and every policy name it mentions must exist.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../policy/catalog";

const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "policy.md"), "utf8");
const names = CATALOG.map((e) => e.name);

describe("docs/policy.md", () => {
  it("names every policy", () => {
    expect(names.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });

  it("names no policy that does not exist", () => {
    const prefixes = [...new Set(names.map((n) => n.split("-")[0]))];
    const mentioned = [...doc.matchAll(/`([a-z]+(?:-[a-z0-9]+)+)`/g)].map((m) => m[1]!).filter((m) => prefixes.includes(m.split("-")[0]!));
    // `container-*` style wildcards name a group.
    expect(mentioned.filter((m) => !names.includes(m) && !m.endsWith("-"))).toEqual([]);
  });
});
