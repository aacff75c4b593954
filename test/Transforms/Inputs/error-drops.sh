#!/bin/sh
# error-drops.sh < diagnostics: the coopt-distill remark's held-out error
# must strictly drop; prints "held-out error dropped".
awk '/coopt-distill: relative output error/ {
  for (i = 1; i <= NF; ++i) if ($i == "->") { a = $(i - 1); b = $(i + 1) }
  n++
  if (!(b + 0 < a + 0)) { printf "error did not drop: %s -> %s\n", a, b; bad = 1 }
}
END {
  if (n == 0) { print "no coopt-distill remark"; exit 1 }
  if (bad) exit 1
  print "held-out error dropped"
}'
