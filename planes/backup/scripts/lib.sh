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
# Every process costs a fork and an exec, so the hot paths use builtins: case patterns and
# parameter expansion instead of sed, read loops instead of sed | tail, and set_* functions that
# leave their result in a variable (_now, _got, ...) where a $(...) would fork a subshell. The
# printing forms (now, state_get, archive_epoch, ...) remain for the scripts' callers and the tests.

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${0##*/}" "$*" >&2; }
die() { log "$*"; exit 1; }

# The current Unix time; BACKUP_NOW fixes it (tests, and runs that must agree on one instant).
# set_now leaves it in _now (no subshell when BACKUP_NOW is set); now prints it.
set_now() { if [ -n "${BACKUP_NOW:-}" ]; then _now=$BACKUP_NOW; else _now=$(date -u +%s); fi; }
now() { set_now; echo "$_now"; }

# set_daily_offset "HH:MM": _off = seconds after midnight; fails on anything else. A case pattern
# and $(( )) instead of awk (the scheduler asks every tick); ${h#0}: "08" is not octal then.
set_daily_offset() {
  case "$1" in [01][0-9]:[0-5][0-9] | 2[0-3]:[0-5][0-9]) ;; *) return 1 ;; esac
  _h=${1%:*} _m=${1#*:}
  _off=$(( ${_h#0} * 3600 + ${_m#0} * 60 ))
}

# set_weekly_offset "<day> HH:MM": _off = seconds after Sunday 00:00; fails on anything else.
set_weekly_offset() {
  case "$1" in
    sun\ *) _wday=0 ;; mon\ *) _wday=1 ;; tue\ *) _wday=2 ;; wed\ *) _wday=3 ;; thu\ *) _wday=4 ;; fri\ *) _wday=5 ;; sat\ *) _wday=6 ;;
    *) return 1 ;;
  esac
  set_daily_offset "${1#????}" || return 1
  _off=$(( _wday * 86400 + _off ))
}

# set_prev_daily SCHEDULE NOW: _prev = the latest scheduled instant at or before NOW (UTC days
# are 86400 s).
set_prev_daily() {
  set_daily_offset "$1" || return 1
  _prev=$(( $2 - $2 % 86400 + _off ))
  [ "$_prev" -le "$2" ] || _prev=$(( _prev - 86400 ))
}

# set_prev_weekly SCHEDULE NOW: the same for a weekly schedule (1970-01-01 was a Thursday).
set_prev_weekly() {
  set_weekly_offset "$1" || return 1
  _days=$(( $2 / 86400 ))
  _prev=$(( (_days - (_days + 4) % 7) * 86400 + _off ))
  [ "$_prev" -le "$2" ] || _prev=$(( _prev - 604800 ))
}

prev_daily() { set_prev_daily "$1" "$2" || return 1; echo "$_prev"; }
prev_weekly() { set_prev_weekly "$1" "$2" || return 1; echo "$_prev"; }
next_daily() { set_prev_daily "$1" "$2" || return 1; echo $(( _prev + 86400 )); }
next_weekly() { set_prev_weekly "$1" "$2" || return 1; echo $(( _prev + 604800 )); }

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

# set_archive_stamp NAME: _stamp = the 20261201T023000Z in an archive's name, which is
# "<kind>[-<release>]-<stamp><suffix>" (sed's ^[a-z-]*-.*\([0-9]\{8\}T[0-9]\{6\}Z\)<suffix>$);
# fails for names that are not archives. Case patterns and parameter expansion, not two seds: the
# lists below check every name.
set_archive_stamp() {
  case "$1" in *"$BACKUP_ARCHIVE_SUFFIX") ;; *) return 1 ;; esac
  _rest=${1%"$BACKUP_ARCHIVE_SUFFIX"}
  _stamp=${_rest#"${_rest%????????????????}"} # its last 16 characters
  case "$_stamp" in [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;; *) return 1 ;; esac
  _rest=${_rest%"$_stamp"}
  # ^[a-z-]*-.*: a "-", and only [a-z] before the first one.
  case "$_rest" in *-*) ;; *) return 1 ;; esac
  case "${_rest%%-*}" in *[!a-z]*) return 1 ;; esac
}

