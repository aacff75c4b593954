/*
 * x86-64 AVX2 dense int8 GEMM.  AVX2 has no signed int8 dot product (vpmaddubsw
 * is unsigned x signed and saturates int16), so the kernel widens to int16
 * and uses vpmaddwd, which is exact: two products of at most 128 * 127
 * summed in int32.
 */
#include "x86.h"

/* One c4 group of a panel (8 channels x 4 K): its 32 weight bytes widened
 * to two int16 vectors (channels 0-3, 4-7), and their vpmaddwd against a
 * row's 4 activations (broadcast, bcast4_i16) added to the row's two
 * accumulators as pair sums, which finish8's vphaddd folds at the end. */
static inline __attribute__((always_inline)) void widen_group(const int8_t *w, __m256i wv[2]) {
  wv[0] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w));
  wv[1] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 16)));
}

static inline __attribute__((always_inline)) void madd_group(__m256i acc[2], const __m256i wv[2], __m256i x) {
  acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(wv[0], x));
  acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(wv[1], x));
}

/* qs8 GEMM, 4 rows x 8 channels per step, K in groups of 4 (c4 layout):
 * each group's weights widened once for the 4 rows.  The rows past the
 * last 4 take the one-row path below, so no work is spent on padding
 * rows. */
static inline __attribute__((always_inline)) void qs8_gemm_4x8_step(const x86_gemm_step *s, const bool dround) {
  const coopt_blob *b = s->b;
  const coopt_qs8_panel P = coopt_qs8_panel_of(s->packed, s->p);
  const size_t groups = b->kp / 4, full = b->k / 4, rem = b->k % 4;
  const int8_t *const *ar = s->ar;
  /* The row loops unrolled, so that the 8 accumulators live in registers
   * (rolled, GCC 12 kept them on the stack: a load and a store per
   * vpmaddwd); the K tail after the loop, as in the one-row path. */
  __m256i acc[4][2];
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r)
    acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (size_t g = 0; g < full; ++g) {
    __m256i wv[2];
    widen_group(P.w + 32 * g, wv);
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r)
      madd_group(acc[r], wv, bcast4_i16(ar[r] + 4 * g, 4, true));
  }
  if (full < groups) {
    __m256i wv[2];
    widen_group(P.w + 32 * full, wv);
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r)
      madd_group(acc[r], wv, bcast4_i16(ar[r] + 4 * full, rem, full > 0));
  }
  const __m256i bias = _mm256_loadu_si256((const __m256i *)P.bias);
#pragma GCC unroll 4
  for (size_t r = 0; r < s->mr; ++r)
    epilogue8(b, finish8(acc[r][0], acc[r][1], bias), P.mult, P.shift, x86_gemm_c(s, r, 0), x86_gemm_acc(s, r, 0),
              P.ncols, dround);
}

/* One row x 4 panels per K group (GEMV rows, M % 4): the row's 4
 * activations widened and broadcast once for 32 channels, the K groups
 * with all 4 bytes in a loop of their own and the tail group after it, so
 * the loop has no per-group tail test; the last 1-3 panels one at a time.
 * The 4-row tile's shape at one row (one panel per pass, the tail test in
 * the loop) ran at 7-13 GMAC/s, this at 17-40. */
static inline __attribute__((always_inline)) void madd8(__m256i acc[2], const int8_t *w, __m256i x) {
  __m256i wv[2];
  widen_group(w, wv);
  madd_group(acc, wv, x);
}

/* NP (4, or 1 for the last panels) consecutive panels of one row. */
static inline __attribute__((always_inline)) void qs8_gemm_row_panels(const size_t NP, const x86_gemm_step *s,
                                                                      const bool dround) {
  const coopt_blob *b = s->b;
  const int8_t *x = s->ar[0];
  const size_t groups = b->kp / 4, full = b->k / 4, rem = b->k % 4;
  coopt_qs8_panel P[4];
  __m256i acc[4][2];
  for (size_t i = 0; i < NP; ++i) {
    P[i] = coopt_qs8_panel_of(s->packed, s->p + i);
    acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  }
  for (size_t g = 0; g < full; ++g) {
    const __m256i xv = bcast4_i16(x + 4 * g, 4, true);
    for (size_t i = 0; i < NP; ++i)
      madd8(acc[i], P[i].w + 32 * g, xv);
  }
  if (full < groups) {
    const __m256i xv = bcast4_i16(x + 4 * full, rem, full > 0);
    for (size_t i = 0; i < NP; ++i)
      madd8(acc[i], P[i].w + 32 * full, xv);
  }
  for (size_t i = 0; i < NP; ++i)
    epilogue8(b, finish8(acc[i][0], acc[i][1], _mm256_loadu_si256((const __m256i *)P[i].bias)), P[i].mult, P[i].shift,
              x86_gemm_c(s, 0, i), x86_gemm_acc(s, 0, i), P[i].ncols, dround);
}

static inline __attribute__((always_inline)) void qs8_gemm_1x32_step(const x86_gemm_step *s, const bool dround) {
  qs8_gemm_row_panels(4, s, dround);
}

static inline __attribute__((always_inline)) void qs8_gemm_1x8_step(const x86_gemm_step *s, const bool dround) {
  qs8_gemm_row_panels(1, s, dround);
}

/* Each rounding its own tile (x86.h rescale8).  The whole groups of 4 rows
 * through the 4-row tile, the 1-3 rows left through the one-row path. */
static inline __attribute__((always_inline)) void qs8_gemm_4x8c4(const void *packed, size_t m, const int8_t *a,
                                                                 size_t a_stride, int8_t *c, size_t c_stride,
                                                                 int32_t *acc_out, size_t acc_stride,
                                                                 const bool dround) {
  const size_t m4 = m / 4 * 4;
  x86_gemm_drive(packed, m4, a, a_stride, c, c_stride, acc_out, acc_stride,
                 (x86_gemm_shape){.rows = 4, .np = 1, .tile = qs8_gemm_4x8_step}, dround);
  x86_gemm_drive(
      packed, m - m4, a + m4 * a_stride, a_stride, c ? c + m4 * c_stride : NULL, c_stride,
      acc_out ? acc_out + m4 * acc_stride : NULL, acc_stride,
      (x86_gemm_shape){.rows = 1, .np = 4, .tile = qs8_gemm_1x32_step, .np_tail = 1, .tail = qs8_gemm_1x8_step},
      dround);
}

void coopt_qs8_gemm_4x8c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_4x8c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, false);
}

void coopt_qs8_gemm_dround_4x8c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_4x8c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, true);
}
