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

static tile_panels panels_from(const void *packed, size_t p, size_t panels) {
  tile_panels t;
  for (size_t i = 0; i < 4; ++i) {
    t.real[i] = p + i < panels;
    t.P[i] = coopt_qs8_panel_of(packed, t.real[i] ? p + i : panels - 1);
  }
  return t;
}

/* The requantization of two adjacent panels (16 channels, avx512.h),
 * prepared once per tile so that each row's epilogue is only the
 * arithmetic: preparing it per row cost as much as the tile's MACs on
 * DS-CNN's K = 64 layers (a quarter of the whole model's time under perf). */
typedef struct rq16 {
  rescale16 r;
  __mmask16 keep;
  const coopt_qs8_panel *p0, *p1;
  size_t n0, n1; /* real channels of each panel (n0 = 0: none in the pair) */
} rq16;

static rq16 rq16_of(const coopt_blob *b, const coopt_qs8_panel *p0, const coopt_qs8_panel *p1, size_t n0, size_t n1) {
  rq16 q;
  q.r = rescale16_of(b, join256(p0->mult, p1->mult), join256(p0->shift, p1->shift));
  q.keep = (__mmask16)(((1u << n0) - 1) | (((1u << n1) - 1) << 8));
  q.p0 = p0, q.p1 = p1, q.n0 = n0, q.n1 = n1;
  return q;
}

/* 16 accumulators to c (requantized; double rounding per panel through the
 * AVX2 epilogue, which keeps it scalar) or acc_out (raw). */
static inline void epilogue16(const coopt_blob *b, const rq16 *q, __m512i acc, int8_t *c, int32_t *acc_out) {
  if (acc_out) {
    _mm512_mask_storeu_epi32(acc_out, q->keep, acc);
  } else if (!b->double_round) {
    _mm_mask_storeu_epi8(c, q->keep, _mm512_cvtepi32_epi8(rescale16_apply(&q->r, acc)));
  } else {
    epilogue8(b, _mm512_castsi512_si256(acc), q->p0->mult, q->p0->shift, c, NULL, q->n0);
    if (q->n1)
      epilogue8(b, _mm512_extracti64x4_epi64(acc, 1), q->p1->mult, q->p1->shift, c + COOPT_QS8_NR, NULL, q->n1);
  }
}

/* The tile's two panel pairs' requantization: x for panels 0-1, y for 2-3. */
typedef struct tile_rq {
  rq16 h[2];
} tile_rq;

static tile_rq tile_rq_of(const coopt_blob *b, const tile_panels *t) {
  tile_rq r;
  for (size_t h = 0; h < 2; ++h) {
    size_t n0 = t->real[2 * h] ? t->P[2 * h].ncols : 0, n1 = t->real[2 * h + 1] ? t->P[2 * h + 1].ncols : 0;
    r.h[h] = rq16_of(b, &t->P[2 * h], &t->P[2 * h + 1], n0, n1);
  }
  return r;
}

/* One row's 32 accumulators. */
static inline void store_row(const coopt_blob *b, const tile_rq *q, __m512i x, __m512i y, int8_t *c, int32_t *acc) {
  if (q->h[0].n0)
    epilogue16(b, &q->h[0], x, c, acc);
  if (q->h[1].n0)
    epilogue16(b, &q->h[1], y, c ? c + 2 * COOPT_QS8_NR : NULL, acc ? acc + 2 * COOPT_QS8_NR : NULL);
}

void coopt_qs8_gemm_4x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t groups = b->kp / 4, full = b->k / 4, rem = b->k % 4;
  const size_t panels = (b->n + COOPT_QS8_NR - 1) / COOPT_QS8_NR;
  const bool back = full > 0;
  for (size_t p = 0; p < panels; p += 4) {
    const tile_panels T = panels_from(packed, p, panels);
    const int8_t *w0 = T.P[0].w, *w1 = T.P[1].w, *w2 = T.P[2].w, *w3 = T.P[3].w;
    const __m512i bx = pair_bias(w0, w1, groups, T.P[0].bias, T.P[1].bias);
    const __m512i by = pair_bias(w2, w3, groups, T.P[2].bias, T.P[3].bias);
    const tile_rq Q = tile_rq_of(b, &T);
    for (size_t r0 = 0; r0 < m; r0 += 4) {
      const size_t mr = m - r0 < 4 ? m - r0 : 4;
      const int8_t *ar[4];
      for (size_t r = 0; r < 4; ++r)
        ar[r] = a + (r0 + (r < mr ? r : mr - 1)) * a_stride;
      __m512i x0 = bx, x1 = bx, x2 = bx, x3 = bx, y0 = by, y1 = by, y2 = by, y3 = by;
      for (size_t g = 0; g < full; ++g)
        GROUP_STEP(g, 4);
      if (rem) /* the K tail: packed weights past K are 0 */
        GROUP_STEP(full, rem);
      const __m512i x[4] = {x0, x1, x2, x3}, y[4] = {y0, y1, y2, y3};
      for (size_t r = 0; r < mr; ++r) {
        size_t row = r0 + r, col = p * COOPT_QS8_NR;
        store_row(b, &Q, x[r], y[r], c ? c + row * c_stride + col : NULL,
                  acc_out ? acc_out + row * acc_stride + col : NULL);
      }
    }
  }
}

