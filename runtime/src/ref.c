/*
 * Generic C reference kernels: the ground truth every ISA variant is tested
 * against.  Written for clarity over the packed formats (blob.h); integer
 * results are exact, float sums run in K order (build with
 * -ffp-contract=off so no FMA changes the rounding).
 */
#include "tiles.h"

#include <string.h>

void coopt_qs8_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride,
                         int32_t *acc, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_qs8_panel P = coopt_qs8_panel_of(packed, p);
    const int32_t *pb = P.bias, *pm = P.mult, *ps = P.shift;
    const int8_t *pw = P.w;
    for (size_t j = 0; j < P.ncols; ++j)
      for (size_t r = 0; r < m; ++r) {
        int32_t s = pb[j];
        for (size_t i = 0; i < b->k; ++i)
          s += (int32_t)a[r * a_stride + i] *
               pw[(i / COOPT_QS8_KR) * COOPT_QS8_NR * COOPT_QS8_KR + j * COOPT_QS8_KR + i % COOPT_QS8_KR];
        if (acc)
          acc[r * acc_stride + p * COOPT_QS8_NR + j] = s;
        else
          c[r * c_stride + p * COOPT_QS8_NR + j] = coopt_requant(s, pm[j], ps[j], b);
      }
  }
}

void coopt_f32_gemm__ref(const void *packed, size_t m, const float *a, size_t a_stride, float *c, size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  for (size_t p = 0; p * COOPT_F32_NR < b->n; ++p) {
    const float *panel = (const float *)((const char *)packed + COOPT_BLOB_HEADER + p * coopt_f32_panel_bytes(b->k));
    for (size_t j = 0; j < COOPT_F32_NR && p * COOPT_F32_NR + j < b->n; ++j)
      for (size_t r = 0; r < m; ++r) {
        float s = panel[j];
        for (size_t i = 0; i < b->k; ++i)
          s += a[r * a_stride + i] * panel[COOPT_F32_NR * (1 + i) + j];
        s = s < b->fmin ? b->fmin : s > b->fmax ? b->fmax : s;
        c[r * c_stride + p * COOPT_F32_NR + j] = s;
      }
  }
}

/* One pixel, one product and one sum at a time (no FMA: the build's
 * -ffp-contract=off keeps them apart). */
static inline void f32_spmm_1x1(const coopt_blob *b, float bias, uint32_t count, coopt_f32_spmm_walk *W, float *o) {
  float s = bias;
  for (uint32_t t = 0; t < count; ++t) {
    s += *W->value++ * *(const float *)W->row;
    W->row += *W->step++;
  }
  *o = coopt_f32_clamp(b, s);
}

void coopt_f32_spmm__ref(const void *packed, size_t m, const float *in, float *out) {
  coopt_f32_spmm_drive(packed, m, in, out, 1, f32_spmm_1x1, 0, NULL, f32_spmm_1x1);
}

void coopt_qs8_bsgemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const coopt_bs_panel P = coopt_bs_panel_of(packed, p);
    for (size_t j = 0; j < P.ncols; ++j)
      for (size_t r = 0; r < m; ++r) {
        int32_t s = P.bias[j];
        for (size_t q = 0, g = 0; q < P.nb; ++q) {
          g += P.delta[q];
          for (size_t i = 0; i < COOPT_QS8_KR && COOPT_QS8_KR * g + i < b->k; ++i)
            s += (int32_t)a[r * a_stride + COOPT_QS8_KR * g + i] * P.blocks[(q * COOPT_QS8_NR + j) * COOPT_QS8_KR + i];
        }
        c[r * c_stride + p * COOPT_QS8_NR + j] = coopt_requant(s, P.mult[j], P.shift[j], b);
      }
  }
}

/* The per-channel families: one row and one channel at a time through the
 * generic row loop (tiles.h), which adds the bias and requantizes. */
static inline void spgemm_1x1(const coopt_blob *b, const coopt_chan_view *V, coopt_qs8_rows *R, size_t ch, size_t nc,
                              int32_t *sum) {
  (void)nc;
  const coopt_sparse_chan S = coopt_sparse_chan_take(b, V, R, ch);
  sum[0] = coopt_sparse_blocks_dot(S.x, S.k, S.delta, S.values, S.j, S.end, 0);
}

void coopt_qs8_spgemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 1, NULL, spgemm_1x1);
}

static inline void lut4_1x1(const coopt_blob *b, const coopt_chan_view *V, coopt_qs8_rows *R, size_t ch, size_t nc,
                            int32_t *sum) {
  (void)nc;
  sum[0] = coopt_lut4_dot(R->x[0], (const uint8_t *)V->values + ch * b->kp / 2, V->codebook + 16 * ch, 0, b->k);
}

void coopt_qs8_lut4_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 1, NULL, lut4_1x1);
}

static inline void nm24_1x1(const coopt_blob *b, const coopt_chan_view *V, coopt_qs8_rows *R, size_t ch, size_t nc,
                            int32_t *sum) {
  (void)nc;
  const int8_t *val = (const int8_t *)V->values + ch * b->kp / 2;
  const uint8_t *pos = V->nm24_pos + ch * b->kp / 4;
  int32_t s = 0;
  for (size_t slot = 0; slot < b->kp / 2; ++slot) {
    size_t i = slot / 8 * COOPT_NM24_WINDOW + coopt_nm24_pos(pos, slot);
    if (i < b->k)
      s += (int32_t)R->x[0][i] * val[slot];
  }
  sum[0] = s;
}

void coopt_qs8_nm24_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 1, NULL, nm24_1x1);
}

static inline void splut4_1x1(const coopt_blob *b, const coopt_chan_view *V, coopt_qs8_rows *R, size_t ch, size_t nc,
                              int32_t *sum) {
  (void)nc;
  const int8_t *book = V->codebook + 16 * ch;
  const uint8_t *pv = V->values;
  int32_t s = 0;
  const coopt_sparse_chan S = coopt_sparse_chan_take(b, V, R, ch);
  for (size_t j = S.j, at = 0; j < S.end; ++j) {
    at += 4u * V->delta[j];
    for (size_t u = 0; u < 4 && at + u < b->k; ++u)
      s += (int32_t)R->x[0][at + u] * book[(pv[2 * j + u / 2] >> (4 * (u % 2))) & 15];
  }
  sum[0] = s;
}

void coopt_qs8_splut4_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride) {
  coopt_qs8_rows_drive(packed, m, a, a_stride, c, c_stride, 1, 1, NULL, splut4_1x1);
}

/* One channel at a time through the generic pixel loop (tiles.h). */
void coopt_qs8_dw3x3__ref(const void *packed, const int8_t *in, int8_t *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 1, coopt_qs8_dw_one, coopt_qs8_dw_one, false);
}

void coopt_f32_dw3x3__ref(const void *packed, const float *in, float *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 1, coopt_f32_dw_one, coopt_f32_dw_one, false);
}
