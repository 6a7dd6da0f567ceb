// The bridged Docker plugin (tests/e2e/engine/docker-provider) against @pulumi/docker's SDK: every
// resource and function of the SDK that wraps the Terraform provider must exist in the plugin's
// schema under the same token, and every input property the SDK can send (with the same names and
// nesting, down through every nested type) must be one the plugin accepts. A property the SDK
// sends and the plugin does not know would be dropped without a word, so each such property fails.
// The schema is what the bridge's own generator (tfgen) writes from the mapping, and what the
// plugin serves from GetSchema; `-get-provider-info` is checked for the same token mapping.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect, it } from "vitest";
import { describeUnless, missingTools, ToolName } from "./tools";
import { loadToolchain } from "./e2e/engine/pulumi";

const SDK = path.resolve(__dirname, "../node_modules/@pulumi/docker");
const toolchain = loadToolchain();
/** The Pulumi CLI and its plugins, built by tests/e2e/engine/build.sh (tests/tools.json). */
const TOOLCHAIN: ToolName[] = ["pulumi"];
const missing = "missing" in toolchain ? toolchain.missing : missingTools(TOOLCHAIN);

interface SchemaProperty {
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
  additionalProperties?: SchemaProperty;
  oneOf?: SchemaProperty[];
}
interface Schema {
  resources: Record<string, { inputProperties?: Record<string, SchemaProperty> }>;
  functions: Record<string, { inputs?: { properties?: Record<string, SchemaProperty> } }>;
  types: Record<string, { properties?: Record<string, SchemaProperty> }>;
  config: { variables?: Record<string, SchemaProperty> };
}

/** The SDK's files that declare Terraform-backed resources and functions (not the native `Image`). */
function sdkMembers(): { resources: Map<string, string>; functions: Map<string, string> } {
  const resources = new Map<string, string>();
  const functions = new Map<string, string>();
  for (const file of fs.readdirSync(SDK).filter((f) => f.endsWith(".js") && !["index.js", "utilities.js", "provider.js"].includes(f))) {
    const text = fs.readFileSync(path.join(SDK, file), "utf8");
    const resource = /super\([A-Za-z]+\.__pulumiType|__pulumiType = '([^']+)'/.exec(text);
    const token = /__pulumiType = '([^']+)'/.exec(text)?.[1];
    if (resource && token) resources.set(token, file.replace(/\.js$/, ""));
    for (const m of text.matchAll(/invoke(?:Output)?\("([^"]+)"/g)) functions.set(m[1]!, file.replace(/\.js$/, ""));
  }
  return { resources, functions };
}

/** An interface's properties in a .d.ts file: name -> the type text. */
function interfaceProperties(file: string, name: string): Map<string, string> | undefined {
  const text = fs.readFileSync(file, "utf8");
  const start = text.indexOf(`export interface ${name} {`);
  if (start < 0) return undefined;
  const body = text.slice(start, text.indexOf("\n}", start));
  const props = new Map<string, string>();
  for (const m of body.matchAll(/^ {4}(?:readonly )?([A-Za-z0-9_]+)\??: (.+);$/gm)) props.set(m[1]!, m[2]!);
  return props;
}

/** The nested input type a property's type text refers to (`inputs.ContainerUpload`), if any. */
const nestedType = (typeText: string) => /inputs\.([A-Za-z0-9_]+)/.exec(typeText)?.[1];

