/*
 * Weight discovery: the constant weight operands of TOSA's weight-bearing
 * ops, and a canonical view of each.
 *
 * Every pass that looks at or rewrites weights (stats, prune, cluster,
 * fake-quant, verify-structure, kernel lowering) goes through this file, so
 * they all agree on which tensors are weights and how they are laid out.
 *
 * Canonical view: a weight is seen as rows x spatial x inner, where a row is
 * one output channel and `inner` is the reduction axis the dot-product
 * kernels walk (input channels), innermost.  Index c = (r*spatial + s)*inner + i
 *   conv2d / transpose_conv2d  [OC,KH,KW,IC] -> rows OC, spatial KH*KW, inner IC
 *   depthwise_conv2d           [KH,KW,C,M]   -> rows C*M, spatial KH*KW, inner 1
 *   matmul B                   [N,C,W]       -> rows N*W, spatial 1,     inner C
 * The constant itself may sit behind tosa.reshape / tosa.transpose ops; the
 * view maps canonical indices back to the constant's own storage order.
 */
#ifndef COOPT_LIB_WEIGHTS_H
#define COOPT_LIB_WEIGHTS_H

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum coopt_weight_op {
  COOPT_WOP_CONV2D = 0,
  COOPT_WOP_DEPTHWISE_CONV2D,
  COOPT_WOP_TRANSPOSE_CONV2D,
  COOPT_WOP_MATMUL,
  COOPT_WOP_COUNT
} coopt_weight_op;

#define COOPT_WOP_MASK(k) (1u << (k))
#define COOPT_WOP_ALL     ((1u << COOPT_WOP_COUNT) - 1)

/* "conv2d", "depthwise_conv2d", ... (the names used in `ops=` options). */
extern const char *const coopt_weight_op_names[COOPT_WOP_COUNT + 1];

typedef enum coopt_elem_kind {
  COOPT_ELEM_F32,
  COOPT_ELEM_F64,
  COOPT_ELEM_F16,
  COOPT_ELEM_BF16,
  COOPT_ELEM_I8,
  COOPT_ELEM_I16,
  COOPT_ELEM_I32
} coopt_elem_kind;

typedef struct coopt_weight {
  MlirOperation user; /* first weight-bearing op that uses it */
  coopt_weight_op op;
  unsigned num_users;
  MlirOperation constant; /* the tosa.const */
  MlirType type;          /* the constant's tensor type */
  coopt_elem_kind elem;
  int rank;
  int64_t shape[8]; /* the constant's shape */
  int64_t num_elements;
  int64_t rows, spatial, inner;
  int64_t *index_map; /* canonical -> constant linear index; NULL = identity */
} coopt_weight;

typedef struct coopt_weight_set {
  coopt_weight *items;
  size_t count;
} coopt_weight_set;

/* The largest weight coopt loads (1 GiB of f32).  A type may claim far more
 * (a splat constant stores one value); such a weight is an error, never a
 * giant allocation. */
#define COOPT_MAX_WEIGHT_ELEMENTS (INT64_C(1) << 28)

/* Collect the weights of ops in `op_mask` under root, in program order,
 * each constant once.  Weight operands that are not constants are skipped;
 * with `remark_skipped` each gets a remark saying why.  Returns false, with
 * a located error per weight, when a weight is larger than
 * COOPT_MAX_WEIGHT_ELEMENTS; the set is filled (and must be freed) either way. */
bool cooptCollectWeights(MlirOperation root, unsigned op_mask, bool remark_skipped, coopt_weight_set *out);
void cooptWeightSetFree(coopt_weight_set *set);

/* The constant's `values` attribute. */
MlirAttribute cooptWeightValues(const coopt_weight *w);

/* Load values in canonical order into a new float array (caller frees).
 * Integer weights load exactly (|v| < 2^24). */
float *cooptWeightLoad(const coopt_weight *w);

/* The same for another attribute of the constant's type (its reference). */
float *cooptWeightLoadAttr(const coopt_weight *w, MlirAttribute values);

/* Store canonical-order values back into the constant (same element type;
 * integer types round to nearest and saturate). */
void cooptWeightStore(const coopt_weight *w, const float *values);

/* Reference values: what a constant held before compression changed it,
 * as the discardable attribute coopt.reference (same type as `values`).
 * coopt-prune and coopt-cluster keep it the first time they rewrite a
 * constant, coopt-recover reads it as the float model to reproduce (and
 * keeps it for the biases it refits), coopt-fake-quant drops it.
 * cooptReferenceValues returns `values` when there is none. */
MlirAttribute cooptReferenceValues(MlirOperation constant);
bool cooptHasReference(MlirOperation constant);
void cooptKeepReference(MlirOperation constant);
void cooptDropReferences(MlirOperation root);

/* The bias constant of a weight's user: operand 2 of a convolution, or the
 * constant added after a matmul's reshapes (the ONNX Gemm form); null when
 * there is none. */
MlirOperation cooptBiasOf(MlirOperation user);

/* A short name for diagnostics: the user op's location, or its name. */
void cooptWeightDescribe(const coopt_weight *w, char *buf, size_t size);

/* "8x3x3x4" */
void cooptFormatShape(const int64_t *shape, int rank, char *buf, size_t size);

#endif
