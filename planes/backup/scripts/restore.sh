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
: "${BACKUP_DATABASE:?BACKUP_DATABASE is not set}"
: "${BACKUP_SCRATCH_DATABASE:?BACKUP_SCRATCH_DATABASE is not set}"
: "${BACKUP_MONGO_CONFIG:?BACKUP_MONGO_CONFIG is not set}"

archive_path() {
  case "$1" in */* | .* | "") die "expected an archive name as 'restore.sh list' prints it, got '$1'" ;; esac
  [ -f "$BACKUP_DIR/$1" ] || die "no archive $1 in $BACKUP_DIR (restore.sh list shows what there is)"
  echo "$BACKUP_DIR/$1"
}

# restored_counts LOG: "finished restoring <db>.<coll> (<n> documents, <f> failures)" -> "<coll> <n> <f>"
restored_counts() {
  sed -n "s/.*finished restoring $BACKUP_SCRATCH_DATABASE\.\([^ ]*\) (\([0-9]*\) documents\{0,1\}, \([0-9]*\) failures\{0,1\}).*/\1 \2 \3/p" "$1" | sort
}

restore_scratch() { # ARCHIVE_PATH LOG
  timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "${BACKUP_TOOL_TIMEOUT_SECONDS:-7200}" mongorestore "$(mongo_config_args "$BACKUP_MONGO_CONFIG")" --archive="$1" --gzip \
    --nsInclude="$BACKUP_DATABASE.*" --nsFrom="$BACKUP_DATABASE.*" --nsTo="$BACKUP_SCRATCH_DATABASE.*" \
    --drop --stopOnError >"$2" 2>&1
}

case "${1:-}" in
  list)
    # Newest first by the time in the name, whatever the kind (a name sort put every pre-release
    # snapshot before a newer daily dump, and `npm run restore` takes the first line).
    list_archives | sed -n '1!G;h;$p' ;;
  cat)
    f=$(archive_path "${2:-}") || exit 1
    exec cat "$f" ;;
  scratch)
    f=$(archive_path "${2:-}") || exit 1
    mkdir -p "$BACKUP_STATE_DIR"
    # The restore test already holds the lock; a restore from the CLI waits for a running dump or test.
    if [ "${BACKUP_LOCK_HELD:-}" != 1 ]; then
      acquire_lock "${BACKUP_LOCK_WAIT_SECONDS:-3600}" || die "another backup run holds the lock"
      trap 'release_lock' EXIT
    fi
    restorelog="$BACKUP_STATE_DIR/last-restore.log"
    log "restoring ${f##*/} into $BACKUP_SCRATCH_DATABASE"
    restore_scratch "$f" "$restorelog" || { cat "$restorelog" >&2; die "mongorestore into $BACKUP_SCRATCH_DATABASE failed"; }
    restored_counts "$restorelog" ;;
  export-scratch)
    exec mongodump "$(mongo_config_args "$BACKUP_MONGO_CONFIG")" --db="$BACKUP_SCRATCH_DATABASE" --archive ;;
  apply)
    : "${BACKUP_RESTORE_CONFIG:?BACKUP_RESTORE_CONFIG is not set: this stack has no restore user}"
    [ -r "$BACKUP_RESTORE_CONFIG" ] || die "cannot read the restore user's config $BACKUP_RESTORE_CONFIG"
    f=$(archive_path "${2:-}") || exit 1
    safety=$("${0%/*}/dump.sh" pre-restore) || die "the pre-restore dump failed; nothing was restored"
    log "pre-restore dump: $safety (restore it to undo this)"
    acquire_lock "${BACKUP_LOCK_WAIT_SECONDS:-3600}" || die "another backup run holds the lock; nothing was restored"
    trap 'release_lock' EXIT
    log "replacing the collections of $BACKUP_DATABASE from ${f##*/}"
    mongorestore "$(mongo_config_args "$BACKUP_RESTORE_CONFIG")" --archive="$f" --gzip --nsInclude="$BACKUP_DATABASE.*" --drop --stopOnError >&2 ||
      die "mongorestore into $BACKUP_DATABASE failed: restore $safety to return to the state before"
    echo "$safety" ;;
  *)
    sed -n '2,12s/^# \{0,1\}//p' "$0" >&2
    exit 2 ;;
esac
