/*
 * x86-64 AVX2 dense int8 GEMM.  AVX2 has no signed int8 dot product (vpmaddubsw
 * is unsigned x signed and saturates int16), so the kernel widens to int16
 * and uses vpmaddwd, which is exact: two products of at most 128 * 127
 * summed in int32.
 */
#include "x86.h"

/* qs8 GEMM, MR rows x 8 channels per step, K in groups of 4 (c4 layout):
 * each group's 32 weight bytes widen to two int16 vectors (channels 0-3,
 * 4-7); vpmaddwd against the row's 4 activations (broadcast) leaves pair
 * sums that one vphaddd folds at the end.  MR = 4, and 1 for GEMV rows so
 * no work is spent on padding rows. */
#define QS8_GEMM_TILE(MR)                                                                                              \
  static void qs8_gemm_tile_##MR(const coopt_blob *b, const int8_t *pw, const int8_t *const *ar, __m256i *lo,          \
                                 __m256i *hi) {                                                                        \
    size_t groups = b->kp / 4, full = b->k / 4, rem = b->k % 4;                                                        \
    for (int r = 0; r < MR; ++r)                                                                                       \
      lo[r] = hi[r] = _mm256_setzero_si256();                                                                          \
    for (size_t g = 0; g < groups; ++g) {                                                                              \
      __m256i wlo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(pw + 32 * g)));                             \
      __m256i whi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(pw + 32 * g + 16)));                        \
      for (int r = 0; r < MR; ++r) {                                                                                   \
        __m256i x = bcast4_i16(ar[r] + 4 * g, g < full ? 4 : rem, full > 0);                                           \
        lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(wlo, x));                                                    \
        hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(whi, x));                                                    \
      }                                                                                                                \
    }                                                                                                                  \
  }
QS8_GEMM_TILE(4)
QS8_GEMM_TILE(1)

/* Each rounding its own tile (x86.h rescale8). */
static inline __attribute__((always_inline)) void qs8_gemm_4x8c4(const void *packed, size_t m, const int8_t *a,
                                                                 size_t a_stride, int8_t *c, size_t c_stride,
                                                                 int32_t *acc_out, size_t acc_stride,
                                                                 const bool dround) {
  const coopt_blob *b = coopt_blob_of(packed);
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_qs8_panel P = coopt_qs8_panel_of(packed, p);
    const int32_t *pb = P.bias, *pm = P.mult, *ps = P.shift;
    const int8_t *pw = P.w;
    const size_t ncols = P.ncols;
    const __m256i bias = _mm256_loadu_si256((const __m256i *)pb);
    size_t r0 = 0;
    for (; r0 + 4 <= m; r0 += 4) {
      const int8_t *ar[4] = {a + r0 * a_stride, a + (r0 + 1) * a_stride, a + (r0 + 2) * a_stride,
                             a + (r0 + 3) * a_stride};
      __m256i lo[4], hi[4];
      qs8_gemm_tile_4(b, pw, ar, lo, hi);
      for (size_t r = 0; r < 4; ++r)
        epilogue8(b, finish8(lo[r], hi[r], bias), pm, ps, c ? c + (r0 + r) * c_stride + p * COOPT_QS8_NR : NULL,
                  acc_out ? acc_out + (r0 + r) * acc_stride + p * COOPT_QS8_NR : NULL, ncols, dround);
    }
    for (; r0 < m; ++r0) {
      const int8_t *ar[1] = {a + r0 * a_stride};
      __m256i lo[1], hi[1];
      qs8_gemm_tile_1(b, pw, ar, lo, hi);
      epilogue8(b, finish8(lo[0], hi[0], bias), pm, ps, c ? c + r0 * c_stride + p * COOPT_QS8_NR : NULL,
                acc_out ? acc_out + r0 * acc_stride + p * COOPT_QS8_NR : NULL, ncols, dround);
    }
  }
}

void coopt_qs8_gemm_4x8c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_4x8c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, false);
}

void coopt_qs8_gemm_dround_4x8c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_4x8c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, true);
}
