#!/bin/sh
# Determinism of every seed path: the same input and options give the same
# bytes.  usage: determinism.sh <coopt source dir> <model.onnx> <work dir> [recover]
# Runs each seed path twice, in two working directories, the first run with
# MLIR's threading, the second with --mlir-disable-threading and another
# TMPDIR, and compares byte for byte the pass output (MLIR), the kernel-
# lowered MLIR, the C header and the x86-64 and aarch64 objects.  A
# difference between the runs would come from threading, the working
# directory, the temporary directory, or plain run-to-run nondeterminism
# (pointer-keyed iteration order, uninitialised bytes): all must be absent.
# With "recover", the int8 paths keep their default recovery (DS-CNN);
# otherwise recover=false (MobileNet, to bound the test's time).
set -eu
src=$1 model=$2 w=$3 rec=${4:-}
norec="recover=false "
[ "$rec" = recover ] && norec=""
data=/usr/share/datasets/fashion-mnist
rm -rf "$w"
mkdir -p "$w/a" "$w/b" "$w/a/tmp" "$w/b/tmp"
abs_w=$(cd "$w" && pwd)
paths="base:
pruned:coopt-prune{sparsity=0.5}
clustered:coopt-cluster{clusters=16}
qat:coopt-qat{data=$data samples=100},coopt-lower-int8
pqat:coopt-pqat{data=$data samples=300 ${norec}sparsity=0.75 pattern=1x4},coopt-lower-int8
cqat:coopt-cqat{data=$data samples=300 ${norec}clusters=16},coopt-lower-int8
pcqat:coopt-pcqat{data=$data samples=300 ${norec}sparsity=0.5 clusters=16 per-channel=true},coopt-lower-int8"
run() { # run <dir> <extra coopt-opt flags>
  d=$abs_w/$1
  cd "$d"
  export TMPDIR="$d/tmp"
  coopt-translate --import-onnx "$model" --batch=1 -o "$d/f32.mlir"
  printf '%s\n' "$paths" | while IFS=: read -r name pipe; do
    if [ -n "$pipe" ]; then
      coopt-opt $2 "$d/f32.mlir" -p "builtin.module($pipe)" -o "$d/$name.mlir" 2>/dev/null
    else
      cp "$d/f32.mlir" "$d/$name.mlir"
    fi
    coopt-opt $2 "$d/$name.mlir" -p 'builtin.module(coopt-lower-kernels{target=aarch64})' -o "$d/$name.k.mlir" 2>/dev/null
    coopt-translate "$d/$name.k.mlir" --emit=header -o "$d/$name.h"
    coopt-translate "$d/$name.k.mlir" --emit=obj -o "$d/$name.x86.o"
    coopt-translate "$d/$name.k.mlir" --emit=obj --target=aarch64 --mcpu=neoverse-n1 --mattr=+dotprod -o "$d/$name.a64.o"
  done
}
run a ""
run b "--mlir-disable-threading"
# Compare everything both runs wrote.
n=0
for f in "$abs_w"/a/*.mlir "$abs_w"/a/*.h "$abs_w"/a/*.o; do
  g=$abs_w/b/$(basename "$f")
  cmp "$f" "$g" || { echo "differs: $(basename "$f")"; exit 1; }
  n=$((n + 1))
done
[ -z "$(find "$abs_w/a/tmp" "$abs_w/b/tmp" -mindepth 1)" ] || { echo "temporary files left"; exit 1; }
echo "deterministic: $n files"