# The stamp's civil-date arithmetic, as an awk function epoch(stamp) that archive_epoch and the
# lists below share: one awk for a whole list, not one per name.
EPOCH_AWK='function epoch(s,  y, m, d, era, yoe, mm, doy, doe) {
    y = substr(s, 1, 4) + 0; m = substr(s, 5, 2) + 0; d = substr(s, 7, 2) + 0
    if (m <= 2) y--
    era = int(y / 400); yoe = y - era * 400; mm = m > 2 ? m - 3 : m + 9
    doy = int((153 * mm + 2) / 5) + d - 1; doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
    # %.0f, not %d: mawk and busybox awk print %d through a 32-bit int (wrong after 2038).
    return sprintf("%.0f", (era * 146097 + doe - 719468) * 86400 + substr(s, 10, 2) * 3600 + substr(s, 12, 2) * 60 + substr(s, 14, 2)) }'

# archive_epoch NAME: the Unix time in an archive's name; fails for names that are not archives.
archive_epoch() {
  set_archive_stamp "$1" || return 1
  awk -v s="$_stamp" "$EPOCH_AWK"' BEGIN { print epoch(s) }'
}

# A release version as it may appear in a file name.
release_label() { printf '%s' "$1" | tr -c 'A-Za-z0-9._' '_' | cut -c1-64; }

# set_archive_name KIND EPOCH [RELEASE]: _aname; archive_name prints it.
set_archive_name() {
  case "$1" in
    daily) _aname="daily-$(epoch_stamp "$2")$BACKUP_ARCHIVE_SUFFIX" ;;
    pre-release)
      [ -n "${3:-}" ] || return 1
      _aname="pre-release-$(release_label "$3")-$(epoch_stamp "$2")$BACKUP_ARCHIVE_SUFFIX" ;;
    # Taken by `restore.sh apply` just before it replaces the live database.
    pre-restore) _aname="pre-restore-$(epoch_stamp "$2")$BACKUP_ARCHIVE_SUFFIX" ;;
    *) return 1 ;;
  esac
}
archive_name() { set_archive_name "$@" || return 1; echo "$_aname"; }

# set_kind NAME: _kind = daily, pre-release or pre-restore (the prefix before the release and
# stamp); kind_of prints it.
set_kind() {
  case "$1" in
    daily-*) _kind=daily ;;
    pre-release-*) _kind=pre-release ;;
    pre-restore-*) _kind=pre-restore ;;
    *) return 1 ;;
  esac
}
kind_of() { set_kind "$1" || return 1; echo "$_kind"; }

# retention_select KEEP_LATEST RETENTION_DAYS NOW < names: prints the names to delete. Per kind,
# the newest KEEP_LATEST are kept whatever their age (so never the newest, and never all of
# them); of the rest, those older than RETENTION_DAYS go. Names that do not parse are never listed.
retention_select() {
  _keep=$1 _days=$2 _now=$3
  [ "$_keep" -ge 1 ] 2>/dev/null || { log "retention: keepLatest must be >= 1, got '$_keep'"; return 1; }
  [ "$_days" -ge 1 ] 2>/dev/null || { log "retention: retentionDays must be >= 1, got '$_days'"; return 1; }
  # "<kind> <stamp> <name>" from builtins, then one awk turns every stamp into its epoch:
  # "<kind> <epoch> <name>" (the kind has no space, the stamp is 16 characters).
  while IFS= read -r _name; do
    set_kind "$_name" || continue
    set_archive_stamp "$_name" || continue
    printf '%s %s %s\n' "$_kind" "$_stamp" "$_name"
  done | awk "$EPOCH_AWK"' { i = index($0, " "); print substr($0, 1, i) epoch(substr($0, i + 1, 16)) substr($0, i + 17) }' |
    sort -k1,1 -k2,2nr | awk -v keep="$_keep" -v cutoff=$(( _now - _days * 86400 )) '
    $1 != kind { kind = $1; rank = 0 }
    { rank++ }
    rank > keep && $2 < cutoff { print $3 }'
}

# Archives in BACKUP_DIR (names only, no temporary files), oldest first.
list_archives() {
  # "<stamp> <name>", then one awk: "<epoch> <name>".
  for _f in "$BACKUP_DIR"/*"$BACKUP_ARCHIVE_SUFFIX"; do
    [ -f "$_f" ] || continue
    _n=${_f##*/}
    set_archive_stamp "$_n" || continue
    printf '%s %s\n' "$_stamp" "$_n"
  done | awk "$EPOCH_AWK"' { print epoch(substr($0, 1, 16)) substr($0, 17) }' | sort -n | awk '{ print $2 }'
}

# set_archive_count: _count = how many names list_archives prints, without a process.
set_archive_count() {
  _count=0
  for _f in "$BACKUP_DIR"/*"$BACKUP_ARCHIVE_SUFFIX"; do
    [ -f "$_f" ] && set_archive_stamp "${_f##*/}" && _count=$(( _count + 1 ))
  done
}

