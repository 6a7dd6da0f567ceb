// How the platform builds the backups from their values (platform/values.ts): the users'
// passwords (before MongoDB, whose init script creates the users), then the MongoBackup component
// once MongoDB is healthy.
import type * as pulumi from "@pulumi/pulumi";
import type { MongoDatabase } from "../data/mongodb";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/context";
import { MongoBackup, MongoBackupArgs } from "./index";
import { BackupCredentials, BackupUsers, managedUri } from "../data/backupUsers";

/** What the stack says about its backups (platform/values.ts maps it). */
export interface BackupValues {
  /** MongoDB is managed here: its init creates the backup users from generated passwords. */
  managed: boolean;
  users: { backup: string; restore: string; scratchDatabase: string };
  /** MongoBackup's arguments that come from the stack. */
  args: Omit<MongoBackupArgs, "context" | "network" | "backupUri" | "restoreUri" | "dependsOn">;
  /** An external MongoDB: the stack's URIs (Pulumi secrets). */
  externalUris?: { backup: pulumi.Input<string>; restore?: pulumi.Input<string> };
}

/** The generated passwords, for a managed MongoDB with backups enabled. */
export function backupCredentialsFor(values: BackupValues | undefined, opts: pulumi.ComponentResourceOptions): BackupCredentials | undefined {
  if (!values?.managed) return undefined;
  return new BackupCredentials("backup-credentials", {}, opts);
}

/** The users MongoDatabase's init creates (managed mode). */
export function backupUsersFor(values: BackupValues | undefined, credentials: BackupCredentials | undefined): BackupUsers | undefined {
  if (!values || !credentials) return undefined;
  return {
    backup: { user: values.users.backup, password: credentials.backupPassword },
    restore: { user: values.users.restore, password: credentials.restorePassword },
    scratchDatabase: values.users.scratchDatabase,
  };
}

export interface BackupDeps {
  context: PlatformContext;
  network: PlatformNetwork;
  mongodb: MongoDatabase;
  credentials?: BackupCredentials;
}

export function createBackup(values: BackupValues | undefined, deps: BackupDeps, opts: pulumi.ComponentResourceOptions): MongoBackup | undefined {
  if (!values) return undefined;
  if (values.managed && !deps.credentials) throw new Error("createBackup: a managed MongoDB needs the backup credentials (backupCredentialsFor)");
  return new MongoBackup(
    "backup",
    {
      context: deps.context,
      network: deps.network,
      ...values.args,
      backupUri: values.managed ? managedUri(values.users.backup, deps.credentials!.backupPassword) : values.externalUris!.backup,
      restoreUri: values.managed ? managedUri(values.users.restore, deps.credentials!.restorePassword) : values.externalUris?.restore,
      dependsOn: deps.mongodb.server ? [deps.mongodb.server] : [],
    },
    opts,
  );
}
