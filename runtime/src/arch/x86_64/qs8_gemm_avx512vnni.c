/*
 * x86-64 AVX-512 VNNI dense int8 GEMM (EVEX vpdpbusd on zmm).
 */
#include "avx512.h"

/* The AVX-VNNI tile at twice the width: a zmm holds one c4 group of two
 * adjacent 8-channel panels (16 channels x 4 K), so one vpdpbusd is 64 MACs
 * and 4 rows x 32 channels (four panels) keep 8 accumulators busy from two
 * weight vectors and four broadcast activation groups per K group.  The
 * arithmetic is the AVX-VNNI tile's (activations as a + 128, 128 * sum(w)
 * off the bias once per call), so results are bit-identical to it.  Panels
 * past N repeat the last real one and rows past M the last real row;
 * neither is stored. */
/* 32 bytes at lo and 32 at hi as one register: a c4 group of two panels,
 * or two panels' 8 per-channel int32s. */
static inline __m512i join256(const void *lo, const void *hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)lo)),
                            _mm256_loadu_si256((const __m256i *)hi), 1);
}

/* bias - 128 * sum(w) of two panels, as 16 lanes; even and odd groups on
 * separate chains, as vpdpbusd's latency is several cycles. */
static inline __m512i pair_bias(const int8_t *pw0, const int8_t *pw1, size_t groups, const int32_t *b0,
                                const int32_t *b1) {
  __m512i we = _mm512_setzero_si512(), wo = we;
  const __m512i ones = _mm512_set1_epi8(1);
  size_t g = 0;
  for (; g + 2 <= groups; g += 2) {
    we = _mm512_dpbusd_epi32(we, ones, join256(pw0 + 32 * g, pw1 + 32 * g));
    wo = _mm512_dpbusd_epi32(wo, ones, join256(pw0 + 32 * g + 32, pw1 + 32 * g + 32));
  }
  if (g < groups)
    we = _mm512_dpbusd_epi32(we, ones, join256(pw0 + 32 * g, pw1 + 32 * g));
  return _mm512_sub_epi32(join256(b0, b1), _mm512_slli_epi32(_mm512_add_epi32(we, wo), 7));
}

/* Four int8 activations, + 128 as unsigned bytes, in all 16 lanes; `avail`
 * < 4 for the K tail (tiles.h coopt_load_group4). */
static inline __attribute__((always_inline)) __m512i bcast4_u8_512(const int8_t *a, size_t avail, bool back) {
  return _mm512_xor_si512(_mm512_set1_epi32((int)coopt_load_group4(a, avail, back)), _mm512_set1_epi8((char)0x80));
}

/* One K group of the 4 x 32 tile on named accumulators (an array of them
 * is not kept in registers by GCC 12). */
#define GROUP_STEP(g, avail)                                                                                           \
  do {                                                                                                                 \
    const __m512i u = join256(w0 + 32 * (g), w1 + 32 * (g)), v = join256(w2 + 32 * (g), w3 + 32 * (g));                \
    const __m512i a0 = bcast4_u8_512(ar[0] + 4 * (g), avail, back), a1 = bcast4_u8_512(ar[1] + 4 * (g), avail, back);  \
    x0 = _mm512_dpbusd_epi32(x0, a0, u), y0 = _mm512_dpbusd_epi32(y0, a0, v);                                          \
    x1 = _mm512_dpbusd_epi32(x1, a1, u), y1 = _mm512_dpbusd_epi32(y1, a1, v);                                          \
    const __m512i a2 = bcast4_u8_512(ar[2] + 4 * (g), avail, back), a3 = bcast4_u8_512(ar[3] + 4 * (g), avail, back);  \
    x2 = _mm512_dpbusd_epi32(x2, a2, u), y2 = _mm512_dpbusd_epi32(y2, a2, v);                                          \
    x3 = _mm512_dpbusd_epi32(x3, a3, u), y3 = _mm512_dpbusd_epi32(y3, a3, v);                                          \
  } while (0)