newest_archive() { list_archives | tail -n 1; }

# --- state (counters and timestamps that survive restarts; the metrics are rendered from it):
# "KEY=VALUE" lines in $BACKUP_STATE_DIR/<name>.state (dump, restore-test, scheduler, offsite).

# set_lines FILE: _lines = its number of lines as wc -l counts them (newlines), without a process.
set_lines() { _lines=0; while IFS= read -r _line; do _lines=$(( _lines + 1 )); done <"$1"; }

# state_get_v FILE KEY DEFAULT: _got = the KEY's last value, or DEFAULT when it has none (or an
# empty one); state_get prints it. A read loop, not sed | tail: no process. "|| [ -n ]" reads a
# last line without a newline too, as sed does.
state_get_v() {
  _got=""
  if [ -f "$1" ]; then
    while IFS= read -r _line || [ -n "$_line" ]; do
      case "$_line" in "$2="*) _got=${_line#"$2="} ;; esac
    done <"$1"
  fi
  [ -n "$_got" ] || _got=$3
}
state_get() { state_get_v "$@"; echo "$_got"; }

state_set() { # FILE KEY=VALUE...: one atomic rewrite
  _file=$1; shift
  [ -d "${_file%/*}" ] || mkdir -p "${_file%/*}"
  _tmp="$_file.tmp.$$"
  # The file's lines, then the new ones (a here-document: no cat, no pipeline); the last line of
  # a key wins, in the order keys first appeared.
  _kvs=$1; shift
  for _kv in "$@"; do _kvs="$_kvs
$_kv"; done
  if [ -f "$_file" ]; then set -- "$_file" -; else set -- -; fi
  awk -F= '{ v[$1] = $0; if (!($1 in seen)) { order[++n] = $1; seen[$1] = 1 } } END { for (i = 1; i <= n; i++) print v[order[i]] }' "$@" >"$_tmp" <<EOF
$_kvs
EOF
  mv -f "$_tmp" "$_file"
}

state_incr() { # FILE KEY: prints the new value
  state_get_v "$1" "$2" 0
  _n=$(( $_got + 1 ))
  state_set "$1" "$2=$_n"
  echo "$_n"
}

# write_atomically PATH TEXT: writes TEXT (printf, not a pipe into cat); readers (node-exporter's
# textfile collector, people) see the old file or the new one, never half of one. The temporary
# name does not end in .prom.
write_atomically() {
  [ -d "${1%/*}" ] || mkdir -p "${1%/*}"
  _tmp="${1%/*}/.${1##*/}.tmp.$$"
  printf '%s' "$2" >"$_tmp" && chmod 0644 "$_tmp" && mv -f "$_tmp" "$1"
}

