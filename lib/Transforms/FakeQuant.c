/*
 * coopt-fake-quant: make the float graph compute what the int8 graph will.
 *
 * Activations: at every quantization point (lib/Analysis/Quant.h) an explicit
 * chain  mul(1/s) -> add(zp) -> cast to i8 -> cast to f32 -> sub(zp) ->
 * mul(s)  is inserted.  The cast to i8 rounds half to even and saturates
 * (the TOSA spec's float-to-int CAST), which is what makes the chain a
 * quantizer; unlike quant.qcast/dcast nothing folds it away.  Its last op
 * carries coopt.fake_quant = {scale, zero_point}; coopt-lower-int8 keeps
 * the quantize half at a float entry and the dequantize half at a float exit.
 *
 * Weights are constants, so their fake-quant is evaluated now: each weight
 * becomes q * s exactly (symmetric int8 in [-127, 127], zero point 0, one
 * scale per output channel or per tensor), with the scales recorded as
 * coopt.quant.  Biases of conv2d / depthwise_conv2d / matmul+add become
 * int32 multiples of in_scale * w_scale.  Zero point 0 keeps every zero
 * weight zero.  Quantizing a clustered weight maps each centroid to one
 * code, so the number of distinct values per scale group cannot grow; with
 * preserve-clusters the scale group is made to contain the cluster group and
 * a scale that keeps distinct centroids on distinct codes is searched for.
 *
 * exact=true (default) then replaces the float arithmetic between chains by
 * the int8 graph's own (see "exact=true" below).
 */
#include "Analysis/Quant.h"
#include "Analysis/Structure.h"
#include "Analysis/WeightStats.h"
#include "Analysis/Weights.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "Transforms/WeightSelect.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"
#include "coopt_rt/quant.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct fake_quant_options {
  int64_t bits;
  bool per_channel;
  bool preserve_sparsity;
  bool preserve_clusters;
  bool exact;
} fake_quant_options;

static const coopt_option_info fake_quant_option_table[] = {
    {"bits",
     COOPT_OPT_INT,
     "integer width of weights and activations (only 8 is supported)",
     "8",
     {true, true, false, false, 2, 16},
     NULL,
     offsetof(fake_quant_options, bits)},
    {"per-channel",
     COOPT_OPT_BOOL,
     "one weight scale per output channel (false: one per tensor)",
     "true",
     {0},
     NULL,
     offsetof(fake_quant_options, per_channel)},
    {"preserve-sparsity",
     COOPT_OPT_BOOL,
     "verify that every zero weight stays exactly zero and update sparsity claims",
     "false",
     {0},
     NULL,
     offsetof(fake_quant_options, preserve_sparsity)},
    {"preserve-clusters",
     COOPT_OPT_BOOL,
     "quantize the codebook: never more distinct values per cluster group, centroids kept on distinct codes when the "
     "range allows",
     "false",
     {0},
     NULL,
     offsetof(fake_quant_options, preserve_clusters)},
    {"exact",
     COOPT_OPT_BOOL,
     "emulate the int8 graph's arithmetic exactly: conv/matmul/avg_pool on integer codes, requantization with the int8 "
     "graph's multipliers and rounding (false: textbook float fake-quant, products of dequantized values in f32)",
     "true",
     {0},
     NULL,
     offsetof(fake_quant_options, exact)},
};

static bool validate_fake_quant(const void *opaque, char *msg, size_t size) {
  const fake_quant_options *o = opaque;
  if (o->bits != 8) {
    snprintf(msg, size, "bits=%lld is not supported yet: coopt quantizes to int8 only", (long long)o->bits);
    return false;
  }
  return true;
}

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

/* Insert the chain after v's definition; every use of v moves to its output. */
static void insert_fake_quant(MlirOperation func, MlirValue v, double scale, int32_t zp) {
  MlirOperation before;
  if (mlirValueIsAOpResult(v))
    before = mlirOperationGetNextInBlock(mlirOpResultGetOwner(v));
  else
    before = mlirBlockGetFirstOperation(mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0)));
  coopt_builder b = cooptBuilderBefore(before);
  if (mlirValueIsAOpResult(v))
    b.loc = mlirOperationGetLocation(mlirOpResultGetOwner(v));
  MlirType t = mlirValueGetType(v), i8 = cooptTensorTypeLike(t, mlirIntegerTypeGet(b.ctx, 8));
  int rank = (int)mlirShapedTypeGetRank(t);
  MlirValue inv = cooptScalarF32(&b, rank, (float)(1.0 / scale));
  MlirValue zpf = cooptScalarF32(&b, rank, (float)zp);
  MlirValue sc = cooptScalarF32(&b, rank, (float)scale);
  MlirValue shift = cooptZeroPointI8(&b, 0);
  MlirValue a[3] = {v, inv, shift};
  MlirOperation mul_q = cooptBuildOp(&b, "tosa.mul", 3, a, t, 0, NULL);
  MlirValue a2[2] = {cooptResult(mul_q), zpf};
  MlirValue added = cooptResult(cooptBuildOp(&b, "tosa.add", 2, a2, t, 0, NULL));
  MlirValue q = cooptResult(cooptBuildOp(&b, "tosa.cast", 1, &added, i8, 0, NULL));
  MlirValue f = cooptResult(cooptBuildOp(&b, "tosa.cast", 1, &q, t, 0, NULL));
  MlirValue a3[2] = {f, zpf};
  MlirValue sub = cooptResult(cooptBuildOp(&b, "tosa.sub", 2, a3, t, 0, NULL));
  MlirValue a4[3] = {sub, sc, shift};
  MlirOperation dq = cooptBuildOp(&b, "tosa.mul", 3, a4, t, 0, NULL);
  cooptSetFakeQuant(dq, scale, zp);
  mlirValueReplaceAllUsesOfWith(v, cooptResult(dq));
  mlirOperationSetOperand(mul_q, 0, v);
}

