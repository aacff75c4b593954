/*
 * x86-64 AVX2 + FMA kernels (the evaluation host).  AVX2 has no signed int8
 * dot product (vpmaddubsw is unsigned x signed and saturates int16), so the
 * int8 kernels widen to int16 and use vpmaddwd, which is exact: two
 * products of at most 128 * 127 summed in int32.
 */
#define _POSIX_C_SOURCE 200809L
#include "../../blob.h"

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Four int8 activations a[0..3] as int16, in all four 64-bit lanes. */
static inline __m256i bcast4_i16(const int8_t *a) {
  int32_t v;
  memcpy(&v, a, 4);
  __m128i x = _mm_cvtepi8_epi16(_mm_cvtsi32_si128(v));
  return _mm256_broadcastq_epi64(x);
}

/* Same for the last, partial group of a row: missing values read as 0
 * (their packed weights are 0 too). */
static inline __m256i bcast4_tail_i16(const int8_t *a, size_t n) {
  int8_t t[4] = {0, 0, 0, 0};
  memcpy(t, a, n);
  return bcast4_i16(t);
}

/* TOSA SINGLE_ROUND rescale of 8 accumulators with per-lane multiplier and
 * shift, + zero point, clamp: (acc * m + 2^(s-1)) >> s in 64-bit lanes.
 * AVX2 has no 64-bit arithmetic shift, so x >> s = ((x ^ 2^63) >>> s) -
 * (2^63 >>> s).  The result fits int32 whenever TOSA's REQUIRE holds. */
static inline __m256i rescale8_single(__m256i acc, __m256i mult, __m256i shift, __m256i zp, __m256i lo, __m256i hi) {
  const __m256i one = _mm256_set1_epi64x(1), sign = _mm256_set1_epi64x((long long)(1ull << 63));
  __m256i sh_even = _mm256_and_si256(shift, _mm256_set1_epi64x(0xFFFFFFFF)), sh_odd = _mm256_srli_epi64(shift, 32);
  __m256i pe = _mm256_mul_epi32(acc, mult);
  __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(mult, 32));
  pe = _mm256_add_epi64(pe, _mm256_sllv_epi64(one, _mm256_sub_epi64(sh_even, one)));
  po = _mm256_add_epi64(po, _mm256_sllv_epi64(one, _mm256_sub_epi64(sh_odd, one)));
  pe = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_xor_si256(pe, sign), sh_even), _mm256_srlv_epi64(sign, sh_even));
  po = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_xor_si256(po, sign), sh_odd), _mm256_srlv_epi64(sign, sh_odd));
  __m256i r = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
  r = _mm256_add_epi32(r, zp);
  return _mm256_min_epi32(_mm256_max_epi32(r, lo), hi);
}

/* Store 8 int32 (already in int8 range) as int8. */
static inline void store8_i8(int8_t *out, __m256i v, size_t ncols) {
  __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  __m128i b = _mm_packs_epi16(w, w);
  if (ncols == 8) {
    _mm_storel_epi64((__m128i *)out, b);
  } else {
    int8_t t[16];
    _mm_storeu_si128((__m128i *)t, b);
    memcpy(out, t, ncols);
  }
}

/* The 8 channels' accumulators of one row: vphaddd folds the pair sums. */
static inline __m256i finish8(__m256i lo, __m256i hi, __m256i bias) {
  const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  return _mm256_add_epi32(_mm256_permutevar8x32_epi32(_mm256_hadd_epi32(lo, hi), order), bias);
}

static inline void epilogue8(const coopt_blob *b, __m256i s, const int32_t *pm, const int32_t *ps, int8_t *c,
                             int32_t *acc_out, size_t ncols) {
  if (acc_out) {
    int32_t t[8];
    _mm256_storeu_si256((__m256i *)t, s);
    memcpy(acc_out, t, ncols * 4);
  } else if (!b->double_round) {
    __m256i r = rescale8_single(s, _mm256_loadu_si256((const __m256i *)pm), _mm256_loadu_si256((const __m256i *)ps),
                                _mm256_set1_epi32(b->out_zero_point), _mm256_set1_epi32(b->out_min),
                                _mm256_set1_epi32(b->out_max));
    store8_i8(c, r, ncols);
  } else {
    int32_t t[8];
    _mm256_storeu_si256((__m256i *)t, s);
    for (size_t j = 0; j < ncols; ++j)
      c[j] = coopt_requant(t[j], pm[j], ps[j], b);
  }
}

/* qs8 GEMM, MR rows x 8 channels per step, K in groups of 4 (c4 layout):
 * each group's 32 weight bytes widen to two int16 vectors (channels 0-3,
 * 4-7); vpmaddwd against the row's 4 activations (broadcast) leaves pair
 * sums that one vphaddd folds at the end.  MR = 4, and 1 for GEMV rows so
 * no work is spent on padding rows. */
