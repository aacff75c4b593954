/*
 * coopt-lower-kernels: replace convolutions with constant weights by calls
 * into coopt's runtime kernels, with the weights packed now, at compile
 * time, by the runtime's own packing functions.
 *
 * Int8 pointwise convolutions (the 1x1 conv2d + tosa.rescale [+ clamp] that
 * coopt-lower-int8 produces) get a kernel chosen from the weights' actual
 * values (which forms admit them, and their packed sizes) and the cost
 * model's prediction for the call's rows on `cpu` (Analysis/KernelChoice.h,
 * Analysis/KernelCost.h): dense, sparse 1x4, lookup-table (<= 16 values per
 * channel), sparse lookup-table, masked, masked lookup-table.
 * The packed blob (bias, zero-point correction, requantization and clamp
 * folded in) becomes an i8 constant; the op becomes a func.call to
 * coopt_rt_mlir_qs8_<kind> on the activations viewed as [M, K].  The
 * kernels compute exactly the integer arithmetic of conv2d + rescale +
 * clamp, so results are bit-identical.  Each choice is reported as a remark.
 * Depthwise 3x3 convolutions (stride 1 or 2) go to the runtime's depthwise
 * kernels when `depthwise` says so.  F32 pointwise and depthwise
 * convolutions (bias and a following clamp fused) go to the f32 kernels.
 * Other convolutions go to the im2col + dense GEMM kernel, and matmuls with
 * constant weights (the classifier) to the dense GEMM.  The other ops go
 * through the upstream lowering unchanged.
 */
#define _POSIX_C_SOURCE 200809L
#include "Analysis/KernelChoice.h"
#include "Analysis/Structure.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"
#include "coopt_rt/kernels.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct lower_kernels_options {
  int target;
  int cpu;
  double sparse_threshold;
  int lut;
  int force;
  int objective;
  int depthwise;
  int f32;
} lower_kernels_options;

/* Each enum option's values, and its C enum in the same order. */
static const char *const target_values[] = {"x86_64", "aarch64", "generic", NULL};
enum { TARGET_X86_64, TARGET_AARCH64, TARGET_GENERIC };
/* auto, then coopt_cost_cpu's order, then native. */
static const char *const cpu_values[] = {"auto",        "generic",     "avx2",   "avxvnni", "avx512",
                                         "neoverse-n1", "neoverse-v2", "native", NULL};
enum { CPU_AUTO, CPU_NATIVE = 1 + COOPT_CPU_COUNT };
static const char *const lut_values[] = {"auto", "off", NULL};
enum { LUT_AUTO, LUT_OFF };
enum {
  FORCE_AUTO,
  FORCE_DENSE,
  FORCE_SPARSE,
  FORCE_LUT,
  FORCE_SPARSE_LUT,
  FORCE_MASKED,
  FORCE_MASKED_LUT,
  FORCE_BLOCK
};
static const char *const force_values[] = {"auto",   "dense",      "sparse", "lut", "sparse-lut",
                                           "masked", "masked-lut", "block",  NULL};
/* In coopt_kernel_objective's order. */
static const char *const objective_values[] = {"balanced", "size", "latency", NULL};
static const char *const depthwise_values[] = {"auto", "on", "off", NULL};
enum { DEPTHWISE_AUTO, DEPTHWISE_ON, DEPTHWISE_OFF };
static const char *const on_off_values[] = {"on", "off", NULL};
enum { F32_ON, F32_OFF };

static const coopt_option_info lower_kernels_option_table[] = {
    {"target",
     COOPT_OPT_ENUM,
     "the ISA the code is for (the packed formats are shared; recorded for reports)",
     "x86_64",
     {0},
     target_values,
     offsetof(lower_kernels_options, target)},
    {"cpu",
     COOPT_OPT_ENUM,
     "whose costs the kernel choice predicts (docs/Passes.md): auto = avx512 for x86_64, neoverse-n1 for aarch64, "
     "generic for generic; native = the x86 level of the CPU compiling (not reproducible across machines)",
     "auto",
     {0},
     cpu_values,
     offsetof(lower_kernels_options, cpu)},
    {"sparse-threshold",
     COOPT_OPT_FLOAT,
     "objective=balanced/latency: the 1x4 sparse kernel whenever at least this fraction of the weight blocks is "
     "zero, whatever the cost model predicts (1: the cost model decides)",
     COOPT_KERNEL_SPARSE_THRESHOLD_TEXT,
     {true, true, false, false, 0, 1},
     NULL,
     offsetof(lower_kernels_options, sparse_threshold)},
    {"lut",
     COOPT_OPT_ENUM,
     "use the lookup-table kernel for weights with <= 16 values per output channel",
     "auto",
     {0},
     lut_values,
     offsetof(lower_kernels_options, lut)},
    {"force",
     COOPT_OPT_ENUM,
     "force one kernel kind for every eligible op (for testing)",
     "auto",
     {0},
     force_values,
     offsetof(lower_kernels_options, force)},
    {"objective",
     COOPT_OPT_ENUM,
     "what the int8 pointwise kernel choice optimises: size = the smallest packed form the weights allow; latency = "
     "the form the cost model predicts fastest for the call's rows on `cpu`; balanced = the smallest forms whose "
     "predicted time, over a function's pointwise layers, is within 10% of the fastest, a slower form only for 5% "
     "of its layer's bytes (lookup-table forms unless lut=off)",
     "balanced",
     {0},
     objective_values,
     offsetof(lower_kernels_options, objective)},
    {"depthwise",
     COOPT_OPT_ENUM,
     "route depthwise 3x3 convolutions to the runtime kernel; auto = f32 always, int8 for aarch64 only (on the x86 "
     "host the upstream int8 loops measure level with the AVX-512 kernel, docs/Performance.md)",
     "auto",
     {0},
     depthwise_values,
     offsetof(lower_kernels_options, depthwise)},
    {"f32",
     COOPT_OPT_ENUM,
     "also route f32 pointwise and depthwise 3x3 convolutions (bias and clamp fused) to the runtime's f32 kernels",
     "on",
     {0},
     on_off_values,
     offsetof(lower_kernels_options, f32)},
};

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

static MlirAttribute const_values(MlirValue v) {
  MlirOperation d = cooptDefiningOp(v);
  return cooptOpIs(d, "tosa.const") ? mlirOperationGetAttributeByName(d, S("values")) : mlirAttributeGetNull();
}

static bool array_is(MlirOperation op, const char *name, int64_t v) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, S(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseI64Array(a))
    return false;
  for (intptr_t i = 0; i < mlirDenseArrayGetNumElements(a); ++i)
    if (mlirDenseI64ArrayGetElement(a, i) != v)
      return false;
  return true;
}

static bool is_f32(MlirType t) { return mlirTypeIsARankedTensor(t) && mlirTypeIsAF32(mlirShapedTypeGetElementType(t)); }

static bool is_i8(MlirType t) {
  return mlirTypeIsARankedTensor(t) && mlirTypeIsAInteger(mlirShapedTypeGetElementType(t)) &&
         mlirIntegerTypeGetWidth(mlirShapedTypeGetElementType(t)) == 8;
}

/* The external kernel entry, declared once per kind: (blob, activations of
 * `rank` and element type `elem`) -> result of the same, dynamically shaped.
 * Both arguments are declared read-only (bufferization.access): One-Shot
 * Bufferize cannot see into an external function and otherwise assumes it
 * writes them, so every call copied its packed blob and its activations
 * into fresh buffers first (memmove was 12% of MobileNet's inference, the
 * whole of its weights copied per call). */
