// The layers of the program (issue 14): imports run down only, and no files import one another. A file may import from its own
// layer and the layers below it, never from one above; the planes are ordered too, so one plane
// builds on the planes before it and never on one after. README.md's "Layout" section draws the
// same table.
//
// Type-only imports count: they couple the files as much as value imports do.
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

/** Bottom first. `paths` are top-level folders, sub-folders of planes/, or root files. */
export const LAYERS: readonly { name: string; paths: readonly string[] }[] = [
  { name: "facts", paths: ["facts"] },
  { name: "config", paths: ["config"] },
  { name: "building blocks", paths: ["components"] },
  // The planes, each on the ones before it.
  { name: "data plane", paths: ["planes/data"] },
  { name: "model plane", paths: ["planes/models"] },
  { name: "monitoring plane", paths: ["planes/monitoring"] },
  { name: "enrichment plane", paths: ["planes/enrichment"] },
  { name: "agents plane", paths: ["planes/agents"] },
  { name: "edge plane", paths: ["planes/edge"] },
  { name: "backup plane", paths: ["planes/backup"] },
  { name: "application plane", paths: ["planes/application"] },
  { name: "ingestion plane", paths: ["planes/ingestion"] },
  { name: "composition", paths: ["platform", "index.ts"] },
  // Tools run the program or read its layers; nothing of the program imports them.
  { name: "synth", paths: ["synth"] },
  { name: "release tools", paths: ["release"] },
  // The checks of a live stack: on the release tools' exit codes and stack files; promote gets them passed in.
  { name: "verify", paths: ["verify"] },
  { name: "policy pack", paths: ["policy"] },
  { name: "commands", paths: ["scripts"] },
];

/** Folders that are not program code: tests import anything; the rest holds no TypeScript we run. */
const OUTSIDE = new Set(["tests", "node_modules", "docs", ".git", ".e2e", ".synth", "bin"]);

/** The layer a repository path belongs to (its index in LAYERS), or undefined. */
export function layerOf(relative: string): number | undefined {
  const parts = relative.split(path.sep).join("/").split("/");
  const key = parts[0] === "planes" ? parts.slice(0, 2).join("/") : parts[0]!;
  const index = LAYERS.findIndex((layer) => layer.paths.includes(key));
  return index < 0 ? undefined : index;
}

export interface ImportEdge {
  from: string;
  to: string;
}

/** Every edge that runs up (or out of the known layers), as a sentence saying what to change. */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const source = layerOf(from);
    const target = layerOf(to);
    if (source === undefined) problems.push(`${from}: not in any layer; add its folder to LAYERS in tests/layers.test.ts (and README's Layout)`);
    else if (target === undefined) problems.push(`${from} imports ${to}, which is in no layer`);
    else if (target > source) {
      problems.push(`${from} (${LAYERS[source]!.name}) imports ${to} (${LAYERS[target]!.name}, above it): move what it needs down, or the importer up`);
    }
  }
  return [...new Set(problems)];
}

/** Groups of files that import one another in a circle (Tarjan's strongly connected components). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (stack.includes(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        group.push(member);
      } while (member !== file);
      if (group.length > 1 || (next.get(file) ?? []).includes(file)) cycles.push(group.sort());
    }
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

function programFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (dir === ROOT && OUTSIDE.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...programFiles(full));
    else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith(".d.ts") && !(dir === ROOT && entry.name.startsWith("vitest."))) out.push(full);
  }
  return out;
}

function resolveImport(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.mts`, path.join(base, "index.ts")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** The program's relative imports (static, re-exports, dynamic import(), require()). */
export function programImports(files = programFiles()): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const target = resolveImport(file, fileName);
      if (!target) throw new Error(`${path.relative(ROOT, file)} imports ${fileName}, which resolves to no file`);
      edges.push({ from: path.relative(ROOT, file), to: path.relative(ROOT, target) });
    }
  }
  return edges;
}

