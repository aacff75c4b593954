#include "Analysis/Quant.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

bool cooptIsLayoutOp(MlirOperation op) {
  return cooptOpIs(op, "tosa.reshape") || cooptOpIs(op, "tosa.transpose") || cooptOpIs(op, "tosa.max_pool2d") ||
         cooptOpIs(op, "tosa.slice") || cooptOpIs(op, "tosa.identity") || cooptOpIs(op, "tosa.tile");
}

static bool is_f32_const(MlirValue v) {
  MlirOperation d = cooptDefiningOp(v);
  return cooptOpIs(d, "tosa.const") && cooptIsF32Tensor(mlirValueGetType(v));
}

/* Walks the chain; when `ops` is non-NULL appends every op after the anchor. */
static MlirValue chain_walk(MlirOperation anchor, MlirOperation *ops, size_t *n) {
  bool matmul = cooptOpIs(anchor, "tosa.matmul");
  bool biasable = matmul || cooptOpIs(anchor, "tosa.conv2d") || cooptOpIs(anchor, "tosa.depthwise_conv2d");
  bool seen_bias = false, seen_clamp = false;
  MlirValue v = cooptResult(anchor);
  for (;;) {
    MlirOperation u = cooptSoleUser(v);
    if (mlirOperationIsNull(u))
      break;
    if (cooptOpIs(u, "tosa.clamp")) {
      seen_clamp = true;
    } else if (matmul && !seen_bias && !seen_clamp && cooptOpIs(u, "tosa.reshape")) {
    } else if (biasable && !seen_bias && !seen_clamp && cooptOpIs(u, "tosa.add") &&
               mlirValueEqual(mlirOperationGetOperand(u, 0), v) && is_f32_const(mlirOperationGetOperand(u, 1))) {
      /* A bias is one value per output channel: the last axis. */
      MlirType bt = mlirValueGetType(mlirOperationGetOperand(u, 1)), vt = mlirValueGetType(v);
      intptr_t r = mlirShapedTypeGetRank(vt);
      int64_t channels = mlirShapedTypeGetDimSize(vt, r - 1), elems = 1;
      for (intptr_t i = 0; i < mlirShapedTypeGetRank(bt); ++i)
        elems *= mlirShapedTypeGetDimSize(bt, i);
      if (mlirShapedTypeGetRank(bt) != r || elems != channels || mlirShapedTypeGetDimSize(bt, r - 1) != channels)
        break;
      seen_bias = true;
    } else {
      break;
    }
    if (ops)
      ops[(*n)++] = u;
    v = cooptResult(u);
  }
  /* A trailing reshape is a layout op, not part of the chain. */
  while (ops && *n && cooptOpIs(ops[*n - 1], "tosa.reshape")) {
    --*n;
    v = *n ? cooptResult(ops[*n - 1]) : cooptResult(anchor);
  }
  if (!ops) {
    MlirOperation tmp[64];
    size_t m = 0;
    return chain_walk(anchor, tmp, &m);
  }
  return v;
}

MlirValue cooptFusionChainEnd(MlirOperation anchor) { return chain_walk(anchor, NULL, NULL); }

static MlirBlock func_block(MlirOperation func) { return mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0)); }

typedef struct op_set {
  void **items;
  size_t n, cap;
} op_set;

static void set_add(op_set *s, MlirOperation op) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    s->items = coopt_xrealloc(s->items, s->cap * sizeof *s->items);
  }
  s->items[s->n++] = op.ptr;
}

static bool set_has(const op_set *s, MlirOperation op) {
  for (size_t i = 0; i < s->n; ++i)
    if (s->items[i] == op.ptr)
      return true;
  return false;
}

static void push_point(coopt_qpoints *out, size_t *cap, coopt_qpoint p) {
  if (out->count == *cap) {
    *cap = *cap ? 2 * *cap : 32;
    out->items = coopt_xrealloc(out->items, *cap * sizeof *out->items);
  }
  out->items[out->count++] = p;
}

