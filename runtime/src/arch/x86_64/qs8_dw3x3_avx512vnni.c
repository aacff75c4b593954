/*
 * x86-64 AVX-512 VNNI depthwise 3x3, int8 (EVEX vpdpwssd on zmm).
 */
#include "avx512.h"

/* Channels of one block: the per-channel terms of a block live in a stack
 * frame of about 20 KiB, prepared once per call and block, and every
 * output pixel of the image is computed against them. */
#define DW_BLOCK  256
#define DW_GROUPS (DW_BLOCK / 32)

/* 32 channels of one tap widen to 32 int16 lanes in memory order, so a
 * dword lane holds channels (2j, 2j+1).  vpdpwssd multiplies and adds a
 * lane's two int16 pairs; against the weights with the odd channel zeroed it
 * accumulates channel 2j alone, against the weights with the even one
 * zeroed channel 2j+1.  Half of each instruction's products are zero, but
 * the activations are used as loaded: pairing two taps of a channel
 * instead (one full vpdpwssd) needs two byte unpacks and an insert per
 * 16 channels, which cost more than the second vpdpwssd.  |x * w| <= 128 *
 * 128, so every product and the 9-tap sum are exact in int32, and the
 * result is the reference's bit for bit. */
typedef struct dw_group {
  __m512i w_even[9], w_odd[9]; /* int16 weights, the other channel of each pair 0 */
  __m512i bias_even, bias_odd;
  rescale16 rq_even, rq_odd;
} dw_group;

static const int32_t even_lanes[16] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
static const int32_t odd_lanes[16] = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31};

/* 32 per-channel values (n real, lo: channels 0..15, hi: 16..31) split
 * into even and odd channels. */
static void split32(__m512i lo, __m512i hi, __m512i *even, __m512i *odd) {
  *even = _mm512_permutex2var_epi32(lo, _mm512_loadu_si512(even_lanes), hi);
  *odd = _mm512_permutex2var_epi32(lo, _mm512_loadu_si512(odd_lanes), hi);
}

static __mmask16 lanes_from(size_t n, size_t first) {
  return (__mmask16)(n >= first + 16 ? 0xFFFF : n > first ? (1u << (n - first)) - 1 : 0);
}

static void split32_i32(const int32_t *v, size_t n, __m512i *even, __m512i *odd) {
  split32(_mm512_maskz_loadu_epi32(lanes_from(n, 0), v), _mm512_maskz_loadu_epi32(lanes_from(n, 16), v + 16), even,
          odd);
}

static void split32_u8(const uint8_t *v, size_t n, __m512i *even, __m512i *odd) {
  split32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(lanes_from(n, 0), v)),
          _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(lanes_from(n, 16), v + 16)), even, odd);
}

static void prepare_group(const coopt_blob *b, const coopt_dw_arrays *D, size_t C, size_t c, dw_group *g) {
  const size_t n = C - c < 32 ? C - c : 32;
  const __mmask32 m = (__mmask32)coopt_low_bytes_mask(n);
  const __m512i low16 = _mm512_set1_epi32(0xFFFF);
  for (size_t t = 0; t < 9; ++t) {
    const __m512i w = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, D->w + t * C + c));
    g->w_even[t] = _mm512_and_si512(w, low16);
    g->w_odd[t] = _mm512_andnot_si512(low16, w);
  }
  split32_i32(D->bias + c, n, &g->bias_even, &g->bias_odd);
  __m512i me, mo, se, so;
  split32_i32(D->mult + c, n, &me, &mo);
  split32_u8(D->shift + c, n, &se, &so);
  g->rq_even = rescale16_of(b, me, se);
  g->rq_odd = rescale16_of(b, mo, so);
}

/* One output pixel's 32 channels of group g from the 9 tap rows. */
static inline __attribute__((always_inline)) void pixel_group(const dw_group *g, const int8_t *const tap[9], size_t off,
                                                              __mmask32 m, int8_t *o, const bool dround) {
  __m512i e = g->bias_even, d = g->bias_odd;
  for (size_t t = 0; t < 9; ++t) {
    const __m512i x = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, tap[t] + off));
    e = _mm512_dpwssd_epi32(e, x, g->w_even[t]);
    d = _mm512_dpwssd_epi32(d, x, g->w_odd[t]);
  }
  /* Both halves are clamped to int8, so their low int16s interleave back
   * into channel order and vpmovwb narrows them exactly. */
  const __m512i r = _mm512_mask_blend_epi16(0xAAAAAAAA, rescale16_apply(&g->rq_even, e, dround),
                                            _mm512_slli_epi32(rescale16_apply(&g->rq_odd, d, dround), 16));
  _mm256_mask_storeu_epi8(o, m, _mm512_cvtepi16_epi8(r));
}

static inline __attribute__((always_inline)) void qs8_dw3x3_32c(const void *packed, const int8_t *in, int8_t *out,
                                                                const bool dround) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  /* Taps in the padding read the activation zero point from here. */
  _Alignas(64) int8_t zp_row[DW_BLOCK];
  memset(zp_row, b->a_zero_point, sizeof zp_row);
  /* Offsets of the 9 taps from the window's top-left pixel. */
  ptrdiff_t tap_off[9];
  for (size_t t = 0; t < 9; ++t)
    tap_off[t] = (ptrdiff_t)(((t / 3) * s.w + t % 3) * C);
  _Alignas(64) dw_group groups[DW_GROUPS];
  for (size_t c0 = 0; c0 < C; c0 += DW_BLOCK) {
    const size_t nc = C - c0 < DW_BLOCK ? C - c0 : DW_BLOCK, ng = (nc + 31) / 32;
    for (size_t g = 0; g < ng; ++g)
      prepare_group(b, &D, C, c0 + 32 * g, &groups[g]);
    for (size_t y = 0; y < oh; ++y) {
      const ptrdiff_t iy = (ptrdiff_t)(y * s.stride) - (ptrdiff_t)s.pad_top;
      const bool rows_in = iy >= 0 && iy + 3 <= (ptrdiff_t)s.h;
      for (size_t x = 0; x < ow; ++x) {
        const ptrdiff_t ix = (ptrdiff_t)(x * s.stride) - (ptrdiff_t)s.pad_left;
        const int8_t *tap[9];
        size_t off = 0; /* where group 0 starts in each tap row */
        if (rows_in && ix >= 0 && ix + 3 <= (ptrdiff_t)s.w) {
          const int8_t *base = in + ((size_t)iy * s.w + (size_t)ix) * C + c0;
          for (size_t t = 0; t < 9; ++t)
            tap[t] = base + tap_off[t];
        } else {
          /* A border pixel: real taps point at the block's first channel,
           * padding at zp_row (as long as a block). */
          coopt_dw_taps(&s, in, 1, y, x, (const void **)tap);
          for (size_t t = 0; t < 9; ++t)
            tap[t] = tap[t] ? tap[t] + c0 : zp_row;
        }
        int8_t *o = out + (y * ow + x) * C + c0;
        for (size_t g = 0; g < ng; ++g, off += 32) {
          const __mmask32 m = (__mmask32)coopt_low_bytes_mask(nc - off);
          pixel_group(&groups[g], tap, off, m, o + off, dround);
        }
      }
    }
  }
}

void coopt_qs8_dw3x3_32c__avx512vnni(const void *packed, const int8_t *in, int8_t *out) {
  qs8_dw3x3_32c(packed, in, out, false);
}

void coopt_qs8_dw3x3_dround_32c__avx512vnni(const void *packed, const int8_t *in, int8_t *out) {
  qs8_dw3x3_32c(packed, in, out, true);
}
