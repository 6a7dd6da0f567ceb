# Shared functions of the backup scripts. POSIX sh: dash in the mongo and postgres images, busybox
# ash in the rclone image and in the tests. Sourced, never run. Every path and setting comes from
# the environment the backup component sets (planes/backup/databaseBackup.ts, with MongoDB's and
# PostgreSQL's engines in planes/backup/index.ts and planes/ingestion/postgresBackup.ts); the
# defaults below are MongoDB's paths inside the containers. Each engine's dump.sh and restore.sh
# hold only what is the engine's: they define the engine_* hooks and call dump_main and
# restore_main (the end of this file).
: "${BACKUP_SERVICE:=mongodb-backup}"
: "${BACKUP_DIR:=/backup/archives}"
: "${BACKUP_METRICS_DIR:=/backup/metrics}"
: "${BACKUP_STATE_DIR:=$BACKUP_DIR/.state}"
: "${BACKUP_RETENTION_DAYS:=30}"
: "${BACKUP_KEEP_LATEST:=7}"
# The archive file's suffix: mongodump --archive --gzip (MongoDB) or pg_dump -Fc ".dump" (PostgreSQL).
: "${BACKUP_ARCHIVE_SUFFIX:=.archive.gz}"
# Kinds of archive, each with its own retention: daily dumps never push out release snapshots.
BACKUP_KINDS="daily pre-release pre-restore"

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${0##*/}" "$*" >&2; }
die() { log "$*"; exit 1; }

# The current Unix time; BACKUP_NOW fixes it (tests, and runs that must agree on one instant).
now() { if [ -n "${BACKUP_NOW:-}" ]; then echo "$BACKUP_NOW"; else date -u +%s; fi; }

# "HH:MM" -> seconds after midnight; fails on anything else.
daily_offset() {
  awk -v t="$1" 'BEGIN { if (t !~ /^([01][0-9]|2[0-3]):[0-5][0-9]$/) exit 1; split(t, p, ":"); print p[1] * 3600 + p[2] * 60 }'
}

# "<day> HH:MM" -> seconds after Sunday 00:00; fails on anything else.
weekly_offset() {
  awk -v t="$1" 'BEGIN {
    if (t !~ /^(sun|mon|tue|wed|thu|fri|sat) ([01][0-9]|2[0-3]):[0-5][0-9]$/) exit 1
    d = index("sunmontuewedthufrisat", substr(t, 1, 3)); split(substr(t, 5), p, ":")
    print ((d - 1) / 3) * 86400 + p[1] * 3600 + p[2] * 60 }'
}

# prev_daily SCHEDULE NOW: the latest scheduled instant at or before NOW (UTC days are 86400 s).
prev_daily() {
  _off=$(daily_offset "$1") || return 1
  _t=$(( $2 - $2 % 86400 + _off ))
  [ "$_t" -le "$2" ] || _t=$(( _t - 86400 ))
  echo "$_t"
}

# prev_weekly SCHEDULE NOW: the same for a weekly schedule (1970-01-01 was a Thursday).
prev_weekly() {
  _off=$(weekly_offset "$1") || return 1
  _days=$(( $2 / 86400 ))
  _t=$(( (_days - (_days + 4) % 7) * 86400 + _off ))
  [ "$_t" -le "$2" ] || _t=$(( _t - 604800 ))
  echo "$_t"
}

next_daily() { _p=$(prev_daily "$1" "$2") || return 1; echo $(( _p + 86400 )); }
next_weekly() { _p=$(prev_weekly "$1" "$2") || return 1; echo $(( _p + 604800 )); }

# Unix time -> 20261201T023000Z (the stamp in archive names), and back. awk, not `date -d`:
# GNU and busybox date parse differently; the civil-date arithmetic is the same everywhere.
epoch_stamp() {
  awk -v e="$1" 'BEGIN {
    z = int(e / 86400) + 719468; era = int(z / 146097); doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100)); mp = int((5 * doy + 2) / 153)
    d = doy - int((153 * mp + 2) / 5) + 1; m = mp < 10 ? mp + 3 : mp - 9; if (m <= 2) y++
    s = e % 86400
    printf "%04d%02d%02dT%02d%02d%02dZ\n", y, m, d, int(s / 3600), int(s % 3600 / 60), s % 60 }'
}

