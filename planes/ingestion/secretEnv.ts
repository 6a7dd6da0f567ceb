// The wrapper that hands file-delivered secrets to a program that reads them only from its
// environment (scripts/secret-env.sh says why this is the least-bad path): the upload, its
// environment (which variables, from which files) and the entrypoint that runs a command under it.
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigFile, SecretFile } from "../../components/serviceContainer";

/** Where the wrapper lands in the container. */
export const SECRET_ENV_PATH = "/etc/ingestion/secret-env.sh";

/** The wrapper as an upload. */
export function secretEnvFile(): ConfigFile {
  return { path: SECRET_ENV_PATH, content: fs.readFileSync(path.join(__dirname, "scripts", "secret-env.sh"), "utf8"), executable: true };
}

/** The secrets a program reads from its environment: the variable, where its file lands, its value. */
export interface EnvSecret {
  name: string;
  file: string;
  content: pulumi.Input<string>;
}

/** Secret files (NAME_FILE=path) and ENV_FROM_FILES, which tells the wrapper what to export. */
export function envFromFiles(secrets: readonly EnvSecret[]): { secretFiles: SecretFile[]; env: Record<string, string> } {
  for (const secret of secrets) if (!/^[A-Z][A-Z0-9_]*$/.test(secret.name)) throw new Error(`secret-env: ${secret.name} is not an environment variable name`);
  return {
    secretFiles: secrets.map((secret) => ({ path: secret.file, content: secret.content, envVar: `${secret.name}_FILE` })),
    env: { ENV_FROM_FILES: secrets.map((secret) => secret.name).join(" ") },
  };
}