/* The activation parameters feeding `v`: back through layout ops to a chain. */
static bool activation_params(MlirValue v, double *scale, int64_t *zp) {
  for (;;) {
    MlirOperation d = cooptDefiningOp(v);
    if (mlirOperationIsNull(d))
      return false;
    if (cooptGetFakeQuant(d, scale, zp))
      return true;
    if (!cooptIsLayoutOp(d))
      return false;
    v = mlirOperationGetOperand(d, 0);
  }
}

/* The bias constant of an anchor op: conv operand 2, or the add after a
 * matmul (through reshapes). */
static float quantize_weight(float w, double s) { return (float)(cooptWeightCode(w, s) * s); }

/* Are the distinct values of each cluster group (len values at stride
 * `group_len` within [begin, end)) still distinct after quantization with s? */
static bool keeps_codebook(const float *sorted_groups, const int64_t *group_sizes, int64_t groups, double s) {
  const float *g = sorted_groups;
  for (int64_t k = 0; k < groups; ++k) {
    for (int64_t i = 1; i < group_sizes[k]; ++i)
      if (quantize_weight(g[i], s) == quantize_weight(g[i - 1], s))
        return false;
    g += group_sizes[k];
  }
  return true;
}

/* Sorted distinct values of v[0..n) into out; returns the count. */
static int64_t distinct_sorted(const float *v, int64_t n, float *out) {
  memcpy(out, v, (size_t)n * sizeof *out);
  cooptSortFloats(out, n);
  int64_t m = 0;
  for (int64_t i = 0; i < n; ++i)
    if (m == 0 || out[i] != out[m - 1])
      out[m++] = out[i];
  return m;
}

/* One weight tensor being fake-quantized. */
typedef struct weight_job {
  coopt_weight *w;
  const fake_quant_options *o;
  char what[512];
  MlirLocation loc;
  float *v;
  coopt_structure st;
  double *scales;
  int64_t nscales, scale_len;
} weight_job;

/* A slightly coarser grid than s0 moves the rounding boundaries: the first
 * one (within +100%) on which every cluster keeps a code of its own, or s0
 * with a remark when there is none.  Finer grids would clip the extremes. */
static double cluster_keeping_scale(const weight_job *J, const float *x, int64_t g, double s0, float *sorted,
                                    int64_t *sizes) {
  int64_t len = J->w->num_elements / J->w->rows;
  /* Cluster groups inside this scale group: whole group, or its rows. */
  int64_t groups = J->st.per_channel ? J->scale_len / len : 1, glen = J->scale_len / groups, total = 0;
  for (int64_t k = 0; k < groups; ++k) {
    sizes[k] = distinct_sorted(x + k * glen, glen, sorted + total);
    total += sizes[k];
  }
  if (keeps_codebook(sorted, sizes, groups, s0))
    return s0;
  for (int k = 1; k <= 1000; ++k)
    if (keeps_codebook(sorted, sizes, groups, s0 * (1.0 + k / 1000.0)))
      return s0 * (1.0 + k / 1000.0);
  if (J->nscales > 1)
    cooptEmitRemark(J->loc,
                    "coopt-fake-quant: %s channel %lld: centroids too close to keep apart on int8 codes; "
                    "some share a code",
                    J->what, (long long)g);
  else
    cooptEmitRemark(J->loc, "coopt-fake-quant: %s: centroids too close to keep apart on int8 codes; some share a code",
                    J->what);
  return s0;
}

/* Symmetric scales, per channel or per tensor: max |w| / 127, coarsened
 * where that keeps a clustered weight's values apart. */
static void choose_scales(weight_job *J) {
  const fake_quant_options *o = J->o;
  coopt_weight *w = J->w;
  int64_t rows = w->rows;
  bool per_channel = o->per_channel;
  if (o->preserve_clusters && J->st.has_clusters && !J->st.per_channel && per_channel) {
    /* Per-channel scales would give each channel its own copy of the
     * tensor's codebook. */
    per_channel = false;
    cooptEmitRemark(J->loc,
                    "coopt-fake-quant: %s is clustered per tensor; quantizing it per tensor to keep %lld values",
                    J->what, (long long)J->st.clusters);
  }
  J->nscales = per_channel ? rows : 1, J->scale_len = w->num_elements / J->nscales;
  J->scales = coopt_xmalloc((size_t)J->nscales * sizeof *J->scales);
  double tensor_max = 0;
  for (int64_t i = 0; i < w->num_elements; ++i)
    tensor_max = fmax(tensor_max, fabs((double)J->v[i]));
  float *sorted = coopt_xmalloc((size_t)J->scale_len * sizeof *sorted);
  int64_t *sizes = coopt_xmalloc((size_t)(rows + 1) * sizeof *sizes);
  for (int64_t g = 0; g < J->nscales; ++g) {
    const float *x = J->v + g * J->scale_len;
    double m = 0;
    for (int64_t i = 0; i < J->scale_len; ++i)
      m = fmax(m, fabs((double)x[i]));
    /* An all-zero channel takes the tensor's scale, so that its bias scale
     * (in_scale * w_scale) stays in a sane range. */
    double s0 = (m > 0 ? m : tensor_max > 0 ? tensor_max : 1.0) / 127.0;
    J->scales[g] = o->preserve_clusters && J->st.has_clusters ? cluster_keeping_scale(J, x, g, s0, sorted, sizes) : s0;
  }
  free(sorted);
  free(sizes);
}

/* The weights on their int8 grids; a zero must stay zero under
 * preserve-sparsity. */
