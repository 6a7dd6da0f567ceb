#!/usr/bin/env bash
# Builds the Go programs of the e2e images from their published modules, one row of
# go-binaries.tsv each, into ${E2E_CACHE}/bin/<name>-<version>/ (skipped when already built).
#
#   tests/e2e/images/go-build.sh              # every row
#   tests/e2e/images/go-build.sh nsq ferretdb # only these rows
#
# Columns (tab separated): name, module, version (exact: the module proxy serves only some),
# packages (comma or space separated, relative to the module, "./" optional; "bin=path" names the
# binary when the package directory does not), tags (comma separated; empty or "-" for none).
# Binaries are static (CGO_ENABLED=0) so they copy into images without a libc.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
catalog="${GO_BINARIES:-$here/go-binaries.tsv}"
cache="${E2E_CACHE:-/var/cache/enrichment-e2e}"
# The module and build caches live in the e2e cache too, so "cold" means one folder removed.
export GOMODCACHE="${GOMODCACHE_E2E:-$cache/gomod}"
export GOCACHE="${GOCACHE_E2E:-$cache/gocache}"
export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "go-build: no Go toolchain (expected /usr/local/go/bin/go)" >&2; exit 1; }

# The directory a row's binaries land in; other scripts source this file to call it.
bin_dir() { echo "$cache/bin/$1-$2"; }

build_row() {
  local name="$1" module="$2" version="$3" packages="$4" tags="$5"
  local out; out="$(bin_dir "$name" "$version")"
  if [[ -f "$out/.complete" ]]; then
    echo "go-build: $name $version cached in $out"
    return 0
  fi
  local tagargs=()
  [[ "$tags" != "-" && -n "$tags" ]] && tagargs=(-tags "$tags")
  local started=$SECONDS pkg target binary
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  IFS=', ' read -r -a pkgs <<<"$packages"
  for pkg in "${pkgs[@]}"; do
    pkg="${pkg#./}"; [[ -z "$pkg" ]] && pkg="."
    # "binary=path": the package's directory is not the binary's name (mongo-tools' .../main).
    binary=""
    if [[ "$pkg" == *=* ]]; then binary="${pkg%%=*}"; pkg="${pkg#*=}"; fi
    if [[ "$pkg" == "." ]]; then target="$module@$version"; else target="$module/$pkg@$version"; fi
    echo "go-build: $name $version: go install $target${binary:+ (as $binary)}"
    local gobin="$out.tmp"
    [[ -n "$binary" ]] && gobin="$out.tmp/.one" && rm -rf "$gobin"
    if ! CGO_ENABLED=0 GOBIN="$gobin" go install -trimpath -ldflags="-s -w" "${tagargs[@]}" "$target"; then
      echo "go-build: $name $version FAILED: go install $target" >&2
      return 1
    fi
    if [[ -n "$binary" ]]; then mv "$gobin/$(basename "$pkg")" "$out.tmp/$binary" && rm -rf "$gobin"; fi
  done
  rm -rf "$out" && mv "$out.tmp" "$out"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$module" "$version" "$packages" "$tags" >"$out/.complete"
  echo "go-build: $name $version built in $((SECONDS - started))s: $(ls "$out" | tr '\n' ' ')"
}

main() {
  local wanted=("$@") found=0
  while IFS=$'\t' read -r name module version packages tags; do
    [[ "$name" == "name" || -z "$name" || "$name" == \#* ]] && continue
    if ((${#wanted[@]})); then
      local match=0 w
      for w in "${wanted[@]}"; do [[ "$w" == "$name" ]] && match=1; done
      ((match)) || continue
    fi
    found=$((found + 1))
    build_row "$name" "$module" "$version" "$packages" "${tags:--}"
  done <"$catalog"
  if ((${#wanted[@]})) && ((found != ${#wanted[@]})); then
    echo "go-build: asked for ${wanted[*]} but $catalog has only $found of them" >&2
    exit 1
  fi
}

# Sourced (for bin_dir): define functions only.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
