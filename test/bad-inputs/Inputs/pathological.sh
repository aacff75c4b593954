#!/bin/sh
# pathological.test.sh <Inputs> <model.onnx> <prefix of its .npy files> <work>
set -eu
I=$1 model=$2 m=$3 w=$4
rm -rf "$w"
mkdir -p "$w"
coopt-translate --import-onnx "$I/$model" -o "$w/f32.mlir"
coopt-runner "$w/f32.mlir" --input "$I/${m}_input.npy" --output "$w/f32.npy" >/dev/null
echo "float runs"
d="data=$I/${m}_calib.npy samples=160"
for p in "coopt-prune{sparsity=0.5}" "coopt-cluster{clusters=16}" \
  "coopt-pqat{$d sparsity=0.5 pattern=1x4},coopt-lower-int8" \
  "coopt-pcqat{$d sparsity=0.5 clusters=16 per-channel=true},coopt-lower-int8" "coopt-qat{$d},coopt-lower-int8"; do
  coopt-opt "$w/f32.mlir" -p "builtin.module($p)" -o "$w/p.mlir" 2>/dev/null
  coopt-opt "$w/p.mlir" -p 'builtin.module(coopt-lower-kernels{target=aarch64})' -o "$w/k.mlir" 2>"$w/remarks"
  coopt-runner "$w/p.mlir" --input "$I/${m}_input.npy" --output "$w/p.npy" >/dev/null
  case "$p" in
  *lower-int8) tol="--rtol=0 --atol=0" ;;
  *) tol="--rtol=1e-5 --atol=1e-6" ;;
  esac
  coopt-runner "$w/k.mlir" --input "$I/${m}_input.npy" --expect "$w/p.npy" $tol >/dev/null
  coopt-translate "$w/k.mlir" --emit=obj --target=aarch64 --mcpu=neoverse-n1 --mattr=+dotprod -o "$w/k.o"
  echo "path ok, $(grep -c 'kernel, ' "$w/remarks") kernels"
done
echo "all paths ok"