static bool round_to_grid(weight_job *J) {
  bool ok = true;
  for (int64_t i = 0; i < J->w->num_elements; ++i) {
    float q = quantize_weight(J->v[i], J->scales[i / J->scale_len]);
    if (J->o->preserve_sparsity && J->v[i] == 0 && q != 0) {
      cooptEmitError(J->loc, "coopt-fake-quant: %s: zero weight %lld became %g", J->what, (long long)i, (double)q);
      ok = false;
    }
    J->v[i] = q;
  }
  return ok;
}

/* Claims: measured sparsity only grows (small weights may round to 0); a
 * cluster claim the quantization broke is dropped, visibly (an error under
 * preserve-clusters).  The weights are stored with their claims and scales. */
static bool store_with_claims(weight_job *J) {
  coopt_weight *w = J->w;
  coopt_structure *st = &J->st;
  bool ok = true;
  char msg[512];
  if (st->has_sparsity)
    cooptMeasureSparsity(w, J->v, st);
  if (st->has_clusters) {
    coopt_structure only = {0};
    only.has_clusters = true, only.clusters = st->clusters, only.per_channel = st->per_channel;
    if (!cooptCheckStructure(w, J->v, &only, msg, sizeof msg)) {
      if (J->o->preserve_clusters) {
        cooptEmitError(J->loc, "coopt-fake-quant: %s: cluster claim broken: %s", J->what, msg);
        ok = false;
      } else {
        cooptEmitRemark(J->loc,
                        "coopt-fake-quant: %s: quantization broke its cluster claim (%s); dropping it "
                        "(preserve-clusters=true keeps it)",
                        J->what, msg);
        st->has_clusters = false;
      }
    }
  }
  if (!cooptCheckStructure(w, J->v, st, msg, sizeof msg)) {
    cooptEmitError(J->loc, "coopt-fake-quant: %s: structure claim broken: %s", J->what, msg);
    ok = false;
  }
  cooptWeightStore(w, J->v);
  if (cooptStructureClaims(st))
    cooptSetStructure(w, st);
  else
    mlirOperationRemoveDiscardableAttributeByName(w->constant, S("coopt.structure"));
  cooptSetConstQuant(w->constant, 8, J->scales, J->nscales);
  return ok;
}

/* Bias: int32 on the in_scale * w_scale grid, once the input's parameters
 * are known. */
static void quantize_bias_of(const weight_job *J) {
  MlirOperation user = J->w->user, bias = cooptBiasOf(user);
  double in_scale;
  int64_t in_zp;
  if (mlirOperationIsNull(bias) || !activation_params(mlirOperationGetOperand(user, 0), &in_scale, &in_zp) ||
      !mlirAttributeIsNull(mlirOperationGetAttributeByName(bias, S("coopt.quant"))))
    return;
  MlirAttribute vals = mlirOperationGetAttributeByName(bias, S("values"));
  MlirType bt = mlirAttributeGetType(vals);
  int64_t n = mlirElementsAttrGetNumElements(vals);
  if (!cooptIsF32Tensor(bt) || (n != J->w->rows && n != 1))
    return;
  float *b = coopt_xmalloc((size_t)n * sizeof *b);
  double *bs = coopt_xmalloc((size_t)n * sizeof *bs);
  for (int64_t i = 0; i < n; ++i) {
    double s = in_scale * J->scales[J->nscales == 1 ? 0 : i];
    b[i] = (float)(cooptBiasCode((double)cooptDenseFloatAt(vals, i), s) * s);
    bs[i] = s;
  }
  mlirOperationSetAttributeByName(bias, S("values"), mlirDenseElementsAttrFloatGet(bt, n, b));
  cooptSetConstQuant(bias, 32, bs, n);
  free(b);
  free(bs);
}

static coopt_pass_result quantize_weights(const coopt_weight_set *set, const fake_quant_options *o) {
  coopt_pass_result result = COOPT_PASS_SUCCESS;
  for (size_t t = 0; t < set->count; ++t) {
    weight_job J;
    memset(&J, 0, sizeof J);
    J.w = &set->items[t], J.o = o;
    cooptWeightDescribe(J.w, J.what, sizeof J.what);
    J.loc = mlirOperationGetLocation(J.w->user);
    coopt_elem_kind e = J.w->elem;
    if (e != COOPT_ELEM_F32 && e != COOPT_ELEM_F16 && e != COOPT_ELEM_BF16 && e != COOPT_ELEM_F64) {
      cooptEmitRemark(J.loc, "coopt-fake-quant: %s is already integer; left as is", J.what);
      continue;
    }
    if (!(J.v = cooptLoadFinite(J.w, "coopt-fake-quant"))) {
      result = COOPT_PASS_FAILURE;
      continue;
    }
    J.st = cooptGetStructure(J.w);
    choose_scales(&J);
    if (!round_to_grid(&J))
      result = COOPT_PASS_FAILURE;
    if (!store_with_claims(&J))
      result = COOPT_PASS_FAILURE;
    quantize_bias_of(&J);
    free(J.scales);
    free(J.v);
  }
  return result;
}

