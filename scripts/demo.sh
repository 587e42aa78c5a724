#!/usr/bin/env bash
# The main job: installs dependencies, builds, then validates and compiles the
# seed's five-node cluster (examples/seed-cluster.yaml) and shows what each
# node would get. (Starting the cluster locally comes with the agent and
# controller; see README.md.)
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

cat <<MSG

Everything above ran offline from the spec alone; nothing was written.
Next:
  full plans:      $bamctl plan -f $spec [--node NODE] [-o yaml|json]
  a broken spec:   sed 's/replication_factor: 3/replication_factor: 4/' $spec > broken.yaml
                   $bamctl desired-state validate -f broken.yaml
MSG
