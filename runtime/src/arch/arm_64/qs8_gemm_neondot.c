/*
 * AArch64 dense int8 GEMM with the dot-product extension (SDOT).
 */
#include "neon.h"

#if defined(__ARM_FEATURE_DOTPROD)

/* 16 K (4 c4 groups) of `rows` rows against 8 channels: the 128 weight
 * bytes once, then 8 SDOTs by lane per row on one 16-byte activation load
 * (activations at offset k of each row).  always_inline: rows must fold to
 * a constant for the 4-row loop to unroll. */
static inline __attribute__((always_inline)) void sdot_16k(int32x4_t acc[4][2], const int8_t *w,
                                                           const int8_t *const ar[4], size_t k, size_t rows) {
  int8x16_t w00 = vld1q_s8(w), w01 = vld1q_s8(w + 16), w10 = vld1q_s8(w + 32), w11 = vld1q_s8(w + 48);
  int8x16_t w20 = vld1q_s8(w + 64), w21 = vld1q_s8(w + 80), w30 = vld1q_s8(w + 96), w31 = vld1q_s8(w + 112);
  for (size_t r = 0; r < rows; ++r) {
    int8x16_t x = vld1q_s8(ar[r] + k);
    acc[r][0] = vdotq_laneq_s32(acc[r][0], w00, x, 0);
    acc[r][1] = vdotq_laneq_s32(acc[r][1], w01, x, 0);
    acc[r][0] = vdotq_laneq_s32(acc[r][0], w10, x, 1);
    acc[r][1] = vdotq_laneq_s32(acc[r][1], w11, x, 1);
    acc[r][0] = vdotq_laneq_s32(acc[r][0], w20, x, 2);
    acc[r][1] = vdotq_laneq_s32(acc[r][1], w21, x, 2);
    acc[r][0] = vdotq_laneq_s32(acc[r][0], w30, x, 3);
    acc[r][1] = vdotq_laneq_s32(acc[r][1], w31, x, 3);
  }
}

/* qs8 GEMM, 4 rows x 8 channels: per K group of 4, two SDOTs per row (16
 * bytes of weights = 4 channels x 4 K) against the row's 4 activations
 * selected by lane from one 16-byte load (4 groups per load). */
static inline __attribute__((always_inline)) void
sdot_gemm_4x8c4(const coopt_blob *b, const int8_t *pw, const int8_t *const ar[8], size_t mr, int32x4_t sums[8][2]) {
  const size_t k = b->k, groups = b->kp / 4, g16 = k / 16 * 4;
  int32x4_t acc[4][2];
  for (int r = 0; r < 4; ++r)
    acc[r][0] = acc[r][1] = vdupq_n_s32(0);
  size_t g = 0;
  if (mr == 4) {
    for (; g < g16; g += 4) {
      MCA_LOOP("qs8_gemm_4x8c4__neondot");
      sdot_16k(acc, pw + 32 * g, ar, 4 * g, 4);
    }
  } else {
    /* Fewer rows (a GEMV): no work on padding rows. */
    for (; g < g16; g += 4)
      sdot_16k(acc, pw + 32 * g, ar, 4 * g, mr);
  }
  for (; g < groups; ++g) {
    int8x16_t w0 = vld1q_s8(pw + 32 * g), w1 = vld1q_s8(pw + 32 * g + 16);
    for (size_t r = 0; r < mr; ++r) {
      const uint32_t v = coopt_load_group4(ar[r] + 4 * g, 4 * g + 4 <= k ? 4 : k - 4 * g, k >= 4);
      int8x16_t x = vreinterpretq_s8_u32(vdupq_n_u32(v));
      acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, x, 0);
      acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, x, 0);
    }
  }
  for (size_t r = 0; r < mr; ++r)
    sums[r][0] = acc[r][0], sums[r][1] = acc[r][1];
}

void coopt_qs8_gemm_4x8c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                   size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  coopt_neon_gemm_drive(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, 4, sdot_gemm_4x8c4);
}

#endif