/* ---- exact=true: the int8 graph's arithmetic, carried out in float ----
 *
 * The textbook chain above quantizes the f32 result of a convolution of
 * dequantized values.  Each product and partial sum of that convolution is
 * rounded to f32, so where the exact result lies within ~1e-5 of a .5
 * boundary of the output grid the chain and the int8 graph round to
 * different codes; every such flip then propagates through the layers that
 * follow and grows.  exact=true removes the difference at its source, by
 * computing what coopt-lower-int8's ops compute:
 *   - the convolution runs on integer codes: the input's codes (q - zp) are
 *     recovered from its dequantized value, the weight and bias constants
 *     hold their codes (coopt.quant codes = true).  Every product and
 *     partial sum is an integer below 2^23 (checked per channel), so f32 is
 *     exact;
 *   - the accumulator is requantized as tosa.rescale (SINGLE_ROUND) does,
 *     floor(acc * m * 2^-shift + 0.5) with coopt-lower-int8's own (m, shift),
 *     in binary64 where the product and the floor are exact
 *     (coopt_apply_scale_exact_in_f64; past 2^53 a split form,
 *     coopt_apply_scale_split_exact_in_f64), and dequantized onto the
 *     output grid;
 *   - avg_pool2d's window sum is recovered from its f32 average and divided
 *     with TOSA's reciprocal_scale multiplier, as the int8 avg_pool2d does;
 *   - add / sub of two activations rescales both inputs onto
 *     coopt-lower-int8's common grid and requantizes the sum.
 * The output chain then quantizes a value that is already on its grid.
 * Where the bounds that make this exact do not hold (a huge accumulator, a
 * padded avg_pool2d whose divisor varies, broadcast operands), the op keeps
 * the textbook form and a remark says so. */

static MlirOperation emulation_op(coopt_builder *b, const char *name, intptr_t n, const MlirValue *operands,
                                  MlirType t) {
  MlirOperation op = cooptBuildOp(b, name, n, operands, t, 0, NULL);
  cooptTagExactEmulation(op);
  return op;
}

static int rank_of(MlirValue v) { return (int)mlirShapedTypeGetRank(mlirValueGetType(v)); }

/* The integer nearest to x * factor, for an f32 x * factor known to lie
 * within a few ulp of it: mul, then cast to i32 (which rounds), then back to
 * f32.  *first (if non-NULL) is the mul, the op that reads x. */
static MlirValue nearest_integer(coopt_builder *b, MlirValue x, float factor, MlirOperation *first) {
  MlirType t = mlirValueGetType(x);
  MlirValue a[3] = {x, cooptScalarF32(b, rank_of(x), factor), cooptZeroPointI8(b, 0)};
  MlirOperation mul = emulation_op(b, "tosa.mul", 3, a, t);
  if (first)
    *first = mul;
  MlirValue m = cooptResult(mul);
  MlirValue i =
      cooptResult(emulation_op(b, "tosa.cast", 1, &m, cooptTensorTypeLike(t, mlirIntegerTypeGet(b->ctx, 32))));
  return cooptResult(emulation_op(b, "tosa.cast", 1, &i, t));
}

/* q - zp of a dequantized activation x = (q - zp) * s: x * (1/s) lies within
 * a few ulp of that integer. */
static MlirValue recover_codes(coopt_builder *b, MlirValue x, double scale) {
  return nearest_integer(b, x, (float)(1.0 / scale), NULL);
}

/* How binary64 carries out apply_scale_32 for values up to a bound. */
typedef enum requant_form { REQUANT_NONE, REQUANT_DIRECT, REQUANT_SPLIT } requant_form;

static requant_form requant_form_for(int64_t bound, int32_t m, int32_t shift) {
  if (coopt_apply_scale_exact_in_f64(bound, m, shift))
    return REQUANT_DIRECT;
  if (coopt_apply_scale_split_exact_in_f64(bound, m, shift))
    return REQUANT_SPLIT;
  return REQUANT_NONE;
}

/* The per-channel constant f(m[c], shift[c]) as an f64 tensor [1, ..., n]. */
static MlirValue channel_const(coopt_builder *b, int rank, const int32_t *m, const int32_t *sh, int64_t n,
                               double (*f)(int32_t, int32_t)) {
  int64_t shape[8];
  for (int i = 0; i < rank; ++i)
    shape[i] = 1;
  shape[rank - 1] = n;
  double *v = coopt_xmalloc((size_t)n * sizeof *v);
  for (int64_t c = 0; c < n; ++c)
    v[c] = f(m[c], sh[c]);
  MlirValue r = cooptConstF64(b, rank, shape, v);
  free(v);
  return r;
}
static double multiplier_real(int32_t m, int32_t sh) { return ldexp((double)m, -sh); }
static double multiplier_int(int32_t m, int32_t sh) { return (void)sh, (double)m; }
static double round_bit(int32_t m, int32_t sh) { return (void)m, ldexp(1.0, sh - 1); }
static double high_shift(int32_t m, int32_t sh) { return (void)m, ldexp(1.0, -(sh - 16)); }

static MlirValue binary64(coopt_builder *b, const char *name, MlirValue x, MlirValue y) {
  MlirValue a[3] = {x, y, x};
  intptr_t n = 2;
  if (strcmp(name, "tosa.mul") == 0)
    a[2] = cooptZeroPointI8(b, 0), n = 3;
  return cooptResult(emulation_op(b, name, n, a, mlirValueGetType(x)));
}

/* apply_scale_32(x, m[c], shift[c], SINGLE_ROUND) on an integer-valued f64
 * tensor, exactly.  DIRECT: floor(x * m 2^-shift + 0.5), exact while
 * |x| m + 2^(shift-1) < 2^53.  SPLIT, for larger products: with
 * x = hi 2^16 + lo (0 <= lo < 2^16), A = hi m and B = lo m + 2^(shift-1) are
 * exact, and floor((A 2^16 + B) / 2^shift) = floor((A + floor(B / 2^16)) /
 * 2^(shift-16)) (nested floor division), every step exact. */
