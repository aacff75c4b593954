#!/bin/sh
# memory-flat.sh <model.mlir>: the resident set of one --eval over the
# 10,000 test images after the first 1,000 and after all of them; prints
# "memory flat" when it grew by under 2 MiB.  One process, current RSS: the
# peak RSS of two runs compared the JIT compiles' peaks, which differ by
# megabytes from run to run.
set -eu
out=$(coopt-runner "$1" --eval=/usr/share/datasets/fashion-mnist -v 2>&1 >/dev/null)
rss() { printf '%s\n' "$out" | sed -n "s/^RSS: \([0-9]*\) KiB after $1 images\$/\1/p"; }
small=$(rss 1000)
large=$(rss 10000)
if [ -z "$small" ] || [ -z "$large" ]; then
  echo "coopt-runner -v printed no resident set after 1000 and 10000 images" >&2
  exit 1
fi
growth=$((large - small))
echo "RSS: $small KiB after 1000 images, $large KiB after 10000 (+$growth KiB)"
if [ "$growth" -lt 2048 ]; then echo "memory flat"; else echo "memory grows"; fi
