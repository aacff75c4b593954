/*
 * x86-64 AVX-VNNI dense int8 GEMM (VEX vpdpbusd on ymm).
 */
#include "x86.h"

/* qs8 GEMM with AVX-VNNI (VEX vpdpbusd; called on CPUs that have it):
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

static inline __m256i bcast4_u8(const int8_t *a, size_t avail, bool back) {
  return _mm256_xor_si256(_mm256_set1_epi32((int)coopt_load_group4(a, avail, back)), _mm256_set1_epi8((char)0x80));
}

/* The group prologue: the two panels (a lone last panel runs as both
 * halves; its second half is not stored) and their biases less
 * 128 * sum(w). */
typedef struct vnni_group {
  coopt_qs8_panel P[2];
  __m256i bias[2];
} vnni_group;
_Static_assert(sizeof(vnni_group) <= X86_GEMM_GROUP_STATE, "x86.h group state");

static inline __attribute__((always_inline)) void vnni_group_of(const coopt_blob *b, const void *packed, size_t p,
                                                                size_t real, void *state) {
  vnni_group *G = state;
  const size_t groups = b->kp / 4;
  G->P[0] = coopt_qs8_panel_of(packed, p), G->P[1] = coopt_qs8_panel_of(packed, real == 2 ? p + 1 : p);
  G->bias[0] = vnni_bias(G->P[0].w, groups, G->P[0].bias);
  G->bias[1] = real == 2 ? vnni_bias(G->P[1].w, groups, G->P[1].bias) : G->bias[0];
}

static inline __attribute__((always_inline)) void qs8_gemm_4x16_step(const x86_gemm_step *s, const bool dround) {
  const coopt_blob *b = s->b;
  const vnni_group *G = s->group;
  const size_t full = b->k / 4, rem = b->k % 4;
  const int8_t *pw0 = G->P[0].w, *pw1 = G->P[1].w;
  const int8_t *const *ar = s->ar;
  const __m256i bias0 = G->bias[0], bias1 = G->bias[1];
  __m256i x0 = bias0, x1 = bias0, x2 = bias0, x3 = bias0, y0 = bias1, y1 = bias1, y2 = bias1, y3 = bias1;
  for (size_t g = 0; g < full; ++g) {
    const __m256i u = _mm256_loadu_si256((const __m256i *)(pw0 + 32 * g));
    const __m256i v = _mm256_loadu_si256((const __m256i *)(pw1 + 32 * g));
    __m256i a0 = bcast4_u8(ar[0] + 4 * g, 4, true), a1 = bcast4_u8(ar[1] + 4 * g, 4, true);
    x0 = _mm256_dpbusd_avx_epi32(x0, a0, u), y0 = _mm256_dpbusd_avx_epi32(y0, a0, v);
    x1 = _mm256_dpbusd_avx_epi32(x1, a1, u), y1 = _mm256_dpbusd_avx_epi32(y1, a1, v);
    __m256i a2 = bcast4_u8(ar[2] + 4 * g, 4, true), a3 = bcast4_u8(ar[3] + 4 * g, 4, true);
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
      t[r] = bcast4_u8(ar[r] + 4 * full, rem, full > 0);
    x0 = _mm256_dpbusd_avx_epi32(x0, t[0], u), y0 = _mm256_dpbusd_avx_epi32(y0, t[0], v);
    x1 = _mm256_dpbusd_avx_epi32(x1, t[1], u), y1 = _mm256_dpbusd_avx_epi32(y1, t[1], v);
    x2 = _mm256_dpbusd_avx_epi32(x2, t[2], u), y2 = _mm256_dpbusd_avx_epi32(y2, t[2], v);
    x3 = _mm256_dpbusd_avx_epi32(x3, t[3], u), y3 = _mm256_dpbusd_avx_epi32(y3, t[3], v);
  }
  const __m256i xs[4] = {x0, x1, x2, x3}, ys[4] = {y0, y1, y2, y3};
  for (size_t r = 0; r < s->mr; ++r) {
    epilogue8(b, xs[r], G->P[0].mult, G->P[0].shift, x86_gemm_c(s, r, 0), x86_gemm_acc(s, r, 0), G->P[0].ncols, dround);
    if (s->real == 2)
      epilogue8(b, ys[r], G->P[1].mult, G->P[1].shift, x86_gemm_c(s, r, 1), x86_gemm_acc(s, r, 1), G->P[1].ncols,
                dround);
  }
}

static inline __attribute__((always_inline)) void qs8_gemm_4x16c4(const void *packed, size_t m, const int8_t *a,
                                                                  size_t a_stride, int8_t *c, size_t c_stride,
                                                                  int32_t *acc_out, size_t acc_stride,
                                                                  const bool dround) {
  x86_gemm_drive(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride,
                 (x86_gemm_shape){.rows = 4, .np = 2, .tile = qs8_gemm_4x16_step, .group = vnni_group_of}, dround);
}

/* 1 row x 32 channels for M < 4 (GEMV and the classifier), as the AVX-512
 * 1x32 tile does it on zmm: the 4-row tile's once-per-call 128 * sum(w)
 * pass would read the weights twice, so here the weights take the unsigned
 * side, vpdpbusd(w + 128, a) = w.a + 128 * sum(a), and sum(a) is one row's.
 * Per K group one broadcast of the row's 4 bytes feeds four panels, one
 * accumulator chain each; the last one to three panels split K between two
 * chains.  Below this tile a GEMV ran the AVX2 1-row tile (widen, vpmaddwd:
 * 0.073 ns a MAC against the AVX2 4-row tile's 0.029 then, 0.017 now). */
