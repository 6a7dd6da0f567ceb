// Secrets: none in the environment (unless as a `*_FILE` path), generated passwords of 32+
// characters, secret files readable only by the service's own user.
import { CREDENTIAL_NAME, FILE_SUFFIX, SECRET_FILE_MODES, THRESHOLDS, TYPES, URL_WITH_PASSWORD } from "./facts";
import { envEntries, known, uploads, UNKNOWN } from "./read";
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

/** "uid[:gid]" from a container's `user`, when both parts are numeric. */
function numericUser(user: unknown): { uid?: string; gid?: string } | undefined {
  if (typeof user !== "string" || user === "") return undefined;
  const [uid, gid] = user.split(":");
  return { uid: /^\d+$/.test(uid) ? uid : undefined, gid: gid !== undefined && /^\d+$/.test(gid) ? gid : undefined };
}

export const secretFilePermissions: ResourceEntry = {
  kind: "resource",
  name: "secrets-file-owner-only",
  why: "A secret file must be readable by the service's own user and nobody else. Docker writes uploads as 0:0, so without an explicit owner a 0440 file is unreadable by a service that runs as 999 (measured) and readable by any root process.",
  checklist: "Access restricted to enrichment service; Key stored in secret manager",
  types: [TYPES.container],
  validate(_ctx, { props }, report) {
    const user = numericUser(known(() => props.user));
    for (const upload of uploads(props)) {
      if (!upload.secret) continue;
      const problems: string[] = [];
      if (!upload.permissions || !(SECRET_FILE_MODES as readonly string[]).includes(upload.permissions)) {
        problems.push(`permissions ${JSON.stringify(upload.permissions ?? "(default 0644)")}, expected ${SECRET_FILE_MODES.join(" or ")}`);
      }
      if (!upload.owner || !/^\d+$/.test(upload.owner)) problems.push(`owner ${JSON.stringify(upload.owner ?? "(unset: lands 0:0)")}, expected the service's numeric uid`);
      else if (user?.uid && upload.owner !== user.uid) problems.push(`owner ${upload.owner} is not the container's user ${user.uid}`);
      if (upload.permissions === "0440") {
        if (!upload.group || !/^\d+$/.test(upload.group)) problems.push(`group ${JSON.stringify(upload.group ?? "(unset: lands 0)")}, expected the service's numeric gid (the file is group-readable)`);
        else if (user?.gid && upload.group !== user.gid) problems.push(`group ${upload.group} is not the container's group ${user.gid}`);
      }
      if (problems.length) report(`secret file ${upload.file}: ${problems.join("; ")}`);
    }
  },
};

export const SECRET_POLICIES = [envNoCredentials, passwordLength, secretFilePermissions];
