#!/bin/bash
# The e2e's mongodb image entrypoint: docker-library/mongo 7.0's docker-entrypoint.sh where the
# program relies on it, in the same order, over FerretDB (a MongoDB wire-protocol server):
#   1. started as root, it chowns /data/db and /data/configdb to mongodb, then re-executes itself
#      as mongodb (999:999) with gosu, BEFORE reading any *_FILE secret;
#   2. as mongodb: MONGO_INITDB_ROOT_USERNAME/PASSWORD from the variable or its *_FILE (an
#      unreadable file stops the container, as `$(< file)` does in the real script);
#   3. on an empty data directory: a temporary server bound to 127.0.0.1 creates the root user,
#      runs /docker-entrypoint-initdb.d/*.js with mongosh as root against MONGO_INITDB_DATABASE
#      (*.sh are sourced), and stops;
#   4. adds --auth when a root user is set, --bind_ip_all unless a bind option is given, and
#      execs the server with the given arguments.
# Differences (tests/e2e/images/README.md): FerretDB creates the first user from its setup
# options instead of the localhost exception, and implements no roles.
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- mongod "$@"
fi

originalArgOne="$1"
if [[ "$originalArgOne" == mongo* ]] && [ "$(id -u)" = '0' ]; then
  if [ "$originalArgOne" = 'mongod' ]; then
    find /data/configdb /data/db \! -user mongodb -exec chown mongodb '{}' +
  fi
  exec gosu mongodb "$BASH_SOURCE" "$@"
fi

file_env() {
  local var="$1"
  local fileVar="${var}_FILE"
  local def="${2:-}"
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

have_arg() {
  local want="$1"; shift
  local a
  for a in "$@"; do [[ "$a" == "$want" || "$a" == "$want="* ]] && return 0; done
  return 1
}

if [ "$originalArgOne" = 'mongod' ]; then
  file_env 'MONGO_INITDB_ROOT_USERNAME'
  file_env 'MONGO_INITDB_ROOT_PASSWORD'
  if [ "$MONGO_INITDB_ROOT_USERNAME" ] && [ -z "$MONGO_INITDB_ROOT_PASSWORD" ] || [ -z "$MONGO_INITDB_ROOT_USERNAME" ] && [ "$MONGO_INITDB_ROOT_PASSWORD" ]; then
    echo >&2 "error: missing MONGO_INITDB_ROOT_USERNAME or MONGO_INITDB_ROOT_PASSWORD: both must be specified for a user to be created"
    exit 1
  fi

  shouldPerformInitdb=
  if [ "$MONGO_INITDB_ROOT_USERNAME" ] && [ "$MONGO_INITDB_ROOT_PASSWORD" ]; then
    # The real script adds --auth whenever a root user is set.
    have_arg --auth "$@" || set -- "$@" --auth
    shouldPerformInitdb='true'
  elif compgen -G '/docker-entrypoint-initdb.d/*' >/dev/null; then
    shouldPerformInitdb='true'
  fi
  # An existing database (FerretDB keeps one SQLite file per database) skips the init.
  if compgen -G '/data/db/*.sqlite' >/dev/null; then
    shouldPerformInitdb=
  fi

  if [ -n "$shouldPerformInitdb" ]; then
    echo "docker-entrypoint: empty /data/db: running the init as $(id -u):$(id -g)"
    rootAuthDatabase='admin'
    # The real temporary mongod listens on 127.0.0.1:27017 without --auth, so the program's
    # healthcheck (authorization must be enforced) fails against it. FerretDB needs authentication
    # on to create users, so its temporary server listens on another loopback port instead: the
    # healthcheck finds nothing on 27017 and fails as well, until the final server starts.
    initPort=27099
    (
      if [ "$MONGO_INITDB_ROOT_USERNAME" ]; then
        # FerretDB has no localhost exception: its setup options create the first user.
        export FERRETDB_SETUP_DATABASE="$rootAuthDatabase" FERRETDB_SETUP_USERNAME="$MONGO_INITDB_ROOT_USERNAME" FERRETDB_SETUP_PASSWORD="$MONGO_INITDB_ROOT_PASSWORD"
        # getCmdLineOpts reports the real temporary server's options (no --auth).
        E2E_MONGOD_ARGV="--bind_ip 127.0.0.1 --port 27017" exec mongod --bind_ip 127.0.0.1 --port "$initPort" --auth
      fi
      E2E_MONGOD_ARGV="--bind_ip 127.0.0.1 --port 27017" exec mongod --bind_ip 127.0.0.1 --port "$initPort"
    ) &
    tempPid=$!
    mongo=(mongosh --host 127.0.0.1 --port "$initPort" --quiet)
    for i in $(seq 30 -1 0); do
      if "${mongo[@]}" 'admin' --eval 'quit(db.adminCommand({ ping: 1 }).ok === 1 ? 0 : 1)' >/dev/null 2>&1; then break; fi
      if ! kill -0 "$tempPid" 2>/dev/null || [ "$i" = 0 ]; then
        echo >&2 "error: the temporary init server did not start"
        exit 1
      fi
      sleep 1
    done
    if [ "$MONGO_INITDB_ROOT_USERNAME" ]; then
      mongo+=(--username="$MONGO_INITDB_ROOT_USERNAME" --password="$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase="$rootAuthDatabase")
    fi
    export MONGO_INITDB_DATABASE="${MONGO_INITDB_DATABASE:-test}"
    echo
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) echo "$0: running $f"; . "$f" ;;
        *.js) echo "$0: running $f"; "${mongo[@]}" "$MONGO_INITDB_DATABASE" "$f"; echo ;;
        *) echo "$0: ignoring $f" ;;
      esac
    done
    kill "$tempPid"
    wait "$tempPid" || true
    echo
    echo 'MongoDB init process complete; ready for start up.'
    echo
  fi

  if ! have_arg --bind_ip "$@" && ! have_arg --bind_ip_all "$@"; then
    set -- "$@" --bind_ip_all
  fi
  unset "${!MONGO_INITDB_@}"
fi

exec "$@"
