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

/* Rows [r0, r0 + nr) of the im2col of a single-channel int8 image, one byte a
 * tap: the per-kernel-row libc calls of im2col_row would be three for a few
 * bytes.  A window inside the image is copied a kernel row at a time as one
 * unaligned 8-byte load and store (KW <= 8): the store's tail lands in the
 * next kernel row or the next patch, which are written after it, or in the
 * buffer's slack; the load's tail must stay inside the image.  Windows that
 * touch the padding go tap by tap.  Under perf the tap-by-tap loop for every
 * pixel was 18% of DS-CNN's inference (its 28x28 stem). */
static void im2col_rows_c1(const coopt_rt_conv_shape *s, const char *in, int pad, size_t r0, size_t nr, size_t OW,
                           char *dst) {
  const size_t H = s->h, W = s->w, KH = s->kh, KW = s->kw, K = KH * KW;
  const size_t SH = s->stride_h, SW = s->stride_w, PT = s->pad_top, PL = s->pad_left;
  size_t oy = r0 / OW, ox = r0 % OW;
  for (size_t r = 0; r < nr; ++r, dst += K) {
    const long iy0 = (long)(oy * SH) - (long)PT, ix0 = (long)(ox * SW) - (long)PL;
    if (KW <= 8 && iy0 >= 0 && ix0 >= 0 && (size_t)iy0 + KH <= H && (size_t)ix0 + KW <= W &&
        ((size_t)iy0 + KH - 1) * W + (size_t)ix0 + 8 <= H * W) {
      const char *src = in + (size_t)iy0 * W + (size_t)ix0;
      for (size_t ky = 0; ky < KH; ++ky) {
        uint64_t v;
        memcpy(&v, src + ky * W, 8);
        memcpy(dst + ky * KW, &v, 8);
      }
    } else {
      char *d = dst;
      for (size_t ky = 0; ky < KH; ++ky, d += KW) {
        const long iy = iy0 + (long)ky;
        const bool row = iy >= 0 && iy < (long)H;
        const char *src = in + (row ? (size_t)iy * W : 0);
        for (size_t kx = 0; kx < KW; ++kx) {
          const long ix = ix0 + (long)kx;
          d[kx] = row && ix >= 0 && ix < (long)W ? src[ix] : (char)pad;
        }
      }
    }
    if (++ox == OW) {
      ox = 0;
      ++oy;
    }
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
  /* 8 bytes of slack for im2col_rows_c1's last store. */
  _Alignas(64) char buf[CONV_BUFFER_BYTES + 8];
  for (size_t r0 = 0; r0 < M; r0 += rows) {
    size_t nr = M - r0 < rows ? M - r0 : rows;
    if (s.cin * esize == 1)
      im2col_rows_c1(&s, in, pad, r0, nr, OW, buf);
    else
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
