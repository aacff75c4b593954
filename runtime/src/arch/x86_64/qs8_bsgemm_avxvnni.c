/*
 * x86-64 AVX-VNNI block-sparse int8 GEMM (qs8_bsgemm_x86.h has the design).
 */
#define BS_DPBUSD256(acc, u, s) _mm256_dpbusd_avx_epi32(acc, u, s)
#include "qs8_bsgemm_x86.h"

/* 8 rows x one panel per step (a last block of fewer rows as broadcasts:
 * 8 rows cost 8 vpdpbusd per block either way, fewer cost fewer as
 * broadcasts); VEX has no broadcast memory operand, so each channel's
 * weights are a broadcast load of their own. */
static size_t rows_of(size_t mr) { return mr; }

static inline __attribute__((always_inline)) void panel_8x8(const coopt_blob *b, const coopt_bs_panel *P,
                                                            const int32_t *start, const int8_t *tile, size_t rows,
                                                            size_t mr, int8_t *c, size_t c_stride, const bool dround) {
  if (rows == 8)
    bs_panel_rows8(b, P, start, tile, mr, c, c_stride, dround);
  else
    bs_panel_broadcast(b, P, start, tile, rows, c, c_stride, dround);
}

static inline __attribute__((always_inline)) void qs8_bsgemm_8x8c4(const void *packed, size_t m, const int8_t *a,
                                                                   size_t a_stride, int8_t *c, size_t c_stride,
                                                                   const bool dround) {
  coopt_bsgemm_drive(packed, m, a, a_stride, c, c_stride,
                     (coopt_bs_shape){.rows_max = 8,
                                      .flip = 0x80808080u,
                                      .rows_of = rows_of,
                                      .regroup = coopt_regroup_rows,
                                      .start = bsgemm_start,
                                      .panel = panel_8x8},
                     dround);
}

void coopt_qs8_bsgemm_8x8c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  qs8_bsgemm_8x8c4(packed, m, a, a_stride, c, c_stride, false);
}

void coopt_qs8_bsgemm_dround_8x8c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                            size_t c_stride) {
  qs8_bsgemm_8x8c4(packed, m, a, a_stride, c, c_stride, true);
}
