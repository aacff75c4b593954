#!/bin/sh
# Whole-model latency, batch 1, 1 thread, on the code that ships: the bundled
# models compiled ahead of time (coopt-translate --emit=obj --mcpu=native
# -O3, run by coopt-runner --object) next to the JIT of the same TOSA and
# onnxruntime (npm onnxruntime-node) on the same ONNX file, and torch
# (scripts/torch-peer.py --latency: the same weights as an nn.Sequential,
# float and onednn int8).  f32 and int8
# (coopt-qat + coopt-lower-int8), each with and without coopt's kernels
# (coopt-lower-kernels: convolutions on the runtime's packed kernels;
# everything else is the upstream lowering).  A benchmark, not a test.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PATH="$BUILD/tools/coopt-translate:$BUILD/tools/coopt-opt:$BUILD/tools/coopt-runner:$PATH"
DATA=/usr/share/datasets/fashion-mnist
if [ ! -d "$ROOT/bench/node_modules/onnxruntime-node" ]; then
  (cd "$ROOT/bench" && npm install --ignore-scripts --no-audit --no-fund --no-save onnxruntime-node >/dev/null)
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
lat() { sed -n 's/^latency: median \([0-9.]*\) us.*/\1/p'; }
echo "graphs: f32 (upstream lowering); f32k = f32 with coopt-lower-kernels; i8 = int8 (upstream lowering); i8k = int8 with coopt-lower-kernels; pqk = PQAT 50% int8 with kernels (masked form); pck = PCQAT int8 with kernels"
echo "runtime tiles: chosen by CPUID at run time; the AVX-VNNI column caps them with COOPT_RT_ISA=avxvnni (no AVX-512)"
echo
echo "| model | graph | JIT (µs) | compiled object (µs) | object, AVX-VNNI cap (µs) | onnxruntime f32 (µs) | torch (µs, f32 graphs: float, int8 graphs: onednn PTQ) |"
echo "|---|---|---|---|---|---|---|"
for m in dscnn mobilenet_v1_0.5; do
  coopt-translate --import-onnx "$ROOT/models/$m.onnx" --batch=1 -o "$TMP/$m.f32.mlir"
  coopt-opt "$TMP/$m.f32.mlir" -p "builtin.module(coopt-qat{data=$DATA samples=256},coopt-lower-int8)" -o "$TMP/$m.i8.mlir" 2>/dev/null
  coopt-opt "$TMP/$m.f32.mlir" -p "builtin.module(coopt-lower-kernels)" -o "$TMP/$m.f32k.mlir" 2>/dev/null
  coopt-opt "$TMP/$m.i8.mlir" -p "builtin.module(coopt-lower-kernels)" -o "$TMP/$m.i8k.mlir" 2>/dev/null
  coopt-opt "$TMP/$m.f32.mlir" -p "builtin.module(coopt-pqat{data=$DATA samples=512 sparsity=0.5},coopt-lower-int8,coopt-lower-kernels)" -o "$TMP/$m.pqk.mlir" 2>/dev/null
  coopt-opt "$TMP/$m.f32.mlir" -p "builtin.module(coopt-pcqat{data=$DATA samples=512 sparsity=0.5 clusters=16 per-channel=true},coopt-lower-int8,coopt-lower-kernels)" -o "$TMP/$m.pck.mlir" 2>/dev/null
  ORT=$(node "$ROOT/bench/ort-eval.js" "$ROOT/models/$m.onnx" 100 0.2860 0.3530 | sed -n 's/.*batch-1 latency median \([0-9.]*\) us.*/\1/p')
  TORCH=$(/usr/bin/python3 "$ROOT/scripts/torch-peer.py" --latency "$ROOT/models/$m.onnx" "$DATA" 200)
  TF=$(echo "$TORCH" | sed -n 's/.*"float_us": \([0-9.]*\).*/\1/p')
  TI=$(echo "$TORCH" | sed -n 's/.*"ptq_int8_us": \([0-9.]*\).*/\1/p')
  for g in f32 f32k i8 i8k pqk pck; do
    coopt-translate "$TMP/$m.$g.mlir" --emit=obj --mcpu=native -O3 -o "$TMP/$m.$g.o"
    J=$(coopt-runner "$TMP/$m.$g.mlir" --bench --repeats=200 --warmup=20 | lat)
    O=$(coopt-runner "$TMP/$m.$g.mlir" --object="$TMP/$m.$g.o" --bench --repeats=200 --warmup=20 | lat)
    V=$(COOPT_RT_ISA=avxvnni coopt-runner "$TMP/$m.$g.mlir" --object="$TMP/$m.$g.o" --bench --repeats=200 --warmup=20 | lat)
    case $g in f32*) T=$TF ;; *) T=$TI ;; esac
    echo "| $m | $g | $J | $O | $V | $ORT | $T |"
  done
done
