#!/bin/sh
# One MongoDB backup run: mongodump to a temporary name, verify the archive, rename it into place,
# record its per-collection counts, apply retention, publish the outcome. A failed run leaves every
# existing archive as it was and says "failed" in the metrics. The run itself is lib.sh's dump_main;
# this file is what MongoDB's differs in: the dump, its verification and its counts (engine_dump).
#
#   dump.sh daily                  the scheduled dump (scheduler.sh)
#   dump.sh pre-release <release>  the snapshot before a release (snapshot.sh); prints its name
#   dump.sh pre-restore            the safety copy restore.sh apply takes before it replaces data
set -u
. "${0%/*}/lib.sh"
: "${BACKUP_MONGO_CONFIG:?BACKUP_MONGO_CONFIG is not set}"

engine_items=collections
# mongo-tools read the URI (with its password) from a --config file, so it never shows in `ps`.
config_arg="--config=$BACKUP_MONGO_CONFIG"

engine_dump() { # PARTIAL LOG
  # --archive to a file (not stdout), so a failure can never leave a truncated file under the final name.
  # mongodump waits for an unreachable server without end and shrugs off the first SIGTERM
  # (measured): bounded by `timeout`, killed 60 s after.
  timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "$BACKUP_TOOL_TIMEOUT_SECONDS" mongodump "$config_arg" --db="$BACKUP_DATABASE" --archive="$1" --gzip >"$2" 2>&1 ||
    dump_fail "mongodump exited $? ($(tail -n 1 "$2")) (after at most ${BACKUP_TOOL_TIMEOUT_SECONDS}s)"
  [ -s "$1" ] || dump_fail "mongodump wrote no archive"

  # Verify: gzip checks every block's CRC; mongorestore --dryRun reads the archive's prelude (every
  # namespace and its metadata) without writing anything.
  gzip -t "$1" 2>>"$2" || dump_fail "the archive is not valid gzip"
  timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "$BACKUP_TOOL_TIMEOUT_SECONDS" mongorestore "$config_arg" --archive="$1" --gzip --dryRun --nsInclude="$BACKUP_DATABASE.*" >>"$2" 2>&1 ||
    dump_fail "mongorestore --dryRun could not read the archive"

  # Counts per collection, as mongodump reported them: "done dumping <db>.<coll> (<n> documents)".
  sed -n "s/.*done dumping $BACKUP_DATABASE\.\([^ ]*\) (\([0-9]*\) documents\{0,1\}).*/\1 \2/p" "$2" | sort >"$1.counts" ||
    dump_fail "cannot write the counts"
}

dump_main "$@"
