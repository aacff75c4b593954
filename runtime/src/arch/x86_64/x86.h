/*
 * Helpers shared by the x86-64 tiles (internal).  Every file that includes
 * this is compiled with at least -mavx2 -mfma (runtime/CMakeLists.txt); the
 * dispatcher calls a tile only on a CPU that has its features, so these
 * inline functions never run where AVX2 is missing.
 */
#ifndef COOPT_RT_ARCH_X86_64_X86_H
#define COOPT_RT_ARCH_X86_64_X86_H

#define _POSIX_C_SOURCE 200809L
#include "../../tiles.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/* A c4 group's 4 int8 activations (tiles.h coopt_load_group4: `avail` of
 * them real, the K tail reading 0) as int16, in all four 64-bit lanes. */
static inline __m256i bcast4_i16(const int8_t *a, size_t avail, bool back) {
  __m128i x = _mm_cvtepi8_epi16(_mm_cvtsi32_si128((int)coopt_load_group4(a, avail, back)));
  return _mm256_broadcastq_epi64(x);
}

/* TOSA RESCALE of 8 accumulators with per-lane multiplier and shift, +
 * zero point, clamp: (acc * m + 2^(s-1)) >> s in 64-bit lanes.  AVX2 has no
 * 64-bit arithmetic shift, so x >> s = ((x ^ 2^63) >>> s) - (2^63 >>> s).
 * The result fits int32 whenever TOSA's REQUIRE holds.
 *
 * `dround` (a constant wherever this expands) selects DOUBLE_ROUND, whose
 * rounding term moves by 2^30 toward the accumulator's sign where the shift
 * exceeds 31.  Each tile with a vector epilogue is compiled once per
 * rounding, the DOUBLE_ROUND one named `_dround`, and the dispatcher picks
 * by the blob (tiles.h): no epilogue branches on it. */
static inline __attribute__((always_inline)) __m256i rescale8(__m256i acc, __m256i mult, __m256i shift, __m256i zp,
                                                              __m256i lo, __m256i hi, const bool dround) {
  const __m256i one = _mm256_set1_epi64x(1), sign = _mm256_set1_epi64x((long long)(1ull << 63));
  __m256i sh_even = _mm256_and_si256(shift, _mm256_set1_epi64x(0xFFFFFFFF)), sh_odd = _mm256_srli_epi64(shift, 32);
  __m256i pe = _mm256_mul_epi32(acc, mult);
  __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(mult, 32));
  pe = _mm256_add_epi64(pe, _mm256_sllv_epi64(one, _mm256_sub_epi64(sh_even, one)));
  po = _mm256_add_epi64(po, _mm256_sllv_epi64(one, _mm256_sub_epi64(sh_odd, one)));
  if (dround) {
    /* +-2^30 as (2^30 ^ neg) - neg, neg = -1 for a negative accumulator
     * (the even one shifted into the lane's sign), kept where shift > 31. */
    const __m256i zero = _mm256_setzero_si256(), q30 = _mm256_set1_epi64x(1ll << 30), s31 = _mm256_set1_epi64x(31);
    const __m256i neg_e = _mm256_cmpgt_epi64(zero, _mm256_slli_epi64(acc, 32)), neg_o = _mm256_cmpgt_epi64(zero, acc);
    pe = _mm256_add_epi64(
        pe, _mm256_and_si256(_mm256_cmpgt_epi64(sh_even, s31), _mm256_sub_epi64(_mm256_xor_si256(q30, neg_e), neg_e)));
    po = _mm256_add_epi64(
        po, _mm256_and_si256(_mm256_cmpgt_epi64(sh_odd, s31), _mm256_sub_epi64(_mm256_xor_si256(q30, neg_o), neg_o)));
  }
  pe = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_xor_si256(pe, sign), sh_even), _mm256_srlv_epi64(sign, sh_even));
  po = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_xor_si256(po, sign), sh_odd), _mm256_srlv_epi64(sign, sh_odd));
  __m256i r = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
  r = _mm256_add_epi32(r, zp);
  return _mm256_min_epi32(_mm256_max_epi32(r, lo), hi);
}

/* The blob's output zero point and clamp, as rescale8 takes them. */
static inline __m256i rescale8_blob(const coopt_blob *b, __m256i acc, __m256i mult, __m256i shift, const bool dround) {
  return rescale8(acc, mult, shift, _mm256_set1_epi32(b->out_zero_point), _mm256_set1_epi32(b->out_min),
                  _mm256_set1_epi32(b->out_max), dround);
}

/* Store 8 int32 (already in int8 range) as int8. */
/* 8 int32 (already in int8 range) as int8, in the low 8 bytes. */
static inline __m128i narrow8_i8(__m256i v) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return _mm_packs_epi16(w, w);
}

