// MongoDB: a managed container with auth, a protected data volume and generated root and
// application passwords, or an external MongoDB whose URI is a stack secret.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformNetwork } from "../../components/network";
import { IMAGES } from "../../facts/images";
import type { PlatformContext } from "../../components/context";
import { deployService, PlatformService, stateVolume } from "../../components/deploy";
import { PORTS } from "../../facts/services";
import { BACKUP_USERS_INIT_PATH, BackupUsers, backupUsersInitScript, backupUserSecretFiles } from "./backupUsers";

export interface MongoDatabaseArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  mode: "managed" | "external";
  database: string;
  appUser: string;
  image: string;
  memoryMb: number;
  cpus: number;
  waitTimeoutSeconds: number;
  /** Managed mode: generated passwords (Pulumi secrets). */
  rootPassword?: pulumi.Input<string>;
  appPassword?: pulumi.Input<string>;
  /** Managed mode: password of the read-only monitoring user (clusterMonitor) for the exporter. */
  monitorPassword?: pulumi.Input<string>;
  /** Managed mode: the loopback host port the index reconciler connects through. */
  adminPublish?: { address: string; port: number };
  /** Address the Pulumi host uses to reach the admin port. */
  adminHost: string;
  /** External mode: the URI (a Pulumi secret). */
  externalUri?: pulumi.Input<string>;
  /** Managed mode: the backup users (planes/data/backupUsers.ts), created by their own init script. */
  backupUsers?: BackupUsers;
}

const SECRETS_DIR = "/run/secrets";

export const MONITOR_USER = "monitor";

/** Outside /docker-entrypoint-initdb.d: the entrypoint must not run it. */
export const HEALTH_SCRIPT_PATH = "/etc/enrichment/mongodb-health.js";

/**
 * The healthcheck (mongosh, no shell needed), run as `mongosh --host <service>`: the service's own
 * name resolves to the container's private-network address. The mongo entrypoint initialises an
 * empty volume with a temporary mongod bound to 127.0.0.1 only and without --auth
 * (facts/images.ts), and a bare ping on 127.0.0.1 answers from it. This check cannot: it
 * connects through the non-loopback address (the init mongod does not listen there) and requires
 * authorization to be enforced (an unauthenticated listDatabases refused). The final server starts
 * only once the init scripts (the users) succeeded, so healthy means the users exist.
 */
export function healthScript(): string {
  return [
    "// Exit 0 only for the final mongod (see planes/data/mongodb.ts healthScript).",
    "let enforced = false;",
    "try {",
    "  db.adminCommand({ listDatabases: 1 });",
    "} catch (error) {",
    "  enforced = /requires authentication|Unauthorized/.test(String((error && error.message) || error));",
    "}",
    "quit(enforced && db.adminCommand({ ping: 1 }).ok === 1 ? 0 : 1);",
    "",
  ].join("\n");
}

/**
 * Creates the application user (readWrite + dbAdmin, for the index reconciler) and the monitoring
 * user (clusterMonitor, for mongodb_exporter) from password files, so the script holds no secret.
 */
export function appUserInitScript(database: string, appUser: string): string {
  const db = JSON.stringify(database);
  return [
    "// Runs once, on an empty data volume (docker-entrypoint-initdb.d), under mongosh.",
    'const fs = require("fs");',
    `const read = (name) => fs.readFileSync("${SECRETS_DIR}/" + name, "utf8").trim();`,
    `db.getSiblingDB(${db}).createUser({`,
    `  user: ${JSON.stringify(appUser)},`,
    '  pwd: read("mongodb-app-password"),',
    `  roles: [{ role: "readWrite", db: ${db} }, { role: "dbAdmin", db: ${db} }],`,
    "});",
    'db.getSiblingDB("admin").createUser({',
    `  user: ${JSON.stringify(MONITOR_USER)},`,
    '  pwd: read("mongodb-monitor-password"),',
    '  roles: [{ role: "clusterMonitor", db: "admin" }, { role: "read", db: "local" }],',
    "});",
    "",
  ].join("\n");
}

export class MongoDatabase extends pulumi.ComponentResource {
  /** URI for services on the private network; a Pulumi secret. */
  readonly connectionUri: pulumi.Output<string>;
  /** URI the Pulumi host uses (index reconciler); a Pulumi secret. */
  readonly adminUri: pulumi.Output<string>;
  /** URI of the read-only monitoring user, for mongodb_exporter; a Pulumi secret. */
  readonly monitoringUri: pulumi.Output<string>;
  readonly database: string;
  /** The managed container (wait for it to be healthy), or undefined for an external MongoDB. */
  readonly server?: PlatformService;
  readonly dataVolume?: docker.Volume;
  readonly configVolume?: docker.Volume;