# archive_epoch NAME: the Unix time in an archive's name; fails for names that are not archives.
archive_epoch() {
  _sfx=$(printf '%s' "$BACKUP_ARCHIVE_SUFFIX" | sed 's/[].[^$*\\/]/\\&/g')
  _stamp=$(printf '%s\n' "$1" | sed -n "s/^[a-z-]*-.*\\([0-9]\\{8\\}T[0-9]\\{6\\}Z\\)$_sfx\$/\\1/p")
  [ -n "$_stamp" ] || return 1
  awk -v s="$_stamp" 'BEGIN {
    y = substr(s, 1, 4) + 0; m = substr(s, 5, 2) + 0; d = substr(s, 7, 2) + 0
    if (m <= 2) y--
    era = int(y / 400); yoe = y - era * 400; mm = m > 2 ? m - 3 : m + 9
    doy = int((153 * mm + 2) / 5) + d - 1; doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
    # %.0f, not %d: mawk and busybox awk print %d through a 32-bit int (wrong after 2038).
    printf "%.0f\n", (era * 146097 + doe - 719468) * 86400 + substr(s, 10, 2) * 3600 + substr(s, 12, 2) * 60 + substr(s, 14, 2) }'
}

# A release version as it may appear in a file name.
release_label() { printf '%s' "$1" | tr -c 'A-Za-z0-9._' '_' | cut -c1-64; }

# archive_name KIND EPOCH [RELEASE]
archive_name() {
  case "$1" in
    daily) echo "daily-$(epoch_stamp "$2")$BACKUP_ARCHIVE_SUFFIX" ;;
    pre-release)
      [ -n "${3:-}" ] || return 1
      echo "pre-release-$(release_label "$3")-$(epoch_stamp "$2")$BACKUP_ARCHIVE_SUFFIX" ;;
    # Taken by `restore.sh apply` just before it replaces the live database.
    pre-restore) echo "pre-restore-$(epoch_stamp "$2")$BACKUP_ARCHIVE_SUFFIX" ;;
    *) return 1 ;;
  esac
}

# kind_of NAME: daily, pre-release or pre-restore (the prefix before the release and stamp).
kind_of() {
  case "$1" in
    daily-*) echo daily ;;
    pre-release-*) echo pre-release ;;
    pre-restore-*) echo pre-restore ;;
    *) return 1 ;;
  esac
}

# retention_select KEEP_LATEST RETENTION_DAYS NOW < names: prints the names to delete. Per kind,
# the newest KEEP_LATEST are kept whatever their age (so never the newest, and never all of
# them); of the rest, those older than RETENTION_DAYS go. Names that do not parse are never listed.
retention_select() {
  _keep=$1 _days=$2 _now=$3
  [ "$_keep" -ge 1 ] 2>/dev/null || { log "retention: keepLatest must be >= 1, got '$_keep'"; return 1; }
  [ "$_days" -ge 1 ] 2>/dev/null || { log "retention: retentionDays must be >= 1, got '$_days'"; return 1; }
  while IFS= read -r _name; do
    _kind=$(kind_of "$_name") || continue
    _e=$(archive_epoch "$_name") || continue
    printf '%s %s %s\n' "$_kind" "$_e" "$_name"
  done | sort -k1,1 -k2,2nr | awk -v keep="$_keep" -v cutoff=$(( _now - _days * 86400 )) '
    $1 != kind { kind = $1; rank = 0 }
    { rank++ }
    rank > keep && $2 < cutoff { print $3 }'
}

# Archives in BACKUP_DIR (names only, no temporary files), oldest first.
list_archives() {
  for _f in "$BACKUP_DIR"/*"$BACKUP_ARCHIVE_SUFFIX"; do
    [ -f "$_f" ] || continue
    _n=${_f##*/}
    _e=$(archive_epoch "$_n") || continue
    printf '%s %s\n' "$_e" "$_n"
  done | sort -n | awk '{ print $2 }'
}

newest_archive() { list_archives | tail -n 1; }

# --- state (counters and timestamps that survive restarts; the metrics are rendered from it)
state_file() { echo "$BACKUP_STATE_DIR/$1.state"; }

