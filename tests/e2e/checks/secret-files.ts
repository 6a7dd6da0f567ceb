// No container has a secret in its environment, and inside every container of the stack, each secret file (everything under /run/secrets, and every
// path a `*_FILE`/`*__FILE` variable names) is owned by the service's runtime user, with a mode
// that lets nobody else read it; the service's user can read it (`docker exec --user` cat) and
// another uid cannot. The runtime user of a third-party image is facts/images.ts's (matched by
// the image's digest against `images.<key>`); a platform image's (release.images) is
// enrichment:appRuntimeUser; any other image's is its own USER.
import type Docker from "dockerode";
import type { E2ECheck, E2EContext } from "../context";
import { IMAGE_KEYS, IMAGES, ImageKey, RuntimeUser } from "../../../facts/images";
import { exec, readArchive, stackContainers, StackContainer, guarded } from "./support/docker";

export const SECRETS_DIR = "/run/secrets";
/** A uid:gid no image uses: must not read any secret file. */
export const STRANGER = { uid: 54321, gid: 54321 };

/** `sha256:<hex>` of a reference pinned by digest, else undefined. */
export const digestOf = (ref: string) => /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1];

/** The label the program puts on a container to say which `images.<key>` it runs. */
export const IMAGE_KEY_LABEL = "org.enrichment.image-key";

/**
 * The `images.<key>` a container runs: the keys whose digest is one of the image's repo digests.
 * One image can serve two keys with different users (mongo for mongod, as 999, and for the
 * backups, as root): then the container's image-key label decides, but only among those keys.
 */
export function imageKeyOf(repoDigests: string[], images: Partial<Record<ImageKey, string>>, labelled?: string): ImageKey | { ambiguous: ImageKey[] } | undefined {
  const digests = new Set(repoDigests.map((d) => d.slice(d.indexOf("@") + 1)));
  const candidates = IMAGE_KEYS.filter((key) => {
    const digest = images[key] && digestOf(images[key]!);
    return digest !== undefined && digests.has(digest);
  });
  if (candidates.length <= 1) return candidates[0];
  const chosen = candidates.find((key) => key === labelled);
  return chosen ?? { ambiguous: candidates };
}

/** Paths of secret files a container's environment names (`X_FILE=/path`, Grafana's `X__FILE`). */
export function secretPathsFromEnv(env: string[]): string[] {
  return env
    .map((kv) => /^[A-Z0-9_]+_FILE=(\/.+)$/.exec(kv)?.[1])
    .filter((path): path is string => path !== undefined);
}

/** `VAR holds <secret name>` for every environment variable whose value contains a secret (never the value). */
export function secretsInEnv(env: string[], secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const kv of env) {
    const name = kv.slice(0, kv.indexOf("="));
    const value = kv.slice(kv.indexOf("=") + 1);
    for (const [secret, secretValue] of Object.entries(secrets)) {
      if (secretValue.length >= 8 && value.includes(secretValue)) found.push(`${name} holds ${secret}`);
    }
  }
  return found;
}

/** A numeric `uid[:gid]` user spec as a RuntimeUser, else undefined (names need /etc/passwd). */
export function numericUser(spec: string | undefined): RuntimeUser | undefined {
  if (!spec) return { uid: 0, gid: 0 };
  const match = /^(\d+)(?::(\d+))?$/.exec(spec);
  return match ? { uid: Number(match[1]), gid: Number(match[2] ?? match[1]) } : undefined;
}

/** A user name (or `name:group`) resolved through the image's /etc/passwd and /etc/group. */
export function resolveUser(spec: string, passwd: string, group: string): RuntimeUser | undefined {
  const numeric = numericUser(spec);
  if (numeric) return numeric;
  const [userPart, groupPart] = spec.split(":");
  const entry = passwd.split("\n").map((l) => l.split(":")).find((f) => f[0] === userPart || f[2] === userPart);
  if (!entry) return undefined;
  let gid = Number(entry[3]);
  if (groupPart !== undefined) {
    const g = /^\d+$/.test(groupPart) ? Number(groupPart) : Number(group.split("\n").map((l) => l.split(":")).find((f) => f[0] === groupPart)?.[2]);
    if (!Number.isFinite(g)) return undefined;
    gid = g;
  }
  return { uid: Number(entry[2]), gid };
}

