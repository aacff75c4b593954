#!/bin/sh
# `make run`: the most complete end-to-end path that exists today.
#
# A MobileNet-v1-style TOSA model with real-sized weights (width 0.5, 128x128,
# 1000 classes: 1.3 M weights; generated deterministically, not trained) goes
# through tfmot's sparsity-preserving clustering as one coopt pipeline:
# 50% magnitude pruning, per-channel 16-cluster k-means that keeps the zeros,
# and a structure verification; coopt-stats reports before and after.
set -eu
BUILD=${1:-build}
OPT="$BUILD/tools/coopt-opt/coopt-opt"
GEN="$BUILD/examples/coopt-gen-model"
MODEL="$BUILD/examples/mobilenet_v1_0.5_128.mlir"
OUT="$BUILD/examples/mobilenet_v1_0.5_128.spc.mlirbc"
[ -f "$MODEL" ] || "$GEN" --width=0.5 --resolution=128 --classes=1000 --seed=1 -o "$MODEL"

echo "== $MODEL: weights before"
"$OPT" "$MODEL" -p 'builtin.module(coopt-stats)' -o /dev/null | tail -n 1
PIPE='builtin.module(coopt-sparsity-preserving-clustering{sparsity=0.5 clusters=16 per-channel=true},coopt-stats)'
echo
echo "== coopt-opt --pass-pipeline='$PIPE'"
"$OPT" "$MODEL" --pass-pipeline="$PIPE" --emit-bytecode -o "$OUT"
echo
echo "zeros: 50% per layer; every output channel has <= 16 distinct values (0 included);"
echo "coopt-verify-structure checked both claims.  Output: $OUT"