static inline void store8_i8(int8_t *out, __m256i v, size_t ncols) {
  const __m128i b = narrow8_i8(v);
  if (ncols == 8) {
    _mm_storel_epi64((__m128i *)out, b);
  } else {
    int8_t t[16];
    _mm_storeu_si128((__m128i *)t, b);
    memcpy(out, t, ncols);
  }
}

/* The 8 channels' accumulators of one row: vphaddd folds the pair sums. */
static inline __m256i finish8(__m256i lo, __m256i hi, __m256i bias) {
  const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  return _mm256_add_epi32(_mm256_permutevar8x32_epi32(_mm256_hadd_epi32(lo, hi), order), bias);
}

static inline __attribute__((always_inline)) void epilogue8(const coopt_blob *b, __m256i s, const int32_t *pm,
                                                            const int32_t *ps, int8_t *c, int32_t *acc_out,
                                                            size_t ncols, const bool dround) {
  if (acc_out) {
    int32_t t[8];
    _mm256_storeu_si256((__m256i *)t, s);
    memcpy(acc_out, t, ncols * 4);
  } else {
    store8_i8(
        c,
        rescale8_blob(b, s, _mm256_loadu_si256((const __m256i *)pm), _mm256_loadu_si256((const __m256i *)ps), dround),
        ncols);
  }
}

/* Horizontal sum of 8 int32. */
static inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

/* 16 int8 activations and 16 int8 weights: 8 int32 partial sums. */
static inline __m256i dot16(__m128i w, __m128i x) {
  return _mm256_madd_epi16(_mm256_cvtepi8_epi16(w), _mm256_cvtepi8_epi16(x));
}

/* One panel's 8 channel columns of up to 16 rows (byte j of col[ch] is row
 * j's output of channel ch, already int8) as rows: a byte transpose by
 * three rounds of unpacks, then the first mr rows' first ncols bytes. */
static inline void store_8ch_rows(const __m128i col[8], int8_t *c, size_t c_stride, size_t mr, size_t ncols) {
  const __m128i a0 = _mm_unpacklo_epi8(col[0], col[1]), a1 = _mm_unpackhi_epi8(col[0], col[1]);
  const __m128i a2 = _mm_unpacklo_epi8(col[2], col[3]), a3 = _mm_unpackhi_epi8(col[2], col[3]);
  const __m128i a4 = _mm_unpacklo_epi8(col[4], col[5]), a5 = _mm_unpackhi_epi8(col[4], col[5]);
  const __m128i a6 = _mm_unpacklo_epi8(col[6], col[7]), a7 = _mm_unpackhi_epi8(col[6], col[7]);
  /* Channels 0-3 and 4-7 of rows 0-3, 4-7, 8-11, 12-15. */
  const __m128i b0 = _mm_unpacklo_epi16(a0, a2), b1 = _mm_unpackhi_epi16(a0, a2);
  const __m128i b2 = _mm_unpacklo_epi16(a1, a3), b3 = _mm_unpackhi_epi16(a1, a3);
  const __m128i b4 = _mm_unpacklo_epi16(a4, a6), b5 = _mm_unpackhi_epi16(a4, a6);
  const __m128i b6 = _mm_unpacklo_epi16(a5, a7), b7 = _mm_unpackhi_epi16(a5, a7);
  /* Row pairs (0, 1), (2, 3), ... (14, 15), 8 bytes each. */
  const __m128i d[8] = {_mm_unpacklo_epi32(b0, b4), _mm_unpackhi_epi32(b0, b4), _mm_unpacklo_epi32(b1, b5),
                        _mm_unpackhi_epi32(b1, b5), _mm_unpacklo_epi32(b2, b6), _mm_unpackhi_epi32(b2, b6),
                        _mm_unpacklo_epi32(b3, b7), _mm_unpackhi_epi32(b3, b7)};
  if (ncols == 8) {
    for (size_t r = 0; r < mr; ++r)
      if (r % 2)
        _mm_storeh_pd((double *)(void *)(c + r * c_stride), _mm_castsi128_pd(d[r / 2]));
      else
        _mm_storel_epi64((__m128i *)(void *)(c + r * c_stride), d[r / 2]);
    return;
  }
  for (size_t r = 0; r < mr; ++r) {
    int8_t t[16];
    _mm_storeu_si128((__m128i *)t, d[r / 2]);
    memcpy(c + r * c_stride, t + 8 * (r % 2), ncols);
  }
}

/* Requantize one channel's 8 row accumulators and store the first mr rows
 * (a column of the output, stride c_stride). */
