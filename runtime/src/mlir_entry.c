/*
 * Entry points for code compiled by MLIR (coopt-lower-kernels): the kernels
 * behind MLIR's C interface, taking memref descriptors.  The packed blob is
 * a constant i8 tensor (a 64-byte aligned global after bufferization), the
 * activations an [M, K] i8 or f32 matrix.  Each kernel has two entries: K
 * allocates the result [M, N] here with malloc, owned by the caller (MLIR's
 * buffer deallocation frees it); K_out writes into a contiguous buffer of
 * the caller (coopt-plan-buffers gives each one a place in the function's
 * arena, so a kernel call allocates nothing).  Descriptor offsets and strides
 * count elements, not bytes.
 */
#include "blob.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct coopt_memref1 {
  int8_t *allocated, *aligned;
  int64_t offset, size, stride;
} coopt_memref1;

typedef struct coopt_memref2 {
  int8_t *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} coopt_memref2;

/* Sizes and strides of a contiguous [m, n] result. */
static void rows_layout(int64_t sizes[2], int64_t strides[2], size_t m, size_t n) {
  sizes[0] = (int64_t)m, sizes[1] = (int64_t)n;
  strides[0] = (int64_t)n, strides[1] = 1;
}

/* The caller's buffer for K_out: it must be the contiguous result shape.
 * coopt-plan-buffers passes the result's own static type, so anything else
 * is a compiler bug; stop rather than leave the output unwritten. */
static void check_out(const char *entry, int rank, const int64_t *sizes, const int64_t *strides, const int64_t *want,
                      const int64_t *want_strides) {
  for (int d = 0; d < rank; ++d)
    if (sizes[d] != want[d] || (want[d] > 1 && strides[d] != want_strides[d])) {
      fprintf(stderr, "coopt runtime: %s: the output buffer is not the kernel's contiguous result\n", entry);
      abort();
    }
}

static const void *packed_of(const coopt_memref1 *blob) { return blob->aligned + blob->offset; }

/* Both entries of a GEMM-shaped kernel K (coopt_rt_K: M rows of the [M, K]
 * activations to M rows of N), element type T, descriptor type MEMREF.  The
 * allocating one describes its malloc'd result and runs K_out on it. */
#define ROWS_ENTRIES(K, T, MEMREF)                                                                                     \
  void _mlir_ciface_coopt_rt_mlir_##K(MEMREF *ret, coopt_memref1 *blob, MEMREF *a);                                    \
  void _mlir_ciface_coopt_rt_mlir_##K##_out(coopt_memref1 *blob, MEMREF *a, MEMREF *out);                              \
  void _mlir_ciface_coopt_rt_mlir_##K##_out(coopt_memref1 *blob, MEMREF *a, MEMREF *out) {                             \
    const void *packed = packed_of(blob);                                                                              \
    size_t m = (size_t)a->sizes[0], n = coopt_blob_of(packed)->n;                                                      \
    int64_t sizes[2], strides[2];                                                                                      \
    rows_layout(sizes, strides, m, n);                                                                                 \
    check_out("coopt_rt_mlir_" #K "_out", 2, out->sizes, out->strides, sizes, strides);                                \
    coopt_rt_##K(packed, m, a->aligned + a->offset, (size_t)a->strides[0], out->aligned + out->offset, n);             \
  }                                                                                                                    \
  void _mlir_ciface_coopt_rt_mlir_##K(MEMREF *ret, coopt_memref1 *blob, MEMREF *a) {                                   \
    size_t m = (size_t)a->sizes[0], n = coopt_blob_of(packed_of(blob))->n;                                             \
    T *out = malloc(m > 0 && n > 0 ? m * n * sizeof(T) : 1);                                                           \
    ret->allocated = ret->aligned = out;                                                                               \
    ret->offset = 0;                                                                                                   \
    rows_layout(ret->sizes, ret->strides, m, n);                                                                       \
    if (out)                                                                                                           \
      _mlir_ciface_coopt_rt_mlir_##K##_out(blob, a, ret);                                                              \
  }

/* Both entries of an image kernel K (coopt_rt_K: one NHWC image to one,
 * looped over the batch), whose result geometry GEOMETRY gives; the
 * allocating one runs K_out on its malloc'd result. */
#define IMAGE_ENTRIES(K, T, MEMREF, GEOMETRY)                                                                          \
  void _mlir_ciface_coopt_rt_mlir_##K(MEMREF *ret, coopt_memref1 *blob, MEMREF *in);                                   \
  void _mlir_ciface_coopt_rt_mlir_##K##_out(coopt_memref1 *blob, MEMREF *in, MEMREF *out);                             \
  void _mlir_ciface_coopt_rt_mlir_##K##_out(coopt_memref1 *blob, MEMREF *in, MEMREF *out) {                            \
    const void *packed = packed_of(blob);                                                                              \
    size_t n = (size_t)in->sizes[0], ii, oi;                                                                           \
    int64_t sizes[4], strides[4];                                                                                      \
    GEOMETRY(packed, n, sizes, strides, &ii, &oi);                                                                     \
    check_out("coopt_rt_mlir_" #K "_out", 4, out->sizes, out->strides, sizes, strides);                                \
    T *o = out->aligned + out->offset;                                                                                 \
    for (size_t i = 0; i < n; ++i)                                                                                     \
      coopt_rt_##K(packed, in->aligned + in->offset + i * ii, o + i * oi);                                             \
  }                                                                                                                    \
  void _mlir_ciface_coopt_rt_mlir_##K(MEMREF *ret, coopt_memref1 *blob, MEMREF *in) {                                  \
    size_t n = (size_t)in->sizes[0], ii, oi;                                                                           \
    GEOMETRY(packed_of(blob), n, ret->sizes, ret->strides, &ii, &oi);                                                  \
    T *out = malloc(n > 0 ? n * oi * sizeof(T) : 1);                                                                   \
    ret->allocated = ret->aligned = out;                                                                               \
    ret->offset = 0;                                                                                                   \
    if (out)                                                                                                           \
      _mlir_ciface_coopt_rt_mlir_##K##_out(blob, in, ret);                                                             \
  }

ROWS_ENTRIES(qs8_gemm, int8_t, coopt_memref2)
ROWS_ENTRIES(qs8_spgemm, int8_t, coopt_memref2)
ROWS_ENTRIES(qs8_lut4_gemm, int8_t, coopt_memref2)
ROWS_ENTRIES(qs8_splut4_gemm, int8_t, coopt_memref2)
ROWS_ENTRIES(qs8_masked_gemm, int8_t, coopt_memref2)
ROWS_ENTRIES(qs8_bsgemm, int8_t, coopt_memref2)

typedef struct coopt_memref4 {
  int8_t *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} coopt_memref4;

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

/* Depthwise 3x3 on NHWC images [N, H, W, C] (contiguous, as bufferization
 * lays them out); the blob holds one image's shape, the batch is looped. */
IMAGE_ENTRIES(qs8_dw3x3, int8_t, coopt_memref4, dw_geometry)

/* ---- f32 ---- */

typedef struct coopt_memref2f {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} coopt_memref2f;

typedef struct coopt_memref4f {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} coopt_memref4f;

ROWS_ENTRIES(f32_gemm, float, coopt_memref2f)
IMAGE_ENTRIES(f32_dw3x3, float, coopt_memref4f, dw_geometry)

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

IMAGE_ENTRIES(qs8_conv, int8_t, coopt_memref4, conv_geometry)
IMAGE_ENTRIES(f32_conv, float, coopt_memref4f, conv_geometry)