state_get() { # FILE KEY DEFAULT
  _v=""
  [ -f "$1" ] && _v=$(sed -n "s/^$2=//p" "$1" | tail -n 1)
  if [ -n "$_v" ]; then echo "$_v"; else echo "$3"; fi
}

state_set() { # FILE KEY=VALUE...: one atomic rewrite
  _file=$1; shift
  mkdir -p "${_file%/*}"
  _tmp="$_file.tmp.$$"
  { [ -f "$_file" ] && cat "$_file"; for _kv in "$@"; do echo "$_kv"; done; } |
    awk -F= '{ v[$1] = $0; if (!($1 in seen)) { order[++n] = $1; seen[$1] = 1 } } END { for (i = 1; i <= n; i++) print v[order[i]] }' >"$_tmp"
  mv -f "$_tmp" "$_file"
}

state_incr() { # FILE KEY: prints the new value
  _n=$(( $(state_get "$1" "$2" 0) + 1 ))
  state_set "$1" "$2=$_n"
  echo "$_n"
}

# write_atomically PATH < content: readers (node-exporter's textfile collector, people) see the
# old file or the new one, never half of one. The temporary name does not end in .prom.
write_atomically() {
  mkdir -p "${1%/*}"
  _tmp="${1%/*}/.${1##*/}.tmp.$$"
  cat >"$_tmp" && chmod 0644 "$_tmp" && mv -f "$_tmp" "$1"
}

# --- a lock, so a pre-release snapshot and a scheduled run never dump at the same time
# acquire_lock WAIT_SECONDS: mkdir is atomic; a lock whose holder died is taken over.
acquire_lock() {
  _lock="$BACKUP_STATE_DIR/lock"
  _waited=0
  mkdir -p "$BACKUP_STATE_DIR"
  while ! mkdir "$_lock" 2>/dev/null; do
    _holder=$(cat "$_lock/pid" 2>/dev/null || true)
    if [ -n "$_holder" ] && ! kill -0 "$_holder" 2>/dev/null; then
      log "taking over the lock of process $_holder, which is gone"
      rm -rf "$_lock"
      continue
    fi
    [ "$_waited" -lt "$1" ] || return 1
    sleep 5
    _waited=$(( _waited + 5 ))
  done
  echo $$ >"$_lock/pid"
}

release_lock() { rm -rf "$BACKUP_STATE_DIR/lock"; }

# mongo-tools read the URI (with its password) from a --config file, so it never shows in `ps`.
mongo_config_args() { echo "--config=$1"; }

# --- metrics (docs/metrics-contract.md): rendered from the state files, written atomically
# The series both the dump and the copier write carry ONE help text: node-exporter's textfile
# collector merges the files and drops a family whose HELP differs from the first file's (the
# copier's file sorts first, so the dump's contract series vanished from Prometheus). The
# contract's two are facts/metricsContract.ts's help, word for word.
HELP_RUNS="Backup runs of a database (service: mongodb-backup, postgres-backup), by outcome (*-backup-offsite: off-host copies of an archive)."
HELP_LAST_SUCCESS="Unix time of the last successful backup (*-backup-offsite: dump time of the newest archive the off-host storage holds)."
HELP_ARCHIVES="Backup archives kept (*-backup: on the backup volume; *-backup-offsite: on the off-host storage)."
metric() { # NAME TYPE HELP, then "labels value" lines on stdin
  printf '# HELP %s %s\n# TYPE %s %s\n' "$1" "$3" "$1" "$2"
  while read -r _labels _value; do printf '%s{%s} %s\n' "$1" "$_labels" "$_value"; done
}