static void declare(MlirOperation module, const char *fn, int rank, const char *elem) {
  if (!mlirOperationIsNull(cooptFindSymbol(module, fn)))
    return;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  MlirContext ctx = mlirOperationGetContext(module);
  char text[320], t[64];
  snprintf(t, sizeof t, rank == 4 ? "tensor<?x?x?x?x%s>" : "tensor<?x?x%s>", elem);
  snprintf(text, sizeof text,
           "func.func private @%s(tensor<?xi8> {bufferization.access = \"read\"}, %s {bufferization.access = "
           "\"read\"}) -> %s attributes {llvm.emit_c_interface}",
           fn, t, t);
  MlirOperation decl = mlirOperationCreateParse(ctx, S(text), S("coopt-lower-kernels"));
  mlirBlockInsertOwnedOperation(body, 0, decl);
}

/* The cost model's prediction for a call (pointwise int8 GEMMs). */
typedef struct kernel_prediction {
  double cost;
  coopt_cost_cpu cpu;
} kernel_prediction;

/* What coopt-stats reports for each kernel call: coopt.kernel = {kind,
 * packed_bytes, macs[, predicted, unit, cpu]}.  `macs` counts the
 * multiply-accumulates the kernel performs per call (a sparse kernel skips
 * its zero blocks'), which is what coopt-explore's latency model for a
 * cross target multiplies by the kernel loop's cycles per MAC; `predicted`
 * is the cost model's time for the call in `unit` on `cpu`, where the
 * choice used it. */
static void tag_call(MlirOperation call, const char *kind, size_t size, int64_t macs, const kernel_prediction *pred) {
  MlirContext ctx = mlirOperationGetContext(call);
  MlirType i64 = mlirIntegerTypeGet(ctx, 64);
  MlirNamedAttribute e[6] = {
      cooptNamedAttr(ctx, "kind", mlirStringAttrGet(ctx, S(kind))),
      cooptNamedAttr(ctx, "packed_bytes", mlirIntegerAttrGet(i64, (int64_t)size)),
      cooptNamedAttr(ctx, "macs", mlirIntegerAttrGet(i64, macs)),
  };
  intptr_t n = 3;
  if (pred) {
    /* Rounded to a tenth, so the printed IR does not carry the float noise of the model's arithmetic. */
    e[n++] =
        cooptNamedAttr(ctx, "predicted", mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), round(pred->cost * 10) / 10));
    e[n++] = cooptNamedAttr(ctx, "unit", mlirStringAttrGet(ctx, S(cooptCostUnit(pred->cpu))));
    e[n++] = cooptNamedAttr(ctx, "cpu", mlirStringAttrGet(ctx, S(cooptCostCpuName(pred->cpu))));
  }
  mlirOperationSetDiscardableAttributeByName(call, S("coopt.kernel"), mlirDictionaryAttrGet(ctx, n, e));
}

/* A tosa.const_shape holding t's shape. */
static MlirValue shape_of(coopt_builder *b, MlirType t) {
  int rank = (int)mlirShapedTypeGetRank(t);
  coopt_buf text;
  coopt_buf_init(&text);
  coopt_buf_puts(&text, "dense<[");
  for (int i = 0; i < rank; ++i)
    coopt_buf_printf(&text, "%s%lld", i ? ", " : "", (long long)mlirShapedTypeGetDimSize(t, i));
  coopt_buf_printf(&text, "]> : tensor<%dxindex>", rank);
  char st[32];
  snprintf(st, sizeof st, "!tosa.shape<%d>", rank);
  MlirNamedAttribute va = cooptNamedAttr(b->ctx, "values", cooptAttr(b->ctx, text.data));
  coopt_buf_free(&text);
  return cooptResult(cooptBuildOp(b, "tosa.const_shape", 0, NULL, mlirTypeParseGet(b->ctx, S(st)), 1, &va));
}

/* fn(bl, x) through the kernels' C interface, whose operands and result
 * are dynamically shaped: the packed blob `bl` (an i8 constant of `size`
 * bytes) and x are cast to ?s of their rank, and the result is cast back to
 * `result_type`.  The call carries coopt.kernel. */
static MlirValue emit_call(MlirOperation module, coopt_builder *b, MlirValue bl, size_t size, MlirValue x,
                           MlirType result_type, const char *fn, const char *kind, int64_t macs,
                           const kernel_prediction *pred) {
  MlirType xt = mlirValueGetType(x), elem = mlirShapedTypeGetElementType(xt);
  int rank = (int)mlirShapedTypeGetRank(xt);
  int64_t dyn[4];
  for (int i = 0; i < 4; ++i)
    dyn[i] = mlirShapedTypeGetDynamicSize();
  MlirType i8 = mlirIntegerTypeGet(b->ctx, 8), tdyn = cooptTensorTypeOf(b->ctx, rank, dyn, elem);
  MlirValue args[2] = {
      cooptResult(cooptBuildOp(b, "tensor.cast", 1, &bl, cooptTensorTypeOf(b->ctx, 1, dyn, i8), 0, NULL)),
      cooptResult(cooptBuildOp(b, "tensor.cast", 1, &x, tdyn, 0, NULL))};
  declare(module, fn, rank, mlirTypeIsAF32(elem) ? "f32" : "i8");
  MlirNamedAttribute callee = cooptNamedAttr(b->ctx, "callee", mlirFlatSymbolRefAttrGet(b->ctx, S(fn)));
  MlirOperation call = cooptBuildOp(b, "func.call", 2, args, tdyn, 1, &callee);
  tag_call(call, kind, size, macs, pred);
  MlirValue y = cooptResult(call);
  return cooptResult(cooptBuildOp(b, "tensor.cast", 1, &y, result_type, 0, NULL));
}

/* Replace the value of `last` (the end of op's fused tail) by fn(blob, x
 * viewed as [M, K]) viewed back in last's shape: for pointwise
 * convolutions (NHWC rows are the GEMM's rows) and matmuls. */
static void emit_gemm_call(MlirOperation module, MlirOperation op, MlirOperation last, MlirValue x, size_t K, size_t N,
                           const void *blob, size_t size, const char *fn, const char *kind, double kept,
                           const kernel_prediction *pred) {
  MlirContext ctx = mlirOperationGetContext(op);
  MlirType xt = mlirValueGetType(x), elem = mlirShapedTypeGetElementType(xt);
  coopt_builder b = cooptBuilderBefore(last);
  b.loc = mlirOperationGetLocation(op);
  int64_t bsize = (int64_t)size, M = 1;
  MlirValue bl = cooptConstI8(&b, 1, &bsize, blob);
  for (intptr_t i = 0; i + 1 < mlirShapedTypeGetRank(xt); ++i)
    M *= mlirShapedTypeGetDimSize(xt, i);
  int64_t mk[2] = {M, (int64_t)K}, mn[2] = {M, (int64_t)N};
  MlirType t_mk = cooptTensorTypeOf(ctx, 2, mk, elem), yt = mlirValueGetType(cooptResult(last));
  MlirValue ops[2] = {x, shape_of(&b, t_mk)};
  MlirValue a2 = cooptResult(cooptBuildOp(&b, "tosa.reshape", 2, ops, t_mk, 0, NULL));
  int64_t macs = (int64_t)llround((double)M * (double)K * (double)N * kept);
  MlirValue c2 = emit_call(module, &b, bl, size, a2, cooptTensorTypeOf(ctx, 2, mn, elem), fn, kind, macs, pred);
  MlirValue ops2[2] = {c2, shape_of(&b, yt)};
  mlirValueReplaceAllUsesOfWith(cooptResult(last), cooptResult(cooptBuildOp(&b, "tosa.reshape", 2, ops2, yt, 0, NULL)));
}

