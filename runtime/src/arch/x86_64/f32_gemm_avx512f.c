/*
 * x86-64 AVX-512F dense f32 GEMM.
 */
#include "x86.h"

/* Two adjacent 8-channel panels' rows as one zmm (16 channels). */
static inline __m512 join8x2(const float *lo, const float *hi) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(lo))),
                                             _mm256_castps_pd(_mm256_loadu_ps(hi)), 1));
}

static inline void store16_f32(float *out, __m512 v, __m512 vmin, __m512 vmax, __mmask16 keep) {
  _mm512_mask_storeu_ps(out, keep, _mm512_min_ps(_mm512_max_ps(v, vmin), vmax));
}

/* One row's FMA into its two accumulators; the activation is an embedded
 * broadcast operand of the FMA. */
#define ROW_FMA(r)                                                                                                     \
  do {                                                                                                                 \
    const __m512 s = _mm512_set1_ps(ar[r][i]);                                                                         \
    x##r = _mm512_fmadd_ps(s, u, x##r), y##r = _mm512_fmadd_ps(s, v, y##r);                                            \
  } while (0)

/* f32 GEMM, 8 rows x 32 channels (four 8-channel panels, two per zmm): 16
 * independent FMA chains, each weight vector feeding 8 FMAs.  The order of
 * the additions is the AVX2 tile's (bias, then k = 0, 1, ... by FMA), so the
 * two give the same bits.  Rows past M repeat the last row and are not
 * stored; a last block of at most 4 rows goes to the AVX2 tile, whose
 * 4-row body wastes less.  Panels past N repeat the last real one and are
 * not stored. */
void coopt_f32_gemm_8x32__avx512f(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                                  size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t k = b->k, panels = (b->n + COOPT_F32_NR - 1) / COOPT_F32_NR, pbytes = coopt_f32_panel_bytes(k);
  const __m512 vmin = _mm512_set1_ps(b->fmin), vmax = _mm512_set1_ps(b->fmax);
  const size_t m8 = m % 8 && m % 8 <= 4 ? m - m % 8 : m;
  for (size_t p = 0; p < panels; p += 4) {
    const float *P[4];
    __mmask16 keep[2];
    for (size_t i = 0; i < 4; ++i)
      P[i] = (const float *)((const char *)packed + COOPT_BLOB_HEADER + (p + i < panels ? p + i : panels - 1) * pbytes);
    for (size_t h = 0; h < 2; ++h) {
      const size_t c0 = (p + 2 * h) * COOPT_F32_NR, real = c0 < b->n ? b->n - c0 : 0;
      keep[h] = (__mmask16)(real >= 16 ? 0xFFFF : (1u << real) - 1);
    }
    const __m512 bx = join8x2(P[0], P[1]), by = join8x2(P[2], P[3]);
    const float *w0 = P[0] + COOPT_F32_NR, *w1 = P[1] + COOPT_F32_NR, *w2 = P[2] + COOPT_F32_NR,
                *w3 = P[3] + COOPT_F32_NR;
    for (size_t r0 = 0; r0 < m8; r0 += 8) {
      const size_t mr = m8 - r0 < 8 ? m8 - r0 : 8;
      const float *ar[8];
      for (size_t r = 0; r < 8; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      __m512 x0 = bx, x1 = bx, x2 = bx, x3 = bx, x4 = bx, x5 = bx, x6 = bx, x7 = bx;
      __m512 y0 = by, y1 = by, y2 = by, y3 = by, y4 = by, y5 = by, y6 = by, y7 = by;
      for (size_t i = 0; i < k; ++i) {
        const __m512 u = join8x2(w0 + COOPT_F32_NR * i, w1 + COOPT_F32_NR * i);
        const __m512 v = join8x2(w2 + COOPT_F32_NR * i, w3 + COOPT_F32_NR * i);
        ROW_FMA(0);
        ROW_FMA(1);
        ROW_FMA(2);
        ROW_FMA(3);
        ROW_FMA(4);
        ROW_FMA(5);
        ROW_FMA(6);
        ROW_FMA(7);
      }
      const __m512 xs[8] = {x0, x1, x2, x3, x4, x5, x6, x7}, ys[8] = {y0, y1, y2, y3, y4, y5, y6, y7};
      for (size_t r = 0; r < mr; ++r) {
        float *out = c + (r0 + r) * c_stride + p * COOPT_F32_NR;
        store16_f32(out, xs[r], vmin, vmax, keep[0]);
        if (keep[1])
          store16_f32(out + 2 * COOPT_F32_NR, ys[r], vmin, vmax, keep[1]);
      }
    }
  }
  if (m8 < m)
    coopt_f32_gemm_4x8__avx2_fma(packed, m - m8, a + m8 * a_stride, a_stride, c + m8 * c_stride, c_stride);
}
