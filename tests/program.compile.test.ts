// The program as the engine compiles it. Pulumi's Node.js runtime type-checks index.ts with ts-node,
// which starts from the entry point and follows imports only: tsconfig's `include` globs do not
// apply (ts-node's `files: false`). `tsc -p tsconfig.json` (npm test's typecheck) sees every file
// the globs name, so an ambient declaration reached only through them (planes/monitoring/dashboards/
// grafana-sdk.d.ts) passed tsc and failed the first real `pulumi preview` (TS2307). This compiles
// from index.ts alone, with the tsconfig's options, and must find no error.
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

/**
 * One compiler host for the programs below: a file is read and parsed once and its syntax tree
 * shared (as tsserver's document registry shares them); each program still binds and checks its
 * own files from its own roots.
 */
const parsedFiles = new Map<string, ts.SourceFile>();
function sharingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const base = ts.createCompilerHost(options);
  return {
    ...base,
    getSourceFile: (file, languageVersion, onError, shouldCreate) => {
      const key = `${languageVersion}:${path.resolve(file)}`;
      let source = parsedFiles.get(key);
      if (!source) {
        source = base.getSourceFile(file, languageVersion, onError, shouldCreate);
        if (source) parsedFiles.set(key, source);
      }
      return source;
    },
  };
}

/** The type errors of a program made of `roots` and what they import, with the tsconfig's options. */
function compile(roots: string[]): string[] {
  const configFile = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const options = { ...parsed.options, noEmit: true };
  const program = ts.createProgram({ rootNames: roots.length > 0 ? roots : parsed.fileNames, options, host: sharingHost(options) });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.relative(ROOT, d.file.fileName)}(${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1})` : "";
    return `${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}
const compileFrom = (entry: string) => compile([path.join(ROOT, entry)]);

// npm test's typecheck: a test, so that it runs beside the other suites instead of before them.
describe("the repository (npm run typecheck: tsc --noEmit -p tsconfig.json, every file the tsconfig includes)", () => {
  it("has no type error", () => {
    expect(compile([])).toEqual([]);
  }, 240_000);
});

describe("the program compiled the way the engine compiles it (from index.ts, imports only)", () => {
  it("has no type error", () => {
    expect(compileFrom("index.ts")).toEqual([]);
  }, 120_000);

  it("would catch a declaration reached only through tsconfig's include (the check can fail)", () => {
    // The dashboards' shared module without its reference to the SDK's declarations.
    const configFile = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
    const common = path.join(ROOT, "planes/monitoring/dashboards/common.ts");
    const base = ts.createCompilerHost(parsed.options);
    const patched: ts.CompilerHost = {
      ...base,
      getSourceFile: (file, languageVersion) =>
        path.resolve(file) === common
          ? ts.createSourceFile(file, ts.sys.readFile(file)!.replace(/^\/\/\/ <reference path="\.\/grafana-sdk\.d\.ts" \/>$/m, ""), languageVersion)
          : base.getSourceFile(file, languageVersion),
    };
    const program = ts.createProgram({ rootNames: [common], options: { ...parsed.options, noEmit: true }, host: patched });
    const codes = ts.getPreEmitDiagnostics(program).map((d) => d.code);
    expect(codes).toContain(2307);
  }, 120_000);
});