#define QS8_GEMM_TILE(MR)                                                                                              \
  static void qs8_gemm_tile_##MR(const coopt_blob *b, const int8_t *pw, const int8_t *const *ar, __m256i *lo,          \
                                 __m256i *hi) {                                                                        \
    size_t groups = b->kp / 4, full = b->k / 4, rem = b->k % 4;                                                        \
    for (int r = 0; r < MR; ++r)                                                                                       \
      lo[r] = hi[r] = _mm256_setzero_si256();                                                                          \
    for (size_t g = 0; g < groups; ++g) {                                                                              \
      __m256i wlo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(pw + 32 * g)));                             \
      __m256i whi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(pw + 32 * g + 16)));                        \
      for (int r = 0; r < MR; ++r) {                                                                                   \
        __m256i x = g < full ? bcast4_i16(ar[r] + 4 * g) : bcast4_tail_i16(ar[r] + 4 * g, rem);                        \
        lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(wlo, x));                                                    \
        hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(whi, x));                                                    \
      }                                                                                                                \
    }                                                                                                                  \
  }
QS8_GEMM_TILE(4)
QS8_GEMM_TILE(1)

void coopt_qs8_gemm_4x8c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_qs8_panel P = coopt_qs8_panel_of(packed, p);
    const int32_t *pb = P.bias, *pm = P.mult, *ps = P.shift;
    const int8_t *pw = P.w;
    const size_t ncols = P.ncols;
    const __m256i bias = _mm256_loadu_si256((const __m256i *)pb);
    size_t r0 = 0;
    for (; r0 + 4 <= m; r0 += 4) {
      const int8_t *ar[4] = {a + r0 * a_stride, a + (r0 + 1) * a_stride, a + (r0 + 2) * a_stride,
                             a + (r0 + 3) * a_stride};
      __m256i lo[4], hi[4];
      qs8_gemm_tile_4(b, pw, ar, lo, hi);
      for (size_t r = 0; r < 4; ++r)
        epilogue8(b, finish8(lo[r], hi[r], bias), pm, ps, c ? c + (r0 + r) * c_stride + p * COOPT_QS8_NR : NULL,
                  acc_out ? acc_out + (r0 + r) * acc_stride + p * COOPT_QS8_NR : NULL, ncols);
    }
    for (; r0 < m; ++r0) {
      const int8_t *ar[1] = {a + r0 * a_stride};
      __m256i lo[1], hi[1];
      qs8_gemm_tile_1(b, pw, ar, lo, hi);
      epilogue8(b, finish8(lo[0], hi[0], bias), pm, ps, c ? c + r0 * c_stride + p * COOPT_QS8_NR : NULL,
                acc_out ? acc_out + r0 * acc_stride + p * COOPT_QS8_NR : NULL, ncols);
    }
  }
}

#if defined(__AVXVNNI__)
/* qs8 GEMM with AVX-VNNI (VEX vpdpbusd, built when the build host has it):
 * one vpdpbusd is a whole c4 group of 8 channels for one row, i.e. 32 MACs,
 * where the AVX2 kernel needs two widenings, two vpmaddwd and two adds.
 * vpdpbusd multiplies unsigned by signed bytes, so activations go in as
 * a + 128 (xor 0x80) and 128 * sum(w) per channel comes off the bias; that
 * sum is one more vpdpbusd per group and panel against all-ones bytes, paid
 * once per call, not per row.  The wrapping (non-saturating) form keeps the
 * sums exact modulo 2^32, and the true accumulator fits int32 (K <= 2^16).
 * 4 rows x 16 channels (two panels) per step: 8 accumulators, each
 * broadcast activation group feeds two vpdpbusd.  Rows beyond m repeat the
 * last row and are not stored. */
static inline __m256i vnni_bias(const int8_t *pw, size_t groups, const int32_t *pb) {
  __m256i ws = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi8(1);
  for (size_t g = 0; g < groups; ++g)
    ws = _mm256_dpbusd_avx_epi32(ws, ones, _mm256_loadu_si256((const __m256i *)(pw + 32 * g)));
  return _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)pb), _mm256_slli_epi32(ws, 7));
}

static inline __m256i bcast4_u8(const int8_t *a, size_t avail) {
  int32_t v = 0;
  memcpy(&v, a, avail < 4 ? avail : 4);
  return _mm256_xor_si256(_mm256_set1_epi32(v), _mm256_set1_epi8((char)0x80));
}

