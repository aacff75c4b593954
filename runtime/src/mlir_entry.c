/*
 * Entry points for code compiled by MLIR (coopt-lower-kernels): the kernels
 * behind MLIR's C interface, taking memref descriptors.  The packed blob is
 * a constant i8 tensor (a 64-byte aligned global after bufferization), the
 * activations an [M, K] i8 or f32 matrix; the result [M, N] is allocated
 * here with malloc and owned by the caller (MLIR's buffer deallocation frees
 * it).  Descriptor offsets and strides count elements, not bytes.
 */
#include "blob.h"

#include <stdlib.h>

typedef struct coopt_memref1 {
  int8_t *allocated, *aligned;
  int64_t offset, size, stride;
} coopt_memref1;

typedef struct coopt_memref2 {
  int8_t *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} coopt_memref2;

typedef void (*coopt_qs8_kernel)(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                 size_t c_stride);

/* Sizes and strides of a contiguous [m, n] result. */
static void rows_layout(int64_t sizes[2], int64_t strides[2], size_t m, size_t n) {
  sizes[0] = (int64_t)m, sizes[1] = (int64_t)n;
  strides[0] = (int64_t)n, strides[1] = 1;
}

static void call(coopt_qs8_kernel k, coopt_memref2 *ret, const coopt_memref1 *blob, const coopt_memref2 *a) {
  const void *packed = blob->aligned + blob->offset;
  size_t m = (size_t)a->sizes[0], n = coopt_blob_of(packed)->n;
  int8_t *out = malloc(m > 0 && n > 0 ? m * n : 1);
  ret->allocated = ret->aligned = out;
  ret->offset = 0;
  rows_layout(ret->sizes, ret->strides, m, n);
  if (out)
    k(packed, m, a->aligned + a->offset, (size_t)a->strides[0], out, n);
}

void _mlir_ciface_coopt_rt_mlir_qs8_gemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a);
void _mlir_ciface_coopt_rt_mlir_qs8_spgemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a);
void _mlir_ciface_coopt_rt_mlir_qs8_lut4_gemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a);
void _mlir_ciface_coopt_rt_mlir_qs8_splut4_gemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a);
void _mlir_ciface_coopt_rt_mlir_qs8_masked_gemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a);
void _mlir_ciface_coopt_rt_mlir_qs8_bsgemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a);

void _mlir_ciface_coopt_rt_mlir_qs8_gemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a) {
  call(coopt_rt_qs8_gemm, ret, blob, a);
}
void _mlir_ciface_coopt_rt_mlir_qs8_spgemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a) {
  call(coopt_rt_qs8_spgemm, ret, blob, a);
}
void _mlir_ciface_coopt_rt_mlir_qs8_lut4_gemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a) {
  call(coopt_rt_qs8_lut4_gemm, ret, blob, a);
}
void _mlir_ciface_coopt_rt_mlir_qs8_splut4_gemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a) {
  call(coopt_rt_qs8_splut4_gemm, ret, blob, a);
}
void _mlir_ciface_coopt_rt_mlir_qs8_masked_gemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a) {
  call(coopt_rt_qs8_masked_gemm, ret, blob, a);
}
void _mlir_ciface_coopt_rt_mlir_qs8_bsgemm(coopt_memref2 *ret, coopt_memref1 *blob, coopt_memref2 *a) {
  call(coopt_rt_qs8_bsgemm, ret, blob, a);
}

typedef struct coopt_memref4 {
  int8_t *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} coopt_memref4;

/* Depthwise 3x3 on NHWC images [N, H, W, C] (contiguous, as bufferization
 * lays them out); the blob holds one image's shape, the batch is looped. */
void _mlir_ciface_coopt_rt_mlir_qs8_dw3x3(coopt_memref4 *ret, coopt_memref1 *blob, coopt_memref4 *in);

/* Sizes and strides of a contiguous NHWC result [n, h, w, c]. */
static void nhwc_layout(int64_t sizes[4], int64_t strides[4], size_t n, size_t h, size_t w, size_t c) {
  sizes[0] = (int64_t)n, sizes[1] = (int64_t)h, sizes[2] = (int64_t)w, sizes[3] = (int64_t)c;
  strides[3] = 1, strides[2] = (int64_t)c, strides[1] = (int64_t)(w * c), strides[0] = (int64_t)(h * w * c);
}

/* The depthwise result geometry of `batch` images, and the element counts
 * per input and output image. */
static void dw_geometry(const void *packed, size_t batch, int64_t sizes[4], int64_t strides[4], size_t *in_image,
                        size_t *out_image) {
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  size_t oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  *in_image = s.h * s.w * s.c, *out_image = oh * ow * s.c;
  nhwc_layout(sizes, strides, batch, oh, ow, s.c);
}

