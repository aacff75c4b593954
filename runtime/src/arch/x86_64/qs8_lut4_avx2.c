/*
 * x86-64 AVX2 4-bit lookup-table int8 GEMM.
 */
#include "x86.h"

/* Decode 32 weights of one channel: 16 bytes of nibbles split into even-k
 * and odd-k index vectors, one vpshufb each against the channel's 16-entry
 * codebook (the whole table in one register), re-interleaved to K order and
 * widened to int16. */
static inline void lut4_decode32(__m128i table, const uint8_t *cc, __m256i *w0, __m256i *w1) {
  const __m128i nib = _mm_set1_epi8(0x0F);
  __m128i bytes = _mm_loadu_si128((const __m128i *)cc);
  __m128i we = _mm_shuffle_epi8(table, _mm_and_si128(bytes, nib));
  __m128i wo = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(bytes, 4), nib));
  *w0 = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(we, wo));
  *w1 = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(we, wo));
}

/* qs8 lookup-table GEMM/GEMV, 1 row x 2 channels, 32 K per step.  The row's
 * activations are widened to int16 once (shared by every channel); each
 * channel's weights are decoded in registers and never exist in memory as
 * int8, so a GEMV reads half the bytes of the dense form. */
void coopt_qs8_lut4_gemm_1x2c16__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                      size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const int8_t *book = V.codebook;
  const uint8_t *codes = V.values;
  const size_t k = b->k, k32 = k / 32 * 32, half = b->kp / 2;
  int16_t *x16 = NULL;
  if (posix_memalign((void **)&x16, 32, k32 > 0 ? k32 * 2 : 32))
    return;
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    for (size_t i = 0; i < k32; i += 16)
      _mm256_store_si256((__m256i *)(x16 + i), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i))));
    for (size_t ch = 0; ch < b->n; ch += 2) {
      size_t nc = b->n - ch < 2 ? 1 : 2;
      const __m128i t0 = _mm_loadu_si128((const __m128i *)(book + 16 * ch));
      const __m128i t1 = _mm_loadu_si128((const __m128i *)(book + 16 * (ch + nc - 1)));
      const uint8_t *c0 = codes + ch * half, *c1 = codes + (ch + nc - 1) * half;
      __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
      for (size_t i = 0; i < k32; i += 32) {
        __m256i xa = _mm256_load_si256((const __m256i *)(x16 + i)),
                xb = _mm256_load_si256((const __m256i *)(x16 + i + 16));
        __m256i w0, w1;
        lut4_decode32(t0, c0 + i / 2, &w0, &w1);
        acc0 = _mm256_add_epi32(acc0, _mm256_add_epi32(_mm256_madd_epi16(w0, xa), _mm256_madd_epi16(w1, xb)));
        lut4_decode32(t1, c1 + i / 2, &w0, &w1);
        acc1 = _mm256_add_epi32(acc1, _mm256_add_epi32(_mm256_madd_epi16(w0, xa), _mm256_madd_epi16(w1, xb)));
      }
      int32_t s[2] = {hsum_i32(acc0), hsum_i32(acc1)};
      for (size_t u = 0; u < nc; ++u) {
        const uint8_t *cc = codes + (ch + u) * half;
        int32_t v = pb[ch + u] + s[u] + coopt_lut4_dot(x, cc, book + 16 * (ch + u), k32, k);
        c[r * c_stride + ch + u] = coopt_requant(v, pm[ch + u], ps[ch + u], b);
      }
    }
  }
  free(x16);
}
