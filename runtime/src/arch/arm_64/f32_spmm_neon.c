/*
 * AArch64 NEON sparse f32 SpMM.
 */
#include "neon.h"

/* f32 SpMM, 16 pixels x 1 channel per step (4 q-registers). */
void coopt_f32_spmm_16x1__neon(const void *packed, size_t m, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const float *pb = V.fbias, *pv0 = V.values;
  const uint32_t *pn = V.nnz;
  const int32_t *pd0 = V.deltas;
  const float32x4_t vmin = vdupq_n_f32(b->fmin), vmax = vdupq_n_f32(b->fmax);
  size_t r = 0;
  for (; r + 16 <= m; r += 16) {
    const char *row = (const char *)(in + r) + pd0[0];
    const float *pv = pv0;
    const int32_t *pd = pd0 + 1;
    for (size_t ch = 0; ch < b->n; ++ch) {
      float32x4_t a0 = vld1q_dup_f32(pb + ch), a1 = a0, a2 = a0, a3 = a0;
      for (uint32_t t = pn[ch]; t; --t) {
        MCA_BEGIN("f32_spmm_16x1__neon");
        const float32x4_t w = vld1q_dup_f32(pv++);
        const float *x = (const float *)row;
        a0 = vfmaq_f32(a0, w, vld1q_f32(x));
        a1 = vfmaq_f32(a1, w, vld1q_f32(x + 4));
        a2 = vfmaq_f32(a2, w, vld1q_f32(x + 8));
        a3 = vfmaq_f32(a3, w, vld1q_f32(x + 12));
        row += *pd++;
        MCA_END("f32_spmm_16x1__neon");
      }
      float *o = out + ch * b->m_stride + r;
      vst1q_f32(o, vminq_f32(vmaxq_f32(a0, vmin), vmax));
      vst1q_f32(o + 4, vminq_f32(vmaxq_f32(a1, vmin), vmax));
      vst1q_f32(o + 8, vminq_f32(vmaxq_f32(a2, vmin), vmax));
      vst1q_f32(o + 12, vminq_f32(vmaxq_f32(a3, vmin), vmax));
    }
  }
  for (; r < m; ++r) {
    const char *row = (const char *)(in + r) + pd0[0];
    const float *pv = pv0;
    const int32_t *pd = pd0 + 1;
    for (size_t ch = 0; ch < b->n; ++ch) {
      float s = pb[ch];
      for (uint32_t t = pn[ch]; t; --t) {
        s = fmaf(*pv++, *(const float *)row, s);
        row += *pd++;
      }
      out[ch * b->m_stride + r] = s < b->fmin ? b->fmin : s > b->fmax ? b->fmax : s;
    }
  }
}
