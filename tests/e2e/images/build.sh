#!/usr/bin/env bash
# Builds every image of the e2e stack and pushes it to a local registry (the `distribution`
# registry on 127.0.0.1:5000, built from its Go module), so that the stack's RemoteImage pulls
# are real pulls of real repo digests. Writes .e2e/images.json: { "<config key>": "<ref>" } with
# keys images.<name> and release.images.<service>, each value 127.0.0.1:5000/<name>:<tag>@sha256:...
# (and .e2e/support-images.json for images the e2e uses beside the stack: the alert sink, MinIO).
#
#   tests/e2e/images/build.sh            # idempotent: a warm run reuses every cached binary,
#                                        # base and layer, and the running registry
#
# Real software where Debian or a published Go module has it; stand-ins (tests/e2e/standins)
# elsewhere. tests/e2e/images/README.md lists each image, where it comes from, its user, and what
# it does not prove. Every image runs as the user of the image it stands for (facts/images.ts).
#
# Needs: root, Debian bookworm apt sources, Go at /usr/local/go, node + the repo's node_modules
# (the metrics contract is read from facts/metricsContract.ts). Installs what is missing with apt-get.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${E2E_CACHE:-/var/cache/enrichment-e2e}"
out="$repo/.e2e"
registry="${E2E_REGISTRY:-127.0.0.1:5000}"
export PATH="/usr/local/go/bin:$PATH"
export E2E_CACHE="$cache"
mkdir -p "$cache" "$out"

# ---------------------------------------------------------------- progress
t0=$SECONDS
step_no=0
step_start=$SECONDS
step_name=""
step() {
  step_done
  step_no=$((step_no + 1)); step_name="$*"; step_start=$SECONDS
  printf '[images %3ds] step %d: %s\n' "$((SECONDS - t0))" "$step_no" "$*"
}
step_done() {
  [[ -n "$step_name" ]] && printf '[images %3ds]   done in %ds: %s\n' "$((SECONDS - t0))" "$((SECONDS - step_start))" "$step_name"
  step_name=""
}
note() { printf '[images %3ds]   %s\n' "$((SECONDS - t0))" "$*"; }
die() { printf '[images] FAILED at step %d (%s): %s\n' "$step_no" "$step_name" "$*" >&2; exit 1; }
trap 'rc=$?; [[ $rc -ne 0 ]] && printf "[images] FAILED (exit %d) at step %d: %s\n" "$rc" "$step_no" "$step_name" >&2' EXIT

# ---------------------------------------------------------------- host packages
# docker.io: the engine; busybox-static: every image's shell and tools; ca-certificates: the
# images' trust store; nginx: its libraries (ldd resolves them on this host). The binaries that go
# into images come from `apt-get download` (DEBS below), never from what happens to be installed.
# postgresql-15: its shared libraries (ldd resolves the image's PostgreSQL against them); gcc, make
# and libc6-dev: pgvector is compiled here (Debian 12 does not package it).
HOST_PACKAGES=(docker.io busybox-static ca-certificates nginx libc-bin git postgresql-15 gcc make libc6-dev)
DEBS=(busybox-static nginx prometheus prometheus-node-exporter prometheus-blackbox-exporter rclone postgresql-15 postgresql-client-15 postgresql-server-dev-15 libpq5)
PGVECTOR_VERSION=v0.8.0

step "host packages: ${HOST_PACKAGES[*]}"
missing=()
for p in "${HOST_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  note "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || die "no Go toolchain at /usr/local/go/bin/go"
command -v npx >/dev/null || die "no node/npx (the metrics contract is read from facts/metricsContract.ts)"

# ---------------------------------------------------------------- docker engine
step "docker engine"
if [[ -x "$repo/tests/e2e/dockerd.sh" ]]; then
  note "$("$repo/tests/e2e/dockerd.sh")"
else
  if ! docker info >/dev/null 2>&1; then
    . "$repo/tests/e2e/detach.sh"
    pgrep -x dockerd >/dev/null || detach /tmp/dockerd.log dockerd
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  fi
fi
docker info >/dev/null 2>&1 || die "no Docker engine answers (see /tmp/dockerd.log)"

# ---------------------------------------------------------------- Go binaries
step "Go binaries (tests/e2e/images/go-build.sh; cached by version in $cache/bin)"
GO_ROWS=(registry nsq ferretdb alertmanager mongo-tools)
grep -q $'^telegraf-nsq\t' "$here/go-binaries.tsv" && GO_ROWS+=(telegraf-nsq)
grep -q $'^minio\t' "$here/go-binaries.tsv" && [[ "${E2E_SKIP_MINIO:-}" != 1 ]] && GO_ROWS+=(minio)
"$here/go-build.sh" "${GO_ROWS[@]}"
# shellcheck source=go-build.sh
source "$here/go-build.sh"
row() { awk -F'\t' -v n="$1" '$1 == n { print $3 }' "$here/go-binaries.tsv"; }
gobin() { local v; v="$(row "$1")"; [[ -n "$v" ]] || die "no row $1 in go-binaries.tsv"; echo "$(bin_dir "$1" "$v")"; }