static int32_t row_sum_vnni(const int8_t *x, size_t k) {
  __m256i s = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi8(1);
  size_t i = 0;
  for (; i + 32 <= k; i += 32)
    s = _mm256_dpbusd_avx_epi32(s, ones, _mm256_loadu_si256((const __m256i *)(x + i)));
  int32_t t = hsum_i32(s);
  for (; i < k; ++i)
    t += x[i];
  return t;
}

/* K group g of a panel's weights as unsigned bytes (w + 128). */
static inline __m256i weights_u8(const int8_t *w, size_t g) {
  return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(w + 32 * g)), _mm256_set1_epi8((char)0x80));
}

/* Four panels of the row, one accumulator chain each. */
static inline __attribute__((always_inline)) void qs8_gemm_1x32_step(const x86_gemm_step *s, const bool dround) {
  const coopt_blob *b = s->b;
  const int8_t *x = s->ar[0];
  const size_t groups = b->kp / 4, full = b->k / 4, rem = b->k % 4;
  const __m256i corr = _mm256_set1_epi32(128 * s->row_term);
  const coopt_qs8_panel P0 = coopt_qs8_panel_of(s->packed, s->p), P1 = coopt_qs8_panel_of(s->packed, s->p + 1),
                        P2 = coopt_qs8_panel_of(s->packed, s->p + 2), P3 = coopt_qs8_panel_of(s->packed, s->p + 3);
  __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t g = 0; g < groups; ++g) {
    const __m256i xv = _mm256_set1_epi32((int)coopt_load_group4(x + 4 * g, g < full ? 4 : rem, full > 0));
    s0 = _mm256_dpbusd_avx_epi32(s0, weights_u8(P0.w, g), xv);
    s1 = _mm256_dpbusd_avx_epi32(s1, weights_u8(P1.w, g), xv);
    s2 = _mm256_dpbusd_avx_epi32(s2, weights_u8(P2.w, g), xv);
    s3 = _mm256_dpbusd_avx_epi32(s3, weights_u8(P3.w, g), xv);
  }
  const coopt_qs8_panel *P[4] = {&P0, &P1, &P2, &P3};
  const __m256i sums[4] = {s0, s1, s2, s3};
  for (size_t i = 0; i < 4; ++i)
    epilogue8(b, _mm256_sub_epi32(_mm256_add_epi32(sums[i], _mm256_loadu_si256((const __m256i *)P[i]->bias)), corr),
              P[i]->mult, P[i]->shift, x86_gemm_c(s, 0, i), x86_gemm_acc(s, 0, i), P[i]->ncols, dround);
}

/* The last panels one at a time, even and odd K groups on two chains. */
static inline __attribute__((always_inline)) void qs8_gemm_1x8_step(const x86_gemm_step *s, const bool dround) {
  const coopt_blob *b = s->b;
  const int8_t *x = s->ar[0];
  const size_t groups = b->kp / 4, full = b->k / 4, rem = b->k % 4;
  const coopt_qs8_panel P = coopt_qs8_panel_of(s->packed, s->p);
  __m256i s0 = _mm256_setzero_si256(), s1 = s0;
  size_t g = 0;
  for (; g + 2 <= groups; g += 2) {
    const __m256i x0 = _mm256_set1_epi32((int)coopt_load_group4(x + 4 * g, g < full ? 4 : rem, full > 0));
    const __m256i x1 = _mm256_set1_epi32((int)coopt_load_group4(x + 4 * g + 4, g + 1 < full ? 4 : rem, full > 0));
    s0 = _mm256_dpbusd_avx_epi32(s0, weights_u8(P.w, g), x0);
    s1 = _mm256_dpbusd_avx_epi32(s1, weights_u8(P.w, g + 1), x1);
  }
  if (g < groups)
    s0 = _mm256_dpbusd_avx_epi32(s0, weights_u8(P.w, g),
                                 _mm256_set1_epi32((int)coopt_load_group4(x + 4 * g, g < full ? 4 : rem, full > 0)));
  const __m256i acc = _mm256_add_epi32(_mm256_add_epi32(s0, s1), _mm256_loadu_si256((const __m256i *)P.bias));
  epilogue8(b, _mm256_sub_epi32(acc, _mm256_set1_epi32(128 * s->row_term)), P.mult, P.shift, x86_gemm_c(s, 0, 0),
            x86_gemm_acc(s, 0, 0), P.ncols, dround);
}

static inline __attribute__((always_inline)) void qs8_gemm_1x32c4(const void *packed, size_t m, const int8_t *a,
                                                                  size_t a_stride, int8_t *c, size_t c_stride,
                                                                  int32_t *acc_out, size_t acc_stride,
                                                                  const bool dround) {
  x86_gemm_drive(
      packed, m, a, a_stride, c, c_stride, acc_out, acc_stride,
      (x86_gemm_shape){
          .rows = 1, .np = 4, .tile = qs8_gemm_1x32_step, .np_tail = 1, .tail = qs8_gemm_1x8_step, .row = row_sum_vnni},
      dround);
}

void coopt_qs8_gemm_4x16c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_4x16c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, false);
}

void coopt_qs8_gemm_dround_4x16c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                           size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_4x16c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, true);
}

void coopt_qs8_gemm_1x32c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_1x32c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, false);
}

void coopt_qs8_gemm_dround_1x32c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                           size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_1x32c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, true);
}
