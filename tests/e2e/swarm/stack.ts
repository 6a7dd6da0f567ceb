// The swarm e2e's stack file and engine: tests/e2e/swarm/Pulumi.e2e-swarm.yaml with the images
// tests/e2e/images/build.sh pushed (.e2e/images.json) merged over its placeholders, their registry
// host rewritten to the address the lab's nodes reach it at (the digests do not change), written to
// .e2e/swarm/ for `pulumi --config-file`; and the real Pulumi CLI on a file:// backend there.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { loadToolchain, PulumiCli, REPO } from "../engine/pulumi";

export const SWARM_STACK = "e2e-swarm";
export const SWARM_DIR = path.join(REPO, ".e2e", "swarm");
export const SOURCE_STACK_FILE = path.join(__dirname, "Pulumi.e2e-swarm.yaml");
export const STACK_FILE = path.join(SWARM_DIR, "Pulumi.e2e-swarm.yaml");
export const IMAGES_FILE = path.join(REPO, ".e2e", "images.json");
/** What tests/e2e/images/build.sh pushes to, and where the lab's nodes reach it (lab.sh). */
export const ROOT_REGISTRY = "127.0.0.1:5000";
export const LAB_REGISTRY = process.env.SWL_REGISTRY ?? "10.213.21.1:5000";

/** The stack file's config with the built images (`images.<name>`, `release.images.<service>`) in place. */
export function stackConfig(images: Record<string, string>, registry = LAB_REGISTRY): Record<string, unknown> {
  const doc = YAML.parse(fs.readFileSync(SOURCE_STACK_FILE, "utf8")) as { config: Record<string, unknown> };
  const config = doc.config;
  const relocate = (ref: string) => (ref.startsWith(`${ROOT_REGISTRY}/`) ? `${registry}/${ref.slice(ROOT_REGISTRY.length + 1)}` : ref);
  const thirdParty = config["enrichment:images"] as Record<string, string>;
  const release = config["enrichment:release"] as { images: Record<string, string> };
  for (const [key, ref] of Object.entries(images)) {
    if (key.startsWith("images.")) {
      const name = key.slice("images.".length);
      if (name in thirdParty) thirdParty[name] = relocate(ref);
    } else if (key.startsWith("release.images.")) {
      // Only the services this stack file declares: the build also makes the ingestion plane's
      // images, a plane the swarm stack does not run (the schema refuses their keys without it).
      const service = key.slice("release.images.".length);
      if (service in release.images) release.images[service] = relocate(ref);
    }
  }
  const left = [...Object.values(thirdParty), ...Object.values(release.images)].filter((ref) => ref.includes("e2e.invalid/placeholder"));
  if (left.length) throw new Error(`${IMAGES_FILE} has no image for ${left.join(", ")}: run tests/e2e/images/build.sh`);
  return config;
}

/** Writes the stack file `pulumi --config-file` reads (secrets are added by `config set --secret`). */
export function writeStackFile(config: Record<string, unknown>): string {
  fs.mkdirSync(SWARM_DIR, { recursive: true });
  const existing = fs.existsSync(STACK_FILE) ? (YAML.parse(fs.readFileSync(STACK_FILE, "utf8")) as { config?: Record<string, unknown>; encryptionsalt?: string }) : {};
  // Keep what the CLI wrote there (the passphrase's salt, secure: values); replace the settings.
  const secure = Object.fromEntries(Object.entries(existing.config ?? {}).filter(([, v]) => typeof v === "object" && v !== null && "secure" in (v as object)));
  const doc = { ...(existing.encryptionsalt ? { encryptionsalt: existing.encryptionsalt } : {}), config: { ...config, ...secure } };
  fs.writeFileSync(STACK_FILE, YAML.stringify(doc));
  return STACK_FILE;
}

export function readImages(): Record<string, string> {
  if (!fs.existsSync(IMAGES_FILE)) throw new Error(`${IMAGES_FILE} is missing: run flock /var/lock/enrichment-e2e.lock bash tests/e2e/images/build.sh`);
  return JSON.parse(fs.readFileSync(IMAGES_FILE, "utf8")) as Record<string, string>;
}

/** The real CLI for the swarm stack, or why not. */
export function swarmCli(log: (line: string) => void, env: NodeJS.ProcessEnv = {}): PulumiCli | { missing: string } {
  const toolchain = loadToolchain();
  if ("missing" in toolchain) return toolchain;
  return new PulumiCli({
    toolchain,
    stack: SWARM_STACK,
    configFile: STACK_FILE,
    backendDir: path.join(SWARM_DIR, "state"),
    passphrase: "e2e-swarm",
    log,
    // The provider asks the registry for each service image's digest unless told to prefer a local
    // one; the refs are pinned by digest anyway.
    env: { DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: "1", PULUMI_NODEJS_TRANSPILE_ONLY: "true", ...env },
  });
}
