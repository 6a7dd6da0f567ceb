#!/usr/bin/env bash
# A 3-node Docker Swarm on one machine, for the swarm e2e (docs/swarm.md): three dockerd, each in a
# network namespace of its own (a veth to the bridge swl-br0, 10.213.21.0/24, no default route),
# its own hostname (UTS namespace), data root, exec root, socket, engine key and cgroup mounts.
#
#   tests/e2e/swarm/lab.sh up       idempotent: builds what is missing, prints each node
#   tests/e2e/swarm/lab.sh status   prints each node (exit 1 when the lab is not complete)
#   tests/e2e/swarm/lab.sh down     stops the nodes and removes everything under $SWL_ROOT
#   tests/e2e/swarm/lab.sh env      prints `export` lines: SWL_MANAGER_HOST, SWL_NODE<n>_HOST, SWL_REGISTRY
#   tests/e2e/swarm/lab.sh layout   prints the declared layout: name address role labels resource socket
#   tests/e2e/swarm/lab.sh stop <node> | start <node>   stops or starts one node's engine (a lost node)
#
# Images reach the nodes from the e2e registry that tests/e2e/images/build.sh runs on
# 127.0.0.1:5000 in the root namespace: the bridge's own address forwards port 5000 to it
# (DNAT + route_localnet), and every node lists that address as an insecure registry. Stack
# files for the lab name images as $SWL_REGISTRY/<name>@sha256:... (the digest is the same).
#
# Why each piece (measured on Debian's docker.io 20.10, kernel without IPVS or ESP):
#   - no default route in a node: the Docker provider asks the registry for a digest, and a
#     namespace with a route waits ~20 s for DNS on every such question;
#   - `ip netns exec` remounts /sys, which hides the cgroup hierarchies: they are mounted again;
#   - /etc/docker is bound per node: each engine needs a key of its own (key.json) to join;
#   - the root namespace's dockerd sets FORWARD to DROP: the bridge's own traffic is accepted.
set -euo pipefail

SWL_ROOT=${SWL_ROOT:-/var/lib/swl}
BRIDGE=swl-br0
SUBNET_PREFIX=10.213.21
BRIDGE_ADDR=$SUBNET_PREFIX.1
REGISTRY_PORT=5000
REGISTRY_UPSTREAM=${E2E_REGISTRY:-127.0.0.1:5000}
# Overlay networks come from here, so they never overlap the bridge's /24.
ADDR_POOL=10.214.0.0/16
GPU_RESOURCE=NVIDIA-GPU=GPU-0
COMMENT=swl-lab

# The declared layout. Labels are the ones the program's placement reads (facts/swarm.ts
# SWARM_NODE_LABELS; tests/swarm.lab.test.ts keeps the two equal).
#   name       address            role     labels                                        generic resource
LAYOUT=(
  "swl-node1 $SUBNET_PREFIX.11 manager org.enrichment.data=true,org.enrichment.edge=true -"
  "swl-node2 $SUBNET_PREFIX.12 worker  org.enrichment.gpu=true                          $GPU_RESOURCE"
  "swl-node3 $SUBNET_PREFIX.13 worker  -                                                -"
)

say() { echo "lab: $*"; }
die() { echo "lab: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 not found: $2"; }

