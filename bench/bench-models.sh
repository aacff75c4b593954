#!/bin/sh
# The bundled Fashion-MNIST models: import + JIT compile time, test-set
# throughput and batch-1 latency of coopt-runner (upstream MLIR lowering,
# JIT) next to onnxruntime (npm onnxruntime-node, installed here with
# --ignore-scripts) on the same ONNX file, 1 thread.  A benchmark, not a test.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$BUILD/tools/coopt-translate:$BUILD/tools/coopt-runner:$PATH"
if [ ! -d "$ROOT/bench/node_modules/onnxruntime-node" ]; then
  (cd "$ROOT/bench" && npm install --ignore-scripts --no-audit --no-fund --no-save onnxruntime-node >/dev/null)
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for m in dscnn mobilenet_v1_0.5; do
  onnx="$ROOT/models/$m.onnx"
  echo "== $m"
  s=$(date +%s.%N)
  coopt-translate --import-onnx "$onnx" --batch=100 -o "$TMP/$m.b100.mlir"
  e=$(date +%s.%N)
  printf 'import (coopt-translate, batch 100):  %.3f s\n' "$(echo "$e - $s" | bc)"
  coopt-runner "$TMP/$m.b100.mlir" -v --eval=/usr/share/datasets/fashion-mnist 2>&1 | sed 's/^/coopt-runner: /'
  coopt-translate --import-onnx "$onnx" --batch=1 -o "$TMP/$m.b1.mlir"
  coopt-runner "$TMP/$m.b1.mlir" --bench --repeats=200 --warmup=20 | sed 's/^/coopt-runner: /'
  node "$ROOT/bench/ort-eval.js" "$onnx" 100 0.2860 0.3530
done
