/*
 * The parts of the x86-64 block-sparse int8 GEMM tiles that the AVX-VNNI
 * and AVX-512 files share (internal): each includes this after defining
 * BS_DPBUSD256(acc, u8, s8) as its encoding of a ymm vpdpbusd (VEX for
 * AVX-VNNI, EVEX for AVX-512 VL), so one text serves both ISAs.
 *
 * The blocks differ from panel to panel, so in the dense tiles' layout (a
 * vector of channels, fed by one activation broadcast per row and K group)
 * each broadcast would feed only one block's 8 channels, where the dense
 * tiles feed 16 or 32 with it.  Turned around, a vector holds one
 * channel's accumulators for 8 (ymm) or 16 (zmm) rows; the rows'
 * activations of a K group are one vector of a tile regrouped once per row
 * block and read by every panel ([group][rows][4], a + 128 as unsigned
 * bytes); each channel's 4 weights of a block are broadcast from memory (a
 * load, no shuffle).  A kept block is one tile load and 8 vpdpbusd on 8
 * independent chains, the dense tiles' MACs per instruction; a zero block
 * costs nothing.  As in the dense tiles, each channel starts from bias -
 * 128 * sum(w), computed once per call.
 */
#ifndef COOPT_RT_ARCH_X86_64_QS8_BSGEMM_X86_H
#define COOPT_RT_ARCH_X86_64_QS8_BSGEMM_X86_H

#include "x86.h"

/* The i-th 4 bytes at p as a dword, for a broadcast: a block's channel i
 * weights, or row i's activations of a K group in the tile. */
static inline int32_t dword_at(const int8_t *p, size_t i) {
  int32_t v;
  memcpy(&v, p + 4 * i, 4);
  return v;
}

/* bias' - 128 * sum(w) of every channel (start: panels * NR int32). */
static inline void bsgemm_start(const void *packed, int32_t *start) {
  const coopt_blob *b = coopt_blob_of(packed);
  const __m256i ones = _mm256_set1_epi8(1);
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_bs_panel P = coopt_bs_panel_of(packed, p);
    /* Two chains: one would wait on vpdpbusd's latency every block. */
    __m256i s = _mm256_setzero_si256(), s1 = s;
    size_t q = 0;
    for (; q + 2 <= P.nb; q += 2) {
      s = BS_DPBUSD256(s, ones, _mm256_loadu_si256((const __m256i *)(P.blocks + 32 * q)));
      s1 = BS_DPBUSD256(s1, ones, _mm256_loadu_si256((const __m256i *)(P.blocks + 32 * q + 32)));
    }
    if (q < P.nb)
      s = BS_DPBUSD256(s, ones, _mm256_loadu_si256((const __m256i *)(P.blocks + 32 * q)));
    s = _mm256_add_epi32(s, s1);
    _mm256_storeu_si256((__m256i *)(start + COOPT_QS8_NR * p),
                        _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)P.bias), _mm256_slli_epi32(s, 7)));
  }
}

/* 8 rows of one channel to int8, in the low 8 bytes. */
static inline __attribute__((always_inline)) __m128i requant_rows8(const coopt_blob *b, __m256i acc, int32_t mult,
                                                                   int32_t shift, const bool dround) {
  return narrow8_i8(rescale8_blob(b, acc, _mm256_set1_epi32(mult), _mm256_set1_epi32(shift), dround));
}

#define BS_STEP8(x, ch)    x = BS_DPBUSD256(x, t, _mm256_set1_epi32(dword_at(blk, ch)))
#define BS_REQUANT8(x, ch) col[ch] = requant_rows8(b, x, P->mult[ch], P->shift[ch], dround)

/* One panel for 8 rows as a vector of rows (tile: [group][8 rows][4],
 * coopt_regroup_rows), the first mr stored. */
static inline __attribute__((always_inline)) void bs_panel_rows8(const coopt_blob *b, const coopt_bs_panel *P,
                                                                 const int32_t *s0, const int8_t *tile, size_t mr,
                                                                 int8_t *c, size_t c_stride, const bool dround) {
  __m256i x0 = _mm256_set1_epi32(s0[0]), x1 = _mm256_set1_epi32(s0[1]), x2 = _mm256_set1_epi32(s0[2]),
          x3 = _mm256_set1_epi32(s0[3]), x4 = _mm256_set1_epi32(s0[4]), x5 = _mm256_set1_epi32(s0[5]),
          x6 = _mm256_set1_epi32(s0[6]), x7 = _mm256_set1_epi32(s0[7]);
  const int8_t *at = tile, *blk = P->blocks;
  for (size_t q = 0; q < P->nb; ++q, blk += 32) {
    at += 32 * (size_t)P->delta[q];
    const __m256i t = _mm256_load_si256((const __m256i *)at);
    BS_STEP8(x0, 0), BS_STEP8(x1, 1), BS_STEP8(x2, 2), BS_STEP8(x3, 3);
    BS_STEP8(x4, 4), BS_STEP8(x5, 5), BS_STEP8(x6, 6), BS_STEP8(x7, 7);
  }
  __m128i col[8];
  BS_REQUANT8(x0, 0), BS_REQUANT8(x1, 1), BS_REQUANT8(x2, 2), BS_REQUANT8(x3, 3);
  BS_REQUANT8(x4, 4), BS_REQUANT8(x5, 5), BS_REQUANT8(x6, 6), BS_REQUANT8(x7, 7);
  store_8ch_rows(col, c, c_stride, mr, P->ncols);
}