static MlirValue apply_scale_f64(coopt_builder *b, MlirValue x, const int32_t *m, const int32_t *sh, int64_t n,
                                 requant_form form) {
  int rank = rank_of(x);
  if (form == REQUANT_DIRECT) {
    MlirValue y = binary64(b, "tosa.mul", x, channel_const(b, rank, m, sh, n, multiplier_real));
    y = binary64(b, "tosa.add", y, cooptScalarF64(b, rank, 0.5));
    return cooptResult(emulation_op(b, "tosa.floor", 1, &y, mlirValueGetType(y)));
  }
  MlirType t = mlirValueGetType(x);
  MlirValue hi = binary64(b, "tosa.mul", x, cooptScalarF64(b, rank, ldexp(1.0, -16)));
  hi = cooptResult(emulation_op(b, "tosa.floor", 1, &hi, t));
  MlirValue lo = binary64(b, "tosa.sub", x, binary64(b, "tosa.mul", hi, cooptScalarF64(b, rank, 65536.0)));
  MlirValue mv = channel_const(b, rank, m, sh, n, multiplier_int);
  MlirValue A = binary64(b, "tosa.mul", hi, mv);
  MlirValue B = binary64(b, "tosa.add", binary64(b, "tosa.mul", lo, mv), channel_const(b, rank, m, sh, n, round_bit));
  MlirValue Bh = binary64(b, "tosa.mul", B, cooptScalarF64(b, rank, ldexp(1.0, -16)));
  Bh = cooptResult(emulation_op(b, "tosa.floor", 1, &Bh, t));
  MlirValue y = binary64(b, "tosa.mul", binary64(b, "tosa.add", A, Bh), channel_const(b, rank, m, sh, n, high_shift));
  return cooptResult(emulation_op(b, "tosa.floor", 1, &y, t));
}

/* Integer-valued f64 codes (q - zp) back to f32 type t, dequantized with
 * s_out; returns the final mul. */
static MlirOperation dequantize_codes(coopt_builder *b, MlirValue y, MlirType t, double s_out) {
  MlirValue code = cooptResult(emulation_op(b, "tosa.cast", 1, &y, t));
  MlirValue a[3] = {code, cooptScalarF32(b, rank_of(code), (float)s_out), cooptZeroPointI8(b, 0)};
  return emulation_op(b, "tosa.mul", 3, a, t);
}

/* An integer-valued f32 accumulator requantized with (m[c], shift[c]) per
 * channel of the last axis (or one), then dequantized with s_out. */
static MlirValue requantize_exactly(coopt_builder *b, MlirValue acc, const int32_t *m, const int32_t *sh, int64_t n,
                                    requant_form form, double s_out, MlirOperation *first) {
  MlirType t = mlirValueGetType(acc), t64 = cooptTensorTypeLike(t, mlirF64TypeGet(b->ctx));
  *first = emulation_op(b, "tosa.cast", 1, &acc, t64);
  MlirValue y = apply_scale_f64(b, cooptResult(*first), m, sh, n, form);
  return cooptResult(dequantize_codes(b, y, t, s_out));
}

/* Route every use of v but `first` (the emulation's own reader) to `out`. */
static void reroute(MlirValue v, MlirOperation first, MlirValue out) {
  mlirValueReplaceAllUsesOfWith(v, out);
  mlirOperationSetOperand(first, 0, v);
}

static coopt_builder builder_after(MlirValue v) {
  coopt_builder b = cooptBuilderBefore(mlirOperationGetNextInBlock(mlirOpResultGetOwner(v)));
  b.loc = mlirOperationGetLocation(mlirOpResultGetOwner(v));
  return b;
}

/* Largest |q - zp| of an int8 activation with zero point zp. */
static int64_t max_code(int64_t zp) { return 127 - zp > zp + 128 ? 127 - zp : zp + 128; }

static bool keep_textbook(MlirOperation op, const char *why) {
  char what[512];
  cooptDescribeOp(op, what, sizeof what);
  cooptEmitRemark(mlirOperationGetLocation(op), "coopt-fake-quant: %s keeps the float emulation: %s", what, why);
  return false;
}

/* An anchor's bias codes on its own grid s_in * w_scale, computed as
 * coopt-lower-int8 computes them: n values, element i in channel i % rows.
 * NULL when one value is broadcast over channels of different scales. */
static int32_t *bias_codes(MlirOperation bias, double s_in, const double *ws, int64_t nscales, int64_t rows, int64_t *n,
                           double **scales) {
  MlirAttribute vals = mlirOperationGetAttributeByName(bias, S("values"));
  *n = mlirElementsAttrGetNumElements(vals);
  if (*n == 1 && nscales > 1)
    return NULL;
  int32_t *q = coopt_xmalloc((size_t)*n * sizeof *q);
  *scales = coopt_xmalloc((size_t)*n * sizeof **scales);
  for (int64_t i = 0; i < *n; ++i) {
    double sc = s_in * ws[nscales == 1 ? 0 : i % rows];
    q[i] = cooptBiasCode((double)cooptDenseFloatAt(vals, i), sc);
    (*scales)[i] = sc;
  }
  return q;
}

/* The anchor's accumulator: through the matmul's reshape and bias add,
 * before any clamp (which stays on the real values, as in the textbook
 * form).  *bias_user / *bias_operand: where the bias enters (conv operand 2,
 * or the matmul's add). */
static MlirValue accumulator_of(MlirOperation A, MlirOperation bias, MlirOperation *bias_user, intptr_t *bias_operand) {
  *bias_user = A;
  *bias_operand = 2;
  MlirValue acc = cooptResult(A);
  for (MlirOperation u = cooptSoleUser(acc);
       cooptOpIs(u, "tosa.reshape") || (cooptOpIs(u, "tosa.add") && !mlirOperationIsNull(bias) &&
                                        mlirOperationEqual(cooptDefiningOp(mlirOperationGetOperand(u, 1)), bias));
       u = cooptSoleUser(acc)) {
    if (cooptOpIs(u, "tosa.add"))
      *bias_user = u, *bias_operand = 1;
    acc = cooptResult(u);
  }
  return acc;
}

