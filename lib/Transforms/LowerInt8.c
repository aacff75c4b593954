/*
 * coopt-lower-int8: rewrite a fake-quantized float graph into integer TOSA.
 *
 * Every fake-quant chain (coopt-fake-quant) already contains the int8 value
 * it models: the result of its cast to i8.  Lowering an op means computing
 * that i8 value with integer ops from the i8 values of its inputs, then
 * replacing the chain's cast with it:
 *   conv2d / depthwise_conv2d / matmul   i8 x i8 -> i32 with the input zero
 *       point, int32 bias (conv operand, or the i32 add after a matmul),
 *       tosa.rescale to the output's scale with one multiplier/shift per
 *       output channel (TFLite's QuantizeMultiplier: Q31 multiplier in
 *       [2^30, 2^31), right shift), and any fused clamp (ReLU/ReLU6) as an
 *       i8 clamp of the output codes;
 *   avg_pool2d                           i8 in and out (equal parameters);
 *   add / sub of two activations         TFLite's rescale to a common i32 grid,
 *                                        add, rescale to the output;
 *   reshape / transpose / max_pool2d     on i8 as they are.
 * What is not lowered keeps reading the chain's dequantize half and feeding
 * the next chain's quantize half: a float island, reported as a remark.
 * Dead float ops are erased at the end.
 *
 * coopt-fake-quant{exact} graphs lower to the same int8 graph as textbook
 * ones: their emulation ops (coopt.exact) are looked through, and constants
 * that hold codes (coopt.quant codes = true) are read as they are.
 *
 * Rounding: rescale rounds as TOSA's apply_scale_32.  SINGLE_ROUND (default)
 * rounds once, half up: exactly what coopt-fake-quant{exact} emulates, so
 * the int8 graph equals that graph; a textbook fake-quant graph differs only
 * where its own f32 rounding crosses a .5 boundary.  DOUBLE_ROUND is
 * TFLite's MultiplyByQuantizedMultiplier bit for bit; its first rounding
 * moves about 0.05% of DS-CNN's first-layer outputs by one code, and deep
 * models amplify that.  See runtime/include/coopt_rt/quant.h.
 */
#include "Analysis/Quant.h"
#include "Analysis/Structure.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"
#include "coopt_rt/quant.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct lower_int8_options {
  int interface;
  int rounding;
  bool strict;
} lower_int8_options;

static const char *const interface_values[] = {"float", "int8", NULL};
static const char *const rounding_values[] = {"single", "double", NULL};
enum { INTERFACE_FLOAT, INTERFACE_INT8 };
enum { ROUNDING_SINGLE, ROUNDING_DOUBLE };

static const coopt_option_info lower_int8_option_table[] = {
    {"interface",
     COOPT_OPT_ENUM,
     "float: quantize at entry and dequantize at exit; int8: i8 arguments and results",
     "float",
     {0},
     interface_values,
     offsetof(lower_int8_options, interface)},
    {"rounding",
     COOPT_OPT_ENUM,
     "tosa.rescale rounding: single (round once, closest to the fake-quant graph) or double (TFLite bit-exact; needs "
     "the TOSA doubleround extension)",
     "single",
     {0},
     rounding_values,
     offsetof(lower_int8_options, rounding)},
    {"strict",
     COOPT_OPT_BOOL,
     "an op that stays float is an error instead of a remark",
     "false",
     {0},
     NULL,
     offsetof(lower_int8_options, strict)},
};

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

enum { COOPT_MAX_ARGS_RES = 64 };

typedef struct lowering {
  const lower_int8_options *o;
  MlirOperation func;
  MlirContext ctx;
  coopt_fq_chain *fq;
  size_t nfq;
  /* float value -> i8 value, for layout ops lowered on demand */
  MlirValue *from, *to;
  double *map_scale;
  int64_t *map_zp;
  size_t nmap, capmap;
  bool failed;
} lowering;

static int fq_by_output(const lowering *L, MlirValue v) {
  for (size_t i = 0; i < L->nfq; ++i)
    if (mlirValueEqual(cooptResult(L->fq[i].mul_dq), v))
      return (int)i;
  return -1;
}

static int fq_by_input_user(const lowering *L, MlirOperation user) {
  for (size_t i = 0; i < L->nfq; ++i)
    if (!mlirOperationIsNull(L->fq[i].mul_q) && mlirOperationEqual(L->fq[i].mul_q, user))
      return (int)i;
  return -1;
}

static void map_add(lowering *L, MlirValue f, MlirValue q, double s, int64_t zp) {
  if (L->nmap == L->capmap) {
    L->capmap = L->capmap ? 2 * L->capmap : 32;
    L->from = coopt_xrealloc(L->from, L->capmap * sizeof *L->from);
    L->to = coopt_xrealloc(L->to, L->capmap * sizeof *L->to);
    L->map_scale = coopt_xrealloc(L->map_scale, L->capmap * sizeof *L->map_scale);
    L->map_zp = coopt_xrealloc(L->map_zp, L->capmap * sizeof *L->map_zp);
  }
  L->from[L->nmap] = f, L->to[L->nmap] = q, L->map_scale[L->nmap] = s, L->map_zp[L->nmap] = zp;
  L->nmap++;
}

