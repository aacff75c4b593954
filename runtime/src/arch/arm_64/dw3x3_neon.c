/*
 * AArch64 NEON depthwise 3x3, int8 and f32.
 */
#include "neon.h"

/* Depthwise 3x3, NHWC, 16 channels x 9 taps per output pixel: SMULL /
 * SMULL2 into int16 (exact: |a*w| <= 128*127), SADDW into int32.  A tap
 * outside the input reads the activation zero point.  The pixel loop is
 * tiles.h's coopt_dw3x3_drive. */
static inline void qs8_dw_tile16(const coopt_blob *b, const coopt_dw_arrays *D, size_t C, const void *const taps[9],
                                 size_t c, void *out, bool dround) {
  (void)dround; /* coopt_requant reads the rounding from the blob */
  int8_t *o = out;
  const int32_t *pb = D->bias, *pm = D->mult;
  const uint8_t *ps = D->shift;
  const int8x16_t azp = vdupq_n_s8((int8_t)b->a_zero_point);
  int32x4_t acc0 = vld1q_s32(pb + c), acc1 = vld1q_s32(pb + c + 4), acc2 = vld1q_s32(pb + c + 8),
            acc3 = vld1q_s32(pb + c + 12);
  for (size_t t = 0; t < 9; ++t) {
    int8x16_t xv = taps[t] ? vld1q_s8((const int8_t *)taps[t] + c) : azp, wv = vld1q_s8(D->w + t * C + c);
    int16x8_t p0 = vmull_s8(vget_low_s8(xv), vget_low_s8(wv)), p1 = vmull_high_s8(xv, wv);
    acc0 = vaddw_s16(acc0, vget_low_s16(p0)), acc1 = vaddw_high_s16(acc1, p0);
    acc2 = vaddw_s16(acc2, vget_low_s16(p1)), acc3 = vaddw_high_s16(acc3, p1);
  }
  int32_t t32[16];
  vst1q_s32(t32, acc0), vst1q_s32(t32 + 4, acc1), vst1q_s32(t32 + 8, acc2), vst1q_s32(t32 + 12, acc3);
  for (size_t j = 0; j < 16; ++j)
    o[c + j] = coopt_requant(t32[j], pm[c + j], ps[c + j], b);
}

void coopt_qs8_dw3x3_16c__neon(const void *packed, const int8_t *in, int8_t *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 16, qs8_dw_tile16, coopt_qs8_dw_one, false);
}

/* f32 depthwise 3x3, NHWC, 4 channels x 9 taps per output pixel (FMLA). */
static inline void f32_dw_tile4(const coopt_blob *b, const coopt_dw_arrays *D, size_t C, const void *const taps[9],
                                size_t c, void *out, bool dround) {
  (void)dround;
  float *o = out;
  float32x4_t acc = vld1q_f32(D->fbias + c);
  for (size_t t = 0; t < 9; ++t)
    if (taps[t])
      acc = vfmaq_f32(acc, vld1q_f32((const float *)taps[t] + c), vld1q_f32(D->fw + t * C + c));
  vst1q_f32(o + c, vminq_f32(vmaxq_f32(acc, vdupq_n_f32(b->fmin)), vdupq_n_f32(b->fmax)));
}

void coopt_f32_dw3x3_4c__neon(const void *packed, const float *in, float *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 4, f32_dw_tile4, coopt_f32_dw_one, false);
}