typedef struct tile_panels {
  coopt_qs8_panel P[4];
  bool real[4];
} tile_panels;

/* (Both prologue parts write through their out-pointer: returned by value
 * into the driver's group state, the 1.2 KB requantization was built in a
 * temporary and copied, 6% of a 4 x 512 x 512 GEMM.) */
static void panels_from(const void *packed, size_t p, size_t panels, tile_panels *t) {
  for (size_t i = 0; i < 4; ++i) {
    t->real[i] = p + i < panels;
    t->P[i] = coopt_qs8_panel_of(packed, t->real[i] ? p + i : panels - 1);
  }
}

/* The requantization of two adjacent panels (16 channels, avx512.h),
 * prepared once per tile so that each row's epilogue is only the
 * arithmetic: preparing it per row cost as much as the tile's MACs on
 * DS-CNN's K = 64 layers (a quarter of the whole model's time under perf). */
typedef struct rq16 {
  rescale16 r;
  __mmask16 keep; /* the real channels of the pair (0: none) */
} rq16;

static inline __attribute__((always_inline)) rq16 rq16_of(const coopt_blob *b, const coopt_qs8_panel *p0,
                                                          const coopt_qs8_panel *p1, size_t n0, size_t n1) {
  rq16 q;
  q.r = rescale16_of(b, join256(p0->mult, p1->mult), join256(p0->shift, p1->shift));
  q.keep = (__mmask16)(((1u << n0) - 1) | (((1u << n1) - 1) << 8));
  return q;
}

/* 16 accumulators to c (requantized) or acc_out (raw). */
static inline __attribute__((always_inline)) void epilogue16(const rq16 *q, __m512i acc, int8_t *c, int32_t *acc_out,
                                                             const bool dround) {
  if (acc_out)
    _mm512_mask_storeu_epi32(acc_out, q->keep, acc);
  else
    _mm_mask_storeu_epi8(c, q->keep, _mm512_cvtepi32_epi8(rescale16_apply(&q->r, acc, dround)));
}

/* The tile's two panel pairs' requantization: x for panels 0-1, y for 2-3. */
typedef struct tile_rq {
  rq16 h[2];
} tile_rq;

static void tile_rq_of(const coopt_blob *b, const tile_panels *t, tile_rq *r) {
  for (size_t h = 0; h < 2; ++h) {
    size_t n0 = t->real[2 * h] ? t->P[2 * h].ncols : 0, n1 = t->real[2 * h + 1] ? t->P[2 * h + 1].ncols : 0;
    r->h[h] = rq16_of(b, &t->P[2 * h], &t->P[2 * h + 1], n0, n1);
  }
}

/* One row's 32 accumulators. */
static inline __attribute__((always_inline)) void store_row(const tile_rq *q, __m512i x, __m512i y, int8_t *c,
                                                            int32_t *acc, const bool dround) {
  if (q->h[0].keep)
    epilogue16(&q->h[0], x, c, acc, dround);
  if (q->h[1].keep)
    epilogue16(&q->h[1], y, c ? c + 2 * COOPT_QS8_NR : NULL, acc ? acc + 2 * COOPT_QS8_NR : NULL, dround);
}

/* The group prologue: the four panels, their biases less 128 * sum(w) and
 * their requantization, once for all rows. */
typedef struct group4 {
  tile_panels T;
  __m512i bx, by;
  tile_rq Q;
} group4;
_Static_assert(sizeof(group4) <= X86_GEMM_GROUP_STATE, "x86.h group state");

static inline __attribute__((always_inline)) void group4_of(const coopt_blob *b, const void *packed, size_t p,
                                                            size_t real, void *state) {
  group4 *G = state;
  const size_t groups = b->kp / 4;
  panels_from(packed, p, p + real, &G->T);
  G->bx = pair_bias(G->T.P[0].w, G->T.P[1].w, groups, G->T.P[0].bias, G->T.P[1].bias);
  G->by = pair_bias(G->T.P[2].w, G->T.P[3].w, groups, G->T.P[2].bias, G->T.P[3].bias);
  tile_rq_of(b, &G->T, &G->Q);
}

