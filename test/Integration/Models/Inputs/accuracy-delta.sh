#!/bin/sh
# accuracy-delta.sh REF NEW MAX_LOSS [MAX_GAIN]
# Reads the "accuracy: X%" line coopt-runner --eval printed into REF and NEW
# and fails when NEW is more than MAX_LOSS points below REF (or, with
# MAX_GAIN, more than MAX_GAIN points above it).
set -u
ref=$(sed -n 's/^accuracy: \([0-9.]*\)%.*/\1/p' "$1")
new=$(sed -n 's/^accuracy: \([0-9.]*\)%.*/\1/p' "$2")
[ -n "$ref" ] && [ -n "$new" ] || { echo "accuracy-delta: no accuracy line in $1 or $2"; exit 1; }
awk -v r="$ref" -v n="$new" -v loss="$3" -v gain="${4:-1000}" 'BEGIN {
  d = n - r
  printf "accuracy: %s%% -> %s%% (%+.2f points)\n", r, n, d
  if (-d > loss + 1e-9) { printf "accuracy-delta: loses %.2f points, more than %s\n", -d, loss; exit 1 }
  if (d > gain + 1e-9) { printf "accuracy-delta: gains %.2f points, more than %s\n", d, gain; exit 1 }
}'
