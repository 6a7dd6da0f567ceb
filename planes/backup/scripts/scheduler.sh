#!/bin/sh
# The backup container's main process. Every BACKUP_TICK_SECONDS it writes a heartbeat and runs
# what is due: the daily dump when the latest scheduled instant (BACKUP_SCHEDULE, "HH:MM" UTC) is
# newer than the last attempt, and likewise the weekly restore test (BACKUP_RESTORE_TEST_SCHEDULE,
# "<day> HH:MM"). A run missed while the container was down is caught up once at start, so a
# fresh stack has a backup, a restore test and metrics within minutes of `pulumi up`.
set -u
. "${0%/*}/lib.sh"
: "${BACKUP_SCHEDULE:?BACKUP_SCHEDULE is not set}"
: "${BACKUP_RESTORE_TEST_SCHEDULE:?BACKUP_RESTORE_TEST_SCHEDULE is not set}"
: "${BACKUP_TICK_SECONDS:=30}"

set_prev_daily "$BACKUP_SCHEDULE" 0 || die "BACKUP_SCHEDULE must be \"HH:MM\" (UTC), got '$BACKUP_SCHEDULE'"
set_prev_weekly "$BACKUP_RESTORE_TEST_SCHEDULE" 0 || die "BACKUP_RESTORE_TEST_SCHEDULE must be \"<day> HH:MM\" (UTC), got '$BACKUP_RESTORE_TEST_SCHEDULE'"
mkdir -p "$BACKUP_DIR" "$BACKUP_STATE_DIR" "$BACKUP_METRICS_DIR" || die "cannot create the backup directories"
rm -f "$BACKUP_DIR"/.*.partial "$BACKUP_DIR"/.*.partial.* 2>/dev/null
publish_metrics
sched="$BACKUP_STATE_DIR/scheduler.state"
# PID 1 ignores signals it does not trap: without this, `docker stop` waits for SIGKILL.
trap 'log "stopping"; exit 0' TERM INT

# due JOB PREV_SLOT: whether the job's last attempt predates the latest scheduled slot.
due() { state_get_v "$sched" "$1" 0; [ "$_got" -lt "$2" ]; }

log "schedule: dump daily at $BACKUP_SCHEDULE UTC, restore test $BACKUP_RESTORE_TEST_SCHEDULE UTC"
while :; do
  set_now; t=$_now
  write_atomically "$BACKUP_STATE_DIR/heartbeat" "$t
"
  set_prev_daily "$BACKUP_SCHEDULE" "$t"
  if due dump "$_prev"; then
    state_set "$sched" "dump=$t"
    "${0%/*}/dump.sh" daily >/dev/null || log "the dump failed; next attempt at $(epoch_stamp "$(next_daily "$BACKUP_SCHEDULE" "$t")")"
  fi
  set_prev_weekly "$BACKUP_RESTORE_TEST_SCHEDULE" "$t"
  if due restore_test "$_prev"; then
    state_set "$sched" "restore_test=$t"
    "${0%/*}/restore-test.sh" || log "the restore test failed; next at $(epoch_stamp "$(next_weekly "$BACKUP_RESTORE_TEST_SCHEDULE" "$t")")"
  fi
  [ -z "${BACKUP_ONCE:-}" ] || exit 0
  sleep "$BACKUP_TICK_SECONDS" &
  wait $!
done
