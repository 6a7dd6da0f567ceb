#!/bin/sh
# The scheduled restore test: the newest archive restored into the scratch database, each
# collection's (PostgreSQL: table's) restored count compared with what the dump recorded when it
# wrote the archive. The engine's restore.sh does the restoring and prints "<name> <count> <failures>".
# Publishes enrichment_backup_last_restore_test_timestamp_seconds on success (RestoreTestTooOld).
set -u
. "${0%/*}/lib.sh"
: "${BACKUP_LOCK_WAIT_SECONDS:=3600}"

state="$BACKUP_STATE_DIR/restore-test.state"
set_now; started=$_now
acquire_lock "$BACKUP_LOCK_WAIT_SECONDS" || die "another backup run holds the lock"
trap 'release_lock' EXIT

outcome() { # success|failed MESSAGE
  if [ "$1" = success ]; then
    state_get_v "$state" success 0; set_now
    state_set "$state" "success=$(( $_got + 1 ))" "last_success=$_now" "last_archive=$archive"
    log "restore test passed: $2"
  else
    state_get_v "$state" failed 0; set_now
    state_set "$state" "failed=$(( $_got + 1 ))" "last_failure=$_now"
    log "restore test FAILED: $2"
  fi
  publish_metrics
  [ "$1" = success ]
}

archive=$(newest_archive)
[ -n "$archive" ] || { outcome failed "no archive in $BACKUP_DIR"; exit 1; }
expected="$BACKUP_DIR/$archive.counts"
[ -f "$expected" ] || { outcome failed "$archive has no .counts file"; exit 1; }

restored=$(BACKUP_LOCK_HELD=1 "${0%/*}/restore.sh" scratch "$archive") || { outcome failed "the restore of $archive (restore.sh scratch) failed"; exit 1; }

# Every collection of the archive restored with its recorded count and no failures; nothing else.
problems=$(printf '%s\n' "$restored" | awk -v expected="$expected" '
  BEGIN { while ((getline line < expected) > 0) { split(line, f, " "); want[f[1]] = f[2]; n++ } }
  NF == 3 { got[$1] = $2; if ($3 != 0) print $1 ": " $3 " documents failed to restore" }
  END {
    for (c in want) if (!(c in got)) print c ": in the archive (" want[c] " documents), not restored"
      else if (got[c] != want[c]) print c ": restored " got[c] " documents, the archive holds " want[c]
  }')
if [ -n "$problems" ]; then
  outcome failed "$archive: $(printf '%s' "$problems" | tr '\n' ';')"
  exit 1
fi
set_lines "$expected"; set_now
outcome success "$archive: $_lines collections, $(awk '{ s += $2 } END { print s + 0 }' "$expected") documents, counts match (took $(( _now - started ))s)"
