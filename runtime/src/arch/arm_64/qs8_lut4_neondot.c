/*
 * AArch64 4-bit lookup-table int8 GEMM with SDOT.
 */
#include "neon.h"

#if defined(__ARM_FEATURE_DOTPROD)

/* qs8 lookup-table GEMM/GEMV, 1 row x 1 channel, 32 K per step: split 16
 * bytes of nibbles, two TBLs against the channel's codebook (one register),
 * zip back to K order, two SDOTs. */
static inline __attribute__((always_inline)) void lut4_1x1c16(const coopt_blob *b, const coopt_chan_view *V,
                                                              coopt_qs8_rows *R, size_t ch, size_t nc, int32_t *sum) {
  (void)nc;
  const int8_t *x = R->x[0], *book = V->codebook + 16 * ch;
  const uint8_t *cc = (const uint8_t *)V->values + ch * (b->kp / 2);
  const size_t k = b->k, k32 = k / 32 * 32, k16 = k / 16 * 16;
  const uint8x16_t nib = vdupq_n_u8(0x0F);
  const int8x16_t table = vld1q_s8(book);
  int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
  size_t i = 0;
  for (; i < k32; i += 32) {
    MCA_LOOP("qs8_lut4_gemm_1x1c16__neondot");
    uint8x16_t bytes = vld1q_u8(cc + i / 2);
    int8x16_t we = vqtbl1q_s8(table, vandq_u8(bytes, nib));
    int8x16_t wo = vqtbl1q_s8(table, vshrq_n_u8(bytes, 4));
    acc0 = vdotq_s32(acc0, vzip1q_s8(we, wo), vld1q_s8(x + i));
    acc1 = vdotq_s32(acc1, vzip2q_s8(we, wo), vld1q_s8(x + i + 16));
  }
  if (i < k16) {
    uint8x16_t bytes = vcombine_u8(vld1_u8(cc + i / 2), vdup_n_u8(0));
    int8x16_t we = vqtbl1q_s8(table, vandq_u8(bytes, nib));
    int8x16_t wo = vqtbl1q_s8(table, vshrq_n_u8(bytes, 4));
    acc0 = vdotq_s32(acc0, vzip1q_s8(we, wo), vld1q_s8(x + i));
    i += 16;
  }
  sum[0] = vaddvq_s32(vaddq_s32(acc0, acc1)) + coopt_lut4_dot(x, cc, book, i, k);
}

void coopt_qs8_lut4_gemm_1x1c16__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 1, NULL, lut4_1x1c16);
}

#endif
