#!/bin/sh
# Microkernel benchmark against XNNPACK (Debian libxnnpack-dev), 1 thread,
# and the aarch64 inner loops under llvm-mca.  Not a test: ratios measured
# in one run; docs/Performance.md records them with this command.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$BUILD/bench"
mkdir -p "$OUT"
RT="$ROOT/runtime"
# The build's runtime library, as a compiled model links it: its x86 tiles
# are chosen at run time from CPUID (COOPT_RT_ISA=avxvnni etc. caps them;
# the benchmark prints the level it ran).
cc -std=c17 -O2 -I"$RT/include" "$ROOT/bench/bench-kernels.c" "$BUILD/runtime/libcoopt_rt_kernels.a" \
  "$BUILD/runtime/libcoopt_rt.a" -lXNNPACK -lpthreadpool -lm -o "$OUT/bench-kernels"
echo "== bench-kernels: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), flags:$(grep -o -m1 -w 'avx2\|avx512f\|avx512_vnni\|avx512_vbmi2\|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
"$OUT/bench-kernels" "${REPEATS:-15}"
echo
echo "== llvm-mca, aarch64 inner loops"
sh "$ROOT/bench/mca-kernels.sh" "$OUT"
