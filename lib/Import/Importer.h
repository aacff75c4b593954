/*
 * The ONNX importer's private interface: the state of one import, the
 * value table, and the helpers every op family uses.  See OnnxImport.c for
 * the conventions (NHWC inside, NCHW at the interface, lazily emitted
 * constants, node names as locations) and the op table.
 *
 *   Values.c            the value table, types, SSA references and the
 *                       emission of constants, casts, transposes, reshapes,
 *                       element-wise binaries and clamps
 *   Node.c              the node being translated: attributes and inputs
 *   OpsConvolution.c    Conv, pooling, Gemm, MatMul (and 1-D lifting)
 *   OpsElementwise.c    activations, arithmetic, Softmax, BatchNormalization,
 *                       Identity/Dropout
 *   OpsShape.c          Reshape, Flatten, (Un)Squeeze, Transpose, Concat, Pad,
 *                       Constant
 *   OpsQuantization.c   QuantizeLinear, DequantizeLinear, ConvInteger,
 *                       MatMulInteger, QLinearConv, QLinearMatMul
 *   OnnxImport.c        the op table, the graph walk and cooptImportOnnx
 */
#ifndef COOPT_LIB_IMPORT_IMPORTER_H
#define COOPT_LIB_IMPORT_IMPORTER_H

#include "Data/OnnxTensor.h"
#include "Support/Support.h"
#include "coopt/Import.h"
#include "onnx.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

#define MAXR 8
/* Larger graph inputs (8 GiB of f32) are a corrupt or hostile model, not a
 * workload coopt compiles. */
#define MAX_INPUT_ELEMENTS (INT64_C(1) << 31)

/* Element types are ONNX's TensorProto codes. */
enum {
  ET_F32 = COOPT_ONNX_F32,
  ET_U8 = COOPT_ONNX_U8,
  ET_I8 = COOPT_ONNX_I8,
  ET_I32 = COOPT_ONNX_I32,
  ET_I64 = COOPT_ONNX_I64,
  ET_BOOL = COOPT_ONNX_BOOL
};

typedef struct value {
  char *name;
  int et;
  int rank;
  int64_t dims[MAXR]; /* logical (ONNX) order */
  int id;             /* SSA id (%vN) once emitted, or argument index with is_arg */
  bool is_arg;
  int input_pos;    /* position among the graph inputs, or -1 */
  char logical[32]; /* an SSA ref holding this value in logical order, if one exists */
  void *data;       /* constant contents in logical order, or NULL */
} value;

typedef struct importer {
  coopt_buf body;
  /* Each value is allocated on its own, so that a value * stays valid for
   * the whole import: handlers hold inputs while they add outputs (a
   * contiguous array that grows moved them; fuzz-onnx found the use after
   * free in Flatten). */
  value **vals;
  size_t nvals, cap;
  int next_id;
  int opset;
  int64_t batch;
  const Onnx__NodeProto *node;
  char loc[600];
  char err[1024];
  bool failed;
  int zero_f32, shift0;
  const char *out_override; /* register output 0 under this name (1-D lifting) */
  value *in_override[3];    /* with override_active: the op's inputs 0..2 (NULL = absent) */
  bool override_active;
  bool lifted;         /* a 1-D op is being emitted as 2-D */
  char mul_attrs[160]; /* attribute dictionary for the next tosa.mul, then cleared */
} importer;

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } bin_kind;

typedef struct window {
  int64_t k[2], s[2], d[2], pads[4]; /* pads: top, bottom, left, right (TOSA order) */
  int64_t out[2], crop[2];
} window;

/* One row of the op table (OnnxImport.c): how nodes of one op type are
 * translated from an opset on.  The row with the highest since_opset not
 * above the model's applies.  Before its handler runs, the node's domain,
 * attributes and required inputs are checked here, once for every op. */
typedef struct im_op {
  const char *op_type;
  int since_opset;
  /* The translation; NULL refuses the op with `refusal`. */
  bool (*translate)(importer *im, const struct im_op *op);
  /* The attributes the node may carry (NULL-terminated; anything else is
   * refused rather than ignored); NULL when the handler checks them. */
  const char *const *attributes;
  /* Inputs 0 .. required_inputs - 1 must be given. */
  unsigned required_inputs;
  /* The handler's variant: a bin_kind, an im_pool_kind, or a flag
   * (Dropout, the convolution form of ConvInteger / QLinearConv). */
  int arg;
  const char *tosa_op;
  const char *refusal;
} im_op;

typedef enum { IM_POOL_MAX, IM_POOL_AVG, IM_POOL_GLOBAL_AVG } im_pool_kind;

/* Activation layout: physical (NHWC) dim i is logical (NCHW) dim TO_NHWC[i]. */
extern const int TO_NHWC[4];
extern const int TO_NCHW[4];

