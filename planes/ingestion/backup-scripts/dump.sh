#!/bin/sh
# One PostgreSQL backup run (the ingestion plane's database), in the backup framework of
# planes/backup/scripts (lib.sh, scheduler.sh, snapshot.sh, restore-test.sh and health.sh are
# shared with MongoDB's, and so is the run itself: lib.sh's dump_main). What is PostgreSQL's is
# engine_dump: pg_dump -Fc to a temporary name, verify the archive (pg_restore reads its table of
# contents, then every table's data), record each table's row count as the archive holds it.
#
#   dump.sh daily                  the scheduled dump (scheduler.sh)
#   dump.sh pre-release <release>  the snapshot before a release (snapshot.sh); prints its name
#   dump.sh pre-restore            the safety copy restore.sh apply takes before it replaces data
#
# Connection: libpq's PGHOST, PGPORT and PGUSER (the backup role: pg_read_all_data) from the
# environment, its password from PGPASSFILE (never on a command line or in the environment).
set -u
. "${0%/*}/lib.sh"
: "${PGPASSFILE:?PGPASSFILE is not set (the backup role's password file)}"

engine_items=tables

engine_dump() { # PARTIAL LOG
  # -Fc to a file (never stdout), so a failure can never leave a truncated file under the final name.
  # Bounded by `timeout`: a server that stops answering must not hold the lock for ever.
  timeout -k "${BACKUP_TOOL_KILL_SECONDS:-60}" "$BACKUP_TOOL_TIMEOUT_SECONDS" pg_dump --format=custom --no-password --dbname="$BACKUP_DATABASE" --file="$1" >"$2" 2>&1 ||
    dump_fail "pg_dump exited $? ($(grep -m 1 'error' "$2" || tail -n 1 "$2")) (after at most ${BACKUP_TOOL_TIMEOUT_SECONDS}s)"
  [ -s "$1" ] || dump_fail "pg_dump wrote no archive"

  # Verify: the table of contents must read, and so must every table's data (each compressed block
  # is checked as it is inflated). The rows between each `COPY ... FROM stdin;` and its `\.` are
  # the table's row count in the archive (COPY's text format escapes newlines: one row per line).
  # dash has no pipefail: a failing pg_restore leaves a marker line that the counter refuses.
  pg_restore --list "$1" >/dev/null 2>>"$2" || dump_fail "pg_restore cannot read the archive's table of contents"
  { pg_restore --data-only --file=- "$1" 2>>"$2" || echo "__pg_restore_failed__"; } |
    awk '
      $0 == "__pg_restore_failed__" { failed = 1; next }
      !copying && /^COPY / && / FROM stdin;$/ { table = $2; rows = 0; copying = 1; next }
      copying && $0 == "\\." { print table, rows; copying = 0; next }
      copying { rows++ }
      END { if (failed || copying) exit 1 }' >"$1.rows" ||
    dump_fail "the archive's data does not read back (pg_restore --data-only)"
  sort "$1.rows" >"$1.counts" && rm -f "$1.rows" || dump_fail "cannot write the counts"
}

dump_main "$@"