static MlirType i8_like(lowering *L, MlirType t) { return cooptTensorTypeLike(t, mlirIntegerTypeGet(L->ctx, 8)); }
static MlirType i32_like(lowering *L, MlirType t) { return cooptTensorTypeLike(t, mlirIntegerTypeGet(L->ctx, 32)); }

/* Copy op's attributes (inherent and discardable) but a calibrated range,
 * which describes the float result, not the integer one. */
static size_t copy_attrs(MlirOperation op, MlirNamedAttribute *out, size_t max) {
  intptr_t n = mlirOperationGetNumAttributes(op);
  size_t k = 0;
  for (intptr_t i = 0; i < n && k < max; ++i) {
    MlirNamedAttribute a = mlirOperationGetAttribute(op, i);
    if (!coopt_str_eq(mlirIdentifierStr(a.name).data, mlirIdentifierStr(a.name).length, "coopt.range"))
      out[k++] = a;
  }
  return k;
}

/* The i8 version of float value v, with its parameters. */
static bool get_i8(lowering *L, MlirValue v, MlirValue *q, double *s, int64_t *zp) {
  /* coopt-fake-quant{exact} reads codes through a recovery from the
   * dequantized value: the i8 value is that of the dequantized value. */
  v = cooptPeelExactEmulation(v);
  int f = fq_by_output(L, v);
  if (f >= 0) {
    *q = L->fq[f].q, *s = L->fq[f].scale, *zp = L->fq[f].zero_point;
    return true;
  }
  for (size_t i = 0; i < L->nmap; ++i)
    if (mlirValueEqual(L->from[i], v)) {
      *q = L->to[i], *s = L->map_scale[i], *zp = L->map_zp[i];
      return true;
    }
  MlirOperation d = cooptDefiningOp(v);
  if (!cooptIsLayoutOp(d))
    return false;
  MlirValue inner;
  if (!get_i8(L, mlirOperationGetOperand(d, 0), &inner, s, zp))
    return false;
  /* max_pool2d on int8 has no zero-point operands; reshape/transpose/slice/
   * tile carry theirs as extra operands, which stay as they are. */
  coopt_builder b = cooptBuilderBefore(d);
  intptr_t n = mlirOperationGetNumOperands(d);
  MlirValue ops[8];
  for (intptr_t i = 0; i < n && i < 8; ++i)
    ops[i] = i ? mlirOperationGetOperand(d, i) : inner;
  MlirNamedAttribute attrs[16];
  size_t na = copy_attrs(d, attrs, 16);
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(d));
  char nbuf[64];
  snprintf(nbuf, sizeof nbuf, "%.*s", (int)name.length, name.data);
  MlirOperation nd = cooptBuildOp(&b, nbuf, n, ops, i8_like(L, mlirValueGetType(v)), (intptr_t)na, attrs);
  *q = cooptResult(nd);
  map_add(L, v, *q, *s, *zp);
  return true;
}

/* Row (output channel) of element idx of a weight constant in its own layout. */
static int64_t weight_row(MlirOperation anchor, MlirType t, int64_t idx) {
  int64_t d[4] = {1, 1, 1, 1};
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t) && i < 4; ++i)
    d[i] = mlirShapedTypeGetDimSize(t, i);
  if (cooptOpIs(anchor, "tosa.conv2d"))
    return idx / (d[1] * d[2] * d[3]);
  if (cooptOpIs(anchor, "tosa.depthwise_conv2d"))
    return idx % (d[2] * d[3]);
  /* matmul B [N, C, W]: row n*W + w */
  return (idx / (d[1] * d[2])) * d[2] + idx % d[2];
}

static int64_t num_elements(MlirType t) {
  int64_t n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); ++i)
    n *= mlirShapedTypeGetDimSize(t, i);
  return n;
}