/** What is wrong with a secret file's owner and mode for this runtime user (empty when right). */
export function ownershipProblems(path: string, file: { uid: number; gid: number; mode: number }, user: RuntimeUser, source?: string): string[] {
  const mode = `0${(file.mode & 0o777).toString(8)}`;
  const problems: string[] = [];
  if (file.uid !== user.uid) problems.push(`${path} is owned by uid ${file.uid} (mode ${mode}), expected the runtime user ${user.uid}${source ? ` (${source})` : ""}`);
  if ((file.mode & 0o400) === 0) problems.push(`${path} mode ${mode}: its owner cannot read it`);
  if ((file.mode & 0o007) !== 0) problems.push(`${path} mode ${mode}: every user may use it (expected 0400)`);
  // Group bits only for the runtime user's own group, and never root's group for a non-root user.
  const ownGroup = file.gid === user.gid && (user.gid !== 0 || user.uid === 0);
  if ((file.mode & 0o070) !== 0 && !ownGroup) problems.push(`${path} mode ${mode}, group ${file.gid}: the group can read it, and it is not the runtime user's own group (expected 0400)`);
  return problems;
}

async function imageOf(docker: Docker, container: StackContainer): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(container.info.Image).inspect();
  } catch {
    return undefined;
  }
}

/** The release service whose image (release.images or the canary's) has one of these repo digests. */
export function platformServiceOf(repoDigests: string[], releases: Record<string, string>[]): string | undefined {
  const digests = new Set(repoDigests.map((d) => d.slice(d.indexOf("@") + 1)));
  for (const images of releases) {
    for (const [service, ref] of Object.entries(images)) {
      const digest = digestOf(ref);
      if (digest && digests.has(digest)) return service;
    }
  }
  return undefined;
}

/**
 * The runtime user: enrichment:appRuntimeUser for the platform's own images, facts/images.ts for
 * a third-party image, else the image's USER (resolved in the image's /etc/passwd).
 */
async function runtimeUser(ctx: E2EContext, container: StackContainer, image: Docker.ImageInspectInfo | undefined): Promise<{ user?: RuntimeUser; source: string }> {
  const repoDigests = image?.RepoDigests ?? [];
  const settings = ctx.settings as typeof ctx.settings & { appRuntimeUser?: RuntimeUser };
  const own = platformServiceOf(repoDigests, [settings.release.images, settings.canary?.release.images ?? {}]);
  if (own && settings.appRuntimeUser) return { user: settings.appRuntimeUser, source: `appRuntimeUser (release image of ${own})` };
  const key = imageKeyOf(repoDigests, settings.images as Partial<Record<ImageKey, string>>, container.info.Config.Labels?.[IMAGE_KEY_LABEL]);
  if (typeof key === "object") {
    return { source: `its image is images.${key.ambiguous.join(" and images.")} (one digest), and its ${IMAGE_KEY_LABEL} label names neither` };
  }
  if (key) return { user: IMAGES[key].user.value, source: `facts/images.ts ${key}` };
  const spec = image?.Config?.User ?? "";
  const numeric = numericUser(spec);
  // No catalog entry matched the image's digest: the image's own USER is all there is to go by.
  if (numeric) return { user: numeric, source: `no facts/images.ts entry or release image has this image's digest; image USER ${spec || "(none: root)"}` };
  const passwd = (await readArchive(ctx.docker, container.name, "/etc/passwd"))?.[0]?.content.toString() ?? "";
  const group = (await readArchive(ctx.docker, container.name, "/etc/group"))?.[0]?.content.toString() ?? "";
  const resolved = resolveUser(spec, passwd, group);
  return { user: resolved, source: resolved ? `image USER ${spec} (/etc/passwd)` : `image USER ${spec}: not in the image's /etc/passwd` };
}