/* The runtime entry point of each int8 GEMM form (Analysis/KernelChoice.h). */
static const char *const kind_fn[COOPT_KERNEL_KINDS] = {
    "coopt_rt_mlir_qs8_gemm",        "coopt_rt_mlir_qs8_spgemm",      "coopt_rt_mlir_qs8_lut4_gemm",
    "coopt_rt_mlir_qs8_splut4_gemm", "coopt_rt_mlir_qs8_masked_gemm", "coopt_rt_mlir_qs8_masked_gemm",
    "coopt_rt_mlir_qs8_bsgemm"};

/* The requantization that follows an integer conv: tosa.rescale (input zero
 * point 0) and an optional i8 clamp.  Fills multipliers/shifts for n
 * channels; returns the last op of the tail, or a null op when the tail is
 * not of that form. */
static MlirOperation match_requant(MlirOperation conv, size_t n, int32_t *mult, int32_t *shift, int64_t *out_zp,
                                   bool *double_round, int64_t *lo, int64_t *hi) {
  MlirOperation none = {NULL};
  MlirOperation rs = cooptSoleUser(cooptResult(conv));
  if (!cooptOpIs(rs, "tosa.rescale") || !is_i8(mlirValueGetType(cooptResult(rs))))
    return none;
  MlirAttribute mv = const_values(mlirOperationGetOperand(rs, 1)), sv = const_values(mlirOperationGetOperand(rs, 2)),
                rin = const_values(mlirOperationGetOperand(rs, 3)), rout = const_values(mlirOperationGetOperand(rs, 4));
  int64_t in_zp, tmp;
  if (mlirAttributeIsNull(mv) || mlirAttributeIsNull(sv) || !cooptDenseIntAt(rin, 0, &in_zp) || in_zp ||
      !cooptDenseIntAt(rout, 0, out_zp))
    return none;
  MlirAttribute rm = mlirOperationGetAttributeByName(rs, S("rounding_mode")),
                pc = mlirOperationGetAttributeByName(rs, S("per_channel"));
  coopt_buf rmtext;
  coopt_buf_init(&rmtext);
  mlirAttributePrint(rm, coopt_buf_string_callback, &rmtext);
  *double_round = rmtext.data && strstr(rmtext.data, "DOUBLE_ROUND");
  coopt_buf_free(&rmtext);
  bool per_channel = !mlirAttributeIsNull(pc) && mlirBoolAttrGetValue(pc);
  for (size_t c = 0; c < n; ++c) {
    if (!cooptDenseIntAt(mv, per_channel ? (int64_t)c : 0, &tmp))
      return none;
    mult[c] = (int32_t)tmp;
    if (!cooptDenseIntAt(sv, per_channel ? (int64_t)c : 0, &tmp))
      return none;
    shift[c] = (int32_t)tmp;
  }
  MlirOperation last = rs;
  *lo = -128, *hi = 127;
  MlirOperation cl = cooptSoleUser(cooptResult(rs));
  if (cooptOpIs(cl, "tosa.clamp")) {
    MlirAttribute mn = mlirOperationGetAttributeByName(cl, S("min_val")),
                  mx = mlirOperationGetAttributeByName(cl, S("max_val"));
    if (mlirAttributeIsAInteger(mn) && mlirAttributeIsAInteger(mx)) {
      *lo = mlirIntegerAttrGetValueInt(mn), *hi = mlirIntegerAttrGetValueInt(mx);
      last = cl;
    }
  }
  return last;
}

/* The integer parts of an int8 layer: weights as [n][k] (the constant read
 * in that order, or from [k][n] when `transposed`), n biases (zeros when bv
 * is null) and the requantization tail after `tail_from`.  False (nothing
 * to free) when they are not all there. */
typedef struct int8_layer {
  int8_t *w;
  int32_t *bias, *mult, *shift;
  int64_t out_zp, lo, hi;
  bool double_round;
  MlirOperation last;
} int8_layer;

static void int8_layer_free(int8_layer *L) {
  free(L->w), free(L->bias), free(L->mult), free(L->shift);
  L->w = NULL, L->bias = L->mult = L->shift = NULL;
}

static bool read_int8_layer(MlirOperation tail_from, MlirAttribute wv, MlirAttribute bv, size_t n, size_t k,
                            bool transposed, int8_layer *L) {
  L->w = coopt_xmalloc(n * k);
  L->bias = coopt_xcalloc(n, 4), L->mult = coopt_xmalloc(n * 4), L->shift = coopt_xmalloc(n * 4);
  L->out_zp = 0, L->lo = -128, L->hi = 127, L->double_round = false;
  L->last = match_requant(tail_from, n, L->mult, L->shift, &L->out_zp, &L->double_round, &L->lo, &L->hi);
  bool ok = !mlirOperationIsNull(L->last);
  int64_t tmp;
  for (size_t i = 0; i < n * k && ok; ++i)
    ok = cooptDenseIntAt(wv, transposed ? (int64_t)((i % k) * n + i / k) : (int64_t)i, &tmp), L->w[i] = (int8_t)tmp;
  for (size_t c = 0; c < n && ok && !mlirAttributeIsNull(bv); ++c)
    ok = cooptDenseIntAt(bv, (int64_t)c, &tmp), L->bias[c] = (int32_t)tmp;
  if (!ok)
    int8_layer_free(L);
  return ok;
}

static coopt_rt_requant int8_layer_rq(const int8_layer *L) {
  coopt_rt_requant rq = {L->mult, L->shift, true, L->double_round, (int32_t)L->out_zp, (int8_t)L->lo, (int8_t)L->hi};
  return rq;
}

/* Constant zero points at operands first (activations) and first + 1
 * (weights, which must be 0). */
static bool int8_zero_points(MlirOperation op, int first, int64_t *a_zp) {
  int64_t w_zp;
  return cooptDenseIntAt(const_values(mlirOperationGetOperand(op, first)), 0, a_zp) &&
         cooptDenseIntAt(const_values(mlirOperationGetOperand(op, first + 1)), 0, &w_zp) && w_zp == 0;
}

/* A conv-like op's int8 weights (operand 1, n x k as they lie), bias
 * (operand 2) and requantization tail into L, its input zero point into
 * *a_zp.  False when the kernels cannot take it: with *why for a remark, or
 * *why NULL when its operands are not constants with a zero weight zero
 * point (left to the upstream lowering without one). */
static bool read_int8_conv(MlirOperation op, size_t n, size_t k, int8_layer *L, int64_t *a_zp, const char **why) {
  MlirAttribute wv = const_values(mlirOperationGetOperand(op, 1)), bv = const_values(mlirOperationGetOperand(op, 2));
  *why = NULL;
  if (mlirAttributeIsNull(wv) || mlirAttributeIsNull(bv) || !int8_zero_points(op, 3, a_zp))
    return false;
  if (!read_int8_layer(op, wv, bv, n, k, false, L)) {
    *why = "its int32 result is not requantized by a tosa.rescale that only it feeds";
    return false;
  }
  return true;
}

/* An eligible op (constant weights) that no kernel takes keeps the upstream
 * lowering; the remark says why, so a missing kernel is never silent. */
static bool no_kernel(MlirOperation op, const char *why) {
  char what[256];
  cooptDescribeOp(op, what, sizeof what);
  cooptEmitRemark(mlirOperationGetLocation(op), "coopt-lower-kernels: %s: %s; no kernel, upstream lowering", what, why);
  return true;
}

/* The packed kernels and their calls are shaped at compile time; a dynamic
 * dimension is refused rather than quietly left to another lowering. */
