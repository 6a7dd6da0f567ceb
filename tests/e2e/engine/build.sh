#!/usr/bin/env bash
# Builds the real Pulumi engine's toolchain for the e2e from published Go modules, cached by version
# under ${E2E_CACHE:-/var/cache/enrichment-e2e}/engine (docs/e2e.md, "The engine"):
#
#   - the Pulumi CLI                         (cli/: pkg/v3 + sdk/v3 at $PULUMI_VERSION)
#   - the Node.js language host              (nodejs-host/: sdk/v3 at $PULUMI_NODEJS_HOST_SDK_VERSION)
#     and the two scripts beside it in that module's nodejs/dist: the dynamic-provider host
#     (pulumi-resource-pulumi-nodejs) and the legacy policy-pack host (pulumi-analyzer-policy)
#   - the `docker` plugin: the upstream Terraform provider bridged (docker-provider/)
#   - the stand-in `random`, `tls` and `command` plugins (providers/)
#
# and installs the plugins into the e2e's PULUMI_HOME. Versions live in versions.env (the Pulumi
# side) and package-lock.json (the SDKs the program uses: each plugin answers for its SDK's version).
#
#   bash tests/e2e/engine/build.sh        # idempotent; a warm run only checks the cache
#
# Last line of stdout: `engine: <dir>`, the directory whose env file (engine.env) names every piece;
# tests/e2e/engine/toolchain.ts reads it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${E2E_CACHE:-/var/cache/enrichment-e2e}"
# shellcheck source=versions.env
source "$here/versions.env"
export PATH="/usr/local/go/bin:$PATH"
export GOMODCACHE="${GOMODCACHE_E2E:-$cache/gomod}"
export GOCACHE="${GOCACHE_E2E:-$cache/gocache}"
export GOTOOLCHAIN=local
# go.mod and go.sum are committed; -mod=mod lets a module zip without vendor/ build as is.
export GOFLAGS=-mod=mod
command -v go >/dev/null || { echo "engine: no Go toolchain (expected /usr/local/go/bin/go)" >&2; exit 1; }
command -v node >/dev/null || { echo "engine: no node (the SDK versions are read from package-lock.json)" >&2; exit 1; }

t0=$SECONDS
say() { printf '[engine %4ds] %s\n' "$((SECONDS - t0))" "$*"; }

# The version each SDK of package-lock.json asks its plugin for.
sdk_version() { node -e 'const l=require(process.argv[1]);const p=l.packages["node_modules/"+process.argv[2]];if(!p){process.exit(1)}console.log(p.version)' "$repo/package-lock.json" "$1"; }
DOCKER_SDK="$(sdk_version @pulumi/docker)"
RANDOM_SDK="$(sdk_version @pulumi/random)"
TLS_SDK="$(sdk_version @pulumi/tls)"
COMMAND_SDK="$(sdk_version @pulumi/command)"

