/*
 * The 16-lane requantization shared by the AVX-512 tiles (internal;
 * included only by the files built with the AVX-512 flags).
 *
 * TOSA RESCALE (acc * m + 2^(s-1)) >> s in 64-bit lanes, even and odd lanes
 * apart, with AVX-512's arithmetic 64-bit shift (vpsravq; the AVX2 epilogue
 * spells it with logical shifts, which is the same function), + zero point,
 * clamp; DOUBLE_ROUND where the tile is compiled for it (x86.h rescale8).
 * The terms are prepared apart from the arithmetic so that a tile prepares
 * them once (per panel pair, or per channel) and each row or channel column
 * pays only the arithmetic.
 */
#ifndef COOPT_RT_ARCH_X86_64_AVX512_H
#define COOPT_RT_ARCH_X86_64_AVX512_H

#include "x86.h"

typedef struct rescale16 {
  __m512i mult, mult_odd, sh_even, sh_odd, rnd_even, rnd_odd, zp, lo, hi;
  __mmask8 big_even, big_odd; /* shift > 31: where DOUBLE_ROUND moves the rounding term */
} rescale16;

static inline void rescale16_output(const coopt_blob *b, rescale16 *q) {
  q->zp = _mm512_set1_epi32(b->out_zero_point);
  q->lo = _mm512_set1_epi32(b->out_min);
  q->hi = _mm512_set1_epi32(b->out_max);
}

/* Per-lane multipliers and shifts (16 channels). */
static inline rescale16 rescale16_of(const coopt_blob *b, __m512i mult, __m512i shift) {
  rescale16 q;
  const __m512i one = _mm512_set1_epi64(1);
  q.mult = mult;
  q.mult_odd = _mm512_srli_epi64(mult, 32);
  q.sh_even = _mm512_and_si512(shift, _mm512_set1_epi64(0xFFFFFFFF));
  q.sh_odd = _mm512_srli_epi64(shift, 32);
  q.rnd_even = _mm512_sllv_epi64(one, _mm512_sub_epi64(q.sh_even, one));
  q.rnd_odd = _mm512_sllv_epi64(one, _mm512_sub_epi64(q.sh_odd, one));
  q.big_even = _mm512_cmpgt_epi64_mask(q.sh_even, _mm512_set1_epi64(31));
  q.big_odd = _mm512_cmpgt_epi64_mask(q.sh_odd, _mm512_set1_epi64(31));
  rescale16_output(b, &q);
  return q;
}

/* One multiplier and shift for every lane (16 rows of one channel). */
static inline rescale16 rescale16_uniform(const coopt_blob *b, int32_t mult, int32_t shift) {
  rescale16 q;
  q.mult = q.mult_odd = _mm512_set1_epi64(mult);
  q.sh_even = q.sh_odd = _mm512_set1_epi64(shift);
  q.rnd_even = q.rnd_odd = _mm512_set1_epi64((long long)(1ull << (shift - 1)));
  q.big_even = q.big_odd = shift > 31 ? 0xFF : 0;
  rescale16_output(b, &q);
  return q;
}

/* 16 accumulators to int32 in the output range; `dround` a constant. */
static inline __attribute__((always_inline)) __m512i rescale16_apply(const rescale16 *q, __m512i acc,
                                                                     const bool dround) {
  __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(acc, q->mult), q->rnd_even);
  __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), q->mult_odd), q->rnd_odd);
  if (dround) { /* +-2^30 toward the accumulator's sign where shift > 31 */
    const __m512i q30 = _mm512_set1_epi64(1ll << 30);
    const __m512i neg_e = _mm512_srai_epi64(_mm512_slli_epi64(acc, 32), 63), neg_o = _mm512_srai_epi64(acc, 63);
    pe = _mm512_mask_add_epi64(pe, q->big_even, pe, _mm512_sub_epi64(_mm512_xor_si512(q30, neg_e), neg_e));
    po = _mm512_mask_add_epi64(po, q->big_odd, po, _mm512_sub_epi64(_mm512_xor_si512(q30, neg_o), neg_o));
  }
  pe = _mm512_srav_epi64(pe, q->sh_even);
  po = _mm512_srav_epi64(po, q->sh_odd);
  const __m512i r = _mm512_add_epi32(_mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32)), q->zp);
  return _mm512_min_epi32(_mm512_max_epi32(r, q->lo), q->hi);
}

#endif
