/*
 * AArch64 dense int8 GEMM with the int8 matrix-multiply extension (SMMLA).
 */
#include "neon.h"

#if defined(__ARM_FEATURE_DOTPROD) && defined(__ARM_FEATURE_MATMUL_INT8)

/* One SMMLA step for RP row pairs x the 8 channels of two consecutive c4
 * groups.  Zipping the 32-bit lanes of group g and g+1 gives, per pair of
 * channels, the two 8-byte K rows SMMLA multiplies (channel j: its 4 bytes
 * of group g, then its 4 of group g+1), so the c4 panel serves as is; the
 * zips are shared by all RP row pairs.  acc[rp][cp] = rows 2rp..2rp+1 x
 * channels 2cp..2cp+1.  always_inline (here and below): rp_count must fold
 * to a constant, or the accumulators live on the stack. */
static inline __attribute__((always_inline)) void i8mm_step(int rp_count, int32x4_t acc[4][4], const int8_t *w,
                                                            const int8x16_t *a) {
  int32x4_t g0a = vreinterpretq_s32_s8(vld1q_s8(w)), g0b = vreinterpretq_s32_s8(vld1q_s8(w + 16));
  int32x4_t g1a = vreinterpretq_s32_s8(vld1q_s8(w + 32)), g1b = vreinterpretq_s32_s8(vld1q_s8(w + 48));
  int8x16_t bw[4] = {vreinterpretq_s8_s32(vzip1q_s32(g0a, g1a)), vreinterpretq_s8_s32(vzip2q_s32(g0a, g1a)),
                     vreinterpretq_s8_s32(vzip1q_s32(g0b, g1b)), vreinterpretq_s8_s32(vzip2q_s32(g0b, g1b))};
  for (int rp = 0; rp < rp_count; ++rp)
    for (int cp = 0; cp < 4; ++cp)
      acc[rp][cp] = vmmlaq_s32(acc[rp][cp], a[rp], bw[cp]);
}

/* qs8 GEMM with i8mm (SMMLA: a 2x8 by 8x2 int8 block product into 2x2
 * int32, 32 MACs per instruction, twice SDOT's 16), 2*RP rows x 8 channels,
 * 8 K per step.  The K tail (and an odd last group) runs once more from
 * zero-padded copies. */
static inline __attribute__((always_inline)) void smmla_gemm(const int rp_count, const coopt_blob *b, const int8_t *pw,
                                                             const int8_t *const ar[8], size_t mr,
                                                             int32x4_t sums[8][2]) {
  const size_t k = b->k, groups = b->kp / 4, k8 = k / 8, mr_max = 2 * (size_t)rp_count;
  int32x4_t acc[4][4];
  for (int rp = 0; rp < rp_count; ++rp)
    for (int cp = 0; cp < 4; ++cp)
      acc[rp][cp] = vdupq_n_s32(0);
  int8x16_t av[4];
  for (size_t s = 0; s < k8; ++s) {
    /* One llvm-mca region: the 8-row instance's loop. */
    if (rp_count == 4)
      MCA_LOOP("qs8_gemm_8x8c8__neoni8mm");
    for (int rp = 0; rp < rp_count; ++rp)
      av[rp] = vcombine_s8(vld1_s8(ar[2 * rp] + 8 * s), vld1_s8(ar[2 * rp + 1] + 8 * s));
    i8mm_step(rp_count, acc, pw + 64 * s, av);
  }
  if (2 * k8 < groups) {
    int8_t wt[64] = {0}, at[8][8] = {{0}};
    memcpy(wt, pw + 64 * k8, 32 * (groups - 2 * k8));
    for (size_t r = 0; r < mr_max; ++r)
      memcpy(at[r], ar[r] + 8 * k8, k - 8 * k8);
    for (int rp = 0; rp < rp_count; ++rp)
      av[rp] = vcombine_s8(vld1_s8(at[2 * rp]), vld1_s8(at[2 * rp + 1]));
    i8mm_step(rp_count, acc, wt, av);
  }
  for (size_t r = 0; r < mr; ++r) {
    /* Row r of its pair: the low (even row) or high (odd row) 64 bits of
     * each channel pair's 2x2 block. */
    int64x2_t x0 = vreinterpretq_s64_s32(acc[r / 2][0]), x1 = vreinterpretq_s64_s32(acc[r / 2][1]);
    int64x2_t x2 = vreinterpretq_s64_s32(acc[r / 2][2]), x3 = vreinterpretq_s64_s32(acc[r / 2][3]);
    sums[r][0] = vreinterpretq_s32_s64(r % 2 ? vzip2q_s64(x0, x1) : vzip1q_s64(x0, x1));
    sums[r][1] = vreinterpretq_s32_s64(r % 2 ? vzip2q_s64(x2, x3) : vzip1q_s64(x2, x3));
  }
}

static inline __attribute__((always_inline)) void
smmla_gemm_8x8c8(const coopt_blob *b, const int8_t *pw, const int8_t *const ar[8], size_t mr, int32x4_t sums[8][2]) {
  smmla_gemm(4, b, pw, ar, mr, sums);
}

static inline __attribute__((always_inline)) void
smmla_gemm_4x8c8(const coopt_blob *b, const int8_t *pw, const int8_t *const ar[8], size_t mr, int32x4_t sums[8][2]) {
  smmla_gemm(2, b, pw, ar, mr, sums);
}

/* 8 rows: the weight zips are shared by 16 SMMLAs.  4 rows: for M < 8. */
void coopt_qs8_gemm_8x8c8__neoni8mm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  coopt_neon_gemm_drive(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, 8, smmla_gemm_8x8c8);
}

void coopt_qs8_gemm_4x8c8__neoni8mm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  coopt_neon_gemm_drive(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, 4, smmla_gemm_4x8c8);
}

#endif
