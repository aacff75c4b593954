/*
 * x86-64 AVX2 2:4 sparse int8 GEMM.
 */
#include "x86.h"

/* qs8 2:4 sparse GEMM/GEMV, 1 row x 2 channels, 16 K per step: the 8
 * position nibbles of each channel become pshufb indices, one pshufb gathers
 * both channels' 16 activations from the window, and one vpmaddwd (after
 * widening) multiplies them by the 16 kept values: half the MACs of dense.
 * The last window reads a zero-padded copy of the row's tail. */
static inline __m128i nm24_indices(const uint8_t *p) {
  int32_t q;
  memcpy(&q, p, 4);
  const __m128i n = _mm_cvtsi32_si128(q), nib = _mm_set1_epi8(0x0F);
  return _mm_unpacklo_epi8(_mm_and_si128(n, nib), _mm_and_si128(_mm_srli_epi16(n, 4), nib));
}

void coopt_qs8_nm24_gemm_1x2c16__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                      size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const uint8_t *pos = V.nm24_pos;
  const int8_t *val = (const int8_t *)V.values;
  const size_t k = b->k, kp = b->kp, windows = kp / COOPT_NM24_WINDOW, full = k / COOPT_NM24_WINDOW;
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    int8_t tail[COOPT_NM24_WINDOW] = {0};
    if (full < windows)
      memcpy(tail, x + full * COOPT_NM24_WINDOW, k - full * COOPT_NM24_WINDOW);
    for (size_t ch = 0; ch < b->n; ch += 2) {
      const size_t nc = b->n - ch < 2 ? 1 : 2, c1 = ch + nc - 1;
      const uint8_t *p0 = pos + ch * kp / 4, *p1 = pos + c1 * kp / 4;
      const int8_t *v0 = val + ch * kp / 2, *v1 = val + c1 * kp / 2;
      __m256i acc = _mm256_setzero_si256();
      for (size_t win = 0; win < windows; ++win) {
        __m128i xw = _mm_loadu_si128((const __m128i *)(win < full ? x + win * COOPT_NM24_WINDOW : tail));
        __m128i idx = _mm_unpacklo_epi64(nm24_indices(p0 + 4 * win), nm24_indices(p1 + 4 * win));
        __m128i vv = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(v0 + 8 * win)),
                                        _mm_loadl_epi64((const __m128i *)(v1 + 8 * win)));
        acc = _mm256_add_epi32(acc, dot16(vv, _mm_shuffle_epi8(xw, idx)));
      }
      /* Lanes 0-3: channel ch, 4-7: channel c1. */
      __m128i h = _mm_hadd_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
      h = _mm_hadd_epi32(h, h);
      c[r * c_stride + ch] = coopt_requant(V.bias[ch] + _mm_cvtsi128_si32(h), V.mult[ch], V.shift[ch], b);
      if (nc == 2)
        c[r * c_stride + c1] = coopt_requant(V.bias[c1] + _mm_extract_epi32(h, 1), V.mult[c1], V.shift[c1], b);
    }
  }
}
