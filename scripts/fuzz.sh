#!/bin/sh
# `make fuzz`: build the libFuzzer targets (test/fuzz, clang-22 with ASan and
# UBSan, build directory $BUILD-fuzz) and run each for FUZZ_SECONDS (default
# 120) on a seed corpus made from the tests, the bundled models and Debian's
# ONNX test data.  Prints executions, coverage and findings per target;
# findings (crash-*, leak-*, oom-*, timeout-*) are left in $BUILD-fuzz/findings.
# Exit 1 if any target found something.  Corpora grow across runs.
# FUZZ_RUNS=N runs each target for N executions instead of a time (the
# 10-million-execution campaigns of docs/Reliability.md); FUZZ_TARGETS
# picks targets (default: all).
set -eu
BUILD=${1:-build}
SECONDS_EACH=${FUZZ_SECONDS:-120}
TARGETS=${FUZZ_TARGETS:-json tensor pipeline tree onnx passes kernels}
if [ -n "${FUZZ_RUNS:-}" ]; then
  BOUND="-runs=$FUZZ_RUNS"
else
  BOUND="-max_total_time=$SECONDS_EACH"
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FB="$ROOT/$BUILD-fuzz"
if [ ! -f "$FB/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -S "$ROOT" -B "$FB" -G Ninja -DCOOPT_FUZZ=ON >/dev/null
fi
cmake --build "$FB" --target fuzz-targets
C="$FB/corpus"
mkdir -p "$C/json" "$C/tensor" "$C/pipeline" "$C/tree" "$C/onnx" "$C/passes" "$C/kernels" "$FB/findings"
# passes and kernels read their input as a generator's choices: any bytes
# are a valid start, and the regression inputs seed them.
cp "$ROOT"/test/fuzz/regressions/passes-*.bin "$C/passes/"
# Seeds.
for d in "$ROOT"/test/coopt-explore/Inputs/leaves/*; do cp "$d/leaf.json" "$C/json/$(basename "$d").json"; done
cp "$ROOT"/test/Transforms/Inputs/*.npy "$ROOT"/test/coopt-explore/Inputs/fmnist-1.npy "$ROOT"/test/fuzz/regressions/* "$C/tensor/"
cp /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz "$C/tensor/"
for t in relu conv_with_strides_padding add maxpool_2d_default gemm_default_scalar_bias matmul_2d softmax_axis_1 \
  transpose_default concat_2d_axis_0 clip sigmoid batchnorm_epsilon globalaveragepool averagepool_2d_default; do
  d=/usr/share/libonnx-testdata/data/node/test_$t
  cp "$d/model.onnx" "$C/onnx/$t.onnx"
  cp "$d/test_data_set_0/input_0.pb" "$C/tensor/$t.pb"
done
cp "$ROOT/models/dscnn.onnx" "$C/onnx/"
cp "$ROOT"/test/coopt-explore/Inputs/*tree*.txt "$C/tree/"
"$ROOT/$BUILD/tools/coopt-explore/coopt-explore" --print-tree > "$C/tree/default.txt" 2>/dev/null || true
grep -ho "builtin.module([^']*)" "$ROOT"/test/Transforms/*.mlir | sort -u | head -200 | awk -v d="$C/pipeline" '{ f = sprintf("%s/seed%03d", d, NR); printf "%s", $0 > f; close(f) }'
status=0
for t in $TARGETS; do
  dict=
  [ -f "$ROOT/test/fuzz/$t.dict" ] && dict="-dict=$ROOT/test/fuzz/$t.dict"
  log="$FB/findings/$t.log"
  (cd "$FB/findings" && "$FB/test/fuzz/fuzz-$t" "$BOUND" -rss_limit_mb=4096 -max_len=262144 \
    -print_final_stats=1 $dict "$C/$t" > "$log" 2>&1) || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  finding=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$log" || true)
  if [ -n "$finding" ]; then
    status=1
    echo "fuzz-$t: ${execs:-?} executions, $cov: FINDING: $finding (see $log)"
  else
    echo "fuzz-$t: ${execs:-?} executions, $cov: no findings"
  fi
done
exit $status
