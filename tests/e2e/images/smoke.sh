#!/usr/bin/env bash
# Smoke test of the images build.sh pushed (.e2e/images.json): each image is run the way the
# program runs it (files uploaded as a tar at / with mode and owner, as the docker provider does)
# and checked for what the e2e relies on: the runtime user of facts/images.ts, the mongodb
# entrypoint (drop to mongodb before reading secrets, init scripts, the program's healthcheck,
# authentication, the TTL index), the ollama pulls, nginx's worker user, the platform stand-ins
# and Grafana refusing unreadable secrets. Prints "N passed, M failed"; exits 1 on a failure.
#
#   tests/e2e/images/smoke.sh        (after tests/e2e/images/build.sh; needs the Docker engine)
#
# Creates only containers, volumes and a network named e2eimg-smoke-*, and removes them.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
images_json="$repo/.e2e/images.json"
P=e2eimg-smoke
passed=0 failed=0
[[ -f "$images_json" ]] || { echo "smoke: $images_json is missing: run tests/e2e/images/build.sh" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "smoke: no Docker engine answers (tests/e2e/dockerd.sh)" >&2; exit 1; }

img() { sed -n "s/^  \"$1\": \"\\(.*\\)\",\\{0,1\\}$/\\1/p" "$images_json"; }
ok() { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }
check() { local what="$1"; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
work="$(mktemp -d)"
cleanup() {
  docker ps -aq --filter "name=^$P-" | xargs -r docker rm -f >/dev/null 2>&1
  docker volume ls -q --filter "name=^$P-" | xargs -r docker volume rm >/dev/null 2>&1
  docker network rm "$P-net" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
cleanup_containers() { docker ps -aq --filter "name=^$P-" | xargs -r docker rm -f >/dev/null 2>&1; }

# upload CONTAINER MODE UID GID DEST=SRC...: one tar at /, entries carrying mode and owner.
upload() {
  local c="$1" mode="$2" uid="$3" gid="$4"; shift 4
  local stage; stage="$(mktemp -d "$work/up.XXXX")"
  local spec
  for spec in "$@"; do mkdir -p "$stage$(dirname "${spec%%=*}")"; cp "${spec#*=}" "$stage${spec%%=*}"; done
  (cd "$stage" && tar --numeric-owner --owner="$uid" --group="$gid" --mode="$mode" -cf - $(cd "$stage" && find . -type f | sed 's#^\./##')) | docker cp - "$c:/"
}
wait_health() { local c="$1" i; for i in $(seq 1 "${2:-40}"); do [[ "$(docker inspect -f '{{.State.Health.Status}}' "$c" 2>/dev/null)" == healthy ]] && return 0; sleep 1; done; return 1; }
exited_with() { local c="$1" pattern="$2" i; for i in $(seq 1 20); do [[ "$(docker inspect -f '{{.State.Status}}' "$c")" == exited ]] && break; sleep 0.5; done
  [[ "$(docker inspect -f '{{.State.ExitCode}}' "$c")" != 0 ]] && docker logs "$c" 2>&1 | grep -q "$pattern"; }
ts() { (cd "$repo" && npx --no-install tsx -e "$1" "${@:2}"); }

echo "smoke: runtime users (facts/images.ts; keys the program runs with --user are skipped)"
users="$(ts 'import { IMAGES } from "./facts/images"; for (const [k, f] of Object.entries(IMAGES)) if (!f.userOverride && k !== "mongodb") console.log(k, f.user.value.uid);')" || users=""
[[ -n "$users" ]] || bad "read facts/images.ts (npm ci first)"
while read -r key uid; do
  ref="$(img "images.$key")"
  [[ -z "$ref" ]] && continue
  got="$(docker run --rm --entrypoint id "$ref" -u 2>&1)"
  if [[ "$got" == "$uid" ]]; then ok "images.$key runs as uid $uid"; else bad "images.$key runs as uid $got, facts/images.ts says $uid"; fi
done <<<"$users"
for ref in $(sed -n 's/^  "release\.images\.[^"]*": "\(.*\)",\{0,1\}$/\1/p' "$images_json"); do
  got="$(docker run --rm --entrypoint id "$ref" -u 2>&1)"
  if [[ "$got" == 10001 ]]; then ok "${ref%%@*} runs as 10001 (appRuntimeUser)"; else bad "${ref%%@*} runs as $got, expected 10001"; fi
done

echo "smoke: mongodb (FerretDB behind the mongo-style entrypoint)"
M="$(img images.mongodb)"
for f in root app monitor; do printf '%s-pw-%s' "$f" "$RANDOM$RANDOM" >"$work/mongodb-$f-password"; done
ts 'import { appUserInitScript, healthScript } from "./planes/data/mongodb"; import fs from "fs"; fs.writeFileSync(process.argv[1] + "/init.js", appUserInitScript("enrichment", "enrichment")); fs.writeFileSync(process.argv[1] + "/health.js", healthScript());' "$work"
health=(mongosh --nodb --quiet --norc /etc/enrichment/mongodb-health.js)
mongo_create() {
  docker create --name "$1" -v "$P-mdata-$1:/data/db" -e MONGO_INITDB_ROOT_USERNAME=root -e MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/mongodb-root-password \
    -e MONGO_INITDB_DATABASE=enrichment --health-cmd "${health[*]}" --health-interval 2s "$M" --auth --bind_ip_all >/dev/null
}
mongo_create "$P-mongo-root"
upload "$P-mongo-root" 0440 0 0 /run/secrets/mongodb-root-password="$work/mongodb-root-password"
docker start "$P-mongo-root" >/dev/null
check "secrets owned by root 0440 stop the entrypoint (it reads them as mongodb)" exited_with "$P-mongo-root" "Permission denied"
mongo_create "$P-mongo"
upload "$P-mongo" 0440 999 999 /run/secrets/mongodb-root-password="$work/mongodb-root-password" /run/secrets/mongodb-app-password="$work/mongodb-app-password" /run/secrets/mongodb-monitor-password="$work/mongodb-monitor-password"
upload "$P-mongo" 0644 0 0 /docker-entrypoint-initdb.d/10-app-user.js="$work/init.js" /etc/enrichment/mongodb-health.js="$work/health.js"
docker start "$P-mongo" >/dev/null
check "secrets owned by mongodb: the init runs and the program's healthcheck turns healthy" wait_health "$P-mongo" 60
check "the server runs as mongodb (999)" bash -c "docker exec $P-mongo ps -o user,args | grep -q '^mongodb .*ferretdb'"
app="mongodb://enrichment:$(cat "$work/mongodb-app-password")@127.0.0.1:27017/enrichment?authSource=enrichment"
check "the app user from the init script logs in" docker exec "$P-mongo" mongosh --quiet "$app" --eval 'quit(db.runCommand({ listCollections: 1 }).ok === 1 ? 0 : 1)'
check "a wrong password is refused" bash -c "! docker exec $P-mongo mongosh --quiet 'mongodb://enrichment:wrong@127.0.0.1:27017/enrichment?authSource=enrichment' --eval 'db.runCommand({ listCollections: 1 })'"
check "no credentials: listCollections is refused" bash -c "! docker exec $P-mongo mongosh --quiet --eval 'db.getSiblingDB(\"enrichment\").runCommand({ listCollections: 1 })'"
check "a TTL index is created and listed with expireAfterSeconds" bash -c "docker exec $P-mongo mongosh --quiet '$app' --eval 'db.runCommand({ createIndexes: \"review_queue\", indexes: [{ key: { completed_at: 1 }, name: \"completed_at_1\", expireAfterSeconds: 2592000 }] }); printjson(db.runCommand({ listIndexes: \"review_queue\" }).cursor.firstBatch)' | grep -q '\"expireAfterSeconds\": 2592000'"
check "connectionStatus with showPrivileges grants the app user listIndexes and createIndex (the reconciler's preflight)" bash -c "docker exec $P-mongo mongosh --quiet '$app' --eval 'const p = db.runCommand({ connectionStatus: 1, showPrivileges: true }).authInfo.authenticatedUserPrivileges || []; quit(p.some((x) => x.actions.includes(\"listIndexes\") && x.actions.includes(\"createIndex\")) ? 0 : 1)'"
check "mongodump and mongorestore run" docker exec "$P-mongo" sh -c 'mongodump --version && mongorestore --version'
check "no wget in the image (mongo's ubuntu base has none)" bash -c "! docker exec $P-mongo sh -c 'wget -q -O /dev/null http://127.0.0.1:27017/'"

echo "smoke: ollama stand-in"
docker run -d --name "$P-ollama" -v "$P-models:/root/.ollama" "$(img images.ollama)" >/dev/null
sleep 1
check "ollama list answers (the healthcheck)" docker exec "$P-ollama" ollama list
check "ollama pull records the pull" bash -c "docker exec $P-ollama ollama pull llama3.2:3b && docker exec $P-ollama ollama list | grep -q '^llama3.2:3b' && [ \"\$(docker exec $P-ollama cat /root/.ollama/models/pulls.log | wc -l)\" = 1 ]"

echo "smoke: edge (nginx)"
ts 'import { renderEdgeConfig } from "./planes/edge/edgeConfig"; process.stdout.write(renderEdgeConfig({ routes: [{ name: "review", upstream: { host: "review-api", port: 5001 }, kind: "api", healthPath: "/health", serverNames: ["review.e2e.test"] }], allowedOrigins: ["https://review.e2e.test"], rateLimit: { requestsPerSecond: 5, burst: 5 }, publicHttpsPort: 443, httpRedirect: false } as never));' >"$work/nginx.conf"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 -subj /CN=review.e2e.test >/dev/null 2>&1
docker create --name "$P-edge" "$(img images.edge)" >/dev/null
upload "$P-edge" 0644 0 0 /etc/nginx/nginx.conf="$work/nginx.conf" /etc/nginx/tls/edge-fullchain.pem="$work/cert.pem"
upload "$P-edge" 0440 0 0 /run/secrets/edge-tls-key.pem="$work/key.pem"
docker start "$P-edge" >/dev/null
sleep 1
check "the status listener answers /healthz" docker exec "$P-edge" wget -q -O /dev/null http://127.0.0.1:8081/healthz
check "master root, workers uid 101 (nginx:alpine's nginx user)" bash -c "docker exec $P-edge ps -o user,args | grep -q '^root .*master process' && docker exec $P-edge ps -o user,args | grep -q '^nginx .*worker process' && docker exec $P-edge grep -q '^nginx:x:101:' /etc/passwd"

echo "smoke: platform stand-in (mcp-server)"
printf 'jwt-%s' "$RANDOM" >"$work/jwt"
for owner in 0 10001; do
  docker create --name "$P-mcp-$owner" --user 10001:10001 -e PORT=3000 -e MCP_JWT_SECRET_FILE=/run/secrets/mcp-jwt-secret "$(img release.images.mcp-server)" >/dev/null
  upload "$P-mcp-$owner" 0440 "$owner" "$owner" /run/secrets/mcp-jwt-secret="$work/jwt"
  docker start "$P-mcp-$owner" >/dev/null
done
check "a secret file owned by root 0440 stops it (as uid 10001)" exited_with "$P-mcp-0" "cannot read MCP_JWT_SECRET_FILE"
sleep 1
check "its own secret file: /health answers (the program's httpHealthcheck)" docker exec "$P-mcp-10001" sh -c 'wget -q -O /dev/null http://127.0.0.1:3000/health || curl -fsS -o /dev/null http://127.0.0.1:3000/health'
check "/metrics has enrichment_release_info with service and release" bash -c "docker exec $P-mcp-10001 wget -q -O - http://127.0.0.1:3000/metrics | grep -Eq '^enrichment_release_info\\{release=\"[^\"]+\",service=\"mcp-server\"\\} 1$'"

echo "smoke: grafana stand-in"
printf 'admin-%s' "$RANDOM" >"$work/gfpw"
ts 'import { renderDatasources, renderDashboardProviders } from "./planes/monitoring/grafana"; import fs from "fs"; fs.writeFileSync(process.argv[1] + "/ds.yaml", renderDatasources({ prometheusUrl: "http://prometheus:9090", scrapeInterval: "15s" } as never)); fs.writeFileSync(process.argv[1] + "/prov.yaml", renderDashboardProviders());' "$work"
echo '{"title":"Enrichment overview","uid":"enrichment-overview","panels":[]}' >"$work/dash.json"
for mode in 0440 0400; do
  docker create --name "$P-grafana-$mode" -e GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password "$(img images.grafana)" >/dev/null
  upload "$P-grafana-$mode" 0644 0 0 /etc/grafana/provisioning/datasources/prometheus.yaml="$work/ds.yaml" /etc/grafana/provisioning/dashboards/enrichment.yaml="$work/prov.yaml" /etc/grafana/dashboards/enrichment/enrichment-overview.json="$work/dash.json"
  upload "$P-grafana-$mode" "$mode" 0 0 /run/secrets/grafana-admin-password="$work/gfpw"
  docker start "$P-grafana-$mode" >/dev/null
done
check "a root-owned 0400 password file stops it (uid 472)" exited_with "$P-grafana-0400" "unreadable as uid 472"
sleep 1
check "root:0 0440 is readable through group 0: /api/health answers" docker exec "$P-grafana-0440" wget -q -O /dev/null http://127.0.0.1:3000/api/health
check "the admin password from the file opens /api/search" docker exec "$P-grafana-0440" wget -q -O /dev/null "http://admin:$(cat "$work/gfpw")@127.0.0.1:3000/api/search"

echo "$passed passed, $failed failed"
((failed == 0))
