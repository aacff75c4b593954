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
 * activations are widened to int16 once (the prologue, shared by every
 * channel); each channel's weights are decoded in registers and never exist
 * in memory as int8, so a GEMV reads half the bytes of the dense form. */
static inline __attribute__((always_inline)) void lut4_widen_row(const coopt_blob *b, coopt_qs8_rows *R) {
  int16_t *x16 = R->scratch;
  for (size_t i = 0; i < b->k / 32 * 32; i += 16)
    _mm256_store_si256((__m256i *)(x16 + i), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(R->x[0] + i))));
}

static inline __attribute__((always_inline)) void lut4_1x2c16(const coopt_blob *b, const coopt_chan_view *V,
                                                              coopt_qs8_rows *R, size_t ch, size_t nc, int32_t *sum) {
  const int8_t *book = V->codebook;
  const uint8_t *codes = V->values;
  const int16_t *x16 = R->scratch;
  const size_t k = b->k, k32 = k / 32 * 32, half = b->kp / 2;
  const __m128i t0 = _mm_loadu_si128((const __m128i *)(book + 16 * ch));
  const __m128i t1 = _mm_loadu_si128((const __m128i *)(book + 16 * (ch + nc - 1)));
  const uint8_t *c0 = codes + ch * half, *c1 = codes + (ch + nc - 1) * half;
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  for (size_t i = 0; i < k32; i += 32) {
    __m256i xa = _mm256_load_si256((const __m256i *)(x16 + i)), xb = _mm256_load_si256((const __m256i *)(x16 + i + 16));
    __m256i w0, w1;
    lut4_decode32(t0, c0 + i / 2, &w0, &w1);
    acc0 = _mm256_add_epi32(acc0, _mm256_add_epi32(_mm256_madd_epi16(w0, xa), _mm256_madd_epi16(w1, xb)));
    lut4_decode32(t1, c1 + i / 2, &w0, &w1);
    acc1 = _mm256_add_epi32(acc1, _mm256_add_epi32(_mm256_madd_epi16(w0, xa), _mm256_madd_epi16(w1, xb)));
  }
  sum[0] = hsum_i32(acc0) + coopt_lut4_dot(R->x[0], c0, book + 16 * ch, k32, k);
  sum[1] = hsum_i32(acc1) + coopt_lut4_dot(R->x[0], c1, book + 16 * (ch + nc - 1), k32, k);
}

void coopt_qs8_lut4_gemm_1x2c16__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                      size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 2, lut4_widen_row, lut4_1x2c16);
}
