/*
 * AArch64 NEON kernels.  The int8 kernels need the dot-product extension
 * (SDOT, Armv8.2 dotprod); f32 kernels are base NEON.  Same packed formats
 * as every other variant (blob.h).
 */
#include "../../tiles.h"

#include <arm_neon.h>

/* llvm-mca regions (bench/mca-kernels.sh builds with -DCOOPT_MCA -S): the
 * markers are empty asm comments, so only that build carries them. */
#ifdef COOPT_MCA
#define MCA_BEGIN(name) __asm volatile("# LLVM-MCA-BEGIN " name)
#define MCA_END(name)   __asm volatile("# LLVM-MCA-END " name)
#else
#define MCA_BEGIN(name)
#define MCA_END(name)
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One output row of an int8 GEMM panel (8 channels, ncols of them real):
 * the int32 accumulators to acc_out, or requantized to c. */
static inline void store_row8(const coopt_blob *b, int32x4_t lo, int32x4_t hi, const int32_t *pm, const int32_t *ps,
                              int8_t *c, int32_t *acc_out, size_t ncols) {
  int32_t t[8];
  vst1q_s32(t, lo);
  vst1q_s32(t + 4, hi);
  if (acc_out) {
    memcpy(acc_out, t, ncols * 4);
  } else {
    for (size_t j = 0; j < ncols; ++j)
      c[j] = coopt_requant(t[j], pm[j], ps[j], b);
  }
}

/* f32 GEMM, 4 rows x 8 channels: two FMLA by lane per row per K step. */
void coopt_f32_gemm_4x8__neon(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                              size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  size_t k = b->k;
  const float32x4_t vmin = vdupq_n_f32(b->fmin), vmax = vdupq_n_f32(b->fmax);
  for (size_t p = 0; p * COOPT_F32_NR < b->n; ++p) {
    const float *panel = (const float *)((const char *)packed + COOPT_BLOB_HEADER + p * coopt_f32_panel_bytes(k));
    size_t ncols = b->n - p * COOPT_F32_NR < COOPT_F32_NR ? b->n - p * COOPT_F32_NR : COOPT_F32_NR;
    for (size_t r0 = 0; r0 < m; r0 += 4) {
      size_t mr = m - r0 < 4 ? m - r0 : 4;
      const float *ar[4];
      for (size_t r = 0; r < 4; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      float32x4_t acc[4][2];
      for (int r = 0; r < 4; ++r)
        acc[r][0] = vld1q_f32(panel), acc[r][1] = vld1q_f32(panel + 4);
      const float *w = panel + COOPT_F32_NR;
      for (size_t i = 0; i < k; ++i, w += COOPT_F32_NR) {
        MCA_BEGIN("f32_gemm_4x8__neon");
        float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4);
        for (int r = 0; r < 4; ++r) {
          float32x4_t x = vld1q_dup_f32(ar[r] + i);
          acc[r][0] = vfmaq_f32(acc[r][0], w0, x);
          acc[r][1] = vfmaq_f32(acc[r][1], w1, x);
        }
        MCA_END("f32_gemm_4x8__neon");
      }
      for (size_t r = 0; r < mr; ++r) {
        float t[8];
        vst1q_f32(t, vminq_f32(vmaxq_f32(acc[r][0], vmin), vmax));
        vst1q_f32(t + 4, vminq_f32(vmaxq_f32(acc[r][1], vmin), vmax));
        memcpy(c + (r0 + r) * c_stride + p * COOPT_F32_NR, t, ncols * 4);
      }
    }
  }
}

