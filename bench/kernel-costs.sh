#!/bin/sh
# The x86 coefficients of coopt-lower-kernels' latency cost model
# (lib/Analysis/KernelCost.c): bench/kernel-costs.c at every x86 level of
# the runtime this machine has (COOPT_RT_ISA caps the level; a level the CPU
# lacks runs the best one it has, and the header line says which ran).  Its
# output is the table's initialiser; pasting it into KernelCost.c, with the
# date and host, is how the table is refreshed.  A benchmark, not a test.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
OUT="$BUILD/bench"
mkdir -p "$OUT"
cc -std=c17 -O2 -I"$ROOT/runtime/include" "$ROOT/bench/kernel-costs.c" "$BUILD/runtime/libcoopt_rt_kernels.a" \
  "$BUILD/runtime/libcoopt_rt.a" -lm -o "$OUT/kernel-costs"
echo "== kernel-costs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for level in generic avx2 avxvnni avx512; do
  COOPT_RT_ISA=$level "$OUT/kernel-costs" "${REPEATS:-15}"
done