/* What one anchor's exact emulation needs: its input grid, weight scales,
 * bias codes, and per output channel the requantization multiplier. */
typedef struct anchor_codes {
  double s_in, s_out, *ws, *bs;
  int64_t zp_in, nscales, nb, rows;
  int32_t *bq, *m, *sh;
  requant_form form;
} anchor_codes;

/* Turn v (the anchor's float weights) into codes in place and choose each
 * channel's requantization; the reason the emulation cannot be exact, or
 * NULL. */
static const char *code_weights(anchor_codes *c, float *v, int64_t len) {
  c->form = REQUANT_DIRECT;
  for (int64_t row = 0; row < c->rows; ++row) {
    double s_w = c->ws[c->nscales == 1 ? 0 : row];
    /* With input codes in [lo, hi] the accumulator lies in
     * [lo P - hi N, hi P - lo N] for P, N the sums of the positive and
     * negative weight codes' magnitudes (after a ReLU, lo = 0 and the bound
     * is about half of max|code| * sum|w|). */
    int64_t pos = 0, neg = 0, lo = -128 - c->zp_in, hi = 127 - c->zp_in;
    for (int64_t i = row * len; i < (row + 1) * len; ++i) {
      int64_t q = cooptWeightCode(v[i], s_w);
      v[i] = (float)q;
      pos += q > 0 ? q : 0;
      neg += q < 0 ? -q : 0;
    }
    int64_t top = hi * pos - lo * neg, bottom = lo * pos - hi * neg;
    int64_t bound = (top > -bottom ? top : -bottom) + (c->bq ? llabs((int64_t)c->bq[c->nb == 1 ? 0 : row]) : 0);
    requant_form f;
    if (!coopt_quantize_multiplier(cooptAccumulatorReal(c->s_in, s_w, c->s_out), &c->m[row], &c->sh[row]))
      return "its requantization multiplier is outside what tosa.rescale can represent";
    if (bound >= (1 << 23) || (f = requant_form_for(bound, c->m[row], c->sh[row])) == REQUANT_NONE)
      return "its accumulator can exceed the range f32 and f64 hold exactly";
    if (f == REQUANT_SPLIT)
      c->form = REQUANT_SPLIT;
  }
  return NULL;
}

/* Give bias_user a constant of its own holding the bias codes: a bias
 * shared with another op is on that op's grid there. */
static void replace_bias_by_codes(MlirOperation bias, MlirOperation bias_user, intptr_t bias_operand,
                                  const anchor_codes *c) {
  MlirType bt = mlirValueGetType(cooptResult(bias));
  int rank = (int)mlirShapedTypeGetRank(bt);
  int64_t shape[8];
  for (int i = 0; i < rank && i < 8; ++i)
    shape[i] = mlirShapedTypeGetDimSize(bt, i);
  float *bf = coopt_xmalloc((size_t)c->nb * sizeof *bf);
  for (int64_t i = 0; i < c->nb; ++i)
    bf[i] = (float)c->bq[i];
  coopt_builder bb = cooptBuilderBefore(bias_user);
  MlirValue codes = cooptConstF32(&bb, rank, shape, bf);
  cooptSetConstQuant(cooptDefiningOp(codes), 32, c->bs, c->nb);
  cooptMarkConstCodes(cooptDefiningOp(codes));
  mlirOperationSetOperand(bias_user, bias_operand, codes);
  if (mlirOpOperandIsNull(mlirValueGetFirstUse(cooptResult(bias))))
    mlirOperationDestroy(bias);
  free(bf);
}

static void anchor_codes_free(anchor_codes *c) { free(c->ws), free(c->bs), free(c->bq), free(c->m), free(c->sh); }

static bool emulate_anchor(const coopt_weight *w, double s_out) {
  MlirOperation A = w->user;
  anchor_codes c = {.s_out = s_out, .rows = w->rows};
  int64_t bits = 0;
  if (w->num_users != 1 || !activation_params(mlirOperationGetOperand(A, 0), &c.s_in, &c.zp_in) ||
      !cooptGetConstQuant(w->constant, &bits, &c.ws, &c.nscales) || bits != 8) {
    anchor_codes_free(&c);
    return keep_textbook(A, "its weights or its input are not fake-quantized, or the weights are shared");
  }
  MlirOperation bias = cooptOpIs(A, "tosa.matmul") ? cooptBiasOf(A) : cooptDefiningOp(mlirOperationGetOperand(A, 2));
  MlirOperation bias_user;
  intptr_t bias_operand;
  MlirValue acc = accumulator_of(A, bias, &bias_user, &bias_operand);
  MlirType at = mlirValueGetType(acc);
  int64_t rows = w->rows, nr = c.nscales == 1 ? 1 : rows;
  if (nr != 1 && mlirShapedTypeGetDimSize(at, mlirShapedTypeGetRank(at) - 1) != rows) {
    anchor_codes_free(&c);
    return keep_textbook(A, "its weight scales do not follow its output channels");
  }
  if (!mlirOperationIsNull(bias) &&
      (!cooptOpIs(bias, "tosa.const") || !(c.bq = bias_codes(bias, c.s_in, c.ws, c.nscales, rows, &c.nb, &c.bs)))) {
    anchor_codes_free(&c);
    return keep_textbook(A, "its bias is not a constant with one value per channel scale");
  }
  float *v = cooptWeightLoad(w);
  c.m = coopt_xmalloc((size_t)rows * sizeof *c.m);
  c.sh = coopt_xmalloc((size_t)rows * sizeof *c.sh);
  const char *why = code_weights(&c, v, w->num_elements / rows);
  if (why) {
    free(v);
    anchor_codes_free(&c);
    return keep_textbook(A, why);
  }
  cooptWeightStore(w, v);
  cooptMarkConstCodes(w->constant);
  free(v);
  if (c.bq)
    replace_bias_by_codes(bias, bias_user, bias_operand, &c);
  coopt_builder b = cooptBuilderBefore(A);
  mlirOperationSetOperand(A, 0, recover_codes(&b, mlirOperationGetOperand(A, 0), c.s_in));
  b = builder_after(acc);
  MlirOperation first;
  MlirValue out = requantize_exactly(&b, acc, c.m, c.sh, nr, c.form, s_out, &first);
  reroute(acc, first, out);
  /* A range recorded on the accumulator (a matmul's bias add) describes the
   * real value, which is now the requantization's result. */
  MlirOperation acc_op = mlirOpResultGetOwner(acc);
  MlirAttribute range = mlirOperationGetAttributeByName(acc_op, S("coopt.range"));
  if (!mlirAttributeIsNull(range)) {
    mlirOperationSetDiscardableAttributeByName(cooptDefiningOp(out), S("coopt.range"), range);
    mlirOperationRemoveDiscardableAttributeByName(acc_op, S("coopt.range"));
  }
  anchor_codes_free(&c);
  return true;
}