/* f32 SpMM, 16 pixels x 1 channel per step (4 q-registers). */
void coopt_f32_spmm_16x1__neon(const void *packed, size_t m, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const float *pb = V.fbias, *pv0 = V.values;
  const uint32_t *pn = V.nnz;
  const int32_t *pd0 = V.deltas;
  const float32x4_t vmin = vdupq_n_f32(b->fmin), vmax = vdupq_n_f32(b->fmax);
  size_t r = 0;
  for (; r + 16 <= m; r += 16) {
    const char *row = (const char *)(in + r) + pd0[0];
    const float *pv = pv0;
    const int32_t *pd = pd0 + 1;
    for (size_t ch = 0; ch < b->n; ++ch) {
      float32x4_t a0 = vld1q_dup_f32(pb + ch), a1 = a0, a2 = a0, a3 = a0;
      for (uint32_t t = pn[ch]; t; --t) {
        MCA_BEGIN("f32_spmm_16x1__neon");
        const float32x4_t w = vld1q_dup_f32(pv++);
        const float *x = (const float *)row;
        a0 = vfmaq_f32(a0, w, vld1q_f32(x));
        a1 = vfmaq_f32(a1, w, vld1q_f32(x + 4));
        a2 = vfmaq_f32(a2, w, vld1q_f32(x + 8));
        a3 = vfmaq_f32(a3, w, vld1q_f32(x + 12));
        row += *pd++;
        MCA_END("f32_spmm_16x1__neon");
      }
      float *o = out + ch * b->m_stride + r;
      vst1q_f32(o, vminq_f32(vmaxq_f32(a0, vmin), vmax));
      vst1q_f32(o + 4, vminq_f32(vmaxq_f32(a1, vmin), vmax));
      vst1q_f32(o + 8, vminq_f32(vmaxq_f32(a2, vmin), vmax));
      vst1q_f32(o + 12, vminq_f32(vmaxq_f32(a3, vmin), vmax));
    }
  }
  for (; r < m; ++r) {
    const char *row = (const char *)(in + r) + pd0[0];
    const float *pv = pv0;
    const int32_t *pd = pd0 + 1;
    for (size_t ch = 0; ch < b->n; ++ch) {
      float s = pb[ch];
      for (uint32_t t = pn[ch]; t; --t) {
        s = fmaf(*pv++, *(const float *)row, s);
        row += *pd++;
      }
      out[ch * b->m_stride + r] = s < b->fmin ? b->fmin : s > b->fmax ? b->fmax : s;
    }
  }
}

/* Depthwise 3x3, NHWC, 16 channels x 9 taps per output pixel: SMULL /
 * SMULL2 into int16 (exact: |a*w| <= 128*127), SADDW into int32.  A tap
 * outside the input reads the activation zero point. */
void coopt_qs8_dw3x3_16c__neon(const void *packed, const int8_t *in, int8_t *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  const int32_t *pb = D.bias, *pm = D.mult, *ps = D.shift;
  const int8_t *pw = D.w;
  const size_t c16 = C / 16 * 16;
  const int8x16_t azp = vdupq_n_s8((int8_t)b->a_zero_point);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const int8_t *tap[9];
      coopt_dw_taps(&s, in, sizeof *in, y, x, (const void **)tap);
      int8_t *o = out + (y * ow + x) * C;
      for (size_t c = 0; c < c16; c += 16) {
        int32x4_t acc0 = vld1q_s32(pb + c), acc1 = vld1q_s32(pb + c + 4), acc2 = vld1q_s32(pb + c + 8),
                  acc3 = vld1q_s32(pb + c + 12);
        for (size_t t = 0; t < 9; ++t) {
          int8x16_t xv = tap[t] ? vld1q_s8(tap[t] + c) : azp, wv = vld1q_s8(pw + t * C + c);
          int16x8_t p0 = vmull_s8(vget_low_s8(xv), vget_low_s8(wv)), p1 = vmull_high_s8(xv, wv);
          acc0 = vaddw_s16(acc0, vget_low_s16(p0)), acc1 = vaddw_high_s16(acc1, p0);
          acc2 = vaddw_s16(acc2, vget_low_s16(p1)), acc3 = vaddw_high_s16(acc3, p1);
        }
        int32_t t32[16];
        vst1q_s32(t32, acc0), vst1q_s32(t32 + 4, acc1), vst1q_s32(t32 + 8, acc2), vst1q_s32(t32 + 12, acc3);
        for (size_t j = 0; j < 16; ++j)
          o[c + j] = coopt_requant(t32[j], pm[c + j], ps[c + j], b);
      }
      for (size_t c = c16; c < C; ++c)
        o[c] = coopt_qs8_dw_channel(tap, pw, C, c, pb[c], pm[c], ps[c], b);
    }
}

