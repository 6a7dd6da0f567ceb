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
# The local toolchain (1.26) is newer than every row needs; never download another.
export GOTOOLCHAIN=local
command -v go >/dev/null || { echo "go-build: no Go toolchain (expected /usr/local/go/bin/go)" >&2; exit 1; }

# The module proxy refuses `@v/list` (and for some modules `@latest`) while serving the pinned
# versions; `go install m@v` asks for them to look for deprecations and fails on the refusal.
# A file:// proxy in front answers only those two queries with the pinned version; every other
# request (.info, .mod, .zip, the checksum database) falls through to the real proxy.
overlay="$cache/goproxy-overlay"
export GOPROXY="file://$overlay,${GOPROXY:-$(go env GOPROXY)}"
overlay_row() {
  local module="$1" version="$2" escaped dir
  escaped="$(sed -E 's/[A-Z]/!\L&/g' <<<"$module")"
  dir="$overlay/$escaped/@v"
  mkdir -p "$dir"
  # @v/list holds tagged versions only; a pseudo-version is answered by @latest alone.
  if [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then echo "$version" >"$dir/list"; else : >"$dir/list"; fi
  printf '{"Version":"%s"}\n' "$version" >"$overlay/$escaped/@latest"
}

# Patches of ours applied to a row's source before it builds: patches/<name>-<version>-*.patch
# (each says why at its top and in README.md). They are part of the cache key.
patches_of() { compgen -G "$here/patches/$1-$2-*.patch" | sort || true; }
patch_suffix() {
  local p; p="$(patches_of "$1" "$2")"
  [[ -z "$p" ]] || echo "-p$(cat $p | sha256sum | cut -c1-8)"
}

# The directory a row's binaries land in; other scripts source this file to call it.
bin_dir() { echo "$cache/bin/$1-$2$(patch_suffix "$1" "$2")"; }

build_row() {
  local name="$1" module="$2" version="$3" packages="$4" tags="$5"
  local out; out="$(bin_dir "$name" "$version")"
  if [[ -f "$out/.complete" ]]; then
    echo "go-build: $name $version cached in $out"
    return 0
  fi
  overlay_row "$module" "$version"
  local tagargs=()
  [[ "$tags" == "-" ]] && tags=""
  [[ -n "$tags" ]] && tagargs=(-tags "$tags")
  local started=$SECONDS pkg binary dir src
  # `go install m/pkg@v` refuses modules whose go.mod has replace directives (nsq's does), so
  # every row builds in a copy of the module's own source, with its go.mod, go.sum and replaces,
  # exactly as `go build` in the upstream checkout would (-mod=mod: module zips carry no vendor/).
  mkdir -p "$cache"
  dir="$(cd "$cache" && go mod download -json "$module@$version" 2>&1 | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' || true)"
  if [[ -z "$dir" || ! -d "$dir" ]]; then
    echo "go-build: $name: the module proxy did not serve $module@$version:" >&2
    (cd "$cache" && go mod download -json "$module@$version" | grep -E '"Error"') >&2 || true
    return 1
  fi
  src="$cache/src/$name-$version$(patch_suffix "$name" "$version")"
  if [[ ! -f "$src/.ready" ]]; then
    rm -rf "$src" && mkdir -p "$(dirname "$src")" && cp -r "$dir" "$src" && chmod -R u+w "$src"
    local p
    for p in $(patches_of "$name" "$version"); do
      echo "go-build: $name $version: applying $(basename "$p")"
      (cd "$src" && git apply -p1 "$p") || { echo "go-build: $name $version: $(basename "$p") does not apply" >&2; return 1; }
    done
    touch "$src/.ready"
  fi
  # FerretDB's build/version/version.txt comes from its task runner (`bin/task gen-version`) and
  # is not in the module; without it the binary panics at start. It holds `git describe`.
  if [[ "$module" == github.com/FerretDB/FerretDB* && ! -s "$src/build/version/version.txt" ]]; then
    echo "$version" >"$src/build/version/version.txt"
  fi
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  IFS=', ' read -r -a pkgs <<<"$packages"
  for pkg in "${pkgs[@]}"; do
    pkg="${pkg#./}"; [[ -z "$pkg" ]] && pkg="."
    # "binary=path": the package directory is not the binary's name (mongo-tools' .../main).
    binary=""
    if [[ "$pkg" == *=* ]]; then binary="${pkg%%=*}"; pkg="${pkg#*=}"; fi
    if [[ -z "$binary" ]]; then
      if [[ "$pkg" == "." ]]; then binary="$(basename "$(sed -E 's#/v[0-9]+$##' <<<"$module")")"; else binary="$(basename "$pkg")"; fi
    fi
    echo "go-build: $name $version: go build ./$pkg -> $binary${tags:+ (tags $tags)}"
    if ! (cd "$src" && CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags="-s -w" "${tagargs[@]}" -o "$out.tmp/$binary" "./$pkg"); then
      echo "go-build: $name $version FAILED: go build ./$pkg in $module@$version" >&2
      return 1
    fi
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