static bool fail(lowering *L, MlirOperation at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(lowering *L, MlirOperation at, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cooptEmitError(mlirOperationGetLocation(at), "%s", msg);
  L->failed = true;
  return false;
}

/* The lowered value `res` (i8 on F's grid) replaces F's quantize half.  A
 * fused clamp [lo, hi] becomes a clamp of the output codes (quantization is
 * monotonic, so clamp-then-quantize = quantize-then-clamp); it disappears
 * when the grid already implies it (ReLU with lo = 0). */
static bool finish_output(lowering *L, coopt_builder *b, coopt_fq_chain *F, MlirValue res, double lo, double hi) {
  MlirType out_t = mlirValueGetType(F->q);
  double qlo = -128, qhi = 127;
  if (isfinite(lo))
    qlo = fmax(qlo, (double)F->zero_point + nearbyint(lo / F->scale));
  if (isfinite(hi))
    qhi = fmin(qhi, (double)F->zero_point + nearbyint(hi / F->scale));
  if (qlo > -128 || qhi < 127) {
    char a1[64], a2[64];
    snprintf(a1, sizeof a1, "%d : i8", (int)qlo);
    snprintf(a2, sizeof a2, "%d : i8", (int)(qhi < qlo ? qlo : qhi));
    MlirNamedAttribute ca[2] = {cooptNamedAttr(L->ctx, "min_val", cooptAttr(L->ctx, a1)),
                                cooptNamedAttr(L->ctx, "max_val", cooptAttr(L->ctx, a2))};
    res = cooptResult(cooptBuildOp(b, "tosa.clamp", 1, &res, out_t, 2, ca));
  }
  mlirValueReplaceAllUsesOfWith(F->q, res);
  F->q = res;
  return true;
}

/* One tosa.rescale with n real multipliers: one per channel of the last
 * axis, or n = 1 for the whole tensor.  A multiplier tosa.rescale cannot
 * represent is an error at `at`, naming the channel when `name_channel`. */
static bool build_rescale(lowering *L, coopt_builder *b, MlirOperation at, const char *what, MlirValue in,
                          const double *reals, int64_t n, bool name_channel, int32_t in_zp, bool in_i8, int32_t out_zp,
                          MlirType out_t, MlirValue *out) {
  int32_t *mult = coopt_xmalloc((size_t)n * sizeof *mult);
  int8_t *shift = coopt_xmalloc((size_t)n);
  for (int64_t c = 0; c < n; ++c) {
    int32_t m, sh;
    if (!coopt_quantize_multiplier(reals[c], &m, &sh)) {
      char channel[48] = "";
      if (name_channel)
        snprintf(channel, sizeof channel, " (channel %lld)", (long long)c);
      free(mult), free(shift);
      return fail(L, at,
                  "coopt-lower-int8: %s: requantization multiplier %g%s is outside what tosa.rescale can represent",
                  what, reals[c], channel);
    }
    mult[c] = m, shift[c] = (int8_t)sh;
  }
  MlirValue mv = cooptConstI32(b, 1, &n, mult), sv = cooptConstI8(b, 1, &n, shift);
  free(mult), free(shift);
  MlirNamedAttribute ra[5] = {
      cooptNamedAttr(L->ctx, "scale32", mlirBoolAttrGet(L->ctx, 1)),
      cooptNamedAttr(L->ctx, "rounding_mode",
                     cooptAttr(L->ctx, L->o->rounding == ROUNDING_DOUBLE ? "#tosa.rounding_mode<DOUBLE_ROUND>"
                                                                         : "#tosa.rounding_mode<SINGLE_ROUND>")),
      cooptNamedAttr(L->ctx, "per_channel", mlirBoolAttrGet(L->ctx, n != 1)),
      cooptNamedAttr(L->ctx, "input_unsigned", mlirBoolAttrGet(L->ctx, 0)),
      cooptNamedAttr(L->ctx, "output_unsigned", mlirBoolAttrGet(L->ctx, 0)),
  };
  MlirValue ops[5] = {in, mv, sv, in_i8 ? cooptZeroPointI8(b, (int8_t)in_zp) : cooptZeroPointI32(b, in_zp),
                      mlirIntegerTypeGetWidth(mlirShapedTypeGetElementType(out_t)) == 8
                          ? cooptZeroPointI8(b, (int8_t)out_zp)
                          : cooptZeroPointI32(b, out_zp)};
  *out = cooptResult(cooptBuildOp(b, "tosa.rescale", 5, ops, out_t, 5, ra));
  return true;
}

/* Element-wise add / sub of two quantized activations, as TFLite does it:
 * both inputs rescaled to a common i32 grid (cooptEltwiseReals), added in
 * i32, and rescaled to the output. */
static bool lower_eltwise(lowering *L, MlirOperation op) {
  char what[512];
  cooptDescribeOp(op, what, sizeof what);
  MlirValue qa, qb;
  double sa, sb;
  int64_t za, zb;
  if (!get_i8(L, mlirOperationGetOperand(op, 0), &qa, &sa, &za) ||
      !get_i8(L, mlirOperationGetOperand(op, 1), &qb, &sb, &zb))
    return false;
  /* Broadcasting operands would need a reshape of the i32 values first. */
  if (!mlirTypeEqual(mlirValueGetType(mlirOperationGetOperand(op, 0)), mlirValueGetType(cooptResult(op))) ||
      !mlirTypeEqual(mlirValueGetType(mlirOperationGetOperand(op, 1)), mlirValueGetType(cooptResult(op))))
    return false;
  double lo = -INFINITY, hi = INFINITY;
  MlirValue v = cooptResult(op);
  int out = -1;
  for (int guard = 0; guard < 8; ++guard) {
    v = cooptPastExactEmulation(v); /* coopt-fake-quant{exact}'s requantization */
    MlirOperation u = cooptSoleUser(v);
    if ((out = fq_by_input_user(L, u)) >= 0)
      break;
    if (!cooptOpIs(u, "tosa.clamp"))
      return false;
    MlirAttribute mn = mlirOperationGetAttributeByName(u, S("min_val")),
                  mx = mlirOperationGetAttributeByName(u, S("max_val"));
    if (mlirAttributeIsAFloat(mn) && mlirAttributeIsAFloat(mx)) {
      lo = fmax(lo, mlirFloatAttrGetValueDouble(mn));
      hi = fmin(hi, mlirFloatAttrGetValueDouble(mx));
    }
    v = cooptResult(u);
  }
  if (out < 0)
    return false;
  coopt_fq_chain *F = &L->fq[out];
  coopt_builder b = cooptBuilderBefore(F->mul_q);
  b.loc = mlirOperationGetLocation(op);
  MlirType i32 = i32_like(L, mlirValueGetType(cooptResult(op)));
  MlirValue ra, rb, sum, res;
  double real_a, real_b, real_out;
  cooptEltwiseReals(sa, sb, F->scale, &real_a, &real_b, &real_out);
  if (!build_rescale(L, &b, op, what, qa, &real_a, 1, false, (int32_t)za, true, 0, i32, &ra) ||
      !build_rescale(L, &b, op, what, qb, &real_b, 1, false, (int32_t)zb, true, 0, i32, &rb))
    return false;
  MlirValue ops[2] = {ra, rb};
  sum = cooptResult(cooptBuildOp(&b, cooptOpIs(op, "tosa.add") ? "tosa.add" : "tosa.sub", 2, ops, i32, 0, NULL));
  if (!build_rescale(L, &b, op, what, sum, &real_out, 1, false, 0, false, (int32_t)F->zero_point,
                     mlirValueGetType(F->q), &res))
    return false;
  return finish_output(L, &b, F, res, lo, hi);
}

/* Biases as int32 on the in_scale * w_scale grid: n values of a constant
 * (a single value broadcasts), element i belonging to output channel
 * i % rows.  A constant that holds codes already is read as it is. */
static int32_t *quantize_bias(MlirOperation bc, int64_t n, double s_in, const double *ws, int64_t nscales,
                              int64_t rows) {
  MlirAttribute bv = mlirOperationGetAttributeByName(bc, S("values"));
  bool codes = cooptConstHoldsCodes(bc);
  int64_t bn = num_elements(mlirAttributeGetType(bv));
  int32_t *bq = coopt_xmalloc((size_t)n * sizeof *bq);
  for (int64_t i = 0; i < n; ++i) {
    double x = cooptDenseFloatAt(bv, bn == 1 ? 0 : i);
    bq[i] = cooptBiasCode(x, codes ? 1.0 : s_in * ws[nscales == 1 ? 0 : i % rows]);
  }
  return bq;
}

/* Lower one conv2d / depthwise_conv2d / matmul and its fused tail. */
/* One weight-bearing op being lowered: its quantized input, its weight
 * scales, the fused tail up to the output's fake-quant, and what is built. */
typedef struct anchor_lowering {
  MlirOperation anchor, wc; /* wc: the f32 weight constant */
  char what[512];
  bool matmul;
  MlirValue xq; /* the int8 input */
  double s_in;
  int64_t zp_in;
  double *ws; /* weight scales: one, or one per output channel */
  int64_t nscales, rows;
  MlirOperation tail[16];
  int ntail;
  coopt_fq_chain *F; /* the output's fake-quant */
  coopt_builder b;
  MlirValue acc; /* the int32 accumulator, through the tail */
  double lo, hi; /* the tail's clamp */
} anchor_lowering;

/* The int8 input and the 8-bit weight scales.  False (after a diagnostic
 * when `L` is strict about it) when the op cannot be lowered. */
static bool read_anchor_quant(lowering *L, anchor_lowering *A) {
  if (!get_i8(L, mlirOperationGetOperand(A->anchor, 0), &A->xq, &A->s_in, &A->zp_in))
    return fail(L, A->anchor,
                "coopt-lower-int8: the input of %s has no quantization parameters: run coopt-calibrate and "
                "coopt-fake-quant first",
                A->what);
  A->wc = cooptDefiningOp(mlirOperationGetOperand(A->anchor, 1));
  int64_t bits = 0;
  if (!cooptOpIs(A->wc, "tosa.const") || !cooptIsF32Tensor(mlirValueGetType(cooptResult(A->wc))))
    return false; /* not a constant float weight: stays float */
  if (!cooptGetConstQuant(A->wc, &bits, &A->ws, &A->nscales))
    return fail(L, A->anchor, "coopt-lower-int8: the weights of %s are not fake-quantized: run coopt-fake-quant first",
                A->what);
  if (bits != 8)
    return fail(L, A->anchor, "coopt-lower-int8: the weights of %s are not 8-bit", A->what);
  return true;
}

/* The fused tail (reshape, clamp, and the matmul's bias add) up to the next
 * fake-quant, which must be there. */
static bool find_fused_tail(lowering *L, anchor_lowering *A) {
  int out = -1;
  MlirValue v = cooptResult(A->anchor);
  for (;;) {
    v = cooptPastExactEmulation(v); /* coopt-fake-quant{exact}'s requantization */
    MlirOperation u = cooptSoleUser(v);
    if (mlirOperationIsNull(u) || A->ntail == 16)
      break;
    if ((out = fq_by_input_user(L, u)) >= 0)
      break;
    if (!(cooptOpIs(u, "tosa.reshape") || cooptOpIs(u, "tosa.clamp") || (A->matmul && cooptOpIs(u, "tosa.add"))))
      break;
    A->tail[A->ntail++] = u;
    v = cooptResult(u);
  }
  if (out < 0)
    return false;
  A->F = &L->fq[out];
  A->b = cooptBuilderBefore(A->F->mul_q);
  A->b.loc = mlirOperationGetLocation(A->anchor);
  return true;
}

/* Weights: exact int8 codes of the fake-quantized values, with the weight's
 * structure record and scales carried over. */
static bool build_int8_weights(lowering *L, anchor_lowering *A, MlirValue *wi8) {
  MlirAttribute wv = mlirOperationGetAttributeByName(A->wc, S("values"));
  MlirType wt = mlirAttributeGetType(wv);
  int64_t wn = num_elements(wt);
  int8_t *wq = coopt_xmalloc((size_t)wn);
  bool codes = cooptConstHoldsCodes(A->wc);
  for (int64_t i = 0; i < wn; ++i) {
    int64_t r = weight_row(A->anchor, wt, i);
    A->rows = r + 1 > A->rows ? r + 1 : A->rows;
    float x = cooptDenseFloatAt(wv, i);
    wq[i] = codes ? (int8_t)(x < -127 ? -127 : x > 127 ? 127 : x) : cooptWeightCode(x, A->ws[A->nscales == 1 ? 0 : r]);
  }
  if (A->nscales != 1 && A->nscales != A->rows) {
    free(wq);
    return fail(L, A->anchor, "coopt-lower-int8: the weight scales of %s do not match its output channels", A->what);
  }
  int64_t wshape[4];
  int wrank = (int)mlirShapedTypeGetRank(wt);
  for (int i = 0; i < wrank; ++i)
    wshape[i] = mlirShapedTypeGetDimSize(wt, i);
  *wi8 = cooptConstI8(&A->b, wrank, wshape, wq);
  free(wq);
  MlirOperation wi8_op = cooptDefiningOp(*wi8);
  MlirAttribute st = mlirOperationGetAttributeByName(A->wc, S("coopt.structure"));
  if (!mlirAttributeIsNull(st))
    mlirOperationSetDiscardableAttributeByName(wi8_op, S("coopt.structure"), st);
  cooptSetConstQuant(wi8_op, 8, A->ws, A->nscales);
  return true;
}

/* The op itself on int8 operands with an int32 accumulator; a convolution's
 * bias as int32 on the in_scale * w_scale grid. */
static bool build_accumulator(lowering *L, anchor_lowering *A, MlirValue wi8) {
  MlirValue zp_in_v = cooptZeroPointI8(&A->b, (int8_t)A->zp_in), zp_w = cooptZeroPointI8(&A->b, 0);
  MlirType acc_t = i32_like(L, mlirValueGetType(cooptResult(A->anchor)));
  MlirNamedAttribute attrs[16];
  size_t na = copy_attrs(A->anchor, attrs, 16);
  for (size_t i = 0; i < na; ++i)
    if (coopt_str_eq(mlirIdentifierStr(attrs[i].name).data, mlirIdentifierStr(attrs[i].name).length, "acc_type"))
      attrs[i].attribute = mlirTypeAttrGet(mlirIntegerTypeGet(L->ctx, 32));
  if (A->matmul) {
    MlirValue ops[4] = {A->xq, wi8, zp_in_v, zp_w};
    A->acc = cooptResult(cooptBuildOp(&A->b, "tosa.matmul", 4, ops, acc_t, (intptr_t)na, attrs));
    return true;
  }
  MlirOperation bc = cooptDefiningOp(mlirOperationGetOperand(A->anchor, 2));
  if (!cooptOpIs(bc, "tosa.const"))
    return false;
  int32_t *bq = quantize_bias(bc, A->rows, A->s_in, A->ws, A->nscales, A->rows);
  MlirValue bi32 = cooptConstI32(&A->b, 1, &A->rows, bq);
  free(bq);
  MlirValue ops[5] = {A->xq, wi8, bi32, zp_in_v, zp_w};
  const char *name = cooptOpIs(A->anchor, "tosa.conv2d") ? "tosa.conv2d" : "tosa.depthwise_conv2d";
  A->acc = cooptResult(cooptBuildOp(&A->b, name, 5, ops, acc_t, (intptr_t)na, attrs));
  return true;
}

/* The tail on the accumulator: reshapes in int32, the bias add with an
 * int32 bias, and the clamp's bounds kept for the output. */
static bool lower_tail(lowering *L, anchor_lowering *A) {
  A->lo = -INFINITY, A->hi = INFINITY;
  for (int k = 0; k < A->ntail; ++k) {
    MlirOperation t = A->tail[k];
    MlirType rt = i32_like(L, mlirValueGetType(cooptResult(t)));
    if (cooptOpIs(t, "tosa.reshape")) {
      MlirValue ops[2] = {A->acc, mlirOperationGetOperand(t, 1)};
      A->acc = cooptResult(cooptBuildOp(&A->b, "tosa.reshape", 2, ops, rt, 0, NULL));
    } else if (cooptOpIs(t, "tosa.add")) {
      MlirOperation bc = cooptDefiningOp(mlirOperationGetOperand(t, 1));
      if (!cooptOpIs(bc, "tosa.const"))
        return false;
      MlirAttribute bv = mlirOperationGetAttributeByName(bc, S("values"));
      MlirType bt = mlirAttributeGetType(bv);
      int64_t bn = num_elements(bt), shape[8];
      int brank = (int)mlirShapedTypeGetRank(bt);
      for (int i = 0; i < brank; ++i)
        shape[i] = mlirShapedTypeGetDimSize(bt, i);
      int32_t *bq = quantize_bias(bc, bn, A->s_in, A->ws, A->nscales, A->rows);
      MlirValue ops[2] = {A->acc, cooptConstI32(&A->b, brank, shape, bq)};
      free(bq);
      A->acc = cooptResult(cooptBuildOp(&A->b, "tosa.add", 2, ops, rt, 0, NULL));
    } else { /* clamp */
      MlirAttribute mn = mlirOperationGetAttributeByName(t, S("min_val")),
                    mx = mlirOperationGetAttributeByName(t, S("max_val"));
      if (mlirAttributeIsAFloat(mn) && mlirAttributeIsAFloat(mx)) {
        A->lo = fmax(A->lo, mlirFloatAttrGetValueDouble(mn));
        A->hi = fmin(A->hi, mlirFloatAttrGetValueDouble(mx));
      }
    }
  }
  return true;
}

/* Requantize: one multiplier per output channel (the last axis). */
static bool requantize_output(lowering *L, anchor_lowering *A) {
  MlirType at = mlirValueGetType(A->acc);
  int64_t channels = mlirShapedTypeGetDimSize(at, mlirShapedTypeGetRank(at) - 1);
  bool per_channel = A->nscales != 1;
  int64_t nm = per_channel ? channels : 1;
  if (per_channel && channels != A->rows)
    return fail(L, A->anchor, "coopt-lower-int8: %s: output channels do not match the weight scales", A->what);
  double *reals = coopt_xmalloc((size_t)nm * sizeof *reals);
  for (int64_t c = 0; c < nm; ++c)
    reals[c] = cooptAccumulatorReal(A->s_in, A->ws[c], A->F->scale);
  MlirValue res;
  bool ok = build_rescale(L, &A->b, A->anchor, A->what, A->acc, reals, nm, true, 0, false, (int32_t)A->F->zero_point,
                          mlirValueGetType(A->F->q), &res);
  free(reals);
  return ok && finish_output(L, &A->b, A->F, res, A->lo, A->hi);
}

static bool lower_anchor(lowering *L, MlirOperation anchor) {
  anchor_lowering A;
  memset(&A, 0, sizeof A);
  A.anchor = anchor;
  cooptDescribeOp(anchor, A.what, sizeof A.what);
  A.matmul = cooptOpIs(anchor, "tosa.matmul");
  MlirValue wi8;
  bool ok = read_anchor_quant(L, &A) && find_fused_tail(L, &A) && build_int8_weights(L, &A, &wi8) &&
            build_accumulator(L, &A, wi8) && lower_tail(L, &A) && requantize_output(L, &A);
  free(A.ws);
  return ok;
}

static bool same_params(double s1, int64_t z1, double s2, int64_t z2) {
  return z1 == z2 && fabs(s1 - s2) <= 1e-12 * fmax(s1, s2);
}

static bool lower_avg_pool(lowering *L, MlirOperation op) {
  MlirValue xq;
  double s_in;
  int64_t zp_in;
  if (!get_i8(L, mlirOperationGetOperand(op, 0), &xq, &s_in, &zp_in))
    return false;
  /* past coopt-fake-quant{exact}'s division */
  int out = fq_by_input_user(L, cooptSoleUser(cooptPastExactEmulation(cooptResult(op))));
  if (out < 0 || !same_params(s_in, zp_in, L->fq[out].scale, L->fq[out].zero_point))
    return false;
  coopt_fq_chain *F = &L->fq[out];
  coopt_builder b = cooptBuilderBefore(F->mul_q);
  b.loc = mlirOperationGetLocation(op);
  MlirNamedAttribute attrs[16];
  size_t na = copy_attrs(op, attrs, 16);
  for (size_t i = 0; i < na; ++i)
    if (coopt_str_eq(mlirIdentifierStr(attrs[i].name).data, mlirIdentifierStr(attrs[i].name).length, "acc_type"))
      attrs[i].attribute = mlirTypeAttrGet(mlirIntegerTypeGet(L->ctx, 32));
  MlirValue ops[3] = {xq, cooptZeroPointI8(&b, (int8_t)zp_in), cooptZeroPointI8(&b, (int8_t)F->zero_point)};
  MlirValue res = cooptResult(cooptBuildOp(&b, "tosa.avg_pool2d", 3, ops, mlirValueGetType(F->q), (intptr_t)na, attrs));
  mlirValueReplaceAllUsesOfWith(F->q, res);
  F->q = res;
  return true;
}

static MlirAttribute quant_dict(MlirContext ctx, double scale, int64_t zp) {
  MlirNamedAttribute e[2] = {
      cooptNamedAttr(ctx, "scale", mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), scale)),
      cooptNamedAttr(ctx, "zero_point", mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), zp)),
  };
  return mlirDictionaryAttrGet(ctx, 2, e);
}

