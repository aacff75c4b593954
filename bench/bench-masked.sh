#!/bin/sh
# The masked forms' run-time cost: each leaf lowered once with
# objective=latency (dense int8 kernels) and once with objective=balanced
# (the masked forms where they are smaller), both run by the JIT at batch 1
# at every x86 level of the runtime's tiles (COOPT_RT_ISA: the masked
# decode is vpexpandb with avx512, pshufb with avxvnni/avx2, branch-free C
# with generic).  Outputs are identical by construction (the decode
# reproduces the dense panel); the lit tests check that.  A benchmark, not
# a test.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PATH="$BUILD/tools/coopt-translate:$BUILD/tools/coopt-opt:$BUILD/tools/coopt-runner:$PATH"
DATA=/usr/share/datasets/fashion-mnist
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
lat() { sed -n 's/^latency: median \([0-9.]*\) us.*/\1/p'; }
echo "| model | leaf | level | dense (µs) | masked (µs) | masked / dense |"
echo "|---|---|---|---|---|---|"
for m in dscnn mobilenet_v1_0.5; do
  coopt-translate --import-onnx "$ROOT/models/$m.onnx" --batch=1 -o "$TMP/$m.mlir"
  while IFS='|' read -r leaf pipe; do
    coopt-opt "$TMP/$m.mlir" -p "builtin.module($pipe,coopt-lower-int8)" -o "$TMP/q.mlir" 2>/dev/null
    for obj in latency balanced; do
      coopt-opt "$TMP/q.mlir" -p "builtin.module(coopt-lower-kernels{objective=$obj})" -o "$TMP/$obj.mlir" 2>/dev/null
    done
    for level in avx512 avxvnni generic; do
      D=$(COOPT_RT_ISA=$level coopt-runner "$TMP/latency.mlir" --bench --repeats=200 --warmup=20 | lat)
      M=$(COOPT_RT_ISA=$level coopt-runner "$TMP/balanced.mlir" --bench --repeats=200 --warmup=20 | lat)
      echo "| $m | $leaf | $level | $D | $M | $(awk -v a="$M" -v b="$D" 'BEGIN { printf "%.2f", a / b }') |"
    done
  done <<LEAVES
PQAT 50%|coopt-pqat{data=$DATA samples=512 sparsity=0.5}
PCQAT 50% + 16/ch|coopt-pcqat{data=$DATA samples=512 sparsity=0.5 clusters=16 per-channel=true}
LEAVES
done