static bool static_or_fail(MlirOperation op, MlirType xt) {
  if (mlirShapedTypeHasStaticShape(xt))
    return true;
  coopt_buf t;
  coopt_buf_init(&t);
  mlirTypePrint(xt, coopt_buf_string_callback, &t);
  char what[256];
  cooptDescribeOp(op, what, sizeof what);
  cooptEmitError(mlirOperationGetLocation(op),
                 "coopt-lower-kernels: %s has a dynamic input shape (%s): kernels need static shapes; give the "
                 "importer --batch",
                 what, t.data ? t.data : "?");
  coopt_buf_free(&t);
  return false;
}

/* The f32 tail of a convolution: an optional tosa.clamp, folded into the
 * kernel's output range.  Returns the last op of the tail. */
static MlirOperation match_f32_clamp(MlirOperation conv, float *lo, float *hi) {
  *lo = -INFINITY, *hi = INFINITY;
  MlirOperation cl = cooptSoleUser(cooptResult(conv));
  if (!cooptOpIs(cl, "tosa.clamp"))
    return conv;
  MlirAttribute mn = mlirOperationGetAttributeByName(cl, S("min_val")),
                mx = mlirOperationGetAttributeByName(cl, S("max_val"));
  if (!mlirAttributeIsAFloat(mn) || !mlirAttributeIsAFloat(mx))
    return conv;
  *lo = (float)mlirFloatAttrGetValueDouble(mn), *hi = (float)mlirFloatAttrGetValueDouble(mx);
  return cl;
}

/* Constant f32 weights, bias and zero input/weight zero points (operands 1-4)
 * of a float convolution; NULL-free arrays of n*k weights and n biases. */
static bool f32_operands(MlirOperation conv, size_t nw, size_t nb, float **w, float **bias) {
  MlirAttribute wv = const_values(mlirOperationGetOperand(conv, 1)),
                bv = const_values(mlirOperationGetOperand(conv, 2)),
                izp = const_values(mlirOperationGetOperand(conv, 3)),
                wzp = const_values(mlirOperationGetOperand(conv, 4));
  if (mlirAttributeIsNull(wv) || mlirAttributeIsNull(bv) || mlirAttributeIsNull(izp) || mlirAttributeIsNull(wzp) ||
      cooptDenseFloatAt(izp, 0) != 0.0f || cooptDenseFloatAt(wzp, 0) != 0.0f ||
      mlirElementsAttrGetNumElements(bv) != (int64_t)nb)
    return false;
  *w = coopt_xmalloc(nw * sizeof **w);
  *bias = coopt_xmalloc(nb * sizeof **bias);
  for (size_t i = 0; i < nw; ++i)
    (*w)[i] = cooptDenseFloatAt(wv, (int64_t)i);
  for (size_t i = 0; i < nb; ++i)
    (*bias)[i] = cooptDenseFloatAt(bv, (int64_t)i);
  return true;
}

static void *aligned_blob(size_t size) {
  void *blob = NULL;
  if (posix_memalign(&blob, 64, size ? size : 64))
    abort();
  memset(blob, 0, size);
  return blob;
}

/* An f32 pointwise convolution (+ clamp) on the dense f32 GEMM kernel. */
static bool lower_conv_f32(MlirOperation module, MlirOperation conv, MlirValue x, bool *done) {
  MlirType xt = mlirValueGetType(x), wt = mlirValueGetType(mlirOperationGetOperand(conv, 1));
  size_t N = (size_t)mlirShapedTypeGetDimSize(wt, 0), K = (size_t)mlirShapedTypeGetDimSize(wt, 3);
  float *w, *bias, lo, hi;
  if (!f32_operands(conv, N * K, N, &w, &bias))
    return true;
  MlirOperation last = match_f32_clamp(conv, &lo, &hi);
  size_t size = coopt_rt_f32_gemm_packed_size(N, K);
  void *blob = aligned_blob(size);
  coopt_rt_error err = {{0}};
  bool ok = coopt_rt_pack_f32_gemm(N, K, w, bias, lo, hi, blob, size, &err) == COOPT_RT_OK;
  if (!ok) {
    cooptEmitError(mlirOperationGetLocation(conv), "coopt-lower-kernels: packing failed: %s", err.message);
  } else {
    emit_gemm_call(module, conv, last, x, K, N, blob, size, "coopt_rt_mlir_f32_gemm", "dense f32", 1.0, NULL);
    char what[256];
    cooptDescribeOp(conv, what, sizeof what);
    int64_t M = mlirShapedTypeGetDimSize(xt, 0) * mlirShapedTypeGetDimSize(xt, 1) * mlirShapedTypeGetDimSize(xt, 2);
    cooptEmitRemark(mlirOperationGetLocation(conv),
                    "coopt-lower-kernels: %s (%zux%zu weights, %lld rows): dense f32 kernel, %zu packed bytes", what, N,
                    K, (long long)M, size);
    *done = true;
  }
  free(w), free(bias), free(blob);
  return ok;
}

/* Replace the value of `last` (the end of a convolution's fused tail) by
 * fn(blob, x), both NHWC images. */
static void emit_image_call(MlirOperation module, MlirOperation op, MlirOperation last, MlirValue x, const void *blob,
                            size_t size, const char *fn, const char *kind) {
  coopt_builder b = cooptBuilderBefore(last);
  b.loc = mlirOperationGetLocation(op);
  int64_t bsize = (int64_t)size;
  MlirValue bl = cooptConstI8(&b, 1, &bsize, blob);
  /* Per output element: KH*KW*IC for tosa.conv2d (weights [OC, KH, KW, IC]),
   * KH*KW for tosa.depthwise_conv2d (weights [KH, KW, C, M]). */
  MlirType rt = mlirValueGetType(cooptResult(last)), wt = mlirValueGetType(mlirOperationGetOperand(op, 1));
  int64_t macs = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(rt); ++i)
    macs *= mlirShapedTypeGetDimSize(rt, i);
  if (cooptOpIs(op, "tosa.conv2d"))
    macs *= mlirShapedTypeGetDimSize(wt, 1) * mlirShapedTypeGetDimSize(wt, 2) * mlirShapedTypeGetDimSize(wt, 3);
  else
    macs *= mlirShapedTypeGetDimSize(wt, 0) * mlirShapedTypeGetDimSize(wt, 1);
  MlirValue y = emit_call(module, &b, bl, size, x, rt, fn, kind, macs, NULL);
  mlirValueReplaceAllUsesOfWith(cooptResult(last), y);
}

/* A packed weight blob for one of the runtime's image kernels, and the op
 * whose result the kernel's call replaces. */
typedef struct image_pack {
  void *blob;
  size_t size;
  MlirOperation last;
  coopt_rt_status status;
  coopt_rt_error err;
} image_pack;

/* Emit the call for a packed image kernel; false with a diagnostic when
 * packing failed.  Frees the blob. */
static bool emit_image_pack(MlirOperation module, MlirOperation op, MlirValue x, image_pack *pk, const char *fn,
                            const char *kind) {
  if (pk->status != COOPT_RT_OK) {
    cooptEmitError(mlirOperationGetLocation(op), "coopt-lower-kernels: packing failed: %s", pk->err.message);
    free(pk->blob);
    return false;
  }
  emit_image_call(module, op, pk->last, x, pk->blob, pk->size, fn, kind);
  free(pk->blob);
  return true;
}

/* The depthwise kernel's geometry: 3x3, multiplier 1, equal strides 1 or 2,
 * padding up to 2.  False when it does not apply, with *why for a remark
 * (NULL: the op's attributes are unreadable, left alone silently). */