void cooptCollectQuantPoints(MlirOperation func, coopt_qpoints *out) {
  out->items = NULL;
  out->count = 0;
  size_t cap = 0;
  MlirBlock block = func_block(func);
  if (mlirBlockIsNull(block))
    return;
  for (intptr_t i = 0; i < mlirBlockGetNumArguments(block); ++i) {
    MlirValue a = mlirBlockGetArgument(block, i);
    if (cooptIsF32Tensor(mlirValueGetType(a))) {
      coopt_qpoint p = {a, (int)i, {NULL}, {NULL}, -1};
      push_point(out, &cap, p);
    }
  }
  op_set done = {0};
  /* Existing fake-quant chains are not new points. */
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    coopt_fq_chain c;
    if (cooptMatchFakeQuant(op, &c)) {
      MlirOperation parts[6] = {c.mul_q, c.add_zp, c.cast_i8, c.cast_f32, c.sub_zp, c.mul_dq};
      for (int k = 0; k < 6; ++k)
        set_add(&done, parts[k]);
    }
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (set_has(&done, op) || cooptIsExactEmulation(op) || mlirOperationGetNumResults(op) != 1 ||
        cooptOpIs(op, "tosa.const") || cooptIsLayoutOp(op) || !cooptIsF32Tensor(mlirValueGetType(cooptResult(op))))
      continue;
    MlirOperation chain[64];
    size_t n = 0;
    MlirValue end = chain_walk(op, chain, &n);
    for (size_t k = 0; k < n; ++k)
      set_add(&done, chain[k]);
    coopt_qpoint p = {end, -1, cooptDefiningOp(end), op, -1};
    if (cooptOpIs(op, "tosa.avg_pool2d"))
      p.inherit = cooptQuantPointOf(out, mlirOperationGetOperand(op, 0));
    push_point(out, &cap, p);
  }
  free(done.items);
}

void cooptQuantPointsFree(coopt_qpoints *q) {
  free(q->items);
  q->items = NULL;
  q->count = 0;
}

int cooptQuantPointOf(const coopt_qpoints *q, MlirValue v) {
  for (;;) {
    for (size_t i = 0; i < q->count; ++i)
      if (mlirValueEqual(q->items[i].value, v))
        return (int)i;
    MlirOperation d = cooptDefiningOp(v);
    if (!cooptIsLayoutOp(d))
      return -1;
    v = mlirOperationGetOperand(d, 0);
  }
}

static MlirStringRef func_list_entry(MlirOperation func, const char *attr, int index) {
  MlirAttribute names = mlirOperationGetAttributeByName(func, S(attr));
  MlirStringRef none = {NULL, 0};
  if (mlirAttributeIsNull(names) || !mlirAttributeIsAArray(names) || index >= mlirArrayAttrGetNumElements(names))
    return none;
  MlirAttribute e = mlirArrayAttrGetElement(names, index);
  return mlirAttributeIsAString(e) ? mlirStringAttrGetValue(e) : none;
}

void cooptDescribeQuantPoint(MlirOperation func, const coopt_qpoint *p, char *buf, size_t size) {
  if (p->arg >= 0) {
    MlirStringRef n = func_list_entry(func, "coopt.input_names", p->arg);
    if (n.length)
      snprintf(buf, size, "function argument #%d ('%.*s')", p->arg, (int)n.length, n.data);
    else
      snprintf(buf, size, "function argument #%d", p->arg);
    return;
  }
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(p->anchor));
  coopt_resolved_loc r = cooptResolveLocation(mlirOperationGetLocation(p->anchor));
  if (r.name.length)
    snprintf(buf, size, "the output of %.*s '%.*s'", (int)name.length, name.data, (int)r.name.length, r.name.data);
  else
    snprintf(buf, size, "the output of %.*s", (int)name.length, name.data);
}

/* ---- function argument attributes ---- */

