/*
 * AArch64 block-sparse (8x4) int8 GEMM with SDOT.
 */
#include "neon.h"

#if defined(__ARM_FEATURE_DOTPROD)

/* Block-sparse, 8 rows x 8 channels: the activations of 8 rows regrouped
 * per K group ([group][8 rows][4], once per 8 rows and read by every
 * panel), so a kept block is two 16-byte tile loads, the block's two
 * 16-byte halves and 16 SDOTs by lane, the dense tile's SDOTs per MAC with
 * the group picked by the block index instead of the loop; a zero block
 * costs nothing.  A last block of at most 4 rows runs a 4-row body (8
 * SDOTs per block).  Rows past m repeat the last row and are not stored. */
/* One panel: `rows` (4 or 8, a constant where inlined) rows of the tile. */
static inline __attribute__((always_inline)) void bs_panel(const coopt_blob *b, const coopt_bs_panel *P,
                                                           const int8_t *tile, const size_t rows, size_t mr, int8_t *c,
                                                           size_t c_stride) {
  const int32x4_t b0 = vld1q_s32(P->bias), b1 = vld1q_s32(P->bias + 4);
  int32x4_t acc[8][2];
  for (size_t r = 0; r < rows; ++r)
    acc[r][0] = b0, acc[r][1] = b1;
  const int8_t *at = tile, *blk = P->blocks;
  for (size_t q = 0; q < P->nb; ++q, blk += 32) {
    if (rows == 8)
      MCA_LOOP("qs8_bsgemm_8x8c4__neondot");
    else
      MCA_LOOP("qs8_bsgemm_4x8c4__neondot");
    at += 4 * rows * (size_t)P->delta[q];
    const int8x16_t w0 = vld1q_s8(blk), w1 = vld1q_s8(blk + 16);
    for (size_t h = 0; h < rows / 4; ++h) {
      const int8x16_t t = vld1q_s8(at + 16 * h);
      int32x4_t *x = acc[4 * h];
      x[0] = vdotq_laneq_s32(x[0], w0, t, 0), x[1] = vdotq_laneq_s32(x[1], w1, t, 0);
      x[2] = vdotq_laneq_s32(x[2], w0, t, 1), x[3] = vdotq_laneq_s32(x[3], w1, t, 1);
      x[4] = vdotq_laneq_s32(x[4], w0, t, 2), x[5] = vdotq_laneq_s32(x[5], w1, t, 2);
      x[6] = vdotq_laneq_s32(x[6], w0, t, 3), x[7] = vdotq_laneq_s32(x[7], w1, t, 3);
    }
  }
  for (size_t r = 0; r < mr; ++r)
    store_row8(b, acc[r][0], acc[r][1], P->mult, P->shift, c + r * c_stride, NULL, P->ncols);
}

void coopt_qs8_bsgemm_8x8c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t groups = b->kp / COOPT_QS8_KR;
  int8_t *tile = malloc(groups * 32);
  if (!tile)
    return;
  for (size_t r0 = 0; r0 < m; r0 += 8) {
    const size_t mr = m - r0 < 8 ? m - r0 : 8, rows = mr <= 4 ? 4 : 8;
    coopt_regroup_rows(a + r0 * a_stride, a_stride, mr, rows, b->k, groups, 0, tile);
    for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
      const coopt_bs_panel P = coopt_bs_panel_of(packed, p);
      int8_t *cp = c + r0 * c_stride + p * COOPT_QS8_NR;
      if (rows == 8)
        bs_panel(b, &P, tile, 8, mr, cp, c_stride);
      else
        bs_panel(b, &P, tile, 4, mr, cp, c_stride);
    }
  }
  free(tile);
}

#endif
