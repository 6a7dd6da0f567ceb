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
state=$(state_file offsite)
rclone_run() { rclone --config="${RCLONE_CONFIG:-/run/secrets/rclone.conf}" --retries=3 --low-level-retries=5 "$@"; }

remote_archives() { rclone_run lsf --files-only --include "*$BACKUP_ARCHIVE_SUFFIX" "$BACKUP_REMOTE" 2>>"$BACKUP_STATE_DIR/last-offsite.log"; }

publish() {
  _s="service=\"$BACKUP_SERVICE\""
  {
    printf '%s\n' "$_s,status=\"success\" $(state_get "$state" success 0)" "$_s,status=\"failed\" $(state_get "$state" failed 0)" |
      metric enrichment_backup_runs_total counter "$HELP_RUNS"
    echo "$_s $(state_get "$state" last_success 0)" | metric enrichment_backup_last_success_timestamp_seconds gauge "$HELP_LAST_SUCCESS"
    echo "$_s $(state_get "$state" remote_archives 0)" | metric enrichment_backup_archives gauge "$HELP_ARCHIVES"
  } | write_atomically "$BACKUP_METRICS_DIR/$BACKUP_SERVICE.prom"
}

failed() { state_set "$state" "failed=$(( $(state_get "$state" failed 0) + 1 ))"; log "FAILED: $*"; }

# One round; returns non-zero when something failed.
round() {
  : >"$BACKUP_STATE_DIR/last-offsite.log"
  remote=$(remote_archives) || { failed "cannot list $BACKUP_REMOTE ($(tail -n 1 "$BACKUP_STATE_DIR/last-offsite.log"))"; return 1; }
  # Archives retention would delete right away are not copied in the first place.
  expired=$(list_archives | retention_select "$BACKUP_KEEP_LATEST" "$BACKUP_RETENTION_DAYS" "$(now)")
  rc=0
  for name in $(list_archives); do
    printf '%s\n' "$remote" | grep -qxF "$name" && continue
    printf '%s\n' "$expired" | grep -qxF "$name" && continue
    # .counts first: an archive on the remote always has its counts beside it.
    if { [ ! -f "$BACKUP_DIR/$name.counts" ] || rclone_run copyto "$BACKUP_DIR/$name.counts" "$BACKUP_REMOTE/$name.counts"; } &&
      rclone_run copyto "$BACKUP_DIR/$name" "$BACKUP_REMOTE/$name" 2>>"$BACKUP_STATE_DIR/last-offsite.log"; then
      state_set "$state" "success=$(( $(state_get "$state" success 0) + 1 ))"
      log "copied $name to $BACKUP_REMOTE"
    else
      failed "copying $name to $BACKUP_REMOTE ($(tail -n 1 "$BACKUP_STATE_DIR/last-offsite.log"))"
      rc=1
      break
    fi
  done
  remote=$(remote_archives) || { failed "cannot list $BACKUP_REMOTE after copying"; return 1; }
  for old in $(printf '%s\n' "$remote" | retention_select "$BACKUP_KEEP_LATEST" "$BACKUP_RETENTION_DAYS" "$(now)"); do
    log "retention: deleting $old from $BACKUP_REMOTE"
    rclone_run deletefile "$BACKUP_REMOTE/$old" && rclone_run deletefile "$BACKUP_REMOTE/$old.counts" 2>/dev/null
    remote=$(printf '%s\n' "$remote" | grep -vxF "$old")
  done
  newest=$(printf '%s\n' "$remote" | while IFS= read -r n; do archive_epoch "$n"; done | sort -n | tail -n 1)
  state_set "$state" "last_success=${newest:-0}" "remote_archives=$(printf '%s\n' "$remote" | grep -c .)"
  return "$rc"
}

mkdir -p "$BACKUP_STATE_DIR" "$BACKUP_METRICS_DIR" || die "cannot create $BACKUP_STATE_DIR"
trap 'log "stopping"; exit 0' TERM INT
log "copying $BACKUP_DIR to $BACKUP_REMOTE every ${BACKUP_OFFSITE_INTERVAL_SECONDS}s"
while :; do
  echo "$(now)" | write_atomically "$BACKUP_STATE_DIR/heartbeat"
  round || true
  publish
  [ -z "${BACKUP_ONCE:-}" ] || exit 0
  sleep "$BACKUP_OFFSITE_INTERVAL_SECONDS" &
  wait $!
done
