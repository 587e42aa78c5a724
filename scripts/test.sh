#!/usr/bin/env bash
# Installs dependencies, builds and runs every test: the newcomer's test
# command, and what CI runs. Steps:
#   1. scripts/install-deps.sh (Debian 12 packages; no-op when present)
#   2. format check of the tracked C++ and proto sources; the Prometheus
#      rules checked and unit-tested by promtool
#   3. default preset (RelWithDebInfo): build, all tests (the web page's
#      browser test too: its screenshots land in build/default/test-outputs/web)
#   4. Debian packages from that build (debhelper, lintian), installed,
#      upgraded and purged in a debootstrap chroot (tests/packaging/), then
#      run on five network-namespace hosts (tests/hosts/, hosts_test)
#   5. clang-tidy over the sources
#   6. asan preset (clang, ASan + UBSan): build what the unit tests run, run them
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
# The packaging test's chroot comes from Debian's archive: made while the
# build runs, since it mostly waits for the network.
mkdir -p build
"${sudo_cmd[@]}" ./tests/packaging/install_test.sh --prepare >build/chroot-prepare.log 2>&1 &
prepare=$!

echo "== format check"
./scripts/format.sh --check

echo "== Prometheus rules: promtool check and unit tests (packaging/prometheus)"
promtool check rules packaging/prometheus/bamctl-rules.yml
promtool test rules packaging/prometheus/bamctl-rules.test.yml
# The scrape configuration as packaged, with the rules where it finds them.
sed "s|/usr/share/bam-controller/prometheus/|$PWD/packaging/prometheus/|" \
  packaging/prometheus/bamctl-prometheus.yml >build/bamctl-prometheus.check.yml
promtool check config build/bamctl-prometheus.check.yml

echo "== build + test (default preset)"
./scripts/build.sh default
# All but the five-host test, which runs the packages (below). The browser
# test must run here, not skip for want of Chromium or Playwright.
BAMCTL_REQUIRE_BROWSER=1 ctest --preset default -j "$(nproc)" -LE hosts

echo "== Debian packages: build, lintian, install / upgrade / purge in a chroot"
# The packages hold the programs the tests just ran (no second build);
# scripts/package.sh without --prebuilt makes a clean release build.
DEB_BUILD_OPTIONS=noddebs ./scripts/package.sh --prebuilt build/default
if ! wait "$prepare"; then
  cat build/chroot-prepare.log >&2
  exit 1
fi
"${sudo_cmd[@]}" ./tests/packaging/install_test.sh build/packages

echo "== the seed spec on five hosts (network namespaces) with the packages' programs"
"${sudo_cmd[@]}" env BAMCTL_REQUIRE_HOSTS=1 ctest --preset default -L hosts --output-on-failure

echo "== clang-tidy"
./scripts/lint.sh

echo "== build + unit tests (asan preset: AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake --preset asan >/dev/null
cmake --build --preset asan --target unit-tests -j "$(nproc)"
ctest --preset asan-unit -j "$(nproc)"

echo "== all tests passed"