static MlirAttribute get_arg_attr(MlirOperation func, int index, const char *name) {
  MlirAttribute all = mlirOperationGetAttributeByName(func, S("arg_attrs"));
  if (mlirAttributeIsNull(all) || !mlirAttributeIsAArray(all) || index >= mlirArrayAttrGetNumElements(all))
    return mlirAttributeGetNull();
  MlirAttribute d = mlirArrayAttrGetElement(all, index);
  if (!mlirAttributeIsADictionary(d))
    return mlirAttributeGetNull();
  return mlirDictionaryAttrGetElementByName(d, S(name));
}

bool cooptReadRangeAttr(MlirAttribute a, double *lo, double *hi) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseF64Array(a) || mlirDenseArrayGetNumElements(a) != 2)
    return false;
  *lo = mlirDenseF64ArrayGetElement(a, 0);
  *hi = mlirDenseF64ArrayGetElement(a, 1);
  return isfinite(*lo) && isfinite(*hi) && *lo <= *hi;
}

bool cooptGetRange(MlirOperation func, const coopt_qpoint *p, double *lo, double *hi) {
  MlirAttribute a = p->arg >= 0 ? get_arg_attr(func, p->arg, "coopt.range")
                                : mlirOperationGetAttributeByName(p->producer, S("coopt.range"));
  return cooptReadRangeAttr(a, lo, hi);
}

void cooptSetRange(MlirOperation func, const coopt_qpoint *p, double lo, double hi) {
  double v[2] = {lo, hi};
  MlirAttribute a = mlirDenseF64ArrayGet(mlirOperationGetContext(func), 2, v);
  if (p->arg >= 0)
    cooptSetArgAttr(func, p->arg, "coopt.range", a);
  else
    mlirOperationSetDiscardableAttributeByName(p->producer, S("coopt.range"), a);
}

void cooptChooseActivationParams(double lo, double hi, int qmin, int qmax, double *scale, int32_t *zero_point) {
  if (lo > 0)
    lo = 0;
  if (hi < 0)
    hi = 0;
  /* An all-zero tensor still needs a usable scale. */
  if (hi - lo < 1e-9)
    hi = lo + 1e-9;
  double s = (hi - lo) / (double)(qmax - qmin);
  double zp = (double)qmin - lo / s;
  double z = zp < qmin ? qmin : zp > qmax ? qmax : nearbyint(zp);
  *scale = s;
  *zero_point = (int32_t)z;
}

double cooptRoundHalfAway(double x) { return x < 0 ? -floor(-x + 0.5) : floor(x + 0.5); }

int8_t cooptWeightCode(double w, double s) {
  double q = cooptRoundHalfAway(w / s);
  /* NaN has no code (converting it is undefined behaviour); the passes
   * reject non-finite weights, coopt-stats only counts them. */
  if (isnan(q))
    return 0;
  return (int8_t)(q < -127 ? -127 : q > 127 ? 127 : q);
}

int32_t cooptBiasCode(double b, double s) {
  double q = cooptRoundHalfAway(b / s);
  return q < -2147483648.0 ? INT32_MIN : q > 2147483647.0 ? INT32_MAX : (int32_t)q;
}

double cooptAccumulatorReal(double s_in, double s_w, double s_out) { return s_in * s_w / s_out; }

void cooptEltwiseReals(double s_a, double s_b, double s_out, double *real_a, double *real_b, double *real_out) {
  const double left = (double)(1 << 20), twice_max = 2 * fmax(s_a, s_b);
  *real_a = s_a / twice_max * left;
  *real_b = s_b / twice_max * left;
  *real_out = twice_max / (left * s_out);
}

/* ---- coopt.fake_quant / coopt.quant ---- */