/* qs8 GEMM without the dot-product extension (base Armv8 NEON), 4 rows x 8
 * channels, c4 layout: each row's 4 activations duplicated to 8 bytes times
 * two channels' 8 weights (SMULL, exact in int16), pairwise-accumulated into
 * int32 (SADALP); one final pairwise add per channel pair. */
void coopt_qs8_gemm_4x8c4__neon(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  size_t kp = b->kp, k = b->k, groups = kp / 4;
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_qs8_panel P = coopt_qs8_panel_of(packed, p);
    const int32_t *pb = P.bias, *pm = P.mult, *ps = P.shift;
    const int8_t *pw = P.w;
    const size_t ncols = P.ncols;
    for (size_t r0 = 0; r0 < m; r0 += 4) {
      size_t mr = m - r0 < 4 ? m - r0 : 4;
      /* acc[r][q]: channel pair q = (2q, 2q+1) as [c(k0+k1), c(k2+k3), c'(..), c'(..)] */
      int32x4_t acc[4][4];
      for (size_t r = 0; r < mr; ++r)
        for (int q = 0; q < 4; ++q)
          acc[r][q] = vdupq_n_s32(0);
      for (size_t g = 0; g < groups; ++g) {
        int8x8_t w0 = vld1_s8(pw + 32 * g), w1 = vld1_s8(pw + 32 * g + 8), w2 = vld1_s8(pw + 32 * g + 16),
                 w3 = vld1_s8(pw + 32 * g + 24);
        for (size_t r = 0; r < mr; ++r) {
          const uint32_t v = coopt_load_group4(a + (r0 + r) * a_stride + 4 * g, 4 * g + 4 <= k ? 4 : k - 4 * g, k >= 4);
          int8x8_t x = vreinterpret_s8_u32(vdup_n_u32(v));
          acc[r][0] = vpadalq_s16(acc[r][0], vmull_s8(w0, x));
          acc[r][1] = vpadalq_s16(acc[r][1], vmull_s8(w1, x));
          acc[r][2] = vpadalq_s16(acc[r][2], vmull_s8(w2, x));
          acc[r][3] = vpadalq_s16(acc[r][3], vmull_s8(w3, x));
        }
      }
      for (size_t r = 0; r < mr; ++r) {
        store_row8(b, vaddq_s32(vpaddq_s32(acc[r][0], acc[r][1]), vld1q_s32(pb)),
                   vaddq_s32(vpaddq_s32(acc[r][2], acc[r][3]), vld1q_s32(pb + 4)), pm, ps,
                   c ? c + (r0 + r) * c_stride + p * COOPT_QS8_NR : NULL,
                   acc_out ? acc_out + (r0 + r) * acc_stride + p * COOPT_QS8_NR : NULL, ncols);
      }
    }
  }
}

