/*
 * x86-64 AVX2 1x4 block-sparse int8 GEMM.
 */
#include "x86.h"

/* qs8 sparse 1x4, 1 row x 1 channel (GEMV-shaped calls): 8 nonzero blocks at
 * a time, their offsets summed from the byte deltas and their activations
 * gathered as int32 (4 bytes = one block) against 32 contiguous weight
 * bytes.  The blocks from one that would read past the row's end
 * (K % 4 != 0, only ever the channel's last) are done one value at a time. */
static inline __attribute__((always_inline)) void spgemm_1x1c4(const coopt_blob *b, const coopt_chan_view *V,
                                                               coopt_qs8_rows *R, size_t ch, size_t nc, int32_t *sum) {
  (void)nc;
  const coopt_sparse_chan S = coopt_sparse_chan_take(b, V, R, ch);
  size_t j = S.j, at = 0; /* at: k of the last block summed */
  __m256i acc = _mm256_setzero_si256();
  for (; j + 8 <= S.end; j += 8) {
    /* The 8 deltas' running sums in vector lanes (a scalar loop into
     * memory would stall the gather's index load on store forwarding);
     * their total, for the K check and `at`, from psadbw. */
    const __m128i d8 = _mm_loadl_epi64((const __m128i *)(S.delta + j));
    const size_t next = at + 4u * (size_t)_mm_cvtsi128_si32(_mm_sad_epu8(d8, _mm_setzero_si128()));
    if (next + 4 > S.k)
      break;
    __m256i run = _mm256_cvtepu8_epi32(d8);
    run = _mm256_add_epi32(run, _mm256_slli_si256(run, 4));
    run = _mm256_add_epi32(run, _mm256_slli_si256(run, 8));
    run = _mm256_add_epi32(
        run, _mm256_blend_epi32(_mm256_setzero_si256(), _mm256_permutevar8x32_epi32(run, _mm256_set1_epi32(3)), 0xF0));
    const __m256i off = _mm256_add_epi32(_mm256_set1_epi32((int)at), _mm256_slli_epi32(run, 2));
    at = next;
    __m256i xa = _mm256_i32gather_epi32((const int *)S.x, off, 1);
    __m256i w = _mm256_loadu_si256((const __m256i *)(S.values + 4 * j));
    acc = _mm256_add_epi32(acc, dot16(_mm256_castsi256_si128(w), _mm256_castsi256_si128(xa)));
    acc = _mm256_add_epi32(acc, dot16(_mm256_extracti128_si256(w, 1), _mm256_extracti128_si256(xa, 1)));
  }
  sum[0] = hsum_i32(acc) + coopt_sparse_blocks_dot(S.x, S.k, S.delta, S.values, j, S.end, at);
}

void coopt_qs8_spgemm_1x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 1, NULL, spgemm_1x1c4);
}

/* qs8 sparse 1x4, 8 rows x 1 channel (the loop is x86.h's
 * x86_spgemm8_drive): each nonzero block of a channel is one aligned load
 * of the regrouped rows, two widenings and two vpmaddwd against its 4
 * weights. */
static inline __attribute__((always_inline)) __m256i spgemm_8x1c4(const coopt_chan_view *V, const int8_t *tile,
                                                                  size_t ch, size_t *jp, const int32_t *start) {
  (void)start;
  const uint8_t *pd = V->delta;
  const int8_t *pv = V->values;
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  size_t j = *jp;
  for (size_t end = j + V->nnz[ch], q = 0; j < end; ++j) {
    q += pd[j]; /* block index */
    __m256i xt = _mm256_load_si256((const __m256i *)(tile + 32 * q));
    __m256i w = bcast4_i16(pv + 4 * j, 4, true);
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(xt)), w));
    acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(xt, 1)), w));
  }
  *jp = j;
  /* Pair sums of rows 0-3 and 4-7 -> rows 0..7. */
  const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  __m256i sum = _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(acc0, acc1), order);
  return _mm256_add_epi32(sum, _mm256_set1_epi32(V->bias[ch]));
}

static inline __attribute__((always_inline)) void qs8_spgemm_8x1c4(const void *packed, size_t m, const int8_t *a,
                                                                   size_t a_stride, int8_t *c, size_t c_stride,
                                                                   const bool dround) {
  x86_spgemm8_drive(packed, m, a, a_stride, c, c_stride, 0, NULL, spgemm_8x1c4, dround);
}

void coopt_qs8_spgemm_8x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride) {
  qs8_spgemm_8x1c4(packed, m, a, a_stride, c, c_stride, false);
}

void coopt_qs8_spgemm_dround_8x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  qs8_spgemm_8x1c4(packed, m, a, a_stride, c, c_stride, true);
}
