#!/bin/sh
# Links bam-agentd a second time, against the static archives Debian ships
# (gRPC, protobuf, abseil, OpenSSL, c-ares, re2, zlib, ...) instead of the
# shared libraries, with --gc-sections, to measure what static linking does
# to the agent's RSS (docs/performance.md). Libraries without a static
# archive in Debian (spdlog, fmt, prometheus-cpp, civetweb) and glibc stay
# shared; libstdc++ and libgcc are linked in too, though the shared
# libraries left still load their own copy. Run after a build of the
# default preset:
#
#   bench/static_agentd.sh build/default /tmp/bam-agentd-static
#   BAMCTL_AGENTD_BIN=/tmp/bam-agentd-static build/default/bench/agent_bench
set -eu
build=${1:?usage: static_agentd.sh BUILD_DIR OUTPUT}
output=${2:?usage: static_agentd.sh BUILD_DIR OUTPUT}
libdir=/usr/lib/x86_64-linux-gnu
case $output in /*) ;; *) output=$(pwd)/$output ;; esac

cd "$build"
command=$(ninja -t commands agentd/bam-agentd | tail -n 1 | sed 's/^: && //; s/ && :$//')
args=""
for word in $command; do
  case $word in
    $libdir/lib*.so*)
      name=$(basename "$word")
      name=${name%%.so*}
      [ -f "$libdir/$name.a" ] && word=$libdir/$name.a
      ;;
    -lre2) word=$libdir/libre2.a ;;
    agentd/bam-agentd) word=$output ;;
  esac
  args="$args $word"
done
# The archives depend on each other in cycles: one group resolves them.
set -- $args
compiler=$1
shift
"$compiler" -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,--start-group "$@" -Wl,--end-group
echo "linked $output; shared libraries left:"
ldd "$output" | awk '{print "  " $1}'