/* avg_pool2d without padding: every window has kh * kw elements, and the
 * int8 op divides its sum by that count with reciprocal_scale. */
static bool emulate_avg_pool(MlirOperation A, double s_out) {
  double s_in;
  int64_t zp_in;
  if (!activation_params(mlirOperationGetOperand(A, 0), &s_in, &zp_in))
    return keep_textbook(A, "its input is not fake-quantized");
  MlirAttribute pad = mlirOperationGetAttributeByName(A, S("pad")),
                kernel = mlirOperationGetAttributeByName(A, S("kernel"));
  if (mlirAttributeIsNull(pad) || mlirAttributeIsNull(kernel) || !mlirAttributeIsADenseI64Array(pad) ||
      !mlirAttributeIsADenseI64Array(kernel) || mlirDenseArrayGetNumElements(kernel) != 2)
    return keep_textbook(A, "its kernel or padding is not readable");
  for (intptr_t i = 0; i < mlirDenseArrayGetNumElements(pad); ++i)
    if (mlirDenseI64ArrayGetElement(pad, i) != 0)
      return keep_textbook(A, "it is padded, so its divisor varies across the output");
  int64_t count = mlirDenseI64ArrayGetElement(kernel, 0) * mlirDenseI64ArrayGetElement(kernel, 1);
  int32_t m, sh;
  if (count < 1 || count >= (1 << 16))
    return keep_textbook(A, "its window is outside the range handled exactly");
  coopt_reciprocal_scale((uint32_t)count, &m, &sh);
  requant_form form = requant_form_for(count * max_code(zp_in), m, sh);
  if (form == REQUANT_NONE || count * max_code(zp_in) >= (1 << 20))
    return keep_textbook(A, "its window sum can exceed the range f32 and f64 hold exactly");
  coopt_builder b = cooptBuilderBefore(A);
  mlirOperationSetOperand(A, 0, recover_codes(&b, mlirOperationGetOperand(A, 0), s_in));
  /* The f32 average of integer codes is sum / count within an ulp; times the
   * count it rounds back to the exact sum. */
  MlirValue avg = cooptResult(A);
  b = builder_after(avg);
  MlirOperation first, unused;
  MlirValue sum = nearest_integer(&b, avg, (float)count, &first);
  MlirValue out = requantize_exactly(&b, sum, &m, &sh, 1, form, s_out, &unused);
  reroute(avg, first, out);
  return true;
}

/* add / sub of two activations as coopt-lower-int8 lowers it (TFLite's
 * scheme): each input's codes rescaled onto a grid 2^20 finer than
 * 2 max(s_a, s_b), added, and the sum rescaled to the output.  The sum can
 * need 60 bits once multiplied, hence the split form there.  The add itself
 * stays (in f64, untagged), so that coopt-lower-int8 still finds it. */
static bool emulate_eltwise(MlirOperation A, double s_out) {
  MlirValue xa = mlirOperationGetOperand(A, 0), xb = mlirOperationGetOperand(A, 1), res = cooptResult(A);
  MlirType t = mlirValueGetType(res);
  double sa, sb;
  int64_t za, zb;
  if (!activation_params(xa, &sa, &za) || !activation_params(xb, &sb, &zb))
    return false; /* not two activations: coopt-lower-int8 leaves it float too */
  if (!mlirTypeEqual(mlirValueGetType(xa), t) || !mlirTypeEqual(mlirValueGetType(xb), t))
    return keep_textbook(A, "its operands broadcast");
  double real_a, real_b, real_out;
  cooptEltwiseReals(sa, sb, s_out, &real_a, &real_b, &real_out);
  int32_t ma, sha, mb, shb, mo, sho;
  if (!coopt_quantize_multiplier(real_a, &ma, &sha) || !coopt_quantize_multiplier(real_b, &mb, &shb) ||
      !coopt_quantize_multiplier(real_out, &mo, &sho))
    return keep_textbook(A, "its requantization multipliers are outside what tosa.rescale can represent");
  /* |a'| <= |q - zp| real_a + 1, likewise b'. */
  int64_t bound = (int64_t)ceil((double)max_code(za) * real_a + (double)max_code(zb) * real_b) + 2;
  requant_form fa = requant_form_for(max_code(za), ma, sha), fb = requant_form_for(max_code(zb), mb, shb),
               fo = requant_form_for(bound, mo, sho);
  if (fa == REQUANT_NONE || fb == REQUANT_NONE || fo == REQUANT_NONE)
    return keep_textbook(A, "its rescaled sum can exceed the range f64 holds exactly");
  coopt_builder b = cooptBuilderBefore(A);
  b.loc = mlirOperationGetLocation(A);
  MlirType t64 = cooptTensorTypeLike(t, mlirF64TypeGet(b.ctx));
  MlirValue ca = recover_codes(&b, xa, sa), cb = recover_codes(&b, xb, sb);
  ca = apply_scale_f64(&b, cooptResult(emulation_op(&b, "tosa.cast", 1, &ca, t64)), &ma, &sha, 1, fa);
  cb = apply_scale_f64(&b, cooptResult(emulation_op(&b, "tosa.cast", 1, &cb, t64)), &mb, &shb, 1, fb);
  MlirValue ops[2] = {ca, cb};
  MlirValue sum =
      cooptResult(cooptBuildOp(&b, cooptOpIs(A, "tosa.add") ? "tosa.add" : "tosa.sub", 2, ops, t64, 0, NULL));
  MlirOperation out = dequantize_codes(&b, apply_scale_f64(&b, sum, &mo, &sho, 1, fo), t, s_out);
  MlirAttribute range = mlirOperationGetAttributeByName(A, S("coopt.range"));
  if (!mlirAttributeIsNull(range))
    mlirOperationSetDiscardableAttributeByName(out, S("coopt.range"), range);
  mlirValueReplaceAllUsesOfWith(res, cooptResult(out));
  mlirOperationDestroy(A);
  return true;
}

