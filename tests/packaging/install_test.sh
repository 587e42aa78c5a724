#!/usr/bin/env bash
# Installs, upgrades, removes and purges the Debian packages in a Debian 12
# chroot made with debootstrap, running their maintainer scripts for real,
# and checks what each step leaves, as piuparts does:
#   - install: binaries run, the controller's system user exists, the
#     conffiles are conffiles, the units are installed and enabled, an
#     unconfigured daemon exits 2 (not retried by its unit) naming what is
#     missing;
#   - upgrade to a newer version: maintainer scripts run as an upgrade, a
#     locally edited conffile is kept, the system user is the same;
#   - remove: conffiles and state stay; purge: they go, the roles' data
#     stays, and no other file is left behind (compared with the chroot
#     before the install, after apt removed the dependencies again).
# Usage: tests/packaging/install_test.sh [PACKAGES_DIR]   (default
# build/packages, from scripts/package.sh). Needs root, debootstrap and
# Debian's archive; the base chroot is kept in build/chroot/bookworm.
# `--prepare` only makes the base chroot (scripts/test.sh runs it while the
# build runs: it mostly waits for the archive).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"
prepare_only=false
if [ "${1:-}" = "--prepare" ]; then prepare_only=true; shift; fi
base="$repo/build/chroot/bookworm"
root="$repo/build/chroot/run"
mirror="${BAMCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [ "$(id -u)" -ne 0 ]; then
  echo "install_test: needs root (chroot, debootstrap)" >&2
  exit 2
fi
fail() { echo "install_test: FAIL: $*" >&2; exit 1; }
step() { echo "== install_test: $*"; }

cleanup() {
  umount "$root/proc" 2>/dev/null || true
}
trap cleanup EXIT

# The base chroot is made once and kept (a partial one is made again).
if [ ! -e "$base/.complete" ]; then
  step "debootstrap bookworm into $base"
  rm -rf "$base"
  mkdir -p "$(dirname "$base")"
  debootstrap --variant=minbase bookworm "$base" "$mirror" >"$repo/build/chroot/debootstrap.log" 2>&1 ||
    { tail -20 "$repo/build/chroot/debootstrap.log" >&2; fail "debootstrap failed"; }
  touch "$base/.complete"