/* 1 row x 32 channels for M < 4 (GEMV and the classifier), where the 4-row
 * tile's once-per-call 128 * sum(w) pass would cost as much as the product.
 * Here the weights take the unsigned side: vpdpbusd(w + 128, a) =
 * w.a + 128 * sum(a), and sum(a) is one row's, paid once per row.  Two
 * consecutive c4 groups of a panel are 64 contiguous bytes, one zmm load;
 * the row is first laid out to match (per group pair: the first group's 4
 * bytes in the low 8 lanes, the second's in the high 8), and the two halves
 * are added at the end.  Four panels keep four accumulator chains going. */
static int32_t expand_row(const int8_t *x, size_t k, size_t pairs, int32_t *row) {
  const __m512i spread = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  const size_t whole = k / 8 < pairs ? k / 8 : pairs;
  for (size_t q = 0; q < whole; ++q) /* 8 bytes: two groups */
    _mm512_store_si512(
        row + 16 * q,
        _mm512_permutexvar_epi32(spread, _mm512_castsi128_si512(_mm_loadl_epi64((const __m128i *)(x + 8 * q)))));
  for (size_t q = 2 * whole; q < 2 * pairs; ++q) { /* the K tail reads 0 */
    int32_t v = 0;
    if (4 * q < k)
      memcpy(&v, x + 4 * q, k - 4 * q < 4 ? k - 4 * q : 4);
    _mm256_store_si256((__m256i *)(row + 16 * (q / 2) + 8 * (q % 2)), _mm256_set1_epi32(v));
  }
  /* sum(a): vpdpbusd of all-ones bytes against the row, 64 bytes a step. */
  __m512i s = _mm512_setzero_si512();
  for (size_t i = 0; i < k; i += 64)
    s = _mm512_dpbusd_epi32(s, _mm512_set1_epi8(1), _mm512_maskz_loadu_epi8(coopt_low_bytes_mask(k - i), x + i));
  return _mm512_reduce_add_epi32(s);
}

void coopt_qs8_gemm_1x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc_out, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t groups = b->kp / 4, pairs = (groups + 1) / 2, odd = groups % 2;
  const size_t panels = (b->n + COOPT_QS8_NR - 1) / COOPT_QS8_NR;
  /* The laid-out row: 8 bytes per K value; on the stack up to K = 2048. */
  _Alignas(64) int32_t local[16 * 256];
  int32_t *row = local;
  if (pairs > 256 && posix_memalign((void **)&row, 64, pairs * 64))
    return;
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  /* The last, odd group's pair would read 32 bytes past its panel. */
  const __mmask64 last = odd ? 0xFFFFFFFFull : ~(__mmask64)0;
  for (size_t r = 0; r < m; ++r) {
    const int32_t sum = expand_row(a + r * a_stride, b->k, pairs, row);
    for (size_t p = 0; p < panels; p += 4) {
      const tile_panels T = panels_from(packed, p, panels);
      const int8_t *w[4] = {T.P[0].w, T.P[1].w, T.P[2].w, T.P[3].w};
      __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
      for (size_t q = 0; q < pairs; ++q) {
        const __mmask64 k = q + 1 < pairs ? ~(__mmask64)0 : last;
        const __m512i x = _mm512_load_si512(row + 16 * q);
        s0 = _mm512_dpbusd_epi32(s0, _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, w[0] + 64 * q), flip), x);
        s1 = _mm512_dpbusd_epi32(s1, _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, w[1] + 64 * q), flip), x);
        s2 = _mm512_dpbusd_epi32(s2, _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, w[2] + 64 * q), flip), x);
        s3 = _mm512_dpbusd_epi32(s3, _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, w[3] + 64 * q), flip), x);
      }
      /* Each panel's two group halves added, two panels per register. */
      const __m512i corr = _mm512_set1_epi32(128 * sum);
      const __m512i x = _mm512_add_epi32(_mm512_shuffle_i64x2(s0, s1, _MM_SHUFFLE(1, 0, 1, 0)),
                                         _mm512_shuffle_i64x2(s0, s1, _MM_SHUFFLE(3, 2, 3, 2)));
      const __m512i y = _mm512_add_epi32(_mm512_shuffle_i64x2(s2, s3, _MM_SHUFFLE(1, 0, 1, 0)),
                                         _mm512_shuffle_i64x2(s2, s3, _MM_SHUFFLE(3, 2, 3, 2)));
      const size_t col = p * COOPT_QS8_NR;
      const tile_rq Q = tile_rq_of(b, &T);
      store_row(b, &Q, _mm512_sub_epi32(_mm512_add_epi32(x, join256(T.P[0].bias, T.P[1].bias)), corr),
                _mm512_sub_epi32(_mm512_add_epi32(y, join256(T.P[2].bias, T.P[3].bias)), corr),
                c ? c + r * c_stride + col : NULL, acc_out ? acc_out + r * acc_stride + col : NULL);
    }
  }
  if (row != local)
    free(row);
}