/* f32 depthwise 3x3, NHWC, 4 channels x 9 taps per output pixel (FMLA). */
void coopt_f32_dw3x3_4c__neon(const void *packed, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s), c4 = C / 4 * 4;
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  const float *pb = D.fbias, *pw = D.fw;
  const float32x4_t vmin = vdupq_n_f32(b->fmin), vmax = vdupq_n_f32(b->fmax);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const float *tap[9];
      coopt_dw_taps(&s, in, sizeof *in, y, x, (const void **)tap);
      float *o = out + (y * ow + x) * C;
      for (size_t ch = 0; ch < c4; ch += 4) {
        float32x4_t acc = vld1q_f32(pb + ch);
        for (size_t t = 0; t < 9; ++t)
          if (tap[t])
            acc = vfmaq_f32(acc, vld1q_f32(tap[t] + ch), vld1q_f32(pw + t * C + ch));
        vst1q_f32(o + ch, vminq_f32(vmaxq_f32(acc, vmin), vmax));
      }
      for (size_t ch = c4; ch < C; ++ch)
        o[ch] = coopt_f32_dw_channel(tap, pw, C, ch, pb[ch], b);
    }
}

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
    MCA_BEGIN("qs8_masked_decode_i8__neon");
    size_t count;
    const uint64_t slots = coopt_masked_slots(*mb, &count);
    vst1_u8(out, vtbl1_u8(vld1_u8(v), vcreate_u8(slots)));
    v += count;
    MCA_END("qs8_masked_decode_i8__neon");
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
    MCA_BEGIN("qs8_masked_decode_lut4__neon");
    size_t count;
    const uint64_t slots = coopt_masked_slots(mb[i], &count);
    uint64_t raw;
    memcpy(&raw, values + at / 2, 8);
    vst1_u8(out, lut4_step(raw >> (4 * (at % 2)), slots, (const uint8_t *)book + 32 * (i % 4)));
    at += count;
    MCA_END("qs8_masked_decode_lut4__neon");
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
  const coopt_masked_job J = coopt_masked_start(packed, p, dst);
  if (!J.book)
    decode_i8_neon(J.mask, J.values, J.end, J.groups, J.out);
  else
    decode_lut4_neon(J.mask, J.values, J.end, J.groups, J.book, J.out);
}

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
void coopt_qs8_gemm_4x8c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                   size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  size_t kp = b->kp, k = b->k, groups = kp / 4, g16 = k / 16 * 4;
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_qs8_panel P = coopt_qs8_panel_of(packed, p);
    const int32_t *pb = P.bias, *pm = P.mult, *ps = P.shift;
    const int8_t *pw = P.w;
    const size_t ncols = P.ncols;
    const int32x4_t b0 = vld1q_s32(pb), b1 = vld1q_s32(pb + 4);
    for (size_t r0 = 0; r0 < m; r0 += 4) {
      size_t mr = m - r0 < 4 ? m - r0 : 4;
      const int8_t *ar[4];
      for (size_t r = 0; r < 4; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      int32x4_t acc[4][2];
      for (int r = 0; r < 4; ++r)
        acc[r][0] = b0, acc[r][1] = b1;
      size_t g = 0;
      if (mr == 4) {
        for (; g < g16; g += 4) {
          MCA_BEGIN("qs8_gemm_4x8c4__neondot");
          sdot_16k(acc, pw + 32 * g, ar, 4 * g, 4);
          MCA_END("qs8_gemm_4x8c4__neondot");
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
      for (size_t r = 0; r < mr; ++r) {
        store_row8(b, acc[r][0], acc[r][1], pm, ps, c ? c + (r0 + r) * c_stride + p * COOPT_QS8_NR : NULL,
                   acc_out ? acc_out + (r0 + r) * acc_stride + p * COOPT_QS8_NR : NULL, ncols);
      }
    }
  }
}

/* Block-sparse, 8 rows x 8 channels: the activations of 8 rows regrouped
 * per K group ([group][8 rows][4], once per 8 rows and read by every
 * panel), so a kept block is two 16-byte tile loads, the block's two
 * 16-byte halves and 16 SDOTs by lane, the dense tile's SDOTs per MAC with
 * the group picked by the block index instead of the loop; a zero block
 * costs nothing.  A last block of at most 4 rows runs a 4-row body (8
 * SDOTs per block).  Rows past m repeat the last row and are not stored. */
/* One panel: `rows` (4 or 8, a constant where inlined) rows of the tile. */
static inline __attribute__((always_inline)) void bs_panel(const coopt_blob *b, const coopt_bs_panel *P,
                                                           const int8_t *tile, const size_t rows, size_t mr, int8_t *c,
                                                           size_t c_stride) {
  const int32x4_t b0 = vld1q_s32(P->bias), b1 = vld1q_s32(P->bias + 4);
  int32x4_t acc[8][2];
  for (size_t r = 0; r < rows; ++r)
    acc[r][0] = b0, acc[r][1] = b1;
  const int8_t *at = tile, *blk = P->blocks;
  for (size_t q = 0; q < P->nb; ++q, blk += 32) {
    if (rows == 8)
      MCA_BEGIN("qs8_bsgemm_8x8c4__neondot");
    else
      MCA_BEGIN("qs8_bsgemm_4x8c4__neondot");
    at += 4 * rows * (size_t)P->delta[q];
    const int8x16_t w0 = vld1q_s8(blk), w1 = vld1q_s8(blk + 16);
    for (size_t h = 0; h < rows / 4; ++h) {
      const int8x16_t t = vld1q_s8(at + 16 * h);
      int32x4_t *x = acc[4 * h];
      x[0] = vdotq_laneq_s32(x[0], w0, t, 0), x[1] = vdotq_laneq_s32(x[1], w1, t, 0);
      x[2] = vdotq_laneq_s32(x[2], w0, t, 1), x[3] = vdotq_laneq_s32(x[3], w1, t, 1);
      x[4] = vdotq_laneq_s32(x[4], w0, t, 2), x[5] = vdotq_laneq_s32(x[5], w1, t, 2);
      x[6] = vdotq_laneq_s32(x[6], w0, t, 3), x[7] = vdotq_laneq_s32(x[7], w1, t, 3);
    }
#ifdef COOPT_MCA
    /* The SDOTs inside the region: llvm's scheduler would otherwise move
     * them past the end marker. */
    __asm volatile(""
                   : "+w"(acc[0][0]), "+w"(acc[0][1]), "+w"(acc[1][0]), "+w"(acc[1][1]), "+w"(acc[2][0]),
                     "+w"(acc[2][1]), "+w"(acc[3][0]), "+w"(acc[3][1]), "+w"(acc[4][0]), "+w"(acc[4][1]),
                     "+w"(acc[5][0]), "+w"(acc[5][1]), "+w"(acc[6][0]), "+w"(acc[6][1]), "+w"(acc[7][0]),
                     "+w"(acc[7][1]));
#endif
    if (rows == 8)
      MCA_END("qs8_bsgemm_8x8c4__neondot");
    else
      MCA_END("qs8_bsgemm_4x8c4__neondot");
  }
  for (size_t r = 0; r < mr; ++r)
    store_row8(b, acc[r][0], acc[r][1], P->mult, P->shift, c + r * c_stride, NULL, P->ncols);
}

void coopt_qs8_bsgemm_8x8c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t groups = b->kp / COOPT_QS8_KR;
  int8_t *tile = malloc(groups * 32);
  if (!tile)
    return;
  for (size_t r0 = 0; r0 < m; r0 += 8) {
    const size_t mr = m - r0 < 8 ? m - r0 : 8, rows = mr <= 4 ? 4 : 8;
    coopt_regroup_rows(a + r0 * a_stride, a_stride, mr, rows, b->k, groups, 0, tile);
    for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
      const coopt_bs_panel P = coopt_bs_panel_of(packed, p);
      int8_t *cp = c + r0 * c_stride + p * COOPT_QS8_NR;
      if (rows == 8)
        bs_panel(b, &P, tile, 8, mr, cp, c_stride);
      else
        bs_panel(b, &P, tile, 4, mr, cp, c_stride);
    }
  }
  free(tile);
}

