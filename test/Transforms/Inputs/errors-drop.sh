#!/bin/sh
# errors-drop.sh < diagnostics: every coopt-recover remark's relative output
# error must drop (or stay, for a layer already exact) and at least one must
# strictly drop; prints "N layers, errors dropped".
awk '/coopt-recover: .*relative output error/ {
  for (i = 1; i <= NF; ++i) if ($i == "->") { a = $(i - 1); b = $(i + 1) }
  n++
  if (b + 0 > a + 0) { printf "error grew: %s -> %s: %s\n", a, b, $0; bad = 1 }
  if (b + 0 < a + 0) dropped++
}
END {
  if (n == 0) { print "no coopt-recover remark"; exit 1 }
  if (bad || dropped == 0) exit 1
  printf "%d layers, errors dropped\n", n
}'