bool cooptGetFakeQuant(MlirOperation op, double *scale, int64_t *zero_point) {
  MlirAttribute d = mlirOperationGetAttributeByName(op, S("coopt.fake_quant"));
  if (mlirAttributeIsNull(d) || !mlirAttributeIsADictionary(d))
    return false;
  MlirAttribute s = mlirDictionaryAttrGetElementByName(d, S("scale"));
  MlirAttribute z = mlirDictionaryAttrGetElementByName(d, S("zero_point"));
  if (mlirAttributeIsNull(s) || !mlirAttributeIsAFloat(s) || mlirAttributeIsNull(z) || !mlirAttributeIsAInteger(z))
    return false;
  *scale = mlirFloatAttrGetValueDouble(s);
  *zero_point = mlirIntegerAttrGetValueInt(z);
  return isfinite(*scale) && *scale > 0;
}

void cooptSetFakeQuant(MlirOperation op, double scale, int64_t zero_point) {
  MlirContext ctx = mlirOperationGetContext(op);
  MlirNamedAttribute e[2] = {
      cooptNamedAttr(ctx, "scale", mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), scale)),
      cooptNamedAttr(ctx, "zero_point", mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), zero_point)),
  };
  mlirOperationSetDiscardableAttributeByName(op, S("coopt.fake_quant"), mlirDictionaryAttrGet(ctx, 2, e));
}

bool cooptGetConstQuant(MlirOperation constant, int64_t *bits, double **scales, int64_t *num_scales) {
  MlirAttribute d = mlirOperationGetAttributeByName(constant, S("coopt.quant"));
  if (mlirAttributeIsNull(d) || !mlirAttributeIsADictionary(d))
    return false;
  MlirAttribute b = mlirDictionaryAttrGetElementByName(d, S("bits"));
  MlirAttribute s = mlirDictionaryAttrGetElementByName(d, S("scales"));
  if (mlirAttributeIsNull(b) || !mlirAttributeIsAInteger(b) || mlirAttributeIsNull(s) ||
      !mlirAttributeIsADenseF64Array(s) || mlirDenseArrayGetNumElements(s) < 1)
    return false;
  *bits = mlirIntegerAttrGetValueInt(b);
  *num_scales = mlirDenseArrayGetNumElements(s);
  *scales = coopt_xmalloc((size_t)*num_scales * sizeof **scales);
  for (int64_t i = 0; i < *num_scales; ++i) {
    (*scales)[i] = mlirDenseF64ArrayGetElement(s, i);
    if (!isfinite((*scales)[i]) || (*scales)[i] <= 0) {
      free(*scales);
      *scales = NULL;
      return false;
    }
  }
  return true;
}

void cooptSetConstQuant(MlirOperation constant, int64_t bits, const double *scales, int64_t num_scales) {
  MlirContext ctx = mlirOperationGetContext(constant);
  MlirNamedAttribute e[2] = {
      cooptNamedAttr(ctx, "bits", mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), bits)),
      cooptNamedAttr(ctx, "scales", mlirDenseF64ArrayGet(ctx, num_scales, scales)),
  };
  mlirOperationSetDiscardableAttributeByName(constant, S("coopt.quant"), mlirDictionaryAttrGet(ctx, 2, e));
}

bool cooptConstHoldsCodes(MlirOperation constant) {
  MlirAttribute d = mlirOperationGetAttributeByName(constant, S("coopt.quant"));
  if (mlirAttributeIsNull(d) || !mlirAttributeIsADictionary(d))
    return false;
  MlirAttribute c = mlirDictionaryAttrGetElementByName(d, S("codes"));
  return !mlirAttributeIsNull(c) && mlirAttributeIsABool(c) && mlirBoolAttrGetValue(c);
}

