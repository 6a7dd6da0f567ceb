#!/usr/bin/env bash
# Builds the e2e's stand-in provider plugins (pulumi-resource-random, -tls, -command) into <outdir>.
#
#   tests/e2e/engine/providers/build.sh <outdir>
#
# The versions they report are package-lock.json's @pulumi/random, @pulumi/tls and @pulumi/command
# (the SDKs the program uses), passed with -ldflags -X: one place for them. Skipped when
# <outdir>/.complete holds the hash of the sources, go.mod/go.sum, this script and those versions.
# Static binaries (CGO_ENABLED=0), module and build caches under $E2E_CACHE as the e2e's other Go
# builds (tests/e2e/images/go-build.sh).
set -euo pipefail

usage() { echo "usage: $0 <outdir>" >&2; exit 3; }
[[ $# -eq 1 && -n "$1" && "$1" != -* ]] || usage
out="$1"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
cache="${E2E_CACHE:-/var/cache/enrichment-e2e}"
export GOMODCACHE="${GOMODCACHE_E2E:-$cache/gomod}"
export GOCACHE="${GOCACHE_E2E:-$cache/gocache}"
export PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN=local CGO_ENABLED=0
command -v go >/dev/null || { echo "providers/build.sh: no Go toolchain (expected /usr/local/go/bin/go)" >&2; exit 1; }
command -v node >/dev/null || { echo "providers/build.sh: node is needed to read package-lock.json" >&2; exit 1; }

# name<TAB>version for each plugin, from the lock file.
versions="$(node -e '
  const lock = require(process.argv[1]);
  for (const name of ["random", "tls", "command"]) {
    const entry = lock.packages && lock.packages["node_modules/@pulumi/" + name];
    if (!entry || !entry.version) { console.error("package-lock.json has no @pulumi/" + name); process.exit(1); }
    console.log(name + "\t" + entry.version.replace(/^v/, ""));
  }' "$repo/package-lock.json")"

hash="$(
  cd "$here"
  { find . -name '*.go' -print0 | sort -z | xargs -0 sha256sum; sha256sum go.mod go.sum build.sh; echo "$versions"; go version; } | sha256sum | cut -c1-16
)"
if [[ -f "$out/.complete" && "$(cat "$out/.complete")" == "$hash" ]]; then
  echo "providers/build.sh: stand-in plugins cached in $out ($hash)"
  exit 0
fi

mkdir -p "$out"
rm -f "$out/.complete"
started=$SECONDS
while IFS=$'\t' read -r name version; do
  binary="pulumi-resource-$name"
  echo "providers/build.sh: $binary $version"
  (cd "$here" && nice go build -mod=readonly -trimpath \
    -ldflags="-s -w -X enrichment.e2e/providers/internal/$name.Version=$version" \
    -o "$out/.$binary.tmp" "./cmd/$binary")
  mv -f "$out/.$binary.tmp" "$out/$binary"
done <<<"$versions"
echo "$hash" >"$out/.complete"
echo "providers/build.sh: built in $((SECONDS - started))s into $out"
