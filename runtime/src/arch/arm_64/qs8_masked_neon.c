/*
 * AArch64 NEON decode of the masked int8 forms into the dense panel layout
 * (masked.c's driver then runs the dense tile on it).  A K group (32 dense
 * bytes, one mask word or one block byte) per step, all in vector
 * registers, as the x86 AVX2 decoder does.
 *
 * Per-weight mask, 16 positions at a time: the mask bits become bytes
 * (CMTST against each byte's bit), are prefix-summed by four byte shifts
 * (EXT) and adds, 0xFF where nothing is stored (the last sum is the
 * half's count); one TBL of the 16 bytes from the half's first stored value
 * places them (TBL writes 0 for an index out of range).  The 4-bit form
 * unpacks a chunk's codes to bytes first (0.22 cycles a code on N1), then
 * places them the same way and looks each up in its channel's codebook
 * with a 4-register TBL over the half's four codebooks: 0.73 cycles a
 * weight, where unpacking each half's codes from its first nibble (a
 * 2-register TBL, one more when that nibble is odd) cost 0.95.  A first
 * version did 8 positions a step, its TBL indices made by three 64-bit
 * multiplies on the scalar side: 1.4 cycles a weight under llvm-mca on
 * Neoverse N1 (1.9 for the 4-bit form), N1 having one multiply pipe.
 *
 * Block mask (bit j: channel j's 4 weights stored): the 8 bits become the
 * kept blocks' indices the same way, each spread to its block's 4 bytes,
 * and a 2-register TBL of the next 32 stored bytes places the group (the
 * 4-bit form places the kept blocks' 2-byte code quads with one TBL).
 *
 * Loads read at most 32 bytes from the step's first stored byte; the last
 * steps of a panel read a zero-padded copy instead (the unpack, a
 * zero-padded copy of its last bytes).
 */
#include "neon.h"

/* Bytes of a mask: byte j of the result is 0xFF if bit j % 8 of x's byte
 * j is set. */
static inline uint8x16_t bits_set(uint8x16_t x) {
  const uint8x16_t bit = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  return vtstq_u8(x, bit);
}

/* TBL indices from the set bytes (0xFF / 0) of 16 positions: at a set
 * byte, how many set bytes precede it; at the others 0xFF (TBL writes 0
 * there).  The prefix sum runs on the 0xFF bytes themselves, by byte
 * shifts (EXT): byte j gets t = -(set bytes up to j), and ~t = that count
 * - 1 is the index, so ~(t & set) is both cases; *t_out gets the sums (a
 * lane's negation counts the set bytes up to it).  64-bit shift-and-adds
 * within each 8 bytes are the same sum, but clang turns them into
 * multiplies on the scalar side, and N1 has one multiply pipe. */
static inline uint8x16_t slots_of(uint8x16_t set, uint8x16_t *t_out) {
  const uint8x16_t zero = vdupq_n_u8(0);
  uint8x16_t t = vaddq_u8(set, vextq_u8(zero, set, 15));
  t = vaddq_u8(t, vextq_u8(zero, t, 14));
  t = vaddq_u8(t, vextq_u8(zero, t, 12));
  *t_out = t = vaddq_u8(t, vextq_u8(zero, t, 8));
  return vmvnq_u8(vandq_u8(t, set));
}

/* 16 positions whose mask bits are in x's bytes (see bits_set): where
 * each finds its value among the 16 bytes from the first stored one,
 * 0xFF where nothing is stored; *count: how many are stored. */
static inline uint8x16_t half_slots(uint8x16_t x, size_t *count) {
  uint8x16_t t;
  const uint8x16_t slots = slots_of(bits_set(x), &t);
  *count = (uint8_t)-vgetq_lane_u8(t, 15);
  return slots;
}

