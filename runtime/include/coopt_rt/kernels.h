/*
 * coopt runtime microkernels: the matmul-shaped work of a compiled model,
 * with weights packed at compile time.
 *
 * Every layer computes  out = act x W^T  for an activation matrix act [M, K]
 * (rows are pixels or batch items, row-major with a stride) and a constant
 * weight matrix W [N, K] (N output channels, K the reduction axis, the
 * canonical view of lib/Analysis/Weights.h).  The compiler calls a packing
 * function once, embeds the packed bytes as a constant, and the generated
 * code calls the kernel with nothing else: bias, activation zero point,
 * requantization and output clamp all live in the packed blob.
 *
 * Families (packed formats are shared by every ISA variant of a family):
 *   qs8 dense       int8 x int8 -> int32 -> int8 (TOSA rescale per channel)
 *   f32 dense       f32 with bias and min/max clamp
 *   f32 sparse      XNNPACK-style SpMM: activations channel-major [K, M],
 *                   per output channel the nonzero count, values and byte
 *                   deltas to the next input row
 *   qs8 sparse 1x4  nonzero 4-blocks along K (one SDOT lane group per block)
 *   qs8 lut4        4-bit indices into a per-output-channel codebook of <= 16
 *                   int8 values, decoded in registers (TBL / PSHUFB)
 *   qs8 sparse lut4 the 1x4 blocks of the sparse form holding 4-bit indices
 *   qs8 N:M 2:4     2 kept values per 4 along K with 4-bit positions, gathered
 *                   by TBL / PSHUFB
 *   depthwise 3x3   NHWC, int8 (zero-point padding) and f32
 *   conv k x k      NHWC, int8 and f32: im2col blocks + the dense GEMM
 *
 * Kernel names encode op, types, tile and ISA (XNNPACK style): e.g.
 * coopt_qs8_gemm_4x8c4__avx2 is a 4-row x 8-channel tile over K groups of 4.
 * The *__ref kernels are the generic C ground truth the others are tested
 * against; coopt_rt_* entry points dispatch to the best variant the build
 * target has (chosen at build time from the compiler's target features).
 *
 * Packing validates shapes and structure claims and returns an error code
 * with a message; it never crashes on bad input.  Kernels trust their blob.
 */
#ifndef COOPT_RT_KERNELS_H
#define COOPT_RT_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum coopt_rt_status {
  COOPT_RT_OK = 0,
  COOPT_RT_INVALID_ARGUMENT = 1, /* shapes, sizes, alignment, NULL pointers */
  COOPT_RT_INVALID_STRUCTURE = 2 /* the weights do not have the claimed structure */
} coopt_rt_status;

typedef struct coopt_rt_error {
  char message[256];
} coopt_rt_error;

/* Requantization of int32 accumulators to int8, as TOSA RESCALE (scale32)
 * followed by a clamp: out = clamp(apply_scale_32(acc, m, s) + zp). */
typedef struct coopt_rt_requant {
  const int32_t *multiplier; /* N entries, or 1 when !per_channel */
  const int32_t *shift;      /* right shifts in [2, 62] */
  bool per_channel;
  bool double_round;
  int32_t output_zero_point;
  int8_t output_min, output_max;
} coopt_rt_requant;

/* Panel geometry of the packed formats. */
#define COOPT_QS8_NR  8 /* output channels per panel */
#define COOPT_QS8_KR  4 /* K values per channel group (one SDOT) */
#define COOPT_F32_NR  8
#define COOPT_LUT4_KR 16 /* K values decoded by one table lookup */

/* ---- qs8 dense GEMM ---------------------------------------------------- */
/* w: N x K int8 row-major (zero point 0); bias: N int32 or NULL.  The packed
 * panel holds bias - a_zero_point * sum_k w, so the kernel's inner loop is a
 * plain dot product of raw activations. */
size_t coopt_rt_qs8_gemm_packed_size(size_t n, size_t k);
coopt_rt_status coopt_rt_pack_qs8_gemm(size_t n, size_t k, const int8_t *w, const int32_t *bias, int8_t a_zero_point,
                                       const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                       coopt_rt_error *err);
/* c[m, n] for m < M; a_stride / c_stride in elements. */
void coopt_rt_qs8_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride);
/* The int32 accumulators (bias included, before requantization), for tests
 * and for callers that requantize themselves. */
void coopt_rt_qs8_gemm_acc(const void *packed, size_t m, const int8_t *a, size_t a_stride, int32_t *acc,
                           size_t acc_stride);

/* ---- f32 dense GEMM ---------------------------------------------------- */
size_t coopt_rt_f32_gemm_packed_size(size_t n, size_t k);
coopt_rt_status coopt_rt_pack_f32_gemm(size_t n, size_t k, const float *w, const float *bias, float out_min,
                                       float out_max, void *packed, size_t packed_size, coopt_rt_error *err);
void coopt_rt_f32_gemm(const void *packed, size_t m, const float *a, size_t a_stride, float *c, size_t c_stride);

