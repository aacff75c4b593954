/*
 * x86-64 AVX2 2:4 sparse int8 GEMM.
 */
#include "x86.h"

/* qs8 2:4 sparse GEMM/GEMV, 1 row x 2 channels, 16 K per step: the 8
 * position nibbles of each channel become pshufb indices, one pshufb gathers
 * both channels' 16 activations from the window, and one vpmaddwd (after
 * widening) multiplies them by the 16 kept values: half the MACs of dense.
 * The last window reads the zero-padded copy of the row's tail
 * (coopt_nm24_tail_row). */
static inline __m128i nm24_indices(const uint8_t *p) {
  int32_t q;
  memcpy(&q, p, 4);
  const __m128i n = _mm_cvtsi32_si128(q), nib = _mm_set1_epi8(0x0F);
  return _mm_unpacklo_epi8(_mm_and_si128(n, nib), _mm_and_si128(_mm_srli_epi16(n, 4), nib));
}

static inline __attribute__((always_inline)) void nm24_1x2c16(const coopt_blob *b, const coopt_chan_view *V,
                                                              coopt_qs8_rows *R, size_t ch, size_t nc, int32_t *sum) {
  const size_t windows = b->kp / COOPT_NM24_WINDOW, full = b->k / COOPT_NM24_WINDOW;
  const int8_t *x = R->x[0], *tail = R->scratch;
  const coopt_nm24_pair P = coopt_nm24_pair_of(b, V, ch, nc);
  __m256i acc = _mm256_setzero_si256();
  for (size_t win = 0; win < windows; ++win) {
    __m128i xw = _mm_loadu_si128((const __m128i *)(win < full ? x + win * COOPT_NM24_WINDOW : tail));
    __m128i idx = _mm_unpacklo_epi64(nm24_indices(P.pos[0] + 4 * win), nm24_indices(P.pos[1] + 4 * win));
    __m128i vv = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(P.val[0] + 8 * win)),
                                    _mm_loadl_epi64((const __m128i *)(P.val[1] + 8 * win)));
    acc = _mm256_add_epi32(acc, dot16(vv, _mm_shuffle_epi8(xw, idx)));
  }
  /* Lanes 0-3: channel ch, 4-7: channel c1. */
  __m128i h = _mm_hadd_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  h = _mm_hadd_epi32(h, h);
  sum[0] = _mm_cvtsi128_si32(h);
  sum[1] = _mm_extract_epi32(h, 1);
}

void coopt_qs8_nm24_gemm_1x2c16__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                      size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 2, coopt_nm24_tail_row, nm24_1x2c16);
}