node_dir() { echo "$SWL_ROOT/$1"; }
node_sock() { echo "$SWL_ROOT/$1/docker.sock"; }
node_docker() { local name=$1; shift; docker -H "unix://$(node_sock "$name")" "$@"; }
node_up() { node_docker "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
field() { local line=$1 index=$2; awk -v i="$index" '{print $i}' <<<"$line"; }

ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  # (Captured, not piped into grep -q: with pipefail an early grep exit fails the pipe.)
  [[ "$(ip -4 -o addr show dev "$BRIDGE")" == *" $BRIDGE_ADDR/24 "* ]] || ip addr add "$BRIDGE_ADDR/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # The root dockerd's FORWARD policy is DROP and the bridge is filtered (br_netfilter): accept
  # the lab's own traffic (node to node: swarm 2377, gossip 7946, VXLAN 4789/udp).
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$COMMENT" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD 1 -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$COMMENT" -j ACCEPT
  # The registry listens on loopback only: forward the bridge address's port to it, for the
  # nodes (PREROUTING) and for the Pulumi host itself (OUTPUT), which resolves the same refs.
  sysctl -qw "net.ipv4.conf.$BRIDGE.route_localnet=1"
  local rule=(-d "$BRIDGE_ADDR" -p tcp --dport "$REGISTRY_PORT" -m comment --comment "$COMMENT" -j DNAT --to-destination "$REGISTRY_UPSTREAM")
  iptables -t nat -C PREROUTING -i "$BRIDGE" "${rule[@]}" 2>/dev/null || iptables -t nat -I PREROUTING 1 -i "$BRIDGE" "${rule[@]}"
  iptables -t nat -C OUTPUT "${rule[@]}" 2>/dev/null || iptables -t nat -I OUTPUT 1 "${rule[@]}"
}

ensure_netns() {
  local name=$1 addr=$2 veth="${1/swl-node/swl-v}"
  [[ -e "/run/netns/$name" ]] || ip netns add "$name"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$name"
  fi
  ip link set "$veth" master "$BRIDGE" up
  ip netns exec "$name" ip link set lo up
  [[ "$(ip netns exec "$name" ip -4 -o addr show dev eth0)" == *" $addr/24 "* ]] || ip netns exec "$name" ip addr add "$addr/24" dev eth0
  ip netns exec "$name" ip link set eth0 up
  # Deliberately no default route (see the header).
}

# The cgroup mounts of the root namespace, as `type options mountpoint` lines, to repeat inside.
cgroup_mounts() {
  awk '$3 == "cgroup" || $3 == "cgroup2" { print $3, $4, $2 }' /proc/self/mounts
}

start_node() {
  local name=$1 resource=$2 dir
  dir=$(node_dir "$name")
  mkdir -p "$dir/data" "$dir/exec" "$dir/etc-docker"
  local flags=(
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid"
    -H "unix://$(node_sock "$name")"
    --config-file "$dir/daemon.json"
    --insecure-registry "$BRIDGE_ADDR:$REGISTRY_PORT"
    --log-level warn
  )
  [[ "$resource" != "-" ]] && flags+=(--node-generic-resource "$resource")
  echo '{}' >"$dir/daemon.json"
  # One script per node, kept for reading: what runs inside the namespaces.
  {
    echo "#!/usr/bin/env bash"
    echo "# Generated by tests/e2e/swarm/lab.sh: runs inside 'ip netns exec $name' (its own mount namespace)."
    echo "set -euo pipefail"
    echo "mount --bind $dir/etc-docker /etc/docker"
    echo "mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup"
    while read -r type options mountpoint; do
      options=$(tr ',' '\n' <<<"$options" | { grep -vxE 'rw|ro|relatime|nosuid|nodev|noexec' || true; } | paste -sd, -)
      if [[ "$type" == cgroup2 ]]; then
        echo "mkdir -p $mountpoint && mount -t cgroup2 cgroup2 $mountpoint"
      else
        echo "mkdir -p $mountpoint && mount -t cgroup -o ${options:-none} cgroup $mountpoint"
      fi
    done < <(cgroup_mounts)
    echo "exec unshare --uts bash -c 'hostname $name && exec dockerd ${flags[*]}'"
  } >"$dir/start.sh"
  chmod +x "$dir/start.sh"
  setsid ip netns exec "$name" "$dir/start.sh" >"$dir/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 80); do
    node_up "$name" && return 0
    sleep 0.25
  done
  tail -n 20 "$dir/dockerd.log" >&2
  die "$name: dockerd did not answer on $(node_sock "$name") within 20 s (log above: $dir/dockerd.log)"
}

