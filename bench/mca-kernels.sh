#!/bin/sh
# Static throughput of the aarch64 inner loops (llvm-mca, L1-resident upper
# bound): the tiles of runtime/src/arch/arm_64 built with -DCOOPT_MCA (as one
# translation unit, so one assembly file per CPU).  Each kernel's
# steady-state loop holds an coopt-mca-loop comment (neon.h MCA_LOOP); the
# region measured is the whole loop that holds it, from the loop's label to
# its backward branch (frame_loops below), and a loop the compiler unrolled
# holds the comment once per source iteration, which is what the MAC count
# per iteration is multiplied by.
# Prints cycles per iteration, MAC per cycle and, for the dense int8 GEMM,
# the fraction of the SDOT peak (Neoverse N1: 2 SDOT/cycle = 32 int8 MAC).
# The masked decode rows count decoded weights where the others count MACs:
# a layer pays their cycles per weight once per call, i.e. divided by M per
# MAC of the dense tile that follows.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MCA=/usr/lib/llvm-22/bin/llvm-mca
OUT=${1:-/tmp}/coopt-mca
mkdir -p "$OUT"
# N1 has dotprod; V2 also i8mm (the SMMLA GEMM region exists only there).
for f in "$ROOT"/runtime/src/arch/arm_64/*.c; do echo "#include \"$f\""; done > "$OUT/arm_64-tiles.c"
# Wrap the loop around each coopt-mca-loop comment in BEGIN/END markers: the
# nearest label above the comment that a branch below it jumps back to is the
# innermost loop holding it.  Prints the framed assembly; the names and how
# many source iterations each region holds go to $2.
frame_loops() {
  awk -v copies="$2" '
    { line[NR] = $0 }
    END {
      for (i = 1; i <= NR; ++i) {
        if (line[i] !~ /coopt-mca-loop /) continue
        name = line[i]; sub(/.*coopt-mca-loop /, "", name)
        if (name in seen) continue
        head = 0
        for (l = i - 1; l > 0 && !head; --l) {
          if (line[l] ~ /^[^ \t]+:/ ) {
            lab = line[l]; sub(/:.*/, "", lab)
            for (e = i + 1; e <= NR && line[e] !~ /\.cfi_endproc/; ++e)
              if (line[e] ~ /^\t(b|b\.[a-z]+|cbz|cbnz|tbz|tbnz)\t/ && split(line[e], f, /[ \t,]+/) && f[length(f)] == lab) {
                head = l; tail = e; break
              }
          }
        }
        if (!head) { print "mca-kernels: no loop around " name > "/dev/stderr"; exit 1 }
        n = 0
        for (j = head; j <= tail; ++j) n += index(line[j], "coopt-mca-loop " name) > 0
        seen[name] = 1; begin_at[head] = name; end_at[tail] = name
        print name, n > copies
      }
      for (i = 1; i <= NR; ++i) {
        print line[i]
        if (i in begin_at) print "\t// LLVM-MCA-BEGIN " begin_at[i]
        if (i in end_at) print "\t// LLVM-MCA-END " end_at[i]
      }
    }' "$1"
}
for CPU in neoverse-n1 neoverse-v2; do
  case $CPU in neoverse-n1) MARCH=armv8.2-a+dotprod ;; *) MARCH=armv8.2-a+dotprod+i8mm ;; esac
  clang-22 --target=aarch64-linux-gnu -march=$MARCH -O2 -DCOOPT_MCA -I"$ROOT/runtime/include" \
    -S "$OUT/arm_64-tiles.c" -o "$OUT/neon-$CPU.raw.s"
  frame_loops "$OUT/neon-$CPU.raw.s" "$OUT/copies-$CPU.txt" > "$OUT/neon-$CPU.s"
done
# MACs per loop iteration of each region (from the kernel code).
macs() {
  case $1 in
    qs8_gemm_4x8c4__neondot) echo 512 ;;       # 4 rows x 8 channels x 16 K
    qs8_gemm_8x8c8__neoni8mm) echo 512 ;;      # 8 rows x 8 channels x 8 K
    qs8_lut4_gemm_1x1c16__neondot) echo 32 ;;  # 1 row x 1 channel x 32 K
    qs8_spgemm_1x1c4__neondot) echo 16 ;;      # 4 nonzero 1x4 blocks
    qs8_bsgemm_8x8c4__neondot) echo 256 ;;     # 8 rows x one kept 8x4 block
    qs8_bsgemm_4x8c4__neondot) echo 128 ;;     # 4 rows (a call's last <= 4) x one kept block
    qs8_nm24_gemm_1x2c16__neondot) echo 16 ;;  # 2 channels x 8 kept values of 16 K
    f32_gemm_4x8__neon) echo 32 ;;             # 4 rows x 8 channels x 1 K
    f32_spmm_16x1__neon) echo 16 ;;            # 16 pixels x 1 nonzero
    qs8_masked_decode_*) echo 32 ;;            # a K group: 32 decoded weights (not MACs)
    qs8_masked_unpack_codes__neon) echo 32 ;;  # 32 codes unpacked (per stored weight, not MACs)
  esac
}
for CPU in neoverse-n1 neoverse-v2; do
  echo "llvm-mca -mtriple=aarch64 -mcpu=$CPU (100 iterations per region)"
  echo
  echo "| kernel loop | cycles / iteration | MAC / iteration | MAC / cycle | cycles / MAC |"
  echo "|---|---|---|---|---|"
  "$MCA" -mtriple=aarch64 -mcpu=$CPU "$OUT/neon-$CPU.s" 2>/dev/null | awk '
    /Code Region - / {name = $NF}
    /^Iterations:/ {it = $2}
    /^Total Cycles:/ {print name, $3 / it}' | while read -r NAME CYC; do
      M=$(($(macs "$NAME") * $(awk -v n="$NAME" '$1 == n {print $2}' "$OUT/copies-$CPU.txt")))
      awk -v n="$NAME" -v c="$CYC" -v m="$M" 'BEGIN {printf "| %s | %.2f | %d | %.1f | %.3f |\n", n, c, m, m / c, c / m}'
    done
  echo
done
