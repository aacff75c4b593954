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
# The same ISA choice as the host build (runtime/CMakeLists.txt): AVX-VNNI
# when this machine has it.
ISA="-mavx2 -mfma"
grep -qw avx_vnni /proc/cpuinfo && ISA="$ISA -mavxvnni"
cc -std=c17 -O2 $ISA -I"$RT/include" "$RT/src/quant.c" "$RT/src/pack.c" "$RT/src/masked.c" "$RT/src/ref.c" "$RT/src/dispatch.c" \
  "$RT/src/arch/x86_64/avx2.c" "$ROOT/bench/bench-kernels.c" -lXNNPACK -lpthreadpool -lm -o "$OUT/bench-kernels"
echo "== bench-kernels: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), flags:$(grep -o -m1 -w 'avx2\|avx512f\|avx512_vnni\|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
"$OUT/bench-kernels" "${REPEATS:-15}"
echo
echo "== llvm-mca, aarch64 inner loops"
sh "$ROOT/bench/mca-kernels.sh" "$OUT"
