// The program's entry point into configuration: reads what the Pulumi engine hands the program
// once, validates it (config/load.ts) and returns typed settings plus the secrets as Pulumi
// secret outputs. The only module that touches Pulumi config.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { collectRawConfig, parseStackConfig, type RawConfig, type StackConfig } from "./load";
import { recordReadsIfAsked } from "./reads";
import { PROJECT } from "./schema";
import { readerProblems, STACK_FILE_ENV } from "./yamlReaders";

// Which keys Pulumi marked secret is an internal of the SDK (not in its typings).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

export function readRawConfig(): RawConfig {
  return collectRawConfig(
    Object.entries(pulumi.runtime.allConfig()).map(([fullKey, raw]) => ({ fullKey, value: parseValue(raw), secret: isConfigSecret(fullKey) })),
  );
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Values of the stack file that Pulumi's CLI and the synth read differently (config/yamlReaders.ts).
 * The engine hands the program only its own reading, so the file itself is read again here.
 */
export function stackFileReaderProblems(stack: string): string[] {
  const file = process.env[STACK_FILE_ENV] ?? path.join(process.cwd(), `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return [];
  return readerProblems(fs.readFileSync(file, "utf8"), PROJECT);
}

/** The program's entry point into configuration. */
export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config(PROJECT);
  const stack = pulumi.getStack();
  const raw = readRawConfig();
  raw.problems = [...(raw.problems ?? []), ...stackFileReaderProblems(stack)];
  const stackConfig = parseStackConfig(stack, raw, (key) => config.requireSecret(key));
  return { ...stackConfig, settings: recordReadsIfAsked(stackConfig.settings) };
}
