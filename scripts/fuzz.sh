#!/usr/bin/env bash
# Fuzzes one target of fuzz/ with libFuzzer for SECONDS of wall time.
# Usage: scripts/fuzz.sh TARGET SECONDS [JOBS]
#   TARGET: spec_fuzz, xml_patch_fuzz, cassandra_yaml_fuzz, nodetool_status_fuzz,
#           hosts_file_fuzz, agent_plan_fuzz, agent_session_fuzz, http_request_fuzz
#   JOBS:   parallel fuzzing processes (default 1; CPU time = JOBS x SECONDS)
# Builds the `fuzz` preset (clang, ASan + UBSan, coverage). New inputs go to
# build/fuzz/corpus/TARGET (seeded from the checked-in fuzz/corpus/TARGET),
# crashes to build/fuzz/artifacts/. To keep what was found, minimise it into
# the checked-in corpus:
#   build/fuzz/fuzz/TARGET -merge=1 fuzz/corpus/TARGET build/fuzz/corpus/TARGET
# and add every crashing input there once it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
target=$1
seconds=$2
jobs=${3:-1}
if [ ! -d "fuzz/corpus/$target" ]; then
  echo "fuzz.sh: no target \"$target\"; targets: $(ls fuzz/corpus | tr '\n' ' ')" >&2
  exit 2
fi
./scripts/install-deps.sh >/dev/null
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "$target"
work=build/fuzz/corpus/$target
mkdir -p "$work" build/fuzz/artifacts
parallel=()
if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
# From build/fuzz, where parallel jobs write their fuzz-N.log files.
root=$(pwd)
cd build/fuzz
exec "$root/build/fuzz/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
  "${parallel[@]}" -artifact_prefix="$root/build/fuzz/artifacts/$target-" \
  "$root/$work" "$root/fuzz/corpus/$target"
