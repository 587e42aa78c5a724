#!/usr/bin/env bash
# Builds the Debian packages (bam-agentd, bam-controller, bamctl) from this
# tree with debhelper and checks them with lintian. The .debs land in
# build/packages/.
#   scripts/package.sh                 a clean release build (Debian's flags)
#   scripts/package.sh --prebuilt DIR  package DIR's programs (a configured
#                                      and built tree, e.g. build/default)
# Build dependencies: scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

prebuilt=""
case "${1:-}" in
  --prebuilt) prebuilt="$(cd "${2:?--prebuilt needs a build directory}" && pwd)" ;;
  "") ;;
  *) echo "usage: scripts/package.sh [--prebuilt BUILD_DIR]" >&2; exit 2 ;;
esac

out="$root/build/packages"
work="$root/build/package-src"
rm -rf "$work" "$out"
mkdir -p "$work" "$out"
# dpkg-buildpackage writes its results beside the source tree, and a build
# must not touch the working copy: build from an exported copy of it (the
# committed files and the uncommitted edits alike, nothing ignored).
src="$work/bamctl"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard | \
  (cd "$root" && xargs -0 cp --parents -t "$src" 2>/dev/null) || true
for f in debian/rules debian/control CMakeLists.txt; do
  [ -e "$src/$f" ] || { echo "package.sh: export of the tree failed ($f missing)" >&2; exit 1; }
done

cd "$src"
if [ -n "$prebuilt" ]; then
  export BAMCTL_PREBUILT="$prebuilt"
fi
# -b: binary packages only; -us -uc: unsigned (sign when publishing).
dpkg-buildpackage -b -us -uc -j"$(nproc)" >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2
  echo "package.sh: dpkg-buildpackage failed; the whole log is $work/build.log" >&2
  exit 1
}
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
# Errors and warnings fail; overrides (debian/*.lintian-overrides) carry
# their reasons.
lintian --fail-on error,warning --info "$out"/*.changes
ls -l "$out"