/* ---- f32 sparse (SpMM) ------------------------------------------------- */
/* in: [K, M] channel-major (row k holds M values at stride m_stride);
 * out: [N, M] likewise.  The byte deltas bake in m_stride. */
size_t coopt_rt_f32_spmm_packed_size(size_t n, size_t k, const float *w);
coopt_rt_status coopt_rt_pack_f32_spmm(size_t n, size_t k, const float *w, const float *bias, float out_min,
                                       float out_max, size_t m_stride, void *packed, size_t packed_size,
                                       coopt_rt_error *err);
void coopt_rt_f32_spmm(const void *packed, size_t m, const float *in, float *out);

/* ---- qs8 sparse, 1x4 blocks along K ------------------------------------ */
/* Same interface as the dense GEMM; K is padded to a multiple of 4 and only
 * blocks with a nonzero weight are stored. */
size_t coopt_rt_qs8_spgemm_packed_size(size_t n, size_t k, const int8_t *w);
coopt_rt_status coopt_rt_pack_qs8_spgemm(size_t n, size_t k, const int8_t *w, const int32_t *bias, int8_t a_zero_point,
                                         const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                         coopt_rt_error *err);
void coopt_rt_qs8_spgemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride);

/* ---- qs8 block-sparse, blocks of the dense tile's K groups ------------- */
/* The dense GEMM's interface and results.  Blocks are COOPT_QS8_NR output
 * channels (a panel, from channel 0) by COOPT_QS8_KR K values (from k = 0),
 * exactly what the dense tile multiplies per step, and only blocks with a
 * nonzero weight are stored (with a one-byte index each), so the kernel is
 * the dense tile skipping the zero blocks: coopt-prune{pattern=8x4}'s
 * weights run at the dense tile's cost per kept block, and take 33 / 32 of
 * the dense bytes per kept block. */
size_t coopt_rt_qs8_bsgemm_packed_size(size_t n, size_t k, const int8_t *w);
coopt_rt_status coopt_rt_pack_qs8_bsgemm(size_t n, size_t k, const int8_t *w, const int32_t *bias, int8_t a_zero_point,
                                         const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                         coopt_rt_error *err);
void coopt_rt_qs8_bsgemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride);

/* ---- qs8 lookup-table (4-bit indices) ---------------------------------- */
/* idx: N x K indices (one per byte, < codebook_size); codebook: N x 16 int8
 * (entries >= codebook_size ignored).  Indices are packed two per byte in
 * groups of 16 K values per channel, low nibble = even k. */
size_t coopt_rt_qs8_lut4_gemm_packed_size(size_t n, size_t k);
coopt_rt_status coopt_rt_pack_qs8_lut4_gemm(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook,
                                            size_t codebook_size, const int32_t *bias, int8_t a_zero_point,
                                            const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                            coopt_rt_error *err);
void coopt_rt_qs8_lut4_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride);

/* ---- qs8 sparse + lookup-table ----------------------------------------- */
/* The 1x4 blocks of the sparse form, each holding 4 indices (2 bytes);
 * index values must map zero weights to a codebook entry of 0 or be in
 * all-zero blocks. */
size_t coopt_rt_qs8_splut4_gemm_packed_size(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook);
coopt_rt_status coopt_rt_pack_qs8_splut4_gemm(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook,
                                              size_t codebook_size, const int32_t *bias, int8_t a_zero_point,
                                              const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                              coopt_rt_error *err);
void coopt_rt_qs8_splut4_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride);

/* ---- qs8 N:M 2:4 sparse -------------------------------------------------- */
/* w: [N, K] with at most 2 nonzeros in every group of 4 along K (groups
 * start at k = 0; a K tail is a short group).  Per 16 K the kept 8 values
 * and their 4-bit positions: 0.75x the dense bytes, and half the MACs.  A
 * matrix that is not 2:4 is COOPT_RT_INVALID_STRUCTURE, naming the place. */
size_t coopt_rt_qs8_nm24_gemm_packed_size(size_t n, size_t k);
coopt_rt_status coopt_rt_pack_qs8_nm24_gemm(size_t n, size_t k, const int8_t *w, const int32_t *bias,
                                            int8_t a_zero_point, const coopt_rt_requant *rq, void *packed,
                                            size_t packed_size, coopt_rt_error *err);
void coopt_rt_qs8_nm24_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride);

/* ---- qs8 masked: unstructured sparsity, compact, on the dense tile ------ */
/* The dense GEMM's interface and results; the blob keeps one bit per weight
 * and only the nonzeros (int8, or 4-bit codes into a per-channel codebook of
 * <= 16 entries in the lut4 form: 0.625x / 0.375x the dense weight bytes at
 * 50% zeros).  The kernel decodes panels into the dense layout in a stack
 * buffer of COOPT_RT_MASKED_CHUNK_BYTES and runs the dense tile on them, so
 * K is limited to COOPT_RT_MASKED_MAX_K. */
