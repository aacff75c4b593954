/*
 * k x k convolution on the dense GEMM: im2col one block of output pixels at a
 * time into a stack buffer, then the family's GEMM on the block.  Generic C
 * (memcpy/memset); the arithmetic is the GEMM's, ISA-specific where that is.
 * The buffer lives on the stack so the kernel never allocates: 64 KiB, which
 * holds at least 4 rows of the largest patch packing accepts (16 KiB), so
 * the GEMM always gets row tiles.
 */
#include "blob.h"

#include <stdbool.h>
#include <string.h>

#define CONV_BUFFER_BYTES (4 * COOPT_RT_CONV_MAX_PATCH_BYTES)

/* One output pixel's patch: per kernel row, the in-bounds input span is one
 * memcpy; the columns left and right of it read as `pad`. */
static void im2col_row(const coopt_rt_conv_shape *s, const char *in, size_t esize, int pad, size_t oy, size_t ox,
                       char *dst) {
  const size_t H = s->h, W = s->w, C = s->cin, KH = s->kh, KW = s->kw;
  const size_t SH = s->stride_h, SW = s->stride_w, PT = s->pad_top, PL = s->pad_left;
  const size_t pix = C * esize;
  long ix0 = (long)(ox * SW) - (long)PL;
  if (pix == 1) {
    /* One byte a tap (an int8 single-channel stem): the libc calls below
     * would be three per kernel row for a few bytes, which made the stem's
     * im2col take as long as the whole of a DS-CNN pointwise layer. */
    for (size_t ky = 0; ky < KH; ++ky, dst += KW) {
      long iy = (long)(oy * SH + ky) - (long)PT;
      bool row = iy >= 0 && iy < (long)H;
      const char *src = in + (row ? (size_t)iy * W : 0);
      for (size_t kx = 0; kx < KW; ++kx) {
        long ix = ix0 + (long)kx;
        dst[kx] = row && ix >= 0 && ix < (long)W ? src[ix] : (char)pad;
      }
    }
    return;
  }
  size_t lo = ix0 < 0 ? (size_t)-ix0 : 0;
  size_t hi = ix0 + (long)KW > (long)W ? (size_t)((long)W - ix0) : KW;
  for (size_t ky = 0; ky < KH; ++ky, dst += KW * pix) {
    long iy = (long)(oy * SH + ky) - (long)PT;
    if (iy < 0 || iy >= (long)H || lo >= hi) {
      memset(dst, pad, KW * pix);
      continue;
    }
    memset(dst, pad, lo * pix);
    memcpy(dst + lo * pix, in + ((size_t)iy * W + (size_t)(ix0 + (long)lo)) * pix, (hi - lo) * pix);
    memset(dst + hi * pix, pad, (KW - hi) * pix);
  }
}

static void conv_image(const void *packed, const char *in, char *out, size_t esize) {
  const coopt_blob *b = coopt_blob_of(packed);
  const void *gemm = (const char *)packed + COOPT_BLOB_HEADER;
  const coopt_rt_conv_shape s = coopt_conv_shape_of(packed);
  const size_t OH = coopt_rt_conv_out_h(&s), OW = coopt_rt_conv_out_w(&s), M = OH * OW, N = b->n, K = b->k;
  const size_t patch = K * esize, rows = CONV_BUFFER_BYTES / patch;
  /* Padding must contribute exactly what the folded zero-point term
   * assumes: the activation zero point for int8 (one byte), 0.0f for f32. */
  const int pad = esize == 1 ? (int)(uint8_t)(int8_t)b->a_zero_point : 0;
  _Alignas(64) char buf[CONV_BUFFER_BYTES];
  for (size_t r0 = 0; r0 < M; r0 += rows) {
    size_t nr = M - r0 < rows ? M - r0 : rows;
    for (size_t r = 0; r < nr; ++r)
      im2col_row(&s, in, esize, pad, (r0 + r) / OW, (r0 + r) % OW, buf + r * patch);
    if (esize == 1)
      coopt_rt_qs8_gemm(gemm, nr, (const int8_t *)buf, K, (int8_t *)out + r0 * N, N);
    else
      coopt_rt_f32_gemm(gemm, nr, (const float *)buf, K, (float *)out + r0 * N, N);
  }
}

void coopt_rt_qs8_conv(const void *packed, const int8_t *in, int8_t *out) {
  conv_image(packed, (const char *)in, (char *)out, 1);
}

void coopt_rt_f32_conv(const void *packed, const float *in, float *out) {
  conv_image(packed, (const char *)in, (char *)out, 4);
}