#if defined(__ARM_FEATURE_MATMUL_INT8)
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
 * zero-padded copies.  Rows past m repeat the last row and are not stored. */
static inline __attribute__((always_inline)) void qs8_gemm_i8mm(const int rp_count, const void *packed, size_t m,
                                                                const int8_t *a, size_t a_stride, int8_t *c,
                                                                size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t kp = b->kp, k = b->k, groups = kp / 4, k8 = k / 8, mr_max = 2 * (size_t)rp_count;
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_qs8_panel P = coopt_qs8_panel_of(packed, p);
    const int32_t *pb = P.bias, *pm = P.mult, *ps = P.shift;
    const int8_t *pw = P.w;
    const size_t ncols = P.ncols;
    const int32x4_t b0 = vld1q_s32(pb), b1 = vld1q_s32(pb + 4);
    for (size_t r0 = 0; r0 < m; r0 += mr_max) {
      size_t mr = m - r0 < mr_max ? m - r0 : mr_max;
      const int8_t *ar[8];
      for (size_t r = 0; r < mr_max; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      int32x4_t acc[4][4];
      for (int rp = 0; rp < rp_count; ++rp)
        for (int cp = 0; cp < 4; ++cp)
          acc[rp][cp] = vdupq_n_s32(0);
      int8x16_t av[4];
      for (size_t s = 0; s < k8; ++s) {
        /* One llvm-mca region: the 8-row instance's loop. */
        if (rp_count == 4)
          MCA_BEGIN("qs8_gemm_8x8c8__neoni8mm");
        for (int rp = 0; rp < rp_count; ++rp)
          av[rp] = vcombine_s8(vld1_s8(ar[2 * rp] + 8 * s), vld1_s8(ar[2 * rp + 1] + 8 * s));
        i8mm_step(rp_count, acc, pw + 64 * s, av);
        if (rp_count == 4)
          MCA_END("qs8_gemm_8x8c8__neoni8mm");
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
        /* Row r of its pair: the low (even row) or high (odd row) 64 bits
         * of each channel pair's 2x2 block. */
        int64x2_t x0 = vreinterpretq_s64_s32(acc[r / 2][0]), x1 = vreinterpretq_s64_s32(acc[r / 2][1]);
        int64x2_t x2 = vreinterpretq_s64_s32(acc[r / 2][2]), x3 = vreinterpretq_s64_s32(acc[r / 2][3]);
        int32x4_t lo = vreinterpretq_s32_s64(r % 2 ? vzip2q_s64(x0, x1) : vzip1q_s64(x0, x1));
        int32x4_t hi = vreinterpretq_s32_s64(r % 2 ? vzip2q_s64(x2, x3) : vzip1q_s64(x2, x3));
        store_row8(b, vaddq_s32(lo, b0), vaddq_s32(hi, b1), pm, ps,
                   c ? c + (r0 + r) * c_stride + p * COOPT_QS8_NR : NULL,
                   acc_out ? acc_out + (r0 + r) * acc_stride + p * COOPT_QS8_NR : NULL, ncols);
      }
    }
  }
}

