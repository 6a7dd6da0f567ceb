#!/bin/sh
# The snapshot before a release: `docker exec <prefix>-mongodb-backup /backup/bin/snapshot.sh <release>`
# (the Backup component's pre-release command). A verified dump named after the release it
# preceded; `npm run rollback` points at it. Exits non-zero (and so stops `pulumi up`) when the
# dump or its verification fails.
set -u
[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: snapshot.sh <release>" >&2; exit 2; }
exec "${0%/*}/dump.sh" pre-release "$1"
