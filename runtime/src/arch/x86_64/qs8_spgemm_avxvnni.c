/*
 * x86-64 AVX-VNNI 1x4 block-sparse int8 GEMM.
 */
#include "x86.h"

/* The same 8-row tile with AVX-VNNI: the tile holds a + 128 as unsigned
 * bytes, so each nonzero block is one vpdpbusd of the tile's 32 bytes (8 rows
 * x 4) against the block's 4 weights broadcast, with no widening and no pair
 * folding.  Each channel starts from bias - 128 * sum(w), computed once per
 * call. */
static inline __attribute__((always_inline)) __m256i spgemm_8x1c4(const coopt_chan_view *V, const int8_t *tile,
                                                                  size_t ch, size_t *jp, const int32_t *start) {
  const uint8_t *pd = V->delta;
  const int8_t *pv = V->values;
  __m256i acc = _mm256_set1_epi32(start[ch]);
  size_t j = *jp;
  for (size_t end = j + V->nnz[ch], q = 0; j < end; ++j) {
    int32_t w;
    memcpy(&w, pv + 4 * j, 4);
    q += pd[j]; /* block index */
    acc = _mm256_dpbusd_avx_epi32(acc, _mm256_load_si256((const __m256i *)(tile + 32 * q)), _mm256_set1_epi32(w));
  }
  *jp = j;
  return acc;
}

static inline __attribute__((always_inline)) void qs8_spgemm_8x1c4(const void *packed, size_t m, const int8_t *a,
                                                                   size_t a_stride, int8_t *c, size_t c_stride,
                                                                   const bool dround) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int8_t *pv = V.values;
  _Alignas(32) int32_t start_stack[1024]; /* N up to 1,024 */
  int32_t *start = coopt_scratch_get(start_stack, sizeof start_stack, b->n * sizeof *start, 32);
  if (!start)
    return;
  for (size_t ch = 0, j = 0; ch < b->n; ++ch) {
    int32_t sum = 0;
    for (size_t end = j + V.nnz[ch]; j < end; ++j)
      sum += pv[4 * j] + pv[4 * j + 1] + pv[4 * j + 2] + pv[4 * j + 3];
    start[ch] = V.bias[ch] - 128 * sum;
  }
  x86_spgemm8_drive(packed, m, a, a_stride, c, c_stride, 0x80808080u, start, spgemm_8x1c4, dround);
  coopt_scratch_put(start, start_stack);
}

void coopt_qs8_spgemm_8x1c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  qs8_spgemm_8x1c4(packed, m, a, a_stride, c, c_stride, false);
}

void coopt_qs8_spgemm_dround_8x1c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                            size_t c_stride) {
  qs8_spgemm_8x1c4(packed, m, a, a_stride, c, c_stride, true);
}
