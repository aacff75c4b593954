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
 * 1-row form).  The prologue stores the step's rows as a + 128, one
 * COOPT_ROWS_SCRATCH stride apart.  always_inline: ROWS must fold to a
 * constant or the accumulators spill. */
static inline __attribute__((always_inline)) void lut4_flip_rows(const size_t ROWS, const coopt_blob *b,
                                                                 coopt_qs8_rows *R) {
  const __m256i flip = _mm256_set1_epi8((char)0x80);
  for (size_t r = 0; r < ROWS; ++r) {
    uint8_t *xu = (uint8_t *)R->scratch + r * COOPT_ROWS_SCRATCH(b->kp);
    for (size_t i = 0; i < b->k / 32 * 32; i += 32)
      _mm256_store_si256((__m256i *)(xu + i),
                         _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(R->x[r] + i)), flip));
  }
}

static inline __attribute__((always_inline)) void lut4_vnni(const size_t ROWS, const coopt_blob *b,
                                                            const coopt_chan_view *V, coopt_qs8_rows *R, size_t ch,
                                                            size_t nc, int32_t *sum) {
  const int8_t *book = V->codebook;
  const uint8_t *codes = V->values;
  const size_t k = b->k, k32 = k / 32 * 32, half = b->kp / 2, c1 = ch + nc - 1;
  const __m256i ones = _mm256_set1_epi8(1);
  const __m128i t0 = _mm_loadu_si128((const __m128i *)(book + 16 * ch));
  const __m128i t1 = _mm_loadu_si128((const __m128i *)(book + 16 * c1));
  const uint8_t *cc[2] = {codes + ch * half, codes + c1 * half};
  __m256i acc[4][2], ws0 = _mm256_setzero_si256(), ws1 = ws0;
  for (size_t r = 0; r < ROWS; ++r)
    acc[r][0] = acc[r][1] = ws0;
  for (size_t i = 0; i < k32; i += 32) {
    const __m256i w0 = lut4_decode32_i8(t0, cc[0] + i / 2), w1 = lut4_decode32_i8(t1, cc[1] + i / 2);
    ws0 = _mm256_dpbusd_avx_epi32(ws0, ones, w0), ws1 = _mm256_dpbusd_avx_epi32(ws1, ones, w1);
    for (size_t r = 0; r < ROWS; ++r) {
      const __m256i xv =
          _mm256_load_si256((const __m256i *)((const uint8_t *)R->scratch + r * COOPT_ROWS_SCRATCH(b->kp) + i));
      acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], xv, w0);
      acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], xv, w1);
    }
  }
  const int32_t corr[2] = {128 * hsum_i32(ws0), 128 * hsum_i32(ws1)};
  for (size_t r = 0; r < R->mr; ++r)
    for (size_t u = 0; u < nc; ++u)
      sum[r * COOPT_CHANS_MAX + u] =
          hsum_i32(acc[r][u]) - corr[u] + coopt_lut4_dot(R->x[r], cc[u], book + 16 * (ch + u), k32, k);
}

static inline __attribute__((always_inline)) void lut4_flip_row1(const coopt_blob *b, coopt_qs8_rows *R) {
  lut4_flip_rows(1, b, R);
}
static inline __attribute__((always_inline)) void lut4_1x2c32(const coopt_blob *b, const coopt_chan_view *V,
                                                              coopt_qs8_rows *R, size_t ch, size_t nc, int32_t *sum) {
  lut4_vnni(1, b, V, R, ch, nc, sum);
}
static inline __attribute__((always_inline)) void lut4_flip_row4(const coopt_blob *b, coopt_qs8_rows *R) {
  lut4_flip_rows(4, b, R);
}
static inline __attribute__((always_inline)) void lut4_4x2c32(const coopt_blob *b, const coopt_chan_view *V,
                                                              coopt_qs8_rows *R, size_t ch, size_t nc, int32_t *sum) {
  lut4_vnni(4, b, V, R, ch, nc, sum);
}

void coopt_qs8_lut4_gemm_1x2c32__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 2, lut4_flip_row1, lut4_1x2c32);
}

void coopt_qs8_lut4_gemm_4x2c32__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 4, 2, lut4_flip_row4, lut4_4x2c32);
}
