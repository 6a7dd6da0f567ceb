#!/usr/bin/env bash
# Host firewall for one stack's Docker networks: what Docker itself does not do (docs/network.md).
#
#   scripts/host-firewall.sh apply  <prefix>   # add (or refresh) the rules of <prefix>-* networks
#   scripts/host-firewall.sh remove <prefix>   # drop them
#   scripts/host-firewall.sh status <prefix>   # print them; exit 1 when they are not applied
#
# <prefix> is the stack's name prefix (enrichment:namePrefix, by default the stack name). Run it
# as root on the Docker host after `pulumi up` and at boot (after docker.service): a replaced
# network gets a new bridge and needs `apply` again. It is idempotent: `apply` first removes the
# rules it made for this prefix, then adds them again.
#
# 1. Host listeners: a container on <prefix>-private, -egress or -published reaches any address
#    of the host itself (bridge gateways, the LAN address) because that traffic is the host's own
#    INPUT, which Docker leaves alone. Rule: from these bridges the host accepts only replies
#    (conntrack ESTABLISHED,RELATED) and drops new connections. Docker's embedded DNS (127.0.0.11
#    inside each container) is not affected.
# 2. Forwarding from the published network: it has no NAT, but the host still forwards what its
#    containers send to other interfaces. Rule (in DOCKER-USER, which Docker evaluates first and
#    never flushes): from <prefix>-published only replies leave; published ports keep working
#    because their connections start outside.
set -euo pipefail

INPUT_CHAIN=ENRICHMENT-HOST-INPUT
FORWARD_CHAIN=ENRICHMENT-HOST-FWD

usage() {
  sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
action=$1
prefix=$2
[[ "$prefix" =~ ^[a-z][a-z0-9-]{0,30}$ ]] || { echo "host-firewall: prefix must be lower-case letters, digits and dashes (got '$prefix')" >&2; exit 2; }
tag="enrichment:$prefix"

command -v iptables >/dev/null || { echo "host-firewall: iptables not found (apt-get install -y iptables)" >&2; exit 1; }
tables=(iptables)
command -v ip6tables >/dev/null && ip6tables -S >/dev/null 2>&1 && tables+=(ip6tables)

# The Linux bridge behind a Docker network: its bridge.name option, else br-<first 12 of its id>.
bridge_of() {
  local network=$1 id name
  id=$(docker network inspect -f '{{.Id}}' "$network" 2>/dev/null) || { echo "host-firewall: Docker network $network not found (run pulumi up first)" >&2; return 1; }
  name=$(docker network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' "$network")
  [[ -n "$name" && "$name" != "<no value>" ]] && echo "$name" || echo "br-${id:0:12}"
}

ensure_chain() { # table chain parent
  local t=$1 chain=$2 parent=$3
  "$t" -N "$chain" 2>/dev/null || true
  "$t" -C "$parent" -j "$chain" 2>/dev/null || "$t" -I "$parent" 1 -j "$chain"
}

# Deletes this prefix's rules (matched by their comment) from a chain; leaves other stacks' alone.
drop_tagged() { # table chain
  local t=$1 chain=$2 rule
  "$t" -S "$chain" >/dev/null 2>&1 || return 0
  while IFS= read -r rule; do
    # shellcheck disable=SC2086 # the rule is iptables' own -S output, re-split as it printed it
    eval "$t ${rule/-A /-D }"
  done < <("$t" -S "$chain" | grep -F -- "--comment \"$tag\"" || true)
}

tagged_count() { # table chain
  "$1" -S "$2" 2>/dev/null | grep -cF -- "--comment \"$tag\"" || true
}

case "$action" in
  apply)
    guarded=("$prefix-private" "$prefix-egress" "$prefix-published")
    declare -A bridges
    for network in "${guarded[@]}"; do bridges[$network]=$(bridge_of "$network"); done
    for t in "${tables[@]}"; do
      ensure_chain "$t" "$INPUT_CHAIN" INPUT
      # DOCKER-USER exists once dockerd has started; create it if this runs first.
      "$t" -N DOCKER-USER 2>/dev/null || true
      ensure_chain "$t" "$FORWARD_CHAIN" DOCKER-USER
      drop_tagged "$t" "$INPUT_CHAIN"
      drop_tagged "$t" "$FORWARD_CHAIN"
      for network in "${guarded[@]}"; do
        bridge=${bridges[$network]}
        "$t" -A "$INPUT_CHAIN" -i "$bridge" -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment "$tag" -j RETURN
        "$t" -A "$INPUT_CHAIN" -i "$bridge" -m comment --comment "$tag" -j DROP
      done
      published=${bridges[$prefix-published]}
      "$t" -A "$FORWARD_CHAIN" -i "$published" ! -o "$published" -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment "$tag" -j RETURN
      "$t" -A "$FORWARD_CHAIN" -i "$published" ! -o "$published" -m comment --comment "$tag" -j DROP
    done
    echo "host-firewall: applied for ${guarded[*]} (${tables[*]})"
    ;;
  remove)
    for t in "${tables[@]}"; do
      drop_tagged "$t" "$INPUT_CHAIN"
      drop_tagged "$t" "$FORWARD_CHAIN"
    done
    echo "host-firewall: removed the rules of $prefix"
    ;;
  status)
    status=0
    for t in "${tables[@]}"; do
      input=$(tagged_count "$t" "$INPUT_CHAIN")
      forward=$(tagged_count "$t" "$FORWARD_CHAIN")
      echo "$t: $input input rules, $forward forward rules for $prefix"
      "$t" -S "$INPUT_CHAIN" 2>/dev/null | grep -F -- "--comment \"$tag\"" || true
      "$t" -S "$FORWARD_CHAIN" 2>/dev/null | grep -F -- "--comment \"$tag\"" || true
      [[ "$input" -eq 6 && "$forward" -eq 2 ]] || status=1
    done
    exit "$status"
    ;;
  *) usage ;;
esac
