// `npm run restore`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (scripts/restore.ts answers --help and usage errors with it before it loads release/restore.ts).
import { defineCommand, EXIT_TABLE } from "./cli";

export const RESTORE_USAGE = `Usage: npm run restore -- --stack <stack> [options]

Restores a MongoDB backup archive into the stack's scratch database (<database>_restore_test by
default), compares every collection's document count and index definitions with the archive's,
and prints them as a table. Only with --apply, and only when everything matched, it then takes a
pre-restore dump of the live database and replaces the live collections with the archive's.

Options:
  --stack <stack>             the stack (e.g. production)
  --archive <name>            the archive to restore (default: the newest); see --list
  --before-release <version>  the snapshot taken before that release was deployed (npm run rollback prints it)
  --apply                     after a matching scratch restore, replace the live database
  --list                      list the archives on the backup volume, newest first, and stop
  --dir <directory>           where Pulumi.<stack>.yaml is (default: current directory)
  --stack-file <file>         the stack file itself (instead of --dir)
  -h, --help                  show this help

The Docker host is the stack's enrichment:docker.host (DOCKER_HOST overrides it); the docker CLI
must be on PATH.

${EXIT_TABLE}
Here: 1 means the scratch restore did not match the archive (nothing was applied).`;

export const RESTORE = defineCommand({
  usage: RESTORE_USAGE,
  options: {
    stack: { type: "string" },
    archive: { type: "string" },
    "before-release": { type: "string" },
    apply: { type: "boolean", default: false },
    list: { type: "boolean", default: false },
    dir: { type: "string" },
    "stack-file": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
