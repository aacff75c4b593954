#!/bin/sh
# ONNX backend conformance on Debian's libonnx-testdata.
#
# For every test in data/node and data/pytorch-converted: import with
# coopt-translate; a clean importer diagnostic (unsupported op, attribute,
# type or dynamic shape) makes the test "unsupported" and is listed with its
# reason; otherwise every test_data_set_* runs through coopt-runner and must
# match output_*.pb (float: rtol 1e-4, atol 1e-5; integers exactly), and its
# TOSA must pass tosa-validate for the pro_fp and pro_int profiles.  An
# importer internal error or a crash is a failure.
#
# usage: run-conformance.sh <work-dir> [filter-regex]   (coopt-translate and coopt-runner on PATH)
set -u

WORK=$1
FILTER=${2:-.}
DATA=/usr/share/libonnx-testdata/data
if [ ! -d "$DATA/node" ]; then
  echo "onnx-conformance: $DATA not found (install libonnx-testdata)"
  exit 1
fi
mkdir -p "$WORK"
pass=0 fail=0 unsup=0
: > "$WORK/unsupported.txt"
: > "$WORK/failed.txt"
for dir in "$DATA"/node/* "$DATA"/pytorch-converted/*; do
  name="$(basename "$(dirname "$dir")")/$(basename "$dir")"
  echo "$name" | grep -Eq "$FILTER" || continue
  [ -f "$dir/model.onnx" ] || continue
  mlir="$WORK/$(basename "$dir").mlir"
  set0="$dir/test_data_set_0"
  # coopt compiles static shapes and constant quantization parameters: a
  # graph input that must be a constant (a Reshape's shape, Squeeze's axes,
  # a scale or zero point, Clip's bounds) is bound to the test's value, as
  # the importer's diagnostic suggests.
  binds="" bound=" "
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    msg=$(coopt-translate --import-onnx "$dir/model.onnx" $binds -o "$mlir" 2>&1)
    rc=$?
    k=$(echo "$msg" | sed -n 's/.*(graph input #\([0-9]*\): bind it to a constant with --bind).*/\1/p')
    [ $rc -ne 0 ] && [ -n "$k" ] && [ -f "$set0/input_$k.pb" ] || break
    binds="$binds --bind=#$k=$set0/input_$k.pb"
    bound="$bound$k "
  done
  if [ $rc -ne 0 ]; then
    if [ $rc -eq 1 ] && ! echo "$msg" | grep -q "internal error"; then
      unsup=$((unsup + 1))
      echo "$name: $(echo "$msg" | head -n 1 | sed 's/^[^:]*: error: //')" >> "$WORK/unsupported.txt"
    else
      fail=$((fail + 1))
      echo "$name: import: $msg" >> "$WORK/failed.txt"
    fi
    continue
  fi
  # The importer's TOSA must be valid for the pro_fp / pro_int profiles.
  if ! vmsg=$(mlir-opt "$mlir" --tosa-attach-target="profiles=pro_fp,pro_int" --tosa-validate -o /dev/null 2>&1); then
    fail=$((fail + 1))
    echo "$name: tosa-validate: $(echo "$vmsg" | grep error | head -n 1)" >> "$WORK/failed.txt"
    continue
  fi
  ok=1
  for set in "$dir"/test_data_set_*; do
    [ -d "$set" ] || continue
    args=""
    for f in $(ls "$set"/input_*.pb 2>/dev/null | sort -V); do
      k=$(basename "$f" .pb | sed 's/input_//')
      case "$bound" in *" $k "*)
        # a bound input must have the same value in every data set
        cmp -s "$f" "$set0/input_$k.pb" || { ok=2; break; }
        continue ;;
      esac
      args="$args --input $f"
    done
    [ $ok = 2 ] && { ok=1; continue; }
    for f in $(ls "$set"/output_*.pb 2>/dev/null | sort -V); do args="$args --expect $f"; done
    out=$(coopt-runner "$mlir" $args 2>&1)
    if [ $? -ne 0 ]; then
      ok=0
      echo "$name/$(basename "$set"): $(echo "$out" | tail -n 3 | tr '\n' ' ')" >> "$WORK/failed.txt"
      break
    fi
  done
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "unsupported tests (not failures): $unsup; reasons by count:"
sed 's/^[^:]*: //; s/node .([^)]*) (\([A-Za-z]*\)): /\1: /; s/'"'"'[^'"'"']*'"'"'/X/g' "$WORK/unsupported.txt" | sort | uniq -c | sort -rn | head -n 25
if [ $fail -gt 0 ]; then
  echo "failures:"
  cat "$WORK/failed.txt"
fi
echo "onnx-conformance: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
