/*
 * x86-64 AVX2 + FMA sparse f32 SpMM.
 */
#include "x86.h"

#include <math.h>

/* f32 SpMM (XNNPACK's 32x1 scheme): 32 pixels of one output channel at a
 * time; each nonzero weight is one broadcast and 4 FMAs over the input row
 * its delta leads to.  Tails of 8 and then single pixels. */
void coopt_f32_spmm_32x1__avx2_fma(const void *packed, size_t m, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const float *pb = V.fbias, *pv0 = V.values;
  const uint32_t *pn = V.nnz;
  const int32_t *pd0 = V.deltas;
  const __m256 vmin = _mm256_set1_ps(b->fmin), vmax = _mm256_set1_ps(b->fmax);
  size_t r = 0;
  for (; r + 32 <= m; r += 32) {
    const char *row = (const char *)(in + r) + pd0[0];
    const float *pv = pv0;
    const int32_t *pd = pd0 + 1;
    for (size_t ch = 0; ch < b->n; ++ch) {
      __m256 a0 = _mm256_broadcast_ss(pb + ch), a1 = a0, a2 = a0, a3 = a0;
      for (uint32_t t = pn[ch]; t; --t) {
        const __m256 w = _mm256_broadcast_ss(pv++);
        const float *x = (const float *)row;
        a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x), a0);
        a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 8), a1);
        a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 16), a2);
        a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 24), a3);
        row += *pd++;
      }
      float *o = out + ch * b->m_stride + r;
      _mm256_storeu_ps(o, _mm256_min_ps(_mm256_max_ps(a0, vmin), vmax));
      _mm256_storeu_ps(o + 8, _mm256_min_ps(_mm256_max_ps(a1, vmin), vmax));
      _mm256_storeu_ps(o + 16, _mm256_min_ps(_mm256_max_ps(a2, vmin), vmax));
      _mm256_storeu_ps(o + 24, _mm256_min_ps(_mm256_max_ps(a3, vmin), vmax));
    }
  }
  for (; r + 8 <= m; r += 8) {
    const char *row = (const char *)(in + r) + pd0[0];
    const float *pv = pv0;
    const int32_t *pd = pd0 + 1;
    for (size_t ch = 0; ch < b->n; ++ch) {
      __m256 a0 = _mm256_broadcast_ss(pb + ch);
      for (uint32_t t = pn[ch]; t; --t) {
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(pv++), _mm256_loadu_ps((const float *)row), a0);
        row += *pd++;
      }
      _mm256_storeu_ps(out + ch * b->m_stride + r, _mm256_min_ps(_mm256_max_ps(a0, vmin), vmax));
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
