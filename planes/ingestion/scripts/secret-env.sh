#!/bin/sh
# The ingestion MCP server (the seed's image) reads its secrets only from environment variables
# (POSTGRES_CONNECTION_STRING, OPENAI_API_KEY, LLM_API_KEY). The least-bad path: the secrets are
# delivered as files only the service's user (and root) can read, like every other secret, and this wrapper
# exports each variable named in ENV_FROM_FILES from its <NAME>_FILE just before it execs the
# service. The values then live only in the service process's own environment: not in the
# container's configuration (`docker inspect`), not in Pulumi's state or a generated file.
#
#   secret-env.sh <command> [<args>...]
set -eu
for name in ${ENV_FROM_FILES:-}; do
  case "$name" in *[!A-Za-z0-9_]* | "") echo "secret-env: '$name' is not a variable name" >&2; exit 64 ;; esac
  eval "file=\${${name}_FILE:-}"
  [ -n "$file" ] || { echo "secret-env: ${name}_FILE is not set" >&2; exit 64; }
  [ -r "$file" ] || { echo "secret-env: cannot read ${name}_FILE=$file as uid $(id -u) gid $(id -g)" >&2; exit 66; }
  value=$(cat "$file")
  [ -n "$value" ] || { echo "secret-env: ${name}_FILE=$file is empty" >&2; exit 66; }
  export "$name=$value"
  unset "${name}_FILE"
done
unset ENV_FROM_FILES value file name
[ $# -gt 0 ] || { echo "usage: secret-env.sh <command> [<args>...]" >&2; exit 64; }
exec "$@"
