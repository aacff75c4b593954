#!/bin/sh
# `make run`: the most complete end-to-end path that exists today.
# Today: generate a MobileNet-v1-style TOSA model with real-sized weights and
# report its weight structure with coopt-stats.
set -eu
BUILD=${1:-build}
OPT="$BUILD/tools/coopt-opt/coopt-opt"
GEN="$BUILD/examples/coopt-gen-model"
MODEL="$BUILD/examples/mobilenet_v1_0.5_128.mlir"
[ -f "$MODEL" ] || "$GEN" --width=0.5 --resolution=128 --classes=1000 --seed=1 -o "$MODEL"
echo "== coopt-opt $MODEL --pass-pipeline='builtin.module(coopt-stats)'"
"$OPT" "$MODEL" --pass-pipeline='builtin.module(coopt-stats)' -o /dev/null
