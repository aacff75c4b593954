/*
 * Helpers shared by the AArch64 NEON tiles (internal): the llvm-mca region
 * markers and the scalar requantizing row store.  Each tile family lives in
 * a file of its own (arch/arm_64/<family>_<isa>.c, as on x86); files of the
 * dot-product and int8 matrix-multiply extensions compile to nothing where
 * the target lacks them, and the dispatcher's tables list only what was
 * built.
 */
#ifndef COOPT_RT_ARCH_ARM_64_NEON_H
#define COOPT_RT_ARCH_ARM_64_NEON_H

#include "../../tiles.h"

#include <arm_neon.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* llvm-mca loops (bench/mca-kernels.sh builds with -DCOOPT_MCA -S): one
 * empty asm comment inside a kernel's steady-state loop names it, and the
 * script makes the region the whole loop that holds it, from its label to
 * its backward branch.  A BEGIN/END pair in the source measured only what
 * the compiler happened to schedule between the two comments (an asm
 * statement orders no register arithmetic): the SDOTs of four kernels
 * and the FMAs of the f32 SpMM were outside their regions.  Only that build
 * carries the marker. */
#ifdef COOPT_MCA
#define MCA_LOOP(name) __asm volatile("# coopt-mca-loop " name)
#else
#define MCA_LOOP(name)
#endif

/* One output row of an int8 GEMM panel (8 channels, ncols of them real):
 * the int32 accumulators to acc_out, or requantized to c. */
static inline void store_row8(const coopt_blob *b, int32x4_t lo, int32x4_t hi, const int32_t *pm, const int32_t *ps,
                              int8_t *c, int32_t *acc_out, size_t ncols) {
  int32_t t[8];
  vst1q_s32(t, lo);
  vst1q_s32(t + 4, hi);
  if (acc_out) {
    memcpy(acc_out, t, ncols * 4);
  } else {
    for (size_t j = 0; j < ncols; ++j)
      c[j] = coopt_requant(t[j], pm[j], ps[j], b);
  }
}

/* The dense int8 GEMM's panel and row loops, shared by the NEON, SDOT and
 * SMMLA tiles: panel by panel, `rows` rows a step (rows past m repeat the
 * last one and are not stored), the tile's int32 sums of the step's rows
 * for the panel's 8 channels (without the bias), then bias and store. */
typedef void (*coopt_neon_gemm_tile_fn)(const coopt_blob *b, const int8_t *pw, const int8_t *const ar[8], size_t mr,
                                        int32x4_t sums[8][2]);

static inline __attribute__((always_inline)) void
coopt_neon_gemm_drive(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride,
                      int32_t *acc_out, size_t acc_stride, const size_t rows, const coopt_neon_gemm_tile_fn tile) {
  const coopt_blob *b = coopt_blob_of(packed);
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_qs8_panel P = coopt_qs8_panel_of(packed, p);
    const int32x4_t b0 = vld1q_s32(P.bias), b1 = vld1q_s32(P.bias + 4);
    const size_t col = p * COOPT_QS8_NR;
    for (size_t r0 = 0; r0 < m; r0 += rows) {
      const size_t mr = m - r0 < rows ? m - r0 : rows;
      const int8_t *ar[8];
      for (size_t r = 0; r < rows; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      int32x4_t sums[8][2];
      tile(b, P.w, ar, mr, sums);
      for (size_t r = 0; r < mr; ++r)
        store_row8(b, vaddq_s32(sums[r][0], b0), vaddq_s32(sums[r][1], b1), P.mult, P.shift,
                   c ? c + (r0 + r) * c_stride + col : NULL, acc_out ? acc_out + (r0 + r) * acc_stride + col : NULL,
                   P.ncols);
    }
  }
}

#endif
