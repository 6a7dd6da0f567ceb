// The e2e stack under the real Pulumi CLI: its stack file (tests/e2e/Pulumi.e2e.yaml with the built
// images merged in, written to .e2e/ and passed with --config-file, so nothing in the repository is
// edited), its secrets (set with `pulumi config set --secret`), its backend (.e2e/backend) and the
// context every check and scenario gets, built from the stack's outputs and state.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Docker from "dockerode";
import * as YAML from "yaml";
import { readStackFile, SECRET_PLACEHOLDER } from "../../config/stackFile";
import { SECRET_KEYS, SettingsSchema, type Settings } from "../../config/schema";
import type { E2EContext } from "./context";
import { E2E_CACHE, PulumiCli, REPO, type Toolchain } from "./engine/pulumi";

export const E2E_STACK = "e2e";
export const E2E_DIR = path.join(REPO, ".e2e");
export const SOURCE_STACK_FILE = path.join(REPO, "tests/e2e/Pulumi.e2e.yaml");
export const STACK_FILE = path.join(E2E_DIR, "Pulumi.e2e.yaml");
export const BACKEND_DIR = path.join(E2E_DIR, "backend");
/** The passphrase of the e2e's secrets provider: generated once, kept outside the repository, 0600. */
const PASSPHRASE_FILE = path.join(E2E_CACHE, "e2e-passphrase");
/** The sink Alertmanager posts to (tests/e2e/standins: `sink`), by container name on the egress network. */
export const SINK = { container: `${E2E_STACK}-alert-sink`, port: 9099, hostPort: 39099 };

/** The config secrets the e2e stack needs, generated per stack. */
export function generatedConfigSecrets(): Record<string, string> {
  return {
    anthropicApiKey: `sk-ant-e2e-${randomBytes(24).toString("hex")}`,
    slackWebhookUrl: `http://${SINK.container}:${SINK.port}/slack/${randomBytes(12).toString("hex")}`,
    // The off-host copy's S3 keys (backup.s3); the backup step's MinIO takes them as its root user
    // (MinIO wants an access key of >= 3 and a secret of >= 8 characters).
    backupS3AccessKeyId: `e2e${randomBytes(8).toString("hex")}`,
    backupS3SecretAccessKey: randomBytes(24).toString("hex"),
    // The web-ingestion plane's API keys (enrichment:ingestion is on in the e2e stack); the
    // stand-in MCP server only checks that they reach its environment.
    ingestionOpenaiApiKey: `sk-e2e-${randomBytes(16).toString("hex")}`,
    ingestionLlmApiKey: `llm-e2e-${randomBytes(16).toString("hex")}`,
  };
}

function passphrase(): string {
  if (fs.existsSync(PASSPHRASE_FILE)) {
    const mode = fs.statSync(PASSPHRASE_FILE).mode & 0o077;
    if (mode !== 0) throw new Error(`${PASSPHRASE_FILE} is readable by others (mode ${(fs.statSync(PASSPHRASE_FILE).mode & 0o777).toString(8)}): chmod 600 it`);
    return fs.readFileSync(PASSPHRASE_FILE, "utf8").trim();
  }
  fs.mkdirSync(path.dirname(PASSPHRASE_FILE), { recursive: true });
  const value = randomBytes(24).toString("hex");
  fs.writeFileSync(PASSPHRASE_FILE, `${value}\n`, { mode: 0o600 });
  return value;
}

/** The stack's CLI: the real toolchain, the e2e's backend and stack file. */
export function e2eCli(toolchain: Toolchain, log?: (line: string) => void): PulumiCli {
  return new PulumiCli({ toolchain, stack: E2E_STACK, configFile: STACK_FILE, backendDir: BACKEND_DIR, passphrase: passphrase(), log });
}

export function mergeDeep(a: unknown, b: unknown): unknown {
  if (!a || !b || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) || Array.isArray(b)) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = mergeDeep(out[k], v);
  return out;
}

/** images.json keys are `images.<name>` / `release.images.<service>`: nest them as stack values. */
export function nestOverrides(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [dotted, value] of Object.entries(flat)) {
    if (dotted === "sink" || dotted.startsWith("e2e.") || dotted.startsWith("support.")) continue;
    const parts = dotted.split(".");
    // release.images.<service>: the service name may not be split further.
    const head = parts[0] === "release" && parts[1] === "images" ? ["release", "images", parts.slice(2).join(".")] : parts;
    let cursor = out;
    for (const part of head.slice(0, -1)) cursor = (cursor[part] ??= {}) as Record<string, unknown>;
    cursor[head[head.length - 1]!] = value;
  }
  return out;
}

/**
 * Writes .e2e/Pulumi.e2e.yaml: the e2e stack file with `overrides` (stack values, e.g. the built
 * images) merged into its `enrichment:` settings. Comments of the source are kept.
 */
