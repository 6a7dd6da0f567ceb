// Secrets: none in the environment (unless as a `*_FILE` path), generated passwords of 32+
// characters, secret files readable only by the service's own user.
import { CREDENTIAL_NAME, FILE_SUFFIX, SECRET_FILE_MODES, THRESHOLDS, TYPES, URL_WITH_PASSWORD } from "./facts";
import { IMAGE_KEYS, IMAGES, type ImageKey } from "../facts/images";
import { LABELS } from "./facts";
import { envEntries, known, label, uploads, UNKNOWN, type Props } from "./read";
import type { ResourceEntry } from "./types";

const SECRETS_CHECKLIST = "Secrets: Anthropic API key, MCP JWT secret, MongoDB passwords (different per environment), Grafana admin password, Slack and PagerDuty keys: none default, none in plain text";

export const envNoCredentials: ResourceEntry = {
  kind: "resource",
  name: "secrets-not-in-environment",
  why: "An environment variable is visible to `docker inspect`, to every process in the container and to crash dumps; secrets are files (`*_FILE`).",
  checklist: SECRETS_CHECKLIST,
  types: [TYPES.container],
  validate(_ctx, { props }, report) {
    for (const entry of envEntries(props)) {
      // Unknown during preview (it interpolates a computed value): checked again at `pulumi up`.
      if (entry.raw === UNKNOWN) continue;
      // Offline a secret entry hides its name; in the engine the same entry is plaintext and the
      // rules below see its name and value. Either way: a secret value in the environment.
      if (entry.secret) {
        report("an environment entry holds a Pulumi secret: deliver it as a file under /run/secrets and pass its path in a *_FILE variable");
        continue;
      }
      const key = entry.key ?? "";
      if (FILE_SUFFIX.test(key)) continue;
      if (CREDENTIAL_NAME.test(key)) report(`${key} looks like a credential in the environment; deliver it as a file and set ${key}_FILE`);
      else if (URL_WITH_PASSWORD.test(entry.value ?? "")) report(`${key} holds a URL with a password in it; deliver it as a file and set ${key}_FILE`);
    }
  },
};

export const passwordLength: ResourceEntry = {
  kind: "resource",
  name: "secrets-password-length",
  why: `A generated password shorter than ${THRESHOLDS.minPasswordLength} characters is within reach of an offline guess.`,
  checklist: "MCP JWT secret generated (non-default); MongoDB passwords changed from defaults",
  types: [TYPES.randomPassword],
  validate(_ctx, { props }, report) {
    const length = known(() => props.length as number);
    if (length === UNKNOWN) return;
    if (!(typeof length === "number" && length >= THRESHOLDS.minPasswordLength)) {
      report(`length is ${length}; expected >= ${THRESHOLDS.minPasswordLength}`);
    }
  },
};

/**
 * The container's effective `Config.User`: its `user`, else the USER line of its image when the
 * image-key label names a catalog entry ("" for none), else undefined (not known here).
 */
function configUser(props: Props): string | undefined {
  const user = known(() => props.user);
  if (user === UNKNOWN) return undefined;
  if (typeof user === "string" && user !== "") return user;
  const key = label(props, LABELS.imageKey);
  return key && (IMAGE_KEYS as readonly string[]).includes(key) ? IMAGES[key as ImageKey].imageUser.value : undefined;
}

/** The primary gid of a `uid:gid` user (or of the catalog's reader), when numeric. */
function primaryGid(props: Props, user: string): string | undefined {
  const gid = user.split(":")[1];
  if (gid !== undefined) return /^\d+$/.test(gid) ? gid : undefined;
  const key = label(props, LABELS.imageKey);
  return key && (IMAGE_KEYS as readonly string[]).includes(key) ? String(IMAGES[key as ImageKey].user.value.gid) : undefined;
}

export const secretFilePermissions: ResourceEntry = {
  kind: "resource",
  name: "secrets-file-owner-only",
  why:
    "A secret file must be readable by the service's own user (and root) and nobody else. With an upload owner or group the Docker daemon chowns the file to the container's user as the HOST resolves it (Docker 20.10 fails the upload for a numeric uid:gid user) and keeps the tar's owner only for a container without a user; without them the file lands 0:0. " +
    `So: ${SECRET_FILE_MODES.owned} owned by the reader's uid:gid when the container has no user, else ${SECRET_FILE_MODES.rootGroup} root:root read through group 0 (components/secretDelivery.ts).`,
  checklist: "Access restricted to enrichment service; Key stored in secret manager",
  types: [TYPES.container],
  validate(_ctx, { props }, report) {
    const secrets = uploads(props).filter((u) => u.secret);
    if (secrets.length === 0) return;
    if (props.swarm === true) {
      // A swarm mounts a secret with the uid, gid and mode it is given (no daemon chown): 0400 owned by the reader.
      for (const upload of secrets) {
        const problems: string[] = [];
        if (upload.permissions !== SECRET_FILE_MODES.owned) problems.push(`mode ${JSON.stringify(upload.permissions ?? "(default 0444)")}, expected ${SECRET_FILE_MODES.owned}`);
        if (!upload.owner || !/^\d+$/.test(upload.owner) || !upload.group || !/^\d+$/.test(upload.group)) problems.push(`owner ${upload.owner ?? "(unset: 0)"}:${upload.group ?? "(unset: 0)"}, expected the reader's numeric uid:gid`);
        if (problems.length) report(`secret ${upload.file}: ${problems.join("; ")}`);
      }
      return;
    }
    const user = configUser(props);
    const groupAdds = known(() => props.groupAdds as string[] | undefined);
    const inGroupRoot = user !== undefined && user !== "" && (primaryGid(props, user) === "0" || (groupAdds !== UNKNOWN && Array.isArray(groupAdds) && groupAdds.map(String).includes("0")));
    for (const upload of secrets) {
      const problems: string[] = [];
      if (user === "") {
        if (upload.permissions !== SECRET_FILE_MODES.owned) problems.push(`permissions ${JSON.stringify(upload.permissions ?? "(default 0644)")}, expected ${SECRET_FILE_MODES.owned} (the container has no user: its reader owns the file)`);
        if (!upload.owner || !/^\d+$/.test(upload.owner)) problems.push(`owner ${JSON.stringify(upload.owner ?? "(unset: lands 0:0)")}, expected the reader's numeric uid`);
        if (!upload.group || !/^\d+$/.test(upload.group)) problems.push(`group ${JSON.stringify(upload.group ?? "(unset: lands 0)")}, expected the reader's numeric gid`);
      } else {
        const who = user === undefined ? "a user this policy cannot see (no user, no catalog image)" : `user ${user}`;
        // The engine hands the pack the provider's checked inputs, where an unset owner reads "".
        if (upload.owner || upload.group) problems.push(`owner/group ${upload.owner ?? ""}:${upload.group ?? ""} is set, but the container runs as ${who}: the daemon then chowns to that user as the host resolves it (or fails the upload), so leave owner and group unset`);
        if (upload.permissions !== SECRET_FILE_MODES.rootGroup) problems.push(`permissions ${JSON.stringify(upload.permissions ?? "(default 0644)")}, expected ${SECRET_FILE_MODES.rootGroup} (root:root, read through group 0)`);
        if (!inGroupRoot) problems.push(`the container (${who}) is not in group 0: add groupAdds ["0"] so its user can read the 0440 root:root file`);
      }
      if (problems.length) report(`secret file ${upload.file}: ${problems.join("; ")}`);
    }
  },
};

export const SECRET_POLICIES = [envNoCredentials, passwordLength, secretFilePermissions];
