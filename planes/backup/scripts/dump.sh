#!/bin/sh
# One backup run: mongodump to a temporary name, verify the archive, rename it into place, record
# its per-collection counts, apply retention, publish the outcome. A failed run leaves every
# existing archive as it was and says "failed" in the metrics.
#
#   dump.sh daily                  the scheduled dump (scheduler.sh)
#   dump.sh pre-release <release>  the snapshot before a release (snapshot.sh); prints its name
#   dump.sh pre-restore            the safety copy restore.sh apply takes before it replaces data
set -u
. "${0%/*}/lib.sh"

kind=${1:-daily}
release=${2:-}
: "${BACKUP_DATABASE:?BACKUP_DATABASE is not set}"
: "${BACKUP_MONGO_CONFIG:?BACKUP_MONGO_CONFIG is not set}"
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
  rm -f "$partial" "$partial.counts"
  finish failed 0
  exit 1
}

log "dumping database $BACKUP_DATABASE to $name"
# --archive to a file (not stdout), so a failure can never leave a truncated file under the final name.
# mongodump waits for an unreachable server without end and shrugs off the first SIGTERM
# (measured): bounded by `timeout`, killed 60 s after.
timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "$BACKUP_TOOL_TIMEOUT_SECONDS" mongodump "$(mongo_config_args "$BACKUP_MONGO_CONFIG")" --db="$BACKUP_DATABASE" --archive="$partial" --gzip >"$dumplog" 2>&1 ||
  fail "mongodump exited $? ($(tail -n 1 "$dumplog")) (after at most ${BACKUP_TOOL_TIMEOUT_SECONDS}s)"
[ -s "$partial" ] || fail "mongodump wrote no archive"

# Verify: gzip checks every block's CRC; mongorestore --dryRun reads the archive's prelude (every
# namespace and its metadata) without writing anything.
gzip -t "$partial" 2>>"$dumplog" || fail "the archive is not valid gzip"
timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "$BACKUP_TOOL_TIMEOUT_SECONDS" mongorestore "$(mongo_config_args "$BACKUP_MONGO_CONFIG")" --archive="$partial" --gzip --dryRun --nsInclude="$BACKUP_DATABASE.*" >>"$dumplog" 2>&1 ||
  fail "mongorestore --dryRun could not read the archive"

# Counts per collection, as mongodump reported them: "done dumping <db>.<coll> (<n> documents)".
sed -n "s/.*done dumping $BACKUP_DATABASE\.\([^ ]*\) (\([0-9]*\) documents\{0,1\}).*/\1 \2/p" "$dumplog" | sort >"$partial.counts" ||
  fail "cannot write the counts"

size=$(wc -c <"$partial" | tr -d ' ')
mv -f "$partial.counts" "$BACKUP_DIR/$name.counts" && mv -f "$partial" "$BACKUP_DIR/$name" || fail "cannot rename the archive into place"
log "verified $name ($size bytes, $(wc -l <"$BACKUP_DIR/$name.counts" | tr -d ' ') collections)"

# Retention runs only after a success, so failures never delete anything.
list_archives | retention_select "$BACKUP_KEEP_LATEST" "$BACKUP_RETENTION_DAYS" "$(now)" | while IFS= read -r old; do
  [ "$old" = "$name" ] && continue
  log "retention: deleting $old (older than $BACKUP_RETENTION_DAYS days, not among the newest $BACKUP_KEEP_LATEST)"
  rm -f "$BACKUP_DIR/$old" "$BACKUP_DIR/$old.counts"
done

finish success "$size"
echo "$name"
