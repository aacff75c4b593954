#!/bin/sh
# `make run`: the most complete end-to-end path that exists today, on the
# bundled, trained DS-CNN (Fashion-MNIST, models/dscnn.onnx):
#   1. import ONNX -> TOSA (coopt-translate)
#   2. top-1 accuracy of the float model on the 10,000 test images
#      (coopt-runner, JIT through the upstream TOSA lowering)
#   3. post-training int8: calibrate on 512 training images, fake-quant,
#      lower to integer TOSA (i8 x i8 -> i32, per-channel tosa.rescale); the
#      int8 graph's logits are compared with the fake-quant graph's (equal:
#      coopt-fake-quant emulates the int8 arithmetic exactly)
#   4. the PCQAT path: 50% pruning (OBS masks on training images), coopt-recover
#      (every layer refit by least squares to reproduce the float layer, zeros
#      kept), per-channel 16-cluster k-means keeping the zeros, coopt-recover
#      of the codebooks, calibration, fake-quant keeping zeros and codebooks,
#      int8 lowering, structure verification, coopt-stats on the int8
#      weights, and coopt-lower-kernels (every convolution and the classifier
#      on coopt's packed kernels, chosen from the weights); next to it the
#      plain form (recover=false), which shows what recovery buys
#      (docs/Results.md has every path on both models).
#   5. that model compiled ahead of time to a native object for this host
#      (and to aarch64), and the object itself evaluated.
#   6. the main job: coopt-explore walks the deployment tree (PTQ int8;
#      pruned and clustered; PQAT, CQAT, sparsity-preserving clustering;
#      PCQAT) level by level until a leaf is within 1 point of float on a
#      validation split carved from the training images and at most 0.9x the
#      dense int8 bytes; prints tfmot's results table, the chosen leaf and its
#      pipeline, writes the report (build/run/explore/report.html) and the
#      chosen leaf's MLIR, object and header, and runs that object on the
#      test images.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$BUILD/tools/coopt-opt:$BUILD/tools/coopt-translate:$BUILD/tools/coopt-runner:$BUILD/tools/coopt-explore:$PATH"
DATA=/usr/share/datasets/fashion-mnist
OUT="$BUILD/run"
mkdir -p "$OUT"
MODEL="$ROOT/models/dscnn.onnx"
acc() { sed -n 's/^accuracy: \([0-9.]*\)%.*/\1/p' "$1"; }