void cooptMarkConstCodes(MlirOperation constant) {
  MlirAttribute d = mlirOperationGetAttributeByName(constant, S("coopt.quant"));
  if (mlirAttributeIsNull(d) || !mlirAttributeIsADictionary(d))
    return;
  MlirContext ctx = mlirOperationGetContext(constant);
  intptr_t n = mlirDictionaryAttrGetNumElements(d), k = 0;
  MlirNamedAttribute *e = coopt_xmalloc((size_t)(n + 1) * sizeof *e);
  for (intptr_t i = 0; i < n; ++i) {
    MlirNamedAttribute a = mlirDictionaryAttrGetElement(d, i);
    if (!coopt_str_eq(mlirIdentifierStr(a.name).data, mlirIdentifierStr(a.name).length, "codes"))
      e[k++] = a;
  }
  e[k++] = cooptNamedAttr(ctx, "codes", mlirBoolAttrGet(ctx, 1));
  mlirOperationSetDiscardableAttributeByName(constant, S("coopt.quant"), mlirDictionaryAttrGet(ctx, k, e));
  free(e);
}

bool cooptIsExactEmulation(MlirOperation op) {
  return !mlirOperationIsNull(op) && !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, S("coopt.exact")));
}

void cooptTagExactEmulation(MlirOperation op) {
  mlirOperationSetDiscardableAttributeByName(op, S("coopt.exact"), mlirUnitAttrGet(mlirOperationGetContext(op)));
}

MlirValue cooptPeelExactEmulation(MlirValue v) {
  MlirOperation d;
  while (cooptIsExactEmulation(d = cooptDefiningOp(v)) && mlirOperationGetNumOperands(d) > 0)
    v = mlirOperationGetOperand(d, 0);
  return v;
}

MlirValue cooptPastExactEmulation(MlirValue v) {
  bool read = false;
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u))
    read |= cooptIsExactEmulation(mlirOpOperandGetOwner(u));
  if (!read || !mlirValueIsAOpResult(v))
    return v;
  MlirOperation last = {NULL};
  for (MlirOperation op = mlirOperationGetNextInBlock(mlirOpResultGetOwner(v)); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (cooptOpIs(op, "tosa.const"))
      continue;
    if (!cooptIsExactEmulation(op))
      break;
    last = op;
  }
  return mlirOperationIsNull(last) ? v : cooptResult(last);
}

static bool def_is(MlirValue v, const char *name, MlirOperation *out) {
  *out = cooptDefiningOp(v);
  return cooptOpIs(*out, name);
}

static bool is_i8_tensor(MlirType t) {
  if (!mlirTypeIsARankedTensor(t))
    return false;
  MlirType e = mlirShapedTypeGetElementType(t);
  return mlirTypeIsAInteger(e) && mlirIntegerTypeGetWidth(e) == 8;
}

bool cooptMatchFakeQuant(MlirOperation last, coopt_fq_chain *c) {
  if (!cooptOpIs(last, "tosa.mul") || !cooptGetFakeQuant(last, &c->scale, &c->zero_point))
    return false;
  c->mul_dq = last;
  if (!def_is(mlirOperationGetOperand(last, 0), "tosa.sub", &c->sub_zp) ||
      !def_is(mlirOperationGetOperand(c->sub_zp, 0), "tosa.cast", &c->cast_f32))
    return false;
  c->q = mlirOperationGetOperand(c->cast_f32, 0);
  /* After int8 lowering the i8 value may come from an integer op. */
  if (!is_i8_tensor(mlirValueGetType(c->q)))
    return false;
  MlirOperation cast_i8 = cooptDefiningOp(c->q), add = {NULL}, mul = {NULL};
  c->cast_i8 = cast_i8;
  c->add_zp = add;
  c->mul_q = mul;
  c->input.ptr = NULL;
  if (cooptOpIs(cast_i8, "tosa.cast") && def_is(mlirOperationGetOperand(cast_i8, 0), "tosa.add", &add) &&
      def_is(mlirOperationGetOperand(add, 0), "tosa.mul", &mul)) {
    c->add_zp = add;
    c->mul_q = mul;
    c->input = mlirOperationGetOperand(mul, 0);
  } else {
    c->cast_i8.ptr = NULL;
  }
  return true;
}
