// The migrations (the seed's `npm run migrate:up`) as a one-shot step of the graph, after
// PostgreSQL is healthy (and after the pre-release snapshot) and before the MCP server:
//
//   ingestion-migrations  a container of the MCP server's own image that only idles: it holds the
//                         connection string as a file only its user reads, so the migration
//                         gets it the way the server does (secret-env.sh)
//   migrate               `docker exec <it> sh secret-env.sh npm run migrate:up`, replaced (so run
//                         again) only when the release's version or the MCP server's image changes
//
// The same mechanism as the other one-shot steps (the NSQ topic, model pulls, the pre-release
// snapshot: command.local.Command + docker exec, components/dockerCommand.ts). A failed migration
// fails `pulumi up` before the MCP server is registered, so the running server is not replaced and
// the previous release keeps serving. The migration tool must do nothing when nothing is pending
// (the seed's migrate:up records what it applied); running the step again is then a no-op.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { dockerEnvironment, dockerExec } from "../../components/dockerCommand";
import type { PlatformNetwork } from "../../components/network";
import { ConfigFile, PlatformContext, SecretFile, ServiceContainer } from "../../components/serviceContainer";
import { INGESTION_PLANE, MIGRATIONS_SERVICE } from "../../facts/ingestion";
import { LABEL_PREFIX } from "../../facts/services";
import { releaseLabels } from "../enrichment/wiring";
import { SECRET_ENV_PATH } from "./secretEnv";

export interface IngestionMigrationsArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  /** The release's ingestion-mcp-server image (the migrations ship with the server). */
  image: string;
  release: string;
  /** The migration command (ingestion.migrations.command). */
  command: string[];
  timeoutMinutes: number;
  /** The connection string as a secret file, and the wrapper that exports it. */
  secretFiles: SecretFile[];
  env: Record<string, pulumi.Input<string>>;
  files: ConfigFile[];
  memoryMb: number;
  cpus: number;
  /** A healthy PostgreSQL, and the snapshot taken before a release changes the schema. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** PID 1 of the migrations container: waits, and exits at once on `docker stop`. */
export const IDLE = ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

export class IngestionMigrations extends pulumi.ComponentResource {
  readonly container: ServiceContainer;
  readonly migrate: command.local.Command;
  /** `docker exec` command line that runs the migrations (the step's `create`, for people too). */
  readonly commandLine: string;

  constructor(name: string, args: IngestionMigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:ingestion:Migrations", name, {}, opts);
    if (args.command.length === 0) throw new Error(`IngestionMigrations ${name}: command must not be empty`);
    const secretPaths = args.secretFiles.map((file) => file.path);

    this.container = new ServiceContainer(
      MIGRATIONS_SERVICE,
      {
        context: args.context,
        network: args.network,
        service: MIGRATIONS_SERVICE,
        group: "ingestion",
        image: args.image,
        entrypoint: IDLE,
        env: args.env,
        secretFiles: args.secretFiles,
        files: args.files,
        // Healthy when the image's user can read every secret it will hand the migration.
        healthcheck: { test: ["CMD", "sh", "-c", secretPaths.map((p) => `test -r ${p}`).join(" && ") || "true"], intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 5 },
        waitTimeoutSeconds: 60,
        memoryMb: args.memoryMb,
        cpus: args.cpus,
        ...releaseLabels({ version: args.release, track: "stable" }),
        labels: { ...releaseLabels({ version: args.release, track: "stable" }).labels, [`${LABEL_PREFIX}.plane`]: INGESTION_PLANE },
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );

    this.commandLine = dockerExec(this.container.containerName, ["sh", SECRET_ENV_PATH, ...args.command]);
    this.migrate = new command.local.Command(
      "migrate",
      {
        create: this.commandLine,
        environment: dockerEnvironment(args.context.dockerHost),
        // Once per release: the version, and the image that carries the migrations.
        triggers: [args.release, args.image],
      },
      { parent: this, dependsOn: [this.container, ...args.dependsOn], customTimeouts: { create: `${args.timeoutMinutes}m` } },
    );

    this.registerOutputs({ commandLine: this.commandLine });
  }
}
