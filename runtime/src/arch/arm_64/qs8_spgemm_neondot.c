/*
 * AArch64 sparse 1x4 int8 GEMM with SDOT.
 */
#include "neon.h"

#if defined(__ARM_FEATURE_DOTPROD)

/* qs8 sparse 1x4: 4 nonzero blocks per SDOT, their offsets summed from the
 * byte deltas and their activations loaded by lane (4 bytes each) against
 * 16 contiguous weight bytes; from a block that would read past the row's
 * end (only ever the channel's last) one value at a time. */
static inline __attribute__((always_inline)) void spgemm_1x1c4(const coopt_blob *b, const coopt_chan_view *V,
                                                               coopt_qs8_rows *R, size_t ch, size_t nc, int32_t *sum) {
  (void)nc;
  const coopt_sparse_chan S = coopt_sparse_chan_take(b, V, R, ch);
  size_t j = S.j, at = 0; /* at: k of the last block summed */
  int32x4_t acc = vdupq_n_s32(0);
  for (; j + 4 <= S.end; j += 4) {
    MCA_LOOP("qs8_spgemm_1x1c4__neondot");
    /* The four deltas in one load, summed from `at` so only at += 4 * s3
     * is loop-carried.  llvm-mca: 5.69 cycles per 4 blocks on V2 against
     * 8.29 with four byte loads (N1: 11.24 against 10.24), measured on
     * regions that left part of the loop out; the whole loop is 5.89 on V2
     * and 11.26 on N1 (bench/mca-kernels.sh). */
    uint32_t d;
    memcpy(&d, S.delta + j, 4);
    const size_t s0 = d & 0xFF, s1 = s0 + (d >> 8 & 0xFF), s2 = s1 + (d >> 16 & 0xFF), s3 = s2 + (d >> 24);
    const size_t k0 = at + 4 * s0, k1 = at + 4 * s1, k2 = at + 4 * s2, k3 = at + 4 * s3;
    if (k3 + 4 > S.k)
      break;
    at = k3;
    int32x4_t xa = vdupq_n_s32(0);
    int32_t v;
    memcpy(&v, S.x + k0, 4), xa = vsetq_lane_s32(v, xa, 0);
    memcpy(&v, S.x + k1, 4), xa = vsetq_lane_s32(v, xa, 1);
    memcpy(&v, S.x + k2, 4), xa = vsetq_lane_s32(v, xa, 2);
    memcpy(&v, S.x + k3, 4), xa = vsetq_lane_s32(v, xa, 3);
    acc = vdotq_s32(acc, vld1q_s8(S.values + 4 * j), vreinterpretq_s8_s32(xa));
  }
  sum[0] = vaddvq_s32(acc) + coopt_sparse_blocks_dot(S.x, S.k, S.delta, S.values, j, S.end, at);
}

void coopt_qs8_spgemm_1x1c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 1, NULL, spgemm_1x1c4);
}

#endif