# publish_metrics: the dump container's file, service="$BACKUP_SERVICE".
publish_metrics() {
  _d=$(state_file dump) _r=$(state_file restore-test)
  _s="service=\"$BACKUP_SERVICE\""
  {
    printf '%s\n' "$_s,status=\"success\" $(state_get "$_d" success 0)" "$_s,status=\"failed\" $(state_get "$_d" failed 0)" |
      metric enrichment_backup_runs_total counter "$HELP_RUNS"
    # 0 until a dump succeeds: BackupTooOld then fires, which is the truth (there is no backup).
    echo "$_s $(state_get "$_d" last_success 0)" | metric enrichment_backup_last_success_timestamp_seconds gauge "$HELP_LAST_SUCCESS"
    echo "$_s $(state_get "$_d" last_end 0)" | metric enrichment_backup_last_run_end_timestamp_seconds gauge "Unix time the last backup run ended, whatever its outcome."
    echo "$_s $(state_get "$_d" last_ok 0)" | metric enrichment_backup_last_run_success gauge "1 when the last backup run succeeded, 0 when it failed."
    echo "$_s $(state_get "$_d" last_duration 0)" | metric enrichment_backup_last_run_duration_seconds gauge "Duration of the last backup run."
    echo "$_s $(state_get "$_d" last_size 0)" | metric enrichment_backup_last_size_bytes gauge "Size of the newest verified archive."
    echo "$_s $(list_archives | wc -l | tr -d ' ')" | metric enrichment_backup_archives gauge "$HELP_ARCHIVES"
    printf '%s\n' "$_s,status=\"success\" $(state_get "$_r" success 0)" "$_s,status=\"failed\" $(state_get "$_r" failed 0)" |
      metric enrichment_backup_restore_test_runs_total counter "Restore tests into the scratch database, by outcome."
    echo "$_s $(state_get "$_r" last_success 0)" | metric enrichment_backup_last_restore_test_timestamp_seconds gauge "Unix time a backup was last restored successfully into a scratch database (the restore test)."
  } | write_atomically "$BACKUP_METRICS_DIR/$BACKUP_SERVICE.prom"
}

# --- dump.sh and restore.sh: the part every engine shares. An engine's dump.sh sets
#   engine_items                  what its counts count, for the log ("collections", "tables")
#   engine_dump PARTIAL LOG       dumps the database to PARTIAL (never under the final name: a
#                                 failure must not leave a truncated archive there), its tool's
#                                 output to LOG, verifies the archive and writes its counts,
#                                 "<name> <count>" sorted, to PARTIAL.counts; on any problem it
#                                 calls dump_fail MESSAGE (temporary files PARTIAL.* go with it)
# then runs `dump_main "$@"`. Its restore.sh defines
#   engine_restore_scratch ARCHIVE LOG   restores ARCHIVE into $BACKUP_SCRATCH_DATABASE (what was
#                                        there goes first) and prints "<name> <restored> <failures>"
#   engine_apply_ready                   dies unless this stack has the identity that may write the
#                                        live database (before anything is dumped or locked)
#   engine_restore_apply ARCHIVE SAFETY  replaces the live database's data from ARCHIVE; SAFETY is
#                                        the pre-restore dump, for its messages
# then runs `restore_main "$@"` (after any command of its own).

# dump_main KIND [RELEASE] (dump.sh): dump to a temporary name, verify, rename into place, record
# the counts, apply retention, publish the outcome. A failed run leaves every existing archive as it
# was and says "failed" in the metrics. Prints the archive's name.
dump_main() {
  : "${BACKUP_DATABASE:?BACKUP_DATABASE is not set}"
  : "${BACKUP_LOCK_WAIT_SECONDS:=3600}"
  : "${BACKUP_TOOL_TIMEOUT_SECONDS:=7200}"
  dump_started=$(now)
  dump_name=$(archive_name "${1:-daily}" "$dump_started" "${2:-}") || die "usage: dump.sh daily | pre-release <release> | pre-restore"
  mkdir -p "$BACKUP_DIR" "$BACKUP_STATE_DIR" || die "cannot create $BACKUP_DIR"
  acquire_lock "$BACKUP_LOCK_WAIT_SECONDS" || die "another backup run holds the lock for more than ${BACKUP_LOCK_WAIT_SECONDS}s"
  trap 'release_lock' EXIT
  dump_partial="$BACKUP_DIR/.$dump_name.partial"
  dump_log="$BACKUP_STATE_DIR/last-dump.log"
  dump_state=$(state_file dump)

  log "dumping database $BACKUP_DATABASE to $dump_name"
  engine_dump "$dump_partial" "$dump_log"
  _size=$(wc -c <"$dump_partial" | tr -d ' ')
  mv -f "$dump_partial.counts" "$BACKUP_DIR/$dump_name.counts" && mv -f "$dump_partial" "$BACKUP_DIR/$dump_name" || dump_fail "cannot rename the archive into place"
  log "verified $dump_name ($_size bytes, $(wc -l <"$BACKUP_DIR/$dump_name.counts" | tr -d ' ') $engine_items)"

  # Retention runs only after a success, so failures never delete anything.
  list_archives | retention_select "$BACKUP_KEEP_LATEST" "$BACKUP_RETENTION_DAYS" "$(now)" | while IFS= read -r _old; do
    [ "$_old" = "$dump_name" ] && continue
    log "retention: deleting $_old (older than $BACKUP_RETENTION_DAYS days, not among the newest $BACKUP_KEEP_LATEST)"
    rm -f "$BACKUP_DIR/$_old" "$BACKUP_DIR/$_old.counts"
  done

  dump_finish success "$_size"
  echo "$dump_name"
}

