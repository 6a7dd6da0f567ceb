// Secret files: inside every container of the stack, each secret file (everything under
// /run/secrets, and every path a `*_FILE`/`*__FILE` variable names) is in the form the program
// delivers it (components/secretDelivery.ts: 0400 owned by the reader, or 0440 root:root read
// through group 0 when the container runs as a fixed user); the service can read it (`docker exec`
// cat as the container's own user, or as the reader) and another uid cannot; and no container's environment holds the content of
// any secret file of the stack. The runtime user of a third-party image is facts/images.ts's
// (matched by the image's digest against `images.<key>`); a platform image's (release.images) is
// enrichment:appRuntimeUser; any other image's is its own USER. Contents are compared in memory,
// never printed.
import type Docker from "dockerode";
import { secretDelivery } from "../../components/secretDelivery";
import { IMAGE_KEYS, IMAGES, type ImageKey, type RuntimeUser } from "../../facts/images";
import { LABEL_PREFIX } from "../../facts/services";
import { exec, readArchive, STACK_LABEL, type StackContainer } from "../docker";
import { cannotRun, fail, ok, type CheckOutcome, type VerifyContext } from "../context";

export const SECRETS_DIR = "/run/secrets";
/** A uid:gid no image uses: must not read any secret file. */
export const STRANGER = { uid: 54321, gid: 54321 };
/** Shorter contents are not searched for in environments (they would match by chance). */
const MIN_SECRET_LENGTH = 8;

/** `sha256:<hex>` of a reference pinned by digest, else undefined. */
export const digestOf = (ref: string) => /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1];

/** The label the program puts on a container to say which `images.<key>` it runs. */
export const IMAGE_KEY_LABEL = `${LABEL_PREFIX}.image-key`;

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
  return env.map((kv) => /^[A-Z0-9_]+_FILE=(\/.+)$/.exec(kv)?.[1]).filter((path): path is string => path !== undefined);
}

