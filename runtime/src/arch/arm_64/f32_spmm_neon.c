/*
 * AArch64 NEON sparse f32 SpMM.
 */
#include "neon.h"

/* f32 SpMM, 16 pixels x 1 channel per step (4 q-registers); the driver
 * (tiles.h) runs the pixels past the last 16 one at a time. */
static inline __attribute__((always_inline)) void f32_spmm_16x1(const coopt_blob *b, float bias, uint32_t count,
                                                                coopt_f32_spmm_walk *W, float *o) {
  const float32x4_t vmin = vdupq_n_f32(b->fmin), vmax = vdupq_n_f32(b->fmax);
  float32x4_t a0 = vdupq_n_f32(bias), a1 = a0, a2 = a0, a3 = a0;
  const char *row = W->row;
  const float *pv = W->value;
  const int32_t *pd = W->step;
  for (uint32_t t = count; t; --t) {
    MCA_LOOP("f32_spmm_16x1__neon");
    const float32x4_t w = vld1q_dup_f32(pv++);
    const float *x = (const float *)row;
    a0 = vfmaq_f32(a0, w, vld1q_f32(x));
    a1 = vfmaq_f32(a1, w, vld1q_f32(x + 4));
    a2 = vfmaq_f32(a2, w, vld1q_f32(x + 8));
    a3 = vfmaq_f32(a3, w, vld1q_f32(x + 12));
    row += *pd++;
  }
  W->row = row, W->value = pv, W->step = pd;
  vst1q_f32(o, vminq_f32(vmaxq_f32(a0, vmin), vmax));
  vst1q_f32(o + 4, vminq_f32(vmaxq_f32(a1, vmin), vmax));
  vst1q_f32(o + 8, vminq_f32(vmaxq_f32(a2, vmin), vmax));
  vst1q_f32(o + 12, vminq_f32(vmaxq_f32(a3, vmin), vmax));
}

void coopt_f32_spmm_16x1__neon(const void *packed, size_t m, const float *in, float *out) {
  coopt_f32_spmm_drive(packed, m, in, out, 16, f32_spmm_16x1, 0, NULL, coopt_f32_spmm_1x1_fma);
}
