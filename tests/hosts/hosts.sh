#!/usr/bin/env bash
# Five hosts (and the controller's) on one machine, from network and mount
# namespaces, running the example seed spec as written but for its node
# addresses, with the programs the Debian packages install.
#
#   tests/hosts/hosts.sh up RUN_DIR [PACKAGES_DIR]   make the hosts, start
#        the controller, apply the spec, start the agents (enrolled with
#        tokens, mutual TLS)
#   tests/hosts/hosts.sh exec RUN_DIR HOST -- CMD... run CMD on HOST
#   tests/hosts/hosts.sh cut|heal RUN_DIR HOST       take HOST's link down / up
#   tests/hosts/hosts.sh restart-agent RUN_DIR HOST [PACKAGES_DIR]
#        stop HOST's agent as systemd does (the agent alone), upgrade it from
#        PACKAGES_DIR's bam-agentd package when given, start it again
#   tests/hosts/hosts.sh down RUN_DIR                stop everything, remove
#        the namespaces, the bridge and the hosts files (RUN_DIR is kept)
#
# Each host is a network namespace (`bamctl-HOST`) with a veth pair on one
# bridge (`bamctl-br0`, 198.18.4.1/24 on this machine's side), addresses in
# 198.18.0.0/15 only (the range set aside for network test beds): the
# seed's 192.168.4.N become 198.18.4.N, the controller is 198.18.4.10. Each
# host has its own hosts file (/etc/netns/bamctl-HOST/hosts, which `ip netns
# exec` mounts on /etc/hosts) and, in every process started on it, private
# /opt, /home, /var/lib, /var/log, /tmp, /etc/bam-agent and /etc/bamctl,
# bind-mounted from RUN_DIR/hosts/HOST/.
#
# What stands in for what: the JDK at the spec's java_home is this
# machine's (a wrapper that also lets ZooKeeper 3.8 answer the four-letter
# words ZooKeeper 3.3, the spec's version, answers to everyone); ZooKeeper
# at the spec's home is Debian's real server; Hadoop 1.x, Cassandra and WSO2
# BAM at the spec's homes are emulated installs (tests/emulators). The role
# users the spec names are made on this machine (system users) if missing.
# The controller runs as its own user and the agents as root, each with
# the capability bounding set and no_new_privs of its systemd unit.
# Needs root and iproute2.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
repo="$(cd "$(dirname "$0")/../.." && pwd)"

prefix=bamctl
bridge=${prefix}-br0
subnet=198.18.4
controller_address=${subnet}.10
spec_source="$repo/examples/seed-cluster.yaml"
emulator="${BAMCTL_EMULATOR_BIN:-$repo/build/default/tests/emulators/bam-emulator}"
# Which run dir the hosts that are up belong to (one set at a time: they
# share the bridge and the addresses).
marker=/run/bamctl-hosts
private_dirs=(/opt /home /var/lib /var/log /tmp /etc/bam-agent /etc/bamctl)
role_users=(hadoop cassandra zookeeper wso2)
agent_caps=-all,+setuid,+setgid,+chown,+fowner,+dac_override,+dac_read_search,+kill,+sys_ptrace,+sys_resource

die() { echo "hosts.sh: $*" >&2; exit 1; }
usage() { sed -n '6,16p' "$0" >&2; exit 2; }

# The spec's nodes as "name address" lines, addresses mapped to 198.18.
spec_nodes() {
  awk '/^  - name:/ {name=$3} /^    address:/ {print name, $2}' "$1"
}
node_roles() {  # the roles line of node $2 in spec $1
  awk -v n="$2" '/^  - name:/ {cur=$3} /^    roles:/ && cur==n {print}' "$1"
}

host_root() { echo "$run/hosts/$1"; }

# Runs "$@" in HOST's namespaces with its private directories mounted.
host_exec() {
  local host=$1; shift
  local root; root="$(host_root "$host")"
  [ -d "$root" ] || die "no host $host in $run"
  local mounts=""
  for d in "${private_dirs[@]}"; do mounts+="mount --bind '$root$d' '$d' && "; done
  # `ip netns exec` gives the command a mount namespace of its own (shared
  # mounts made slave), so these binds stay on this host.
  exec ip netns exec "$prefix-$host" /bin/sh -c "$mounts exec \"\$@\"" sh "$@"
}

make_host() {
  local host=$1 address=$2
  local ns="$prefix-$host" root; root="$(host_root "$host")"
  for d in "${private_dirs[@]}"; do mkdir -p "$root$d"; done
  chmod 1777 "$root/tmp"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "$prefix-$host-h" type veth peer name eth0 netns "$ns"
  ip link set "$prefix-$host-h" master "$bridge" up
  ip -n "$ns" addr add "$address/24" dev eth0
  ip -n "$ns" link set eth0 up
  mkdir -p "/etc/netns/$ns"
  printf '127.0.0.1\tlocalhost\n%s\t%s\n%s\tbam-controller\n' "$address" "$host" \
    "$controller_address" >"/etc/netns/$ns/hosts"
}

