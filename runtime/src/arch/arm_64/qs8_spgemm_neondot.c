/*
 * AArch64 sparse 1x4 int8 GEMM with SDOT.
 */
#include "neon.h"

#if defined(__ARM_FEATURE_DOTPROD)

/* qs8 sparse 1x4: 4 nonzero blocks per SDOT, their offsets summed from the
 * byte deltas and their activations loaded by lane (4 bytes each) against
 * 16 contiguous weight bytes; from a block that would read past the row's
 * end (only ever the channel's last) one value at a time. */
void coopt_qs8_spgemm_1x1c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const uint32_t *pn = V.nnz;
  const uint8_t *pd = V.delta;
  const int8_t *pv = V.values;
  const size_t k = b->k;
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      const size_t end = j + pn[ch];
      size_t at = 0; /* k of the last block summed */
      int32x4_t acc = vdupq_n_s32(0);
      for (; j + 4 <= end; j += 4) {
        MCA_BEGIN("qs8_spgemm_1x1c4__neondot");
        /* The four deltas in one load, summed from `at` so only at += 4 * s3
         * is loop-carried.  llvm-mca: 5.69 cycles per 4 blocks on V2 against
         * 8.29 with four byte loads (N1: 11.24 against 10.24). */
        uint32_t d;
        memcpy(&d, pd + j, 4);
        const size_t s0 = d & 0xFF, s1 = s0 + (d >> 8 & 0xFF), s2 = s1 + (d >> 16 & 0xFF), s3 = s2 + (d >> 24);
        const size_t k0 = at + 4 * s0, k1 = at + 4 * s1, k2 = at + 4 * s2, k3 = at + 4 * s3;
        if (k3 + 4 > k)
          break;
        at = k3;
        int32x4_t xa = vdupq_n_s32(0);
        int32_t v;
        memcpy(&v, x + k0, 4), xa = vsetq_lane_s32(v, xa, 0);
        memcpy(&v, x + k1, 4), xa = vsetq_lane_s32(v, xa, 1);
        memcpy(&v, x + k2, 4), xa = vsetq_lane_s32(v, xa, 2);
        memcpy(&v, x + k3, 4), xa = vsetq_lane_s32(v, xa, 3);
        acc = vdotq_s32(acc, vld1q_s8(pv + 4 * j), vreinterpretq_s8_s32(xa));
        MCA_END("qs8_spgemm_1x1c4__neondot");
      }
      int32_t s = pb[ch] + vaddvq_s32(acc);
      s += coopt_sparse_blocks_dot(x, k, pd, pv, j, end, at);
      j = end;
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
  }
}

#endif
