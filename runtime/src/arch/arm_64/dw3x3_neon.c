/*
 * AArch64 NEON depthwise 3x3, int8 and f32.
 */
#include "neon.h"

/* Depthwise 3x3, NHWC, 16 channels x 9 taps per output pixel: SMULL /
 * SMULL2 into int16 (exact: |a*w| <= 128*127), SADDW into int32.  A tap
 * outside the input reads the activation zero point. */
void coopt_qs8_dw3x3_16c__neon(const void *packed, const int8_t *in, int8_t *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  const int32_t *pb = D.bias, *pm = D.mult, *ps = D.shift;
  const int8_t *pw = D.w;
  const size_t c16 = C / 16 * 16;
  const int8x16_t azp = vdupq_n_s8((int8_t)b->a_zero_point);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const int8_t *tap[9];
      coopt_dw_taps(&s, in, sizeof *in, y, x, (const void **)tap);
      int8_t *o = out + (y * ow + x) * C;
      for (size_t c = 0; c < c16; c += 16) {
        int32x4_t acc0 = vld1q_s32(pb + c), acc1 = vld1q_s32(pb + c + 4), acc2 = vld1q_s32(pb + c + 8),
                  acc3 = vld1q_s32(pb + c + 12);
        for (size_t t = 0; t < 9; ++t) {
          int8x16_t xv = tap[t] ? vld1q_s8(tap[t] + c) : azp, wv = vld1q_s8(pw + t * C + c);
          int16x8_t p0 = vmull_s8(vget_low_s8(xv), vget_low_s8(wv)), p1 = vmull_high_s8(xv, wv);
          acc0 = vaddw_s16(acc0, vget_low_s16(p0)), acc1 = vaddw_high_s16(acc1, p0);
          acc2 = vaddw_s16(acc2, vget_low_s16(p1)), acc3 = vaddw_high_s16(acc3, p1);
        }
        int32_t t32[16];
        vst1q_s32(t32, acc0), vst1q_s32(t32 + 4, acc1), vst1q_s32(t32 + 8, acc2), vst1q_s32(t32 + 12, acc3);
        for (size_t j = 0; j < 16; ++j)
          o[c + j] = coopt_requant(t32[j], pm[c + j], ps[c + j], b);
      }
      for (size_t c = c16; c < C; ++c)
        o[c] = coopt_qs8_dw_channel(tap, pw, C, c, pb[c], pm[c], ps[c], b);
    }
}

/* f32 depthwise 3x3, NHWC, 4 channels x 9 taps per output pixel (FMLA). */
void coopt_f32_dw3x3_4c__neon(const void *packed, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s), c4 = C / 4 * 4;
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  const float *pb = D.fbias, *pw = D.fw;
  const float32x4_t vmin = vdupq_n_f32(b->fmin), vmax = vdupq_n_f32(b->fmax);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const float *tap[9];
      coopt_dw_taps(&s, in, sizeof *in, y, x, (const void **)tap);
      float *o = out + (y * ow + x) * C;
      for (size_t ch = 0; ch < c4; ch += 4) {
        float32x4_t acc = vld1q_f32(pb + ch);
        for (size_t t = 0; t < 9; ++t)
          if (tap[t])
            acc = vfmaq_f32(acc, vld1q_f32(tap[t] + ch), vld1q_f32(pw + t * C + ch));
        vst1q_f32(o + ch, vminq_f32(vmaxq_f32(acc, vmin), vmax));
      }
      for (size_t ch = c4; ch < C; ++ch)
        o[ch] = coopt_f32_dw_channel(tap, pw, C, ch, pb[ch], b);
    }
}