async function secretFiles(ctx: E2EContext, container: StackContainer) {
  const files = new Map<string, { uid: number; gid: number; mode: number }>();
  const dir = await readArchive(ctx.docker, container.name, SECRETS_DIR, 1024 * 1024);
  for (const entry of dir ?? []) {
    if (entry.type !== "file") continue;
    // Entries are named relative to the parent of the requested path: `secrets/<name>`.
    files.set(`${SECRETS_DIR.slice(0, SECRETS_DIR.lastIndexOf("/"))}/${entry.name}`, { uid: entry.uid, gid: entry.gid, mode: entry.mode });
  }
  const missing: string[] = [];
  for (const path of secretPathsFromEnv(container.info.Config.Env ?? [])) {
    if (files.has(path)) continue;
    const entry = (await readArchive(ctx.docker, container.name, path, 1024 * 1024))?.find((e) => e.type === "file");
    if (entry) files.set(path, { uid: entry.uid, gid: entry.gid, mode: entry.mode });
    else missing.push(path);
  }
  return { files, missing };
}

export async function checkSecretFiles(ctx: E2EContext) {
  const containers = await stackContainers(ctx);
  if (containers.length === 0) return { ok: false, detail: `no container carries the label org.enrichment.stack=${ctx.stack}` };
  const problems: string[] = [];
  const checked: string[] = [];
  for (const container of containers) {
    try {
      if (!container.info.State.Running) {
        problems.push(`${container.name}: not running, its secret files cannot be tested`);
        continue;
      }
      // Secrets are files, never environment values (docker inspect shows every variable).
      for (const leak of secretsInEnv(container.info.Config.Env ?? [], ctx.secrets)) problems.push(`${container.name}: ${leak} in its environment; deliver it as a file`);
      const { files, missing } = await secretFiles(ctx, container);
      for (const path of missing) problems.push(`${container.name}: ${path} is named by a *_FILE variable but is not in the container`);
      if (files.size === 0) continue;
      const image = await imageOf(ctx.docker, container);
      const { user, source } = await runtimeUser(ctx, container, image);
      if (!user) {
        problems.push(`${container.name}: cannot tell its runtime user (${source})`);
        continue;
      }
      for (const [path, file] of files) {
        const issues = ownershipProblems(path, file, user, source);
        const asOwner = await exec(ctx.docker, container.name, ["cat", path], { user: `${user.uid}:${user.gid}`, discardStdout: true, timeoutMs: 15_000 });
        if (asOwner.exitCode !== 0) {
          issues.push(`${path}: \`cat\` as ${user.uid}:${user.gid} (${source}) ${asOwner.error ? `could not run: ${asOwner.error}` : `exited ${asOwner.exitCode}: ${asOwner.stderr.trim().slice(0, 200)}`}`);
        }
        const stranger = STRANGER.uid === user.uid ? { uid: STRANGER.uid + 1, gid: STRANGER.gid + 1 } : STRANGER;
        const asStranger = await exec(ctx.docker, container.name, ["cat", path], { user: `${stranger.uid}:${stranger.gid}`, discardStdout: true, timeoutMs: 15_000 });
        if (asStranger.exitCode === 0) issues.push(`${path}: readable by uid ${stranger.uid}:${stranger.gid}, a user that is not the service's`);
        // 126/127: the runtime could not start `cat` at all, which proves nothing about the file.
        else if (asStranger.error || asStranger.exitCode === 126 || asStranger.exitCode === 127 || asStranger.exitCode === null) {
          issues.push(`${path}: \`cat\` as ${stranger.uid}:${stranger.gid} could not run (${asStranger.error ?? `exit ${asStranger.exitCode}`})`);
        }
        problems.push(...issues.map((issue) => `${container.name}: ${issue}`));
        checked.push(`${container.name}:${path} ${file.uid}:${file.gid} 0${(file.mode & 0o777).toString(8)}`);
      }
    } catch (error) {
      // A Docker API error on one container (e.g. a failed mount for the archive) fails the check, naming it.
      problems.push(`${container.name}: the Docker API failed while its files were read: ${(error as Error).message.trim()}`);
    }
  }
  if (problems.length) return { ok: false, detail: `${problems.length} secret-file problem(s): ${problems.join("; ")}` };
  if (checked.length === 0) return { ok: false, detail: `no container of ${containers.length} has a secret file under ${SECRETS_DIR} or named by a *_FILE variable; the stack uploads several` };
  return { ok: true, detail: `no secret in any of the ${containers.length} containers' environments; ${checked.length} secret files owned by their service's user, unreadable by others: ${checked.join(", ")}` };
}

export const check: E2ECheck = { name: "secret-files", check: guarded(checkSecretFiles) };