void coopt_qs8_gemm_4x16c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t groups = b->kp / 4, full = b->k / 4, rem = b->k % 4;
  const size_t panels = (b->n + COOPT_QS8_NR - 1) / COOPT_QS8_NR;
  for (size_t p = 0; p < panels; p += 2) {
    const bool two = p + 1 < panels;
    /* A lone last panel runs as both halves; its second half is not stored. */
    const coopt_qs8_panel P0 = coopt_qs8_panel_of(packed, p), P1 = coopt_qs8_panel_of(packed, two ? p + 1 : p);
    const int8_t *pw0 = P0.w, *pw1 = P1.w;
    const __m256i bias0 = vnni_bias(pw0, groups, P0.bias), bias1 = two ? vnni_bias(pw1, groups, P1.bias) : bias0;
    for (size_t r0 = 0; r0 < m; r0 += 4) {
      const size_t mr = m - r0 < 4 ? m - r0 : 4;
      const int8_t *ar[4];
      for (size_t r = 0; r < 4; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      __m256i x0 = bias0, x1 = bias0, x2 = bias0, x3 = bias0, y0 = bias1, y1 = bias1, y2 = bias1, y3 = bias1;
      for (size_t g = 0; g < full; ++g) {
        const __m256i u = _mm256_loadu_si256((const __m256i *)(pw0 + 32 * g));
        const __m256i v = _mm256_loadu_si256((const __m256i *)(pw1 + 32 * g));
        __m256i a0 = bcast4_u8(ar[0] + 4 * g, 4), a1 = bcast4_u8(ar[1] + 4 * g, 4);
        x0 = _mm256_dpbusd_avx_epi32(x0, a0, u), y0 = _mm256_dpbusd_avx_epi32(y0, a0, v);
        x1 = _mm256_dpbusd_avx_epi32(x1, a1, u), y1 = _mm256_dpbusd_avx_epi32(y1, a1, v);
        __m256i a2 = bcast4_u8(ar[2] + 4 * g, 4), a3 = bcast4_u8(ar[3] + 4 * g, 4);
        x2 = _mm256_dpbusd_avx_epi32(x2, a2, u), y2 = _mm256_dpbusd_avx_epi32(y2, a2, v);
        x3 = _mm256_dpbusd_avx_epi32(x3, a3, u), y3 = _mm256_dpbusd_avx_epi32(y3, a3, v);
      }
      if (rem) {
        /* The K tail: packed weights past K are 0, so the filler bytes of
         * the activations contribute nothing. */
        const __m256i u = _mm256_loadu_si256((const __m256i *)(pw0 + 32 * full));
        const __m256i v = _mm256_loadu_si256((const __m256i *)(pw1 + 32 * full));
        __m256i t[4];
        for (size_t r = 0; r < 4; ++r)
          t[r] = bcast4_u8(ar[r] + 4 * full, rem);
        x0 = _mm256_dpbusd_avx_epi32(x0, t[0], u), y0 = _mm256_dpbusd_avx_epi32(y0, t[0], v);
        x1 = _mm256_dpbusd_avx_epi32(x1, t[1], u), y1 = _mm256_dpbusd_avx_epi32(y1, t[1], v);
        x2 = _mm256_dpbusd_avx_epi32(x2, t[2], u), y2 = _mm256_dpbusd_avx_epi32(y2, t[2], v);
        x3 = _mm256_dpbusd_avx_epi32(x3, t[3], u), y3 = _mm256_dpbusd_avx_epi32(y3, t[3], v);
      }
      const __m256i xs[4] = {x0, x1, x2, x3}, ys[4] = {y0, y1, y2, y3};
      for (size_t r = 0; r < mr; ++r) {
        size_t row = r0 + r, col = p * COOPT_QS8_NR;
        epilogue8(b, xs[r], P0.mult, P0.shift, c ? c + row * c_stride + col : NULL,
                  acc_out ? acc_out + row * acc_stride + col : NULL, P0.ncols);
        if (two)
          epilogue8(b, ys[r], P1.mult, P1.shift, c ? c + row * c_stride + col + COOPT_QS8_NR : NULL,
                    acc_out ? acc_out + row * acc_stride + col + COOPT_QS8_NR : NULL, P1.ncols);
      }
    }
  }
}
#endif

static inline void store8_f32(float *out, __m256 v, __m256 vmin, __m256 vmax, size_t ncols) {
  v = _mm256_min_ps(_mm256_max_ps(v, vmin), vmax);
  if (ncols == 8) {
    _mm256_storeu_ps(out, v);
  } else {
    float t[8];
    _mm256_storeu_ps(t, v);
    memcpy(out, t, ncols * 4);
  }
}

/* f32 GEMM, 4 rows x 16 channels (two 8-channel panels side by side): 8
 * independent FMA chains cover the FMA latency on both ports.  A lone last
 * panel runs the same loop with 8 channels. */
