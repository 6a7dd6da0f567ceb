#!/usr/bin/env bash
# Starts dockerd when no Docker engine answers; prints "started <pid>" when it started one (the
# caller stops only that pid), "running" when one already answered. Shared by every helper and
# by .ci/run: nobody else starts a second daemon.
set -euo pipefail
LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  echo running
  exit 0
fi
if ! command -v dockerd >/dev/null; then
  echo "dockerd not found: apt-get install -y docker.io" >&2
  exit 1
fi
# The daemon must outlive the shell that started it, and hold none of its descriptors.
. "$(dirname "$0")/detach.sh"
detach "$LOG" dockerd
pid=$!
for _ in $(seq 1 60); do
  if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    echo "started $pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "dockerd exited; its log ($LOG):" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  sleep 0.5
done
echo "dockerd did not answer within 30 s; its log ($LOG):" >&2
tail -n 40 "$LOG" >&2
exit 1
