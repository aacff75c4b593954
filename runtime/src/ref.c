/*
 * Generic C reference kernels: the ground truth every ISA variant is tested
 * against.  Written for clarity over the packed formats (blob.h); integer
 * results are exact, float sums run in K order (build with
 * -ffp-contract=off so no FMA changes the rounding).
 */
#include "blob.h"

#include <string.h>

void coopt_qs8_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                         size_t c_stride, int32_t *acc, size_t acc_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  size_t kp = b->kp;
  for (size_t p = 0; p * COOPT_QS8_NR < b->n; ++p) {
    const char *panel = (const char *)packed + COOPT_BLOB_HEADER + p * coopt_qs8_panel_bytes(kp);
    const int32_t *pb = (const int32_t *)panel, *pm = pb + COOPT_QS8_NR, *ps = pm + COOPT_QS8_NR;
    const int8_t *pw = (const int8_t *)(pb + 3 * COOPT_QS8_NR);
    for (size_t j = 0; j < COOPT_QS8_NR && p * COOPT_QS8_NR + j < b->n; ++j)
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
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_F32_SPMM, b->n, b->kp, b->count);
  const float *pb = COOPT_AT(packed, L.bias, const float *), *pv = COOPT_AT(packed, L.values, const float *);
  const uint32_t *pn = COOPT_AT(packed, L.nnz, const uint32_t *);
  const int32_t *pd = COOPT_AT(packed, L.index, const int32_t *);
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

void coopt_qs8_spgemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                           size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_QS8_SPGEMM, b->n, b->kp, b->count);
  const int32_t *pb = COOPT_AT(packed, L.bias, const int32_t *), *pm = COOPT_AT(packed, L.mult, const int32_t *),
                *ps = COOPT_AT(packed, L.shift, const int32_t *);
  const uint32_t *pn = COOPT_AT(packed, L.nnz, const uint32_t *), *pk = COOPT_AT(packed, L.index, const uint32_t *);
  const int8_t *pv = COOPT_AT(packed, L.values, const int8_t *);
  for (size_t r = 0; r < m; ++r) {
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      int32_t s = pb[ch];
      for (uint32_t t = 0; t < pn[ch]; ++t, ++j)
        for (size_t u = 0; u < 4 && pk[j] + u < b->k; ++u)
          s += (int32_t)a[r * a_stride + pk[j] + u] * pv[4 * j + u];
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
  }
}

void coopt_qs8_lut4_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_QS8_LUT4, b->n, b->kp, 0);
  const int32_t *pb = COOPT_AT(packed, L.bias, const int32_t *), *pm = COOPT_AT(packed, L.mult, const int32_t *),
                *ps = COOPT_AT(packed, L.shift, const int32_t *);
  const int8_t *book = COOPT_AT(packed, L.codebook, const int8_t *);
  const uint8_t *codes = COOPT_AT(packed, L.values, const uint8_t *);
  for (size_t r = 0; r < m; ++r)
    for (size_t ch = 0; ch < b->n; ++ch) {
      int32_t s = pb[ch];
      for (size_t i = 0; i < b->k; ++i) {
        uint8_t byte = codes[ch * b->kp / 2 + i / 2];
        s += (int32_t)a[r * a_stride + i] * book[16 * ch + ((byte >> (4 * (i % 2))) & 15)];
      }
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
}

void coopt_qs8_splut4_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_QS8_SPLUT4, b->n, b->kp, b->count);
  const int32_t *pb = COOPT_AT(packed, L.bias, const int32_t *), *pm = COOPT_AT(packed, L.mult, const int32_t *),
                *ps = COOPT_AT(packed, L.shift, const int32_t *);
  const uint32_t *pn = COOPT_AT(packed, L.nnz, const uint32_t *), *pk = COOPT_AT(packed, L.index, const uint32_t *);
  const int8_t *book = COOPT_AT(packed, L.codebook, const int8_t *);
  const uint8_t *pv = COOPT_AT(packed, L.values, const uint8_t *);
  for (size_t r = 0; r < m; ++r) {
    size_t j = 0;
    for (size_t ch = 0; ch < b->n; ++ch) {
      int32_t s = pb[ch];
      for (uint32_t t = 0; t < pn[ch]; ++t, ++j)
        for (size_t u = 0; u < 4 && pk[j] + u < b->k; ++u) {
          int idx = (pv[2 * j + u / 2] >> (4 * (u % 2))) & 15;
          s += (int32_t)a[r * a_stride + pk[j] + u] * book[16 * ch + idx];
        }
      c[r * c_stride + ch] = coopt_requant(s, pm[ch], ps[ch], b);
    }
  }
}

static void dw_shape(const coopt_blob *b, coopt_rt_dw_shape *s) {
  s->h = b->dw[0], s->w = b->dw[1], s->c = b->dw[2], s->stride = b->dw[3];
  s->pad_top = b->dw[4], s->pad_left = b->dw[5], s->pad_bottom = b->dw[6], s->pad_right = b->dw[7];
}

void coopt_qs8_dw3x3__ref(const void *packed, const int8_t *in, int8_t *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  coopt_rt_dw_shape s;
  dw_shape(b, &s);
  size_t C = s.c, a4 = coopt_align16(4 * C), oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  const int32_t *pb = (const int32_t *)((const char *)packed + COOPT_BLOB_HEADER),
                *pm = (const int32_t *)((const char *)pb + a4), *ps = (const int32_t *)((const char *)pm + a4);
  const int8_t *pw = (const int8_t *)((const char *)ps + a4);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x)
      for (size_t ch = 0; ch < C; ++ch) {
        int32_t acc = pb[ch];
        for (size_t ky = 0; ky < 3; ++ky)
          for (size_t kx = 0; kx < 3; ++kx) {
            ptrdiff_t iy = (ptrdiff_t)(y * s.stride + ky) - (ptrdiff_t)s.pad_top,
                      ix = (ptrdiff_t)(x * s.stride + kx) - (ptrdiff_t)s.pad_left;
            int32_t v = iy < 0 || ix < 0 || iy >= (ptrdiff_t)s.h || ix >= (ptrdiff_t)s.w
                            ? b->a_zero_point
                            : in[((size_t)iy * s.w + (size_t)ix) * C + ch];
            acc += v * pw[(ky * 3 + kx) * C + ch];
          }
        out[(y * ow + x) * C + ch] = coopt_requant(acc, pm[ch], ps[ch], b);
      }
}

void coopt_f32_dw3x3__ref(const void *packed, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  coopt_rt_dw_shape s;
  dw_shape(b, &s);
  size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  const float *pb = (const float *)((const char *)packed + COOPT_BLOB_HEADER),
              *pw = (const float *)((const char *)pb + coopt_align16(4 * C));
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x)
      for (size_t ch = 0; ch < C; ++ch) {
        float acc = pb[ch];
        for (size_t ky = 0; ky < 3; ++ky)
          for (size_t kx = 0; kx < 3; ++kx) {
            ptrdiff_t iy = (ptrdiff_t)(y * s.stride + ky) - (ptrdiff_t)s.pad_top,
                      ix = (ptrdiff_t)(x * s.stride + kx) - (ptrdiff_t)s.pad_left;
            if (iy < 0 || ix < 0 || iy >= (ptrdiff_t)s.h || ix >= (ptrdiff_t)s.w)
              continue;
            acc += in[((size_t)iy * s.w + (size_t)ix) * C + ch] * pw[(ky * 3 + kx) * C + ch];
          }
        out[(y * ow + x) * C + ch] = acc < b->fmin ? b->fmin : acc > b->fmax ? b->fmax : acc;
      }
}