void coopt_f32_gemm_4x8__avx2_fma(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                                  size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  size_t k = b->k, panels = (b->n + COOPT_F32_NR - 1) / COOPT_F32_NR;
  const __m256 vmin = _mm256_set1_ps(b->fmin), vmax = _mm256_set1_ps(b->fmax);
  for (size_t p = 0; p < panels; p += 2) {
    bool two = p + 1 < panels;
    const float *p0 = (const float *)((const char *)packed + COOPT_BLOB_HEADER + p * coopt_f32_panel_bytes(k));
    const float *p1 = two ? (const float *)((const char *)p0 + coopt_f32_panel_bytes(k)) : p0;
    size_t n0 = b->n - p * COOPT_F32_NR < COOPT_F32_NR ? b->n - p * COOPT_F32_NR : COOPT_F32_NR;
    size_t n1 = two ? (b->n - (p + 1) * COOPT_F32_NR < COOPT_F32_NR ? b->n - (p + 1) * COOPT_F32_NR : COOPT_F32_NR) : 0;
    for (size_t r0 = 0; r0 < m; r0 += 4) {
      size_t mr = m - r0 < 4 ? m - r0 : 4;
      const float *ar[4];
      for (size_t r = 0; r < 4; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      __m256 x0 = _mm256_loadu_ps(p0), y0 = _mm256_loadu_ps(p1);
      __m256 x1 = x0, x2 = x0, x3 = x0, y1 = y0, y2 = y0, y3 = y0;
      const float *w0 = p0 + COOPT_F32_NR, *w1 = p1 + COOPT_F32_NR;
      for (size_t i = 0; i < k; ++i) {
        __m256 u = _mm256_loadu_ps(w0 + COOPT_F32_NR * i), v = _mm256_loadu_ps(w1 + COOPT_F32_NR * i);
        __m256 a0 = _mm256_broadcast_ss(ar[0] + i), a1 = _mm256_broadcast_ss(ar[1] + i);
        __m256 a2 = _mm256_broadcast_ss(ar[2] + i), a3 = _mm256_broadcast_ss(ar[3] + i);
        x0 = _mm256_fmadd_ps(a0, u, x0), y0 = _mm256_fmadd_ps(a0, v, y0);
        x1 = _mm256_fmadd_ps(a1, u, x1), y1 = _mm256_fmadd_ps(a1, v, y1);
        x2 = _mm256_fmadd_ps(a2, u, x2), y2 = _mm256_fmadd_ps(a2, v, y2);
        x3 = _mm256_fmadd_ps(a3, u, x3), y3 = _mm256_fmadd_ps(a3, v, y3);
      }
      __m256 xs[4] = {x0, x1, x2, x3}, ys[4] = {y0, y1, y2, y3};
      for (size_t r = 0; r < mr; ++r) {
        float *out = c + (r0 + r) * c_stride + p * COOPT_F32_NR;
        store8_f32(out, xs[r], vmin, vmax, n0);
        if (two)
          store8_f32(out + COOPT_F32_NR, ys[r], vmin, vmax, n1);
      }
    }
  }
}

/* f32 SpMM (XNNPACK's 32x1 scheme): 32 pixels of one output channel at a
 * time; each nonzero weight is one broadcast and 4 FMAs over the input row
 * its delta leads to.  Tails of 8 and then single pixels. */
void coopt_f32_spmm_32x1__avx2_fma(const void *packed, size_t m, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const float *pb = V.fbias, *pv0 = V.values;
  const uint32_t *pn = V.nnz;
  const int32_t *pd0 = V.deltas;
  const __m256 vmin = _mm256_set1_ps(b->fmin), vmax = _mm256_set1_ps(b->fmax);
  size_t r = 0;
  for (; r + 32 <= m; r += 32) {
    const char *row = (const char *)(in + r) + pd0[0];
    const float *pv = pv0;
    const int32_t *pd = pd0 + 1;
    for (size_t ch = 0; ch < b->n; ++ch) {
      __m256 a0 = _mm256_broadcast_ss(pb + ch), a1 = a0, a2 = a0, a3 = a0;
      for (uint32_t t = pn[ch]; t; --t) {
        const __m256 w = _mm256_broadcast_ss(pv++);
        const float *x = (const float *)row;
        a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x), a0);
        a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 8), a1);
        a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 16), a2);
        a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 24), a3);
        row += *pd++;
      }
      float *o = out + ch * b->m_stride + r;
      _mm256_storeu_ps(o, _mm256_min_ps(_mm256_max_ps(a0, vmin), vmax));
      _mm256_storeu_ps(o + 8, _mm256_min_ps(_mm256_max_ps(a1, vmin), vmax));
      _mm256_storeu_ps(o + 16, _mm256_min_ps(_mm256_max_ps(a2, vmin), vmax));
      _mm256_storeu_ps(o + 24, _mm256_min_ps(_mm256_max_ps(a3, vmin), vmax));
    }
  }
  for (; r + 8 <= m; r += 8) {
    const char *row = (const char *)(in + r) + pd0[0];
    const float *pv = pv0;
    const int32_t *pd = pd0 + 1;
    for (size_t ch = 0; ch < b->n; ++ch) {
      __m256 a0 = _mm256_broadcast_ss(pb + ch);
      for (uint32_t t = pn[ch]; t; --t) {
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(pv++), _mm256_loadu_ps((const float *)row), a0);
        row += *pd++;
      }
      _mm256_storeu_ps(out + ch * b->m_stride + r, _mm256_min_ps(_mm256_max_ps(a0, vmin), vmax));
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

/* Horizontal sum of 8 int32. */
static inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

/* 16 int8 activations and 16 int8 weights: 8 int32 partial sums. */
static inline __m256i dot16(__m128i w, __m128i x) {
  return _mm256_madd_epi16(_mm256_cvtepi8_epi16(w), _mm256_cvtepi8_epi16(x));
}

/* Decode 32 weights of one channel: 16 bytes of nibbles split into even-k
 * and odd-k index vectors, one vpshufb each against the channel's 16-entry
 * codebook (the whole table in one register), re-interleaved to K order and
 * widened to int16. */
static inline void lut4_decode32(__m128i table, const uint8_t *cc, __m256i *w0, __m256i *w1) {
  const __m128i nib = _mm_set1_epi8(0x0F);
  __m128i bytes = _mm_loadu_si128((const __m128i *)cc);
  __m128i we = _mm_shuffle_epi8(table, _mm_and_si128(bytes, nib));
  __m128i wo = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(bytes, 4), nib));
  *w0 = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(we, wo));
  *w1 = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(we, wo));
}

/* qs8 lookup-table GEMM/GEMV, 1 row x 2 channels, 32 K per step.  The row's
 * activations are widened to int16 once (shared by every channel); each
 * channel's weights are decoded in registers and never exist in memory as
 * int8, so a GEMV reads half the bytes of the dense form. */
