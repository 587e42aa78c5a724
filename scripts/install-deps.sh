#!/usr/bin/env bash
# Installs every build, test and demo dependency of bamctl from Debian 12's
# archive. Idempotent: packages already present are not touched, and apt is
# only consulted when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  clang-format clang-tidy
  # the sanitizer build (and fuzzing) uses clang with its runtimes and lld
  clang-14 libclang-rt-14-dev lld-14
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libssl-dev
  libabsl-dev libsqlite3-dev sqlite3 libzookeeper-mt-dev prometheus-cpp-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev libpugixml-dev libspdlog-dev libfmt-dev
  # real parts used by tests and the demo
  zookeeper default-jre-headless prometheus
  # mysql_options_test: a private MariaDB reads the options file bamctl writes
  mariadb-server mariadb-client
  # test-time helpers
  python3 procps iproute2 curl
  # Debian packages (scripts/package.sh) and their install test in a chroot
  debhelper dpkg-dev lintian debootstrap
  # the web page's browser test: Debian's Chromium driven by Playwright
  chromium
)
# Node.js and npm for Playwright: the machine's own when it has them (a
# nodejs from elsewhere conflicts with Debian's npm), else Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

# playwright-core (tests/web/package-lock.json), when missing or the lock
# is newer than what npm installed.
install_playwright() {
  local web
  web=$(cd "$(dirname "$0")/../tests/web" && pwd)
  if [ ! -f "$web/node_modules/.package-lock.json" ] ||
    [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in tests/web (playwright-core)"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  install_playwright
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_playwright