void _mlir_ciface_coopt_rt_mlir_qs8_dw3x3(coopt_memref4 *ret, coopt_memref1 *blob, coopt_memref4 *in) {
  const void *packed = blob->aligned + blob->offset;
  size_t n = (size_t)in->sizes[0], ii, oi;
  dw_geometry(packed, n, ret->sizes, ret->strides, &ii, &oi);
  int8_t *out = malloc(n > 0 ? n * oi : 1);
  ret->allocated = ret->aligned = out;
  ret->offset = 0;
  for (size_t i = 0; out && i < n; ++i)
    coopt_rt_qs8_dw3x3(packed, in->aligned + in->offset + i * ii, out + i * oi);
}

/* ---- f32 ---- */

typedef struct coopt_memref2f {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} coopt_memref2f;

typedef struct coopt_memref4f {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} coopt_memref4f;

void _mlir_ciface_coopt_rt_mlir_f32_gemm(coopt_memref2f *ret, coopt_memref1 *blob, coopt_memref2f *a);
void _mlir_ciface_coopt_rt_mlir_f32_dw3x3(coopt_memref4f *ret, coopt_memref1 *blob, coopt_memref4f *in);

void _mlir_ciface_coopt_rt_mlir_f32_gemm(coopt_memref2f *ret, coopt_memref1 *blob, coopt_memref2f *a) {
  const void *packed = blob->aligned + blob->offset;
  size_t m = (size_t)a->sizes[0], n = coopt_blob_of(packed)->n;
  float *out = malloc(m > 0 && n > 0 ? m * n * sizeof *out : 1);
  ret->allocated = ret->aligned = out;
  ret->offset = 0;
  rows_layout(ret->sizes, ret->strides, m, n);
  if (out)
    coopt_rt_f32_gemm(packed, m, a->aligned + a->offset, (size_t)a->strides[0], out, n);
}

void _mlir_ciface_coopt_rt_mlir_f32_dw3x3(coopt_memref4f *ret, coopt_memref1 *blob, coopt_memref4f *in) {
  const void *packed = blob->aligned + blob->offset;
  size_t n = (size_t)in->sizes[0], ii, oi;
  dw_geometry(packed, n, ret->sizes, ret->strides, &ii, &oi);
  float *out = malloc(n > 0 ? n * oi * sizeof *out : 1);
  ret->allocated = ret->aligned = out;
  ret->offset = 0;
  for (size_t i = 0; out && i < n; ++i)
    coopt_rt_f32_dw3x3(packed, in->aligned + in->offset + i * ii, out + i * oi);
}

/* ---- k x k convolution: NHWC images [N, H, W, Cin] -> [N, OH, OW, Cout] ---- */

/* The result geometry of `batch` images: sizes and strides of the rank-4
 * result, and the element counts per input and output image. */
static void conv_geometry(const void *packed, size_t batch, int64_t sizes[4], int64_t strides[4], size_t *in_image,
                          size_t *out_image) {
  const coopt_rt_conv_shape s = coopt_conv_shape_of(packed);
  const size_t cout = coopt_blob_of(packed)->n;
  size_t oh = coopt_rt_conv_out_h(&s), ow = coopt_rt_conv_out_w(&s);
  *in_image = s.h * s.w * s.cin, *out_image = oh * ow * cout;
  nhwc_layout(sizes, strides, batch, oh, ow, cout);
}

void _mlir_ciface_coopt_rt_mlir_qs8_conv(coopt_memref4 *ret, coopt_memref1 *blob, coopt_memref4 *in);
void _mlir_ciface_coopt_rt_mlir_f32_conv(coopt_memref4f *ret, coopt_memref1 *blob, coopt_memref4f *in);

void _mlir_ciface_coopt_rt_mlir_qs8_conv(coopt_memref4 *ret, coopt_memref1 *blob, coopt_memref4 *in) {
  const void *packed = blob->aligned + blob->offset;
  size_t n = (size_t)in->sizes[0], ii, oi;
  conv_geometry(packed, n, ret->sizes, ret->strides, &ii, &oi);
  int8_t *out = malloc(n > 0 ? n * oi : 1);
  ret->allocated = ret->aligned = out;
  ret->offset = 0;
  for (size_t i = 0; out && i < n; ++i)
    coopt_rt_qs8_conv(packed, in->aligned + in->offset + i * ii, out + i * oi);
}

void _mlir_ciface_coopt_rt_mlir_f32_conv(coopt_memref4f *ret, coopt_memref1 *blob, coopt_memref4f *in) {
  const void *packed = blob->aligned + blob->offset;
  size_t n = (size_t)in->sizes[0], ii, oi;
  conv_geometry(packed, n, ret->sizes, ret->strides, &ii, &oi);
  float *out = malloc(n > 0 ? n * oi * sizeof *out : 1);
  ret->allocated = ret->aligned = out;
  ret->offset = 0;
  for (size_t i = 0; out && i < n; ++i)
    coopt_rt_f32_conv(packed, in->aligned + in->offset + i * ii, out + i * oi);
}
