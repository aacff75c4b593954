#!/bin/sh
# `make format-check`: every C source and header coopt owns (tracked or
# new, not build output) is as clang-format-22 would write it under
# .clang-format; lists the files that are not and exits 1.
# `make format` (scripts/format.sh --fix) rewrites them in place.
set -eu
cd "$(dirname "$0")/.."
CF=clang-format-22
files=$(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^build')
if [ "${1:-}" = "--fix" ]; then
  echo "$files" | xargs "$CF" -i
  exit 0
fi
bad=0
for f in $files; do
  if ! "$CF" --dry-run -Werror "$f" > /dev/null 2>&1; then
    echo "format-check: $f differs from clang-format (make format)"
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "format-check: $(echo "$files" | wc -l) files formatted"
exit $bad