/* interface=int8: i8 arguments and results; their parameters are recorded
 * as coopt.input_quant / coopt.output_quant on the function. */
static void int8_interface(lowering *L, MlirBlock block) {
  MlirContext ctx = L->ctx;
  intptr_t nin = mlirBlockGetNumArguments(block);
  MlirAttribute inq[COOPT_MAX_ARGS_RES], outq[COOPT_MAX_ARGS_RES];
  MlirType in_t[COOPT_MAX_ARGS_RES], out_t[COOPT_MAX_ARGS_RES];
  for (intptr_t i = 0; i < nin && i < COOPT_MAX_ARGS_RES; ++i) {
    MlirValue a = mlirBlockGetArgument(block, i);
    inq[i] = mlirUnitAttrGet(ctx);
    for (size_t f = 0; f < L->nfq; ++f) {
      coopt_fq_chain *F = &L->fq[f];
      if (mlirOperationIsNull(F->mul_q) || !mlirValueEqual(F->input, a) ||
          !cooptOpIs(cooptDefiningOp(F->q), "tosa.cast"))
        continue;
      MlirValue old_q = F->q;
      mlirValueSetType(a, mlirValueGetType(old_q));
      mlirValueReplaceAllUsesOfWith(old_q, a);
      F->q = a;
      inq[i] = quant_dict(ctx, F->scale, F->zero_point);
      break;
    }
    in_t[i] = mlirValueGetType(a);
  }
  MlirOperation ret = mlirBlockGetTerminator(block);
  intptr_t nout = mlirOperationGetNumOperands(ret);
  for (intptr_t i = 0; i < nout && i < COOPT_MAX_ARGS_RES; ++i) {
    MlirValue r = mlirOperationGetOperand(ret, i);
    int f = fq_by_output(L, r);
    outq[i] = mlirUnitAttrGet(ctx);
    if (f >= 0) {
      mlirOperationSetOperand(ret, i, L->fq[f].q);
      outq[i] = quant_dict(ctx, L->fq[f].scale, L->fq[f].zero_point);
    }
    out_t[i] = mlirValueGetType(mlirOperationGetOperand(ret, i));
  }
  mlirOperationSetAttributeByName(L->func, S("function_type"),
                                  mlirTypeAttrGet(mlirFunctionTypeGet(ctx, nin, in_t, nout, out_t)));
  mlirOperationSetDiscardableAttributeByName(L->func, S("coopt.input_quant"), mlirArrayAttrGet(ctx, nin, inq));
  mlirOperationSetDiscardableAttributeByName(L->func, S("coopt.output_quant"), mlirArrayAttrGet(ctx, nout, outq));
}

