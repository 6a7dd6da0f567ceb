#!/bin/sh
# The off-host copier (rclone image): every BACKUP_OFFSITE_INTERVAL_SECONDS, copies each local
# archive (and its .counts) that the remote lacks, then applies the same retention to the remote.
# Stateless: the remote listing is the truth, so a lost copy is copied again on the next round.
# Its metrics use service="$BACKUP_SERVICE" (mongodb-backup-offsite), so BackupFailed and
# BackupTooOld cover the off-host copy too; its last success is the dump time of the newest
# archive the remote holds.
set -u
. "${0%/*}/lib.sh"
: "${BACKUP_REMOTE:?BACKUP_REMOTE is not set (rclone remote:bucket/prefix)}"
: "${BACKUP_OFFSITE_INTERVAL_SECONDS:=900}"
state="$BACKUP_STATE_DIR/offsite.state"
rclone_run() { rclone --config="${RCLONE_CONFIG:-/run/secrets/rclone.conf}" --retries=3 --low-level-retries=5 "$@"; }

remote_archives() { rclone_run lsf --files-only --include "*$BACKUP_ARCHIVE_SUFFIX" "$BACKUP_REMOTE" 2>>"$BACKUP_STATE_DIR/last-offsite.log"; }

publish() {
  _s="service=\"$BACKUP_SERVICE\""
  _prom=""
  runs enrichment_backup_runs_total "$HELP_RUNS" "$state"
  gauge enrichment_backup_last_success_timestamp_seconds "$HELP_LAST_SUCCESS" "$state" last_success
  gauge enrichment_backup_archives "$HELP_ARCHIVES" "$state" remote_archives
  write_atomically "$BACKUP_METRICS_DIR/$BACKUP_SERVICE.prom" "$_prom"
}

failed() { state_get_v "$state" failed 0; state_set "$state" "failed=$(( $_got + 1 ))"; log "FAILED: $*"; }

# The newline that ends each line of a listing (for case patterns that match whole lines).
nl='
'

# One round; returns non-zero when something failed.
round() {
  : >"$BACKUP_STATE_DIR/last-offsite.log"
  remote=$(remote_archives) || { failed "cannot list $BACKUP_REMOTE ($(tail -n 1 "$BACKUP_STATE_DIR/last-offsite.log"))"; return 1; }
  # Archives retention would delete right away are not copied in the first place.
  set_now
  expired=$(list_archives | retention_select "$BACKUP_KEEP_LATEST" "$BACKUP_RETENTION_DAYS" "$_now")
  rc=0
  for name in $(list_archives); do
    # A whole line of the listing (grep -qxF), as a case pattern: no process per archive.
    case "$nl$remote$nl" in *"$nl$name$nl"*) continue ;; esac
    case "$nl$expired$nl" in *"$nl$name$nl"*) continue ;; esac
    # .counts first: an archive on the remote always has its counts beside it.
    if { [ ! -f "$BACKUP_DIR/$name.counts" ] || rclone_run copyto "$BACKUP_DIR/$name.counts" "$BACKUP_REMOTE/$name.counts"; } &&
      rclone_run copyto "$BACKUP_DIR/$name" "$BACKUP_REMOTE/$name" 2>>"$BACKUP_STATE_DIR/last-offsite.log"; then
      state_get_v "$state" success 0
      state_set "$state" "success=$(( $_got + 1 ))"
      log "copied $name to $BACKUP_REMOTE"
    else
      failed "copying $name to $BACKUP_REMOTE ($(tail -n 1 "$BACKUP_STATE_DIR/last-offsite.log"))"
      rc=1
      break
    fi
  done
  remote=$(remote_archives) || { failed "cannot list $BACKUP_REMOTE after copying"; return 1; }
  set_now
  for old in $(printf '%s\n' "$remote" | retention_select "$BACKUP_KEEP_LATEST" "$BACKUP_RETENTION_DAYS" "$_now"); do
    log "retention: deleting $old from $BACKUP_REMOTE"
    rclone_run deletefile "$BACKUP_REMOTE/$old" && rclone_run deletefile "$BACKUP_REMOTE/$old.counts" 2>/dev/null
    remote=$(printf '%s\n' "$remote" | grep -vxF "$old")
  done
  # The archives' stamps, then one awk for their epochs (lib.sh's epoch), not one archive_epoch each.
  newest=$(printf '%s\n' "$remote" | while IFS= read -r n; do set_archive_stamp "$n" && echo "$_stamp"; done |
    awk "$EPOCH_AWK"' { print epoch($0) }' | sort -n | tail -n 1)
  # Lines that are not empty (grep -c .), counted by the shell.
  count=0
  while IFS= read -r n; do [ -z "$n" ] || count=$(( count + 1 )); done <<EOF
$remote
EOF
  state_set "$state" "last_success=${newest:-0}" "remote_archives=$count"
  return "$rc"
}

mkdir -p "$BACKUP_STATE_DIR" "$BACKUP_METRICS_DIR" || die "cannot create $BACKUP_STATE_DIR"
trap 'log "stopping"; exit 0' TERM INT
log "copying $BACKUP_DIR to $BACKUP_REMOTE every ${BACKUP_OFFSITE_INTERVAL_SECONDS}s"
while :; do
  set_now
  write_atomically "$BACKUP_STATE_DIR/heartbeat" "$_now
"
  round || true
  publish
  [ -z "${BACKUP_ONCE:-}" ] || exit 0
  sleep "$BACKUP_OFFSITE_INTERVAL_SECONDS" &
  wait $!
done