static inline __attribute__((always_inline)) void qs8_gemm_4x32_step(const x86_gemm_step *s, const bool dround) {
  const coopt_blob *b = s->b;
  const group4 *G = s->group;
  const size_t full = b->k / 4, rem = b->k % 4;
  const bool back = full > 0;
  const int8_t *w0 = G->T.P[0].w, *w1 = G->T.P[1].w, *w2 = G->T.P[2].w, *w3 = G->T.P[3].w;
  const int8_t *const *ar = s->ar;
  const __m512i bx = G->bx, by = G->by;
  __m512i x0 = bx, x1 = bx, x2 = bx, x3 = bx, y0 = by, y1 = by, y2 = by, y3 = by;
  for (size_t g = 0; g < full; ++g)
    GROUP_STEP(g, 4);
  if (rem) /* the K tail: packed weights past K are 0 */
    GROUP_STEP(full, rem);
  const __m512i x[4] = {x0, x1, x2, x3}, y[4] = {y0, y1, y2, y3};
  for (size_t r = 0; r < s->mr; ++r)
    store_row(&G->Q, x[r], y[r], x86_gemm_c(s, r, 0), x86_gemm_acc(s, r, 0), dround);
}

static inline __attribute__((always_inline)) void qs8_gemm_4x32c4(const void *packed, size_t m, const int8_t *a,
                                                                  size_t a_stride, int8_t *c, size_t c_stride,
                                                                  int32_t *acc_out, size_t acc_stride,
                                                                  const bool dround) {
  x86_gemm_drive(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride,
                 (x86_gemm_shape){.rows = 4, .np = 4, .tile = qs8_gemm_4x32_step, .group = group4_of}, dround);
}

/* 1 row x 32 channels for M < 4 (GEMV and the classifier), where the 4-row
 * tile's once-per-call 128 * sum(w) pass would cost as much as the product.
 * Here the weights take the unsigned side: vpdpbusd(w + 128, a) =
 * w.a + 128 * sum(a), and sum(a) is one row's, paid once per row.  Two
 * consecutive c4 groups of a panel are 64 contiguous bytes, one zmm load,
 * against the row's matching 8 bytes spread to two halves of 8 lanes
 * (spread_pair); the two halves are added at the end.
 *
 * The activations are spread from the row itself at each step.  A laid-out
 * copy of the row (64 bytes per 8 K values) was read again by every group
 * of panels; at K = 4096 it is 32 KB, as large as L1, and competed there
 * with the weight stream (GEMV 4096 ran at 0.79x XNNPACK). */
static inline __attribute__((always_inline)) __m512i spread_pair(const int8_t *x, size_t q, size_t k, bool whole) {
  int32_t g0, g1;
  if (whole) {
    memcpy(&g0, x + 8 * q, 4), memcpy(&g1, x + 8 * q + 4, 4);
  } else { /* the row's last pair, 1 to 8 bytes: the K tail reads 0 */
    uint64_t v = 0;
    if (k >= 8) /* the row's last 8 bytes, shifted down (coopt_load_group4) */
      memcpy(&v, x + k - 8, 8), v >>= 8 * (8 * q + 8 - k);
    else
      memcpy(&v, x, k);
    g0 = (int32_t)v, g1 = (int32_t)(v >> 32);
  }
  return _mm512_mask_set1_epi32(_mm512_set1_epi32(g0), 0xFF00, g1);
}

/* Group pair q of a panel as unsigned bytes (w + 128); `mask` keeps the
 * first group only where the panel's last group is the pair's first (an
 * odd group count), so the load stays inside the panel. */