static bool dw3x3_geometry(MlirOperation dw, MlirType xt, MlirType wt, coopt_rt_dw_shape *shape, const char **why) {
  *why = NULL;
  if (mlirShapedTypeGetDimSize(wt, 0) != 3 || mlirShapedTypeGetDimSize(wt, 1) != 3 ||
      mlirShapedTypeGetDimSize(wt, 3) != 1) {
    *why = "the depthwise kernel is 3x3 with multiplier 1";
    return false;
  }
  if (!array_is(dw, "dilation", 1)) {
    *why = "dilated";
    return false;
  }
  MlirAttribute st = mlirOperationGetAttributeByName(dw, S("stride")),
                pd = mlirOperationGetAttributeByName(dw, S("pad"));
  if (mlirAttributeIsNull(st) || mlirAttributeIsNull(pd) || mlirDenseArrayGetNumElements(st) != 2 ||
      mlirDenseArrayGetNumElements(pd) != 4)
    return false;
  int64_t sy = mlirDenseI64ArrayGetElement(st, 0), sx = mlirDenseI64ArrayGetElement(st, 1);
  /* TOSA pad order: top, bottom, left, right. */
  int64_t pt = mlirDenseI64ArrayGetElement(pd, 0), pb_ = mlirDenseI64ArrayGetElement(pd, 1),
          pl = mlirDenseI64ArrayGetElement(pd, 2), pr = mlirDenseI64ArrayGetElement(pd, 3);
  if (sy != sx || (sy != 1 && sy != 2) || pt > 2 || pb_ > 2 || pl > 2 || pr > 2 || pt < 0 || pb_ < 0 || pl < 0 ||
      pr < 0) {
    *why = "the depthwise kernel takes strides 1 or 2 (equal) and padding up to 2";
    return false;
  }
  *shape = (coopt_rt_dw_shape){(size_t)mlirShapedTypeGetDimSize(xt, 1),
                               (size_t)mlirShapedTypeGetDimSize(xt, 2),
                               (size_t)mlirShapedTypeGetDimSize(wt, 2),
                               (size_t)sy,
                               (size_t)pt,
                               (size_t)pl,
                               (size_t)pb_,
                               (size_t)pr};
  return true;
}

/* Pack a depthwise 3x3's weights; false (with *why for a remark, or NULL)
 * when its operands or tail are not what the kernel takes. */
static bool pack_dw3x3(MlirOperation dw, bool f32, const coopt_rt_dw_shape *shape, image_pack *pk, const char **why) {
  size_t C = shape->c;
  *why = NULL;
  if (f32) {
    float *w, *bias, lo, hi;
    if (!f32_operands(dw, 9 * C, C, &w, &bias))
      return false;
    pk->last = match_f32_clamp(dw, &lo, &hi);
    pk->size = coopt_rt_f32_dw3x3_packed_size(C);
    pk->blob = aligned_blob(pk->size);
    pk->status = coopt_rt_pack_f32_dw3x3(shape, w, bias, lo, hi, pk->blob, pk->size, &pk->err);
    free(w), free(bias);
    return true;
  }
  int64_t a_zp;
  int8_layer L;
  /* w[3][3][C] is read as it lies: the kernel's own layout. */
  if (!read_int8_conv(dw, C, 9, &L, &a_zp, why))
    return false;
  pk->last = L.last;
  coopt_rt_requant rq = int8_layer_rq(&L);
  pk->size = coopt_rt_qs8_dw3x3_packed_size(C);
  pk->blob = aligned_blob(pk->size);
  pk->status = coopt_rt_pack_qs8_dw3x3(shape, L.w, L.bias, (int8_t)a_zp, &rq, pk->blob, pk->size, &pk->err);
  int8_layer_free(&L);
  return true;
}

/* Depthwise 3x3 (multiplier 1, stride 1 or 2), int8 or f32, on the
 * runtime's kernel. */
static bool lower_dw(MlirOperation module, MlirOperation dw, const lower_kernels_options *o, bool *done) {
  *done = false;
  MlirValue x = mlirOperationGetOperand(dw, 0);
  MlirType xt = mlirValueGetType(x), wt = mlirValueGetType(mlirOperationGetOperand(dw, 1));
  bool f32 = o->f32 == F32_ON && is_f32(xt) && is_f32(wt);
  if (!(f32 || (is_i8(xt) && is_i8(wt))) || mlirShapedTypeGetRank(xt) != 4)
    return true;
  /* depthwise=auto leaves int8 depthwise to the upstream loops except on
   * aarch64: on the x86 host LLVM's AVX-512 code for them, with their
   * padding copies, measures level with the runtime's AVX-512 kernel on the
   * bundled models (DS-CNN a little slower, MobileNet a little faster), so
   * the choice stays as it was; the f32 kernel wins everywhere
   * (docs/Performance.md). */
  if (!f32 && o->depthwise == DEPTHWISE_AUTO && o->target != TARGET_AARCH64)
    return true;
  if (!static_or_fail(dw, xt))
    return false;
  coopt_rt_dw_shape shape;
  image_pack pk = {0};
  const char *why;
  if (!dw3x3_geometry(dw, xt, wt, &shape, &why) || !pack_dw3x3(dw, f32, &shape, &pk, &why))
    return why ? no_kernel(dw, why) : true;
  if (!emit_image_pack(module, dw, x, &pk, f32 ? "coopt_rt_mlir_f32_dw3x3" : "coopt_rt_mlir_qs8_dw3x3",
                       f32 ? "depthwise f32" : "depthwise int8"))
    return false;
  char what[256];
  cooptDescribeOp(dw, what, sizeof what);
  cooptEmitRemark(mlirOperationGetLocation(dw),
                  "coopt-lower-kernels: %s (3x3x%zu, stride %zu): depthwise %s kernel, %zu packed bytes", what, shape.c,
                  shape.stride, f32 ? "f32" : "int8", pk.size);
  *done = true;
  return true;
}

/* A k x k convolution (any size, stride, padding; dilation 1), int8 with
 * its requantization tail or f32 with its clamp, on the runtime's im2col +
 * dense GEMM kernel. */
