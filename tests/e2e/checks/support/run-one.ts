// Runs e2e checks against the stack the runner left running, outside `npm run e2e`:
//   tsx tests/e2e/checks/support/run-one.ts [<check name> ...]     (no name: every check)
// It rebuilds the context from what the runner keeps: the e2e stack file with the runner's
// .e2e/overrides.json (or .e2e/images.json) merged over it, .e2e/state.json (CA certificate,
// generated passwords) and the runner's secrets file under the e2e cache. It never starts,
// changes or stops the stack.
import Docker from "dockerode";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import type { E2ECheck, E2EContext } from "../../context";
import { SettingsSchema, SECRET_KEYS, type Settings } from "../../../../config/schema";
import { DEFAULT_CONFIG, DEFAULT_STATE, E2E_STACK, SECRETS_FILE, SINK, nestOverrides } from "../../runner/cli";
import { StateStore } from "../../runner/state";
import { ALL_CHECKS } from "./all";

const REPO = path.resolve(__dirname, "../../../..");

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value && typeof value === "object" && !Array.isArray(value) && current && typeof current === "object" && !Array.isArray(current)
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/**
 * The e2e stack's settings: its stack file's `enrichment:` values with what the runner merged over
 * them: .e2e/overrides.json (nested, what the running stack got), else .e2e/images.json (flat; a
 * rebuild may have changed it since the stack went up).
 */
export function e2eSettings(configFile = DEFAULT_CONFIG, imagesFile = path.join(REPO, ".e2e/images.json"), overridesFile = path.join(REPO, ".e2e/overrides.json")): Settings {
  const doc = YAML.parse(fs.readFileSync(configFile, "utf8")) as { config: Record<string, unknown> };
  let plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config)) {
    const name = key.replace(/^enrichment:/, "");
    if (!(name in SECRET_KEYS)) plain[name] = value;
  }
  if (fs.existsSync(overridesFile)) plain = deepMerge(plain, JSON.parse(fs.readFileSync(overridesFile, "utf8")) as Record<string, unknown>);
  else if (fs.existsSync(imagesFile)) plain = deepMerge(plain, nestOverrides(JSON.parse(fs.readFileSync(imagesFile, "utf8")) as Record<string, unknown>));
  return SettingsSchema.parse(plain);
}

export function e2eContext(): E2EContext {
  if (!fs.existsSync(DEFAULT_STATE)) throw new Error(`${DEFAULT_STATE} does not exist: run the e2e's up first`);
  const settings = e2eSettings();
  const store = StateStore.open(DEFAULT_STATE, SECRETS_FILE, E2E_STACK);
  const resources = Object.values(store.state.resources);
  const secrets: Record<string, string> = {};
  for (const r of resources) if (r.type === "random:index/randomPassword:RandomPassword" && typeof r.outputs.result === "string") secrets[r.name] = r.outputs.result;
  const file = fs.existsSync(SECRETS_FILE) ? (JSON.parse(fs.readFileSync(SECRETS_FILE, "utf8")) as { config?: Record<string, string> }) : {};
  Object.assign(secrets, file.config ?? {});
  const ca = resources.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert");
  const appPassword = Object.entries(secrets).find(([name]) => /mongodb.*app/.test(name))?.[1];
  const published: Record<string, string> = {};
  for (const [service, entry] of Object.entries(settings.exposure.publish)) published[service] = `${entry.address ?? settings.exposure.bindAddress}:${entry.port}`;
  const db = settings.mongodb.database;
  return {
    stack: E2E_STACK,
    prefix: settings.namePrefix ?? E2E_STACK,
    settings,
    published,
    caCertPem: String(ca?.outputs.certPem ?? ""),
    secrets,
    mongodbAdminUri: `mongodb://${encodeURIComponent(settings.mongodb.appUser)}:${encodeURIComponent(appPassword ?? "")}@127.0.0.1:${settings.exposure.publish.mongodb?.port}/${db}?authSource=${db}&directConnection=true`,
    alertSinkUrl: `http://127.0.0.1:${SINK.hostPort}`,
    docker: new Docker(),
    log: (message) => process.stdout.write(`  ${message}\n`),
  };
}

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !ALL_CHECKS.some((c) => c.name === n));
  if (unknown.length) {
    process.stderr.write(`unknown check(s) ${unknown.join(", ")}; known: ${ALL_CHECKS.map((c) => c.name).join(", ")}\n`);
    return 2;
  }
  const ctx = e2eContext();
  const chosen: readonly E2ECheck[] = names.length ? ALL_CHECKS.filter((c) => names.includes(c.name)) : ALL_CHECKS;
  let failed = 0;
  for (const check of chosen) {
    const start = Date.now();
    let result;
    try {
      result = await check.check(ctx);
    } catch (error) {
      result = { ok: false, detail: `threw: ${(error as Error).stack ?? error}` };
    }
    if (!result.ok) failed++;
    process.stdout.write(`${result.ok ? "ok  " : "FAIL"} ${check.name} (${((Date.now() - start) / 1000).toFixed(1)} s): ${result.detail}\n`);
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`run-one: ${error.stack ?? error.message}\n`);
      process.exit(2);
    },
  );
}