static inline __attribute__((always_inline)) __m512i weights_u8(const int8_t *w, size_t q, __mmask64 mask) {
  return _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, w + 64 * q), _mm512_set1_epi8((char)0x80));
}

/* sum(a) of one row: vpdpbusd of all-ones bytes against it, 64 bytes a step. */
static int32_t row_sum(const int8_t *x, size_t k) {
  __m512i s = _mm512_setzero_si512();
  for (size_t i = 0; i < k; i += 64)
    s = _mm512_dpbusd_epi32(s, _mm512_set1_epi8(1), _mm512_maskz_loadu_epi8(coopt_low_bytes_mask(k - i), x + i));
  return _mm512_reduce_add_epi32(s);
}

/* Each of two panels' two group halves added: panel 0 in the low 8 lanes,
 * panel 1 in the high 8. */
static inline __m512i fold_halves(__m512i s0, __m512i s1) {
  return _mm512_add_epi32(_mm512_shuffle_i64x2(s0, s1, _MM_SHUFFLE(1, 0, 1, 0)),
                          _mm512_shuffle_i64x2(s0, s1, _MM_SHUFFLE(3, 2, 3, 2)));
}

/* Two panels' 16 sums (fold_halves), biased and corrected for the unsigned
 * weights, to c or acc_out; n1 = 0 when the second panel is not real. */
static inline __attribute__((always_inline)) void store_pair(const coopt_blob *b, const coopt_qs8_panel *p0,
                                                             const coopt_qs8_panel *p1, size_t n1, __m512i sums,
                                                             int32_t sum_a, int8_t *c, int32_t *acc_out,
                                                             const bool dround) {
  const __m512i acc =
      _mm512_sub_epi32(_mm512_add_epi32(sums, join256(p0->bias, p1->bias)), _mm512_set1_epi32(128 * sum_a));
  const rq16 q = rq16_of(b, p0, p1, p0->ncols, n1);
  epilogue16(&q, acc, c, acc_out, dround);
}

/* The K shape of the 1-row steps: group pairs, and the load mask of the
 * last pair (an odd group count leaves one group of it in the panel). */
typedef struct pair_shape {
  size_t k, pairs;
  __mmask64 last;
} pair_shape;

static inline pair_shape pair_shape_of(const coopt_blob *b) {
  const size_t groups = b->kp / 4;
  return (pair_shape){b->k, (groups + 1) / 2, groups % 2 ? 0xFFFFFFFFull : ~(__mmask64)0};
}

/* Four panels of the row, one accumulator chain each. */
static inline __attribute__((always_inline)) void qs8_gemm_1x32_step(const x86_gemm_step *s, const bool dround) {
  const coopt_blob *b = s->b;
  const int8_t *x = s->ar[0];
  const pair_shape K = pair_shape_of(b);
  const size_t k = K.k, pairs = K.pairs;
  coopt_qs8_panel P[4];
  for (size_t i = 0; i < 4; ++i)
    P[i] = coopt_qs8_panel_of(s->packed, s->p + i);
  __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
  /* Named pointers: GCC 12 keeps P[i].w in memory inside the loop. */
  const int8_t *w0 = P[0].w, *w1 = P[1].w, *w2 = P[2].w, *w3 = P[3].w;
#define PAIR_STEP4(q, mk, whole)                                                                                       \
  do {                                                                                                                 \
    const __m512i xv = spread_pair(x, q, k, whole);                                                                    \
    s0 = _mm512_dpbusd_epi32(s0, weights_u8(w0, q, mk), xv);                                                           \
    s1 = _mm512_dpbusd_epi32(s1, weights_u8(w1, q, mk), xv);                                                           \
    s2 = _mm512_dpbusd_epi32(s2, weights_u8(w2, q, mk), xv);                                                           \
    s3 = _mm512_dpbusd_epi32(s3, weights_u8(w3, q, mk), xv);                                                           \
  } while (0)
  for (size_t q = 0; q + 1 < pairs; ++q)
    PAIR_STEP4(q, ~(__mmask64)0, true);
  PAIR_STEP4(pairs - 1, K.last, false);
#undef PAIR_STEP4
  store_pair(b, &P[0], &P[1], P[1].ncols, fold_halves(s0, s1), s->row_term, x86_gemm_c(s, 0, 0), x86_gemm_acc(s, 0, 0),
             dround);
  store_pair(b, &P[2], &P[3], P[3].ncols, fold_halves(s2, s3), s->row_term, x86_gemm_c(s, 0, 2), x86_gemm_acc(s, 0, 2),
             dround);
}

