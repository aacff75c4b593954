#!/bin/sh
# One seed path, end to end on the code that ships:
#   seed-path.sh <coopt source dir> <coopt build dir> <graph.mlir> <work prefix> <exact|float> [options]
# lowers <graph.mlir> with coopt-lower-kernels{target=aarch64 objective=size}
# (each leaf's smallest forms, so that the compressed kernels run; [options]
# are added, e.g. force=sparse for a kernel no leaf's smallest form is), emits the
# header and objects for x86-64 and aarch64 (+dotprod), links each with the
# C driver and the runtime libraries the build made (the host's and the
# cross-built aarch64 copy), runs them on 10 Fashion-MNIST images (aarch64
# under qemu), and compares with the JIT of <graph.mlir> without kernels:
# "exact" (int8) requires identical bytes everywhere (the aarch64 binary also
# run as three CPUs, so with each level of the runtime's tiles), "float" 1e-5
# relative.
# Prints the kernel-choice remarks, a count per kernel kind ("used: N x
# <kind>"), then "seed path ok".
set -eu
src=$1 obj=$2 graph=$3 p=$4 mode=$5 opts=${6:-}
in=$src/test/Integration/Compiled/Inputs/fmnist-10.npy
inc=$src/runtime/include
# The compilers and the aarch64 runner lit chooses (test/lit.cfg.py; the
# host compiler is instrumented like the libraries in a sanitizer build).
cc=${COOPT_CC_HOST:-cc}
a64=${COOPT_CC_AARCH64:-clang-22 --target=aarch64-linux-gnu -fuse-ld=lld}
run_a64=${COOPT_RUN_AARCH64:-qemu-aarch64 -L /usr/aarch64-linux-gnu}
coopt-runner "$graph" --input "$in" --output "$p.jit.npy" >/dev/null
coopt-opt "$graph" -p "builtin.module(coopt-lower-kernels{target=aarch64 objective=size $opts})" -o "$p.k.mlir" 2>"$p.remarks"
cat "$p.remarks"
coopt-translate "$p.k.mlir" --emit=header -o "$p.h"
coopt-translate "$p.k.mlir" --emit=obj -o "$p.x86.o"
coopt-translate "$p.k.mlir" --emit=obj --target=aarch64 --mcpu=neoverse-n1 --mattr=+dotprod -o "$p.a64.o"
$cc -O2 -I"$inc" -DMODEL_HEADER="\"$p.h\"" "$src/test/Integration/Compiled/Inputs/driver.c" "$p.x86.o" \
  "$obj/runtime/libcoopt_rt_kernels.a" "$obj/runtime/libcoopt_rt.a" -lm -o "$p.x86"
$a64 -O2 -I"$inc" -DMODEL_HEADER="\"$p.h\"" "$src/test/Integration/Compiled/Inputs/driver.c" "$p.a64.o" \
  "$obj/runtime-aarch64/lib/libcoopt_rt_kernels.a" "$obj/runtime-aarch64/lib/libcoopt_rt.a" -lm -o "$p.a64"
"$p.x86" "$in" "$p.x86.npy"
$run_a64 -cpu max "$p.a64" "$in" "$p.a64.npy"
if [ "$mode" = exact ]; then
  # The build's aarch64 runtime picks its tiles from AT_HWCAP: the same
  # binary as a Cortex-A53 (base NEON: SMULL GEMM), a Neoverse N1 (SDOT) and
  # qemu's max (SMMLA GEMM for M >= 4) gives the same bytes.
  for cpu in cortex-a53 neoverse-n1; do
    $run_a64 -cpu $cpu "$p.a64" "$in" "$p.a64.$cpu.npy"
    cmp "$p.a64.npy" "$p.a64.$cpu.npy"
  done
  cmp "$p.x86.npy" "$p.a64.npy"
  coopt-runner "$graph" --input "$in" --expect "$p.a64.npy" --rtol=0 --atol=0 >/dev/null
  coopt-runner "$p.k.mlir" --input "$in" --expect "$p.jit.npy" --rtol=0 --atol=0 >/dev/null
else
  coopt-runner "$graph" --input "$in" --expect "$p.x86.npy" --rtol=1e-5 --atol=1e-6 >/dev/null
  coopt-runner "$graph" --input "$in" --expect "$p.a64.npy" --rtol=1e-5 --atol=1e-6 >/dev/null
fi
sed -n 's/.*): \(.*\) kernel, [0-9]* packed bytes.*/\1/p' "$p.remarks" | sort | uniq -c |
  awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "used: %d x %s\n", n, $0 }'
echo "seed path ok"
