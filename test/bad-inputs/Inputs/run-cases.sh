#!/bin/sh
# The bad-input corpus (docs/Reliability.md): run every case of cases.txt and
# check the contract coopt keeps for bad input:
#   - exit code 1 (not a crash, not a sanitizer's exit code, not 0);
#   - exactly one "error:" line on stderr, located: "<source>: error: ..."
#     where <source> is a file (with :line:col for text input), <pipeline>,
#     or the tool itself for its command line;
#   - that line contains the case's expected text;
#   - nothing on stdout, no new file in the working directory, nothing left
#     in TMPDIR, and the inputs untouched.
# Each case runs in a directory of its own holding three links: in/ (the
# committed inputs, test/bad-inputs/Inputs), gen/ (inputs derived at test
# time by make-inputs.sh) and t/ (the test tree, for inputs other tests
# own).  Relative paths keep the diagnostics, and so the generated table,
# independent of where the tree is checked out.
#
# usage: run-cases.sh <test/bad-inputs> <work-dir> [<doc-to-update>]
# Writes <work-dir>/table.md, the docs table; with a third argument, rewrites
# that file's table between the bad-inputs markers instead of failing on a
# difference (the lit test compares).
set -u
S=$1
T=$2
DOC=${3:-}
rm -rf "$T"
mkdir -p "$T/gen" "$T/runs" "$T/io"
if ! sh "$S/Inputs/make-inputs.sh" "$S" "$T/gen"; then
  echo "run-cases: make-inputs.sh failed" >&2
  exit 1
fi
gen_before=$(cd "$T/gen" && find . -type f -exec cksum {} + | sort)
in_before=$(cd "$S/Inputs" && find . -type f -exec cksum {} + | sort)

table="$T/table.md"
{
  echo "| # | case | what is wrong | command | diagnostic |"
  echo "|---|---|---|---|---|"
} > "$table"

n=0
failures=0
fail() {
  echo "FAIL $id: $*" >&2
  failures=$((failures + 1))
}
# Fields are separated by " | "; a line starting with # is a comment.
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  id=$(printf '%s' "$line" | awk -F ' [|] ' '{ print $1 }')
  what=$(printf '%s' "$line" | awk -F ' [|] ' '{ print $2 }')
  cmd=$(printf '%s' "$line" | awk -F ' [|] ' '{ print $3 }')
  expect=$(printf '%s' "$line" | awk -F ' [|] ' '{ print $4 }')
  if [ -z "$id" ] || [ -z "$cmd" ] || [ -z "$expect" ]; then
    echo "run-cases: malformed line: $line" >&2
    exit 1
  fi
  n=$((n + 1))
  W="$T/runs/$id"
  if [ -e "$W" ]; then
    fail "duplicate case id"
    continue
  fi
  mkdir -p "$W/.tmp"
  ln -s "$S/Inputs" "$W/in"
  ln -s "$T/gen" "$W/gen"
  ln -s "$S/.." "$W/t"
  before=$(cd "$W" && find . | sort)
  (cd "$W" && TMPDIR="$W/.tmp" sh -c "$cmd") > "$T/io/$id.out" 2> "$T/io/$id.err"
  rc=$?
  after=$(cd "$W" && find . | sort)
  errors=$(grep -c 'error: ' "$T/io/$id.err")
  diag=$(grep -m1 'error: ' "$T/io/$id.err")
  [ "$rc" = 1 ] || fail "exit code $rc, expected 1"
  if [ "$errors" != 1 ]; then
    fail "$errors error lines, expected 1"
  elif ! printf '%s\n' "$diag" | grep -Eq '^(<pipeline>|<command line>|[^ :]+)(:[0-9]+:[0-9]+)?: error: '; then
    fail "the error is not located: $diag"
  elif ! printf '%s\n' "$diag" | grep -Fq -- "$expect"; then
    fail "expected '$expect' in: $diag"
  fi
  [ -s "$T/io/$id.out" ] && fail "wrote to stdout: $(head -c 200 "$T/io/$id.out")"
  [ "$before" = "$after" ] || fail "left files behind: $(printf '%s\n' "$after" | grep -vxF "$before" | tr '\n' ' ')"
  if [ "$rc" != 1 ] || [ "$errors" != 1 ]; then
    sed 's/^/    /' "$T/io/$id.err" | head -n 20 >&2
  fi
  esc_cmd=$(printf '%s' "$cmd" | sed 's/|/\\|/g')
  esc_diag=$(printf '%s' "$diag" | sed 's/|/\\|/g')
  printf '| %d | `%s` | %s | `%s` | `%s` |\n' "$n" "$id" "$what" "$esc_cmd" "$esc_diag" >> "$table"
done < "$S/Inputs/cases.txt"

gen_after=$(cd "$T/gen" && find . -type f -exec cksum {} + | sort)
in_after=$(cd "$S/Inputs" && find . -type f -exec cksum {} + | sort)
if [ "$gen_before" != "$gen_after" ] || [ "$in_before" != "$in_after" ]; then
  echo "FAIL: an input file was modified" >&2
  failures=$((failures + 1))
fi

if [ -n "$DOC" ]; then
  awk -v table="$table" '
    /<!-- bad-inputs:begin -->/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
    /<!-- bad-inputs:end -->/ { skip = 0 }
    !skip { print }' "$DOC" > "$T/doc.new" && cat "$T/doc.new" > "$DOC"
fi
echo "bad inputs: $n cases, $failures failures"
[ "$failures" = 0 ]