static bool in_set(void *const *set, size_t n, MlirOperation op) {
  for (size_t i = 0; i < n; ++i)
    if (set[i] == op.ptr)
      return true;
  return false;
}

static bool is_anchor(MlirOperation op) {
  return cooptOpIs(op, "tosa.conv2d") || cooptOpIs(op, "tosa.depthwise_conv2d") || cooptOpIs(op, "tosa.matmul");
}

static bool lower_func(MlirOperation func, const void *opaque) {
  const lower_int8_options *o = opaque;
  MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
  if (mlirBlockIsNull(block))
    return true;
  lowering L = {0};
  L.o = o, L.func = func, L.ctx = mlirOperationGetContext(func);
  size_t cap = 0, nops = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    ++nops;
    if (mlirAttributeIsNull(mlirOperationGetAttributeByName(op, S("coopt.fake_quant"))))
      continue;
    coopt_fq_chain c;
    if (!cooptMatchFakeQuant(op, &c) || mlirOperationIsNull(c.cast_i8)) {
      cooptEmitError(mlirOperationGetLocation(op),
                     "coopt-lower-int8: coopt.fake_quant on an op that does not end a fake-quant chain "
                     "(mul, add, cast to i8, cast to f32, sub, mul)");
      free(L.fq);
      return false;
    }
    if (L.nfq == cap) {
      cap = cap ? 2 * cap : 32;
      L.fq = coopt_xrealloc(L.fq, cap * sizeof *L.fq);
    }
    L.fq[L.nfq++] = c;
  }
  /* The ops that belong to fake-quant chains, for the float-island report. */
  void **parts = coopt_xmalloc((6 * L.nfq + 1) * sizeof *parts);
  size_t nparts = 0;
  for (size_t i = 0; i < L.nfq; ++i) {
    MlirOperation p[6] = {L.fq[i].mul_q,    L.fq[i].add_zp, L.fq[i].cast_i8,
                          L.fq[i].cast_f32, L.fq[i].sub_zp, L.fq[i].mul_dq};
    for (int k = 0; k < 6; ++k)
      parts[nparts++] = p[k].ptr;
  }
  MlirOperation *work = coopt_xmalloc((nops + 1) * sizeof *work);
  size_t nwork = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (!cooptIsExactEmulation(op) &&
        (is_anchor(op) || cooptOpIs(op, "tosa.avg_pool2d") || cooptOpIs(op, "tosa.add") || cooptOpIs(op, "tosa.sub")))
      work[nwork++] = op;
  for (size_t i = 0; i < nwork && !L.failed; ++i)
    if (cooptOpIs(work[i], "tosa.avg_pool2d"))
      lower_avg_pool(&L, work[i]);
    else if (cooptOpIs(work[i], "tosa.add") || cooptOpIs(work[i], "tosa.sub"))
      lower_eltwise(&L, work[i]);
    else
      lower_anchor(&L, work[i]);
  coopt_pass_result result = L.failed ? COOPT_PASS_FAILURE : COOPT_PASS_SUCCESS;
  if (!L.failed) {
    if (o->interface == INTERFACE_INT8)
      int8_interface(&L, block);
    cooptEraseDeadTosa(block);
    /* Whatever float compute is left sits between a dequantize and a quantize. */
    for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      if (cooptOpIs(op, "tosa.const") || cooptOpIs(op, "tosa.const_shape") || cooptOpIs(op, "func.return") ||
          in_set(parts, nparts, op) || mlirOperationGetNumResults(op) != 1 ||
          !cooptIsF32Tensor(mlirValueGetType(cooptResult(op))))
        continue;
      char what[512];
      cooptDescribeOp(op, what, sizeof what);
      if (o->strict) {
        cooptEmitError(mlirOperationGetLocation(op), "coopt-lower-int8: %s cannot be lowered to int8 (strict=true)",
                       what);
        result = COOPT_PASS_FAILURE;
      } else {
        cooptEmitRemark(mlirOperationGetLocation(op),
                        "coopt-lower-int8: %s stays float between dequantize and quantize", what);
      }
    }
  }
  free(work);
  free(parts);
  free(L.fq);
  free(L.from), free(L.to), free(L.map_scale), free(L.map_zp);
  return result == COOPT_PASS_SUCCESS;
}

static coopt_pass_result run_lower_int8(MlirOperation module, const void *opaque) {
  return cooptForEachFunc(module, lower_func, opaque) ? COOPT_PASS_SUCCESS : COOPT_PASS_FAILURE;
}

const coopt_pass_info coopt_lower_int8_pass = {
    .argument = "coopt-lower-int8",
    .summary = "Rewrite a fake-quantized graph into integer TOSA (i8 x i8 -> i32, tosa.rescale per channel)",
    .description = "conv2d, depthwise_conv2d, matmul (+bias, ReLU/ReLU6), avg_pool2d and add/sub of two activations "
                   "become int8; layout ops follow; anything else stays float between dequantize and quantize with a "
                   "remark.",
    .anchor = "builtin.module",
    .options = lower_int8_option_table,
    .num_options = sizeof lower_int8_option_table / sizeof lower_int8_option_table[0],
    .options_size = sizeof(lower_int8_options),
    .run = run_lower_int8,
};
