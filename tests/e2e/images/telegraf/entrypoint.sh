#!/bin/sh
# influxdata-docker telegraf/1.32/alpine/entrypoint.sh's behaviour: options alone run telegraf;
# as root it drops to the telegraf user, as any other user it runs the command as is.
set -e
if [ "${1#-}" != "$1" ]; then
  set -- telegraf "$@"
fi
if [ "$(id -u)" -ne 0 ]; then
  exec "$@"
else
  exec gosu telegraf "$@"
fi