/* 8 rows: the weight zips are shared by 16 SMMLAs.  4 rows: for M < 8. */
void coopt_qs8_gemm_8x8c8__neoni8mm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_i8mm(4, packed, m, a, a_stride, c, c_stride, acc_out, acc_stride);
}

void coopt_qs8_gemm_4x8c8__neoni8mm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_i8mm(2, packed, m, a, a_stride, c, c_stride, acc_out, acc_stride);
}
#endif

/* qs8 2:4 sparse GEMM/GEMV, 1 row x 2 channels, 16 K per step: each
 * channel's 8 position nibbles become 8 TBL indices (and, shift, zip), one
 * TBL gathers both channels' 16 activations from the window and one SDOT
 * multiplies them by the 16 kept values: half the MACs of dense.  The last
 * window reads a zero-padded copy of the row's tail. */
void coopt_qs8_nm24_gemm_1x2c16__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const uint8_t *pos = V.nm24_pos;
  const int8_t *val = (const int8_t *)V.values;
  const size_t k = b->k, kp = b->kp, windows = kp / COOPT_NM24_WINDOW, full = k / COOPT_NM24_WINDOW;
  const uint8x8_t nib = vdup_n_u8(15);
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    int8_t tail[COOPT_NM24_WINDOW] = {0};
    if (full < windows)
      memcpy(tail, x + full * COOPT_NM24_WINDOW, k - full * COOPT_NM24_WINDOW);
    for (size_t ch = 0; ch < b->n; ch += 2) {
      const size_t nc = b->n - ch < 2 ? 1 : 2, c1 = ch + nc - 1;
      const uint8_t *p0 = pos + ch * kp / 4, *p1 = pos + c1 * kp / 4;
      const int8_t *v0 = val + ch * kp / 2, *v1 = val + c1 * kp / 2;
      int32x4_t acc = vdupq_n_s32(0);
      for (size_t win = 0; win < windows; ++win) {
        MCA_BEGIN("qs8_nm24_gemm_1x2c16__neondot");
        int8x16_t xw = vld1q_s8(win < full ? x + win * COOPT_NM24_WINDOW : tail);
        uint32_t q0, q1;
        memcpy(&q0, p0 + 4 * win, 4);
        memcpy(&q1, p1 + 4 * win, 4);
        uint8x8_t n0 = vreinterpret_u8_u32(vdup_n_u32(q0)), n1 = vreinterpret_u8_u32(vdup_n_u32(q1));
        uint8x16_t idx =
            vcombine_u8(vzip1_u8(vand_u8(n0, nib), vshr_n_u8(n0, 4)), vzip1_u8(vand_u8(n1, nib), vshr_n_u8(n1, 4)));
        int8x16_t vv = vcombine_s8(vld1_s8(v0 + 8 * win), vld1_s8(v1 + 8 * win));
        acc = vdotq_s32(acc, vqtbl1q_s8(xw, idx), vv);
        MCA_END("qs8_nm24_gemm_1x2c16__neondot");
      }
      int32x2_t sums = vpadd_s32(vget_low_s32(acc), vget_high_s32(acc));
      c[r * c_stride + ch] = coopt_requant(V.bias[ch] + vget_lane_s32(sums, 0), V.mult[ch], V.shift[ch], b);
      if (nc == 2)
        c[r * c_stride + c1] = coopt_requant(V.bias[c1] + vget_lane_s32(sums, 1), V.mult[c1], V.shift[c1], b);
    }
  }
}