# What the spec's homes hold on a host, by its roles.
lay_out_node() {
  local host=$1 roles=$2 root; root="$(host_root "$host")"
  # The JDK: this machine's, behind the spec's java_home.
  mkdir -p "$root/opt/java/jdk1.6.0_29/bin"
  cat >"$root/opt/java/jdk1.6.0_29/bin/java" <<'EOF'
#!/bin/sh
# Stand-in for the spec's JDK: this machine's java. ZooKeeper 3.3 (the spec's
# version) answers every four-letter word; 3.8 only those it is told to.
exec /usr/lib/jvm/default-java/bin/java -Dzookeeper.4lw.commands.whitelist='*' "$@"
EOF
  chmod 0755 "$root/opt/java/jdk1.6.0_29/bin/java"
  if [[ $roles == *zookeeper* ]]; then
    mkdir -p "$root/opt/zookeeper"
    ln -sfn /usr/share/java/zookeeper.jar "$root/opt/zookeeper/zookeeper.jar"
    chown -R zookeeper:zookeeper "$root/opt/zookeeper"
  fi
  if [[ $roles == *cassandra* ]]; then
    "$emulator" install cassandra "$root/opt/cassandra" >/dev/null
    chown -R cassandra:cassandra "$root/opt/cassandra"
  fi
  if [[ $roles == *node* || $roles == *tracker* ]]; then
    mkdir -p "$root/home/hadoop"
    "$emulator" install hadoop "$root/home/hadoop/hadoop" >/dev/null
    chown -R hadoop:hadoop "$root/home/hadoop"
  fi
  if [[ $roles == *bam-* ]]; then
    "$emulator" install bam "$root/opt/wso2bam" >/dev/null
    chown -R wso2:wso2 "$root/opt/wso2bam"
    mkdir -p "$root/etc/bamctl/secrets"
    for db in regdb bamdb; do
      install -m 0600 /dev/null "$root/etc/bamctl/secrets/$db-password"
      echo "hosts-demo-password" >"$root/etc/bamctl/secrets/$db-password"
    done
  fi
}

