/*
 * x86-64 AVX-512 VBMI2 decode of the masked int8 forms into the dense panel
 * layout (masked.c's driver then runs the dense tile on it).
 *
 * The mask words are the dense layout's bitmap, so the decode is what
 * vpexpandb does: the next popcount(mask) stored bytes go to the set bits,
 * zeros elsewhere.  Two K groups (two 32-bit words, 64 dense bytes) per
 * step.  The 4-bit form first unpacks the next 64 codes from the packed
 * nibbles (vpermb + vpmultishiftqb, which handle an odd starting nibble by
 * shifting 4 bits more), expands them the same way and looks each up in
 * its channel's 16-entry codebook: the panel's 8 codebooks are 128 bytes,
 * exactly the two-register table of vpermi2b, indexed by 16 * channel +
 * code.  Loads of the stored bytes are masked to what the step consumes,
 * so nothing is read past the blob.
 *
 * A block mask (bit j of byte g: channel j's 4 weights of group g stored)
 * is one bit per dword of the dense layout, so the int8 form is
 * vpexpandd, 16 blocks (two groups) per step: 0.022 ns a weight, where
 * widening the mask to the per-weight one and decoding that took 0.047.
 * The 4-bit form is widened: reading the block mask directly (the code
 * quads expanded as dwords, their nibbles spread by vpmultishiftqb) took
 * 0.066-0.071 ns a weight on this host's Zen 4, and in two passes (codes
 * unpacked to bytes, then vpexpandd) 0.060, against 0.056-0.062 widened,
 * with no instruction of their loops standing out in perf annotate.
 */
#include "x86.h"

static inline uint64_t mask_pair(const uint32_t *mask, size_t g, size_t groups) {
  return mask[g] | (g + 1 < groups ? (uint64_t)mask[g + 1] << 32 : 0);
}

static void decode_i8(const uint32_t *mask, const uint8_t *v, size_t groups, int8_t *out) {
  for (size_t g = 0; g < groups; g += 2) {
    const uint64_t m = mask_pair(mask, g, groups);
    const __m512i w = _mm512_maskz_expandloadu_epi8(m, v);
    _mm512_mask_storeu_epi8(out + 32 * g, coopt_low_bytes_mask(g + 1 < groups ? 64 : 32), w);
    v += __builtin_popcountll(m);
  }
}

/* The 64 codes from nibble `at` on, one per byte (only the first `count`
 * are meaningful). */
static inline __m512i unpack_codes(const uint8_t *values, size_t at, size_t count) {
  /* Output qword q holds codes 8q..8q+7, which lie in source bytes
   * 4q..4q+4 counted from at / 2. */
  const __m512i spread =
      _mm512_set_epi8(35, 34, 33, 32, 31, 30, 29, 28, 31, 30, 29, 28, 27, 26, 25, 24, 27, 26, 25, 24, 23, 22, 21, 20,
                      23, 22, 21, 20, 19, 18, 17, 16, 19, 18, 17, 16, 15, 14, 13, 12, 15, 14, 13, 12, 11, 10, 9, 8, 11,
                      10, 9, 8, 7, 6, 5, 4, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i shifts =
      _mm512_add_epi8(_mm512_set1_epi64(0x1C1814100C080400LL), _mm512_set1_epi8((char)(4 * (at % 2))));
  const size_t bytes = (at % 2 + count + 1) / 2;
  const __m512i src = _mm512_maskz_loadu_epi8(coopt_low_bytes_mask(bytes), values + at / 2);
  const __m512i nib = _mm512_multishift_epi64_epi8(shifts, _mm512_permutexvar_epi8(spread, src));
  return _mm512_and_si512(nib, _mm512_set1_epi8(0x0F));
}

/* 16 * the panel channel of each dense byte of two groups ((j % 32) / 4):
 * added to a code, the index of its entry in the panel's 8 codebooks. */
static inline __m512i panel_channels(void) {
  return _mm512_set_epi8(112, 112, 112, 112, 96, 96, 96, 96, 80, 80, 80, 80, 64, 64, 64, 64, 48, 48, 48, 48, 32, 32, 32,
                         32, 16, 16, 16, 16, 0, 0, 0, 0, 112, 112, 112, 112, 96, 96, 96, 96, 80, 80, 80, 80, 64, 64, 64,
                         64, 48, 48, 48, 48, 32, 32, 32, 32, 16, 16, 16, 16, 0, 0, 0, 0);
}

static void decode_lut4(const uint32_t *mask, const uint8_t *values, size_t groups, const int8_t *book, size_t ncols,
                        int8_t *out) {
  const __m512i chan = panel_channels();
  const __m512i lo = _mm512_maskz_loadu_epi8(coopt_low_bytes_mask(16 * ncols), book);
  const __m512i hi = _mm512_maskz_loadu_epi8(coopt_low_bytes_mask(16 * ncols > 64 ? 16 * ncols - 64 : 0), book + 64);
  size_t at = 0;
  for (size_t g = 0; g < groups; g += 2) {
    const uint64_t m = mask_pair(mask, g, groups);
    const size_t count = (size_t)__builtin_popcountll(m);
    const __m512i codes = _mm512_maskz_expand_epi8(m, unpack_codes(values, at, count));
    const __m512i w = _mm512_maskz_permutex2var_epi8(m, lo, _mm512_add_epi8(codes, chan), hi);
    _mm512_mask_storeu_epi8(out + 32 * g, coopt_low_bytes_mask(g + 1 < groups ? 64 : 32), w);
    at += count;
  }
}

/* Groups g and g + 1's block bytes (g + 1 < groups, else 0). */
static inline unsigned block_pair(const uint8_t *block, size_t g, size_t groups) {
  return block[g] | (g + 1 < groups ? (unsigned)block[g + 1] << 8 : 0u);
}

static void block_i8(const uint8_t *block, const uint8_t *v, size_t groups, int8_t *out) {
  for (size_t g = 0; g < groups; g += 2) {
    const unsigned m = block_pair(block, g, groups);
    const __m512i w = _mm512_maskz_expandloadu_epi32((__mmask16)m, v);
    _mm512_mask_storeu_epi8(out + 32 * g, coopt_low_bytes_mask(g + 1 < groups ? 64 : 32), w);
    v += 4 * __builtin_popcount(m);
  }
}

void coopt_qs8_masked_decode__avx512vbmi2(const void *packed, size_t p, void *dst) {
  /* The int8 form reads a block mask as it is, the 4-bit form widened. */
  const bool i8 = coopt_blob_of(packed)->kind == COOPT_BLOB_QS8_MASKED;
  uint32_t words[COOPT_MASKED_MAX_GROUPS];
  const coopt_masked_job J = coopt_masked_start(packed, p, dst, i8 ? NULL : words);
  if (!i8)
    decode_lut4(J.mask, J.values, J.groups, J.book, J.ncols, (int8_t *)J.out);
  else if (J.block)
    block_i8(J.block, J.values, J.groups, (int8_t *)J.out);
  else
    decode_i8(J.mask, J.values, J.groups, (int8_t *)J.out);
}