static bool lower_conv_kxk(MlirOperation module, MlirOperation conv, MlirValue x, bool f32, bool *done) {
  MlirType xt = mlirValueGetType(x), wt = mlirValueGetType(mlirOperationGetOperand(conv, 1));
  MlirAttribute st = mlirOperationGetAttributeByName(conv, S("stride")),
                pd = mlirOperationGetAttributeByName(conv, S("pad"));
  if (mlirAttributeIsNull(st) || mlirAttributeIsNull(pd) || mlirDenseArrayGetNumElements(st) != 2 ||
      mlirDenseArrayGetNumElements(pd) != 4)
    return true;
  size_t N = (size_t)mlirShapedTypeGetDimSize(wt, 0), KH = (size_t)mlirShapedTypeGetDimSize(wt, 1),
         KW = (size_t)mlirShapedTypeGetDimSize(wt, 2), C = (size_t)mlirShapedTypeGetDimSize(wt, 3), K = KH * KW * C;
  /* TOSA pad order: top, bottom, left, right. */
  coopt_rt_conv_shape shape = {(size_t)mlirShapedTypeGetDimSize(xt, 1),
                               (size_t)mlirShapedTypeGetDimSize(xt, 2),
                               C,
                               KH,
                               KW,
                               (size_t)mlirDenseI64ArrayGetElement(st, 0),
                               (size_t)mlirDenseI64ArrayGetElement(st, 1),
                               (size_t)mlirDenseI64ArrayGetElement(pd, 0),
                               (size_t)mlirDenseI64ArrayGetElement(pd, 2),
                               (size_t)mlirDenseI64ArrayGetElement(pd, 1),
                               (size_t)mlirDenseI64ArrayGetElement(pd, 3)};
  char what[256];
  cooptDescribeOp(conv, what, sizeof what);
  if (K * (f32 ? 4 : 1) > COOPT_RT_CONV_MAX_PATCH_BYTES)
    return no_kernel(conv, "its patch exceeds the im2col kernel's 16 KiB");
  image_pack pk = {0};
  if (f32) {
    float *w, *bias, lo, hi;
    if (!f32_operands(conv, N * K, N, &w, &bias))
      return true;
    pk.last = match_f32_clamp(conv, &lo, &hi);
    pk.size = coopt_rt_f32_conv_packed_size(&shape, N);
    pk.blob = aligned_blob(pk.size);
    pk.status = coopt_rt_pack_f32_conv(&shape, N, w, bias, lo, hi, pk.blob, pk.size, &pk.err);
    free(w), free(bias);
  } else {
    int64_t a_zp;
    int8_layer L;
    const char *why;
    if (!read_int8_conv(conv, N, K, &L, &a_zp, &why))
      return why ? no_kernel(conv, why) : true;
    pk.last = L.last;
    coopt_rt_requant rq = int8_layer_rq(&L);
    pk.size = coopt_rt_qs8_conv_packed_size(&shape, N);
    pk.blob = aligned_blob(pk.size);
    pk.status = coopt_rt_pack_qs8_conv(&shape, N, L.w, L.bias, (int8_t)a_zp, &rq, pk.blob, pk.size, &pk.err);
    int8_layer_free(&L);
  }
  if (!emit_image_pack(module, conv, x, &pk, f32 ? "coopt_rt_mlir_f32_conv" : "coopt_rt_mlir_qs8_conv",
                       f32 ? "im2col + dense f32" : "im2col + dense int8"))
    return false;
  cooptEmitRemark(
      mlirOperationGetLocation(conv),
      "coopt-lower-kernels: %s (%zux%zux%zux%zu, stride %zux%zu): im2col + dense %s kernel, %zu packed bytes", what, N,
      KH, KW, C, shape.stride_h, shape.stride_w, f32 ? "f32" : "int8", pk.size);
  *done = true;
  return true;
}

/* The CPU whose costs the choice predicts. */
static coopt_cost_cpu cost_cpu(const lower_kernels_options *o) {
  if (o->cpu == CPU_NATIVE)
    return cooptCostCpuOfHost();
  if (o->cpu != CPU_AUTO)
    return (coopt_cost_cpu)(o->cpu - 1);
  return o->target == TARGET_AARCH64   ? COOPT_CPU_NEOVERSE_N1
         : o->target == TARGET_GENERIC ? COOPT_CPU_X86_GENERIC
                                       : COOPT_CPU_X86_AVX512;
}

/* The options' kernel policy. */
static coopt_kernel_policy kernel_policy(const lower_kernels_options *o) {
  static const coopt_kernel_kind forced[] = {COOPT_KERNEL_DENSE,      COOPT_KERNEL_DENSE,      COOPT_KERNEL_SPARSE,
                                             COOPT_KERNEL_LUT,        COOPT_KERNEL_SPARSE_LUT, COOPT_KERNEL_MASKED,
                                             COOPT_KERNEL_MASKED_LUT, COOPT_KERNEL_BLOCK};
  coopt_kernel_policy p = {(coopt_kernel_objective)o->objective,
                           o->sparse_threshold,
                           o->lut == LUT_AUTO,
                           o->force != FORCE_AUTO,
                           forced[o->force],
                           cost_cpu(o)};
  return p;
}

/* A forced kind that does not apply to op's weights falls back to dense;
 * say so, so that a test forcing a kind sees where it did not run. */
static void remark_forced_fallback(MlirOperation op, const lower_kernels_options *o, const coopt_int8_weights *v,
                                   coopt_kernel_kind kind) {
  if (o->force != FORCE_AUTO && kind == COOPT_KERNEL_DENSE && o->force != FORCE_DENSE)
    cooptEmitRemark(mlirOperationGetLocation(op),
                    "coopt-lower-kernels: force=%s does not apply (%zu distinct weights in a channel, K = %zu); using "
                    "dense",
                    force_values[o->force], v->max_distinct, v->k);
}

/* Pack int8 GEMM weights w (N x K; v: their analysis, with the codebook
 * indices the LUT kernels take) for the kernel `kind`. */
static coopt_rt_status pack_qs8_gemm_kind(coopt_kernel_kind kind, size_t N, size_t K, const coopt_int8_weights *v,
                                          const int8_t *w, const int32_t *bias, int8_t a_zp, const coopt_rt_requant *rq,
                                          void *blob, size_t size, coopt_rt_error *err) {
  switch (kind) {
  case COOPT_KERNEL_LUT: return coopt_rt_pack_qs8_lut4_gemm(N, K, v->idx, v->book, 16, bias, a_zp, rq, blob, size, err);
  case COOPT_KERNEL_SPARSE_LUT:
    return coopt_rt_pack_qs8_splut4_gemm(N, K, v->idx, v->book, 16, bias, a_zp, rq, blob, size, err);
  case COOPT_KERNEL_SPARSE: return coopt_rt_pack_qs8_spgemm(N, K, w, bias, a_zp, rq, blob, size, err);
  case COOPT_KERNEL_MASKED: return coopt_rt_pack_qs8_masked_gemm(N, K, w, bias, a_zp, rq, blob, size, err);
  case COOPT_KERNEL_BLOCK: return coopt_rt_pack_qs8_bsgemm(N, K, w, bias, a_zp, rq, blob, size, err);
  case COOPT_KERNEL_MASKED_LUT:
    return coopt_rt_pack_qs8_masked_lut4_gemm(N, K, v->idx, v->book, 16, bias, a_zp, rq, blob, size, err);
  default: return coopt_rt_pack_qs8_gemm(N, K, w, bias, a_zp, rq, blob, size, err);
  }
}

/* The int8 pointwise convolutions of a function, read and decided
 * together before any is rewritten (objective=balanced weighs their
 * predicted times as a whole); lower_conv then packs what was read here.
 * Rewriting one layer replaces only the uses of its own tail, so the
 * others' weights and tails stay as read. */
typedef struct planned_conv {
  MlirOperation op;
  bool ok;         /* read_int8_conv took it */
  const char *why; /* when not: the remark's reason, or NULL for none */
  int8_layer L;
  int64_t a_zp;
  coopt_int8_weights v;
  size_t m; /* the GEMM's rows */
  coopt_kernel_kind kind;
  double cost;
} planned_conv;

typedef struct kernel_plan {
  planned_conv *convs;
  size_t n;
} kernel_plan;

/* Is conv an int8 pointwise convolution the GEMM kernels take?  The checks
 * lower_conv makes, with their diagnostics, before it looks in the plan. */
static bool int8_pointwise(MlirOperation conv) {
  MlirType xt = mlirValueGetType(mlirOperationGetOperand(conv, 0)),
           wt = mlirValueGetType(mlirOperationGetOperand(conv, 1));
  return cooptOpIs(conv, "tosa.conv2d") && is_i8(xt) && is_i8(wt) && mlirShapedTypeGetRank(xt) == 4 &&
         mlirShapedTypeHasStaticShape(xt) && array_is(conv, "dilation", 1) && mlirShapedTypeGetDimSize(wt, 1) == 1 &&
         mlirShapedTypeGetDimSize(wt, 2) == 1 && array_is(conv, "stride", 1) && array_is(conv, "pad", 0);
}