dump_finish() { # OUTCOME SIZE
  _ended=$(now)
  if [ "$1" = success ]; then
    state_set "$dump_state" "success=$(( $(state_get "$dump_state" success 0) + 1 ))" "last_success=$_ended" "last_ok=1" \
      "last_end=$_ended" "last_duration=$(( _ended - dump_started ))" "last_size=$2" "last_archive=$dump_name"
  else
    state_set "$dump_state" "failed=$(( $(state_get "$dump_state" failed 0) + 1 ))" "last_ok=0" "last_end=$_ended" "last_duration=$(( _ended - dump_started ))"
  fi
  publish_metrics
}

# dump_fail MESSAGE: the run failed; its temporary files go, the previous archives stay.
dump_fail() {
  log "FAILED: $*; the previous archives are untouched (log: $dump_log)"
  rm -f "$dump_partial" "$dump_partial".*
  dump_finish failed 0
  exit 1
}

# archive_path NAME: the path of an archive named as `restore.sh list` prints it; dies otherwise.
archive_path() {
  case "$1" in */* | .* | "") die "expected an archive name as 'restore.sh list' prints it, got '$1'" ;; esac
  [ -f "$BACKUP_DIR/$1" ] || die "no archive $1 in $BACKUP_DIR (restore.sh list shows what there is)"
  echo "$BACKUP_DIR/$1"
}

# restore_main COMMAND [ARCHIVE] (restore.sh): list, cat, scratch, apply; anything else prints the
# calling script's header comment (its usage) and exits 2.
restore_main() {
  : "${BACKUP_DATABASE:?BACKUP_DATABASE is not set}"
  : "${BACKUP_SCRATCH_DATABASE:?BACKUP_SCRATCH_DATABASE is not set}"
  case "${1:-}" in
    list)
      # Newest first by the time in the name, whatever the kind (a name sort put every pre-release
      # snapshot before a newer daily dump, and `npm run restore` takes the first line).
      list_archives | sed -n '1!G;h;$p' ;;
    cat)
      _archive=$(archive_path "${2:-}") || exit 1
      exec cat "$_archive" ;;
    scratch)
      _archive=$(archive_path "${2:-}") || exit 1
      mkdir -p "$BACKUP_STATE_DIR"
      # The restore test already holds the lock; a restore from the CLI waits for a running dump or test.
      if [ "${BACKUP_LOCK_HELD:-}" != 1 ]; then
        acquire_lock "${BACKUP_LOCK_WAIT_SECONDS:-3600}" || die "another backup run holds the lock"
        trap 'release_lock' EXIT
      fi
      log "restoring ${_archive##*/} into $BACKUP_SCRATCH_DATABASE"
      engine_restore_scratch "$_archive" "$BACKUP_STATE_DIR/last-restore.log" ;;
    apply)
      engine_apply_ready
      _archive=$(archive_path "${2:-}") || exit 1
      _safety=$("${0%/*}/dump.sh" pre-restore) || die "the pre-restore dump failed; nothing was restored"
      log "pre-restore dump: $_safety (restore it to undo this)"
      acquire_lock "${BACKUP_LOCK_WAIT_SECONDS:-3600}" || die "another backup run holds the lock; nothing was restored"
      trap 'release_lock' EXIT
      engine_restore_apply "$_archive" "$_safety"
      echo "$_safety" ;;
    *)
      awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0" >&2
      exit 2 ;;
  esac
}