void coopt_qs8_lut4_gemm_1x2c16__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                      size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const int8_t *book = V.codebook;
  const uint8_t *codes = V.values;
  const size_t k = b->k, k32 = k / 32 * 32, half = b->kp / 2;
  int16_t *x16 = NULL;
  if (posix_memalign((void **)&x16, 32, k32 > 0 ? k32 * 2 : 32))
    return;
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    for (size_t i = 0; i < k32; i += 16)
      _mm256_store_si256((__m256i *)(x16 + i), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i))));
    for (size_t ch = 0; ch < b->n; ch += 2) {
      size_t nc = b->n - ch < 2 ? 1 : 2;
      const __m128i t0 = _mm_loadu_si128((const __m128i *)(book + 16 * ch));
      const __m128i t1 = _mm_loadu_si128((const __m128i *)(book + 16 * (ch + nc - 1)));
      const uint8_t *c0 = codes + ch * half, *c1 = codes + (ch + nc - 1) * half;
      __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
      for (size_t i = 0; i < k32; i += 32) {
        __m256i xa = _mm256_load_si256((const __m256i *)(x16 + i)),
                xb = _mm256_load_si256((const __m256i *)(x16 + i + 16));
        __m256i w0, w1;
        lut4_decode32(t0, c0 + i / 2, &w0, &w1);
        acc0 = _mm256_add_epi32(acc0, _mm256_add_epi32(_mm256_madd_epi16(w0, xa), _mm256_madd_epi16(w1, xb)));
        lut4_decode32(t1, c1 + i / 2, &w0, &w1);
        acc1 = _mm256_add_epi32(acc1, _mm256_add_epi32(_mm256_madd_epi16(w0, xa), _mm256_madd_epi16(w1, xb)));
      }
      int32_t s[2] = {hsum_i32(acc0), hsum_i32(acc1)};
      for (size_t u = 0; u < nc; ++u) {
        const uint8_t *cc = codes + (ch + u) * half;
        int32_t v = pb[ch + u] + s[u] + coopt_lut4_dot(x, cc, book + 16 * (ch + u), k32, k);
        c[r * c_stride + ch + u] = coopt_requant(v, pm[ch + u], ps[ch + u], b);
      }
    }
  }
  free(x16);
}

#if defined(__AVXVNNI__)
/* The lookup-table GEMM with AVX-VNNI: each 32-weight step decodes the
 * channel's nibbles with two vpshufb into 32 int8 weights in K order and
 * takes one vpdpbusd against the row's activations stored once as a + 128;
 * a second vpdpbusd against all-ones bytes sums the decoded weights for the
 * 128 * sum(w) correction, which needs no extra pass over the indices (so a
 * GEMV still reads only the 4-bit form). */
static inline __m256i lut4_decode32_i8(__m128i table, const uint8_t *cc) {
  const __m128i nib = _mm_set1_epi8(0x0F);
  __m128i bytes = _mm_loadu_si128((const __m128i *)cc);
  __m128i we = _mm_shuffle_epi8(table, _mm_and_si128(bytes, nib));
  __m128i wo = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(bytes, 4), nib));
  return _mm256_set_m128i(_mm_unpackhi_epi8(we, wo), _mm_unpacklo_epi8(we, wo));
}

/* ROWS rows (1 or 4) x 2 channels per step; the 4-row form shares each
 * decoded 32-weight step between its rows (decoding is the cost of the
 * 1-row form).  Rows past m repeat the last row and are not stored.
 * always_inline: ROWS must fold to a constant or the accumulators spill. */
static inline __attribute__((always_inline)) void lut4_gemm_vnni(const size_t ROWS, const void *packed, size_t m,
                                                                 const int8_t *a, size_t a_stride, int8_t *c,
                                                                 size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const int8_t *book = V.codebook;
  const uint8_t *codes = V.values;
  const size_t k = b->k, k32 = k / 32 * 32, half = b->kp / 2, ks = k32 > 0 ? k32 : 32;
  const __m256i ones = _mm256_set1_epi8(1), flip = _mm256_set1_epi8((char)0x80);
  uint8_t *xu = NULL;
  if (posix_memalign((void **)&xu, 32, ROWS * ks))
    return;
  for (size_t r0 = 0; r0 < m; r0 += ROWS) {
    const size_t mr = m - r0 < ROWS ? m - r0 : ROWS;
    const int8_t *x[4];
    for (size_t r = 0; r < ROWS; ++r) {
      x[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      for (size_t i = 0; i < k32; i += 32)
        _mm256_store_si256((__m256i *)(xu + r * ks + i),
                           _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x[r] + i)), flip));
    }
    for (size_t ch = 0; ch < b->n; ch += 2) {
      size_t nc = b->n - ch < 2 ? 1 : 2;
      const __m128i t0 = _mm_loadu_si128((const __m128i *)(book + 16 * ch));
      const __m128i t1 = _mm_loadu_si128((const __m128i *)(book + 16 * (ch + nc - 1)));
      const uint8_t *c0 = codes + ch * half, *c1 = codes + (ch + nc - 1) * half;
      __m256i acc[4][2], ws0 = _mm256_setzero_si256(), ws1 = ws0;
      for (size_t r = 0; r < ROWS; ++r)
        acc[r][0] = acc[r][1] = ws0;
      for (size_t i = 0; i < k32; i += 32) {
        const __m256i w0 = lut4_decode32_i8(t0, c0 + i / 2), w1 = lut4_decode32_i8(t1, c1 + i / 2);
        ws0 = _mm256_dpbusd_avx_epi32(ws0, ones, w0), ws1 = _mm256_dpbusd_avx_epi32(ws1, ones, w1);
        for (size_t r = 0; r < ROWS; ++r) {
          const __m256i xv = _mm256_load_si256((const __m256i *)(xu + r * ks + i));
          acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], xv, w0);
          acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], xv, w1);
        }
      }
      const int32_t corr[2] = {128 * hsum_i32(ws0), 128 * hsum_i32(ws1)};
      for (size_t r = 0; r < mr; ++r)
        for (size_t u = 0; u < nc; ++u) {
          int32_t v = pb[ch + u] + hsum_i32(acc[r][u]) - corr[u] +
                      coopt_lut4_dot(x[r], codes + (ch + u) * half, book + 16 * (ch + u), k32, k);
          c[(r0 + r) * c_stride + ch + u] = coopt_requant(v, pm[ch + u], ps[ch + u], b);
        }
    }
  }
  free(xu);
}