/* One panel for `rows` (1..8, a constant where inlined) rows the other way
 * round, as the dense tiles: a ymm holds one row's 8 channels, and a kept
 * block is one 32-byte load and one vpdpbusd per row against the row's 4
 * activations broadcast from the tile ([group][rows][4]).  For a call's
 * last few rows and GEMVs, where a vector of rows would be mostly
 * padding: this costs `rows` vpdpbusd per block, a vector of rows 8. */
static inline __attribute__((always_inline)) void bs_panel_few(const coopt_blob *b, const coopt_bs_panel *P,
                                                               const int32_t *s0, const int8_t *tile, const size_t rows,
                                                               int8_t *c, size_t c_stride, const bool dround) {
  /* vpdpbusd's latency is several cycles: with few rows, blocks alternate
   * between `chains` accumulators per row so that about 8 are in flight. */
  const size_t chains = rows <= 2 ? 4 : rows <= 4 ? 2 : 1;
  /* The loops over chains and rows are unrolled so that acc lives in
   * registers. */
  __m256i acc[4][8];
#pragma GCC unroll 4
  for (size_t u = 0; u < chains; ++u)
#pragma GCC unroll 8
    for (size_t r = 0; r < rows; ++r)
      acc[u][r] = u ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *)s0);
  const int8_t *at = tile;
  size_t q = 0;
  for (; q + chains <= P->nb; q += chains)
#pragma GCC unroll 4
    for (size_t u = 0; u < chains; ++u) {
      at += 4 * rows * (size_t)P->delta[q + u];
      const __m256i w = _mm256_loadu_si256((const __m256i *)(P->blocks + 32 * (q + u)));
#pragma GCC unroll 8
      for (size_t r = 0; r < rows; ++r)
        acc[u][r] = BS_DPBUSD256(acc[u][r], _mm256_set1_epi32(dword_at(at, r)), w);
    }
  for (; q < P->nb; ++q) {
    at += 4 * rows * (size_t)P->delta[q];
    const __m256i w = _mm256_loadu_si256((const __m256i *)(P->blocks + 32 * q));
#pragma GCC unroll 8
    for (size_t r = 0; r < rows; ++r)
      acc[0][r] = BS_DPBUSD256(acc[0][r], _mm256_set1_epi32(dword_at(at, r)), w);
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < rows; ++r) {
#pragma GCC unroll 4
    for (size_t u = 1; u < chains; ++u)
      acc[0][r] = _mm256_add_epi32(acc[0][r], acc[u][r]);
    epilogue8(b, acc[0][r], P->mult, P->shift, c + r * c_stride, NULL, P->ncols, dround);
  }
}

/* One panel for 1 to 8 rows as broadcasts (tile: [group][rows][4]), each
 * row count its own unrolled body. */
static inline __attribute__((always_inline)) void bs_panel_broadcast(const coopt_blob *b, const coopt_bs_panel *P,
                                                                     const int32_t *s0, const int8_t *tile, size_t rows,
                                                                     int8_t *c, size_t c_stride, const bool dround) {
  switch (rows) {
  case 1: bs_panel_few(b, P, s0, tile, 1, c, c_stride, dround); break;
  case 2: bs_panel_few(b, P, s0, tile, 2, c, c_stride, dround); break;
  case 3: bs_panel_few(b, P, s0, tile, 3, c, c_stride, dround); break;
  case 4: bs_panel_few(b, P, s0, tile, 4, c, c_stride, dround); break;
  case 5: bs_panel_few(b, P, s0, tile, 5, c, c_stride, dround); break;
  case 6: bs_panel_few(b, P, s0, tile, 6, c, c_stride, dround); break;
  case 7: bs_panel_few(b, P, s0, tile, 7, c, c_stride, dround); break;
  default: bs_panel_few(b, P, s0, tile, 8, c, c_stride, dround); break;
  }
}

#endif
