/*
 * x86-64 decode of the masked int8 forms for CPUs without AVX-512 VBMI2
 * (built with the AVX2 files).  A K group (32 dense bytes, one mask word or
 * one block byte) per step, in registers: no per-byte work in scalar code.
 *
 * Per-weight mask: vpshufb moves bytes only within a 128-bit lane, and a
 * lane's 16 positions take at most 16 stored bytes, so each lane loads the
 * 16 bytes from its own first stored value (the high lane from the low
 * lane's popcount on) and one vpshufb places both.  Its indices are the
 * mask's bits as bytes, prefix-summed within each 8 bytes by three shifts
 * and adds, the high half of a lane offset by the low half's count, and
 * bit 7 where nothing is stored (vpshufb writes 0 there).  A first version
 * did 8 positions per step with 64-bit multiplies (coopt_masked_slots):
 * 0.24 ns a weight against vpexpandb's 0.02.
 *
 * Block mask (bit j: channel j's 4 weights stored): the group is 8 dwords,
 * so one vpermd of a masked load of the next kept blocks places them; the
 * 4-bit form places the kept blocks' 16-bit code quads with one vpshufb.
 *
 * The 4-bit forms look the codes up in 4 registers holding two codebooks
 * each (the low lane's channel j, the high lane's channel j + 4: the
 * lanes' 16 positions are 4 channels' 4 weights) and blend the four by
 * dword; the per-weight one unpacks a chunk's codes to bytes first.
 * Loads read at most 32 bytes past the step's first stored byte; the
 * last steps of a panel read a zero-padded copy instead.  The mask bits
 * are counted with POPCNT, which the dispatcher requires with AVX2.
 */
#include "x86.h"

/* Bytes of a 256-bit vector, lane by lane: v repeated. */
#define LANES2(...) __VA_ARGS__, __VA_ARGS__

/* Where position j (0-31) of a group with mask word m finds its value in
 * its lane's 16 source bytes, bit 7 where nothing is stored. */
static inline __m256i word_slots(uint32_t m) {
  const __m256i bit = _mm256_setr_epi8(LANES2(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128));
  const __m256i byte_of =
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i low_total =
      _mm256_setr_epi8(LANES2(-128, -128, -128, -128, -128, -128, -128, -128, 7, 7, 7, 7, 7, 7, 7, 7));
  const __m256i set =
      _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)m), byte_of), bit), bit);
  const __m256i one = _mm256_and_si256(set, _mm256_set1_epi8(1));
  __m256i s = _mm256_add_epi8(one, _mm256_slli_epi64(one, 8));
  s = _mm256_add_epi8(s, _mm256_slli_epi64(s, 16));
  s = _mm256_add_epi8(s, _mm256_slli_epi64(s, 32)); /* inclusive counts within each 8 bytes */
  s = _mm256_add_epi8(_mm256_sub_epi8(s, one), _mm256_shuffle_epi8(s, low_total));
  return _mm256_or_si256(s, _mm256_andnot_si256(set, _mm256_set1_epi8(-128)));
}

static inline __m256i two_lanes(const uint8_t *lo, const uint8_t *hi) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)lo)),
                                 _mm_loadu_si128((const __m128i *)hi), 1);
}

static void word_i8(const uint32_t *mask, const uint8_t *v, const uint8_t *end, size_t groups, uint8_t *out) {
  coopt_masked_tail tail = {.taken = false};
  for (size_t g = 0; g < groups; ++g, out += 32) {
    if (!tail.taken && end - v < 32) /* a step reads 32 bytes from v */
      v = coopt_masked_to_tail(&tail, v, &end);
    const uint32_t m = mask[g];
    const __m256i x = two_lanes(v, v + __builtin_popcount(m & 0xFFFF));
    _mm256_storeu_si256((__m256i *)out, _mm256_shuffle_epi8(x, word_slots(m)));
    v += __builtin_popcount(m);
  }
}

/* Codes one a byte: the `count` codes from nibble `at` of v (the blob's
 * stored bytes, up to end) into codes[at % 2 ...], 32 a step from the
 * byte holding nibble at; zeros after them up to 32 bytes. */
static void unpack_codes(const uint8_t *v, const uint8_t *end, size_t at, size_t count, uint8_t *codes) {
  const __m128i nib = _mm_set1_epi8(0x0F);
  const uint8_t *p = v + at / 2;
  const size_t bytes = (at % 2 + count + 1) / 2;
  for (size_t i = 0; i < bytes; i += 16, codes += 32) {
    __m128i raw;
    if (end - (p + i) >= 16) {
      raw = _mm_loadu_si128((const __m128i *)(p + i));
    } else {
      uint8_t last[16] = {0};
      memcpy(last, p + i, (size_t)(end - (p + i)));
      raw = _mm_loadu_si128((const __m128i *)last);
    }
    const __m128i lo = _mm_and_si128(raw, nib), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), nib);
    _mm_storeu_si128((__m128i *)codes, _mm_unpacklo_epi8(lo, hi));
    _mm_storeu_si128((__m128i *)(codes + 16), _mm_unpackhi_epi8(lo, hi));
  }
  memset(codes, 0, 32);
}

typedef struct books4 {
  __m256i t[4]; /* t[j]: channel j's codebook in the low lane, channel j + 4's in the high one */
} books4;

static inline books4 books_of(const int8_t *book) {
  books4 b;
  for (int j = 0; j < 4; ++j)
    b.t[j] = two_lanes((const uint8_t *)book + 16 * j, (const uint8_t *)book + 16 * (j + 4));
  return b;
}

