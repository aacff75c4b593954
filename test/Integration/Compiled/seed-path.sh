#!/bin/sh
# One seed path, end to end on the code that ships:
#   seed-path.sh <coopt source dir> <graph.mlir> <work prefix> <exact|float>
# lowers <graph.mlir> with coopt-lower-kernels{target=aarch64}, emits the
# header and objects for x86-64 and aarch64 (+dotprod), links each with the
# C driver and the runtime, runs them on 10 Fashion-MNIST images (aarch64
# under qemu), and compares with the JIT of <graph.mlir> without kernels:
# "exact" (int8) requires identical bytes everywhere (also from an aarch64
# build with the runtime's i8mm kernels), "float" 1e-5 relative.
# Prints the kernel-choice remarks, a count per kernel kind ("used: N x
# <kind>"), then "seed path ok".
set -eu
src=$1 graph=$2 p=$3 mode=$4
in=$src/test/Integration/Compiled/Inputs/fmnist-10.npy
rt=$src/runtime/src
coopt-runner "$graph" --input "$in" --output "$p.jit.npy" >/dev/null
coopt-opt "$graph" -p 'builtin.module(coopt-lower-kernels{target=aarch64})' -o "$p.k.mlir" 2>"$p.remarks"
cat "$p.remarks"
coopt-translate "$p.k.mlir" --emit=header -o "$p.h"
coopt-translate "$p.k.mlir" --emit=obj -o "$p.x86.o"
coopt-translate "$p.k.mlir" --emit=obj --target=aarch64 --mcpu=neoverse-n1 --mattr=+dotprod -o "$p.a64.o"
common="$rt/quant.c $rt/pack.c $rt/masked.c $rt/ref.c $rt/dispatch.c $rt/conv.c $rt/mlir_support.c $rt/mlir_entry.c"
cc -O2 -mavx2 -mfma -I"$src/runtime/include" -DMODEL_HEADER="\"$p.h\"" "$src/test/Integration/Compiled/driver.c" "$p.x86.o" \
  $common "$rt/arch/x86_64/avx2.c" -lm -o "$p.x86"
clang-22 --target=aarch64-linux-gnu -march=armv8.2-a+dotprod -O2 -I"$src/runtime/include" -DMODEL_HEADER="\"$p.h\"" \
  "$src/test/Integration/Compiled/driver.c" "$p.a64.o" $common "$rt/arch/arm_64/neon.c" -lm -fuse-ld=lld -o "$p.a64"
"$p.x86" "$in" "$p.x86.npy"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$p.a64" "$in" "$p.a64.npy"
if [ "$mode" = exact ]; then
  # The same object with the runtime built for i8mm (SMMLA GEMM).
  clang-22 --target=aarch64-linux-gnu -march=armv8.2-a+dotprod+i8mm -O2 -I"$src/runtime/include" \
    -DMODEL_HEADER="\"$p.h\"" "$src/test/Integration/Compiled/driver.c" "$p.a64.o" $common "$rt/arch/arm_64/neon.c" -lm \
    -fuse-ld=lld -o "$p.a64i8mm"
  qemu-aarch64 -L /usr/aarch64-linux-gnu "$p.a64i8mm" "$in" "$p.a64i8mm.npy"
  cmp "$p.a64.npy" "$p.a64i8mm.npy"
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
