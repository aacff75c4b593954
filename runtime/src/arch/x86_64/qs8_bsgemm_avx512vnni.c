/*
 * x86-64 AVX-512 VNNI block-sparse int8 GEMM: the dense tile's work per
 * kept block, nothing for a zero one.
 */
#define BS_DPBUSD256(acc, u, s) _mm256_dpbusd_epi32(acc, u, s)
#include "avx512.h"
#include "qs8_bsgemm_x86.h"

/* 16 rows of one channel to int8 (the dense AVX-512 epilogue, avx512.h). */
static inline __attribute__((always_inline)) __m128i requant_rows16(const coopt_blob *b, __m512i acc, int32_t mult,
                                                                    int32_t shift, const bool dround) {
  const rescale16 q = rescale16_uniform(b, mult, shift);
  return _mm512_cvtepi32_epi8(rescale16_apply(&q, acc, dround));
}

/* The tile of 16 rows, 16 K groups at a time: 16 64-byte row loads (masked
 * at the end of K, so the tail reads as 0), a 16 x 16 dword transpose (two
 * rounds of unpacks within 128-bit lanes, two of lane shuffles), the flip
 * to a + 128, 16 stores.  Done in scalar code it was a quarter of a call's
 * time at K = 128. */
static void regroup16(const int8_t *a, size_t a_stride, size_t mr, size_t k, size_t groups, int8_t *tile) {
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  for (size_t g0 = 0; g0 < groups; g0 += 16) {
    const __mmask64 live = coopt_low_bytes_mask(k - 4 * g0);
    __m512i t[16], u[16];
    for (size_t r = 0; r < 16; ++r)
      t[r] = _mm512_maskz_loadu_epi8(live, a + (r < mr ? r : mr - 1) * a_stride + 4 * g0);
    for (size_t r = 0; r < 16; r += 2) {
      const __m512i lo = _mm512_unpacklo_epi32(t[r], t[r + 1]), hi = _mm512_unpackhi_epi32(t[r], t[r + 1]);
      t[r] = lo, t[r + 1] = hi;
    }
    /* u[4q + j]: group 4l + j of rows 4q..4q+3 in 128-bit lane l. */
    for (size_t q = 0; q < 4; ++q) {
      const __m512i *x = t + 4 * q;
      u[4 * q + 0] = _mm512_unpacklo_epi64(x[0], x[2]), u[4 * q + 1] = _mm512_unpackhi_epi64(x[0], x[2]);
      u[4 * q + 2] = _mm512_unpacklo_epi64(x[1], x[3]), u[4 * q + 3] = _mm512_unpackhi_epi64(x[1], x[3]);
    }
    for (size_t j = 0; j < 4; ++j) {
      const __m512i v0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44), v1 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xEE);
      const __m512i v2 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44),
                    v3 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xEE);
      const __m512i out[4] = {_mm512_shuffle_i32x4(v0, v2, 0x88), _mm512_shuffle_i32x4(v0, v2, 0xDD),
                              _mm512_shuffle_i32x4(v1, v3, 0x88), _mm512_shuffle_i32x4(v1, v3, 0xDD)};
      for (size_t l = 0; l < 4; ++l)
        if (g0 + 4 * l + j < groups)
          _mm512_store_si512((void *)(tile + 64 * (g0 + 4 * l + j)), _mm512_xor_si512(out[l], flip));
    }
  }
}

#define REQUANT_COL(ch) col[ch] = requant_rows16(b, x##ch, P->mult[ch], P->shift[ch], dround)

/* 16 rows x one panel per step in zmm (qs8_bsgemm_x86.h has the design),
 * each channel's 4 weights broadcast from the block.  A last row block of
 * at most 8 rows (and so a call of at most 8) runs as broadcasts on EVEX
 * ymm, one vpdpbusd per row and block where the zmm step costs 8 for up to
 * 16 rows. */
#define BS_STEP16(x, ch) x = _mm512_dpbusd_epi32(x, t, _mm512_set1_epi32(dword_at(blk, ch)))

static size_t rows_of(size_t mr) { return mr <= 8 ? mr : 16; }

static void regroup(const int8_t *a, size_t a_stride, size_t mr, size_t rows, size_t k, size_t groups, uint32_t flip,
                    int8_t *tile) {
  if (rows == 16)
    regroup16(a, a_stride, mr, k, groups, tile);
  else
    coopt_regroup_rows(a, a_stride, mr, rows, k, groups, flip, tile);
}

static inline __attribute__((always_inline)) void panel_rows16(const coopt_blob *b, const coopt_bs_panel *P,
                                                               const int32_t *s0, const int8_t *tile, size_t mr,
                                                               int8_t *c, size_t c_stride, const bool dround) {
  __m512i x0 = _mm512_set1_epi32(s0[0]), x1 = _mm512_set1_epi32(s0[1]), x2 = _mm512_set1_epi32(s0[2]),
          x3 = _mm512_set1_epi32(s0[3]), x4 = _mm512_set1_epi32(s0[4]), x5 = _mm512_set1_epi32(s0[5]),
          x6 = _mm512_set1_epi32(s0[6]), x7 = _mm512_set1_epi32(s0[7]);
  const int8_t *at = tile, *blk = P->blocks;
  for (size_t q = 0; q < P->nb; ++q, blk += 32) {
    at += 64 * (size_t)P->delta[q];
    const __m512i t = _mm512_load_si512((const void *)at);
    BS_STEP16(x0, 0), BS_STEP16(x1, 1), BS_STEP16(x2, 2), BS_STEP16(x3, 3);
    BS_STEP16(x4, 4), BS_STEP16(x5, 5), BS_STEP16(x6, 6), BS_STEP16(x7, 7);
  }
  __m128i col[8];
  REQUANT_COL(0), REQUANT_COL(1), REQUANT_COL(2), REQUANT_COL(3);
  REQUANT_COL(4), REQUANT_COL(5), REQUANT_COL(6), REQUANT_COL(7);
  store_8ch_rows(col, c, c_stride, mr, P->ncols);
}

static inline __attribute__((always_inline)) void panel_16x8(const coopt_blob *b, const coopt_bs_panel *P,
                                                             const int32_t *start, const int8_t *tile, size_t rows,
                                                             size_t mr, int8_t *c, size_t c_stride, const bool dround) {
  if (rows == 16)
    panel_rows16(b, P, start, tile, mr, c, c_stride, dround);
  else
    bs_panel_broadcast(b, P, start, tile, rows, c, c_stride, dround);
}

static inline __attribute__((always_inline)) void qs8_bsgemm_16x8c4(const void *packed, size_t m, const int8_t *a,
                                                                    size_t a_stride, int8_t *c, size_t c_stride,
                                                                    const bool dround) {
  coopt_bsgemm_drive(packed, m, a, a_stride, c, c_stride,
                     (coopt_bs_shape){.rows_max = 16,
                                      .flip = 0x80808080u,
                                      .rows_of = rows_of,
                                      .regroup = regroup,
                                      .start = bsgemm_start,
                                      .panel = panel_16x8},
                     dround);
}

void coopt_qs8_bsgemm_16x8c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  qs8_bsgemm_16x8c4(packed, m, a, a_stride, c, c_stride, false);
}

void coopt_qs8_bsgemm_dround_16x8c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride,
                                                int8_t *c, size_t c_stride) {
  qs8_bsgemm_16x8c4(packed, m, a, a_stride, c, c_stride, true);
}