/** `VAR holds <secret name>` for every environment variable whose value contains a secret (never the value). */
export function secretsInEnv(env: string[], secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const kv of env) {
    const name = kv.slice(0, kv.indexOf("="));
    const value = kv.slice(kv.indexOf("=") + 1);
    for (const [secret, secretValue] of Object.entries(secrets)) {
      if (secretValue.length >= MIN_SECRET_LENGTH && value.includes(secretValue)) found.push(`${name} holds ${secret}`);
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

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * What is wrong with a secret file (empty when nothing), against the form the program delivers it
 * in (components/secretDelivery.ts): when the container has no user, "owned": 0400 owned by the
 * reader; when it runs as a fixed user, "root-group": 0440 root:root, with the container in group 0
 * unless the reader's own group is 0.
 */
export function deliveryProblems(path: string, file: { uid: number; gid: number; mode: number }, container: { configUser: string; reader: RuntimeUser; groupAdd: readonly string[] }, source?: string): string[] {
  const expected = secretDelivery(container.configUser, container.reader);
  const mode = file.mode & 0o777;
  const problems: string[] = [];
  const worldly = (mode & 0o007) !== 0 ? ": every user may read it" : "";
  if (expected.form === "owned") {
    if (file.uid !== container.reader.uid || file.gid !== container.reader.gid) problems.push(`${path} is owned by ${file.uid}:${file.gid} (mode ${octal(mode)}), expected the reader ${container.reader.uid}:${container.reader.gid}${source ? ` (${source})` : ""}`);
    if (mode !== 0o400) problems.push(`${path} mode ${octal(mode)}${worldly} (expected 0400: the container has no user, so the file is its reader's alone)`);
    return problems;
  }
  if (file.uid !== 0 || file.gid !== 0) problems.push(`${path} is owned by ${file.uid}:${file.gid} (mode ${octal(mode)}), expected root:root (the container runs as ${container.configUser}: 0440, read through group 0)`);
  if (mode !== 0o440) problems.push(`${path} mode ${octal(mode)}${worldly} (expected 0440 root:root, read through group 0)`);
  if (expected.groupAdds.some((group) => !container.groupAdd.includes(group))) problems.push(`${path}: the container does not join group 0 (HostConfig.GroupAdd ${JSON.stringify(container.groupAdd)}), so ${container.configUser} cannot read it`);
  return problems;
}

/** Whether a container's GroupAdd (names or numbers, as `docker run --group-add` takes them) holds this gid. */
export function joinsGroup(groupAdd: readonly string[], gid: number): boolean {
  return groupAdd.includes(String(gid)) || (gid === 0 && groupAdd.includes("root"));
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

async function imageOf(docker: Docker, container: StackContainer): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(container.info.Image).inspect();
  } catch {
    return undefined;
  }
}

/** The runtime user: appRuntimeUser for the platform's own images, facts/images.ts for a third-party image, else the image's USER. */
async function runtimeUser(ctx: VerifyContext, container: StackContainer, image: Docker.ImageInspectInfo | undefined): Promise<{ user?: RuntimeUser; source: string }> {
  const repoDigests = image?.RepoDigests ?? [];
  const settings = ctx.settings;
  const own = platformServiceOf(repoDigests, [settings.release.images, settings.canary?.release.images ?? {}]);
  if (own) return { user: settings.appRuntimeUser, source: `appRuntimeUser (release image of ${own})` };
  // The ingestion plane's third-party images are `ingestion.images.<key>` (facts/images.ts keys too).
  const images = { ...settings.images, ...(settings.ingestion?.images ?? {}) } as Partial<Record<ImageKey, string>>;
  const key = imageKeyOf(repoDigests, images, container.info.Config.Labels?.[IMAGE_KEY_LABEL]);
  if (typeof key === "object") return { source: `its image is images.${key.ambiguous.join(" and images.")} (one digest), and its ${IMAGE_KEY_LABEL} label names neither` };
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

interface SecretFile {
  uid: number;
  gid: number;
  mode: number;
  content: string;
}

async function secretFiles(ctx: VerifyContext, container: StackContainer) {
  const files = new Map<string, SecretFile>();
  const dir = await readArchive(ctx.docker, container.name, SECRETS_DIR, 1024 * 1024);
  for (const entry of dir ?? []) {
    if (entry.type !== "file") continue;
    // Entries are named relative to the parent of the requested path: `secrets/<name>`.
    files.set(`${SECRETS_DIR.slice(0, SECRETS_DIR.lastIndexOf("/"))}/${entry.name}`, { uid: entry.uid, gid: entry.gid, mode: entry.mode, content: entry.content.toString("utf8").trim() });
  }
  const missing: string[] = [];
  for (const path of secretPathsFromEnv(container.info.Config.Env ?? [])) {
    if (files.has(path)) continue;
    const entry = (await readArchive(ctx.docker, container.name, path, 1024 * 1024))?.find((e) => e.type === "file");
    if (entry) files.set(path, { uid: entry.uid, gid: entry.gid, mode: entry.mode, content: entry.content.toString("utf8").trim() });
    else missing.push(path);
  }
  return { files, missing };
}

/** What one running container's secret files showed (merged in the stack's container order). */
interface ContainerFindings {
  problems: string[];
  checked: string[];
  notes: string[];
  unreadable: string[];
  groupRead: string[];
  contents: Record<string, string>;
}

/**
 * Containers looked at side by side: each costs a few archive reads and two `docker exec`s per
 * file, about 0.4 s on a small host, which one after another made this the slowest check.
 */
const CONTAINERS_AT_ONCE = 6;

async function inspectContainer(ctx: VerifyContext, container: StackContainer): Promise<ContainerFindings> {
  const found: ContainerFindings = { problems: [], checked: [], notes: [], unreadable: [], groupRead: [], contents: {} };
  const { problems, checked, notes, unreadable, groupRead, contents } = found;
  try {
    const { files, missing } = await secretFiles(ctx, container);
    for (const path of missing) problems.push(`${container.name}: ${path} is named by a *_FILE variable but is not in the container`);
    for (const [path, file] of files) contents[`${container.name}:${path}`] = file.content;
    if (files.size === 0) return found;
    const image = await imageOf(ctx.docker, container);
    const { user, source } = await runtimeUser(ctx, container, image);
    if (!user) {
      problems.push(`${container.name}: cannot tell its runtime user (${source})`);
      return found;
    }
    const configUser = container.info.Config.User ?? "";
    const groupAdd = (container.info.HostConfig.GroupAdd ?? []).map(String);
    // The service reads as the container's own user (with its added groups) when it has one, else as the reader the files are owned by.
    const readerExec = configUser ? undefined : `${user.uid}:${user.gid}`;
    const readerName = configUser ? `the container's user ${configUser}${groupAdd.length ? ` (groups +${groupAdd.join(",")})` : ""}` : `${user.uid}:${user.gid} (${source})`;
    for (const [path, file] of files) {
      const issues = deliveryProblems(path, file, { configUser, reader: user, groupAdd }, source);
      const asOwner = await exec(ctx.docker, container.name, ["cat", path], { user: readerExec, discardStdout: true, timeoutMs: 15_000 });
      if (asOwner.exitCode !== 0) {
        issues.push(`${path}: \`cat\` as ${readerName} ${asOwner.error ? `could not run: ${asOwner.error}` : `exited ${asOwner.exitCode}: ${asOwner.stderr.trim().slice(0, 200)}`}`);
      }
      // Docker gives every process of a container its GroupAdd groups, `docker exec --user` ones too:
      // where the container joins the file's group, any user reads it through that group, so a
      // stranger's `cat` proves nothing there; the mode (no bits for others, checked above) does.
      if (joinsGroup(groupAdd, file.gid)) {
        groupRead.push(`${container.name} (group ${file.gid})`);
        problems.push(...issues.map((issue) => `${container.name}: ${issue}`));
        checked.push(`${container.name}:${path} ${file.uid}:${file.gid} ${octal(file.mode)}`);
        continue;
      }
      const stranger = STRANGER.uid === user.uid ? { uid: STRANGER.uid + 1, gid: STRANGER.gid + 1 } : STRANGER;
      const asStranger = await exec(ctx.docker, container.name, ["cat", path], { user: `${stranger.uid}:${stranger.gid}`, discardStdout: true, timeoutMs: 15_000 });
      if (asStranger.exitCode === 0) issues.push(`${path}: readable by uid ${stranger.uid}:${stranger.gid}, a user that is not the service's`);
      // 126/127: the runtime could not start `cat` at all, which proves nothing about the file.
      else if (asStranger.error || asStranger.exitCode === 126 || asStranger.exitCode === 127 || asStranger.exitCode === null) {
        issues.push(`${path}: \`cat\` as ${stranger.uid}:${stranger.gid} could not run (${asStranger.error ?? `exit ${asStranger.exitCode}`})`);
      }
      problems.push(...issues.map((issue) => `${container.name}: ${issue}`));
      checked.push(`${container.name}:${path} ${file.uid}:${file.gid} ${octal(file.mode)}`);
    }
  } catch (error) {
    // The archive API mounts the container's whole filesystem, bind mounts included: it is not used
    // on a container that binds the host's / (cAdvisor, node exporter; verify/docker.ts
    // hostTreeBinds), and it may fail on a host with very many mounts ("no space left on
    // device"). Then ask the container itself whether it holds any secret file.
    const reason = (error as Error).message.trim();
    const listed = await exec(ctx.docker, container.name, ["ls", "-A", SECRETS_DIR], { timeoutMs: 15_000 });
    // Empty, or absent (busybox and coreutils ls exit 1 or 2 saying so); 126/127 or an error prove nothing.
    const emptyOrAbsent = (listed.exitCode === 0 && listed.stdout.trim() === "") || ((listed.exitCode === 1 || listed.exitCode === 2) && /no such file|can't access|cannot access/i.test(listed.stderr));
    const none = !listed.error && emptyOrAbsent && secretPathsFromEnv(container.info.Config.Env ?? []).length === 0;
    if (none) notes.push(`${container.name} has no secret file (\`ls -A ${SECRETS_DIR}\`: the archive API failed: ${reason.slice(0, 120)})`);
    else unreadable.push(`${container.name}: the Docker API failed while its files were read (${reason}), and \`ls -A ${SECRETS_DIR}\` ${listed.error ? `could not run: ${listed.error}` : `lists ${listed.stdout.trim().split(/\s+/).join(", ") || "nothing"}`}`);
  }
  return found;
}

/** fn over items, at most `limit` at a time; results in the items' order. */
async function mapAtMost<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function checkSecretFiles(ctx: VerifyContext): Promise<CheckOutcome> {
  const containers = await ctx.containers();
  const lookedAt = `${SECRETS_DIR} and every *_FILE path in the ${containers.length} stack containers (owner and mode through the archive API; \`cat\` as the service's user and as uid ${STRANGER.uid}), and every container's environment`;
  if (containers.length === 0) return fail(lookedAt, `no container carries the label ${STACK_LABEL}=${ctx.stack}`);
  const problems: string[] = [];
  const checked: string[] = [];
  const notes: string[] = [];
  const unreadable: string[] = [];
  // Containers whose processes all join their secret files' group: no stranger can be tested there.
  const groupRead = new Set<string>();
  // The contents of every secret file of the stack, by where they were found: no environment may hold one.
  const contents: Record<string, string> = {};
  const running = containers.filter((c) => c.info.State.Running);
  for (const container of containers) {
    if (!container.info.State.Running) problems.push(`${container.name}: not running, its secret files cannot be tested`);
  }
  for (const found of await mapAtMost(running, CONTAINERS_AT_ONCE, (container) => inspectContainer(ctx, container))) {
    problems.push(...found.problems);
    checked.push(...found.checked);
    notes.push(...found.notes);
    unreadable.push(...found.unreadable);
    for (const name of found.groupRead) groupRead.add(name);
    Object.assign(contents, found.contents);
  }
  // Secrets are files, never environment values (docker inspect shows every variable).
  for (const container of containers) {
    for (const leak of secretsInEnv(container.info.Config.Env ?? [], contents)) problems.push(`${container.name}: ${leak.replace(" holds ", " holds the content of ")}; deliver it as a file`);
  }
  const also = [...unreadable, ...notes];
  if (problems.length) return fail(lookedAt, `${problems.length} secret-file problem(s): ${problems.join("; ")}${also.length ? ` (also: ${also.join("; ")})` : ""}`);
  if (checked.length === 0 && unreadable.length) return cannotRun(lookedAt, `${unreadable.join("; ")}${notes.length ? `; ${notes.join("; ")}` : ""}`, "look by hand: `docker exec <container> ls -ln /run/secrets`");
  if (checked.length === 0) return fail(lookedAt, `no container of ${containers.length} has a secret file under ${SECRETS_DIR} or named by a *_FILE variable; the stack uploads several`);
  const groupNote = groupRead.size ? `; not read as uid ${STRANGER.uid} in ${[...groupRead].join(", ")}: every process there joins the files' group (HostConfig.GroupAdd), so their mode keeps other users out` : "";
  const summary = `${checked.length} secret files owned by their service's user, unreadable by others, in no environment: ${checked.join(", ")}${groupNote}${notes.length ? `; ${notes.join("; ")}` : ""}`;
  if (unreadable.length) return cannotRun(lookedAt, `${unreadable.join("; ")}; the rest passed: ${summary}`, "look by hand: `docker exec <container> ls -ln /run/secrets`; the archive API fails when a container binds the host's / on a host with very many mounts");
  return ok(lookedAt, summary);
}