static kernel_plan plan_kernels(MlirOperation *targets, size_t n, const lower_kernels_options *o) {
  kernel_plan plan = {coopt_xcalloc(n ? n : 1, sizeof(planned_conv)), 0};
  const coopt_int8_weights **vp = coopt_xcalloc(n ? n : 1, sizeof *vp);
  size_t *m = coopt_xmalloc((n ? n : 1) * sizeof *m), *of = coopt_xmalloc((n ? n : 1) * sizeof *of), nok = 0;
  coopt_kernel_kind *kinds = coopt_xmalloc((n ? n : 1) * sizeof *kinds);
  double *costs = coopt_xmalloc((n ? n : 1) * sizeof *costs);
  for (size_t i = 0; i < n; ++i) {
    if (!int8_pointwise(targets[i]))
      continue;
    planned_conv *e = &plan.convs[plan.n++];
    e->op = targets[i];
    MlirType xt = mlirValueGetType(mlirOperationGetOperand(e->op, 0)),
             wt = mlirValueGetType(mlirOperationGetOperand(e->op, 1));
    size_t N = (size_t)mlirShapedTypeGetDimSize(wt, 0), K = (size_t)mlirShapedTypeGetDimSize(wt, 3);
    if (!(e->ok = read_int8_conv(e->op, N, K, &e->L, &e->a_zp, &e->why)))
      continue;
    cooptAnalyzeInt8Weights(e->L.w, N, K, &e->v);
    e->m =
        (size_t)(mlirShapedTypeGetDimSize(xt, 0) * mlirShapedTypeGetDimSize(xt, 1) * mlirShapedTypeGetDimSize(xt, 2));
    vp[nok] = &e->v, m[nok] = e->m, of[nok++] = plan.n - 1;
  }
  coopt_kernel_policy policy = kernel_policy(o);
  cooptChooseKernels(&policy, nok, vp, m, kinds, costs);
  for (size_t j = 0; j < nok; ++j)
    plan.convs[of[j]].kind = kinds[j], plan.convs[of[j]].cost = costs[j];
  free(vp), free(m), free(of), free(kinds), free(costs);
  return plan;
}

static void kernel_plan_free(kernel_plan *plan) {
  for (size_t i = 0; i < plan->n; ++i)
    if (plan->convs[i].ok) {
      int8_layer_free(&plan->convs[i].L);
      cooptInt8WeightsFree(&plan->convs[i].v);
    }
  free(plan->convs);
}

/* Lower one conv2d; false with a diagnostic on error, *done when rewritten. */
static bool lower_conv(MlirOperation module, MlirOperation conv, const lower_kernels_options *o,
                       const kernel_plan *plan, bool *done) {
  *done = false;
  MlirValue x = mlirOperationGetOperand(conv, 0);
  MlirType xt = mlirValueGetType(x), wt = mlirValueGetType(mlirOperationGetOperand(conv, 1));
  bool f32 = o->f32 == F32_ON && is_f32(xt) && is_f32(wt);
  if (!(f32 || (is_i8(xt) && is_i8(wt))) || mlirShapedTypeGetRank(xt) != 4)
    return true;
  if (!static_or_fail(conv, xt))
    return false;
  if (!array_is(conv, "dilation", 1))
    return no_kernel(conv, "dilated");
  if (mlirShapedTypeGetDimSize(wt, 1) != 1 || mlirShapedTypeGetDimSize(wt, 2) != 1 || !array_is(conv, "stride", 1) ||
      !array_is(conv, "pad", 0))
    return lower_conv_kxk(module, conv, x, f32, done);
  if (f32)
    return lower_conv_f32(module, conv, x, done);
  /* An int8 pointwise convolution: int8_pointwise holds, so it is planned. */
  size_t at = 0;
  while (at < plan->n && !mlirOperationEqual(plan->convs[at].op, conv))
    ++at;
  if (at == plan->n) {
    cooptEmitError(mlirOperationGetLocation(conv), "coopt-lower-kernels: internal error: an int8 pointwise "
                                                   "convolution the kernel plan did not read");
    return false;
  }
  const planned_conv *e = &plan->convs[at];
  if (!e->ok)
    return e->why ? no_kernel(conv, e->why) : true;
  const coopt_int8_weights *v = &e->v;
  const size_t N = v->n, K = v->k;
  const coopt_kernel_kind kind = e->kind;
  coopt_kernel_policy policy = kernel_policy(o);
  double dense_cost = cooptPredictKernel(policy.cpu, v, COOPT_KERNEL_DENSE, e->m);
  double zf = v->zero_block_fraction;
  remark_forced_fallback(conv, o, v, kind);
  coopt_rt_requant rq = int8_layer_rq(&e->L);
  coopt_rt_error err = {{0}};
  size_t size = v->sizes[kind];
  void *blob = aligned_blob(size);
  coopt_rt_status st = pack_qs8_gemm_kind(kind, N, K, v, e->L.w, e->L.bias, (int8_t)e->a_zp, &rq, blob, size, &err);
  bool result = true;
  if (st != COOPT_RT_OK) {
    cooptEmitError(mlirOperationGetLocation(conv), "coopt-lower-kernels: packing failed: %s", err.message);
    result = false;
  } else {
    kernel_prediction pred = {e->cost, policy.cpu};
    emit_gemm_call(module, conv, e->L.last, x, K, N, blob, size, kind_fn[kind], cooptKernelKindName(kind),
                   cooptKernelKept(v, kind), &pred);
    char what[256];
    cooptDescribeOp(conv, what, sizeof what);
    cooptEmitRemark(mlirOperationGetLocation(conv),
                    "coopt-lower-kernels: %s (%zux%zu weights, %zu rows): %s kernel, %zu packed bytes "
                    "(%.0f%% zero 1x4 blocks, %.0f%% zero 8x4 blocks, <= %zu values per channel); predicted %.0f %s "
                    "on %s (dense %.0f)",
                    what, N, K, e->m, cooptKernelKindName(kind), size, 100.0 * zf, 100.0 * v->zero_block8_fraction,
                    v->max_distinct, e->cost, cooptCostUnit(policy.cpu), cooptCostCpuName(policy.cpu), dense_cost);
    *done = true;
  }
  free(blob);
  return result;
}

/* tosa.matmul of activations [1, M, K] by constant weights [1, K, N], with
 * the tail coopt-lower-int8 or the importer leaves: an optional reshape to
 * [M, N], an optional add of a constant bias of N values, then the int8
 * requantization (+ clamp) or an f32 clamp.  Dense GEMM kernels: the
 * classifier layers this matches are small. */