/* The last one or two panels (the N = 10 classifier is only this): still
 * four chains, by splitting K between even and odd pairs, so that the
 * chains are half as long instead of two of them repeating a panel. */
static inline __attribute__((always_inline)) void qs8_gemm_1x16_step(const x86_gemm_step *s, const bool dround) {
  const coopt_blob *b = s->b;
  const int8_t *x = s->ar[0];
  const pair_shape K = pair_shape_of(b);
  const size_t k = K.k, pairs = K.pairs;
  const bool two = s->real == 2;
  const coopt_qs8_panel P0 = coopt_qs8_panel_of(s->packed, s->p),
                        P1 = coopt_qs8_panel_of(s->packed, two ? s->p + 1 : s->p);
  __m512i s0 = _mm512_setzero_si512(), s1 = s0, t0 = s0, t1 = s0;
#define PAIR_STEP2(u0, u1, q, mk, whole)                                                                               \
  do {                                                                                                                 \
    const __m512i xv = spread_pair(x, q, k, whole);                                                                    \
    u0 = _mm512_dpbusd_epi32(u0, weights_u8(P0.w, q, mk), xv);                                                         \
    u1 = _mm512_dpbusd_epi32(u1, weights_u8(P1.w, q, mk), xv);                                                         \
  } while (0)
  size_t q = 0;
  for (; q + 2 < pairs; q += 2) {
    PAIR_STEP2(s0, s1, q, ~(__mmask64)0, true);
    PAIR_STEP2(t0, t1, q + 1, ~(__mmask64)0, true);
  }
  if (q + 2 == pairs) {
    PAIR_STEP2(s0, s1, q, ~(__mmask64)0, true);
    PAIR_STEP2(t0, t1, q + 1, K.last, false);
  } else {
    PAIR_STEP2(s0, s1, q, K.last, false);
  }
#undef PAIR_STEP2
  store_pair(b, &P0, &P1, two ? P1.ncols : 0, fold_halves(_mm512_add_epi32(s0, t0), _mm512_add_epi32(s1, t1)),
             s->row_term, x86_gemm_c(s, 0, 0), x86_gemm_acc(s, 0, 0), dround);
}

static inline __attribute__((always_inline)) void qs8_gemm_1x32c4(const void *packed, size_t m, const int8_t *a,
                                                                  size_t a_stride, int8_t *c, size_t c_stride,
                                                                  int32_t *acc_out, size_t acc_stride,
                                                                  const bool dround) {
  x86_gemm_drive(
      packed, m, a, a_stride, c, c_stride, acc_out, acc_stride,
      (x86_gemm_shape){
          .rows = 1, .np = 4, .tile = qs8_gemm_1x32_step, .np_tail = 2, .tail = qs8_gemm_1x16_step, .row = row_sum},
      dround);
}

/* Each tile in both roundings (x86.h rescale8). */
void coopt_qs8_gemm_4x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_4x32c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, false);
}

void coopt_qs8_gemm_dround_4x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                              size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_4x32c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, true);
}

void coopt_qs8_gemm_1x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_1x32c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, false);
}

void coopt_qs8_gemm_dround_1x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                              size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  qs8_gemm_1x32c4(packed, m, a, a_stride, c, c_stride, acc_out, acc_stride, true);
}