static inline __attribute__((always_inline)) void store_channel_8rows(const coopt_blob *b, __m256i acc, int32_t mult,
                                                                      int32_t shift, int8_t *c, size_t c_stride,
                                                                      size_t mr, const bool dround) {
  int32_t t[8];
  _mm256_storeu_si256((__m256i *)t, rescale8_blob(b, acc, _mm256_set1_epi32(mult), _mm256_set1_epi32(shift), dround));
  for (size_t r = 0; r < mr; ++r)
    c[r * c_stride] = (int8_t)t[r];
}

/* The 8-row 1x4 sparse tiles' loop (AVX2 and AVX-VNNI): 8 rows a step
 * regrouped block-major once (coopt_regroup_rows: for every 4-block of K,
 * 8 rows x 4 bytes = 32 contiguous bytes, each word xor `flip`), then
 * every channel's kept blocks through the tile, which returns the
 * channel's 8 row sums, bias included, and the driver requantizes them as
 * a column.  The regroup costs 8*K bytes once per step and is shared by
 * every channel, which is what lets the skipped blocks turn into time.
 * `start`: per-channel values a tile computed once per call (or NULL). */
typedef __m256i (*x86_spgemm8_tile_fn)(const coopt_chan_view *V, const int8_t *tile, size_t ch, size_t *j,
                                       const int32_t *start);

static inline __attribute__((always_inline)) void
x86_spgemm8_drive(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride,
                  const uint32_t flip, const int32_t *start, const x86_spgemm8_tile_fn tile_fn, const bool dround) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const size_t blocks = b->kp / 4;
  _Alignas(32) int8_t tile_stack[16384]; /* K up to 2,048 */
  int8_t *tile = coopt_scratch_get(tile_stack, sizeof tile_stack, blocks * 32, 32);
  if (!tile)
    return;
  for (size_t r0 = 0; r0 < m; r0 += 8) {
    const size_t mr = m - r0 < 8 ? m - r0 : 8;
    coopt_regroup_rows(a + r0 * a_stride, a_stride, mr, 8, b->k, blocks, flip, tile);
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch)
      store_channel_8rows(b, tile_fn(&V, tile, ch, &j, start), V.mult[ch], V.shift[ch], c + r0 * c_stride + ch,
                          c_stride, mr, dround);
  }
  coopt_scratch_put(tile, tile_stack);
}

/* The dense int8 GEMM's loops, shared by the AVX2, AVX-VNNI and AVX-512
 * tiles.  A tile runs one step, `np` panels (8 channels each) of up to 4
 * rows, K loop and store; its accumulators stay named locals of the tile,
 * because GCC 12 keeps an array or struct of them (what a driver-side
 * store would need) in memory, not in registers.
 *
 * Two loop orders, by `rows`:
 * - 4 (the 4-row tiles): panel groups outer, rows inner, so that a group
 *   prologue (`group`: a weight-side term such as VNNI's 128 * sum(w), the
 *   requantization's vectors) runs once per group of panels for all rows;
 *   rows past m repeat the last row and are not stored;
 * - 1 (the 1-row tiles, M < 4): rows outer, so that a row prologue (`row`:
 *   the unsigned-weight tiles' sum of the row) runs once per row for all
 *   panels.
 * The 4-row order takes `np` panels a step; in its last step `real` may be
 * less than np, and the tile repeats the last real panel there (not
 * stored).  The 1-row order takes `np` panels a step while whole groups
 * remain, then `np_tail` a step through `tail` (with `real` <= np_tail),
 * where a narrower shape keeps enough accumulator chains busy. */
#define X86_GEMM_GROUP_STATE 2048

typedef struct x86_gemm_step {
  const coopt_blob *b;
  const void *packed;
  size_t p, real;      /* the step's first panel; how many of its panels are inside N */
  const int8_t *ar[4]; /* the step's rows (past mr: the last row again) */
  size_t mr;
  int32_t row_term;  /* the row prologue's value (1-row order) */
  const void *group; /* the group prologue's state (4-row order) */
  int8_t *c;         /* the outputs of row 0, channel 8 * p (c is NULL for raw int32) */
  int32_t *acc;
  size_t c_stride, acc_stride;
} x86_gemm_step;

/* Row r's output at panel i of the step, requantized or raw (the other NULL). */
static inline int8_t *x86_gemm_c(const x86_gemm_step *s, size_t r, size_t i) {
  return s->c ? s->c + r * s->c_stride + i * COOPT_QS8_NR : NULL;
}

static inline int32_t *x86_gemm_acc(const x86_gemm_step *s, size_t r, size_t i) {
  return s->acc ? s->acc + r * s->acc_stride + i * COOPT_QS8_NR : NULL;
}