step "stand-ins (tests/e2e/standins, our code)"
standin_src="$repo/tests/e2e/standins"
standin_hash="$(cat "$standin_src"/go.mod "$standin_src"/go.sum "$standin_src"/*.go | sha256sum | cut -c1-16)"
standin="$cache/standins/standin-$standin_hash"
if [[ ! -x "$standin" ]]; then
  mkdir -p "$cache/standins"
  (cd "$standin_src" && GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOPROXY="file://$cache/goproxy-overlay,${GOPROXY:-$(go env GOPROXY)}" GOTOOLCHAIN=local \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$standin.tmp" .) && mv "$standin.tmp" "$standin"
  note "built $standin"
else
  note "cached $standin"
fi

# ---------------------------------------------------------------- registry
step "registry on $registry (distribution $(row registry))"
# (no -T: busybox 1.35 wget -T segfaults on a refused connection)
registry_up() { busybox wget -q -O /dev/null "http://$registry/v2/" 2>/dev/null; }
if registry_up; then
  if [[ ! -s "$out/registry.pid" ]] || ! kill -0 "$(cat "$out/registry.pid")" 2>/dev/null; then
    pgrep -f -n "/registry serve " >"$out/registry.pid" || rm -f "$out/registry.pid"
  fi
  note "already answering; reused (pid $(cat "$out/registry.pid" 2>/dev/null || echo unknown))"
else
  regdir="$cache/registry"
  mkdir -p "$regdir/storage"
  cat >"$regdir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $regdir/storage
  delete:
    enabled: true
http:
  addr: $registry
EOF
  . "$repo/tests/e2e/detach.sh"
  detach "$regdir/registry.log" "$(gobin registry)/registry" serve "$regdir/config.yml"
  echo $! >"$out/registry.pid"
  for _ in $(seq 1 40); do registry_up && break; sleep 0.25; done
  registry_up || die "the registry did not answer on $registry; its log: $(tail -5 "$regdir/registry.log")"
  note "started pid $(cat "$out/registry.pid") (storage $regdir/storage, log $regdir/registry.log)"
fi

# ---------------------------------------------------------------- Debian binaries
step "Debian packages for the images: ${DEBS[*]}"
debroot="$cache/debs"
mkdir -p "$debroot"
# deb PKG -> folder with the package's files, extracted once per version.
deb() {
  local pkg="$1" version dir
  version="$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')"
  if [[ -z "$version" || "$version" == "(none)" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    version="$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')"
  fi
  [[ -n "$version" && "$version" != "(none)" ]] || die "apt has no candidate for $pkg"
  dir="$debroot/$pkg-${version//[:+~]/_}"
  if [[ ! -f "$dir/.complete" ]]; then
    rm -rf "$dir" "$dir.dl" && mkdir -p "$dir.dl" "$dir" && chmod 0777 "$dir.dl"
    (cd "$dir.dl" && apt-get download -qq "$pkg=$version" >/dev/null) || die "apt-get download $pkg=$version"
    dpkg-deb -x "$dir.dl"/*.deb "$dir"
    rm -rf "$dir.dl"
    echo "$pkg $version" >"$dir/.complete"
  fi
  echo "$dir"
}
declare -A DEB
for p in "${DEBS[@]}"; do DEB[$p]="$(deb "$p")"; note "$p: $(cat "${DEB[$p]}/.complete")"; done
debver() { awk '{ print $2 }' "${DEB[$1]}/.complete" | sed 's/^[0-9]*://; s/[+~].*//; s/-[^-]*$//'; }

# ---------------------------------------------------------------- image helpers
ctxroot="$cache/contexts"
mkdir -p "$ctxroot"
# new_context NAME: an empty build context with files/ (copied to / by the Dockerfile).
new_context() { local c="$ctxroot/$1"; rm -rf "$c"; mkdir -p "$c/files"; echo "$c"; }
# add_bin CONTEXT SRC DEST: the program and every shared library ldd names (with the loader).
add_bin() {
  local ctx="$1" src="$2" dest="$3" lib
  mkdir -p "$ctx/files$(dirname "$dest")"
  cp -L "$src" "$ctx/files$dest"
  if ldd "$src" >/dev/null 2>&1; then
    if ldd "$src" | grep -q "not found"; then die "$src needs libraries this host lacks: $(ldd "$src" | grep 'not found' | tr -s ' \t' ' ')"; fi
    for lib in $(ldd "$src" | grep -oE '/[^ ]+\.so[^ ]*'); do
      mkdir -p "$ctx/files$(dirname "$lib")"
      cp -L "$lib" "$ctx/files$lib"
    done
  fi
}
add_file() { local ctx="$1" dest="$2" mode="${3:-0644}"; mkdir -p "$ctx/files$(dirname "$dest")"; cat >"$ctx/files$dest"; chmod "$mode" "$ctx/files$dest"; }

declare -A REFS SUPPORT
# push NAME TAG CONTEXT KEY...: docker build, push, record NAME:TAG@digest under each key.
push() {
  local name="$1" tag="$2" ctx="$3"; shift 3
  local ref="$registry/$name:$tag" digest log
  log="$ctx/build.log"
  if ! docker build -q -t "$ref" "$ctx" >"$log" 2>&1; then cat "$log" >&2; die "docker build $ref"; fi
  if ! docker push "$ref" >"$ctx/push.log" 2>&1; then cat "$ctx/push.log" >&2; die "docker push $ref"; fi
  digest="$(grep -oE 'digest: sha256:[0-9a-f]{64}' "$ctx/push.log" | tail -1 | cut -d' ' -f2)"
  [[ -n "$digest" ]] || die "no digest in the push output of $ref: $(tail -3 "$ctx/push.log")"
  local key
  for key in "$@"; do
    if [[ "$key" == support.* ]]; then SUPPORT[${key#support.}]="$ref@$digest"; else REFS[$key]="$ref@$digest"; fi
  done
  note "$ref@$digest -> $*"
}

# ---------------------------------------------------------------- base
step "base image (busybox $(debver busybox-static), users, CA certificates)"
# One passwd/group for every image: the users of the images they stand for.
base_ctx="$ctxroot/base"
rm -rf "$base_ctx" && mkdir -p "$base_ctx/rootfs"/{bin,sbin,etc/ssl/certs,tmp,root,run,var/run,usr/bin,usr/sbin,usr/local/bin}
cp "${DEB[busybox-static]}/bin/busybox" "$base_ctx/rootfs/bin/busybox"
cat >"$base_ctx/rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin
grafana:x:472:0:grafana:/usr/share/grafana:/sbin/nologin
mongodb:x:999:999:mongodb:/data/db:/bin/sh
app:x:10001:10001:platform service:/app:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$base_ctx/rootfs/etc/group" <<'EOF'
root:x:0:
nginx:x:101:
mongodb:x:999:
app:x:10001:
nogroup:x:65534:
nobody:x:65534:
EOF
echo "hosts: files dns" >"$base_ctx/rootfs/etc/nsswitch.conf"
cp /etc/ssl/certs/ca-certificates.crt "$base_ctx/rootfs/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$base_ctx/rootfs/tmp"
base_hash="$( (cd "$base_ctx/rootfs" && find . -printf '%p %m\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
base="e2e-base:$base_hash"
if docker image inspect "$base" >/dev/null 2>&1; then
  note "$base exists"
else
  tar --numeric-owner --owner=0 --group=0 -C "$base_ctx/rootfs" -cf - . | docker import - "$base" >/dev/null
  note "imported $base"
fi
# Every image's Dockerfile starts here: busybox applets as links. Debian's busybox-static shell
# runs its applets even without a link, so images whose real base has no wget (ubuntu, minideb:
# mongo, ollama, the MongoDB exporter) get no network applets and bash as /bin/sh: there
# `sh -c 'wget ...'` fails as it would in the real image. Those images copy /bin/bash in.
BUSYBOX_ALL='RUN ["/bin/busybox", "sh", "-c", "for a in $(/bin/busybox --list); do [ -e /bin/$a ] || /bin/busybox ln -s busybox /bin/$a; done; /bin/busybox ln -sf /bin/busybox /usr/bin/env"]'
BUSYBOX_NO_NET='RUN ["/bin/busybox", "sh", "-c", "for a in $(/bin/busybox --list); do case $a in sh|ash|wget|nc|ssl_client|ftpget|ftpput|tftp|telnet|httpd) continue;; esac; [ -e /bin/$a ] || /bin/busybox ln -s busybox /bin/$a; done; /bin/busybox ln -sf /bin/busybox /usr/bin/env; /bin/busybox ln -s bash /bin/sh"]'

# ---------------------------------------------------------------- the images
release="$(awk '/^  enrichment:release:/ { r = 1; next } r && /^    version:/ { print $2; exit }' "$repo/tests/e2e/Pulumi.e2e.yaml" 2>/dev/null | tr -d '"')"
release="${release:-e2e}"
# Releases of the rollout scenarios' candidate workers, and those of them whose stand-ins report
# degraded numbers (tests/e2e/standins/documents.go): baked into every platform image.
candidate_releases="${E2E_CANDIDATE_RELEASES:-e2e-rollout-good e2e-rollout-bad e2e-rollout-resume}"
degrade_releases="${E2E_DEGRADE_RELEASES:-e2e-rollout-bad}"

step "mongodb (FerretDB $(row ferretdb) + SQLite behind a mongo-style entrypoint; mongosh stand-in; mongodump/mongorestore) = images.mongodb, images.backup"
c="$(new_context mongodb)"
add_bin "$c" "$(gobin ferretdb)/ferretdb" /usr/local/bin/ferretdb
add_bin "$c" "$(gobin mongo-tools)/mongodump" /usr/bin/mongodump
add_bin "$c" "$(gobin mongo-tools)/mongorestore" /usr/bin/mongorestore
add_bin "$c" "$standin" /usr/bin/mongosh
add_bin "$c" "$standin" /usr/local/bin/gosu
add_bin "$c" /bin/bash /bin/bash
cp "$here/mongodb/docker-entrypoint.sh" "$c/files/usr/local/bin/docker-entrypoint.sh"
cp "$here/mongodb/mongod" "$c/files/usr/bin/mongod"
chmod 0755 "$c/files/usr/local/bin/docker-entrypoint.sh" "$c/files/usr/bin/mongod"
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_NO_NET
COPY files/ /
RUN ["/bin/sh", "-c", "mkdir -p /data/db /data/configdb /docker-entrypoint-initdb.d && chown -R 999:999 /data/db /data/configdb"]
VOLUME /data/db /data/configdb
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 27017
CMD ["mongod"]
EOF
push mongodb "7.0.14-ferretdb$(row ferretdb | tr -d v)" "$c" images.mongodb images.backup

step "nsq $(row nsq) (nsqd, nsqlookupd, nsqadmin) = images.nsq"
c="$(new_context nsq)"
for b in nsqd nsqlookupd nsqadmin; do add_bin "$c" "$(gobin nsq)/$b" "/usr/local/bin/$b"; done
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
RUN ["/bin/sh", "-c", "for b in nsqd nsqlookupd nsqadmin; do ln -s /usr/local/bin/\$b /\$b; ln -s /usr/local/bin/\$b /bin/\$b; done; mkdir -p /data"]
EXPOSE 4150 4151 4160 4161 4170 4171
WORKDIR /data
EOF
push nsq "$(row nsq)" "$c" images.nsq

step "ollama stand-in (0.4.7 API: serve, pull, list, rm) = images.ollama"
c="$(new_context ollama)"
add_bin "$c" "$standin" /bin/ollama
add_bin "$c" /bin/bash /bin/bash
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_NO_NET
COPY files/ /
ENV OLLAMA_HOST=0.0.0.0:11434 HOME=/root
EXPOSE 11434
ENTRYPOINT ["/bin/ollama"]
CMD ["serve"]
EOF
push ollama "0.4.7-standin" "$c" images.ollama

step "edge: nginx $(debver nginx) from Debian = images.edge"
c="$(new_context edge)"
add_bin "$c" "${DEB[nginx]}/usr/sbin/nginx" /usr/sbin/nginx
cp -r "${DEB[nginx]}/usr/share/nginx" "$c/files/usr/share/" 2>/dev/null || true
# Debian's nginx is built without --user, so its workers run as `nobody`/`nogroup`; nginx:alpine
# is built with --user=nginx (uid 101). Here those names resolve to 101, so the workers run as
# uid 101 as in the image the edge stands for; the master stays root (it reads the key).
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
RUN ["/bin/sh", "-c", "sed -i 's/^nobody:x:65534:65534:/nobody:x:101:101:/' /etc/passwd && sed -i 's/^nogroup:x:65534:/nogroup:x:101:/; s/^nobody:x:65534:/nobody:x:101:/' /etc/group && mkdir -p /etc/nginx/tls /var/cache/nginx /var/log/nginx /var/lib/nginx /run/secrets && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log"]
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
EOF
push edge "$(debver nginx)-debian" "$c" images.edge

step "prometheus $(debver prometheus) from Debian = images.prometheus"
c="$(new_context prometheus)"
add_bin "$c" "${DEB[prometheus]}/usr/bin/prometheus" /bin/prometheus
add_bin "$c" "${DEB[prometheus]}/usr/bin/promtool" /bin/promtool
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
RUN ["/bin/sh", "-c", "mkdir -p /etc/prometheus /prometheus && chown -R 65534:65534 /etc/prometheus /prometheus"]
USER nobody
EXPOSE 9090
VOLUME ["/prometheus"]
WORKDIR /prometheus
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF
push prometheus "$(debver prometheus)-debian" "$c" images.prometheus

step "alertmanager $(row alertmanager) (Go module) = images.alertmanager"
c="$(new_context alertmanager)"
add_bin "$c" "$(gobin alertmanager)/alertmanager" /bin/alertmanager
add_bin "$c" "$(gobin alertmanager)/amtool" /bin/amtool
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
RUN ["/bin/sh", "-c", "mkdir -p /etc/alertmanager /alertmanager && chown -R 65534:65534 /etc/alertmanager /alertmanager"]
USER nobody
EXPOSE 9093
VOLUME ["/alertmanager"]
WORKDIR /alertmanager
ENTRYPOINT ["/bin/alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
EOF
push alertmanager "$(row alertmanager)" "$c" images.alertmanager

step "grafana stand-in (11.3.1: admin password file, provisioning, /api/health) = images.grafana"
c="$(new_context grafana)"
add_bin "$c" "$standin" /usr/share/grafana/bin/grafana
add_bin "$c" /bin/bash /bin/bash
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
ENV GF_PATHS_CONFIG=/etc/grafana/grafana.ini GF_PATHS_DATA=/var/lib/grafana GF_PATHS_HOME=/usr/share/grafana \
    GF_PATHS_LOGS=/var/log/grafana GF_PATHS_PLUGINS=/var/lib/grafana/plugins GF_PATHS_PROVISIONING=/etc/grafana/provisioning
RUN ["/bin/sh", "-c", "mkdir -p /etc/grafana/provisioning/datasources /etc/grafana/provisioning/dashboards /var/lib/grafana/plugins /var/log/grafana && chown -R 472:0 /var/lib/grafana /var/log/grafana /etc/grafana/provisioning && chmod -R 777 /var/lib/grafana /var/log/grafana"]
EXPOSE 3000
USER 472
ENTRYPOINT ["/usr/share/grafana/bin/grafana"]
EOF
push grafana "11.3.1-standin" "$c" images.grafana

step "mongodb exporter stand-in (bitnami/mongodb-exporter layout, uid 1001) = images.mongodbExporter"
c="$(new_context mongodb-exporter)"
add_bin "$c" "$standin" /opt/bitnami/mongodb-exporter/bin/mongodb_exporter
add_bin "$c" /bin/bash /bin/bash
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_NO_NET
COPY files/ /
RUN ["/bin/sh", "-c", "ln -sf /opt/bitnami/mongodb-exporter/bin/mongodb_exporter /bin/mongodb_exporter"]
EXPOSE 9216
USER 1001
ENTRYPOINT ["mongodb_exporter"]
EOF
push mongodb-exporter "0.47.1-standin" "$c" images.mongodbExporter

if grep -q $'^telegraf-nsq\t' "$here/go-binaries.tsv"; then
  step "nsq exporter: telegraf $(row telegraf-nsq) (custom build: inputs.nsq, outputs.prometheus_client) = images.nsqExporter"
  c="$(new_context nsq-exporter)"
  add_bin "$c" "$(gobin telegraf-nsq)/telegraf" /usr/bin/telegraf
  add_bin "$c" "$standin" /usr/local/bin/gosu
  cp "$here/telegraf/entrypoint.sh" "$c/files/entrypoint.sh" && chmod 0755 "$c/files/entrypoint.sh"
  cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
RUN ["/bin/sh", "-c", "mkdir -p /etc/telegraf && printf '[agent]\\n  interval = \"10s\"\\n' > /etc/telegraf/telegraf.conf && echo 'telegraf:x:100:101::/etc/telegraf:/sbin/nologin' >> /etc/passwd"]
EXPOSE 8125/udp 8092/udp 8094
ENTRYPOINT ["/entrypoint.sh"]
CMD ["telegraf"]
EOF
  push nsq-exporter "$(row telegraf-nsq)-nsq" "$c" images.nsqExporter
fi

step "blackbox exporter $(debver prometheus-blackbox-exporter) from Debian = images.blackboxExporter"
c="$(new_context blackbox-exporter)"
add_bin "$c" "${DEB[prometheus-blackbox-exporter]}/usr/bin/prometheus-blackbox-exporter" /bin/blackbox_exporter
mkdir -p "$c/files/etc/blackbox_exporter"
cp "${DEB[prometheus-blackbox-exporter]}/etc/prometheus/blackbox.yml" "$c/files/etc/blackbox_exporter/config.yml" 2>/dev/null || printf 'modules:\n  http_2xx:\n    prober: http\n' >"$c/files/etc/blackbox_exporter/config.yml"
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
EXPOSE 9115
ENTRYPOINT ["/bin/blackbox_exporter"]
CMD ["--config.file=/etc/blackbox_exporter/config.yml"]
EOF
push blackbox-exporter "$(debver prometheus-blackbox-exporter)-debian" "$c" images.blackboxExporter

step "cadvisor stand-in (Docker API stats -> container_* series) = images.cadvisor"
c="$(new_context cadvisor)"
add_bin "$c" "$standin" /usr/bin/cadvisor
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
EXPOSE 8080
ENTRYPOINT ["/usr/bin/cadvisor", "-logtostderr"]
EOF
push cadvisor "0.49.1-standin" "$c" images.cadvisor

step "node exporter $(debver prometheus-node-exporter) from Debian = images.nodeExporter"
c="$(new_context node-exporter)"
add_bin "$c" "${DEB[prometheus-node-exporter]}/usr/bin/prometheus-node-exporter" /bin/node_exporter
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
EXPOSE 9100
USER nobody
ENTRYPOINT ["/bin/node_exporter"]
EOF
push node-exporter "$(debver prometheus-node-exporter)-debian" "$c" images.nodeExporter

step "rclone $(debver rclone) from Debian = images.backupOffsite"
c="$(new_context rclone)"
add_bin "$c" "${DEB[rclone]}/usr/bin/rclone" /usr/local/bin/rclone
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
WORKDIR /data
ENV XDG_CONFIG_HOME=/config
ENTRYPOINT ["rclone"]
EOF
push rclone "$(debver rclone)-debian" "$c" images.backupOffsite

# ---------------------------------------------------------------- the web-ingestion plane (issue 22)
pgver="$(debver postgresql-15)"
step "pgvector $PGVECTOR_VERSION for PostgreSQL $pgver (Go module proxy source, Debian's postgresql-server-dev-15 headers)"
# Debian 12 has no pgvector package, but the Go module proxy serves any public repository as a
# module zip: the C source of pgvector's tag. One root holds the four packages (pg_config is
# relocatable: it reports paths next to itself), and PGXS builds against it with the host's gcc.
pgroot="$cache/postgres-$pgver-root"
if [[ ! -f "$pgroot/.complete" ]]; then
  rm -rf "$pgroot" && mkdir -p "$pgroot"
  for p in postgresql-15 postgresql-client-15 postgresql-server-dev-15 libpq5; do cp -a "${DEB[$p]}/." "$pgroot/"; done
  rm -f "$pgroot/.complete"
  echo "postgresql $pgver" >"$pgroot/.complete"
fi
pgvector="$cache/pgvector-$PGVECTOR_VERSION-pg$pgver"
if [[ ! -f "$pgvector/.complete" ]]; then
  rm -rf "$pgvector" "$pgvector.src" && mkdir -p "$pgvector"
  srcdir="$(GOMODCACHE="$cache/gomod" GOFLAGS=-modcacherw GOTOOLCHAIN=local go mod download -json "github.com/pgvector/pgvector@$PGVECTOR_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$srcdir" ]] || die "go mod download github.com/pgvector/pgvector@$PGVECTOR_VERSION gave no source folder"
  cp -r "$srcdir" "$pgvector.src" && chmod -R u+w "$pgvector.src"
  # OPTFLAGS="": no -march=native (the image may run on another CPU); no LLVM bitcode (no clang here).
  (cd "$pgvector.src" && nice make -s PG_CONFIG="$pgroot/usr/lib/postgresql/15/bin/pg_config" OPTFLAGS="" with_llvm=no >"$pgvector/build.log" 2>&1 &&
    make -s install PG_CONFIG="$pgroot/usr/lib/postgresql/15/bin/pg_config" OPTFLAGS="" with_llvm=no DESTDIR="$pgvector/install" >>"$pgvector/build.log" 2>&1) ||
    die "pgvector did not build: $(tail -5 "$pgvector/build.log")"
  rm -rf "$pgvector.src"
  echo "pgvector $PGVECTOR_VERSION for postgresql $pgver" >"$pgvector/.complete"
  note "built pgvector $PGVECTOR_VERSION into $pgvector/install"
else
  note "cached $pgvector"
fi
# make install with DESTDIR repeats the (relocated) absolute paths under it.
pgv_lib="$(find "$pgvector/install" -name vector.so | head -1)"
pgv_ext="$(dirname "$(find "$pgvector/install" -name vector.control | head -1)")"
[[ -f "$pgv_lib" && -f "$pgv_ext/vector.control" ]] || die "pgvector's vector.so or vector.control is missing under $pgvector/install"

step "postgres: Debian's PostgreSQL $pgver with pgvector $PGVECTOR_VERSION, entrypoint modelled on docker-library/postgres 15 = ingestion.images.postgres, ingestion.images.postgresBackup"
c="$(new_context postgres)"
pgbin="$pgroot/usr/lib/postgresql/15/bin"
for b in postgres initdb pg_ctl psql pg_dump pg_restore pg_isready createdb; do add_bin "$c" "$pgbin/$b" "/usr/lib/postgresql/15/bin/$b"; done
# The server's modules (procedural language, text search, encodings), not LLVM's JIT (no libLLVM here: JIT stays off).
for so in "$pgroot"/usr/lib/postgresql/15/lib/*.so; do
  case "${so##*/}" in llvmjit*) continue ;; esac
  add_bin "$c" "$so" "/usr/lib/postgresql/15/lib/${so##*/}"
done
mkdir -p "$c/files/usr/share/postgresql" "$c/files/usr/share/zoneinfo"
cp -r "$pgroot/usr/share/postgresql/15" "$c/files/usr/share/postgresql/15"
cp "$pgv_lib" "$c/files/usr/lib/postgresql/15/lib/vector.so"
cp "$pgv_ext"/vector* "$c/files/usr/share/postgresql/15/extension/"
# Debian's PostgreSQL reads the system's time zone data.
cp -r /usr/share/zoneinfo/. "$c/files/usr/share/zoneinfo/"
# As the official image: listen on every address.
sed -ri "s!^#?(listen_addresses)[[:space:]]*=[[:space:]]*[^[:space:]]+.*!\1 = '*'!" "$c/files/usr/share/postgresql/15/postgresql.conf.sample"
grep -q "^listen_addresses = '\*'" "$c/files/usr/share/postgresql/15/postgresql.conf.sample" || die "postgresql.conf.sample has no listen_addresses line to change"
add_bin "$c" "$standin" /usr/local/bin/gosu
add_bin "$c" /bin/bash /bin/bash
cp "$here/postgres/docker-entrypoint.sh" "$c/files/usr/local/bin/docker-entrypoint.sh" && chmod 0755 "$c/files/usr/local/bin/docker-entrypoint.sh"
# postgres at 999:999 (the base's mongodb entry, renamed), PGDATA 1777 until the entrypoint makes
# it 0700, the socket folder 3777, as in docker-library/postgres 15's Dockerfile.
cat >"$c/Dockerfile" <<PGEOF
FROM $base
$BUSYBOX_NO_NET
COPY files/ /
RUN ["/bin/sh", "-c", "sed -i 's|^mongodb:x:999:999:[^:]*:[^:]*:|postgres:x:999:999:PostgreSQL:/var/lib/postgresql:|' /etc/passwd && sed -i 's|^mongodb:x:999:|postgres:x:999:|' /etc/group && grep -q '^postgres:x:999:999:' /etc/passwd && mkdir -p /var/lib/postgresql/data /var/run/postgresql /docker-entrypoint-initdb.d && chown 999:999 /var/lib/postgresql /var/lib/postgresql/data /var/run/postgresql && chmod 1777 /var/lib/postgresql/data && chmod 3777 /var/run/postgresql"]
ENV PG_MAJOR=15 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
PGEOF
push postgres "$pgver-pgvector${PGVECTOR_VERSION#v}" "$c" ingestion.images.postgres ingestion.images.postgresBackup

step "qdrant stand-in (v1.8.0: ./qdrant under ./entrypoint.sh, storage in /qdrant/storage, no curl or wget) = ingestion.images.qdrant"
c="$(new_context qdrant)"
add_bin "$c" "$standin" /qdrant/qdrant
add_bin "$c" /bin/bash /bin/bash
printf '#!/bin/bash\n# The e2e stand-in of qdrant'"'"'s tools/entrypoint.sh: runs ./qdrant (no recovery mode).\nexec ./qdrant "$@"\n' >"$c/files/qdrant/entrypoint.sh"
chmod 0755 "$c/files/qdrant/entrypoint.sh"
cat >"$c/Dockerfile" <<QDEOF
FROM $base
$BUSYBOX_NO_NET
COPY files/ /
ENV TZ=Etc/UTC RUN_MODE=production
WORKDIR /qdrant
EXPOSE 6333 6334
CMD ["./entrypoint.sh"]
QDEOF
push qdrant "1.8.0-standin" "$c" ingestion.images.qdrant

step "reranker stand-in (text-embeddings-inference 1.5 CPU: text-embeddings-router, HUGGINGFACE_HUB_CACHE=/data, PORT=80) = ingestion.images.reranker"
c="$(new_context reranker)"
add_bin "$c" "$standin" /usr/local/bin/text-embeddings-router
add_bin "$c" /bin/bash /bin/bash
cat >"$c/Dockerfile" <<TEIEOF
FROM $base
$BUSYBOX_NO_NET
COPY files/ /
ENV HUGGINGFACE_HUB_CACHE=/data PORT=80
ENTRYPOINT ["text-embeddings-router"]
CMD ["--json-output"]
TEIEOF
push reranker "cpu-1.5-standin" "$c" ingestion.images.reranker

step "platform services (stand-ins, release $release): release.images.*"
contract="$cache/contract-$standin_hash.json"
(cd "$repo" && npx --no-install tsx -e 'import { PLATFORM_METRICS } from "./facts/metricsContract"; process.stdout.write(JSON.stringify(PLATFORM_METRICS));') >"$contract.tmp" ||
  die "could not read facts/metricsContract.ts (npm ci first)"
mv "$contract.tmp" "$contract"
services="$(awk '/^  enrichment:release:/ { r = 1; next } r && /^  [a-z]/ { r = 0 } r && /^    images:/ { i = 1; next } r && i && /^      [a-z0-9-]+:/ { sub(":", "", $1); print $1; next } r && i && !/^      / { i = 0 }' "$repo/tests/e2e/Pulumi.e2e.yaml")"
[[ -n "$services" ]] || die "no release.images in tests/e2e/Pulumi.e2e.yaml"
for service in $services; do
  c="$(new_context "svc-$service")"
  add_bin "$c" "$standin" "/usr/local/bin/service"
  mkdir -p "$c/files/etc/standin" && cp "$contract" "$c/files/etc/standin/contract.json"
  # The ingestion plane's own builds: its MCP server's `npm start` and `npm run migrate:up` (the
  # stand-in's npm personality); SPLADE's model cache /models, owned by the image's user.
  extra=""
  case "$service" in
    ingestion-mcp-server) extra='RUN ["/bin/sh", "-c", "ln -s service /usr/local/bin/npm"]' ;;
    splade) extra='RUN ["/bin/sh", "-c", "mkdir -p /models && chown 10001:10001 /models"]' ;;
  esac
  cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
$extra
ENV ENRICHMENT_SERVICE=$service ENRICHMENT_RELEASE=$release STANDIN_DEGRADE_RELEASES=$degrade_releases
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/service"]
EOF
  push "$service" "$release" "$c" "release.images.$service"
done

# The rollout scenarios' candidates (tests/e2e/scenarios/rollout.ts): the worker image again, as
# other releases. A candidate listed in STANDIN_DEGRADE_RELEASES reports worse numbers.
step "rollout candidates (.e2e/candidate-images.json): enrichment-worker as ${candidate_releases}"
declare -A CANDIDATES
for candidate in $candidate_releases; do
  c="$(new_context "svc-enrichment-worker-$candidate")"
  add_bin "$c" "$standin" "/usr/local/bin/service"
  mkdir -p "$c/files/etc/standin" && cp "$contract" "$c/files/etc/standin/contract.json"
  cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
ENV ENRICHMENT_SERVICE=enrichment-worker ENRICHMENT_RELEASE=$candidate STANDIN_DEGRADE_RELEASES=$degrade_releases
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/service"]
EOF
  push enrichment-worker "$candidate" "$c" "support.candidate.$candidate"
  CANDIDATES[$candidate]="${SUPPORT[candidate.$candidate]}"
  unset "SUPPORT[candidate.$candidate]"
done

step "support images (.e2e/support-images.json): alert sink, MinIO"
c="$(new_context sink)"
add_bin "$c" "$standin" /usr/local/bin/sink
cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
ENV SINK_ADDR=0.0.0.0:9099
EXPOSE 9099
ENTRYPOINT ["/usr/local/bin/sink"]
EOF
push sink "$standin_hash" "$c" support.sink
if [[ " ${GO_ROWS[*]} " == *" minio "* ]]; then
  c="$(new_context minio)"
  add_bin "$c" "$(gobin minio)/minio" /usr/bin/minio
  cat >"$c/Dockerfile" <<EOF
FROM $base
$BUSYBOX_ALL
COPY files/ /
EXPOSE 9000
ENTRYPOINT ["/usr/bin/minio"]
CMD ["server", "/data"]
EOF
  push minio "$(row minio)" "$c" support.minio
fi

step "write $out/images.json"
write_json() {
  local file="$1"; shift
  local -n map="$1"
  {
    echo "{"
    local first=1 key
    for key in $(printf '%s\n' "${!map[@]}" | sort); do
      ((first)) || echo ","
      printf '  "%s": "%s"' "$key" "${map[$key]}"
      first=0
    done
    echo
    echo "}"
  } >"$file.tmp"
  mv "$file.tmp" "$file"
}
write_json "$out/images.json" REFS
write_json "$out/support-images.json" SUPPORT
write_json "$out/candidate-images.json" CANDIDATES
note "$(grep -c '"' "$out/images.json") images in $out/images.json; support images in $out/support-images.json"
step_done
printf '[images] all images built and pushed in %ds\n' "$((SECONDS - t0))"
