# Sourced by the scripts that start daemons (dockerd.sh, images/build.sh).
# detach <log> <command...>: start a daemon that outlives its caller (setsid) and holds none of the
# caller's descriptors. A daemon that inherited them would keep, for its whole life, a lock its
# starter held: `flock /var/lock/enrichment-e2e.lock npm run e2e` left dockerd, containerd and the
# registry holding the lock after the e2e ended (seen here). $! is the daemon's pid.
detach() {
  local log=$1
  shift
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid "$@" >"$log" 2>&1 </dev/null
  ) &
}