static void emulate_exactly(const coopt_weight_set *set, const coopt_qpoints *qp, const double *scale) {
  for (size_t i = 0; i < qp->count; ++i) {
    MlirOperation A = qp->items[i].anchor;
    if (mlirOperationIsNull(A))
      continue;
    if (cooptOpIs(A, "tosa.avg_pool2d")) {
      emulate_avg_pool(A, scale[i]);
      continue;
    }
    if (cooptOpIs(A, "tosa.add") || cooptOpIs(A, "tosa.sub")) {
      emulate_eltwise(A, scale[i]);
      continue;
    }
    if (!cooptOpIs(A, "tosa.conv2d") && !cooptOpIs(A, "tosa.depthwise_conv2d") && !cooptOpIs(A, "tosa.matmul"))
      continue;
    for (size_t k = 0; k < set->count; ++k)
      if (mlirOperationEqual(set->items[k].user, A)) {
        emulate_anchor(&set->items[k], scale[i]);
        break;
      }
  }
}

static bool fake_quant_func(MlirOperation func, const void *opaque) {
  const fake_quant_options *o = opaque;
  MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
  if (mlirBlockIsNull(block))
    return true;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (!mlirAttributeIsNull(mlirOperationGetAttributeByName(op, S("coopt.fake_quant")))) {
      cooptEmitError(mlirOperationGetLocation(op), "coopt-fake-quant: the function is already fake-quantized");
      return false;
    }
  coopt_qpoints qp;
  cooptCollectQuantPoints(func, &qp);
  double *scale = coopt_xcalloc(qp.count + 1, sizeof *scale);
  int32_t *zp = coopt_xcalloc(qp.count + 1, sizeof *zp);
  coopt_pass_result result = COOPT_PASS_SUCCESS;
  for (size_t i = 0; i < qp.count; ++i) {
    const coopt_qpoint *p = &qp.items[i];
    double lo, hi;
    if (p->inherit >= 0) {
      scale[i] = scale[p->inherit], zp[i] = zp[p->inherit];
    } else if (cooptGetRange(func, p, &lo, &hi)) {
      cooptChooseActivationParams(lo, hi, -128, 127, &scale[i], &zp[i]);
    } else {
      char what[512];
      cooptDescribeQuantPoint(func, p, what, sizeof what);
      MlirLocation loc = p->arg >= 0 ? mlirOperationGetLocation(func) : mlirOperationGetLocation(p->anchor);
      cooptEmitError(loc, "coopt-fake-quant: no range for %s: run coopt-calibrate first", what);
      result = COOPT_PASS_FAILURE;
    }
  }
  if (result == COOPT_PASS_SUCCESS) {
    for (size_t i = 0; i < qp.count; ++i)
      insert_fake_quant(func, qp.items[i].value, scale[i], zp[i]);
    coopt_weight_set set;
    if (!cooptCollectWeights(func, COOPT_WOP_ALL, true, &set))
      result = COOPT_PASS_FAILURE;
    else
      result = quantize_weights(&set, o);
    if (result == COOPT_PASS_SUCCESS && o->exact)
      emulate_exactly(&set, &qp, scale);
    cooptWeightSetFree(&set);
  }
  free(scale);
  free(zp);
  cooptQuantPointsFree(&qp);
  return result == COOPT_PASS_SUCCESS;
}

static coopt_pass_result run_fake_quant(MlirOperation module, const void *opaque) {
  /* Past quantization the float values compression started from are no
   * target any more (recovery runs before it); drop their copies. */
  cooptDropReferences(module);
  return cooptForEachFunc(module, fake_quant_func, opaque) ? COOPT_PASS_SUCCESS : COOPT_PASS_FAILURE;
}

const coopt_pass_info coopt_fake_quant_pass = {
    .argument = "coopt-fake-quant",
    .summary = "Insert int8 fake-quant on activations (from coopt.range) and quantize weights and biases in place",
    .description = "TFLite int8 scheme: symmetric per-channel int8 weights, asymmetric per-tensor int8 activations, "
                   "int32 biases.  Keeps sparsity and, with preserve-clusters, codebooks.",
    .anchor = "builtin.module",
    .options = fake_quant_option_table,
    .num_options = sizeof fake_quant_option_table / sizeof fake_quant_option_table[0],
    .options_size = sizeof(fake_quant_options),
    .validate = validate_fake_quant,
    .run = run_fake_quant,
};
