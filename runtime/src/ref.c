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

void coopt_f32_spmm__ref(const void *packed, size_t m, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const float *pb = V.fbias, *pv = V.values;
  const uint32_t *pn = V.nnz;
  const int32_t *pd = V.deltas;
  for (size_t r = 0; r < m; ++r) {
    const char *row = (const char *)(in + r) + pd[0];
    size_t j = 0;
    for (size_t c = 0; c < b->n; ++c) {
      float s = pb[c];
      for (uint32_t t = 0; t < pn[c]; ++t, ++j) {
        s += pv[j] * *(const float *)row;
        row += pd[j + 1];
      }
      s = s < b->fmin ? b->fmin : s > b->fmax ? b->fmax : s;
      out[c * b->m_stride + r] = s;
    }
  }
}

void coopt_qs8_spgemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const uint32_t *pn = V.nnz;
  const uint8_t *pd = V.delta;
  const int8_t *pv = V.values;
  for (size_t r = 0; r < m; ++r) {
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      int32_t s = pb[ch] + coopt_sparse_blocks_dot(a + r * a_stride, b->k, pd, pv, j, j + pn[ch], 0);
      j += pn[ch];
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
  }
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

void coopt_qs8_lut4_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const int8_t *book = V.codebook;
  const uint8_t *codes = V.values;
  for (size_t r = 0; r < m; ++r)
    for (size_t ch = 0; ch < b->n; ++ch) {
      int32_t s = pb[ch] + coopt_lut4_dot(a + r * a_stride, codes + ch * b->kp / 2, book + 16 * ch, 0, b->k);
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
}

void coopt_qs8_nm24_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const uint8_t *pos = V.nm24_pos;
  const int8_t *val = (const int8_t *)V.values;
  for (size_t r = 0; r < m; ++r)
    for (size_t ch = 0; ch < b->n; ++ch) {
      int32_t s = V.bias[ch];
      for (size_t slot = 0; slot < b->kp / 2; ++slot) {
        size_t i = slot / 8 * COOPT_NM24_WINDOW + coopt_nm24_pos(pos + ch * b->kp / 4, slot);
        if (i < b->k)
          s += (int32_t)a[r * a_stride + i] * val[ch * b->kp / 2 + slot];
      }
      c[r * c_stride + ch] = coopt_requant(s, V.mult[ch], V.shift[ch], b);
    }
}

void coopt_qs8_splut4_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  const int32_t *pb = V.bias, *pm = V.mult, *ps = V.shift;
  const uint32_t *pn = V.nnz;
  const uint8_t *pd = V.delta;
  const int8_t *book = V.codebook;
  const uint8_t *pv = V.values;
  for (size_t r = 0; r < m; ++r) {
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      int32_t s = pb[ch];
      for (size_t t = 0, at = 0; t < pn[ch]; ++t, ++j) {
        at += 4u * pd[j];
        for (size_t u = 0; u < 4 && at + u < b->k; ++u) {
          int idx = (pv[2 * j + u / 2] >> (4 * (u % 2))) & 15;
          s += (int32_t)a[r * a_stride + at + u] * book[16 * ch + idx];
        }
      }
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
  }
}

/* One channel at a time through the generic pixel loop (tiles.h). */
void coopt_qs8_dw3x3__ref(const void *packed, const int8_t *in, int8_t *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 1, coopt_qs8_dw_one, coopt_qs8_dw_one, false);
}

void coopt_f32_dw3x3__ref(const void *packed, const float *in, float *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 1, coopt_f32_dw_one, coopt_f32_dw_one, false);
}