  constructor(name: string, args: MongoDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:data:MongoDatabase", name, {}, opts);
    this.database = args.database;

    if (args.mode === "external") {
      if (!args.externalUri) throw new Error("MongoDatabase: external mode needs externalUri (enrichment:mongodbExternalUri)");
      this.connectionUri = pulumi.secret(args.externalUri);
      this.adminUri = this.connectionUri;
      this.monitoringUri = this.connectionUri;
      this.registerOutputs({});
      return;
    }

    if (!args.rootPassword || !args.appPassword || !args.monitorPassword) {
      throw new Error("MongoDatabase: managed mode needs rootPassword, appPassword and monitorPassword");
    }
    if (!args.adminPublish) {
      throw new Error("MongoDatabase: managed mode needs a loopback port for the index reconciler: set enrichment:exposure.publish.mongodb");
    }

    const { context } = args;
    this.dataVolume = stateVolume("mongodb-data", { context, protect: context.protectState, role: "data" }, { parent: this });
    this.configVolume = stateVolume("mongodb-configdb", { context, protect: context.protectState, role: "data" }, { parent: this });

    this.server = deployService(
      "mongodb",
      {
        context,
        network: args.network,
        service: "mongodb",
        group: "data",
        image: args.image,
        imageKey: "mongodb",
        // The health script checks for exactly these two options.
        command: ["--auth", "--bind_ip_all"],
        env: { MONGO_INITDB_ROOT_USERNAME: "root", MONGO_INITDB_DATABASE: args.database },
        secretFiles: [
          { path: `${SECRETS_DIR}/mongodb-root-password`, content: args.rootPassword, envVar: "MONGO_INITDB_ROOT_PASSWORD_FILE" },
          { path: `${SECRETS_DIR}/mongodb-app-password`, content: args.appPassword },
          { path: `${SECRETS_DIR}/mongodb-monitor-password`, content: args.monitorPassword },
          ...(args.backupUsers ? backupUserSecretFiles(args.backupUsers) : []),
        ],
        files: [
          { path: `${IMAGES.mongodb.paths.initdb.value}/10-app-user.js`, content: appUserInitScript(args.database, args.appUser) },
          { path: HEALTH_SCRIPT_PATH, content: healthScript() },
          ...(args.backupUsers ? [{ path: BACKUP_USERS_INIT_PATH, content: backupUsersInitScript(args.database, args.backupUsers) }] : []),
        ],
        healthcheck: {
          // The service name, not 127.0.0.1: the entrypoint's init mongod listens only on loopback.
          test: ["CMD", "mongosh", "--quiet", "--norc", "--host", "mongodb", "--port", String(PORTS.mongodb), HEALTH_SCRIPT_PATH],
          intervalSeconds: 10,
          timeoutSeconds: 10,
          retries: 6,
          startPeriodSeconds: 40,
        },
        waitTimeoutSeconds: args.waitTimeoutSeconds,
        memoryMb: args.memoryMb,
        cpus: args.cpus,
        ports: [{ internal: PORTS.mongodb, external: args.adminPublish.port, address: args.adminPublish.address }],
        // Where its volumes are (a swarm).
        placement: "data",
        volumes: [
          { volume: this.dataVolume, containerPath: IMAGES.mongodb.paths.data.value },
          // Also a VOLUME of the image: without a named volume each replacement leaks an anonymous one.
          { volume: this.configVolume, containerPath: IMAGES.mongodb.paths.configdb.value },
        ],
      },
      { parent: this },
    );

    const user = encodeURIComponent(args.appUser);
    const db = encodeURIComponent(args.database);
    this.connectionUri = pulumi.secret(
      pulumi.interpolate`mongodb://${user}:${args.appPassword}@mongodb:${PORTS.mongodb}/${db}?authSource=${db}`,
    );
    this.adminUri = pulumi.secret(
      pulumi.interpolate`mongodb://${user}:${args.appPassword}@${args.adminHost}:${args.adminPublish.port}/${db}?authSource=${db}&directConnection=true`,
    );
    this.monitoringUri = pulumi.secret(
      pulumi.interpolate`mongodb://${MONITOR_USER}:${args.monitorPassword}@mongodb:${PORTS.mongodb}/admin?authSource=admin`,
    );

    this.registerOutputs({});
  }
}
