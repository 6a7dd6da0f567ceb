#!/bin/sh
# One PostgreSQL backup run (the ingestion plane's database), in the backup framework of
# planes/backup/scripts (lib.sh, scheduler.sh, snapshot.sh, restore-test.sh and health.sh are
# shared with MongoDB's): pg_dump -Fc to a temporary name, verify the archive (pg_restore reads its
# table of contents, then every table's data), record each table's row count as the archive holds
# it, rename it into place, apply retention, publish the outcome. A failed run leaves every
# existing archive as it was and says "failed" in the metrics.
#
#   dump.sh daily                  the scheduled dump (scheduler.sh)
#   dump.sh pre-release <release>  the snapshot before a release (snapshot.sh); prints its name
#   dump.sh pre-restore            the safety copy restore.sh apply takes before it replaces data
#
# Connection: libpq's PGHOST, PGPORT and PGUSER (the backup role: pg_read_all_data) from the
# environment, its password from PGPASSFILE (never on a command line or in the environment).
set -u
. "${0%/*}/lib.sh"

kind=${1:-daily}
release=${2:-}
: "${BACKUP_DATABASE:?BACKUP_DATABASE is not set}"
: "${PGPASSFILE:?PGPASSFILE is not set (the backup role's password file)}"
: "${BACKUP_LOCK_WAIT_SECONDS:=3600}"
: "${BACKUP_TOOL_TIMEOUT_SECONDS:=7200}"

started=$(now)
name=$(archive_name "$kind" "$started" "$release") || die "usage: dump.sh daily | pre-release <release> | pre-restore"
mkdir -p "$BACKUP_DIR" "$BACKUP_STATE_DIR" || die "cannot create $BACKUP_DIR"
acquire_lock "$BACKUP_LOCK_WAIT_SECONDS" || die "another backup run holds the lock for more than ${BACKUP_LOCK_WAIT_SECONDS}s"
trap 'release_lock' EXIT

partial="$BACKUP_DIR/.$name.partial"
dumplog="$BACKUP_STATE_DIR/last-dump.log"
state=$(state_file dump)

finish() { # OUTCOME SIZE
  ended=$(now)
  if [ "$1" = success ]; then
    state_set "$state" "success=$(( $(state_get "$state" success 0) + 1 ))" "last_success=$ended" "last_ok=1" \
      "last_end=$ended" "last_duration=$(( ended - started ))" "last_size=$2" "last_archive=$name"
  else
    state_set "$state" "failed=$(( $(state_get "$state" failed 0) + 1 ))" "last_ok=0" "last_end=$ended" "last_duration=$(( ended - started ))"
  fi
  publish_metrics
}

fail() {
  log "FAILED: $*; the previous archives are untouched (log: $dumplog)"
  rm -f "$partial" "$partial.counts" "$partial.rows"
  finish failed 0
  exit 1
}

log "dumping database $BACKUP_DATABASE to $name"
# -Fc to a file (never stdout), so a failure can never leave a truncated file under the final name.
# Bounded by `timeout`: a server that stops answering must not hold the lock for ever.
timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "$BACKUP_TOOL_TIMEOUT_SECONDS" pg_dump --format=custom --no-password --dbname="$BACKUP_DATABASE" --file="$partial" >"$dumplog" 2>&1 ||
  fail "pg_dump exited $? ($(grep -m 1 'error' "$dumplog" || tail -n 1 "$dumplog")) (after at most ${BACKUP_TOOL_TIMEOUT_SECONDS}s)"
[ -s "$partial" ] || fail "pg_dump wrote no archive"

# Verify: the table of contents must read, and so must every table's data (each compressed block
# is checked as it is inflated). The rows between each `COPY ... FROM stdin;` and its `\.` are
# the table's row count in the archive (COPY's text format escapes newlines: one row per line).
# dash has no pipefail: a failing pg_restore leaves a marker line that the counter refuses.
pg_restore --list "$partial" >/dev/null 2>>"$dumplog" || fail "pg_restore cannot read the archive's table of contents"
{ pg_restore --data-only --file=- "$partial" 2>>"$dumplog" || echo "__pg_restore_failed__"; } |
  awk '
    $0 == "__pg_restore_failed__" { failed = 1; next }
    !copying && /^COPY / && / FROM stdin;$/ { table = $2; rows = 0; copying = 1; next }
    copying && $0 == "\\." { print table, rows; copying = 0; next }
    copying { rows++ }
    END { if (failed || copying) exit 1 }' >"$partial.rows" ||
  fail "the archive's data does not read back (pg_restore --data-only)"
sort "$partial.rows" >"$partial.counts" && rm -f "$partial.rows" || fail "cannot write the counts"

size=$(wc -c <"$partial" | tr -d ' ')
mv -f "$partial.counts" "$BACKUP_DIR/$name.counts" && mv -f "$partial" "$BACKUP_DIR/$name" || fail "cannot rename the archive into place"
log "verified $name ($size bytes, $(wc -l <"$BACKUP_DIR/$name.counts" | tr -d ' ') tables)"

# Retention runs only after a success, so failures never delete anything.
list_archives | retention_select "$BACKUP_KEEP_LATEST" "$BACKUP_RETENTION_DAYS" "$(now)" | while IFS= read -r old; do
  [ "$old" = "$name" ] && continue
  log "retention: deleting $old (older than $BACKUP_RETENTION_DAYS days, not among the newest $BACKUP_KEEP_LATEST)"
  rm -f "$BACKUP_DIR/$old" "$BACKUP_DIR/$old.counts"
done

finish success "$size"
echo "$name"
