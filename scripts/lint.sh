#!/usr/bin/env bash
# Runs clang-tidy (root .clang-tidy, warnings are errors) over the tracked
# C++ sources, using build/default's compile_commands.json without the
# precompiled header: clang cannot read GCC's, and without it a source that
# misses an include fails here instead of building by luck.
# Usage: scripts/lint.sh [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/default/compile_commands.json ] || ./scripts/build.sh default
mkdir -p build/default/lint
python3 - build/default/compile_commands.json build/default/lint/compile_commands.json <<'PY'
import json, re, sys
entries = json.load(open(sys.argv[1]))
for e in entries:
    e["command"] = re.sub(r" -Winvalid-pch| -include \S*/cmake_pch\.hxx", "", e["command"])
json.dump(entries, open(sys.argv[2], "w"), indent=1)
PY
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files '*.cc'); fi
[ ${#files[@]} -gt 0 ] || exit 0
printf '%s\0' "${files[@]}" |
  xargs -0 -P "$(nproc)" -n 4 clang-tidy -p build/default/lint --quiet
