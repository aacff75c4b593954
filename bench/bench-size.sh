#!/bin/sh
# Deployable size per seed path, and the compile time of the full PCQAT
# pipeline: each path of each bundled model lowered to int8 (where it is a
# quantized path), to coopt's kernels (coopt-lower-kernels{target=aarch64}),
# and emitted as an aarch64 object (+dotprod).  The weights section is the
# object's read-only data (.rodata*: packed blobs, int8/f32 constants,
# multipliers); the ratio is against the dense int8 path (QAT) of the same
# model.  A benchmark, not a test.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PATH="$BUILD/tools/coopt-translate:$BUILD/tools/coopt-opt:$BUILD/tools/coopt-runner:/usr/lib/llvm-22/bin:$PATH"
DATA=/usr/share/datasets/fashion-mnist
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# 512 calibration images: recovery refits MobileNet's 512-wide classifier,
# which 100 images cannot determine (the pipeline then fails); 1024 for the
# 8x4 path, which leaves that classifier (10 channels, not whole 8-channel
# panels) dense, so its 513 unknowns per channel need more than 512.
C="data=$DATA samples=512"
# Sum of the sizes (hex in llvm-objdump -h) of the sections named like $2.
section_bytes() {
  total=0
  for h in $(llvm-objdump -h "$1" | awk -v re="$2" '$2 ~ re { print $3 }'); do total=$((total + 0x$h)); done
  echo $total
}
now() { date +%s.%N; }
# Each path is compressed once, then lowered with objective=balanced (the
# default: the smallest form among those with a vectorized kernel) and with
# objective=size (the smallest form there is).
echo "| model | path | pipeline | .text bytes | weights (.rodata) bytes | × dense int8 | objective=size bytes | × dense int8 |"
echo "|---|---|---|---|---|---|---|---|"
for m in dscnn mobilenet_v1_0.5; do
  coopt-translate --import-onnx "$ROOT/models/$m.onnx" --batch=1 -o "$TMP/$m.mlir"
  base=
  while IFS='|' read -r path pipe; do
    rm -f "$TMP/c.mlir"
    coopt-opt "$TMP/$m.mlir" -p "builtin.module($pipe)" -o "$TMP/c.mlir" 2>"$TMP/err" ||
      { echo "bench-size: $m $path failed:" >&2; grep error "$TMP/err" >&2; exit 1; }
    for obj in balanced size; do
      coopt-opt "$TMP/c.mlir" -p "builtin.module(coopt-lower-kernels{target=aarch64 objective=$obj})" -o "$TMP/p.mlir" 2>/dev/null
      coopt-translate "$TMP/p.mlir" --emit=obj --target=aarch64 --mcpu=neoverse-n1 --mattr=+dotprod -o "$TMP/p.$obj.o"
    done
    r=$(section_bytes "$TMP/p.balanced.o" '^[.]rodata')
    s=$(section_bytes "$TMP/p.size.o" '^[.]rodata')
    t=$(section_bytes "$TMP/p.balanced.o" '^[.]text$')
    [ "$path" = QAT ] && base=$r
    ratio=- sratio=-
    [ -n "$base" ] && ratio=$(awk -v a="$r" -v b="$base" 'BEGIN { printf "%.2f", a / b }') &&
      sratio=$(awk -v a="$s" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
    echo "| $m | $path | \`$pipe\` | $t | $r | $ratio | $s | $sratio |"
  done <<PATHS
FP32|coopt-verify-structure
QAT|coopt-qat{$C},coopt-lower-int8
PQAT 50%|coopt-pqat{$C sparsity=0.5},coopt-lower-int8
PQAT 1x4 75%|coopt-pqat{$C sparsity=0.75 pattern=1x4},coopt-lower-int8
CQAT 16|coopt-cqat{$C clusters=16},coopt-lower-int8
PCQAT 50% + 16/ch|coopt-pcqat{$C sparsity=0.5 clusters=16 per-channel=true},coopt-lower-int8
PCQAT 1x4 75% + 16/ch|coopt-pcqat{$C sparsity=0.75 pattern=1x4 clusters=16 per-channel=true},coopt-lower-int8
PQAT 8x4 50%|coopt-pqat{data=$DATA samples=1024 sparsity=0.5 pattern=8x4},coopt-lower-int8
PATHS
done
echo
echo "Compile time, MobileNet (batch 1), PCQAT 50% + 16 clusters per channel to an aarch64 object:"
coopt-translate --import-onnx "$ROOT/models/mobilenet_v1_0.5.onnx" --batch=1 -o "$TMP/mb.mlir"
t0=$(now)
coopt-opt "$TMP/mb.mlir" -p "builtin.module(coopt-pcqat{data=$DATA samples=512 sparsity=0.5 clusters=16 per-channel=true},coopt-lower-int8,coopt-lower-kernels{target=aarch64})" -o "$TMP/mb.k.mlir" 2>/dev/null
t1=$(now)
coopt-translate "$TMP/mb.k.mlir" --emit=obj --target=aarch64 --mcpu=neoverse-n1 --mattr=+dotprod -o "$TMP/mb.o"
t2=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "coopt-opt (prune, cluster, calibrate 512 images, fake-quant, int8, kernels): %.2f s; coopt-translate --emit=obj: %.2f s; total %.2f s\n", b - a, c - b, c - a }'
