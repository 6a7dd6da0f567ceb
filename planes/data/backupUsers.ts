// The MongoDB users of the backups, least privilege first:
//   backup  : read on the application database (all a one-database mongodump needs) and readWrite
//             on the scratch database (the restore test restores there). It cannot write live data.
//   restore : readWrite on the application database; used only by `npm run restore -- --apply`.
// The built-in `backup` and `restore` roles are cluster-wide (every database, users and roles
// included); a dump of one database needs neither. Both users live in admin because they span
// two databases. Never root.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { SecretFile } from "../../components/serviceContainer";
import { PORTS } from "../../facts/services";

const SECRETS_DIR = "/run/secrets";
/** Its own init file, so it can be run alone on a volume that predates it (docs/backups.md). */
export const BACKUP_USERS_INIT_PATH = "/docker-entrypoint-initdb.d/20-backup-users.js";

export interface BackupUsers {
  backup: { user: string; password: pulumi.Input<string> };
  restore: { user: string; password: pulumi.Input<string> };
  scratchDatabase: string;
}

const PASSWORD_FILES = { backup: "mongodb-backup-password", restore: "mongodb-restore-password" } as const;

/** Password files the mongodb container receives for its init script. */
export function backupUserSecretFiles(users: BackupUsers): SecretFile[] {
  return [
    { path: `${SECRETS_DIR}/${PASSWORD_FILES.backup}`, content: users.backup.password },
    { path: `${SECRETS_DIR}/${PASSWORD_FILES.restore}`, content: users.restore.password },
  ];
}

/** The roles of each user, as createUser takes them. */
export function backupRoles(database: string, scratchDatabase: string) {
  return {
    backup: [
      { role: "read", db: database },
      { role: "readWrite", db: scratchDatabase },
    ],
    restore: [{ role: "readWrite", db: database }],
  };
}

/**
 * mongosh script that creates (or, run again, updates) both users from their password files; it
 * holds no secret. Idempotent, so an operator can run it on an existing volume.
 */
export function backupUsersInitScript(database: string, users: BackupUsers): string {
  const roles = backupRoles(database, users.scratchDatabase);
  return [
    "// Runs once on an empty data volume (docker-entrypoint-initdb.d); safe to run again by hand.",
    'const fs = require("fs");',
    `const read = (name) => fs.readFileSync("${SECRETS_DIR}/" + name, "utf8").trim();`,
    'const admin = db.getSiblingDB("admin");',
    "const ensure = (user, pwd, roles) => (admin.getUser(user) ? admin.updateUser(user, { pwd, roles }) : admin.createUser({ user, pwd, roles }));",
    `ensure(${JSON.stringify(users.backup.user)}, read(${JSON.stringify(PASSWORD_FILES.backup)}), ${JSON.stringify(roles.backup)});`,
    `ensure(${JSON.stringify(users.restore.user)}, read(${JSON.stringify(PASSWORD_FILES.restore)}), ${JSON.stringify(roles.restore)});`,
    "",
  ].join("\n");
}

/** URI of a user kept in admin, on the private network. */
export function managedUri(user: string, password: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.interpolate`mongodb://${encodeURIComponent(user)}:${password}@mongodb:${PORTS.mongodb}/?authSource=admin`);
}

/**
 * The generated passwords of the two users (Pulumi secrets from birth), created before the
 * MongoDB container that needs them. Same shape as components/secrets.ts entries.
 */
export class BackupCredentials extends pulumi.ComponentResource {
  readonly backupPassword: pulumi.Output<string>;
  readonly restorePassword: pulumi.Output<string>;

  constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:backup:Credentials", name, args, opts);
    const password = (resourceName: string) =>
      pulumi.secret(
        new random.RandomPassword(
          resourceName,
          { length: 40, special: false, minLower: 2, minUpper: 2, minNumeric: 2 },
          { parent: this, additionalSecretOutputs: ["result"] },
        ).result,
      );
    this.backupPassword = password(PASSWORD_FILES.backup);
    this.restorePassword = password(PASSWORD_FILES.restore);
    this.registerOutputs({});
  }
}