/* A mask word's two halves as bytes for bits_set: each byte 8 times. */
static inline void word_halves(uint32_t m, uint8x16_t *lo, uint8x16_t *hi) {
  const uint8x16_t w = vreinterpretq_u8_u32(vdupq_n_u32(m));
  const uint8x16_t byte_lo = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  const uint8x16_t byte_hi = {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  *lo = vqtbl1q_u8(w, byte_lo), *hi = vqtbl1q_u8(w, byte_hi);
}

/* A block mask byte: byte j (of the low 8) the index of block j among the
 * kept ones, 0xFF if block j is not kept; *count: how many are kept.  (The
 * high 8 repeat the byte, counting on from the low 8's: unused.) */
static inline uint8x16_t block_slots(unsigned byte, size_t *count) {
  uint8x16_t t;
  const uint8x16_t slots = slots_of(bits_set(vdupq_n_u8((uint8_t)byte)), &t);
  *count = (uint8_t)-vgetq_lane_u8(t, 7);
  return slots;
}

static void decode_i8_neon(const uint32_t *mask, const uint8_t *v, const uint8_t *end, size_t groups, uint8_t *out) {
  coopt_masked_tail tail = {.taken = false};
  for (size_t g = 0; g < groups; ++g, out += 32) {
    MCA_LOOP("qs8_masked_decode_i8__neon");
    if (!tail.taken && end - v < 32) /* a step reads 32 bytes from v */
      v = coopt_masked_to_tail(&tail, v, &end);
    uint8x16_t lo, hi;
    word_halves(mask[g], &lo, &hi);
    size_t low, high;
    const uint8x16_t slots_lo = half_slots(lo, &low), slots_hi = half_slots(hi, &high);
    vst1q_u8(out, vqtbl1q_u8(vld1q_u8(v), slots_lo));
    vst1q_u8(out + 16, vqtbl1q_u8(vld1q_u8(v + low), slots_hi));
    v += low + high;
  }
}

/* + 16 * channel: a code's entry in the 4 codebooks of a half group. */
static const uint8x16_t quad_channel = {0, 0, 0, 0, 16, 16, 16, 16, 32, 32, 32, 32, 48, 48, 48, 48};

/* 16 bytes of nibbles to 32 codes, low nibble first. */
static inline void unpack16(uint8x16_t raw, uint8_t *codes) {
  const uint8x16_t lo = vandq_u8(raw, vdupq_n_u8(0x0F)), hi = vshrq_n_u8(raw, 4);
  vst1q_u8(codes, vzip1q_u8(lo, hi));
  vst1q_u8(codes + 16, vzip2q_u8(lo, hi));
}

/* Codes one a byte: the `count` codes from nibble `at` of v (the blob's
 * stored bytes, up to end) into codes[at % 2 ...], 32 a step from the
 * byte holding nibble at; zeros after them up to 32 bytes. */
static void unpack_codes(const uint8_t *v, const uint8_t *end, size_t at, size_t count, uint8_t *codes) {
  const uint8_t *p = v + at / 2;
  const size_t bytes = (at % 2 + count + 1) / 2;
  size_t i = 0;
  for (; i < bytes && end - (p + i) >= 16; i += 16, codes += 32) {
    MCA_LOOP("qs8_masked_unpack_codes__neon");
    unpack16(vld1q_u8(p + i), codes);
  }
  if (i < bytes) { /* fewer than 16 bytes left in the panel */
    uint8_t last[16] = {0};
    memcpy(last, p + i, (size_t)(end - (p + i)));
    unpack16(vld1q_u8(last), codes);
    codes += 32;
  }
  memset(codes, 0, 32);
}

/* 16 positions of the 4-bit form with these slots (half_slots) over the
 * 16 codes at c, through the half's 4 codebooks. */
static inline uint8x16_t lut4_half(const uint8_t *c, uint8x16_t slots, uint8x16x4_t books) {
  const uint8x16_t none = vreinterpretq_u8_s8(vshrq_n_s8(vreinterpretq_s8_u8(slots), 7)); /* 0xFF: not stored */
  const uint8x16_t code = vqtbl1q_u8(vld1q_u8(c), slots);
  return vqtbl4q_u8(books, vorrq_u8(vaddq_u8(code, quad_channel), none));
}

/* In two passes over chunks of groups, as the AVX2 decode: the chunk's
 * codes unpacked one a byte, then each half group placed from them. */
static void decode_lut4_neon(const uint32_t *mask, const uint8_t *v, const uint8_t *end, size_t groups,
                             const int8_t *book, uint8_t *out) {
  const uint8x16x4_t books_lo = vld1q_u8_x4((const uint8_t *)book), books_hi = vld1q_u8_x4((const uint8_t *)book + 64);
  uint8_t codes[32 * COOPT_MASKED_CHUNK_GROUPS + 64];
  size_t at = 0; /* nibbles consumed from v */
  for (size_t g0 = 0, g1; g0 < groups; g0 = g1) {
    const size_t count = coopt_masked_chunk(mask, g0, groups, &g1);
    unpack_codes(v, end, at, count, codes);
    const uint8_t *c = codes + at % 2;
    for (size_t g = g0; g < g1; ++g, out += 32) {
      MCA_LOOP("qs8_masked_decode_lut4__neon");
      uint8x16_t lo, hi;
      word_halves(mask[g], &lo, &hi);
      size_t low, high;
      const uint8x16_t slots_lo = half_slots(lo, &low), slots_hi = half_slots(hi, &high);
      vst1q_u8(out, lut4_half(c, slots_lo, books_lo));
      vst1q_u8(out + 16, lut4_half(c + low, slots_hi, books_hi));
      c += low + high;
    }
    at += count;
  }
}

static void block_i8_neon(const uint8_t *block, const uint8_t *v, const uint8_t *end, size_t groups, uint8_t *out) {
  /* Position j of a half takes byte 4 * slot[j / 4] + j % 4 of the kept
   * blocks (0xFF * 4 + j % 4 is past the 32-byte table: 0). */
  const uint8x16_t spread_lo = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
  const uint8x16_t spread_hi = {4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7};
  const uint8x16_t within = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
  coopt_masked_tail tail = {.taken = false};
  for (size_t g = 0; g < groups; ++g, out += 32) {
    MCA_LOOP("qs8_masked_decode_block_i8__neon");
    if (!tail.taken && end - v < 32)
      v = coopt_masked_to_tail(&tail, v, &end);
    size_t count;
    const uint8x16_t slots = block_slots(block[g], &count);
    const uint8x16x2_t kept = vld1q_u8_x2(v);
    vst1q_u8(out, vqtbl2q_u8(kept, vaddq_u8(vshlq_n_u8(vqtbl1q_u8(slots, spread_lo), 2), within)));
    vst1q_u8(out + 16, vqtbl2q_u8(kept, vaddq_u8(vshlq_n_u8(vqtbl1q_u8(slots, spread_hi), 2), within)));
    v += 4 * count;
  }
}

static void block_lut4_neon(const uint8_t *block, const uint8_t *v, const uint8_t *end, size_t groups,
                            const int8_t *book, uint8_t *out) {
  const uint8x16x4_t books_lo = vld1q_u8_x4((const uint8_t *)book), books_hi = vld1q_u8_x4((const uint8_t *)book + 64);
  /* Block j's two code bytes: 2 * slot[j] + 0, 1 (0xFF: 0xFE, 0xFF, so 0). */
  const uint8x16_t pair_of = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7};
  const uint8x16_t which = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  const uint8x16_t spread_lo = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
  const uint8x16_t spread_hi = {4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7};
  const uint8x16_t nib = vdupq_n_u8(0x0F);
  coopt_masked_tail tail = {.taken = false};
  for (size_t g = 0; g < groups; ++g, out += 32) {
    MCA_LOOP("qs8_masked_decode_block_lut4__neon");
    if (!tail.taken && end - v < 16) /* a step reads 16 bytes from v */
      v = coopt_masked_to_tail(&tail, v, &end);
    size_t count;
    const uint8x16_t slots = block_slots(block[g], &count);
    const uint8x16_t pairs = vqtbl1q_u8(
        vld1q_u8(v), vaddq_u8(vshlq_n_u8(vqtbl1q_u8(slots, pair_of), 1), which)); /* blocks 0-7, 2 bytes each */
    const uint8x16_t lo = vandq_u8(pairs, nib), hi = vshrq_n_u8(pairs, 4);
    /* 0xFF where the position's block is not kept. */
    const uint8x16_t none_lo = vreinterpretq_u8_s8(vshrq_n_s8(vreinterpretq_s8_u8(vqtbl1q_u8(slots, spread_lo)), 7));
    const uint8x16_t none_hi = vreinterpretq_u8_s8(vshrq_n_s8(vreinterpretq_s8_u8(vqtbl1q_u8(slots, spread_hi)), 7));
    vst1q_u8(out, vqtbl4q_u8(books_lo, vorrq_u8(vaddq_u8(vzip1q_u8(lo, hi), quad_channel), none_lo)));
    vst1q_u8(out + 16, vqtbl4q_u8(books_hi, vorrq_u8(vaddq_u8(vzip2q_u8(lo, hi), quad_channel), none_hi)));
    v += 2 * count;
  }
}

void coopt_qs8_masked_decode__neon(const void *packed, size_t p, void *dst) {
  const coopt_masked_job J = coopt_masked_start(packed, p, dst, NULL);
  if (J.block)
    !J.book ? block_i8_neon(J.block, J.values, J.end, J.groups, J.out)
            : block_lut4_neon(J.block, J.values, J.end, J.groups, J.book, J.out);
  else
    !J.book ? decode_i8_neon(J.mask, J.values, J.end, J.groups, J.out)
            : decode_lut4_neon(J.mask, J.values, J.end, J.groups, J.book, J.out);
}
