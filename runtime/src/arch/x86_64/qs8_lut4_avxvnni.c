/*
 * x86-64 AVX-VNNI 4-bit lookup-table int8 GEMM.
 */
#include "x86.h"

/* The lookup-table GEMM with AVX-VNNI: each 32-weight step decodes the
 * channel's nibbles with two vpshufb into 32 int8 weights in K order and
 * takes one vpdpbusd against the row's activations stored once as a + 128;
 * a second vpdpbusd against all-ones bytes sums the decoded weights for the
 * 128 * sum(w) correction, which needs no extra pass over the indices (so a
 * GEMV still reads only the 4-bit form). */
static inline __m256i lut4_decode32_i8(__m128i table, const uint8_t *cc) {
  const __m128i nib = _mm_set1_epi8(0x0F);
  __m128i bytes = _mm_loadu_si128((const __m128i *)cc);
  __m128i we = _mm_shuffle_epi8(table, _mm_and_si128(bytes, nib));
  __m128i wo = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(bytes, 4), nib));
  return _mm256_set_m128i(_mm_unpackhi_epi8(we, wo), _mm_unpacklo_epi8(we, wo));
}

/* ROWS rows (1 or 4) x 2 channels per step; the 4-row form shares each
 * decoded 32-weight step between its rows (decoding is the cost of the
 * 1-row form).  Rows past m repeat the last row and are not stored.
 * always_inline: ROWS must fold to a constant or the accumulators spill. */
static inline __attribute__((always_inline)) void lut4_gemm_vnni(const size_t ROWS, const void *packed, size_t m,
                                                                 const int8_t *a, size_t a_stride, int8_t *c,
                                                                 size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const int8_t *book = V.codebook;
  const uint8_t *codes = V.values;
  const size_t k = b->k, k32 = k / 32 * 32, half = b->kp / 2, ks = k32 > 0 ? k32 : 32;
  const __m256i ones = _mm256_set1_epi8(1), flip = _mm256_set1_epi8((char)0x80);
  uint8_t *xu = NULL;
  if (posix_memalign((void **)&xu, 32, ROWS * ks))
    return;
  for (size_t r0 = 0; r0 < m; r0 += ROWS) {
    const size_t mr = m - r0 < ROWS ? m - r0 : ROWS;
    const int8_t *x[4];
    for (size_t r = 0; r < ROWS; ++r) {
      x[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      for (size_t i = 0; i < k32; i += 32)
        _mm256_store_si256((__m256i *)(xu + r * ks + i),
                           _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x[r] + i)), flip));
    }
    for (size_t ch = 0; ch < b->n; ch += 2) {
      size_t nc = b->n - ch < 2 ? 1 : 2;
      const __m128i t0 = _mm_loadu_si128((const __m128i *)(book + 16 * ch));
      const __m128i t1 = _mm_loadu_si128((const __m128i *)(book + 16 * (ch + nc - 1)));
      const uint8_t *c0 = codes + ch * half, *c1 = codes + (ch + nc - 1) * half;
      __m256i acc[4][2], ws0 = _mm256_setzero_si256(), ws1 = ws0;
      for (size_t r = 0; r < ROWS; ++r)
        acc[r][0] = acc[r][1] = ws0;
      for (size_t i = 0; i < k32; i += 32) {
        const __m256i w0 = lut4_decode32_i8(t0, c0 + i / 2), w1 = lut4_decode32_i8(t1, c1 + i / 2);
        ws0 = _mm256_dpbusd_avx_epi32(ws0, ones, w0), ws1 = _mm256_dpbusd_avx_epi32(ws1, ones, w1);
        for (size_t r = 0; r < ROWS; ++r) {
          const __m256i xv = _mm256_load_si256((const __m256i *)(xu + r * ks + i));
          acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], xv, w0);
          acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], xv, w1);
        }
      }
      const int32_t corr[2] = {128 * hsum_i32(ws0), 128 * hsum_i32(ws1)};
      for (size_t r = 0; r < mr; ++r)
        for (size_t u = 0; u < nc; ++u) {
          int32_t v = pb[ch + u] + hsum_i32(acc[r][u]) - corr[u] +
                      coopt_lut4_dot(x[r], codes + (ch + u) * half, book + 16 * (ch + u), k32, k);
          c[(r0 + r) * c_stride + ch + u] = coopt_requant(v, pm[ch + u], ps[ch + u], b);
        }
    }
  }
  free(xu);
}

void coopt_qs8_lut4_gemm_1x2c32__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  lut4_gemm_vnni(1, packed, m, a, a_stride, c, c_stride);
}

void coopt_qs8_lut4_gemm_4x2c32__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  lut4_gemm_vnni(4, packed, m, a, a_stride, c, c_stride);
}
