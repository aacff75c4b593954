/*
 * AArch64 base NEON dense int8 GEMM (no dot-product extension).
 */
#include "neon.h"

/* qs8 GEMM without the dot-product extension (base Armv8 NEON), 4 rows x 8
 * channels, c4 layout: each row's 4 activations duplicated to 8 bytes times
 * two channels' 8 weights (SMULL, exact in int16), pairwise-accumulated into
 * int32 (SADALP); one final pairwise add per channel pair. */
static inline __attribute__((always_inline)) void
neon_gemm_4x8c4(const coopt_blob *b, const int8_t *pw, const int8_t *const ar[8], size_t mr, int32x4_t sums[8][2]) {
  const size_t k = b->k, groups = b->kp / 4;
  /* acc[r][q]: channel pair q = (2q, 2q+1) as [c(k0+k1), c(k2+k3), c'(..), c'(..)] */
  int32x4_t acc[4][4];
  for (size_t r = 0; r < mr; ++r)
    for (int q = 0; q < 4; ++q)
      acc[r][q] = vdupq_n_s32(0);
  for (size_t g = 0; g < groups; ++g) {
    int8x8_t w0 = vld1_s8(pw + 32 * g), w1 = vld1_s8(pw + 32 * g + 8), w2 = vld1_s8(pw + 32 * g + 16),
             w3 = vld1_s8(pw + 32 * g + 24);
    for (size_t r = 0; r < mr; ++r) {
      const uint32_t v = coopt_load_group4(ar[r] + 4 * g, 4 * g + 4 <= k ? 4 : k - 4 * g, k >= 4);
      int8x8_t x = vreinterpret_s8_u32(vdup_n_u32(v));
      acc[r][0] = vpadalq_s16(acc[r][0], vmull_s8(w0, x));
      acc[r][1] = vpadalq_s16(acc[r][1], vmull_s8(w1, x));
      acc[r][2] = vpadalq_s16(acc[r][2], vmull_s8(w2, x));
      acc[r][3] = vpadalq_s16(acc[r][3], vmull_s8(w3, x));
    }
  }
  for (size_t r = 0; r < mr; ++r)
    sums[r][0] = vpaddq_s32(acc[r][0], acc[r][1]), sums[r][1] = vpaddq_s32(acc[r][2], acc[r][3]);
}

void coopt_qs8_gemm_4x8c4__neon(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  coopt_neon_gemm_drive(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, 4, neon_gemm_4x8c4);
}