void coopt_qs8_lut4_gemm_1x2c32__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  lut4_gemm_vnni(1, packed, m, a, a_stride, c, c_stride);
}

void coopt_qs8_lut4_gemm_4x2c32__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride) {
  lut4_gemm_vnni(4, packed, m, a, a_stride, c, c_stride);
}
#endif

/* qs8 2:4 sparse GEMM/GEMV, 1 row x 2 channels, 16 K per step: the 8
 * position nibbles of each channel become pshufb indices, one pshufb gathers
 * both channels' 16 activations from the window, and one vpmaddwd (after
 * widening) multiplies them by the 16 kept values: half the MACs of dense.
 * The last window reads a zero-padded copy of the row's tail. */
static inline __m128i nm24_indices(const uint8_t *p) {
  int32_t q;
  memcpy(&q, p, 4);
  const __m128i n = _mm_cvtsi32_si128(q), nib = _mm_set1_epi8(0x0F);
  return _mm_unpacklo_epi8(_mm_and_si128(n, nib), _mm_and_si128(_mm_srli_epi16(n, 4), nib));
}

void coopt_qs8_nm24_gemm_1x2c16__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                      size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const uint8_t *pos = (const uint8_t *)V.index;
  const int8_t *val = (const int8_t *)V.values;
  const size_t k = b->k, kp = b->kp, windows = kp / COOPT_NM24_WINDOW, full = k / COOPT_NM24_WINDOW;
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    int8_t tail[COOPT_NM24_WINDOW] = {0};
    if (full < windows)
      memcpy(tail, x + full * COOPT_NM24_WINDOW, k - full * COOPT_NM24_WINDOW);
    for (size_t ch = 0; ch < b->n; ch += 2) {
      const size_t nc = b->n - ch < 2 ? 1 : 2, c1 = ch + nc - 1;
      const uint8_t *p0 = pos + ch * kp / 4, *p1 = pos + c1 * kp / 4;
      const int8_t *v0 = val + ch * kp / 2, *v1 = val + c1 * kp / 2;
      __m256i acc = _mm256_setzero_si256();
      for (size_t win = 0; win < windows; ++win) {
        __m128i xw = _mm_loadu_si128((const __m128i *)(win < full ? x + win * COOPT_NM24_WINDOW : tail));
        __m128i idx = _mm_unpacklo_epi64(nm24_indices(p0 + 4 * win), nm24_indices(p1 + 4 * win));
        __m128i vv = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(v0 + 8 * win)),
                                        _mm_loadl_epi64((const __m128i *)(v1 + 8 * win)));
        acc = _mm256_add_epi32(acc, dot16(vv, _mm_shuffle_epi8(xw, idx)));
      }
      /* Lanes 0-3: channel ch, 4-7: channel c1. */
      __m128i h = _mm_hadd_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
      h = _mm_hadd_epi32(h, h);
      c[r * c_stride + ch] = coopt_requant(V.bias[ch] + _mm_cvtsi128_si32(h), V.mult[ch], V.shift[ch], b);
      if (nc == 2)
        c[r * c_stride + c1] = coopt_requant(V.bias[c1] + _mm_extract_epi32(h, 1), V.mult[c1], V.shift[c1], b);
    }
  }
}

/* qs8 sparse 1x4, 1 row x 1 channel (GEMV-shaped calls): 8 nonzero blocks at
 * a time, their activations gathered as int32 (4 bytes = one block) against
 * 32 contiguous weight bytes.  A block that would read past the row's end
 * (K % 4 != 0) is done one value at a time. */
void coopt_qs8_spgemm_1x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const uint32_t *pn = V.nnz, *pk = V.index;
  const int8_t *pv = V.values;
  const size_t k = b->k;
  for (size_t r = 0; r < m; ++r) {
    const int8_t *x = a + r * a_stride;
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      size_t end = j + pn[ch];
      size_t safe_end = end > j && pk[end - 1] + 4 > k ? end - 1 : end;
      __m256i acc = _mm256_setzero_si256();
      for (; j + 8 <= safe_end; j += 8) {
        __m256i idx = _mm256_loadu_si256((const __m256i *)(pk + j));
        __m256i xa = _mm256_i32gather_epi32((const int *)x, idx, 1);
        __m256i w = _mm256_loadu_si256((const __m256i *)(pv + 4 * j));
        acc = _mm256_add_epi32(acc, dot16(_mm256_castsi256_si128(w), _mm256_castsi256_si128(xa)));
        acc = _mm256_add_epi32(acc, dot16(_mm256_extracti128_si256(w, 1), _mm256_extracti128_si256(xa, 1)));
      }
      int32_t s = pb[ch] + hsum_i32(acc);
      for (; j < end; ++j)
        for (size_t u = 0; u < 4 && pk[j] + u < k; ++u)
          s += (int32_t)x[pk[j] + u] * pv[4 * j + u];
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
  }
}

