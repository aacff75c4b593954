#!/bin/sh
# coopt-prune and coopt-cluster on a MobileNet-v1-size model (4.2 M weights),
# 1 thread: pass time = pipeline time minus the same run without the pass
# (parse bytecode + write bytecode), median of 5.  A benchmark, not a test.
set -eu
BUILD=${1:-build}
OPT="$BUILD/tools/coopt-opt/coopt-opt"
MODEL="$BUILD/examples/mobilenet_v1_1.0_224.mlir"
BC="$BUILD/examples/mobilenet_v1_1.0_224.mlirbc"
[ -f "$MODEL" ] || "$BUILD/examples/coopt-gen-model" --width=1.0 --resolution=224 --classes=1000 -o "$MODEL"
[ -f "$BC" ] || "$OPT" "$MODEL" --emit-bytecode -o "$BC"
PRUNED="$BUILD/examples/mobilenet_v1_1.0_224.pruned.mlirbc"
"$OPT" "$BC" -p 'builtin.module(coopt-prune{sparsity=0.5})' --emit-bytecode -o "$PRUNED"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_pipe() {
  for i in 1 2 3 4 5; do
    s=$(date +%s.%N); "$OPT" "$1" --mlir-disable-threading -p "$2" --emit-bytecode -o /dev/null; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median
}
base=$(time_pipe "$BC" 'builtin.module()')
g=$(time_pipe "$BC" 'builtin.module(coopt-prune{sparsity=0.5 scope=global})')
l=$(time_pipe "$BC" 'builtin.module(coopt-prune{sparsity=0.5})')
nm=$(time_pipe "$BC" 'builtin.module(coopt-prune{pattern=2:4})')
basep=$(time_pipe "$PRUNED" 'builtin.module()')
c=$(time_pipe "$PRUNED" 'builtin.module(coopt-cluster{clusters=16 per-channel=true preserve-sparsity=true})')
ct=$(time_pipe "$BC" 'builtin.module(coopt-cluster{clusters=16})')
printf 'parse + write bytecode (baseline)                  %.3f s\n' "$base"
printf 'coopt-prune scope=global sparsity=0.5              %.3f s\n' "$(echo "$g - $base" | bc)"
printf 'coopt-prune scope=layer sparsity=0.5               %.3f s\n' "$(echo "$l - $base" | bc)"
printf 'coopt-prune pattern=2:4                            %.3f s\n' "$(echo "$nm - $base" | bc)"
printf 'coopt-cluster 16 per-channel preserve-sparsity     %.3f s  (on the 50%%-pruned model)\n' "$(echo "$c - $basep" | bc)"
printf 'coopt-cluster 16 per-tensor                        %.3f s\n' "$(echo "$ct - $base" | bc)"
