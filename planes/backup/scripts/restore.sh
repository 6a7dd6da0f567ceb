#!/bin/sh
# Restores, for `npm run restore` (scripts/restore.ts runs these through `docker exec`) and for the
# weekly restore test. The scratch path connects as the backup user, which can write only the
# scratch database; only `apply` uses the restore user, the one identity that may write live data.
#
#   restore.sh list                 archives, newest first
#   restore.sh cat <archive>        the archive's bytes on stdout (the CLI reads its counts and indexes)
#   restore.sh scratch <archive>    restore into $BACKUP_SCRATCH_DATABASE; prints "<collection> <restored> <failures>"
#   restore.sh export-scratch       the scratch database as an uncompressed archive on stdout
#   restore.sh apply <archive>      take a pre-restore dump, then replace the live database's collections
set -u
. "${0%/*}/lib.sh"
: "${BACKUP_MONGO_CONFIG:?BACKUP_MONGO_CONFIG is not set}"
# mongo-tools read the URI (with its password) from a --config file, so it never shows in `ps`.
config_arg="--config=$BACKUP_MONGO_CONFIG"

# restored_counts LOG: "finished restoring <db>.<coll> (<n> documents, <f> failures)" -> "<coll> <n> <f>"
restored_counts() {
  sed -n "s/.*finished restoring $BACKUP_SCRATCH_DATABASE\.\([^ ]*\) (\([0-9]*\) documents\{0,1\}, \([0-9]*\) failures\{0,1\}).*/\1 \2 \3/p" "$1" | sort
}

engine_restore_scratch() { # ARCHIVE LOG
  timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "${BACKUP_TOOL_TIMEOUT_SECONDS:-7200}" mongorestore "$config_arg" --archive="$1" --gzip \
    --nsInclude="$BACKUP_DATABASE.*" --nsFrom="$BACKUP_DATABASE.*" --nsTo="$BACKUP_SCRATCH_DATABASE.*" \
    --drop --stopOnError >"$2" 2>&1 || { cat "$2" >&2; die "mongorestore into $BACKUP_SCRATCH_DATABASE failed"; }
  restored_counts "$2"
}

engine_apply_ready() {
  : "${BACKUP_RESTORE_CONFIG:?BACKUP_RESTORE_CONFIG is not set: this stack has no restore user}"
  [ -r "$BACKUP_RESTORE_CONFIG" ] || die "cannot read the restore user's config $BACKUP_RESTORE_CONFIG"
}

engine_restore_apply() { # ARCHIVE SAFETY
  log "replacing the collections of $BACKUP_DATABASE from ${1##*/}"
  mongorestore "--config=$BACKUP_RESTORE_CONFIG" --archive="$1" --gzip --nsInclude="$BACKUP_DATABASE.*" --drop --stopOnError >&2 ||
    die "mongorestore into $BACKUP_DATABASE failed: restore $2 to return to the state before"
}

case "${1:-}" in
  export-scratch)
    exec mongodump "$config_arg" --db="${BACKUP_SCRATCH_DATABASE:?BACKUP_SCRATCH_DATABASE is not set}" --archive ;;
  *) restore_main "$@" ;;
esac