/* The 8-row tile of the sparse 1x4 kernels: for every 4-block of K, rows
 * 0..7 x 4 bytes contiguous (32 bytes), each 4-byte word xor `flip` (0, or
 * 0x80808080 for the unsigned operand of vpdpbusd).  Rows past mr repeat
 * the last row; K past the end reads as 0 (before the flip; its weights
 * are 0). */
static void regroup_8rows(const int8_t *a, size_t a_stride, size_t mr, size_t k, size_t blocks, uint32_t flip,
                          int8_t *tile) {
  for (size_t r = 0; r < 8; ++r) {
    const int8_t *x = a + (r < mr ? r : mr - 1) * a_stride;
    size_t q = 0;
    for (; 4 * q + 4 <= k; ++q) {
      uint32_t v;
      memcpy(&v, x + 4 * q, 4);
      v ^= flip;
      memcpy(tile + 32 * q + 4 * r, &v, 4);
    }
    if (q < blocks) {
      uint32_t v = 0;
      memcpy(&v, x + 4 * q, k - 4 * q);
      v ^= flip;
      memcpy(tile + 32 * q + 4 * r, &v, 4);
    }
  }
}

/* Requantize one channel's 8 row accumulators and store the first mr rows
 * (a column of the output, stride c_stride). */
static void store_channel_8rows(const coopt_blob *b, __m256i acc, int32_t mult, int32_t shift, int8_t *c,
                                size_t c_stride, size_t mr) {
  int32_t t[8];
  if (!b->double_round) {
    __m256i rq =
        rescale8_single(acc, _mm256_set1_epi32(mult), _mm256_set1_epi32(shift), _mm256_set1_epi32(b->out_zero_point),
                        _mm256_set1_epi32(b->out_min), _mm256_set1_epi32(b->out_max));
    _mm256_storeu_si256((__m256i *)t, rq);
    for (size_t r = 0; r < mr; ++r)
      c[r * c_stride] = (int8_t)t[r];
  } else {
    _mm256_storeu_si256((__m256i *)t, acc);
    for (size_t r = 0; r < mr; ++r)
      c[r * c_stride] = coopt_requant(t[r], mult, shift, b);
  }
}

/* qs8 sparse 1x4, 8 rows x 1 channel: the row tile's activations are first
 * regrouped block-major (for every 4-block of K, 8 rows x 4 bytes = 32
 * contiguous bytes), so each nonzero block of any channel is one aligned
 * load, two widenings and two vpmaddwd against its 4 weights.  The regroup
 * costs 8*K bytes once per tile and is shared by every channel, which is
 * what lets the skipped blocks turn into time.  Rows past the end repeat
 * the last row; K past the end reads as 0. */
void coopt_qs8_spgemm_8x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const uint32_t *pn = V.nnz, *pk = V.index;
  const int8_t *pv = V.values;
  const size_t k = b->k, blocks = b->kp / 4;
  int8_t *tile = NULL;
  if (posix_memalign((void **)&tile, 32, blocks > 0 ? blocks * 32 : 32))
    return;
  const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  for (size_t r0 = 0; r0 < m; r0 += 8) {
    size_t mr = m - r0 < 8 ? m - r0 : 8;
    regroup_8rows(a + r0 * a_stride, a_stride, mr, k, blocks, 0, tile);
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
      for (size_t end = j + pn[ch]; j < end; ++j) {
        __m256i xt = _mm256_load_si256((const __m256i *)(tile + 8 * pk[j]));
        __m256i w = bcast4_i16(pv + 4 * j);
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(xt)), w));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(xt, 1)), w));
      }
      /* Pair sums of rows 0-3 and 4-7 -> rows 0..7. */
      __m256i sum = _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(acc0, acc1), order);
      store_channel_8rows(b, _mm256_add_epi32(sum, _mm256_set1_epi32(pb[ch])), pm[ch], ps[ch], c + r0 * c_stride + ch,
                          c_stride, mr);
    }
  }
  free(tile);
}

#if defined(__AVXVNNI__)
/* The same 8-row tile with AVX-VNNI: the tile holds a + 128 as unsigned
 * bytes, so each nonzero block is one vpdpbusd of the tile's 32 bytes (8 rows
 * x 4) against the block's 4 weights broadcast, with no widening and no pair
 * folding.  Each channel starts from bias - 128 * sum(w), computed once per
 * call. */
