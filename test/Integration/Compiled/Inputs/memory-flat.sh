#!/bin/sh
# memory-flat.test.sh <model.mlir>: peak RSS of --eval over 1,000 and 10,000
# images; prints "memory flat" when the growth is under 2 MiB.
set -eu
peak() {
  coopt-runner "$1" --eval=/usr/share/datasets/fashion-mnist --limit="$2" -v 2>&1 >/dev/null |
    sed -n 's/^peak RSS: \([0-9]*\) KiB$/\1/p'
}
small=$(peak "$1" 1000)
large=$(peak "$1" 10000)
if [ -z "$small" ] || [ -z "$large" ]; then
  echo "coopt-runner -v printed no peak RSS" >&2
  exit 1
fi
growth=$((large - small))
echo "peak RSS: $small KiB after 1000 images, $large KiB after 10000 (+$growth KiB)"
if [ "$growth" -lt 2048 ]; then echo "memory flat"; else echo "memory grows"; fi
