#!/usr/bin/env bash
# The main job: installs dependencies, builds, validates and compiles the
# seed's five-node cluster (examples/seed-cluster.yaml), shows what each node
# would get, then starts bam-controller in the background (state and log in
# demo-run/) and applies the spec to it. Running agents for the nodes comes
# with bam-agentd.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/build.sh default

bamctl=build/default/bamctl/bamctl
spec=examples/seed-cluster.yaml

echo
echo "== bamctl desired-state validate -f $spec"
"$bamctl" desired-state validate -f "$spec"

echo
echo "== what each node gets: bamctl plan -f $spec -o summary"
"$bamctl" plan -f "$spec" -o summary

# The controller, in the background, with its state under demo-run/.
run=demo-run
mkdir -p "$run"
listen=127.0.0.1:7443
if [ -f "$run/controller.pid" ] && kill -0 "$(cat "$run/controller.pid")" 2>/dev/null; then
  echo "== bam-controller already running (pid $(cat "$run/controller.pid"))"
else
  echo "== starting bam-controller on $listen (log: $run/controller.log)"
  build/default/controller/bam-controller --listen="$listen" --db="$run/controller.db" \
    --metrics_listen=127.0.0.1:9464 >"$run/controller.log" 2>&1 &
  echo $! >"$run/controller.pid"
fi
echo "export BAMCTL_CONTROLLER=$listen" >"$run/env"
export BAMCTL_CONTROLLER=$listen
for _ in $(seq 50); do
  "$bamctl" desired-state history >/dev/null 2>&1 && break
  sleep 0.2
done

echo
echo "== bamctl desired-state apply -f $spec"
"$bamctl" desired-state apply -f "$spec" -m "demo: the seed cluster"
echo
echo "== bamctl desired-state history"
"$bamctl" desired-state history
echo
echo "== bamctl status (no agents run yet, so nothing has converged)"
"$bamctl" status || true

cat <<MSG

Everything above the controller ran offline from the spec alone.
The controller keeps running in the background:
  source $run/env; $bamctl status
  $bamctl desired-state diff -f $spec      # after editing the spec
  $bamctl render -f $spec --node node3     # what node3's agent will write
  curl -s http://127.0.0.1:9464/metrics | grep bamctl_
  kill \$(cat $run/controller.pid)          # stop it
MSG