# --- a lock, so a pre-release snapshot and a scheduled run never dump at the same time
# acquire_lock WAIT_SECONDS: mkdir is atomic; a lock whose holder died is taken over.
acquire_lock() {
  _lock="$BACKUP_STATE_DIR/lock"
  _waited=0
  [ -d "$BACKUP_STATE_DIR" ] || mkdir -p "$BACKUP_STATE_DIR"
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

# --- metrics (docs/metrics-contract.md): rendered from the state files, written atomically
# The series both the dump and the copier write carry ONE help text: node-exporter's textfile
# collector merges the files and drops a family whose HELP differs from the first file's (the
# copier's file sorts first, so the dump's contract series vanished from Prometheus). The
# contract's two are facts/metricsContract.ts's help, word for word.
HELP_RUNS="Backup runs of a database (service: mongodb-backup, postgres-backup), by outcome (*-backup-offsite: off-host copies of an archive)."
HELP_LAST_SUCCESS="Unix time of the last successful backup (*-backup-offsite: dump time of the newest archive the off-host storage holds)."
HELP_ARCHIVES="Backup archives kept (*-backup: on the backup volume; *-backup-offsite: on the off-host storage)."
# metric NAME TYPE HELP [LABELS VALUE]...: appends the family to $_prom, the text of the file
# being rendered (built in a variable: no pipeline per family).
metric() {
  _prom="$_prom# HELP $1 $3
# TYPE $1 $2
"
  _metric=$1; shift 3
  while [ $# -ge 2 ]; do
    _prom="$_prom$_metric{$1} $2
"
    shift 2
  done
}

# gauge NAME HELP STATE_FILE KEY: a gauge of service="$BACKUP_SERVICE" from a state file (0 when unset).
gauge() { state_get_v "$3" "$4" 0; metric "$1" gauge "$2" "$_s" "$_got"; }

# runs NAME HELP STATE_FILE: the counter of runs by outcome.
runs() {
  state_get_v "$3" success 0; _ok=$_got
  state_get_v "$3" failed 0
  metric "$1" counter "$2" "$_s,status=\"success\"" "$_ok" "$_s,status=\"failed\"" "$_got"
}

# publish_metrics: the dump container's file, service="$BACKUP_SERVICE".
publish_metrics() {
  _d="$BACKUP_STATE_DIR/dump.state" _r="$BACKUP_STATE_DIR/restore-test.state"
  _s="service=\"$BACKUP_SERVICE\""
  _prom=""
  runs enrichment_backup_runs_total "$HELP_RUNS" "$_d"
  # 0 until a dump succeeds: BackupTooOld then fires, which is the truth (there is no backup).
  gauge enrichment_backup_last_success_timestamp_seconds "$HELP_LAST_SUCCESS" "$_d" last_success
  gauge enrichment_backup_last_run_end_timestamp_seconds "Unix time the last backup run ended, whatever its outcome." "$_d" last_end
  gauge enrichment_backup_last_run_success "1 when the last backup run succeeded, 0 when it failed." "$_d" last_ok
  gauge enrichment_backup_last_run_duration_seconds "Duration of the last backup run." "$_d" last_duration
  gauge enrichment_backup_last_size_bytes "Size of the newest verified archive." "$_d" last_size
  set_archive_count
  metric enrichment_backup_archives gauge "$HELP_ARCHIVES" "$_s" "$_count"
  runs enrichment_backup_restore_test_runs_total "Restore tests into the scratch database, by outcome." "$_r"
  gauge enrichment_backup_last_restore_test_timestamp_seconds "Unix time a backup was last restored successfully into a scratch database (the restore test)." "$_r" last_success
  write_atomically "$BACKUP_METRICS_DIR/$BACKUP_SERVICE.prom" "$_prom"
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
  set_now; dump_started=$_now
  set_archive_name "${1:-daily}" "$dump_started" "${2:-}" || die "usage: dump.sh daily | pre-release <release> | pre-restore"
  dump_name=$_aname
  [ -d "$BACKUP_DIR" ] && [ -d "$BACKUP_STATE_DIR" ] || mkdir -p "$BACKUP_DIR" "$BACKUP_STATE_DIR" || die "cannot create $BACKUP_DIR"
  acquire_lock "$BACKUP_LOCK_WAIT_SECONDS" || die "another backup run holds the lock for more than ${BACKUP_LOCK_WAIT_SECONDS}s"
  trap 'release_lock' EXIT
  dump_partial="$BACKUP_DIR/.$dump_name.partial"
  dump_log="$BACKUP_STATE_DIR/last-dump.log"
  dump_state="$BACKUP_STATE_DIR/dump.state"

  log "dumping database $BACKUP_DATABASE to $dump_name"
  engine_dump "$dump_partial" "$dump_log"
  # ${##* } instead of tr -d ' ': some wc pad the number with spaces.
  _size=$(wc -c <"$dump_partial"); _size=${_size##* }
  mv -f "$dump_partial.counts" "$BACKUP_DIR/$dump_name.counts" && mv -f "$dump_partial" "$BACKUP_DIR/$dump_name" || dump_fail "cannot rename the archive into place"
  set_lines "$BACKUP_DIR/$dump_name.counts"
  log "verified $dump_name ($_size bytes, $_lines $engine_items)"

  # Retention runs only after a success, so failures never delete anything.
  set_now
  list_archives | retention_select "$BACKUP_KEEP_LATEST" "$BACKUP_RETENTION_DAYS" "$_now" | while IFS= read -r _old; do
    [ "$_old" = "$dump_name" ] && continue
    log "retention: deleting $_old (older than $BACKUP_RETENTION_DAYS days, not among the newest $BACKUP_KEEP_LATEST)"
    rm -f "$BACKUP_DIR/$_old" "$BACKUP_DIR/$_old.counts"
  done

  dump_finish success "$_size"
  echo "$dump_name"
}

dump_finish() { # OUTCOME SIZE
  set_now; _ended=$_now
  if [ "$1" = success ]; then
    state_get_v "$dump_state" success 0
    state_set "$dump_state" "success=$(( $_got + 1 ))" "last_success=$_ended" "last_ok=1" \
      "last_end=$_ended" "last_duration=$(( _ended - dump_started ))" "last_size=$2" "last_archive=$dump_name"
  else
    state_get_v "$dump_state" failed 0
    state_set "$dump_state" "failed=$(( $_got + 1 ))" "last_ok=0" "last_end=$_ended" "last_duration=$(( _ended - dump_started ))"
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
