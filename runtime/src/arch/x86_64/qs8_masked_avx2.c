/*
 * x86-64 decode of the masked int8 forms for CPUs without AVX-512 VBMI2
 * (built with the AVX2 files; uses SSSE3's pshufb only).  Eight dense
 * positions per step: coopt_masked_slots turns the mask byte into pshufb
 * indices, so one shuffle of the next 8 stored bytes places them, with 0
 * where nothing is stored.  The 4-bit form shuffles the step's 8 codes the
 * same way and looks them up in the two channels' codebooks (one pshufb
 * each, positions 0-3 from the first channel, 4-7 from the second).
 */
#include "x86.h"

static void decode_i8(const uint32_t *mask, const uint8_t *v, const uint8_t *end, size_t groups, uint8_t *out) {
  for (size_t i = 0; i < 4 * groups; ++i, out += 8) {
    size_t count;
    const uint64_t slots = coopt_masked_slots(mask[i / 4] >> (8 * (i % 4)) & 0xFF, &count);
    const __m128i x = _mm_cvtsi64_si128((long long)coopt_load8_until(v, end));
    _mm_storel_epi64((__m128i *)out, _mm_shuffle_epi8(x, _mm_cvtsi64_si128((long long)slots)));
    v += count;
  }
}

static void decode_lut4(const uint32_t *mask, const uint8_t *values, const uint8_t *end, size_t groups,
                        const int8_t *book, uint8_t *out) {
  const __m128i nib = _mm_set1_epi8(0x0F), hi_byte = _mm_set1_epi8((char)0x80);
  __m128i tab[8];
  for (size_t c = 0; c < 8; ++c)
    tab[c] = _mm_loadu_si128((const __m128i *)(book + 16 * c));
  size_t at = 0;
  for (size_t i = 0; i < 4 * groups; ++i, out += 8) {
    size_t count;
    const __m128i slots = _mm_cvtsi64_si128((long long)coopt_masked_slots(mask[i / 4] >> (8 * (i % 4)) & 0xFF, &count));
    /* The next 8 codes, one per byte: low nibble first. */
    const __m128i raw = _mm_cvtsi32_si128((int)(coopt_load8_until(values + at / 2, end) >> (4 * (at % 2))));
    const __m128i codes = _mm_unpacklo_epi8(_mm_and_si128(raw, nib), _mm_and_si128(_mm_srli_epi16(raw, 4), nib));
    /* Unstored positions keep bit 7, which makes both lookups 0. */
    const __m128i idx = _mm_or_si128(_mm_shuffle_epi8(codes, slots), _mm_and_si128(slots, hi_byte));
    const __m128i lo = _mm_shuffle_epi8(tab[2 * (i % 4)], idx), hi = _mm_shuffle_epi8(tab[2 * (i % 4) + 1], idx);
    _mm_storel_epi64((__m128i *)out, _mm_blend_epi16(lo, hi, 0x0C));
    at += count;
  }
}

void coopt_qs8_masked_decode__avx2(const void *packed, size_t p, void *dst) {
  uint32_t words[COOPT_MASKED_MAX_GROUPS];
  const coopt_masked_job J = coopt_masked_start(packed, p, dst, words);
  if (!J.book)
    decode_i8(J.mask, J.values, J.end, J.groups, J.out);
  else
    decode_lut4(J.mask, J.values, J.end, J.groups, J.book, J.out);
}
