/*
 * x86-64 AVX2 + FMA dense f32 GEMM.
 */
#include "x86.h"

static inline void store8_f32(float *out, __m256 v, __m256 vmin, __m256 vmax, size_t ncols) {
  v = _mm256_min_ps(_mm256_max_ps(v, vmin), vmax);
  if (ncols == 8) {
    _mm256_storeu_ps(out, v);
  } else {
    float t[8];
    _mm256_storeu_ps(t, v);
    memcpy(out, t, ncols * 4);
  }
}

/* f32 GEMM, 4 rows x 16 channels (two 8-channel panels side by side): 8
 * independent FMA chains cover the FMA latency on both ports.  A lone last
 * panel runs the same loop with 8 channels. */
void coopt_f32_gemm_4x8__avx2_fma(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                                  size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  size_t k = b->k, panels = (b->n + COOPT_F32_NR - 1) / COOPT_F32_NR;
  const __m256 vmin = _mm256_set1_ps(b->fmin), vmax = _mm256_set1_ps(b->fmax);
  for (size_t p = 0; p < panels; p += 2) {
    bool two = p + 1 < panels;
    const float *p0 = (const float *)((const char *)packed + COOPT_BLOB_HEADER + p * coopt_f32_panel_bytes(k));
    const float *p1 = two ? (const float *)((const char *)p0 + coopt_f32_panel_bytes(k)) : p0;
    size_t n0 = b->n - p * COOPT_F32_NR < COOPT_F32_NR ? b->n - p * COOPT_F32_NR : COOPT_F32_NR;
    size_t n1 = two ? (b->n - (p + 1) * COOPT_F32_NR < COOPT_F32_NR ? b->n - (p + 1) * COOPT_F32_NR : COOPT_F32_NR) : 0;
    for (size_t r0 = 0; r0 < m; r0 += 4) {
      size_t mr = m - r0 < 4 ? m - r0 : 4;
      const float *ar[4];
      for (size_t r = 0; r < 4; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      __m256 x0 = _mm256_loadu_ps(p0), y0 = _mm256_loadu_ps(p1);
      __m256 x1 = x0, x2 = x0, x3 = x0, y1 = y0, y2 = y0, y3 = y0;
      const float *w0 = p0 + COOPT_F32_NR, *w1 = p1 + COOPT_F32_NR;
      for (size_t i = 0; i < k; ++i) {
        __m256 u = _mm256_loadu_ps(w0 + COOPT_F32_NR * i), v = _mm256_loadu_ps(w1 + COOPT_F32_NR * i);
        __m256 a0 = _mm256_broadcast_ss(ar[0] + i), a1 = _mm256_broadcast_ss(ar[1] + i);
        __m256 a2 = _mm256_broadcast_ss(ar[2] + i), a3 = _mm256_broadcast_ss(ar[3] + i);
        x0 = _mm256_fmadd_ps(a0, u, x0), y0 = _mm256_fmadd_ps(a0, v, y0);
        x1 = _mm256_fmadd_ps(a1, u, x1), y1 = _mm256_fmadd_ps(a1, v, y1);
        x2 = _mm256_fmadd_ps(a2, u, x2), y2 = _mm256_fmadd_ps(a2, v, y2);
        x3 = _mm256_fmadd_ps(a3, u, x3), y3 = _mm256_fmadd_ps(a3, v, y3);
      }
      __m256 xs[4] = {x0, x1, x2, x3}, ys[4] = {y0, y1, y2, y3};
      for (size_t r = 0; r < mr; ++r) {
        float *out = c + (r0 + r) * c_stride + p * COOPT_F32_NR;
        store8_f32(out, xs[r], vmin, vmax, n0);
        if (two)
          store8_f32(out + COOPT_F32_NR, ys[r], vmin, vmax, n1);
      }
    }
  }
}