static bool lower_matmul(MlirOperation module, MlirOperation mm, const lower_kernels_options *o, bool *done) {
  *done = false;
  MlirValue x = mlirOperationGetOperand(mm, 0);
  MlirType xt = mlirValueGetType(x), wt = mlirValueGetType(mlirOperationGetOperand(mm, 1));
  bool f32 = o->f32 == F32_ON && is_f32(xt) && is_f32(wt);
  if (!(f32 || (is_i8(xt) && is_i8(wt))) || mlirShapedTypeGetRank(xt) != 3 || mlirShapedTypeGetRank(wt) != 3)
    return true;
  MlirAttribute wv = const_values(mlirOperationGetOperand(mm, 1)), azp = const_values(mlirOperationGetOperand(mm, 2)),
                wzp = const_values(mlirOperationGetOperand(mm, 3));
  if (mlirAttributeIsNull(wv) || mlirAttributeIsNull(azp) || mlirAttributeIsNull(wzp))
    return true;
  if (!static_or_fail(mm, xt))
    return false;
  if (mlirShapedTypeGetDimSize(xt, 0) != 1 || mlirShapedTypeGetDimSize(wt, 0) != 1)
    return true;
  size_t K = (size_t)mlirShapedTypeGetDimSize(wt, 1), N = (size_t)mlirShapedTypeGetDimSize(wt, 2);
  int64_t a_zp = 0;
  if (f32 ? cooptDenseFloatAt(azp, 0) != 0.0f || cooptDenseFloatAt(wzp, 0) != 0.0f : !int8_zero_points(mm, 2, &a_zp))
    return true;
  /* The tail: reshape, bias add. */
  MlirOperation cur = mm, u = cooptSoleUser(cooptResult(mm));
  if (cooptOpIs(u, "tosa.reshape"))
    cur = u, u = cooptSoleUser(cooptResult(u));
  MlirAttribute bv = mlirAttributeGetNull();
  if (cooptOpIs(u, "tosa.add")) {
    for (int i = 0; i < 2 && mlirAttributeIsNull(bv); ++i) {
      MlirAttribute c = const_values(mlirOperationGetOperand(u, i));
      MlirType ct = mlirValueGetType(mlirOperationGetOperand(u, i));
      if (!mlirAttributeIsNull(c) && mlirElementsAttrGetNumElements(c) == (int64_t)N &&
          mlirShapedTypeGetDimSize(ct, mlirShapedTypeGetRank(ct) - 1) == (int64_t)N &&
          mlirValueEqual(mlirOperationGetOperand(u, 1 - i), cooptResult(cur)))
        bv = c;
    }
    if (!mlirAttributeIsNull(bv))
      cur = u;
  }
  size_t size = 0, M = (size_t)mlirShapedTypeGetDimSize(xt, 1);
  void *blob = NULL;
  coopt_rt_error err = {{0}};
  coopt_rt_status status;
  MlirOperation last;
  coopt_kernel_kind kind = COOPT_KERNEL_DENSE;
  kernel_prediction pred = {0, cost_cpu(o)};
  double kept = 1.0;
  if (f32) {
    float *w = coopt_xmalloc(N * K * sizeof *w), *bias = coopt_xcalloc(N, sizeof *bias), lo, hi;
    for (size_t k = 0; k < K; ++k)
      for (size_t n = 0; n < N; ++n)
        w[n * K + k] = cooptDenseFloatAt(wv, (int64_t)(k * N + n));
    for (size_t n = 0; n < N && !mlirAttributeIsNull(bv); ++n)
      bias[n] = cooptDenseFloatAt(bv, (int64_t)n);
    last = match_f32_clamp(cur, &lo, &hi);
    size = coopt_rt_f32_gemm_packed_size(N, K);
    blob = aligned_blob(size);
    status = coopt_rt_pack_f32_gemm(N, K, w, bias, lo, hi, blob, size, &err);
    free(w), free(bias);
  } else {
    int8_layer L;
    if (!read_int8_layer(cur, wv, bv, N, K, true, &L))
      return no_kernel(mm, "its int32 result is not requantized by a tosa.rescale that only it feeds");
    last = L.last;
    coopt_rt_requant rq = int8_layer_rq(&L);
    /* The same choice as a pointwise layer's, on its own (a classifier is
     * one call, usually of one row, so objective=balanced keeps it dense
     * unless a compact form costs under the slack; size takes the
     * smallest). */
    coopt_int8_weights v;
    cooptAnalyzeInt8Weights(L.w, N, K, &v);
    const coopt_kernel_policy policy = kernel_policy(o);
    kind = cooptChooseKernel(&policy, &v, M, &pred.cost);
    remark_forced_fallback(mm, o, &v, kind);
    kept = cooptKernelKept(&v, kind);
    size = v.sizes[kind];
    blob = aligned_blob(size);
    status = pack_qs8_gemm_kind(kind, N, K, &v, L.w, L.bias, (int8_t)a_zp, &rq, blob, size, &err);
    cooptInt8WeightsFree(&v);
    int8_layer_free(&L);
  }
  if (status != COOPT_RT_OK) {
    cooptEmitError(mlirOperationGetLocation(mm), "coopt-lower-kernels: packing failed: %s", err.message);
    free(blob);
    return false;
  }
  emit_gemm_call(module, mm, last, x, K, N, blob, size, f32 ? "coopt_rt_mlir_f32_gemm" : kind_fn[kind],
                 f32 ? "dense f32" : cooptKernelKindName(kind), kept, f32 ? NULL : &pred);
  char what[256];
  cooptDescribeOp(mm, what, sizeof what);
  cooptEmitRemark(mlirOperationGetLocation(mm),
                  "coopt-lower-kernels: %s (%zux%zu weights, %zu rows): %s kernel, %zu packed bytes", what, K, N, M,
                  f32 ? "dense f32" : cooptKernelKindName(kind), size);
  *done = true;
  free(blob);
  return true;
}

static coopt_pass_result run_lower_kernels(MlirOperation module, const void *opaque) {
  const lower_kernels_options *o = opaque;
  bool arm_cpu = o->cpu != CPU_AUTO && o->cpu != CPU_NATIVE && cooptCostCpuIsAarch64((coopt_cost_cpu)(o->cpu - 1));
  if (o->cpu != CPU_AUTO && arm_cpu != (o->target == TARGET_AARCH64)) {
    cooptEmitError(mlirOperationGetLocation(module), "coopt-lower-kernels: cpu=%s is not a CPU of target=%s",
                   cpu_values[o->cpu], target_values[o->target]);
    return COOPT_PASS_FAILURE;
  }
  /* The kernel is chosen from the values, so a false claim could not make
   * wrong code; but a claim the weights contradict means an earlier step
   * broke what it promised, and compiling on would hide that. */
  if (!cooptVerifyStructureClaims(module, "coopt-lower-kernels: ", "; no kernel is chosen from a broken claim"))
    return COOPT_PASS_FAILURE;
  bool route_dw = o->depthwise != DEPTHWISE_OFF;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  coopt_pass_result result = COOPT_PASS_SUCCESS;
  for (MlirOperation fn = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(fn);
       fn = mlirOperationGetNextInBlock(fn)) {
    if (!cooptOpIs(fn, "func.func"))
      continue;
    MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
    if (mlirBlockIsNull(block))
      continue;
    size_t n = 0, cap = 16;
    MlirOperation *targets = coopt_xmalloc(cap * sizeof *targets);
    for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op))
      if (cooptOpIs(op, "tosa.conv2d") || cooptOpIs(op, "tosa.matmul") ||
          (route_dw && cooptOpIs(op, "tosa.depthwise_conv2d"))) {
        if (n == cap)
          targets = coopt_xrealloc(targets, (cap *= 2) * sizeof *targets);
        targets[n++] = op;
      }
    bool any = false;
    kernel_plan plan = plan_kernels(targets, n, o);
    for (size_t i = 0; i < n; ++i) {
      bool done;
      bool ok = cooptOpIs(targets[i], "tosa.depthwise_conv2d") ? lower_dw(module, targets[i], o, &done)
                : cooptOpIs(targets[i], "tosa.matmul")         ? lower_matmul(module, targets[i], o, &done)
                                                               : lower_conv(module, targets[i], o, &plan, &done);
      if (!ok)
        result = COOPT_PASS_FAILURE;
      any |= done;
    }
    kernel_plan_free(&plan);
    free(targets);
    if (any)
      cooptEraseDeadTosa(block);
  }
  return result;
}

const coopt_pass_info coopt_lower_kernels_pass = {
    .argument = "coopt-lower-kernels",
    .summary = "Replace convolutions and matmuls with constant weights by calls into coopt's dense / sparse / "
               "lookup-table kernels",
    .description = "Weights are packed at compile time by the runtime's packing functions; the kernel is chosen "
                   "from the weights' zero blocks and distinct values, and reported as a remark.",
    .anchor = "builtin.module",
    .options = lower_kernels_option_table,
    .num_options = sizeof lower_kernels_option_table / sizeof lower_kernels_option_table[0],
    .options_size = sizeof(lower_kernels_options),
    .run = run_lower_kernels,
};
