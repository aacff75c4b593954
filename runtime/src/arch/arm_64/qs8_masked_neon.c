/*
 * AArch64 NEON decode of the masked int8 forms.
 */
#include "neon.h"

/* Decode of the masked int8 forms (base NEON), as the x86 pshufb one:
 * coopt_masked_slots turns each mask byte into TBL indices (0xFF where
 * nothing is stored, which TBL reads as 0), so one TBL places the next 8
 * stored bytes; the 4-bit form places the step's 8 codes the same way and
 * looks them up with one TBL over the two channels' codebooks (32 bytes,
 * index 16 * (j / 4) + code). */
/* The mask words read as bytes: byte i holds positions 8i..8i+7 of the
 * panel on a little-endian target, which every aarch64 Linux is. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the masked decode reads mask words as bytes");

static void decode_i8_neon(const uint32_t *mask, const uint8_t *v, const uint8_t *end, size_t groups, uint8_t *out) {
  const uint8_t *mb = (const uint8_t *)mask, *mend = mb + 4 * groups;
  /* While 8 stored bytes are left, plain loads; then loads that stop at
   * the panel's end. */
  for (; mb < mend && end - v >= 8; ++mb, out += 8) {
    MCA_LOOP("qs8_masked_decode_i8__neon");
    size_t count;
    const uint64_t slots = coopt_masked_slots(*mb, &count);
    vst1_u8(out, vtbl1_u8(vld1_u8(v), vcreate_u8(slots)));
    v += count;
  }
  for (; mb < mend; ++mb, out += 8) {
    size_t count;
    const uint64_t slots = coopt_masked_slots(*mb, &count);
    vst1_u8(out, vtbl1_u8(vcreate_u8(coopt_load8_until(v, end)), vcreate_u8(slots)));
    v += count;
  }
}

/* Eight positions of the 4-bit form: `raw` holds the next codes from the
 * run's current nibble on, `book` the two channels' codebooks. */
static inline uint8x8_t lut4_step(uint64_t raw, uint64_t slots64, const uint8_t *book) {
  const uint8x8_t nib = vdup_n_u8(0x0F), hi_byte = vdup_n_u8(0x80);
  const uint8x8_t second = vcreate_u8(0x1010101000000000ull); /* + 16 for positions 4-7 */
  const uint8x8_t r = vcreate_u8(raw), slots = vcreate_u8(slots64);
  const uint8x8_t codes = vzip1_u8(vand_u8(r, nib), vshr_n_u8(r, 4)); /* low nibble first */
  /* Unstored positions keep bit 7: out of the table's range, so 0. */
  const uint8x8_t idx = vorr_u8(vadd_u8(vtbl1_u8(codes, slots), second), vand_u8(slots, hi_byte));
  const uint8x16x2_t tab = {{vld1q_u8(book), vld1q_u8(book + 16)}};
  return vqtbl2_u8(tab, idx);
}

static void decode_lut4_neon(const uint32_t *mask, const uint8_t *values, const uint8_t *end, size_t groups,
                             const int8_t *book, uint8_t *out) {
  const uint8_t *mb = (const uint8_t *)mask;
  size_t at = 0, i = 0;
  for (; i < 4 * groups && end - (values + at / 2) >= 8; ++i, out += 8) {
    MCA_LOOP("qs8_masked_decode_lut4__neon");
    size_t count;
    const uint64_t slots = coopt_masked_slots(mb[i], &count);
    uint64_t raw;
    memcpy(&raw, values + at / 2, 8);
    vst1_u8(out, lut4_step(raw >> (4 * (at % 2)), slots, (const uint8_t *)book + 32 * (i % 4)));
    at += count;
  }
  for (; i < 4 * groups; ++i, out += 8) {
    size_t count;
    const uint64_t slots = coopt_masked_slots(mb[i], &count);
    const uint64_t raw = coopt_load8_until(values + at / 2, end) >> (4 * (at % 2));
    vst1_u8(out, lut4_step(raw, slots, (const uint8_t *)book + 32 * (i % 4)));
    at += count;
  }
}

void coopt_qs8_masked_decode__neon(const void *packed, size_t p, void *dst) {
  uint32_t words[COOPT_MASKED_MAX_GROUPS];
  const coopt_masked_job J = coopt_masked_start(packed, p, dst, words);
  if (!J.book)
    decode_i8_neon(J.mask, J.values, J.end, J.groups, J.out);
  else
    decode_lut4_neon(J.mask, J.values, J.end, J.groups, J.book, J.out);
}
