#!/bin/sh
# Post-training recovery time on the bundled models, 512 training images,
# this machine's cores (OpenBLAS threads): a benchmark, not a test.
#   - the recovery inside the PCQAT pipeline (coopt-pcqat{sparsity=0.5
#     clusters=16 per-channel=true}): OBS pruning, coopt-recover of every
#     layer, clustering, the codebook refit; = the pipeline up to calibration
#     minus the same with recover=false (magnitude pruning, clustering);
#   - each step alone;
#   - the peer: the same least squares for the 50%-pruned model in torch
#     (scripts/torch-peer.py --recover-time, torch.linalg, all threads).
#   - coopt-distill (16,384 images, DISTILL_EPOCHS epochs, default 8 as the
#     pass) on the 50%-pruned model, against the same fit written in torch
#     (torch-peer.py --distill-time): one run each, minutes, not seconds.
# Median of 3 runs each (distillation: 1).  Target (the recovery issue):
# MobileNet PCQAT <= 30 s.
set -eu
BUILD=${1:-build}
DISTILL_EPOCHS=${DISTILL_EPOCHS:-8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OPT="$BUILD/tools/coopt-opt/coopt-opt"
DATA=/usr/share/datasets/fashion-mnist
OUT="$BUILD/bench"
mkdir -p "$OUT"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_pipe() {
  for i in 1 2 3; do
    s=$(date +%s.%N); "$OPT" "$1" -p "builtin.module($2)" -o /dev/null 2>/dev/null; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median
}
for NAME in dscnn mobilenet_v1_0.5; do
  M="$OUT/$NAME.mlir"
  "$BUILD/tools/coopt-translate/coopt-translate" --import-onnx "$ROOT/models/$NAME.onnx" --batch=100 -o "$M"
  "$OPT" "$M" -p "builtin.module(coopt-prune{sparsity=0.5 method=obs data=$DATA})" -o "$OUT/$NAME.pruned.mlir" 2>/dev/null
  "$OPT" "$M" -p "builtin.module(coopt-prune{sparsity=0.5 method=obs data=$DATA},coopt-recover{data=$DATA dense=true},coopt-cluster{clusters=16 per-channel=true preserve-sparsity=true})" -o "$OUT/$NAME.clustered.mlir" 2>/dev/null
  base=$(time_pipe "$M" "")
  plain=$(time_pipe "$M" "coopt-prune{sparsity=0.5},coopt-cluster{clusters=16 per-channel=true preserve-sparsity=true}")
  full=$(time_pipe "$M" "coopt-prune{sparsity=0.5 method=obs data=$DATA},coopt-recover{data=$DATA dense=true},coopt-cluster{clusters=16 per-channel=true preserve-sparsity=true},coopt-recover{data=$DATA}")
  obs=$(time_pipe "$M" "coopt-prune{sparsity=0.5 method=obs data=$DATA}")
  pbase=$(time_pipe "$OUT/$NAME.pruned.mlir" "")
  rec=$(time_pipe "$OUT/$NAME.pruned.mlir" "coopt-recover{data=$DATA}")
  recd=$(time_pipe "$OUT/$NAME.pruned.mlir" "coopt-recover{data=$DATA dense=true}")
  reca=$(time_pipe "$OUT/$NAME.pruned.mlir" "coopt-recover{data=$DATA activation-aware=true}")
  cbase=$(time_pipe "$OUT/$NAME.clustered.mlir" "")
  book=$(time_pipe "$OUT/$NAME.clustered.mlir" "coopt-recover{data=$DATA}")
  peer=$(/usr/bin/python3 "$ROOT/scripts/torch-peer.py" --recover-time "$ROOT/models/$NAME.onnx" "$DATA" | sed -n 's/.*"recover_seconds": \([0-9.]*\).*/\1/p')
  s=$(date +%s.%N); "$OPT" "$OUT/$NAME.pruned.mlir" -p "builtin.module(coopt-distill{data=$DATA epochs=$DISTILL_EPOCHS})" -o /dev/null 2>/dev/null; e=$(date +%s.%N)
  dist=$(echo "$e - $s - $pbase" | bc)
  dpeer=$(/usr/bin/python3 "$ROOT/scripts/torch-peer.py" --distill-time "$ROOT/models/$NAME.onnx" "$DATA" 16384 "$DISTILL_EPOCHS" | sed -n 's/.*"distill_seconds": \([0-9.]*\).*/\1/p')
  d() { echo "$1 - $2" | bc; }
  echo "== $NAME ($(nproc) cores)"
  printf '  recovery in coopt-pcqat (pipeline minus recover=false)  %6.2f s\n' "$(d "$full" "$plain")"
  printf '  coopt-prune method=obs (50%%)                            %6.2f s\n' "$(d "$obs" "$base")"
  printf '  coopt-recover, 50%%-pruned model                         %6.2f s   torch peer, same least squares %6.2f s   ratio %.2f\n' "$(d "$rec" "$pbase")" "$peer" "$(echo "$peer / ($rec - $pbase)" | bc -l)"
  printf '  coopt-recover dense=true                                %6.2f s\n' "$(d "$recd" "$pbase")"
  printf '  coopt-recover activation-aware=true                     %6.2f s\n' "$(d "$reca" "$pbase")"
  printf '  coopt-recover of the codebooks (after clustering)       %6.2f s\n' "$(d "$book" "$cbase")"
  printf '  coopt-distill (%d epochs), 50%%-pruned model              %6.2f s   torch peer, same fit %6.2f s   ratio %.2f\n' "$DISTILL_EPOCHS" "$dist" "$dpeer" "$(echo "$dpeer / $dist" | bc -l)"
done
