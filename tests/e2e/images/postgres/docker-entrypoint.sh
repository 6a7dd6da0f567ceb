#!/bin/bash
# The e2e's postgres image entrypoint (a stand-in part, ours): docker-library/postgres 15's
# docker-entrypoint.sh where the program relies on it, in the same order, over Debian's PostgreSQL:
#   1. POSTGRES_PASSWORD (or the file POSTGRES_PASSWORD_FILE names), POSTGRES_USER (default
#      postgres) and POSTGRES_DB (default the user) are read first, as the user the container
#      started as (root), exported, and the *_FILE variable dropped, as the real script does;
#   2. as root: PGDATA and /var/run/postgresql are given to postgres (999:999) and the script runs
#      itself again as postgres with gosu;
#   3. on an empty PGDATA (no PG_VERSION): initdb with the superuser and its password (local
#      connections trusted, every other one scram-sha-256), a temporary server that listens on no
#      TCP address, POSTGRES_DB created, /docker-entrypoint-initdb.d/*.sql run with psql (stopping
#      at the first error) and *.sh sourced, the temporary server stopped;
#   4. exec the server (postgresql.conf.sample listens on every address, as the real image's).
# Differences (tests/e2e/images/README.md): initdb uses the C locale (this image has no
# en_US.UTF-8), *.sql.gz/xz/zst init files are not read, no nss_wrapper for arbitrary --user.
set -Eeo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

file_env() {
  local var="$1" fileVar="${1}_FILE" def="${2:-}"
  if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
    echo >&2 "error: both $var and $fileVar are set (but are exclusive)"
    exit 1
  fi
  local val="$def"
  if [ "${!var:-}" ]; then
    val="${!var}"
  elif [ "${!fileVar:-}" ]; then
    val="$(<"${!fileVar}")"
  fi
  export "$var"="$val"
  unset "$fileVar"
}

if [ "$1" != 'postgres' ]; then
  exec "$@"
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"

if [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA"
  chmod 03775 /var/run/postgresql
  find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
  exec gosu postgres "$BASH_SOURCE" "$@"
fi

sql() { # psql as the superuser on the temporary server's socket
  PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ]; then
    echo >&2 "error: the database is not initialised and no superuser password is given (POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE)"
    exit 1
  fi
  ls /docker-entrypoint-initdb.d/ >/dev/null
  echo "docker-entrypoint: empty $PGDATA: initdb as $(id -u):$(id -g)"
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") --auth-local=trust --auth-host=scram-sha-256 --locale=C --encoding=UTF8 -D "$PGDATA"
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  export PGPASSWORD="$POSTGRES_PASSWORD"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
  if [ -z "$(POSTGRES_DB= sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")" ]; then
    POSTGRES_DB= sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) echo "docker-entrypoint: running $f"; sql --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sh) echo "docker-entrypoint: sourcing $f"; . "$f" ;;
      */\*) ;;
      *) echo "docker-entrypoint: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  echo "docker-entrypoint: init complete"
else
  echo "docker-entrypoint: $PGDATA holds a database; no init"
fi

exec "$@"
