#!/usr/bin/env bash
# The main job: the seed's five-node cluster (examples/seed-cluster.yaml),
# running on this machine. Installs dependencies, builds, lays the cluster
# out under demo-run/ (one loopback address, root, state and log dir per
# node), starts bam-controller and one bam-agentd per node in the
# background, applies the spec and shows the agents converging.
#
# Everything talks mutual TLS, as on real hosts: the cluster CA lives in
# demo-run/pki (bamctl pki init), each agent enrols with a one-time token
# (bamctl node token create) and keeps its certificate in its state dir,
# and demo-run/env points bamctl at demo-run/pki/bamctl.conf (admin).
#
# ZooKeeper is Debian's real server. Hadoop 1.x, Cassandra and WSO2 BAM
# cannot be installed here: their homes hold emulated installs (same
# layout and command lines, backed by tests/emulators/bam-emulator) that
# read the files the agents render and bind the ports they name.
#
#   ./scripts/demo.sh          start (or re-check) the cluster; safe to re-run
#   ./scripts/demo.sh --ha     the same, then three controllers in HA mode on
#                              the seed's own ZooKeeper ensemble (docs/ha.md)
#   ./scripts/demo.sh --hosts  the seed spec as written (but for its addresses)
#                              on five hosts made of network and mount
#                              namespaces, from the Debian packages
#                              (tests/hosts/hosts.sh; needs root and ip netns)
#   ./scripts/demo.sh status   bamctl status
#   ./scripts/demo.sh down     stop everything the demo started (both kinds)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
run=$root/demo-run
build=$root/build/default
bamctl=$build/bamctl/bamctl
listen=127.0.0.1:7443
pki=$run/pki

# HA: the controllers, one address each (the controller certificate names
# 127.0.0.1), and the seed's ensemble they share (node1..3's client port).
controllers=127.0.0.1:7443,127.0.0.1:7444,127.0.0.1:7445
ha_zookeeper=127.0.1.1:2181,127.0.1.2:2181,127.0.1.3:2181

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
cmdline_has() { tr '\0' ' ' <"/proc/$(cat "$1")/cmdline" | grep -q -- "$2"; }

# Role processes carry BAMCTL_SERVICE=node/service@<state dir>.
demo_roles() {
  grep -l -a -s "BAMCTL_SERVICE=[^@]*@$run/" /proc/[0-9]*/environ 2>/dev/null |
    sed -e 's|/proc/||' -e 's|/environ||' || true
}