void coopt_qs8_spgemm_8x1c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const uint32_t *pn = V.nnz, *pk = V.index;
  const int8_t *pv = V.values;
  const size_t k = b->k, blocks = b->kp / 4;
  int8_t *tile = NULL;
  int32_t *start = malloc(b->n * sizeof *start);
  if (!start || posix_memalign((void **)&tile, 32, blocks > 0 ? blocks * 32 : 32)) {
    free(start);
    return;
  }
  for (size_t ch = 0, j = 0; ch < b->n; ++ch) {
    int32_t sum = 0;
    for (size_t end = j + pn[ch]; j < end; ++j)
      sum += pv[4 * j] + pv[4 * j + 1] + pv[4 * j + 2] + pv[4 * j + 3];
    start[ch] = pb[ch] - 128 * sum;
  }
  for (size_t r0 = 0; r0 < m; r0 += 8) {
    size_t mr = m - r0 < 8 ? m - r0 : 8;
    regroup_8rows(a + r0 * a_stride, a_stride, mr, k, blocks, 0x80808080u, tile);
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      __m256i acc = _mm256_set1_epi32(start[ch]);
      for (size_t end = j + pn[ch]; j < end; ++j) {
        int32_t w;
        memcpy(&w, pv + 4 * j, 4);
        acc =
            _mm256_dpbusd_avx_epi32(acc, _mm256_load_si256((const __m256i *)(tile + 8 * pk[j])), _mm256_set1_epi32(w));
      }
      store_channel_8rows(b, acc, pm[ch], ps[ch], c + r0 * c_stride + ch, c_stride, mr);
    }
  }
  free(tile);
  free(start);
}
#endif

/* Depthwise 3x3, NHWC, channels vectorized.  A tap outside the input reads
 * the activation zero point (int8; its term is folded into the bias) or
 * contributes nothing (f32).
 *
 * 16 channels x 9 taps per output pixel: int8 inputs and weights widen to
 * int16, vpmullw is exact (|a*w| <= 128*127), products widen to int32. */
void coopt_qs8_dw3x3_16c__avx2(const void *packed, const int8_t *in, int8_t *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  const int32_t *pb = D.bias, *pm = D.mult, *ps = D.shift;
  const int8_t *pw = D.w;
  const size_t c16 = C / 16 * 16;
  const __m256i azp = _mm256_set1_epi16((int16_t)b->a_zero_point);
  const __m256i zp = _mm256_set1_epi32(b->out_zero_point), lo = _mm256_set1_epi32(b->out_min),
                hi = _mm256_set1_epi32(b->out_max);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const int8_t *tap[9];
      coopt_dw_taps(&s, in, sizeof *in, y, x, (const void **)tap);
      int8_t *o = out + (y * ow + x) * C;
      for (size_t c = 0; c < c16; c += 16) {
        __m256i acc0 = _mm256_loadu_si256((const __m256i *)(pb + c)),
                acc1 = _mm256_loadu_si256((const __m256i *)(pb + c + 8));
        for (size_t t = 0; t < 9; ++t) {
          __m256i xv = tap[t] ? _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(tap[t] + c))) : azp;
          __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(pw + t * C + c)));
          __m256i p = _mm256_mullo_epi16(xv, wv);
          acc0 = _mm256_add_epi32(acc0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(p)));
          acc1 = _mm256_add_epi32(acc1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(p, 1)));
        }
        if (!b->double_round) {
          __m256i r0 = rescale8_single(acc0, _mm256_loadu_si256((const __m256i *)(pm + c)),
                                       _mm256_loadu_si256((const __m256i *)(ps + c)), zp, lo, hi);
          __m256i r1 = rescale8_single(acc1, _mm256_loadu_si256((const __m256i *)(pm + c + 8)),
                                       _mm256_loadu_si256((const __m256i *)(ps + c + 8)), zp, lo, hi);
          store8_i8(o + c, r0, 8);
          store8_i8(o + c + 8, r1, 8);
        } else {
          int32_t t32[16];
          _mm256_storeu_si256((__m256i *)t32, acc0);
          _mm256_storeu_si256((__m256i *)(t32 + 8), acc1);
          for (size_t j = 0; j < 16; ++j)
            o[c + j] = coopt_requant(t32[j], pm[c + j], ps[c + j], b);
        }
      }
      for (size_t c = c16; c < C; ++c)
        o[c] = coopt_qs8_dw_channel(tap, pw, C, c, pb[c], pm[c], ps[c], b);
    }
}

/* f32: 8 channels x 9 taps per output pixel with FMA. */
void coopt_f32_dw3x3_8c__avx2_fma(const void *packed, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s), c8 = C / 8 * 8;
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  const float *pb = D.fbias, *pw = D.fw;
  const __m256 vmin = _mm256_set1_ps(b->fmin), vmax = _mm256_set1_ps(b->fmax);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const float *tap[9];
      coopt_dw_taps(&s, in, sizeof *in, y, x, (const void **)tap);
      float *o = out + (y * ow + x) * C;
      for (size_t c = 0; c < c8; c += 8) {
        __m256 acc = _mm256_loadu_ps(pb + c);
        for (size_t t = 0; t < 9; ++t)
          if (tap[t])
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(tap[t] + c), _mm256_loadu_ps(pw + t * C + c), acc);
        _mm256_storeu_ps(o + c, _mm256_min_ps(_mm256_max_ps(acc, vmin), vmax));
      }
      for (size_t c = c8; c < C; ++c)
        o[c] = coopt_f32_dw_channel(tap, pw, C, c, pb[c], b);
    }
}
