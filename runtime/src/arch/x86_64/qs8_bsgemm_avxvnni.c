/*
 * x86-64 AVX-VNNI block-sparse int8 GEMM (qs8_bsgemm_x86.h has the design).
 */
#define BS_DPBUSD256(acc, u, s) _mm256_dpbusd_avx_epi32(acc, u, s)
#include "qs8_bsgemm_x86.h"

/* 8 rows x one panel per step (a last block of fewer rows as broadcasts);
 * VEX has no broadcast memory operand, so each channel's weights are a
 * broadcast load of their own. */
static inline __attribute__((always_inline)) void qs8_bsgemm_8x8c4(const void *packed, size_t m, const int8_t *a,
                                                                   size_t a_stride, int8_t *c, size_t c_stride,
                                                                   const bool dround) {
  int32_t *start;
  int8_t *tile;
  if (!bsgemm_scratch(coopt_blob_of(packed), 8, &start, &tile))
    return;
  bsgemm_start(packed, start);
  for (size_t r0 = 0; r0 < m; r0 += 8) {
    /* 8 rows cost 8 vpdpbusd per block either way; fewer cost fewer as
     * broadcasts. */
    const size_t mr = m - r0 < 8 ? m - r0 : 8;
    if (mr == 8)
      bsgemm_rows8(packed, start, a + r0 * a_stride, a_stride, mr, c + r0 * c_stride, c_stride, tile, dround);
    else
      bsgemm_rows_few(packed, start, a + r0 * a_stride, a_stride, mr, c + r0 * c_stride, c_stride, tile, dround);
  }
  free(tile);
  free(start);
}

void coopt_qs8_bsgemm_8x8c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  qs8_bsgemm_8x8c4(packed, m, a, a_stride, c, c_stride, false);
}

void coopt_qs8_bsgemm_dround_8x8c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                            size_t c_stride) {
  qs8_bsgemm_8x8c4(packed, m, a, a_stride, c, c_stride, true);
}
