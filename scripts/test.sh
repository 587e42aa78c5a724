#!/usr/bin/env bash
# Installs dependencies, builds and runs every test: the newcomer's test
# command, and what CI runs. Steps:
#   1. scripts/install-deps.sh (Debian 12 packages; no-op when present)
#   2. format check of the tracked C++ and proto sources
#   3. default preset (RelWithDebInfo): build, all tests
#   4. clang-tidy over the sources
#   5. asan preset (clang, ASan + UBSan): build what the unit tests run, run them
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

echo "== format check"
./scripts/format.sh --check

echo "== build + test (default preset)"
./scripts/build.sh default
ctest --preset default -j "$(nproc)"

echo "== clang-tidy"
./scripts/lint.sh

echo "== build + unit tests (asan preset: AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake --preset asan >/dev/null
cmake --build --preset asan --target unit-tests -j "$(nproc)"
ctest --preset asan-unit -j "$(nproc)"

echo "== all tests passed"