/* values and emission (Values.c) */
bool im_fail(importer *im, const char *fmt, ...) COOPT_PRINTF(2, 3);
size_t im_et_size(int et);
const char *im_et_name(int et);
const char *im_et_user_name(int et);
int64_t im_numel(const int64_t *d, int r);
value *im_find(importer *im, const char *name);
value *im_add_value(importer *im, const char *name, int et, int rank, const int64_t *dims);
bool im_fail_not_const(importer *im, const value *v, const char *what);
void *im_copy_data(const value *v);
void im_phys_dims(int rank, const int64_t *logical, int64_t *out);
const char *im_ttype(int et, int rank, const int64_t *pd);
const char *im_vtype(const value *v);
const char *im_ref_id(int id);
const char *im_vref(const value *v);
void im_line(importer *im, const char *fmt, ...) COOPT_PRINTF(2, 3);
void im_set_loc(importer *im, const char *name);
int im_emit_const(importer *im, int et, int rank, const int64_t *pd, const void *data);
int im_zero_f32(importer *im);
int im_shift0(importer *im);
int im_const_shape(importer *im, int n, const int64_t *v);
void *im_permute_data(const void *in, size_t es, int rank, const int64_t *in_dims, const int *perm);
bool im_mat(importer *im, value *v);
int im_emit_cast(importer *im, const char *src, int from, int to, int rank, const int64_t *pd);
int im_emit_reshape(importer *im, const char *src, int et, int in_rank, const int64_t *in_pd, int out_rank,
                    const int64_t *out_pd);
int im_emit_transpose(importer *im, const char *src, int et, int rank, const int64_t *in_pd, const int *perm);
const char *im_logical_ref(importer *im, value *v);
void im_define_from_logical(importer *im, value *out, const char *src);
value *im_temp_const(importer *im, int et, int rank, const int64_t *dims, void *data);
value *im_emit_binary(importer *im, bin_kind k, value *a, value *b, const char *out_name);
value *im_emit_clamp(importer *im, value *x, double lo, double hi, const char *out_name);

/* the node being translated: attributes, inputs and outputs (Node.c) */
bool im_tensor_data(importer *im, const Onnx__TensorProto *t, int *et, int *rank, int64_t *dims, void **data);
int64_t im_attr_i(const Onnx__NodeProto *n, const char *name, int64_t def);
float im_attr_f(const Onnx__NodeProto *n, const char *name, float def);
int im_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max);
const char *im_attr_s(const Onnx__NodeProto *n, const char *name, const char *def);
bool im_check_attrs(importer *im, const char *const *allowed);
value *im_input(importer *im, size_t i);
bool im_has_input(importer *im, size_t i);
value *im_output(importer *im, size_t i, int et, int rank, const int64_t *dims);
bool im_define_output(importer *im, int et, int rank, const int64_t *dims, int id);
bool im_need_f32(importer *im, const value *v);
bool im_const_ints(importer *im, value *v, int64_t *out, int max, int *count);
bool im_const_scalar_f32(importer *im, value *v, float *out);

/* convolution, pooling and matrix products (OpsConvolution.c) */
int im_emit_pad_concat(importer *im, const char *src, int et, int rank, int64_t *pd, const int64_t *pads,
                       float pad_value);
bool im_op_conv(importer *im, const im_op *op);
bool im_define_reshaped(importer *im, value *x, value *o, int rank, const int64_t *dims);
bool im_op_conv_any(importer *im, const im_op *op);
bool im_op_pool(importer *im, const im_op *op);
bool im_op_gemm(importer *im, const im_op *op);
bool im_op_matmul(importer *im, const im_op *op);

/* element-wise ops and normalization (OpsElementwise.c) */
bool im_op_binary(importer *im, const im_op *op);
bool im_op_unary(importer *im, const im_op *op);
bool im_op_relu(importer *im, const im_op *op);
bool im_op_clip(importer *im, const im_op *op);
int64_t *im_ones_dims(int rank);
bool im_op_leaky_relu(importer *im, const im_op *op);
int im_phys_axis(int rank, int logical);
bool im_op_softmax(importer *im, const im_op *op);
bool im_op_identity(importer *im, const im_op *op);
bool im_op_batchnorm(importer *im, const im_op *op);

/* shape and layout ops (OpsShape.c) */
bool im_reshape_to(importer *im, value *x, int rank, const int64_t *dims);
bool im_op_reshape(importer *im, const im_op *op);
bool im_op_flatten(importer *im, const im_op *op);
bool im_op_squeeze(importer *im, const im_op *op);
bool im_op_unsqueeze(importer *im, const im_op *op);
bool im_op_transpose(importer *im, const im_op *op);
bool im_op_concat(importer *im, const im_op *op);
bool im_op_pad(importer *im, const im_op *op);
bool im_op_constant(importer *im, const im_op *op);

/* quantized ops (OpsQuantization.c) */
bool im_op_quantize(importer *im, const im_op *op);
bool im_op_dequantize(importer *im, const im_op *op);
bool im_op_integer(importer *im, const im_op *op);
bool im_op_qlinear(importer *im, const im_op *op);

#endif