/** The object type a schema property refers to (through arrays and maps). */
function schemaRef(prop: SchemaProperty): string | undefined {
  if (prop.$ref) return decodeURIComponent(prop.$ref.replace(/^#\/types\//, ""));
  if (prop.items) return schemaRef(prop.items);
  if (prop.additionalProperties) return schemaRef(prop.additionalProperties);
  return undefined;
}

/** Every SDK input property (path) the schema does not accept, down through nested types. */
function unknownProperties(schema: Schema, sdkProps: Map<string, string>, schemaProps: Record<string, SchemaProperty>, at: string, seen = new Set<string>()): string[] {
  const problems: string[] = [];
  for (const [name, typeText] of sdkProps) {
    const prop = schemaProps[name];
    if (!prop) {
      problems.push(`${at}.${name}`);
      continue;
    }
    const nested = nestedType(typeText);
    if (!nested) continue;
    const ref = schemaRef(prop);
    if (!ref) {
      problems.push(`${at}.${name}: the SDK sends an object (${nested}), the plugin takes ${prop.type ?? "?"}`);
      continue;
    }
    if (seen.has(`${nested}->${ref}`)) continue;
    seen.add(`${nested}->${ref}`);
    const nestedSdk = interfaceProperties(path.join(SDK, "types/input.d.ts"), nested);
    const nestedSchema = schema.types[ref]?.properties;
    if (!nestedSdk || !nestedSchema) {
      problems.push(`${at}.${name}: ${nestedSdk ? `no type ${ref} in the schema` : `no interface ${nested} in the SDK`}`);
      continue;
    }
    problems.push(...unknownProperties(schema, nestedSdk, nestedSchema, `${at}.${name}`, seen));
  }
  return problems;
}

describeUnless(missing, "the bridged docker plugin accepts everything @pulumi/docker sends", () => {
  const tc = toolchain as Exclude<typeof toolchain, { missing: string }>;
  const schema = missing ? ({} as Schema) : (JSON.parse(fs.readFileSync(tc.dockerSchema, "utf8")) as Schema);
  const { resources, functions } = sdkMembers();

  it("finds the SDK's Terraform-backed resources and functions (the check itself works)", () => {
    // The program's own: Container, Network, Volume, RemoteImage, getNetwork; the swarm target's:
    // Service, Secret, ServiceConfig.
    for (const token of ["docker:index/container:Container", "docker:index/network:Network", "docker:index/volume:Volume", "docker:index/remoteImage:RemoteImage", "docker:index/service:Service", "docker:index/secret:Secret", "docker:index/serviceConfig:ServiceConfig"]) {
      expect(resources.has(token), token).toBe(true);
    }
    expect(functions.has("docker:index/getNetwork:getNetwork")).toBe(true);
    // The native (buildx) Image is not a Terraform resource: the real plugin serves it beside the bridge.
    resources.delete("docker:index/image:Image");
  });

  it("has every resource token of the SDK", () => {
    const absent = [...resources.keys()].filter((t) => t !== "docker:index/image:Image" && !schema.resources[t]);
    expect(absent).toEqual([]);
  });

  it("has every function token of the SDK", () => {
    expect([...functions.keys()].filter((t) => !schema.functions[t])).toEqual([]);
  });

  it("accepts every input property of every resource, with the SDK's names and nesting", () => {
    const problems: string[] = [];
    for (const [token, file] of resources) {
      if (token === "docker:index/image:Image") continue;
      const className = token.split(":").pop()!;
      const sdkProps = interfaceProperties(path.join(SDK, `${file}.d.ts`), `${className}Args`);
      if (!sdkProps) {
        problems.push(`${className}: no ${className}Args in ${file}.d.ts`);
        continue;
      }
      problems.push(...unknownProperties(schema, sdkProps, schema.resources[token]?.inputProperties ?? {}, className));
    }
    expect(problems).toEqual([]);
  });

  it("accepts every argument of every function", () => {
    const problems: string[] = [];
    for (const [token, file] of functions) {
      const name = token.split(":").pop()!;
      const argsName = `${name[0]!.toUpperCase()}${name.slice(1)}Args`;
      const sdkProps = interfaceProperties(path.join(SDK, `${file}.d.ts`), argsName);
      if (!sdkProps) continue;
      problems.push(...unknownProperties(schema, sdkProps, schema.functions[token]?.inputs?.properties ?? {}, name));
    }
    expect(problems).toEqual([]);
  });

  it("accepts every provider setting the SDK sends", () => {
    const sdkProps = interfaceProperties(path.join(SDK, "provider.d.ts"), "ProviderArgs")!;
    const problems = [...sdkProps.keys()].filter((name) => !schema.config.variables?.[name]);
    expect(problems).toEqual([]);
  });

  it("maps the same tokens in -get-provider-info as in the schema", () => {
    const info = JSON.parse(fs.readFileSync(tc.dockerProviderInfo, "utf8")) as { resources: Record<string, { tok: string }>; dataSources: Record<string, { tok: string }> };
    const infoTokens = new Set(Object.values(info.resources).map((r) => r.tok));
    expect([...resources.keys()].filter((t) => t !== "docker:index/image:Image" && !infoTokens.has(t))).toEqual([]);
    const infoFunctions = new Set(Object.values(info.dataSources).map((r) => r.tok));
    expect([...functions.keys()].filter((t) => !infoFunctions.has(t))).toEqual([]);
  });
});
