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
 * broadcast operand of the FMA.  `rows` is a constant wherever this
 * expands, so the rows a body does not have fold away. */
#define ROW_FMA(r)                                                                                                     \
  do {                                                                                                                 \
    if (rows > r) {                                                                                                    \
      const __m512 s = _mm512_set1_ps(ar[r][i]);                                                                       \
      x##r = _mm512_fmadd_ps(s, u, x##r), y##r = _mm512_fmadd_ps(s, v, y##r);                                          \
    }                                                                                                                  \
  } while (0)

typedef struct f32_tile_panels {
  const float *w0, *w1, *w2, *w3; /* the four panels' weights (past N: the last real panel) */
  __m512 bx, by;                  /* their biases, two panels a register */
  __mmask16 keep[2];              /* the real channels of each pair */
} f32_tile_panels;

/* `rows` (1, 4 or 8) rows from a x the tile's 32 channels; mr <= rows of
 * them real (the rest repeat the last real row and are not stored).
 * always_inline: rows must fold to a constant, and the accumulators are
 * named variables because an array of them is not kept in registers by
 * GCC 12. */
static inline __attribute__((always_inline)) void f32_tile(const size_t rows, const f32_tile_panels *T, size_t k,
                                                           const float *a, size_t a_stride, size_t mr, float *c,
                                                           size_t c_stride, __m512 vmin, __m512 vmax) {
  const float *ar[8];
  for (size_t r = 0; r < 8; ++r)
    ar[r] = a + (r < mr ? r : mr - 1) * a_stride;
  const float *w0 = T->w0, *w1 = T->w1, *w2 = T->w2, *w3 = T->w3;
  __m512 x0 = T->bx, x1 = T->bx, x2 = T->bx, x3 = T->bx, x4 = T->bx, x5 = T->bx, x6 = T->bx, x7 = T->bx;
  __m512 y0 = T->by, y1 = T->by, y2 = T->by, y3 = T->by, y4 = T->by, y5 = T->by, y6 = T->by, y7 = T->by;
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
    store16_f32(c + r * c_stride, xs[r], vmin, vmax, T->keep[0]);
    if (T->keep[1])
      store16_f32(c + r * c_stride + 2 * COOPT_F32_NR, ys[r], vmin, vmax, T->keep[1]);
  }
}

/* Each body is a function of its own: inlined into one caller, the 8-row
 * body lost two accumulators to the stack (GCC 12 ran out of registers for
 * the row pointers and spilled them into zmm registers), at 0.7x the speed. */
static __attribute__((noinline)) void f32_rows8(const f32_tile_panels *T, size_t k, const float *a, size_t a_stride,
                                                size_t mr, float *c, size_t c_stride, __m512 vmin, __m512 vmax) {
  f32_tile(8, T, k, a, a_stride, mr, c, c_stride, vmin, vmax);
}
static __attribute__((noinline)) void f32_rows4(const f32_tile_panels *T, size_t k, const float *a, size_t a_stride,
                                                size_t mr, float *c, size_t c_stride, __m512 vmin, __m512 vmax) {
  f32_tile(4, T, k, a, a_stride, mr, c, c_stride, vmin, vmax);
}
static __attribute__((noinline)) void f32_rows1(const f32_tile_panels *T, size_t k, const float *a, size_t a_stride,
                                                size_t mr, float *c, size_t c_stride, __m512 vmin, __m512 vmax) {
  f32_tile(1, T, k, a, a_stride, mr, c, c_stride, vmin, vmax);
}

/* f32 GEMM, 8 rows x 32 channels (four 8-channel panels, two per zmm): 16
 * independent FMA chains, each weight vector feeding 8 FMAs.  A last block
 * of rows runs a 4-row body (8 chains) or, for one row (GEMV and the
 * classifier), a 1-row body.  The order of the additions is the AVX2
 * tile's (bias, then k = 0, 1, ... by FMA), so the two give the same bits.
 * Panels past N repeat the last real one and are not stored. */
void coopt_f32_gemm_8x32__avx512f(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                                  size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t k = b->k, panels = (b->n + COOPT_F32_NR - 1) / COOPT_F32_NR, pbytes = coopt_f32_panel_bytes(k);
  const __m512 vmin = _mm512_set1_ps(b->fmin), vmax = _mm512_set1_ps(b->fmax);
  for (size_t p = 0; p < panels; p += 4) {
    const float *P[4];
    for (size_t i = 0; i < 4; ++i)
      P[i] = (const float *)((const char *)packed + COOPT_BLOB_HEADER + (p + i < panels ? p + i : panels - 1) * pbytes);
    f32_tile_panels T = {P[0] + COOPT_F32_NR,
                         P[1] + COOPT_F32_NR,
                         P[2] + COOPT_F32_NR,
                         P[3] + COOPT_F32_NR,
                         join8x2(P[0], P[1]),
                         join8x2(P[2], P[3]),
                         {0, 0}};
    for (size_t h = 0; h < 2; ++h) {
      const size_t c0 = (p + 2 * h) * COOPT_F32_NR, real = c0 < b->n ? b->n - c0 : 0;
      T.keep[h] = (__mmask16)(real >= 16 ? 0xFFFF : (1u << real) - 1);
    }
    float *cp = c + p * COOPT_F32_NR;
    for (size_t r0 = 0; r0 < m; r0 += 8) {
      const size_t mr = m - r0 < 8 ? m - r0 : 8;
      const float *ap = a + r0 * a_stride;
      float *cr = cp + r0 * c_stride;
      if (mr > 4)
        f32_rows8(&T, k, ap, a_stride, mr, cr, c_stride, vmin, vmax);
      else if (mr > 1)
        f32_rows4(&T, k, ap, a_stride, mr, cr, c_stride, vmin, vmax);
      else
        f32_rows1(&T, k, ap, a_stride, mr, cr, c_stride, vmin, vmax);
    }
  }
}