#define COOPT_RT_MASKED_CHUNK_BYTES 32768
#define COOPT_RT_MASKED_MAX_K       4084
size_t coopt_rt_qs8_masked_gemm_packed_size(size_t n, size_t k, const int8_t *w);
coopt_rt_status coopt_rt_pack_qs8_masked_gemm(size_t n, size_t k, const int8_t *w, const int32_t *bias,
                                              int8_t a_zero_point, const coopt_rt_requant *rq, void *packed,
                                              size_t packed_size, coopt_rt_error *err);
/* idx / codebook as for the lut4 family; a weight whose entry is 0 is a
 * zero of the mask. */
size_t coopt_rt_qs8_masked_lut4_gemm_packed_size(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook);
coopt_rt_status coopt_rt_pack_qs8_masked_lut4_gemm(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook,
                                                   size_t codebook_size, const int32_t *bias, int8_t a_zero_point,
                                                   const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                                   coopt_rt_error *err);
/* Either form (the blob says which). */
void coopt_rt_qs8_masked_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride);

/* ---- depthwise 3x3, NHWC ------------------------------------------------ */
typedef struct coopt_rt_dw_shape {
  size_t h, w, c; /* input height, width, channels */
  size_t stride;  /* 1 or 2 */
  size_t pad_top, pad_left, pad_bottom, pad_right;
} coopt_rt_dw_shape;
size_t coopt_rt_dw_out_h(const coopt_rt_dw_shape *s);
size_t coopt_rt_dw_out_w(const coopt_rt_dw_shape *s);
/* w: [3][3][C] int8, bias: C int32 or NULL.  Padding reads as a_zero_point. */
size_t coopt_rt_qs8_dw3x3_packed_size(size_t c);
coopt_rt_status coopt_rt_pack_qs8_dw3x3(const coopt_rt_dw_shape *s, const int8_t *w, const int32_t *bias,
                                        int8_t a_zero_point, const coopt_rt_requant *rq, void *packed,
                                        size_t packed_size, coopt_rt_error *err);
void coopt_rt_qs8_dw3x3(const void *packed, const int8_t *in, int8_t *out);
size_t coopt_rt_f32_dw3x3_packed_size(size_t c);
coopt_rt_status coopt_rt_pack_f32_dw3x3(const coopt_rt_dw_shape *s, const float *w, const float *bias, float out_min,
                                        float out_max, void *packed, size_t packed_size, coopt_rt_error *err);
void coopt_rt_f32_dw3x3(const void *packed, const float *in, float *out);

/* ---- k x k convolution, NHWC, via im2col + the dense GEMM -------------- */
/* Any kernel size, stride and padding (dilation 1).  The weights are OHWI,
 * i.e. [N][kh][kw][cin], which is the GEMM's [N, K] with K = kh*kw*cin in
 * the order im2col writes a patch.  The kernel expands one image's patches
 * a block of rows at a time into a stack buffer (no allocation) and runs the
 * family's dense GEMM on them; padding reads as the activation zero point
 * (qs8) or 0 (f32), so the folded zero-point term is exact.  K * element
 * size is limited to COOPT_RT_CONV_MAX_PATCH_BYTES. */
#define COOPT_RT_CONV_MAX_PATCH_BYTES 16384
typedef struct coopt_rt_conv_shape {
  size_t h, w, cin; /* input height, width, channels */
  size_t kh, kw;    /* kernel */
  size_t stride_h, stride_w;
  size_t pad_top, pad_left, pad_bottom, pad_right;
} coopt_rt_conv_shape;
size_t coopt_rt_conv_out_h(const coopt_rt_conv_shape *s);
size_t coopt_rt_conv_out_w(const coopt_rt_conv_shape *s);
size_t coopt_rt_qs8_conv_packed_size(const coopt_rt_conv_shape *s, size_t n);
coopt_rt_status coopt_rt_pack_qs8_conv(const coopt_rt_conv_shape *s, size_t n, const int8_t *w, const int32_t *bias,
                                       int8_t a_zero_point, const coopt_rt_requant *rq, void *packed,
                                       size_t packed_size, coopt_rt_error *err);
void coopt_rt_qs8_conv(const void *packed, const int8_t *in, int8_t *out);
size_t coopt_rt_f32_conv_packed_size(const coopt_rt_conv_shape *s, size_t n);
coopt_rt_status coopt_rt_pack_f32_conv(const coopt_rt_conv_shape *s, size_t n, const float *w, const float *bias,
                                       float out_min, float out_max, void *packed, size_t packed_size,
                                       coopt_rt_error *err);
void coopt_rt_f32_conv(const void *packed, const float *in, float *out);

/* Which ISA variants this build selected, e.g. "x86_64 avx2+fma" or
 * "arm_64 neon+dotprod" or "generic". */
const char *coopt_rt_isa(void);

#ifdef __cplusplus
}
#endif

#endif