describe("the layers", () => {
  const files = programFiles();
  const edges = programImports(files);

  it("reads the program's imports (a sanity floor: the composition imports the planes)", () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges).toContainEqual({ from: "platform/platform.ts", to: "planes/monitoring/monitoring.ts" });
  });

  it("has every import run down: facts <- config <- building blocks <- planes (in order) <- composition <- tools", () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  it("has no circle of imports between files, inside a layer either", () => {
    expect(importCycles(edges), "break the circle: move what both files need into a file of its own").toEqual([]);
  });

  it("keeps the facts free of the program: they import only other facts", () => {
    expect(edges.filter((e) => layerOf(e.from) === 0 && layerOf(e.to) !== 0)).toEqual([]);
  });

  it("puts every program file in a layer", () => {
    const loose = files
      .map((f) => path.relative(ROOT, f))
      .filter((f) => layerOf(f) === undefined);
    expect(loose, "add the folder to LAYERS in tests/layers.test.ts and to README's Layout").toEqual([]);
  });

  it("is the table README.md draws, in the same order", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("<!-- layers:begin -->");
    const end = readme.indexOf("<!-- layers:end -->");
    expect(start, "README.md has no <!-- layers:begin --> ... <!-- layers:end --> block").toBeGreaterThan(-1);
    const lines = readme.slice(start, end).split("\n");
    // Drawn top first: a layer's paths sit on lines at or above the lines of every layer below it.
    // A folder is drawn as `name/` (a plane as `planes/<name>`), a root file by its name.
    const token = (p: string) => (p.endsWith(".ts") || p.startsWith("planes/") ? p : `${p}/`);
    const lineOf = (p: string) => lines.findIndex((line) => line.split(/\s+/).includes(token(p)));
    const drawn = LAYERS.flatMap((layer, index) => layer.paths.map((p) => ({ p, index, line: lineOf(p) })));
    expect(drawn.filter((x) => x.line < 0).map((x) => x.p), "paths missing from the README picture").toEqual([]);
    const misplaced = drawn.filter((a) => drawn.some((b) => b.index < a.index && b.line < a.line)).map((x) => x.p);
    expect(misplaced, "drawn below a lower layer in the README picture").toEqual([]);
  });
});

describe("importCycles", () => {
  it("finds files that import one another, directly or round a longer circle, and nothing else", () => {
    expect(importCycles([
      { from: "components/network.ts", to: "components/serviceContainer.ts" },
      { from: "components/serviceContainer.ts", to: "components/network.ts" },
      { from: "a.ts", to: "b.ts" },
      { from: "b.ts", to: "c.ts" },
      { from: "c.ts", to: "a.ts" },
      { from: "c.ts", to: "d.ts" },
    ]).sort()).toEqual([["a.ts", "b.ts", "c.ts"], ["components/network.ts", "components/serviceContainer.ts"]]);
    expect(importCycles([{ from: "a.ts", to: "b.ts" }, { from: "b.ts", to: "c.ts" }])).toEqual([]);
  });
});

describe("layerViolations", () => {
  it("refuses an import that runs up, names both layers and says what to do", () => {
    const problems = layerViolations([{ from: "config/schema.ts", to: "planes/edge/edgeConfig.ts" }]);
    expect(problems).toEqual([
      "config/schema.ts (config) imports planes/edge/edgeConfig.ts (edge plane, above it): move what it needs down, or the importer up",
    ]);
  });

  it("refuses a plane that builds on a later plane, and a fact that reads config", () => {
    expect(layerViolations([{ from: "planes/data/mongodb.ts", to: "planes/backup/index.ts" }])).toHaveLength(1);
    expect(layerViolations([{ from: "facts/services.ts", to: "config/schema.ts" }])).toHaveLength(1);
  });

  it("lets imports run down or stay in a layer, and names a folder in no layer", () => {
    expect(layerViolations([
      { from: "planes/backup/index.ts", to: "planes/data/mongodb.ts" },
      { from: "platform/platform.ts", to: "facts/services.ts" },
      { from: "components/network.ts", to: "components/serviceContainer.ts" },
    ])).toEqual([]);
    expect(layerViolations([{ from: "newthing/a.ts", to: "facts/services.ts" }])[0]).toMatch(/not in any layer/);
  });
});
