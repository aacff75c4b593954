#!/bin/sh
# The compressed leaves' run time against the dense int8 leaf, per kernel
# choice: each leaf lowered with force=dense (the reference), with
# objective=latency and objective=balanced (the cost model's choices for
# the level's `cpu`) and with objective=size, all run by the JIT at batch 1
# at every x86 level of the runtime's tiles (COOPT_RT_ISA: the masked decode
# is vpexpandb with avx512, pshufb with avxvnni/avx2, branch-free C with
# generic).  Outputs are identical by construction (every form computes the
# dense kernel's results); the lit tests check that.  A benchmark, not a
# test.  The 8x4 leaf calibrates on 1024 images: MobileNet's classifier (10
# channels, not a whole 8-channel panel) stays dense, and recovery refits its
# 513 unknowns per channel, which 512 images cannot determine.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PATH="$BUILD/tools/coopt-translate:$BUILD/tools/coopt-opt:$BUILD/tools/coopt-runner:$PATH"
DATA=/usr/share/datasets/fashion-mnist
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
lat() { sed -n 's/^latency: median \([0-9.]*\) us.*/\1/p'; }
echo "| model | leaf | level (cpu=) | dense (µs) | latency (µs) | × dense | balanced (µs) | × dense | size (µs) | × dense |"
echo "|---|---|---|---|---|---|---|---|---|---|"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for m in dscnn mobilenet_v1_0.5; do
  coopt-translate --import-onnx "$ROOT/models/$m.onnx" --batch=1 -o "$TMP/$m.mlir"
  while IFS='|' read -r leaf pipe; do
    coopt-opt "$TMP/$m.mlir" -p "builtin.module($pipe,coopt-lower-int8)" -o "$TMP/q.mlir" 2>/dev/null
    for level in avx512 avxvnni generic; do
      for obj in force=dense objective=latency objective=balanced objective=size; do
        coopt-opt "$TMP/q.mlir" -p "builtin.module(coopt-lower-kernels{$obj cpu=$level})" -o "$TMP/$obj.mlir" 2>/dev/null
      done
      D=$(COOPT_RT_ISA=$level coopt-runner "$TMP/force=dense.mlir" --bench --repeats=200 --warmup=20 | lat)
      L=$(COOPT_RT_ISA=$level coopt-runner "$TMP/objective=latency.mlir" --bench --repeats=200 --warmup=20 | lat)
      B=$(COOPT_RT_ISA=$level coopt-runner "$TMP/objective=balanced.mlir" --bench --repeats=200 --warmup=20 | lat)
      S=$(COOPT_RT_ISA=$level coopt-runner "$TMP/objective=size.mlir" --bench --repeats=200 --warmup=20 | lat)
      echo "| $m | $leaf | $level | $D | $L | $(ratio "$L" "$D") | $B | $(ratio "$B" "$D") | $S | $(ratio "$S" "$D") |"
    done
    # aarch64: no hardware here, so the cost model's estimate (coopt-stats'
    # predicted cycles per inference over the int8 GEMM calls).
    for cpu in neoverse-n1 neoverse-v2; do
      for obj in force=dense objective=latency objective=balanced; do
        coopt-opt "$TMP/q.mlir" -p "builtin.module(coopt-lower-kernels{target=aarch64 cpu=$cpu $obj})" -o "$TMP/a.mlir" 2>/dev/null
        coopt-opt "$TMP/a.mlir" -p "builtin.module(coopt-stats)" -o /dev/null |
          sed -n 's/^predicted per inference: \([0-9]*\) cycles.*/\1/p' > "$TMP/$obj.cycles"
      done
      D=$(cat "$TMP/force=dense.cycles") L=$(cat "$TMP/objective=latency.cycles") B=$(cat "$TMP/objective=balanced.cycles")
      echo "$m|$leaf|$cpu|$D|$L|$(ratio "$L" "$D")|$B|$(ratio "$B" "$D")" >> "$TMP/aarch64"
    done
  done <<LEAVES
PQAT 50%|coopt-pqat{data=$DATA samples=512 sparsity=0.5}
PCQAT 50% + 16/ch|coopt-pcqat{data=$DATA samples=512 sparsity=0.5 clusters=16 per-channel=true}
PQAT 1x4 75%|coopt-pqat{data=$DATA samples=512 pattern=1x4 sparsity=0.75}
PQAT 8x4 50%|coopt-pqat{data=$DATA samples=1024 pattern=8x4 sparsity=0.5}
LEAVES
done
echo
echo "aarch64, estimated by the cost model (kilocycles per inference over the int8 GEMM calls; no hardware here):"
echo
echo "| model | leaf | cpu | dense | latency | × dense | balanced | × dense |"
echo "|---|---|---|---|---|---|---|---|"
awk -F'|' '{ printf "| %s | %s | %s | %.1f | %.1f | %s | %.1f | %s |\n", $1, $2, $3, $4 / 1000, $5 / 1000, $6, $7 / 1000, $8 }' "$TMP/aarch64"
