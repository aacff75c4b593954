/*
 * x86-64 AVX2 + FMA sparse f32 SpMM.
 */
#include "x86.h"

/* f32 SpMM (XNNPACK's 32x1 scheme): 32 pixels of one output channel at a
 * time; each nonzero weight is one broadcast and 4 FMAs over the input row
 * its delta leads to.  The driver (tiles.h) runs the tails as 8 pixels and
 * then single ones. */
static inline __attribute__((always_inline)) void f32_spmm_32x1(const coopt_blob *b, float bias, uint32_t count,
                                                                coopt_f32_spmm_walk *W, float *o) {
  const __m256 vmin = _mm256_set1_ps(b->fmin), vmax = _mm256_set1_ps(b->fmax);
  __m256 a0 = _mm256_set1_ps(bias), a1 = a0, a2 = a0, a3 = a0;
  const char *row = W->row;
  const float *pv = W->value;
  const int32_t *pd = W->step;
  for (uint32_t t = count; t; --t) {
    const __m256 w = _mm256_broadcast_ss(pv++);
    const float *x = (const float *)row;
    a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x), a0);
    a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 8), a1);
    a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 16), a2);
    a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 24), a3);
    row += *pd++;
  }
  W->row = row, W->value = pv, W->step = pd;
  _mm256_storeu_ps(o, _mm256_min_ps(_mm256_max_ps(a0, vmin), vmax));
  _mm256_storeu_ps(o + 8, _mm256_min_ps(_mm256_max_ps(a1, vmin), vmax));
  _mm256_storeu_ps(o + 16, _mm256_min_ps(_mm256_max_ps(a2, vmin), vmax));
  _mm256_storeu_ps(o + 24, _mm256_min_ps(_mm256_max_ps(a3, vmin), vmax));
}

static inline __attribute__((always_inline)) void f32_spmm_8x1(const coopt_blob *b, float bias, uint32_t count,
                                                               coopt_f32_spmm_walk *W, float *o) {
  __m256 a0 = _mm256_set1_ps(bias);
  const char *row = W->row;
  const float *pv = W->value;
  const int32_t *pd = W->step;
  for (uint32_t t = count; t; --t) {
    a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(pv++), _mm256_loadu_ps((const float *)row), a0);
    row += *pd++;
  }
  W->row = row, W->value = pv, W->step = pd;
  _mm256_storeu_ps(o, _mm256_min_ps(_mm256_max_ps(a0, _mm256_set1_ps(b->fmin)), _mm256_set1_ps(b->fmax)));
}

void coopt_f32_spmm_32x1__avx2_fma(const void *packed, size_t m, const float *in, float *out) {
  coopt_f32_spmm_drive(packed, m, in, out, 32, f32_spmm_32x1, 8, f32_spmm_8x1, coopt_f32_spmm_1x1_fma);
}