down() {
  local pidfile
  for pidfile in "$run"/*/agent.pid "$run"/controller*.pid; do
    [ -f "$pidfile" ] || continue
    if alive "$pidfile"; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    rm -f "$pidfile"
  done
  # Agents leave their roles running on purpose; the demo is over, so stop
  # them too (each runs in its own process group).
  local pid
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local pids
    pids=$(demo_roles)
    [ -n "$pids" ] || break
    for pid in $pids; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
    sleep 1
  done
  for pid in $(demo_roles); do kill -KILL -- "-$pid" 2>/dev/null || true; done
  echo "demo stopped (state kept in demo-run/; remove it for a fresh start)"
}

# The five-host demo (tests/hosts/hosts.sh): says plainly why it cannot run
# where it cannot.
hosts_run=$root/demo-hosts
hosts_demo() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh --hosts: needs root, to make network and mount namespaces (run it with sudo);" >&2
    echo "  ./scripts/demo.sh runs the same cluster on this machine without root." >&2
    exit 1
  fi
  if ! command -v ip >/dev/null || ! ip netns add "bamctl-probe-$$" 2>/dev/null; then
    echo "demo.sh --hosts: this machine cannot make network namespaces (ip netns add failed:" >&2
    echo "  a container without CAP_SYS_ADMIN, or no iproute2); ./scripts/demo.sh runs the" >&2
    echo "  same cluster on loopback addresses instead." >&2
    exit 1
  fi
  ip netns delete "bamctl-probe-$$"
  ./scripts/install-deps.sh
  ./scripts/build.sh default
  echo "== Debian packages (scripts/package.sh --prebuilt build/default)"
  DEB_BUILD_OPTIONS=noddebs ./scripts/package.sh --prebuilt "$build" | grep '\.deb$'
  if ip netns list | grep -q '^bamctl-'; then
    echo "== stopping the hosts already up"
    ./tests/hosts/hosts.sh down "$hosts_run"
  fi
  echo "== five hosts and the controller's (198.18.4.0/24), the packages' programs, the seed spec"
  ./tests/hosts/hosts.sh up "$hosts_run" "$root/build/packages"
  local pki=$hosts_run/hosts/ctl/var/lib/bam-controller/pki
  printf 'unset BAMCTL_CONTROLLER\nexport BAMCTL_CONFIG=%s\n' "$pki/bamctl.conf" >"$hosts_run/env"
  export BAMCTL_CONFIG=$pki/bamctl.conf
  echo "== waiting for the cluster to converge (up to 3 minutes)"
  for _ in $(seq 90); do
    "$hosts_run/pkg/usr/bin/bamctl" status >/dev/null 2>&1 && break
    sleep 2
  done
  "$hosts_run/pkg/usr/bin/bamctl" status || true
  cat <<EOF_HOSTS

Each host is a network namespace (ip netns list) with its own /etc/hosts
(/etc/netns/bamctl-NODE/hosts) and private /opt, /home, /var/lib, /var/log,
/tmp; their files are in demo-hosts/hosts/NODE/. Try:
  source demo-hosts/env
  demo-hosts/pkg/usr/bin/bamctl rolling-restart zookeeper --dry-run
  tests/hosts/hosts.sh exec demo-hosts node3 -- cat /opt/zookeeper/conf/zoo.cfg
  tests/hosts/hosts.sh cut demo-hosts node4     # then heal; bamctl status shows it
  ./scripts/demo.sh down
EOF_HOSTS
}

ha=false
case "${1:-up}" in
  down)
    if ip netns list 2>/dev/null | grep -q '^bamctl-'; then ./tests/hosts/hosts.sh down "$hosts_run"; fi
    down
    exit 0
    ;;
  --hosts) hosts_demo; exit 0 ;;
  status) [ -f "$run/env" ] && source "$run/env"; exec "$bamctl" status ;;
  up) ;;
  --ha) ha=true ;;
  *) echo "usage: $0 [up|--ha|--hosts|status|down]" >&2; exit 2 ;;
esac
agent_controller=$listen
if $ha; then agent_controller=$controllers; fi

./scripts/install-deps.sh
./scripts/build.sh default

spec=examples/seed-cluster.yaml
echo
echo "== bamctl desired-state validate -f $spec"
"$bamctl" desired-state validate -f "$spec"

echo
echo "== laying the cluster out on this machine (demo-run/)"
mkdir -p "$run"
"$build/localcluster/bam-local-cluster" prepare --spec="$spec" --dir="$run" \
  --emulator="$build/tests/emulators/bam-emulator"
printf '%-6s %-10s %s\n' NODE ADDRESS ROOT
while IFS=$'\t' read -r node address node_root _ _; do
  printf '%-6s %-10s %s\n' "$node" "$address" "${node_root#"$root"/}"
done <"$run/nodes.tsv"
echo "Hadoop, Cassandra and WSO2 BAM are emulated (bam-emulator); ZooKeeper is real."

if [ ! -f "$pki/ca.crt" ]; then
  echo
  echo "== bamctl pki init --dir demo-run/pki --controller-host 127.0.0.1"
  "$bamctl" pki init --dir "$pki" --controller-host 127.0.0.1
fi
# A controller left by an older demo that served plaintext, or no web
# page, is replaced.
if alive "$run/controller.pid" && ! tr '\0' ' ' <"/proc/$(cat "$run/controller.pid")/cmdline" |
  grep -q -- "--tls_dir.*--web_listen"; then
  kill "$(cat "$run/controller.pid")"
  sleep 1
fi
if alive "$run/controller.pid"; then
  echo "== bam-controller already running (pid $(cat "$run/controller.pid"))"
else
  echo "== starting bam-controller on $listen, mutual TLS (log: demo-run/controller.log)"
  setsid "$build/controller/bam-controller" --listen="$listen" --db="$run/controller.db" \
    --metrics_listen=127.0.0.1:9464 --tls_dir="$pki" --web_listen=127.0.0.1:9443 \
    >>"$run/controller.log" 2>&1 </dev/null &
  echo $! >"$run/controller.pid"
fi
printf 'unset BAMCTL_CONTROLLER\nexport BAMCTL_CONFIG=%s\n' "$pki/bamctl.conf" >"$run/env"
unset BAMCTL_CONTROLLER
export BAMCTL_CONFIG=$pki/bamctl.conf
for _ in $(seq 100); do
  "$bamctl" desired-state history >/dev/null 2>&1 && break
  sleep 0.2
done

echo
echo "== bamctl desired-state apply -f demo-run/local-cluster.yaml"
"$bamctl" desired-state apply -f "$run/local-cluster.yaml" -m "demo: the seed cluster, local" |
  grep -E '^(applied version|unchanged)'


while IFS=$'\t' read -r node address node_root state_dir log_dir; do
  pidfile="$run/$node/agent.pid"
  if alive "$pidfile"; then
    # One left by an older demo that talked plaintext, or that was given
    # other controllers, is replaced (its roles keep running).
    if cmdline_has "$pidfile" --ca_file && cmdline_has "$pidfile" "--controller=$agent_controller "; then
      continue
    fi
    kill "$(cat "$pidfile")"
    sleep 1
  fi
  enrol=()
  if [ ! -f "$state_dir/node.crt" ]; then
    # First start: a one-time token, kept off the command line.
    token_file=$run/$node/enrolment.token
    (umask 077 && "$bamctl" node token create "$node" --ttl 1h 2>/dev/null >"$token_file")
    enrol=(--bootstrap_token_file="$token_file")
    echo "== $node: enrolment token created (bamctl node token create $node)"
  fi
  # Roles run as the demo's user; when that is root, the host policy must
  # say so (a real host never allows it).
  root_roles=()
  if [ "$(id -u)" = 0 ]; then root_roles=(--allow_root_roles); fi
  echo "== starting bam-agentd for $node on $address (log: demo-run/$node/agent.log)"
  setsid "$build/agentd/bam-agentd" --config=/dev/null --node="$node" \
    --controller="$agent_controller" --ca_file="$pki/ca.crt" "${enrol[@]}" "${root_roles[@]}" \
    --state_dir="$state_dir" --root_dir="$node_root" --log_dir="$log_dir" \
    --metrics_listen="$address:9465" --probe_interval_ms=1000 --resync_ms=2000 \
    >>"$run/$node/agent.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
done <"$run/nodes.tsv"

echo
echo "== waiting for the cluster to converge (bamctl status; up to 3 minutes)"
converged=false
for _ in $(seq 90); do
  if out=$("$bamctl" status 2>&1); then converged=true; fi
  healthy=$(grep -c ' healthy ' <<<"$out" || true)
  echo "  $(tail -n 1 <<<"$out")  [$healthy roles healthy]"
  $converged && break
  sleep 2
done
echo
"$bamctl" status || true
if ! $converged; then
  echo
  echo "The cluster did not converge in time; the reasons are above. Agent logs:"
  echo "  demo-run/<node>/agent.log, role logs: demo-run/<node>/log/<service>.log"
  exit 1
fi

# Every agent has its certificate now; their used tokens are of no use.
rm -f "$run"/*/enrolment.token

if $ha; then
  # Bootstrap (docs/ha.md): the first controller ran on its database alone
  # until the spec's ensemble was up. Restarted with the HA flags it moves
  # its history into ZooKeeper; two more controllers join from empty disks.
  digest=$run/zk-digest
  if [ ! -f "$digest" ]; then
    (umask 077 && printf 'bamctl:%s\n' "$(head -c 18 /dev/urandom | base64)" >"$digest")
  fi
  echo
  echo "== HA: three controllers on the seed's ZooKeeper ensemble ($ha_zookeeper)"
  i=0
  for address in ${controllers//,/ }; do
    i=$((i + 1))
    suffix=$([ $i = 1 ] && echo "" || echo "-$i")
    pidfile=$run/controller$suffix.pid
    if alive "$pidfile" && cmdline_has "$pidfile" --web_listen; then continue; fi
    if alive "$pidfile"; then
      kill "$(cat "$pidfile")"
      for _ in $(seq 50); do alive "$pidfile" || break; sleep 0.1; done
    fi
    echo "== starting bam-controller on $address (log: demo-run/controller$suffix.log)"
    setsid "$build/controller/bam-controller" --listen="$address" --advertise="$address" \
      --db="$run/controller$suffix.db" --metrics_listen="127.0.0.1:$((9463 + i))" \
      --tls_dir="$pki" --ha_zookeeper="$ha_zookeeper" --ha_path=/bamctl/demo \
      --web_listen="127.0.0.1:$((9442 + i))" \
      --ha_digest_file="$digest" >>"$run/controller$suffix.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
  done
  # bamctl follows the leader among all three.
  sed -i "s|^controller = .*|controller = $controllers|" "$pki/bamctl.conf"
  for _ in $(seq 100); do
    "$bamctl" controllers >/dev/null 2>&1 && break
    sleep 0.3
  done
  echo
  echo "== bamctl controllers"
  "$bamctl" controllers || true
  echo
  echo "Agents follow the leader: kill -9 it (its pid file is demo-run/controller*.pid) and watch"
  echo "bamctl controllers name another within the ZooKeeper session timeout (10 s)."
fi

login_url=$("$bamctl" web login 2>/dev/null || echo "(bamctl web login failed: see demo-run/controller.log)")
bamctl=${bamctl#"$root"/}
cat <<MSG

The seed cluster runs: a controller, five agents, a real ZooKeeper ensemble
and emulated Hadoop, Cassandra and BAM processes, all on mutual TLS (the
CA and admin's certificate in demo-run/pki). From another shell:

  source demo-run/env
  $bamctl status                      # per node and role
  $bamctl nodes -o json               # nodes and their addresses
  $bamctl events                      # what happened (and which certificate did it)
  $bamctl pki issue --dir demo-run/pki --name ann --role viewer   # a read-only user:
  BAMCTL_CONFIG=demo-run/pki/ann.conf $bamctl status            #   reads, cannot apply
  curl -s http://127.0.1.3:9465/metrics | grep bam_agent_   # node3's agent

The web page: ${login_url%%/login*} (its certificate is the controller's,
signed by the demo's CA, demo-run/pki/ca.crt: let the browser trust it, or
accept the warning). Log in by opening this one-time link within 5 minutes:
  $login_url
or make a new one: $bamctl web login

Things to try:
  kill -9 PID        # PID of a role in bamctl status (e.g. node4 cassandra): its agent restarts it
  kill -9 \$(cat demo-run/node3/agent.pid)   # node3's agent: its roles keep running
  ./scripts/demo.sh                          # starts what is missing (the agent adopts its roles)
  sed -i 's/tick_time_ms: 2000/tick_time_ms: 3000/' demo-run/local-cluster.yaml
  $bamctl desired-state apply -f demo-run/local-cluster.yaml   # ZooKeeper: restart pending
  $bamctl rolling-restart zookeeper --pending --dry-run   # the order and checks
  $bamctl rolling-restart zookeeper --pending        # then: bamctl op watch ID
  ./scripts/demo.sh down                             # stop everything
MSG
