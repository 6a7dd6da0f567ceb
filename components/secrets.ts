// Generated secrets as a catalog: each entry becomes a RandomPassword, a Pulumi secret from birth.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

export interface GeneratedSecretEntry {
  name: string;
  purpose: string;
  length: number;
  /** Alphanumeric only when the secret goes into a URI (MongoDB passwords). */
  special: boolean;
}

export const GENERATED_SECRETS = [
  { name: "mongodb-root-password", purpose: "MongoDB root user (initdb only)", length: 40, special: false },
  { name: "mongodb-app-password", purpose: "MongoDB application user", length: 40, special: false },
  { name: "mongodb-monitor-password", purpose: "MongoDB monitoring user (mongodb_exporter, clusterMonitor)", length: 40, special: false },
  { name: "mcp-jwt-secret", purpose: "MCP server JWT signing key", length: 64, special: false },
  { name: "grafana-admin-password", purpose: "Grafana admin user", length: 32, special: true },
] as const satisfies readonly GeneratedSecretEntry[];

export type GeneratedSecretName = (typeof GENERATED_SECRETS)[number]["name"];

export interface PlatformSecretsArgs {
  /** Defaults to GENERATED_SECRETS. */
  entries?: readonly GeneratedSecretEntry[];
}

export class PlatformSecrets extends pulumi.ComponentResource {
  private readonly values = new Map<string, pulumi.Output<string>>();

  constructor(name: string, args: PlatformSecretsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:platform:Secrets", name, {}, opts);
    const entries = args.entries ?? GENERATED_SECRETS;
    for (const entry of entries) {
      if (entry.length < 32) throw new Error(`PlatformSecrets: ${entry.name} must be at least 32 characters, got ${entry.length}`);
      const password = new random.RandomPassword(
        entry.name,
        { length: entry.length, special: entry.special, overrideSpecial: entry.special ? "-_.~!#%^*" : undefined, minLower: 2, minUpper: 2, minNumeric: 2 },
        { parent: this, additionalSecretOutputs: ["result"] },
      );
      this.values.set(entry.name, pulumi.secret(password.result));
    }
    this.registerOutputs({});
  }

  /** A generated secret by name; always a Pulumi secret. */
  get(name: GeneratedSecretName | string): pulumi.Output<string> {
    const value = this.values.get(name);
    if (!value) throw new Error(`PlatformSecrets: no generated secret named "${name}" (see GENERATED_SECRETS)`);
    return value;
  }
}