export function writeStackFile(overrides: Record<string, unknown>, target = STACK_FILE): void {
  const document = YAML.parseDocument(fs.readFileSync(SOURCE_STACK_FILE, "utf8"));
  for (const [key, value] of Object.entries(overrides)) {
    const fullKey = `enrichment:${key}`;
    const current = document.getIn(["config", fullKey]) as unknown;
    const currentJs = current && typeof current === "object" && "toJSON" in current ? (current as { toJSON(): unknown }).toJSON() : current;
    document.setIn(["config", fullKey], document.createNode(mergeDeep(currentJs, value)));
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, `# Generated by tests/e2e/stack.ts from tests/e2e/Pulumi.e2e.yaml and the built images; the e2e's\n# \`pulumi config set\` writes here too. Not committed.\n${document.toString()}`);
}

/** The validated settings of the e2e stack file as it is now (secure values left out). */
export function e2eSettings(stackFile = STACK_FILE): Settings {
  const file = readStackFile(stackFile);
  const values = Object.fromEntries(Object.entries(file.raw.values).filter(([k, v]) => !(k in SECRET_KEYS) && v !== SECRET_PLACEHOLDER(k)));
  return SettingsSchema.parse(values);
}

interface ExportedResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  protect?: boolean;
  retainOnDelete?: boolean;
}

/** The signature key and value of a secret in an exported deployment (Pulumi's `resource.SecretSig`). */
const SECRET_SIG = { key: "4dabf18193072939515e22adb298388d", value: "1b47061264138c4ac30d75fd1eb44270" } as const;

/**
 * An exported deployment's values with every secret envelope opened. `stack export --show-secrets`
 * keeps the envelope and puts the value, JSON-encoded, in `plaintext`:
 * `{"4dabf…": "1b47…", "plaintext": "\"s3cr3t\""}`. Read as a string, such a value is "[object Object]".
 */
export function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG.key] === SECRET_SIG.value) {
    if (typeof record.plaintext !== "string") throw new Error("a secret in the exported state has no plaintext: was it exported without --show-secrets?");
    return revealSecrets(JSON.parse(record.plaintext));
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revealSecrets(v)]));
}

/** `pulumi stack export --show-secrets`: the resources, parsed, their secrets revealed. */
export async function stackResources(cli: PulumiCli): Promise<ExportedResource[]> {
  const state = JSON.parse(await cli.exportState({ showSecrets: true })) as { deployment?: { resources?: ExportedResource[] } };
  return (state.deployment?.resources ?? []).map((r) => revealSecrets(r) as ExportedResource);
}

export const nameOfUrn = (urn: string) => urn.split("::").slice(3).join("::");

/** The config secrets as the stack holds them (decrypted with the passphrase). */
export async function configSecrets(cli: PulumiCli): Promise<Record<string, string>> {
  const result = await cli.run(["config", "--json", "--show-secrets", "--stack", E2E_STACK, "--config-file", STACK_FILE], { quiet: true });
  if (result.code !== 0) throw new Error(`pulumi config --json failed: ${result.stderr.trim()}`);
  const config = JSON.parse(result.stdout) as Record<string, { value?: string; secret?: boolean }>;
  const out: Record<string, string> = {};
  for (const [fullKey, entry] of Object.entries(config)) if (entry.secret && entry.value !== undefined) out[fullKey.replace(/^enrichment:/, "")] = entry.value;
  return out;
}

/** The loopback port the index reconciler (and the e2e) reaches the managed MongoDB on. */
export const mongoPort = (settings: Settings) => settings.exposure.publish.mongodb?.port ?? 27017;

/** What every check and scenario step gets, from the deployed stack. */
export async function buildContext(cli: PulumiCli, log: (line: string) => void): Promise<E2EContext> {
  const settings = e2eSettings();
  const outputs = await cli.stackOutputs({ showSecrets: true });
  const resources = await stackResources(cli);
  const secrets: Record<string, string> = { ...(await configSecrets(cli)) };
  for (const r of resources) if (r.type === "random:index/randomPassword:RandomPassword") secrets[nameOfUrn(r.urn)] = String(r.outputs?.result ?? "");
  const published: Record<string, string> = {};
  for (const [service, entry] of Object.entries(settings.exposure.publish)) published[service] = `${entry.address ?? settings.exposure.bindAddress}:${entry.port}`;
  const appPassword = secrets["mongodb-app-password"] ?? "";
  return {
    stack: E2E_STACK,
    prefix: E2E_STACK,
    settings,
    published,
    caCertPem: String(outputs.caCertificate ?? ""),
    secrets,
    mongodbAdminUri: `mongodb://${encodeURIComponent(settings.mongodb.appUser)}:${encodeURIComponent(appPassword)}@${settings.mongodb.adminHost}:${mongoPort(settings)}/${settings.mongodb.database}?authSource=${settings.mongodb.database}&directConnection=true`,
    alertSinkUrl: `http://127.0.0.1:${SINK.hostPort}`,
    docker: new Docker(),
    log,
  };
}
