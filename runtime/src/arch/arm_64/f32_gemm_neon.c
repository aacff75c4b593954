/*
 * AArch64 NEON dense f32 GEMM.
 */
#include "neon.h"

/* f32 GEMM, 4 rows x 8 channels: two FMLA by lane per row per K step. */
void coopt_f32_gemm_4x8__neon(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                              size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  size_t k = b->k;
  const float32x4_t vmin = vdupq_n_f32(b->fmin), vmax = vdupq_n_f32(b->fmax);
  for (size_t p = 0; p * COOPT_F32_NR < b->n; ++p) {
    const float *panel = (const float *)((const char *)packed + COOPT_BLOB_HEADER + p * coopt_f32_panel_bytes(k));
    size_t ncols = b->n - p * COOPT_F32_NR < COOPT_F32_NR ? b->n - p * COOPT_F32_NR : COOPT_F32_NR;
    for (size_t r0 = 0; r0 < m; r0 += 4) {
      size_t mr = m - r0 < 4 ? m - r0 : 4;
      const float *ar[4];
      for (size_t r = 0; r < 4; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      float32x4_t acc[4][2];
      for (int r = 0; r < 4; ++r)
        acc[r][0] = vld1q_f32(panel), acc[r][1] = vld1q_f32(panel + 4);
      const float *w = panel + COOPT_F32_NR;
      for (size_t i = 0; i < k; ++i, w += COOPT_F32_NR) {
        MCA_LOOP("f32_gemm_4x8__neon");
        float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4);
        for (int r = 0; r < 4; ++r) {
          float32x4_t x = vld1q_dup_f32(ar[r] + i);
          acc[r][0] = vfmaq_f32(acc[r][0], w0, x);
          acc[r][1] = vfmaq_f32(acc[r][1], w1, x);
        }
      }
      for (size_t r = 0; r < mr; ++r) {
        float t[8];
        vst1q_f32(t, vminq_f32(vmaxq_f32(acc[r][0], vmin), vmax));
        vst1q_f32(t + 4, vminq_f32(vmaxq_f32(acc[r][1], vmin), vmax));
        memcpy(c + (r0 + r) * c_stride + p * COOPT_F32_NR, t, ncols * 4);
      }
    }
  }
}
