#!/usr/bin/env bash
# Measures the peak RSS (VmHWM) of the services' real binaries at idle, the figures behind
# facts/images.ts MEMORY_FLOORS. Uses Debian's prometheus and nginx and the Go-built binaries of the
# e2e cache (tests/e2e/images/go-build.sh alertmanager|nsq|telegraf-nsq). Prints one line per binary.
set -euo pipefail
cache="${E2E_CACHE:-/var/cache/enrichment-e2e}/bin"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

peak() { # name url command...: start, poke the URL for a few seconds, print the peak RSS
  local name="$1" url="$2"; shift 2
  "$@" >"$work/$name.log" 2>&1 &
  local pid=$!
  sleep 4
  for _ in 1 2 3 4 5; do curl -s -o /dev/null "$url" || true; sleep 0.5; done
  echo "$name: peak RSS $(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

printf 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ["127.0.0.1:19090"]}]\n' >"$work/prometheus.yml"
peak prometheus http://127.0.0.1:19090/metrics prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" --web.listen-address=127.0.0.1:19090
printf 'route:\n  receiver: none\nreceivers:\n  - name: none\n' >"$work/alertmanager.yml"
peak alertmanager http://127.0.0.1:19093/metrics "$cache/alertmanager-v0.27.0/alertmanager" --config.file="$work/alertmanager.yml" \
  --storage.path="$work/am" --web.listen-address=127.0.0.1:19093 --cluster.listen-address=
peak nsqlookupd http://127.0.0.1:14161/stats "$cache/nsq-v1.3.0/nsqlookupd" --http-address=127.0.0.1:14161 --tcp-address=127.0.0.1:14160
mkdir -p "$work/nsqd"
peak nsqd http://127.0.0.1:14151/stats "$cache/nsq-v1.3.0/nsqd" --http-address=127.0.0.1:14151 --tcp-address=127.0.0.1:14150 --data-path="$work/nsqd"
peak nsqadmin http://127.0.0.1:14171/ "$cache/nsq-v1.3.0/nsqadmin" --http-address=127.0.0.1:14171 --nsqd-http-address=127.0.0.1:14151

mkdir -p "$work/nsqd2"
"$cache/nsq-v1.3.0/nsqd" --http-address=127.0.0.1:14151 --tcp-address=127.0.0.1:14150 --data-path="$work/nsqd2" >/dev/null 2>&1 &
printf '[agent]\n  interval = "1s"\n  omit_hostname = true\n[[inputs.nsq]]\n  endpoints = ["http://127.0.0.1:14151"]\n[[outputs.prometheus_client]]\n  listen = "127.0.0.1:19273"\n' >"$work/telegraf.conf"
peak telegraf http://127.0.0.1:19273/metrics "$cache/telegraf-nsq-v1.32.3/telegraf" --config "$work/telegraf.conf"

printf 'pid %s/nginx.pid;\nerror_log %s/nginx.err;\nevents {}\nhttp { access_log off; server { listen 127.0.0.1:18081; location / { return 200 ok; } } }\n' "$work" "$work" >"$work/nginx.conf"
nginx -c "$work/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
master=$!
sleep 2; curl -s -o /dev/null http://127.0.0.1:18081/ || true
for pid in "$master" $(pgrep -P "$master"); do echo "nginx pid $pid: peak RSS $(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")"; done
