/*
 * AArch64 2:4 sparse int8 GEMM with SDOT.
 */
#include "neon.h"

#if defined(__ARM_FEATURE_DOTPROD)

/* qs8 2:4 sparse GEMM/GEMV, 1 row x 2 channels, 16 K per step: each
 * channel's 8 position nibbles become 8 TBL indices (and, shift, zip), one
 * TBL gathers both channels' 16 activations from the window and one SDOT
 * multiplies them by the 16 kept values: half the MACs of dense.  The last
 * window reads a zero-padded copy of the row's tail. */
void coopt_qs8_nm24_gemm_1x2c16__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const uint8_t *pos = V.nm24_pos;
  const int8_t *val = (const int8_t *)V.values;
  const size_t k = b->k, kp = b->kp, windows = kp / COOPT_NM24_WINDOW, full = k / COOPT_NM24_WINDOW;
  const uint8x8_t nib = vdup_n_u8(15);
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    int8_t tail[COOPT_NM24_WINDOW] = {0};
    if (full < windows)
      memcpy(tail, x + full * COOPT_NM24_WINDOW, k - full * COOPT_NM24_WINDOW);
    for (size_t ch = 0; ch < b->n; ch += 2) {
      const size_t nc = b->n - ch < 2 ? 1 : 2, c1 = ch + nc - 1;
      const uint8_t *p0 = pos + ch * kp / 4, *p1 = pos + c1 * kp / 4;
      const int8_t *v0 = val + ch * kp / 2, *v1 = val + c1 * kp / 2;
      int32x4_t acc = vdupq_n_s32(0);
      for (size_t win = 0; win < windows; ++win) {
        MCA_BEGIN("qs8_nm24_gemm_1x2c16__neondot");
        int8x16_t xw = vld1q_s8(win < full ? x + win * COOPT_NM24_WINDOW : tail);
        uint32_t q0, q1;
        memcpy(&q0, p0 + 4 * win, 4);
        memcpy(&q1, p1 + 4 * win, 4);
        uint8x8_t n0 = vreinterpret_u8_u32(vdup_n_u32(q0)), n1 = vreinterpret_u8_u32(vdup_n_u32(q1));
        uint8x16_t idx =
            vcombine_u8(vzip1_u8(vand_u8(n0, nib), vshr_n_u8(n0, 4)), vzip1_u8(vand_u8(n1, nib), vshr_n_u8(n1, 4)));
        int8x16_t vv = vcombine_s8(vld1_s8(v0 + 8 * win), vld1_s8(v1 + 8 * win));
        acc = vdotq_s32(acc, vqtbl1q_s8(xw, idx), vv);
        MCA_END("qs8_nm24_gemm_1x2c16__neondot");
      }
      int32x2_t sums = vpadd_s32(vget_low_s32(acc), vget_high_s32(acc));
      c[r * c_stride + ch] = coopt_requant(V.bias[ch] + vget_lane_s32(sums, 0), V.mult[ch], V.shift[ch], b);
      if (nc == 2)
        c[r * c_stride + c1] = coopt_requant(V.bias[c1] + vget_lane_s32(sums, 1), V.mult[c1], V.shift[c1], b);
    }
  }
}

#endif