/* qs8 lookup-table GEMM/GEMV, 1 row x 1 channel, 32 K per step: split 16
 * bytes of nibbles, two TBLs against the channel's codebook (one register),
 * zip back to K order, two SDOTs. */
void coopt_qs8_lut4_gemm_1x1c16__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const int8_t *book = V.codebook;
  const uint8_t *codes = V.values;
  const size_t k = b->k, k32 = k / 32 * 32, k16 = k / 16 * 16;
  const uint8x16_t nib = vdupq_n_u8(0x0F);
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    for (size_t ch = 0; ch < b->n; ++ch) {
      const int8x16_t table = vld1q_s8(book + 16 * ch);
      const uint8_t *cc = codes + ch * (b->kp / 2);
      int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
      size_t i = 0;
      for (; i < k32; i += 32) {
        MCA_BEGIN("qs8_lut4_gemm_1x1c16__neondot");
        uint8x16_t bytes = vld1q_u8(cc + i / 2);
        int8x16_t we = vqtbl1q_s8(table, vandq_u8(bytes, nib));
        int8x16_t wo = vqtbl1q_s8(table, vshrq_n_u8(bytes, 4));
        acc0 = vdotq_s32(acc0, vzip1q_s8(we, wo), vld1q_s8(x + i));
        acc1 = vdotq_s32(acc1, vzip2q_s8(we, wo), vld1q_s8(x + i + 16));
        MCA_END("qs8_lut4_gemm_1x1c16__neondot");
      }
      if (i < k16) {
        uint8x16_t bytes = vcombine_u8(vld1_u8(cc + i / 2), vdup_n_u8(0));
        int8x16_t we = vqtbl1q_s8(table, vandq_u8(bytes, nib));
        int8x16_t wo = vqtbl1q_s8(table, vshrq_n_u8(bytes, 4));
        acc0 = vdotq_s32(acc0, vzip1q_s8(we, wo), vld1q_s8(x + i));
        i += 16;
      }
      int32_t s = pb[ch] + vaddvq_s32(vaddq_s32(acc0, acc1)) + coopt_lut4_dot(x, cc, book + 16 * ch, i, k);
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
  }
}

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

#endif /* __ARM_FEATURE_DOTPROD */
