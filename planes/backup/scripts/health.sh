#!/bin/sh
# Docker healthcheck of the backup containers: the main loop wrote its heartbeat within
# BACKUP_HEALTH_MAX_AGE seconds, or a run holding the lock is still alive (a long dump).
set -u
. "${0%/*}/lib.sh"
: "${BACKUP_HEALTH_MAX_AGE:=300}"
# The heartbeat file is one line; read, not $(cat): Docker runs this every few seconds.
beat=""
{ read -r beat || :; } 2>/dev/null <"$BACKUP_STATE_DIR/${1:-heartbeat}" || beat=0
set_now
[ $(( _now - beat )) -le "$BACKUP_HEALTH_MAX_AGE" ] && exit 0
holder=$(cat "$BACKUP_STATE_DIR/lock/pid" 2>/dev/null || true)
[ -n "$holder" ] && kill -0 "$holder" 2>/dev/null && exit 0
set_now
echo "no heartbeat for $(( _now - beat ))s and no run in progress" >&2
exit 1