# A short hash of files: part of a cache key, so a change of sources rebuilds.
hash_of() { cat "$@" | sha256sum | cut -c1-12; }
sources_of() { find "$1" -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.sh' \) ! -name 'schema.json' | sort; }

# Builds in a copy of a module folder of ours (the repo stays clean of build outputs).
copy_module() {
  local from="$1" to="$2"
  rm -rf "$to" && mkdir -p "$to" && cp -r "$from/." "$to/"
}

engine="$cache/engine"
mkdir -p "$engine"

# ------------------------------------------------------------------ the CLI
cli_dir="$engine/pulumi-$PULUMI_VERSION-$(hash_of $(sources_of "$here/cli"))"
if [[ -x "$cli_dir/pulumi" && -f "$cli_dir/.complete" ]]; then
  say "pulumi $PULUMI_VERSION cached in $cli_dir"
else
  say "building pulumi $PULUMI_VERSION (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi; about 7 minutes cold on 2 cores)"
  started=$SECONDS
  src="$engine/src/cli" && copy_module "$here/cli" "$src"
  rm -rf "$cli_dir" && mkdir -p "$cli_dir"
  # Without the version stamped in, `pulumi version` is empty and the Automation API refuses the CLI.
  (cd "$src" && go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$cli_dir/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  touch "$cli_dir/.complete"
  say "built pulumi in $((SECONDS - started)) s"
fi

# ------------------------------------------------------------------ the Node.js language host
host_dir="$engine/nodejs-host-$PULUMI_NODEJS_HOST_SDK_VERSION-$(hash_of $(sources_of "$here/nodejs-host"))"
if [[ -x "$host_dir/pulumi-language-nodejs" && -f "$host_dir/.complete" ]]; then
  say "pulumi-language-nodejs (sdk $PULUMI_NODEJS_HOST_SDK_VERSION) cached in $host_dir"
else
  say "building pulumi-language-nodejs from sdk/v3@$PULUMI_NODEJS_HOST_SDK_VERSION"
  started=$SECONDS
  src="$engine/src/nodejs-host" && copy_module "$here/nodejs-host" "$src"
  rm -rf "$host_dir" && mkdir -p "$host_dir"
  (cd "$src" && go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_NODEJS_HOST_SDK_VERSION" \
    -o "$host_dir/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
  # The dynamic-provider host and the legacy policy-pack host are shell scripts in the same module:
  # each resolves its entry point inside the program's own node_modules/@pulumi/pulumi.
  sdk_dir="$(cd "$src" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  for script in pulumi-resource-pulumi-nodejs pulumi-analyzer-policy; do
    install -m 0755 "$sdk_dir/nodejs/dist/$script" "$host_dir/$script"
  done
  touch "$host_dir/.complete"
  say "built the language host in $((SECONDS - started)) s"
fi

# ------------------------------------------------------------------ the bridged docker provider
docker_dir="$engine/docker-$DOCKER_SDK-$(hash_of "$here/versions.env" $(sources_of "$here/docker-provider"))"
if [[ -x "$docker_dir/pulumi-resource-docker" && -f "$docker_dir/.complete" ]]; then
  say "docker $DOCKER_SDK (bridged $TF_DOCKER_MODULE@$TF_DOCKER_VERSION) cached in $docker_dir"
else
  say "building the docker plugin $DOCKER_SDK: $TF_DOCKER_MODULE@$TF_DOCKER_VERSION bridged with pulumi-terraform-bridge $TF_BRIDGE_VERSION"
  started=$SECONDS
  src="$engine/src/docker-provider" && copy_module "$here/docker-provider" "$src"
  rm -rf "$docker_dir" && mkdir -p "$docker_dir"
  ldflags="-s -w -X github.com/terraform-providers/terraform-provider-docker/pulumi-e2e-bridge/mapping.Version=$DOCKER_SDK"
  # The schema first (the bridge's own generator over our mapping), embedded in the plugin after.
  (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$docker_dir/pulumi-tfgen-docker" ./cmd/pulumi-tfgen-docker)
  "$docker_dir/pulumi-tfgen-docker" "$docker_dir/schema.json"
  cp "$docker_dir/schema.json" "$src/cmd/pulumi-resource-docker/schema.json"
  (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$docker_dir/pulumi-resource-docker" ./cmd/pulumi-resource-docker)
  "$docker_dir/pulumi-resource-docker" -get-provider-info >"$docker_dir/provider-info.json"
  touch "$docker_dir/.complete"
  say "built the docker plugin in $((SECONDS - started)) s"
fi

# ------------------------------------------------------------------ the stand-in plugins
providers_dir="$engine/providers-$(hash_of "$repo/package-lock.json" $(sources_of "$here/providers"))"
if [[ -f "$providers_dir/.complete" ]]; then
  say "random $RANDOM_SDK, tls $TLS_SDK, command $COMMAND_SDK (stand-ins) cached in $providers_dir"
else
  say "building the stand-in plugins random $RANDOM_SDK, tls $TLS_SDK, command $COMMAND_SDK"
  started=$SECONDS
  bash "$here/providers/build.sh" "$providers_dir"
  touch "$providers_dir/.complete"
  say "built the stand-in plugins in $((SECONDS - started)) s"
fi

# ------------------------------------------------------------------ PULUMI_HOME with the plugins
# One home per toolchain: the plugins are installed as the CLI installs any plugin from a file.
key="$(printf '%s\n' "$cli_dir" "$host_dir" "$docker_dir" "$providers_dir" | sha256sum | cut -c1-12)"
out="$engine/toolchain-$key"
if [[ -f "$out/.complete" ]]; then
  say "toolchain cached in $out"
else
  rm -rf "$out" && mkdir -p "$out/bin" "$out/home"
  ln -s "$cli_dir/pulumi" "$out/bin/pulumi"
  for f in pulumi-language-nodejs pulumi-resource-pulumi-nodejs pulumi-analyzer-policy; do ln -s "$host_dir/$f" "$out/bin/$f"; done
  export PULUMI_HOME="$out/home" PULUMI_SKIP_UPDATE_CHECK=true
  install_plugin() {
    "$cli_dir/pulumi" plugin install resource "$1" "$2" --file "$3" >/dev/null
    say "installed plugin resource $1 $2 from $3"
  }
  install_plugin docker "$DOCKER_SDK" "$docker_dir/pulumi-resource-docker"
  install_plugin random "$RANDOM_SDK" "$providers_dir/pulumi-resource-random"
  install_plugin tls "$TLS_SDK" "$providers_dir/pulumi-resource-tls"
  install_plugin command "$COMMAND_SDK" "$providers_dir/pulumi-resource-command"
  {
    echo "PULUMI_VERSION=$PULUMI_VERSION"
    echo "PULUMI_NODEJS_HOST_SDK_VERSION=$PULUMI_NODEJS_HOST_SDK_VERSION"
    echo "TF_BRIDGE_VERSION=$TF_BRIDGE_VERSION"
    echo "TF_DOCKER_VERSION=$TF_DOCKER_VERSION"
    echo "DOCKER_PLUGIN_VERSION=$DOCKER_SDK"
    echo "RANDOM_PLUGIN_VERSION=$RANDOM_SDK"
    echo "TLS_PLUGIN_VERSION=$TLS_SDK"
    echo "COMMAND_PLUGIN_VERSION=$COMMAND_SDK"
    echo "BIN_DIR=$out/bin"
    echo "PULUMI_HOME=$out/home"
    echo "DOCKER_SCHEMA=$docker_dir/schema.json"
    echo "DOCKER_PROVIDER_INFO=$docker_dir/provider-info.json"
    echo "PROVIDERS_DIR=$providers_dir"
  } >"$out/engine.env"
  touch "$out/.complete"
fi
ln -sfn "$out" "$engine/current"
say "done in $((SECONDS - t0)) s"
echo "engine: $out"
