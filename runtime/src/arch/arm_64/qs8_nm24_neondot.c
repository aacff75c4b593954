/*
 * AArch64 2:4 sparse int8 GEMM with SDOT.
 */
#include "neon.h"

#if defined(__ARM_FEATURE_DOTPROD)

/* qs8 2:4 sparse GEMM/GEMV, 1 row x 2 channels, 16 K per step: each
 * channel's 8 position nibbles become 8 TBL indices (and, shift, zip), one
 * TBL gathers both channels' 16 activations from the window and one SDOT
 * multiplies them by the 16 kept values: half the MACs of dense.  The last
 * window reads the zero-padded copy of the row's tail (coopt_nm24_tail_row). */
static inline __attribute__((always_inline)) void nm24_1x2c16(const coopt_blob *b, const coopt_chan_view *V,
                                                              coopt_qs8_rows *R, size_t ch, size_t nc, int32_t *sum) {
  const size_t windows = b->kp / COOPT_NM24_WINDOW, full = b->k / COOPT_NM24_WINDOW;
  const int8_t *x = R->x[0], *tail = R->scratch;
  const coopt_nm24_pair P = coopt_nm24_pair_of(b, V, ch, nc);
  const uint8x8_t nib = vdup_n_u8(15);
  int32x4_t acc = vdupq_n_s32(0);
  for (size_t win = 0; win < windows; ++win) {
    MCA_LOOP("qs8_nm24_gemm_1x2c16__neondot");
    int8x16_t xw = vld1q_s8(win < full ? x + win * COOPT_NM24_WINDOW : tail);
    uint32_t q0, q1;
    memcpy(&q0, P.pos[0] + 4 * win, 4);
    memcpy(&q1, P.pos[1] + 4 * win, 4);
    uint8x8_t n0 = vreinterpret_u8_u32(vdup_n_u32(q0)), n1 = vreinterpret_u8_u32(vdup_n_u32(q1));
    uint8x16_t idx =
        vcombine_u8(vzip1_u8(vand_u8(n0, nib), vshr_n_u8(n0, 4)), vzip1_u8(vand_u8(n1, nib), vshr_n_u8(n1, 4)));
    int8x16_t vv = vcombine_s8(vld1_s8(P.val[0] + 8 * win), vld1_s8(P.val[1] + 8 * win));
    acc = vdotq_s32(acc, vqtbl1q_s8(xw, idx), vv);
  }
  int32x2_t sums = vpadd_s32(vget_low_s32(acc), vget_high_s32(acc));
  sum[0] = vget_lane_s32(sums, 0);
  sum[1] = vget_lane_s32(sums, 1);
}

void coopt_qs8_nm24_gemm_1x2c16__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 2, coopt_nm24_tail_row, nm24_1x2c16);
}

#endif
