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

static size_t rows_of(size_t mr) { return mr <= 4 ? 4 : 8; }

static inline __attribute__((always_inline)) void panel_8x8(const coopt_blob *b, const coopt_bs_panel *P,
                                                            const int32_t *start, const int8_t *tile, size_t rows,
                                                            size_t mr, int8_t *c, size_t c_stride, const bool dround) {
  (void)start, (void)dround; /* the bias is the panel's; store_row8 requantizes either rounding */
  if (rows == 8)
    bs_panel(b, P, tile, 8, mr, c, c_stride);
  else
    bs_panel(b, P, tile, 4, mr, c, c_stride);
}

void coopt_qs8_bsgemm_8x8c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  coopt_bsgemm_drive(
      packed, m, a, a_stride, c, c_stride,
      (coopt_bs_shape){.rows_max = 8, .rows_of = rows_of, .regroup = coopt_regroup_rows, .panel = panel_8x8}, false);
}

#endif