echo "== 1. coopt-translate --import-onnx models/dscnn.onnx --batch=100"
coopt-translate --import-onnx "$MODEL" --batch=100 -o "$OUT/dscnn.mlir"
coopt-opt "$OUT/dscnn.mlir" -p 'builtin.module(coopt-stats)' -o /dev/null | tail -n 1
echo
echo "== 2. coopt-runner --eval (float model)"
coopt-runner "$OUT/dscnn.mlir" --eval=$DATA --agree-with="$ROOT/models/dscnn.torch-predictions.npy" 2>/dev/null | tee "$OUT/float.txt"
echo
PIPE="builtin.module(coopt-qat{data=$DATA})"
echo "== 3. coopt-opt --pass-pipeline='$PIPE' (fake-quant), then 'builtin.module(coopt-lower-int8)'"
coopt-opt "$OUT/dscnn.mlir" --pass-pipeline="$PIPE" -o "$OUT/dscnn.fq.mlir"
coopt-opt "$OUT/dscnn.fq.mlir" --pass-pipeline='builtin.module(coopt-lower-int8)' -o "$OUT/dscnn.int8.mlir"
grep -o 'tosa\.[a-z_0-9]*' "$OUT/dscnn.int8.mlir" | sort | uniq -c | awk '{printf "%s x%s  ", $2, $1} END {print ""}'
coopt-runner "$OUT/dscnn.fq.mlir" --eval=$DATA --logits="$OUT/fq.npy" 2>/dev/null > "$OUT/fq.txt"
echo "fake-quant graph: $(sed -n 's/^accuracy: //p' "$OUT/fq.txt")"
echo "int8 graph against it:"
coopt-runner "$OUT/dscnn.int8.mlir" --eval=$DATA --compare-logits="$OUT/fq.npy" --max-steps=0 2>/dev/null | tee "$OUT/int8.txt"
echo
PIPE="builtin.module(coopt-pcqat{data=$DATA sparsity=0.5 clusters=16 per-channel=true},coopt-lower-int8,coopt-verify-structure,coopt-stats,coopt-lower-kernels)"
echo "== 4. coopt-opt --pass-pipeline='$PIPE'"
coopt-opt "$OUT/dscnn.mlir" --pass-pipeline="$PIPE" -o "$OUT/dscnn.pcqat.int8.mlir" 2>"$OUT/kernels.txt"
sed -n 's/.*coopt-recover: /coopt-recover: /p' "$OUT/kernels.txt"
sed -n 's/.*coopt-lower-kernels: /coopt-lower-kernels: /p' "$OUT/kernels.txt"
coopt-runner "$OUT/dscnn.pcqat.int8.mlir" --eval=$DATA 2>/dev/null | tee "$OUT/pcqat.txt"
echo "the same leaf without recovery (recover=false):"
coopt-opt "$OUT/dscnn.mlir" -p "builtin.module(coopt-pcqat{data=$DATA sparsity=0.5 clusters=16 per-channel=true recover=false},coopt-lower-int8,coopt-lower-kernels)" -o "$OUT/dscnn.pcqat.plain.mlir" 2>/dev/null
coopt-runner "$OUT/dscnn.pcqat.plain.mlir" --eval=$DATA 2>/dev/null | tee "$OUT/plain.txt"
echo
echo "== 5. coopt-translate --emit=obj (host: --mcpu=native; aarch64: +dotprod) + header; coopt-runner --object"
coopt-translate "$OUT/dscnn.pcqat.int8.mlir" --emit=obj --mcpu=native -o "$OUT/dscnn.pcqat.x86_64.o"
coopt-translate "$OUT/dscnn.pcqat.int8.mlir" --emit=obj --target=aarch64 --mcpu=neoverse-n1 --mattr=+dotprod -o "$OUT/dscnn.pcqat.aarch64.o"
coopt-translate "$OUT/dscnn.pcqat.int8.mlir" --emit=header -o "$OUT/dscnn.pcqat.h"
ls -l "$OUT"/dscnn.pcqat.*.o "$OUT/dscnn.pcqat.h" | awk '{print $5, $NF}'
coopt-runner "$OUT/dscnn.pcqat.int8.mlir" --object="$OUT/dscnn.pcqat.x86_64.o" --eval=$DATA 2>/dev/null | tee "$OUT/object.txt"
echo
echo "== 6. coopt-explore models/dscnn.onnx --max-accuracy-drop=1 --max-size-ratio=0.9 (first-fit, -j$(nproc))"
explored=0
coopt-explore "$MODEL" --data=$DATA --out="$OUT/explore" --max-accuracy-drop=1 --max-size-ratio=0.9 > "$OUT/explore.md" || explored=$?
cat "$OUT/explore.md"
if [ $explored = 0 ]; then
  echo "the chosen leaf's object on the 10,000 test images:"
  coopt-runner "$OUT/explore/leaf.mlir" --object="$OUT/explore/leaf.o" --eval=$DATA 2>/dev/null | tee "$OUT/explore-object.txt"
fi
echo "report: $OUT/explore/report.html (open it in a browser, e.g. xdg-open $OUT/explore/report.html)"
echo
echo "== summary (top-1 on 10,000 test images)"
echo "float $(acc "$OUT/float.txt")%  ->  fake-quant $(acc "$OUT/fq.txt")% = int8 $(acc "$OUT/int8.txt")% ($(sed -n 's/.*; \([0-9]* of [0-9]*\) values above 0,.*/\1 logits differ/p' "$OUT/int8.txt"))  ->  PCQAT int8 on coopt's kernels: without recovery $(acc "$OUT/plain.txt")%, with coopt-recover $(acc "$OUT/pcqat.txt")% (compiled object: $(acc "$OUT/object.txt")%)"
if [ $explored = 0 ]; then
  echo "coopt-explore chose $(sed -n 's/^Chosen: \*\*\([^*]*\)\*\*.*/\1/p' "$OUT/explore.md"): its object $(acc "$OUT/explore-object.txt")% at $(sed -n 's/^Chosen: .*, \([0-9]* bytes ([0-9.]*×)\).*/\1/p' "$OUT/explore.md") of the dense int8 weights"
else
  echo "coopt-explore: no leaf met the targets ($(sed -n 's/^Nothing chosen: //p' "$OUT/explore.md"))"
fi
