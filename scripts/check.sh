#!/bin/sh
# Run the lit suite (which includes the C unit tests) and close with a
# summary line "N passed, M failed".
set -u
BUILD=${1:-build}
LIT=/usr/lib/llvm-22/bin/lit
out=$(mktemp)
"$LIT" -sv "$BUILD/test" 2>&1 | tee "$out"
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
