#!/bin/sh
# PostgreSQL restores (the ingestion plane's database), run through `docker exec` and by the
# weekly restore test (planes/backup/scripts/restore-test.sh, shared with MongoDB's). The scratch
# path connects as the backup role, which owns only the scratch database; only `apply` connects as
# the application role, which owns the live database. pgvector is not a trusted extension: the
# superuser created it in both databases when the volume was initialised, so a restore skips the
# archive's EXTENSION entries and restores everything that uses the extension.
#
#   restore.sh list                 archives, newest first
#   restore.sh cat <archive>        the archive's bytes on stdout
#   restore.sh scratch <archive>    empty the scratch database, restore into it; prints "<table> <rows> 0"
#   restore.sh apply <archive>      take a pre-restore dump, then replace the live database's objects
#                                   from the archive in one transaction (the seed's `pg_restore -d`)
set -u
. "${0%/*}/lib.sh"
: "${PGPASSFILE:?PGPASSFILE is not set (the backup role's password file)}"

# restore_list ARCHIVE_PATH OUT: the archive's table of contents without the extension entries.
restore_list() {
  pg_restore --list "$1" >"$2.all" || return 1
  grep -vE '^[0-9]+; [0-9]+ [0-9]+ (EXTENSION|COMMENT - EXTENSION) ' "$2.all" >"$2"
  rm -f "$2.all"
}

# counts_in DATABASE COUNTS_FILE: "<table> <rows> 0" for each table the archive's counts name.
counts_in() {
  _sql=$(awk 'BEGIN { sep = "" } NF == 2 { q = $1; gsub("\x27", "\x27\x27", q); printf "%sSELECT \x27%s\x27, count(*) FROM %s", sep, q, $1; sep = " UNION ALL " }' "$2")
  [ -n "$_sql" ] || return 0
  psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 --no-password --dbname="$1" -c "$_sql" | awk 'NF == 2 { print $1, $2, 0 }' | sort
}

engine_restore_scratch() { # ARCHIVE LOG
  toc="$BACKUP_STATE_DIR/restore.toc"
  restore_list "$1" "$toc" 2>"$2" || { cat "$2" >&2; die "pg_restore cannot read ${1##*/}"; }
  # Everything the backup role owns in the scratch database goes first (not the extension: the
  # superuser owns it), then the archive is restored in one transaction.
  { psql -X -q -v ON_ERROR_STOP=1 --no-password --dbname="$BACKUP_SCRATCH_DATABASE" -c 'DROP OWNED BY CURRENT_USER' &&
    timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "${BACKUP_TOOL_TIMEOUT_SECONDS:-7200}" pg_restore --no-password --no-owner --no-privileges \
      --single-transaction --exit-on-error --use-list="$toc" --dbname="$BACKUP_SCRATCH_DATABASE" "$1"; } >>"$2" 2>&1 ||
    { cat "$2" >&2; die "pg_restore into $BACKUP_SCRATCH_DATABASE failed"; }
  counts="$BACKUP_DIR/${1##*/}.counts"
  [ -f "$counts" ] || die "${1##*/} has no .counts file: nothing to count the restore against"
  counts_in "$BACKUP_SCRATCH_DATABASE" "$counts" || die "cannot count the rows restored into $BACKUP_SCRATCH_DATABASE"
}

engine_apply_ready() {
  : "${BACKUP_RESTORE_USER:?BACKUP_RESTORE_USER is not set: this stack has no role that may replace the live database}"
}

engine_restore_apply() { # ARCHIVE SAFETY
  toc="$BACKUP_STATE_DIR/apply.toc"
  restore_list "$1" "$toc" || die "pg_restore cannot read ${1##*/}; nothing was restored"
  log "replacing the objects of $BACKUP_DATABASE from ${1##*/} as $BACKUP_RESTORE_USER (one transaction)"
  pg_restore --no-password --username="$BACKUP_RESTORE_USER" --no-owner --no-privileges --clean --if-exists \
    --single-transaction --exit-on-error --use-list="$toc" --dbname="$BACKUP_DATABASE" "$1" >&2 ||
    die "pg_restore into $BACKUP_DATABASE failed and changed nothing (one transaction): $2 holds the state before"
}

restore_main "$@"