start_daemon() {  # HOST PIDFILE LOG CMD...
  local host=$1 pidfile=$2 log=$3; shift 3
  setsid "$0" exec "$run" "$host" -- "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

wait_for() {  # SECONDS WHAT CMD...: bounded
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$what within ${seconds}s"
}

up() {
  local packages=$1
  [ "$(id -u)" -eq 0 ] || die "needs root (network and mount namespaces)"
  command -v ip >/dev/null || die "needs iproute2 (ip)"
  if ip netns list | grep -q "^$prefix-"; then
    die "hosts are up already, for $(cat "$marker" 2>/dev/null || echo "an unknown run dir") (tests/hosts/hosts.sh down DIR)"
  fi
  [ -x "$emulator" ] || die "no bam-emulator at $emulator (build first)"
  shopt -s nullglob
  local debs=("$packages"/bam-agentd_*.deb "$packages"/bam-controller_*.deb "$packages"/bamctl_*.deb)
  [ ${#debs[@]} -eq 3 ] || die "need the three packages in $packages (scripts/package.sh)"
  mkdir -p "$run"
  # A fresh cluster every time: what an earlier run left goes.
  rm -rf "$run/pkg" "$run/hosts" "$run"/*.log "$run"/*.pid "$run/cluster.yaml"
  # The packages' files, as they install them.
  for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$run/pkg"; done
  local bamctl="$run/pkg/usr/bin/bamctl"

  for u in "${role_users[@]}" bam-controller; do
    getent passwd "$u" >/dev/null ||
      useradd --system --user-group --home-dir "/home/$u" --no-create-home \
        --shell /usr/sbin/nologin "$u"
  done
  # Mount points for the hosts' private /etc directories.
  mkdir -p /etc/bam-agent /etc/bamctl /etc/netns

  echo "$run" >"$marker"
  # The spec: the seed's, with its addresses in 198.18.4.0/24.
  sed 's/192\.168\.4\./198.18.4./' "$spec_source" >"$run/cluster.yaml"
  ip link add "$bridge" type bridge
  ip addr add "$subnet.1/24" dev "$bridge"
  ip link set "$bridge" up

  make_host ctl "$controller_address"
  while read -r name address; do
    make_host "$name" "$address"
    lay_out_node "$name" "$(node_roles "$run/cluster.yaml" "$name")"
  done < <(spec_nodes "$run/cluster.yaml")

  # The controller: its packaged flags file, its own user, no capabilities.
  local ctl; ctl="$(host_root ctl)"
  mkdir -p "$ctl/var/lib/bam-controller" "$ctl/etc/bam-controller"
  chown bam-controller:bam-controller "$ctl/var/lib/bam-controller"
  chmod 0700 "$ctl/var/lib/bam-controller"
  setpriv --reuid=bam-controller --regid=bam-controller --clear-groups \
    "$bamctl" pki init --dir "$ctl/var/lib/bam-controller/pki" \
    --controller-host "$controller_address,bam-controller" >/dev/null
  start_daemon ctl "$run/controller.pid" "$run/controller.log" \
    setpriv --reuid=bam-controller --regid=bam-controller --clear-groups \
    --bounding-set=-all --inh-caps=-all --no-new-privs \
    "$run/pkg/usr/sbin/bam-controller" --flagfile="$run/pkg/etc/bam-controller/flags"
  export BAMCTL_CONFIG="$ctl/var/lib/bam-controller/pki/bamctl.conf"
  wait_for 30 "the controller did not answer (see $run/controller.log)" "$bamctl" nodes
  # Tokens are for nodes of the desired state: apply the spec first.
  "$bamctl" desired-state apply -f "$run/cluster.yaml" -m "the seed spec on five hosts" >/dev/null

  # The agents: the packaged agentd.conf with this host's node and the
  # controller, a token each, the agent's capabilities only.
  while read -r name address; do
    local root; root="$(host_root "$name")"
    local token; token="$("$bamctl" node token create "$name" 2>/dev/null)"
    install -m 0600 /dev/null "$root/etc/bam-agent/token"
    printf '%s\n' "$token" >"$root/etc/bam-agent/token"
    install -m 0644 "$ctl/var/lib/bam-controller/pki/ca.crt" "$root/etc/bam-agent/ca.crt"
    sed -e "s/^#node = .*/node = $name/" \
      -e "s/^#controller = .*/controller = bam-controller:7443/" \
      -e "s/^#role_users = .*/role_users = $(IFS=,; echo "${role_users[*]}")/" \
      -e "s/^metrics_listen = .*/metrics_listen = $address:9465/" \
      "$run/pkg/etc/bam-agent/agentd.conf" >"$root/etc/bam-agent/agentd.conf"
    start_agent "$name"
  done < <(spec_nodes "$run/cluster.yaml")
  wait_for 60 "the agents did not all connect" all_connected "$bamctl"
  echo "hosts up: controller $controller_address:7443, nodes $(spec_nodes "$run/cluster.yaml" | awk '{printf "%s=%s ", $1, $2}')"
  echo "  export BAMCTL_CONFIG=$BAMCTL_CONFIG"
  echo "  $bamctl status"
}

# The agent as its unit runs it: root, the unit's capability bounding set.
start_agent() {
  local root; root="$(host_root "$1")"
  start_daemon "$1" "$root/agent.pid" "$root/agent.log" \
    setpriv --bounding-set="$agent_caps" --inh-caps=-all --no-new-privs \
    "$run/pkg/usr/sbin/bam-agentd" --config=/etc/bam-agent/agentd.conf
}

# What `apt install ./bam-agentd_NEW.deb` does to a running agent: SIGTERM
# to the agent alone (the unit's KillMode=process), the new files, a start.
restart_agent() {
  local host=$1 packages=${2:-} root; root="$(host_root "$host")"
  local pid; pid="$(cat "$root/agent.pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && die "the agent on $host did not stop within 30 s"
  if [ -n "$packages" ]; then
    local deb; deb="$(ls "$packages"/bam-agentd_*.deb | head -1)"
    dpkg-deb -x "$deb" "$run/pkg"
  fi
  start_agent "$host"
}

all_connected() {
  local want; want="$(spec_nodes "$run/cluster.yaml" | wc -l)"
  [ "$("$1" nodes -o json | grep -o '"connected": *true' | wc -l)" -eq "$want" ]
}

down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-" || true); do
    # Every process of the host: agents, roles, the controller.
    local pids; pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  # A namespace outlives its deletion while anything still holds it; its
  # veth's near end goes now, with the bridge.
  local link
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
      grep "^$prefix-.*-h$" || true); do
    ip link delete "$link" 2>/dev/null || true
  done
  ip link delete "$bridge" 2>/dev/null || true
  rm -f "$marker"
  echo "hosts down (files kept in $run)"
}

cmd="${1:-}"
run="${2:-}"
[ -n "$cmd" ] && [ -n "$run" ] || usage
run="$(mkdir -p "$run" && cd "$run" && pwd)"
case "$cmd" in
  up) up "$(cd "${3:-$repo/build/packages}" && pwd)" ;;
  down) down ;;
  exec)
    host="${3:?HOST}"; shift 3
    [ "${1:-}" = "--" ] && shift
    host_exec "$host" "$@"
    ;;
  restart-agent) restart_agent "${3:?HOST}" "${4:-}" ;;
  cut) ip link set "$prefix-${3:?HOST}-h" down ;;
  heal) ip link set "$prefix-${3:?HOST}-h" up ;;
  *) usage ;;
esac
