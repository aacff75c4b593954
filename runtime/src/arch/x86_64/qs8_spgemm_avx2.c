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
  const uint8_t *pd = V->delta;
  const int8_t *pv = V->values, *x = R->x[0];
  const size_t k = b->k;
  size_t j, end, at = 0; /* at: k of the last block summed */
  coopt_sparse_chan_take(V, R, ch, &j, &end);
  __m256i acc = _mm256_setzero_si256();
  for (; j + 8 <= end; j += 8) {
    /* The 8 deltas' running sums in vector lanes (a scalar loop into
     * memory would stall the gather's index load on store forwarding);
     * their total, for the K check and `at`, from psadbw. */
    const __m128i d8 = _mm_loadl_epi64((const __m128i *)(pd + j));
    const size_t next = at + 4u * (size_t)_mm_cvtsi128_si32(_mm_sad_epu8(d8, _mm_setzero_si128()));
    if (next + 4 > k)
      break;
    __m256i run = _mm256_cvtepu8_epi32(d8);
    run = _mm256_add_epi32(run, _mm256_slli_si256(run, 4));
    run = _mm256_add_epi32(run, _mm256_slli_si256(run, 8));
    run = _mm256_add_epi32(
        run, _mm256_blend_epi32(_mm256_setzero_si256(), _mm256_permutevar8x32_epi32(run, _mm256_set1_epi32(3)), 0xF0));
    const __m256i off = _mm256_add_epi32(_mm256_set1_epi32((int)at), _mm256_slli_epi32(run, 2));
    at = next;
    __m256i xa = _mm256_i32gather_epi32((const int *)x, off, 1);
    __m256i w = _mm256_loadu_si256((const __m256i *)(pv + 4 * j));
    acc = _mm256_add_epi32(acc, dot16(_mm256_castsi256_si128(w), _mm256_castsi256_si128(xa)));
    acc = _mm256_add_epi32(acc, dot16(_mm256_extracti128_si256(w, 1), _mm256_extracti128_si256(xa, 1)));
  }
  sum[0] = hsum_i32(acc) + coopt_sparse_blocks_dot(x, k, pd, pv, j, end, at);
}

void coopt_qs8_spgemm_1x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 1, NULL, spgemm_1x1c4);
}

/* qs8 sparse 1x4, 8 rows x 1 channel: the row tile's activations are first
 * regrouped block-major (for every 4-block of K, 8 rows x 4 bytes = 32
 * contiguous bytes), so each nonzero block of any channel is one aligned
 * load, two widenings and two vpmaddwd against its 4 weights.  The regroup
 * costs 8*K bytes once per tile and is shared by every channel, which is
 * what lets the skipped blocks turn into time.  Rows past the end repeat
 * the last row; K past the end reads as 0. */
static inline __attribute__((always_inline)) void qs8_spgemm_8x1c4(const void *packed, size_t m, const int8_t *a,
                                                                   size_t a_stride, int8_t *c, size_t c_stride,
                                                                   const bool dround) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const uint32_t *pn = V.nnz;
  const uint8_t *pd = V.delta;
  const int8_t *pv = V.values;
  const size_t k = b->k, blocks = b->kp / 4;
  int8_t *tile = NULL;
  if (posix_memalign((void **)&tile, 32, blocks > 0 ? blocks * 32 : 32))
    return;
  const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  for (size_t r0 = 0; r0 < m; r0 += 8) {
    size_t mr = m - r0 < 8 ? m - r0 : 8;
    coopt_regroup_rows(a + r0 * a_stride, a_stride, mr, 8, k, blocks, 0, tile);
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
      for (size_t end = j + pn[ch], q = 0; j < end; ++j) {
        q += pd[j]; /* block index */
        __m256i xt = _mm256_load_si256((const __m256i *)(tile + 32 * q));
        __m256i w = bcast4_i16(pv + 4 * j, 4, true);
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(xt)), w));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(xt, 1)), w));
      }
      /* Pair sums of rows 0-3 and 4-7 -> rows 0..7. */
      __m256i sum = _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(acc0, acc1), order);
      store_channel_8rows(b, _mm256_add_epi32(sum, _mm256_set1_epi32(pb[ch])), pm[ch], ps[ch], c + r0 * c_stride + ch,
                          c_stride, mr, dround);
    }
  }
  free(tile);
}

void coopt_qs8_spgemm_8x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride) {
  qs8_spgemm_8x1c4(packed, m, a, a_stride, c, c_stride, false);
}

void coopt_qs8_spgemm_dround_8x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  qs8_spgemm_8x1c4(packed, m, a, a_stride, c, c_stride, true);
}
