#!/bin/sh
# Every coopt pass and every option that `coopt-opt --help` lists must be
# documented in docs/Passes.md (a "## pass" section with a `option` row).
set -u
doc="$1/docs/Passes.md"
status=0
passes=$(coopt-opt --list-passes) || exit 1
[ -n "$passes" ] || { echo "no passes listed"; exit 1; }
checked=0
for pass in $passes; do
  if ! grep -q "^## $pass\$" "$doc"; then
    echo "docs/Passes.md: missing section '## $pass'"
    status=1
    continue
  fi
  section=$(awk -v p="## $pass" '$0 == p {on=1; next} /^## / {on=0} on' "$doc")
  for opt in $(coopt-opt --help | awk -v p="$pass" '
      /^  [a-z]/ && $1 == p {on=1; next}
      on && /^  [a-z]/ {on=0}
      on && /^      [a-z-]+=</ {sub(/^ +/, ""); sub(/=<.*/, ""); print}'); do
    checked=$((checked + 1))
    if ! printf '%s\n' "$section" | grep -q "| \`$opt\` |"; then
      echo "docs/Passes.md: '## $pass' does not document option '$opt'"
      status=1
    fi
  done
done
[ $checked -gt 0 ] || { echo "no options checked"; exit 1; }
[ $status = 0 ] && echo "passes doc: consistent ($checked options)"
exit $status