typedef void (*x86_gemm_tile_fn)(const x86_gemm_step *s, const bool dround);
typedef void (*x86_gemm_group_fn)(const coopt_blob *b, const void *packed, size_t p, size_t real, void *state);
typedef int32_t (*x86_gemm_row_fn)(const int8_t *x, size_t k);

/* A kernel's shape for the driver, written with designated initializers at
 * the call (the fields it does not name are 0 / NULL). */
typedef struct x86_gemm_shape {
  size_t rows;             /* 4 or 1: the loop order */
  size_t np;               /* panels a step */
  x86_gemm_tile_fn tile;   /* the step */
  size_t np_tail;          /* 1-row order: panels a step past the whole groups */
  x86_gemm_tile_fn tail;   /* 1-row order: the step for them */
  x86_gemm_group_fn group; /* 4-row order: the group prologue, or NULL */
  x86_gemm_row_fn row;     /* 1-row order: the row prologue, or NULL */
} x86_gemm_shape;

/* Point the step at row `row`, panel p of the call's outputs (c or acc_out,
 * the other NULL). */
static inline void x86_gemm_at(x86_gemm_step *s, int8_t *c, int32_t *acc_out, size_t row, size_t p) {
  s->p = p;
  s->c = c ? c + row * s->c_stride + p * COOPT_QS8_NR : NULL;
  s->acc = acc_out ? acc_out + row * s->acc_stride + p * COOPT_QS8_NR : NULL;
}

/* One block of mr rows from r0 through the tile (4-row order). */
static inline __attribute__((always_inline)) void x86_gemm_rows(x86_gemm_step *s, const x86_gemm_tile_fn tile,
                                                                size_t r0, size_t mr, const int8_t *a, size_t a_stride,
                                                                int8_t *c, int32_t *acc_out, const size_t rows,
                                                                const bool dround) {
  s->mr = mr;
  for (size_t r = 0; r < rows; ++r)
    s->ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
  x86_gemm_at(s, c, acc_out, r0, s->p);
  tile(s, dround);
}

static inline __attribute__((always_inline)) void x86_gemm_drive(const void *packed, size_t m, const int8_t *a,
                                                                 size_t a_stride, int8_t *c, size_t c_stride,
                                                                 int32_t *acc_out, size_t acc_stride,
                                                                 const x86_gemm_shape shape, const bool dround) {
  const size_t rows = shape.rows, np = shape.np, np_tail = shape.np_tail;
  const x86_gemm_tile_fn tile = shape.tile, tail = shape.tail;
  const x86_gemm_group_fn group = shape.group;
  const x86_gemm_row_fn row = shape.row;
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t panels = (b->n + COOPT_QS8_NR - 1) / COOPT_QS8_NR;
  x86_gemm_step s = {.b = b, .packed = packed, .c_stride = c_stride, .acc_stride = acc_stride};
  if (rows == 1) {
    s.mr = 1;
    for (size_t r = 0; r < m; ++r) {
      const int8_t *x = a + r * a_stride;
      s.ar[0] = s.ar[1] = s.ar[2] = s.ar[3] = x;
      s.row_term = row ? row(x, b->k) : 0;
      size_t p = 0;
      for (; p + np <= panels; p += np) {
        s.real = np;
        x86_gemm_at(&s, c, acc_out, r, p);
        tile(&s, dround);
      }
      for (; p < panels; p += np_tail) {
        s.real = panels - p < np_tail ? panels - p : np_tail;
        x86_gemm_at(&s, c, acc_out, r, p);
        tail(&s, dround);
      }
    }
    return;
  }
  _Alignas(64) unsigned char state[X86_GEMM_GROUP_STATE];
  s.group = state;
  for (size_t p = 0; p < panels; p += np) {
    s.p = p, s.real = panels - p < np ? panels - p : np;
    if (group)
      group(b, packed, p, s.real, state);
    /* Whole row blocks with mr the constant `rows` (so the tile's row
     * loops unroll and its accumulators stay in registers), then the last
     * partial one. */
    size_t r0 = 0;
    for (; r0 + rows <= m; r0 += rows)
      x86_gemm_rows(&s, tile, r0, rows, a, a_stride, c, acc_out, rows, dround);
    if (r0 < m)
      x86_gemm_rows(&s, tile, r0, m - r0, a, a_stride, c, acc_out, rows, dround);
  }
}

/* An AVX-512 byte mask of the first min(n, 64) bytes (plain integer code,
 * so it compiles in the AVX2 files too). */
static inline __mmask64 coopt_low_bytes_mask(size_t n) { return n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1; }

#endif
