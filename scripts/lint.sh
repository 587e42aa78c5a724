#!/usr/bin/env bash
# Runs clang-tidy (root .clang-tidy, warnings are errors) over the tracked
# C++ sources, using build/default's compile_commands.json.
# Usage: scripts/lint.sh [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/default/compile_commands.json ] || ./scripts/build.sh default
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files '*.cc'); fi
[ ${#files[@]} -gt 0 ] || exit 0
printf '%s\0' "${files[@]}" |
  xargs -0 -P "$(nproc)" -n 4 clang-tidy -p build/default --quiet