fi
if $prepare_only; then exit 0; fi
packages="$(cd "${1:-build/packages}" && pwd)"
shopt -s nullglob
debs=("$packages"/bam-agentd_*.deb "$packages"/bam-controller_*.deb "$packages"/bamctl_*.deb)
[ ${#debs[@]} -gt 0 ] || fail "no .deb in $packages (scripts/package.sh)"
rm -rf "$root"
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mkdir -p "$root/debs"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
# Every file of the chroot but the ones apt, dpkg and the test churn, and
# /run (a tmpfs on a running system: adduser's lock file lives there).
snapshot() {
  (cd "$root" && find . -xdev \( -path ./proc -o -path ./debs -o -path ./tmp -o -path ./run \
      -o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/log/apt \
      -o -path ./etc/ld.so.cache -o -path ./var/log/dpkg.log -o -path ./var/log/alternatives.log \
      -o -name '*-old' -o -name '*-' \) -prune -o -print | LC_ALL=C sort)
}

step "apt-get update in the chroot; systemd (for systemd-analyze; not running)"
in_root apt-get update -qq >/dev/null
in_root apt-get install -y -qq --no-install-recommends systemd >"$root/../systemd.log" 2>&1 ||
  { tail -20 "$root/../systemd.log" >&2; fail "installing systemd in the chroot"; }
snapshot >"$root/../before.txt"

# The packages as built, and the same repacked as the next version: a real
# upgrade through the maintainer scripts.
version="$(dpkg-deb -f "${debs[0]}" Version)"
next="${version}+upgrade1"
for deb in "${debs[@]}"; do
  cp "$deb" "$root/debs/"
  name="$(dpkg-deb -f "$deb" Package)"
  work="$(mktemp -d)"
  dpkg-deb -R "$deb" "$work/pkg"
  sed -i "s/^Version: .*/Version: $next/" "$work/pkg/DEBIAN/control"
  dpkg-deb -b --root-owner-group "$work/pkg" "$root/debs/${name}_${next}_next.deb" >/dev/null
  rm -rf "$work"
done

step "install $version"
in_root apt-get install -y -qq --no-install-recommends \
  "/debs/bam-agentd_${version}_amd64.deb" "/debs/bam-controller_${version}_amd64.deb" \
  "/debs/bamctl_${version}_amd64.deb" >"$root/../install.log" 2>&1 ||
  { tail -30 "$root/../install.log" >&2; fail "apt-get install"; }

[ "$(in_root bam-controller --version)" = "bam-controller $version" ] || fail "bam-controller --version"
[ "$(in_root bam-agentd --version)" = "bam-agentd $version" ] || fail "bam-agentd --version"
[[ "$(in_root bamctl version)" == *"$version"* ]] || fail "bamctl version"
help="$(in_root bam-agentd --help 2>&1 || true)"  # absl's --help exits 1
grep -q -- "--bootstrap_token_file" <<<"$help" || fail "bam-agentd --help lists no flags: $help"
uid="$(in_root getent passwd bam-controller | cut -d: -f3)"
[ -n "$uid" ] && [ "$uid" -lt 1000 ] || fail "no bam-controller system user (uid '$uid')"
in_root dpkg-query -W -f='${Conffiles}\n' bam-agentd | grep -q "/etc/bam-agent/agentd.conf" ||
  fail "agentd.conf is not a conffile"
in_root dpkg-query -W -f='${Conffiles}\n' bam-controller | grep -q "/etc/bam-controller/flags" ||
  fail "flags is not a conffile"
for unit in bam-agentd bam-controller; do
  [ -f "$root/lib/systemd/system/$unit.service" ] || fail "$unit.service not installed"
  [ -L "$root/etc/systemd/system/multi-user.target.wants/$unit.service" ] || fail "$unit not enabled"
done
[ -f "$root/usr/share/man/man8/bam-agentd.8.gz" ] || fail "no bam-agentd(8)"
verify="$(in_root systemd-analyze verify bam-agentd.service bam-controller.service 2>&1)" ||
  fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify is not clean: $verify"

step "unconfigured daemons exit 2 and say why"
set +e
out="$(in_root bam-agentd 2>&1)"; code=$?
set -e
[ $code -eq 2 ] || fail "unconfigured bam-agentd exited $code, not 2: $out"
grep -q -- "--node is required" <<<"$out" || fail "bam-agentd did not say --node is missing: $out"
set +e
out="$(in_root setpriv --reuid=bam-controller --regid=bam-controller --clear-groups \
  bam-controller --flagfile=/etc/bam-controller/flags 2>&1)"; code=$?
set -e
[ $code -eq 2 ] || fail "bam-controller without its TLS directory exited $code, not 2: $out"
grep -q "/var/lib/bam-controller/pki" <<<"$out" || fail "bam-controller did not name its TLS dir: $out"

step "local edits and state"
sed -i 's/^#node = .*/node = node1/' "$root/etc/bam-agent/agentd.conf"
mkdir -p "$root/var/lib/bam-controller" "$root/var/lib/bam-agent" "$root/var/log/bam-agent" \
  "$root/opt/hadoop-data"
echo db >"$root/var/lib/bam-controller/controller.db"
echo state >"$root/var/lib/bam-agent/agent.state"
echo log >"$root/var/log/bam-agent/zookeeper.log"
echo ca >"$root/etc/bam-agent/ca.crt"
echo data >"$root/opt/hadoop-data/block"

step "upgrade to $next"
in_root apt-get install -y -qq --no-install-recommends "/debs/bam-agentd_${next}_next.deb" \
  "/debs/bam-controller_${next}_next.deb" "/debs/bamctl_${next}_next.deb" >"$root/../upgrade.log" 2>&1 ||
  { tail -30 "$root/../upgrade.log" >&2; fail "upgrade"; }
[ "$(in_root dpkg-query -W -f='${Version}' bam-agentd)" = "$next" ] || fail "bam-agentd not upgraded"
grep -qx "node = node1" "$root/etc/bam-agent/agentd.conf" || fail "the edited agentd.conf was replaced"
[ "$(in_root getent passwd bam-controller | cut -d: -f3)" = "$uid" ] || fail "bam-controller's uid changed"
[ -f "$root/var/lib/bam-agent/agent.state" ] || fail "the upgrade lost the agent's state"

step "remove (conffiles and state stay)"
in_root apt-get remove -y -qq bam-agentd bam-controller bamctl >"$root/../remove.log" 2>&1 ||
  { tail -30 "$root/../remove.log" >&2; fail "remove"; }
[ ! -e "$root/usr/sbin/bam-agentd" ] || fail "bam-agentd still installed"
[ -f "$root/etc/bam-agent/agentd.conf" ] || fail "remove took agentd.conf"
[ -f "$root/var/lib/bam-controller/controller.db" ] || fail "remove took the controller's database"

step "purge (conffiles and state go, the roles' data stays)"
in_root dpkg --purge bam-agentd bam-controller bamctl >"$root/../purge.log" 2>&1 ||
  { tail -30 "$root/../purge.log" >&2; fail "purge"; }
for gone in /etc/bam-agent /etc/bam-controller /var/lib/bam-controller /var/lib/bam-agent \
  /var/log/bam-agent /etc/systemd/system/multi-user.target.wants/bam-agentd.service; do
  [ ! -e "$root$gone" ] || fail "purge left $gone"
done
[ -f "$root/opt/hadoop-data/block" ] || fail "purge took the roles' data"
rm -rf "$root/opt/hadoop-data"
in_root apt-get autoremove --purge -y -qq >/dev/null 2>&1

snapshot >"$root/../after.txt"
if ! diff -u "$root/../before.txt" "$root/../after.txt" >"$root/../leftovers.diff"; then
  cat "$root/../leftovers.diff" >&2
  fail "files left behind or removed by install and purge (above)"
fi
step "passed"
