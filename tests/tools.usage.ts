// Which suites use which catalog tools, read from their source: a tool's name as a string in a line
// that calls the catalog (describeWithTools, itWithTools, missingTools, toolPath, tool) or declares a
// ToolName list. tests/tools.test.ts keeps tests/tools.json's `suites` equal to this.
import * as fs from "node:fs";
import * as path from "node:path";

export function toolUsage(root: string, toolNames: readonly string[]): Record<string, string[]> {
  const usage: Record<string, Set<string>> = Object.fromEntries(toolNames.map((name) => [name, new Set<string>()]));
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === "e2e" || entry.name === "node_modules" ? [] : walk(full);
      return entry.name.endsWith(".ts") && !["tools.ts", "toolCatalog.ts", "tools.usage.ts", "tools.test.ts"].includes(entry.name) ? [full] : [];
    });
  for (const file of walk(path.join(root, "tests"))) {
    const relative = path.relative(root, file);
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!/(describeWithTools|itWithTools|missingTools|toolPath|\btool)\(|ToolName|engineSkipReason\(/.test(line)) continue;
      for (const [, name] of line.matchAll(/"([a-z0-9-]+)"/g)) if (name in usage) usage[name].add(relative);
      // fixtures/engine.ts's engineSkipReason looks for the engine and the e2e images.
      if (line.includes("engineSkipReason(") && !relative.endsWith("fixtures/engine.ts")) for (const name of ["docker", "e2e-images"]) usage[name]?.add(relative);
    }
  }
  return Object.fromEntries(Object.entries(usage).map(([name, files]) => [name, [...files].sort()]));
}
