#!/bin/sh
# `make run`: the most complete end-to-end path that exists today, on the
# bundled, trained DS-CNN (Fashion-MNIST, models/dscnn.onnx):
#   1. import ONNX -> TOSA (coopt-translate)
#   2. top-1 accuracy of the float model on the 10,000 test images (coopt-runner, JIT)
#   3. tfmot's sparsity-preserving clustering as one coopt pipeline:
#      50% magnitude pruning, per-channel 16-cluster k-means keeping the zeros,
#      structure verification; coopt-stats before/after
#   4. the accuracy of the compressed model.  Post-training pruning without
#      any recovery loses accuracy; this shows how much, honestly.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$BUILD/tools/coopt-opt:$BUILD/tools/coopt-translate:$BUILD/tools/coopt-runner:$PATH"
DATA=/usr/share/datasets/fashion-mnist
OUT="$BUILD/run"
mkdir -p "$OUT"
MODEL="$ROOT/models/dscnn.onnx"

echo "== 1. coopt-translate --import-onnx models/dscnn.onnx --batch=100"
coopt-translate --import-onnx "$MODEL" --batch=100 -o "$OUT/dscnn.mlir"
coopt-opt "$OUT/dscnn.mlir" -p 'builtin.module(coopt-stats)' -o /dev/null | tail -n 1
echo
echo "== 2. coopt-runner --eval (float model, JIT through the upstream TOSA lowering)"
coopt-runner "$OUT/dscnn.mlir" --eval=$DATA --agree-with="$ROOT/models/dscnn.torch-predictions.npy" 2>/dev/null
echo
PIPE='builtin.module(coopt-sparsity-preserving-clustering{sparsity=0.5 clusters=16 per-channel=true},coopt-stats)'
echo "== 3. coopt-opt --pass-pipeline='$PIPE'"
coopt-opt "$OUT/dscnn.mlir" --pass-pipeline="$PIPE" -o "$OUT/dscnn.spc.mlir"
echo
echo "== 4. coopt-runner --eval (pruned 50% + clustered 16/channel, post-training, no recovery)"
coopt-runner "$OUT/dscnn.spc.mlir" --eval=$DATA 2>/dev/null
