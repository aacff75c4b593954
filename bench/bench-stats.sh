#!/bin/sh
# Parse + coopt-stats + print of a MobileNet-v1 (width 1.0, 224x224, 1000
# classes: 4.2 M f32 weights) TOSA model; median wall time of 5 runs next to
# upstream mlir-opt parse + print of the same file (the peer: what the file
# format itself costs).  A benchmark, not a test.
set -eu
BUILD=${1:-build}
OPT="$BUILD/tools/coopt-opt/coopt-opt"
MODEL="$BUILD/examples/mobilenet_v1_1.0_224.mlir"
[ -f "$MODEL" ] || "$BUILD/examples/coopt-gen-model" --width=1.0 --resolution=224 --classes=1000 -o "$MODEL"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_cmd() {
  for i in 1 2 3 4 5; do
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median
}
t_coopt=$(time_cmd "$OPT" "$MODEL" -p 'builtin.module(coopt-stats)' -o /dev/null)
t_stats_only=$(time_cmd "$OPT" "$MODEL" -p 'builtin.module(coopt-stats{output=/dev/null})' --emit-bytecode -o /dev/null)
t_upstream=$(time_cmd /usr/lib/llvm-22/bin/mlir-opt "$MODEL" -o /dev/null)
echo "model: $MODEL ($(du -h "$MODEL" | cut -f1))"
echo "coopt-opt parse + coopt-stats + print text : ${t_coopt} s"
echo "coopt-opt parse + coopt-stats + bytecode   : ${t_stats_only} s"
echo "mlir-opt  parse + print text (peer)         : ${t_upstream} s"
echo "ratio coopt/mlir-opt: $(echo "scale=2; $t_coopt / $t_upstream" | bc)"
