// `npm run restore -- --stack <stack> [--archive <name> | --before-release <version>] [--apply]`:
// restores a backup archive into the scratch database first, compares per-collection document
// counts and index definitions of the scratch database with the archive's, prints the table, and
// only with --apply (and only when everything matched) replaces the live database. Runs the
// backup container's restore.sh through `docker exec` against the stack's Docker host.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { scratchDatabase } from "../config/backup";
import { BACKUP_PATHS, BACKUP_SERVICE } from "../facts/backupPaths";
import { badUsage, EXIT, Io, runCommand, UsageError } from "./cli";
import { RESTORE } from "./restore.usage";
import { ArchiveFormatError, compareSummaries, renderComparison, summarizeArchive } from "./restoreArchive";
import { loadStack, stackFilePath } from "./stackEdit";

// The flags live in restore.usage.ts (light: scripts/ parse with it before loading this module).
export { RESTORE_USAGE } from "./restore.usage";

/** Runs the backup container's restore.sh; the seam tests replace. */
export interface BackupExec {
  /** stdout as a stream of chunks; rejects with the command's stderr when it exits non-zero. */
  stream(args: string[]): AsyncIterable<Buffer>;
  text(args: string[]): Promise<string>;
}

export class DockerUnreachable extends Error {}
/** restore.sh ran and failed (a mongorestore error, a missing restore user, ...). */
export class BackupCommandFailed extends Error {}

export function dockerBackupExec(container: string, dockerHost: string): BackupExec {
  const command = ["exec", container, `${BACKUP_PATHS.bin}/restore.sh`];
  const env = { ...process.env, DOCKER_HOST: process.env.DOCKER_HOST ?? dockerHost };
  async function* stream(args: string[]): AsyncIterable<Buffer> {
    const child = spawn("docker", [...command, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((resolve, reject) => {
      child.on("error", (error) => reject(new DockerUnreachable(`cannot run docker: ${error.message}`)));
      child.on("close", (code) => resolve(code ?? 1));
    });
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) {
      const message = `docker exec ${container} restore.sh ${args.join(" ")} exited ${code}: ${stderr.trim().split("\n").slice(-5).join(" | ")}`;
      if (/Cannot connect to the Docker daemon|No such container|is not running|error during connect/i.test(stderr)) throw new DockerUnreachable(message);
      throw new BackupCommandFailed(message);
    }
  }
  return {
    stream,
    async text(args) {
      const chunks: Buffer[] = [];
      for await (const chunk of stream(args)) chunks.push(chunk);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

/** A release version as archive names carry it (lib.sh release_label). */
export const releaseLabel = (version: string) => version.replace(/[^A-Za-z0-9._]/g, "_").slice(0, 64);

/** The newest archive named for a release (the snapshot taken just before it was deployed). */
export function snapshotFor(archives: string[], version: string): string | undefined {
  const label = releaseLabel(version);
  return archives.filter((name) => new RegExp(`^pre-release-${label.replace(/[.]/g, "\\.")}-\\d{8}T\\d{6}Z\\.archive\\.gz$`).test(name)).sort().pop();
}

/** What `npm run rollback` prints about the snapshot taken before the release it rolls back. */
export function rollbackSnapshotHint(stack: string, fromVersion: string): string {
  return [
    `Data: the backup service took a verified snapshot before ${fromVersion} was deployed (pre-release-${releaseLabel(fromVersion)}-<time>.archive.gz).`,
    `If ${fromVersion} changed data that the older release cannot read, restore it after the rollback:`,
    `  npm run restore -- --stack ${stack} --before-release ${fromVersion}           # scratch restore and comparison`,
    `  npm run restore -- --stack ${stack} --before-release ${fromVersion} --apply   # then replace the live database`,
  ].join("\n");
}

export async function runRestore(argv: string[], io: Io, execFor?: (container: string, dockerHost: string) => BackupExec): Promise<number> {
  return runCommand(io, RESTORE, argv, async ({ values }) => {
    if (!values.stack) throw badUsage("--stack is required");
    if (values.dir && values["stack-file"]) throw badUsage("give --dir or --stack-file, not both");
    if (values.archive && values["before-release"]) throw badUsage("give --archive or --before-release, not both");
    const file = values["stack-file"] ? path.resolve(values["stack-file"]) : stackFilePath(path.resolve(values.dir ?? "."), values.stack);
    const { settings } = loadStack(values.stack, file);
    if (!settings.backup.enabled) throw new UsageError(`${file}: enrichment:backup.enabled is false: this stack has no backup service`);
    const prefix = settings.namePrefix ?? values.stack;
    const container = `${prefix}-${BACKUP_SERVICE}`;
    const exec = (execFor ?? dockerBackupExec)(container, settings.docker.host);

    try {
      const archives = (await exec.text(["list"])).split("\n").filter(Boolean);
      if (values.list) {
        io.out(archives.length ? archives.join("\n") : "(no archives)");
        return EXIT.ok;
      }
      let archive: string | undefined;
      if (values.archive) {
        archive = values.archive;
        if (!archives.includes(archive)) throw new UsageError(`no archive ${archive} on ${container}'s backup volume (npm run restore -- --stack ${values.stack} --list shows what there is)`);
      } else if (values["before-release"]) {
        archive = snapshotFor(archives, values["before-release"]);
        if (!archive) throw new UsageError(`no snapshot taken before release ${values["before-release"]} on ${container} (pre-release-${values["before-release"]}-*.archive.gz)`);
      } else {
        archive = archives[0];
        if (!archive) throw new UsageError(`${container} has no archive yet`);
      }

      const scratch = scratchDatabase(settings.backup, settings.mongodb.database);
      io.out(`Archive ${archive}: reading its collections and indexes.`);
      const expected = await summarizeArchive(exec.stream(["cat", archive]));
      io.out(`Restoring it into the scratch database ${scratch} (the live database ${settings.mongodb.database} is not touched).`);
      await exec.text(["scratch", archive]);
      const restored = await summarizeArchive(exec.stream(["export-scratch"]));
      const comparison = compareSummaries(expected, restored);
      io.out(renderComparison(comparison));
      if (!comparison.ok) {
        io.out(`\nThe scratch restore does not match the archive: nothing was applied.`);
        return EXIT.failed;
      }
      if (!values.apply) {
        io.out(`\nThe scratch restore matches the archive. To replace the live database with it:`);
        io.out(`  npm run restore -- --stack ${values.stack} --archive ${archive} --apply`);
        return EXIT.ok;
      }
      io.out(`\nReplacing the collections of ${settings.mongodb.database} with ${archive} (a pre-restore dump is taken first).`);
      const safety = (await exec.text(["apply", archive])).trim().split("\n").pop();
      io.out(`Restored. The live database as it was before: ${safety} (npm run restore -- --stack ${values.stack} --archive ${safety} --apply undoes this).`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof DockerUnreachable) {
        io.err(`error: ${error.message}`);
        io.err(`  is the stack deployed and the Docker host (${process.env.DOCKER_HOST ?? settings.docker.host}) reachable? Nothing was restored.`);
        return EXIT.unreachable;
      }
      if (error instanceof BackupCommandFailed) {
        io.err(`error: ${error.message}`);
        return EXIT.failed;
      }
      if (error instanceof ArchiveFormatError) throw new UsageError(`the archive could not be read: ${error.message}`);
      throw error;
    }
  });
}