ensure_swarm() {
  local manager manager_addr line name addr role labels state
  manager=$(field "${LAYOUT[0]}" 1)
  manager_addr=$(field "${LAYOUT[0]}" 2)
  state=$(node_docker "$manager" info --format '{{.Swarm.LocalNodeState}}')
  if [[ "$state" != active ]]; then
    node_docker "$manager" swarm init --advertise-addr "$manager_addr" --default-addr-pool "$ADDR_POOL" >/dev/null
  fi
  local token
  token=$(node_docker "$manager" swarm join-token -q worker)
  for line in "${LAYOUT[@]:1}"; do
    name=$(field "$line" 1)
    addr=$(field "$line" 2)
    state=$(node_docker "$name" info --format '{{.Swarm.LocalNodeState}}')
    [[ "$state" == active ]] && continue
    node_docker "$name" swarm join --token "$token" --advertise-addr "$addr" "$manager_addr:2377" >/dev/null
  done
  # Labels, as declared (a label not declared is removed).
  for line in "${LAYOUT[@]}"; do
    name=$(field "$line" 1)
    labels=$(field "$line" 4)
    local current wanted=() args=()
    [[ "$labels" != "-" ]] && IFS=, read -r -a wanted <<<"$labels"
    current=$(node_docker "$manager" node inspect "$name" --format '{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}} {{end}}')
    for label in $current; do
      [[ " ${wanted[*]} " == *" $label "* ]] || args+=(--label-rm "${label%%=*}")
    done
    for label in "${wanted[@]}"; do args+=(--label-add "$label"); done
    if ((${#args[@]})); then node_docker "$manager" node update "${args[@]}" "$name" >/dev/null; fi
  done
  # Ready: every node reports Ready to the manager.
  for _ in $(seq 1 120); do
    local ready
    ready=$(node_docker "$manager" node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
    [[ "$ready" -eq ${#LAYOUT[@]} ]] && return 0
    sleep 0.25
  done
  die "not every node turned Ready within 30 s: $(node_docker "$manager" node ls 2>&1)"
}

print_status() {
  local manager line name addr ok=0 registry
  manager=$(field "${LAYOUT[0]}" 1)
  for line in "${LAYOUT[@]}"; do
    name=$(field "$line" 1)
    addr=$(field "$line" 2)
    if node_up "$name"; then
      local info
      info=$(node_docker "$manager" node inspect "$name" --format '{{.Status.State}} {{.Spec.Role}} labels={{range $k, $v := .Spec.Labels}}{{$k}}={{$v}},{{end}} resources={{range .Description.Resources.GenericResources}}{{.NamedResourceSpec.Kind}}={{.NamedResourceSpec.Value}}{{end}}' 2>/dev/null || echo "not in the swarm")
      echo "$name  unix://$(node_sock "$name")  $addr  $info"
    else
      echo "$name  unix://$(node_sock "$name")  $addr  down"
      ok=1
    fi
  done
  if curl -fsS -o /dev/null --max-time 2 "http://$BRIDGE_ADDR:$REGISTRY_PORT/v2/" 2>/dev/null; then
    registry="answers"
  else
    registry="does not answer (start it: flock /var/lock/enrichment-e2e.lock bash tests/e2e/images/build.sh)"
  fi
  echo "registry  $BRIDGE_ADDR:$REGISTRY_PORT -> $REGISTRY_UPSTREAM  $registry"
  return $ok
}

print_layout() {
  local line
  for line in "${LAYOUT[@]}"; do
    read -r name addr role labels resource <<<"$line"
    echo "$name $addr $role $labels $resource unix://$(node_sock "$name")"
  done
}

resource_of() {
  local line
  for line in "${LAYOUT[@]}"; do
    [[ "$(field "$line" 1)" == "$1" ]] && { field "$line" 5; return 0; }
  done
  die "no node $1 in the layout (known: $(for line in "${LAYOUT[@]}"; do printf '%s ' "$(field "$line" 1)"; done))"
}

print_env() {
  local line name i=1
  echo "export SWL_MANAGER_HOST=unix://$(node_sock "$(field "${LAYOUT[0]}" 1)")"
  for line in "${LAYOUT[@]}"; do
    name=$(field "$line" 1)
    echo "export SWL_NODE${i}_HOST=unix://$(node_sock "$name")"
    i=$((i + 1))
  done
  echo "export SWL_REGISTRY=$BRIDGE_ADDR:$REGISTRY_PORT"
}

cmd_up() {
  local started=$SECONDS
  [[ $EUID -eq 0 ]] || die "run as root (network namespaces, mounts, iptables)"
  need dockerd "apt-get install -y docker.io"
  need ip "apt-get install -y iproute2"
  need iptables "apt-get install -y iptables"
  need unshare "apt-get install -y util-linux"
  mkdir -p "$SWL_ROOT"
  ensure_bridge
  local line name addr resource
  for line in "${LAYOUT[@]}"; do
    name=$(field "$line" 1)
    addr=$(field "$line" 2)
    resource=$(field "$line" 5)
    ensure_netns "$name" "$addr"
    node_up "$name" || start_node "$name" "$resource"
  done
  ensure_swarm
  print_status || true
  say "up in $((SECONDS - started)) s"
}

stop_node() {
  local name=$1 dir pid
  dir=$(node_dir "$name")
  [[ -s "$dir/docker.pid" ]] || return 0
  pid=$(cat "$dir/docker.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$dir/docker.pid"
}

# Whatever the lab started in a node's namespace and is still there (containerd shims outlive
# their dockerd): by process id, from `ip netns pids`, never by name.
stop_namespace_processes() {
  local name=$1 pids
  [[ -e "/run/netns/$name" ]] || return 0
  pids=$(ip netns pids "$name" 2>/dev/null || true)
  [[ -n "$pids" ]] || return 0
  kill $pids 2>/dev/null || true
  for _ in $(seq 1 40); do
    pids=$(ip netns pids "$name" 2>/dev/null || true)
    [[ -z "$pids" ]] && return 0
    sleep 0.25
  done
  kill -9 $pids 2>/dev/null || true
  sleep 0.5
}

cmd_down() {
  local started=$SECONDS line name veth
  for line in "${LAYOUT[@]}"; do
    name=$(field "$line" 1)
    stop_node "$name"
    stop_namespace_processes "$name"
    veth="${name/swl-node/swl-v}"
    ip link del "$veth" 2>/dev/null || true
    ip netns del "$name" 2>/dev/null || true
  done
  local rule=(-d "$BRIDGE_ADDR" -p tcp --dport "$REGISTRY_PORT" -m comment --comment "$COMMENT" -j DNAT --to-destination "$REGISTRY_UPSTREAM")
  while iptables -t nat -D PREROUTING -i "$BRIDGE" "${rule[@]}" 2>/dev/null; do :; done
  while iptables -t nat -D OUTPUT "${rule[@]}" 2>/dev/null; do :; done
  while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$COMMENT" -j ACCEPT 2>/dev/null; do :; done
  ip link del "$BRIDGE" 2>/dev/null || true
  # Anything a node left mounted under the lab's root (its mount namespace is gone with it).
  { grep -o " $SWL_ROOT/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r mountpoint; do umount -l "$mountpoint" 2>/dev/null || true; done
  local attempt
  for attempt in 1 2 3 4 5; do
    rm -rf "$SWL_ROOT" 2>/dev/null && break
    [[ $attempt -eq 5 ]] && die "could not remove $SWL_ROOT: $(rm -rf "$SWL_ROOT" 2>&1 | head -3)"
    sleep 1
  done
  say "down in $((SECONDS - started)) s"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) print_status ;;
  env) print_env ;;
  layout) print_layout ;;
  stop)
    [[ -n "${2:-}" ]] || die "usage: $0 stop <node>"
    resource_of "$2" >/dev/null
    stop_node "$2"
    say "$2 stopped"
    ;;
  start)
    [[ -n "${2:-}" ]] || die "usage: $0 start <node>"
    resource=$(resource_of "$2")
    node_up "$2" || start_node "$2" "$resource"
    say "$2 started"
    ;;
  -h | --help | help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "usage: $0 up|down|status|env|layout|stop <node>|start <node>" >&2
    exit 3
    ;;
esac