/* Codes (bit 7 set: nothing stored, 0) through their channels' codebooks:
 * dword j of a lane is channel j's (j + 4's). */
static inline __m256i look_up(const books4 *b, __m256i idx) {
  const __m256i l01 = _mm256_blend_epi32(_mm256_shuffle_epi8(b->t[0], idx), _mm256_shuffle_epi8(b->t[1], idx), 0x22);
  const __m256i l23 = _mm256_blend_epi32(_mm256_shuffle_epi8(b->t[2], idx), _mm256_shuffle_epi8(b->t[3], idx), 0x88);
  return _mm256_blend_epi32(l01, l23, 0xCC);
}

/* The per-weight 4-bit form in two passes over chunks of groups: the
 * chunk's codes unpacked one a byte (unpack_codes), then each group's
 * placed as the int8 form places its bytes and looked up.  Placing the
 * nibbles directly needs each lane's 16 codes from an odd nibble shifted
 * across a 128-bit register first: 0.138-0.150 ns a weight against
 * 0.128-0.133 in two passes (a decode-only loop, the two alternated). */

static void word_lut4(const uint32_t *mask, const uint8_t *v, const uint8_t *end, size_t groups, const int8_t *book,
                      uint8_t *out) {
  const books4 b = books_of(book);
  const __m256i high = _mm256_set1_epi8(-128);
  _Alignas(32) uint8_t codes[32 * COOPT_MASKED_CHUNK_GROUPS + 64];
  size_t at = 0; /* nibbles consumed from v */
  for (size_t g0 = 0, g1; g0 < groups; g0 = g1) {
    const size_t count = coopt_masked_chunk(mask, g0, groups, &g1);
    unpack_codes(v, end, at, count, codes);
    const uint8_t *c = codes + at % 2;
    for (size_t g = g0; g < g1; ++g, out += 32) {
      const uint32_t m = mask[g];
      const __m256i slots = word_slots(m);
      const __m256i x = two_lanes(c, c + __builtin_popcount(m & 0xFFFF));
      _mm256_storeu_si256((__m256i *)out,
                          look_up(&b, _mm256_or_si256(_mm256_shuffle_epi8(x, slots), _mm256_and_si256(slots, high))));
      c += __builtin_popcount(m);
    }
    at += count;
  }
}

/* Block mask byte -> per dword: the kept block it takes, -1 if none. */
static inline __m256i block_slots(unsigned byte, size_t *count) {
  return _mm256_cvtepi8_epi32(_mm_cvtsi64_si128((long long)coopt_masked_slots(byte, count)));
}

static void block_i8(const uint8_t *block, const uint8_t *v, size_t groups, uint8_t *out) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (size_t g = 0; g < groups; ++g, out += 32) {
    size_t count;
    const __m256i slots = block_slots(block[g], &count);
    /* A masked load reads only the kept blocks: nothing past the panel. */
    const __m256i x = _mm256_maskload_epi32((const int *)v, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), iota));
    _mm256_storeu_si256((__m256i *)out,
                        _mm256_andnot_si256(_mm256_srai_epi32(slots, 31), _mm256_permutevar8x32_epi32(x, slots)));
    v += 4 * count;
  }
}

static void block_lut4(const uint8_t *block, const uint8_t *v, const uint8_t *end, size_t groups, const int8_t *book,
                       uint8_t *out) {
  const books4 b = books_of(book);
  coopt_masked_tail tail = {.taken = false};
  const __m256i four_each =
      _mm256_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
  for (size_t g = 0; g < groups; ++g, out += 32) {
    size_t count;
    const uint64_t s = coopt_masked_slots(block[g], &count);
    /* A kept block is 4 codes, 2 bytes: a step reads 16 bytes from v (a
     * dword-masked load would read 2 bytes past an odd count's last). */
    if (!tail.taken && end - v < 16)
      v = coopt_masked_to_tail(&tail, v, &end);
    const __m128i raw = _mm_loadu_si128((const __m128i *)v);
    const __m128i s2 = _mm_add_epi8(_mm_cvtsi64_si128((long long)s), _mm_cvtsi64_si128((long long)s));
    /* Block j's two bytes (bytes 2s, 2s + 1), zero for 0xFF (2s: 0xFE). */
    const __m128i pairs = _mm_shuffle_epi8(raw, _mm_unpacklo_epi8(s2, _mm_add_epi8(s2, _mm_set1_epi8(1))));
    const __m128i nib = _mm_set1_epi8(0x0F), lo = _mm_and_si128(pairs, nib),
                  hi = _mm_and_si128(_mm_srli_epi16(pairs, 4), nib);
    const __m256i codes =
        _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi8(lo, hi)), _mm_unpackhi_epi8(lo, hi), 1);
    /* Positions of blocks not kept: bit 7 (slot 0xFF), so 0. */
    const __m256i unkept =
        _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi64x((long long)s), four_each), _mm256_set1_epi8(-128));
    _mm256_storeu_si256((__m256i *)out, look_up(&b, _mm256_or_si256(codes, unkept)));
    v += 2 * count;
  }
}

void coopt_qs8_masked_decode__avx2(const void *packed, size_t p, void *dst) {
  const coopt_masked_job J = coopt_masked_start(packed, p, dst, NULL);
  if (J.block)
    !J.book ? block_i8(J.block, J.values, J.groups, J.out)
            : block_lut4(J.block, J.values, J.end, J.groups, J.book, J.out);
  else
    !J.book ? word_i8(J.mask, J.values, J.end, J.groups, J.out)
            : word_lut4(J.mask, J.values, J.end, J.groups, J.book, J.out);
}
