#!/bin/sh
# Run the lit suite (which includes the C unit tests) and close with a
# summary line "N passed, M failed".  A second argument is a lit --filter.
set -u
BUILD=${1:-build}
FILTER=${2:-}
LIT=/usr/lib/llvm-22/bin/lit
out=$(mktemp)
if [ -n "$FILTER" ]; then
  "$LIT" -sv --filter "$FILTER" "$BUILD/test" 2>&1 | tee "$out"
else
  "$LIT" -sv "$BUILD/test" 2>&1 | tee "$out"
fi
rc=$?
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$out" | head -n 1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$out" | head -n 1)
rm -f "$out"
echo "check: ${passed:-0} passed, ${failed:-0} failed"
if [ "${passed:-0}" = 0 ]; then
  exit 1
fi
[ "${failed:-0}" = 0 ] || exit 1
exit $rc
