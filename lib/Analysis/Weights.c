#include "Analysis/Weights.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const coopt_weight_op_names[COOPT_WOP_COUNT + 1] = {"conv2d", "depthwise_conv2d", "transpose_conv2d",
                                                                "matmul", NULL};

static const char *const tosa_op_names[COOPT_WOP_COUNT] = {"tosa.conv2d", "tosa.depthwise_conv2d",
                                                           "tosa.transpose_conv2d", "tosa.matmul"};

static bool op_is(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return coopt_str_eq(s.data, s.length, name);
}

/* A value seen through reshapes/transposes of a constant. */
typedef struct traced {
  MlirOperation constant;
  int rank;
  int64_t shape[8];
  int64_t *map;   /* this view's linear index -> constant linear index; NULL = identity */
  bool too_large; /* the constant has more than COOPT_MAX_WEIGHT_ELEMENTS */
} traced;

/* Element count, saturating at INT64_MAX: a type may legally claim more
 * elements than int64 holds (a splat stores one value). */
static int64_t product(const int64_t *shape, int rank) {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i)
    if (__builtin_mul_overflow(n, shape[i], &n))
      return INT64_MAX;
  return n;
}

static bool static_shape(MlirType t, int *rank, int64_t *shape) {
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t))
    return false;
  intptr_t r = mlirShapedTypeGetRank(t);
  if (r > 8)
    return false;
  *rank = (int)r;
  for (intptr_t i = 0; i < r; ++i)
    shape[i] = mlirShapedTypeGetDimSize(t, i);
  return true;
}

/* Compose t->map with the transpose `def` (t is its operand, traced). */
static bool trace_transpose(MlirOperation def, traced *t, const char **why) {
  MlirAttribute perms = mlirOperationGetAttributeByName(def, mlirStringRefCreateFromCString("perms"));
  int rank = t->rank;
  if (mlirAttributeIsNull(perms) || !mlirAttributeIsADenseI32Array(perms) ||
      mlirDenseArrayGetNumElements(perms) != rank) {
    free(t->map);
    *why = "is transposed with unreadable perms";
    return false;
  }
  int perm[8];
  for (int d = 0; d < rank; ++d) {
    perm[d] = mlirDenseI32ArrayGetElement(perms, d);
    if (perm[d] < 0 || perm[d] >= rank) {
      free(t->map);
      *why = "is transposed with invalid perms";
      return false;
    }
  }
  int64_t in_shape[8], out_shape[8], in_stride[8];
  memcpy(in_shape, t->shape, sizeof in_shape);
  for (int d = 0; d < rank; ++d)
    out_shape[d] = in_shape[perm[d]];
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    in_stride[d] = s;
    s *= in_shape[d];
  }
  int64_t n = product(in_shape, rank);
  int64_t *map = coopt_xmalloc((size_t)(n ? n : 1) * sizeof(int64_t));
  int64_t idx[8] = {0};
  for (int64_t o = 0; o < n; ++o) {
    int64_t in_lin = 0;
    for (int d = 0; d < rank; ++d)
      in_lin += idx[d] * in_stride[perm[d]];
    map[o] = t->map ? t->map[in_lin] : in_lin;
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < out_shape[d])
        break;
      idx[d] = 0;
    }
  }
  free(t->map);
  t->map = map;
  memcpy(t->shape, out_shape, sizeof out_shape);
  return true;
}

/* Follow v back to a tosa.const.  Returns false (with *why set) when v is
 * not a constant seen through reshape/transpose only. */
static bool trace_value(MlirValue v, traced *t, const char **why, int depth) {
  if (depth > 32 || !mlirValueIsAOpResult(v)) {
    *why = "is not a constant (a block argument)";
    return false;
  }
  MlirOperation def = mlirOpResultGetOwner(v);
  MlirType type = mlirValueGetType(v);
  if (op_is(def, "tosa.const")) {
    if (!static_shape(type, &t->rank, t->shape)) {
      *why = "has a dynamic or unranked shape";
      return false;
    }
    t->constant = def;
    t->map = NULL;
    if (product(t->shape, t->rank) > COOPT_MAX_WEIGHT_ELEMENTS) {
      t->too_large = true;
      *why = "is too large";
      return false;
    }
    return true;
  }
  if (op_is(def, "tosa.reshape")) {
    if (!trace_value(mlirOperationGetOperand(def, 0), t, why, depth + 1))
      return false;
    int64_t old_n = product(t->shape, t->rank);
    if (!static_shape(type, &t->rank, t->shape) || product(t->shape, t->rank) != old_n) {
      free(t->map);
      *why = "is reshaped to a dynamic shape";
      return false;
    }
    return true; /* a reshape keeps the linear order */
  }
  if (op_is(def, "tosa.transpose"))
    return trace_value(mlirOperationGetOperand(def, 0), t, why, depth + 1) && trace_transpose(def, t, why);
  *why = "is not a constant";
  return false;
}

static MlirLocation op_loc(MlirOperation op) { return mlirOperationGetLocation(op); }

typedef struct collect_ctx {
  unsigned mask;
  bool remark;
  coopt_weight_set *set;
  size_t cap;
  bool failed;
} collect_ctx;

static bool elem_kind(MlirType t, coopt_elem_kind *k) {
  if (mlirTypeIsAF32(t))
    *k = COOPT_ELEM_F32;
  else if (mlirTypeIsAF64(t))
    *k = COOPT_ELEM_F64;
  else if (mlirTypeIsAF16(t))
    *k = COOPT_ELEM_F16;
  else if (mlirTypeIsABF16(t))
    *k = COOPT_ELEM_BF16;
  else if (mlirTypeIsAInteger(t) && !mlirIntegerTypeIsUnsigned(t)) {
    unsigned w = mlirIntegerTypeGetWidth(t);
    if (w == 8)
      *k = COOPT_ELEM_I8;
    else if (w == 16)
      *k = COOPT_ELEM_I16;
    else if (w == 32)
      *k = COOPT_ELEM_I32;
    else
      return false;
  } else
    return false;
  return true;
}

/* The operand's own layout -> canonical rows x spatial x inner; false for
 * a rank the op does not take. */
static bool canonical_dims(coopt_weight_op kind, const traced *t, int64_t *rows, int64_t *spatial, int64_t *inner) {
  const int64_t *s = t->shape;
  switch (kind) {
  case COOPT_WOP_CONV2D:
  case COOPT_WOP_TRANSPOSE_CONV2D: *rows = s[0], *spatial = s[1] * s[2], *inner = s[3]; return t->rank == 4;
  case COOPT_WOP_DEPTHWISE_CONV2D: *rows = s[2] * s[3], *spatial = s[0] * s[1], *inner = 1; return t->rank == 4;
  default: *rows = s[0] * s[2], *spatial = 1, *inner = s[1]; return t->rank == 3;
  }
}

/* Canonical index -> the constant's linear index, through the op's own
 * layout (depthwise [KH,KW,C,M], matmul [N,K,W]) and the traced view; NULL
 * when that is the identity. */
static int64_t *canonical_map(coopt_weight_op kind, const traced *t, int64_t rows, int64_t spatial, int64_t inner) {
  if (kind != COOPT_WOP_DEPTHWISE_CONV2D && kind != COOPT_WOP_MATMUL && !t->map)
    return NULL;
  const int64_t *s = t->shape;
  int64_t n = rows * spatial * inner;
  int64_t *map = coopt_xmalloc((size_t)(n ? n : 1) * sizeof(int64_t));
  bool identity = true;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t sp = 0; sp < spatial; ++sp)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t canon = (r * spatial + sp) * inner + i, lin;
        if (kind == COOPT_WOP_DEPTHWISE_CONV2D)
          lin = sp * rows + r;
        else if (kind == COOPT_WOP_MATMUL) {
          int64_t nb = r / s[2], w = r % s[2];
          lin = (nb * s[1] + i) * s[2] + w;
        } else
          lin = canon;
        int64_t src = t->map ? t->map[lin] : lin;
        map[canon] = src;
        identity &= src == canon;
      }
  if (identity) {
    free(map);
    return NULL;
  }
  return map;
}

static void consider(collect_ctx *c, MlirOperation op, coopt_weight_op kind) {
  unsigned operand = 1; /* the weight / B operand of all four ops */
  if (mlirOperationGetNumOperands(op) <= (intptr_t)operand)
    return;
  traced t = {0};
  const char *why = NULL;
  if (!trace_value(mlirOperationGetOperand(op, operand), &t, &why, 0)) {
    if (t.too_large) {
      /* Not a skip: a pass that left it out would report or verify less
       * than the module holds, and loading it would exhaust memory. */
      cooptEmitError(op_loc(op), "weight of '%s' has %" PRId64 " elements; coopt handles at most %" PRId64,
                     tosa_op_names[kind], product(t.shape, t.rank), (int64_t)COOPT_MAX_WEIGHT_ELEMENTS);
      c->failed = true;
    } else if (c->remark)
      cooptEmitRemark(op_loc(op), "weight of '%s' %s; skipped", tosa_op_names[kind], why);
    return;
  }
  /* Each constant once: later users only bump the count. */
  for (size_t i = 0; i < c->set->count; ++i)
    if (mlirOperationEqual(c->set->items[i].constant, t.constant)) {
      c->set->items[i].num_users++;
      free(t.map);
      return;
    }
  MlirAttribute values = mlirOperationGetAttributeByName(t.constant, mlirStringRefCreateFromCString("values"));
  MlirType ctype = mlirValueGetType(mlirOperationGetResult(t.constant, 0));
  coopt_elem_kind ek;
  if (mlirAttributeIsNull(values) ||
      !(mlirAttributeIsADenseElements(values) || mlirAttributeIsADenseResourceElements(values)) ||
      !elem_kind(mlirShapedTypeGetElementType(ctype), &ek)) {
    if (c->remark)
      cooptEmitRemark(op_loc(op), "weight of '%s' has an unsupported constant kind or element type; skipped",
                      tosa_op_names[kind]);
    free(t.map);
    return;
  }
  int64_t rows, spatial, inner;
  if (!canonical_dims(kind, &t, &rows, &spatial, &inner)) {
    if (c->remark)
      cooptEmitRemark(op_loc(op), "weight of '%s' has an unexpected rank %d; skipped", tosa_op_names[kind], t.rank);
    free(t.map);
    return;
  }
  int64_t *map = canonical_map(kind, &t, rows, spatial, inner);
  free(t.map);
  if (c->set->count == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 16;
    c->set->items = coopt_xrealloc(c->set->items, c->cap * sizeof(coopt_weight));
  }
  coopt_weight *w = &c->set->items[c->set->count++];
  memset(w, 0, sizeof *w);
  w->user = op;
  w->op = kind;
  w->num_users = 1;
  w->constant = t.constant;
  w->type = ctype;
  w->elem = ek;
  static_shape(ctype, &w->rank, w->shape);
  w->num_elements = product(w->shape, w->rank);
  w->rows = rows;
  w->spatial = spatial;
  w->inner = inner;
  w->index_map = map;
}

static MlirWalkResult walk_cb(MlirOperation op, void *ud) {
  collect_ctx *c = ud;
  for (int k = 0; k < COOPT_WOP_COUNT; ++k)
    if ((c->mask & COOPT_WOP_MASK(k)) && op_is(op, tosa_op_names[k])) {
      consider(c, op, (coopt_weight_op)k);
      break;
    }
  return MlirWalkResultAdvance;
}

bool cooptCollectWeights(MlirOperation root, unsigned op_mask, bool remark_skipped, coopt_weight_set *out) {
  out->items = NULL;
  out->count = 0;
  collect_ctx c = {op_mask, remark_skipped, out, 0, false};
  mlirOperationWalk(root, walk_cb, &c, MlirWalkPreOrder);
  return !c.failed;
}

void cooptWeightSetFree(coopt_weight_set *set) {
  for (size_t i = 0; i < set->count; ++i)
    free(set->items[i].index_map);
  free(set->items);
  set->items = NULL;
  set->count = 0;
}

MlirAttribute cooptWeightValues(const coopt_weight *w) {
  return mlirOperationGetAttributeByName(w->constant, mlirStringRefCreateFromCString("values"));
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0)
      bits = sign;
    else { /* subnormal: renormalise */
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while (!(man & 0x400));
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 31)
    bits = sign | 0x7f800000u | (man << 13);
  else
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
  uint32_t man = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff)
    return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
  if (exp >= 31)
    return (uint16_t)(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10)
      return (uint16_t)sign;
    man |= 0x800000;
    uint32_t shift = (uint32_t)(14 - exp);
    uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1)))
      ++half;
    return (uint16_t)(sign | half);
  }
  uint32_t half = sign | ((uint32_t)exp << 10) | (man >> 13);
  uint32_t rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    ++half; /* may carry into the exponent, which is the right answer */
  return (uint16_t)half;
}

static float bf16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t float_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000)
    return (uint16_t)((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

static size_t elem_size(coopt_elem_kind k) {
  switch (k) {
  case COOPT_ELEM_F64: return 8;
  case COOPT_ELEM_F32:
  case COOPT_ELEM_I32: return 4;
  case COOPT_ELEM_F16:
  case COOPT_ELEM_BF16:
  case COOPT_ELEM_I16: return 2;
  case COOPT_ELEM_I8: return 1;
  }
  return 4;
}

static float raw_get(const void *raw, coopt_elem_kind k, int64_t i) {
  switch (k) {
  case COOPT_ELEM_F32: {
    float v;
    memcpy(&v, (const char *)raw + 4 * i, 4);
    return v;
  }
  case COOPT_ELEM_F64: {
    double v;
    memcpy(&v, (const char *)raw + 8 * i, 8);
    return (float)v;
  }
  case COOPT_ELEM_F16: {
    uint16_t v;
    memcpy(&v, (const char *)raw + 2 * i, 2);
    return half_to_float(v);
  }
  case COOPT_ELEM_BF16: {
    uint16_t v;
    memcpy(&v, (const char *)raw + 2 * i, 2);
    return bf16_to_float(v);
  }
  case COOPT_ELEM_I8: return (float)((const int8_t *)raw)[i];
  case COOPT_ELEM_I16: {
    int16_t v;
    memcpy(&v, (const char *)raw + 2 * i, 2);
    return (float)v;
  }
  case COOPT_ELEM_I32: {
    int32_t v;
    memcpy(&v, (const char *)raw + 4 * i, 4);
    return (float)v;
  }
  }
  return 0;
}

static float resource_get(MlirAttribute a, coopt_elem_kind k, intptr_t i) {
  switch (k) {
  case COOPT_ELEM_F32: return mlirDenseFloatResourceElementsAttrGetValue(a, i);
  case COOPT_ELEM_F64: return (float)mlirDenseDoubleResourceElementsAttrGetValue(a, i);
  case COOPT_ELEM_I8: return (float)mlirDenseInt8ResourceElementsAttrGetValue(a, i);
  case COOPT_ELEM_I16: return (float)mlirDenseInt16ResourceElementsAttrGetValue(a, i);
  case COOPT_ELEM_I32: return (float)mlirDenseInt32ResourceElementsAttrGetValue(a, i);
  case COOPT_ELEM_F16: return half_to_float(mlirDenseUInt16ResourceElementsAttrGetValue(a, i));
  case COOPT_ELEM_BF16: return bf16_to_float(mlirDenseUInt16ResourceElementsAttrGetValue(a, i));
  }
  return 0;
}

float *cooptWeightLoad(const coopt_weight *w) { return cooptWeightLoadAttr(w, cooptWeightValues(w)); }

float *cooptWeightLoadAttr(const coopt_weight *w, MlirAttribute a) {
  int64_t n = w->num_elements;
  float *storage = coopt_xmalloc((size_t)(n ? n : 1) * sizeof(float));
  if (mlirAttributeIsADenseElements(a)) {
    const void *raw = mlirDenseElementsAttrGetRawData(a);
    if (mlirDenseElementsAttrIsSplat(a)) {
      float v = raw_get(raw, w->elem, 0);
      for (int64_t i = 0; i < n; ++i)
        storage[i] = v;
    } else {
      for (int64_t i = 0; i < n; ++i)
        storage[i] = raw_get(raw, w->elem, i);
    }
  } else {
    for (int64_t i = 0; i < n; ++i)
      storage[i] = resource_get(a, w->elem, (intptr_t)i);
  }
  if (!w->index_map)
    return storage;
  float *canon = coopt_xmalloc((size_t)(n ? n : 1) * sizeof(float));
  for (int64_t c = 0; c < n; ++c)
    canon[c] = storage[w->index_map[c]];
  free(storage);
  return canon;
}

static int64_t round_sat(float v, int64_t lo, int64_t hi) {
  double r = nearbyint((double)v); /* ties to even under the default mode */
  if (!(r >= (double)lo))
    return lo;
  if (r > (double)hi)
    return hi;
  return (int64_t)r;
}

void cooptWeightStore(const coopt_weight *w, const float *values) {
  int64_t n = w->num_elements;
  size_t es = elem_size(w->elem);
  char *raw = coopt_xmalloc((size_t)(n ? n : 1) * es);
  for (int64_t c = 0; c < n; ++c) {
    int64_t dst = w->index_map ? w->index_map[c] : c;
    float v = values[c];
    char *p = raw + (size_t)dst * es;
    switch (w->elem) {
    case COOPT_ELEM_F32: memcpy(p, &v, 4); break;
    case COOPT_ELEM_F64: {
      double d = v;
      memcpy(p, &d, 8);
      break;
    }
    case COOPT_ELEM_F16: {
      uint16_t h = float_to_half(v);
      memcpy(p, &h, 2);
      break;
    }
    case COOPT_ELEM_BF16: {
      uint16_t h = float_to_bf16(v);
      memcpy(p, &h, 2);
      break;
    }
    case COOPT_ELEM_I8: {
      int8_t q = (int8_t)round_sat(v, -128, 127);
      memcpy(p, &q, 1);
      break;
    }
    case COOPT_ELEM_I16: {
      int16_t q = (int16_t)round_sat(v, -32768, 32767);
      memcpy(p, &q, 2);
      break;
    }
    case COOPT_ELEM_I32: {
      int32_t q = (int32_t)round_sat(v, INT32_MIN, INT32_MAX);
      memcpy(p, &q, 4);
      break;
    }
    }
  }
  MlirAttribute attr = mlirDenseElementsAttrRawBufferGet(w->type, (size_t)n * es, raw);
  free(raw);
  mlirOperationSetAttributeByName(w->constant, mlirStringRefCreateFromCString("values"), attr);
}

void cooptFormatShape(const int64_t *shape, int rank, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; i < rank && used < size; ++i)
    used += (size_t)snprintf(buf + used, size - used, i ? "x%lld" : "%lld", (long long)shape[i]);
}

void cooptWeightDescribe(const coopt_weight *w, char *buf, size_t size) {
  /* Diagnostics are emitted at the user op's location, so only a node name
   * (e.g. an ONNX node) adds information. */
  coopt_resolved_loc r = cooptResolveLocation(mlirOperationGetLocation(w->user));
  char shape[96];
  cooptFormatShape(w->shape, w->rank, shape, sizeof shape);
  if (r.name.length)
    snprintf(buf, size, "tosa.%s weight %s of '%.*s'", coopt_weight_op_names[w->op], shape, (int)r.name.length,
             r.name.data);
  else
    snprintf(buf, size, "tosa.%s weight %s", coopt_weight_op_names[w->op], shape);
}

/* ---- reference values ---- */

static MlirStringRef reference_name(void) { return mlirStringRefCreateFromCString("coopt.reference"); }

MlirAttribute cooptReferenceValues(MlirOperation constant) {
  MlirAttribute r = mlirOperationGetDiscardableAttributeByName(constant, reference_name());
  return mlirAttributeIsNull(r) ? mlirOperationGetAttributeByName(constant, mlirStringRefCreateFromCString("values"))
                                : r;
}

bool cooptHasReference(MlirOperation constant) {
  return !mlirAttributeIsNull(mlirOperationGetDiscardableAttributeByName(constant, reference_name()));
}

void cooptKeepReference(MlirOperation constant) {
  if (!cooptHasReference(constant))
    mlirOperationSetDiscardableAttributeByName(
        constant, reference_name(),
        mlirOperationGetAttributeByName(constant, mlirStringRefCreateFromCString("values")));
}

static MlirWalkResult drop_reference(MlirOperation op, void *ud) {
  (void)ud;
  mlirOperationRemoveDiscardableAttributeByName(op, reference_name());
  return MlirWalkResultAdvance;
}

void cooptDropReferences(MlirOperation root) { mlirOperationWalk(root, drop_reference, NULL, MlirWalkPreOrder); }

/* ---- biases ---- */

static MlirOperation defining_op(MlirValue v) {
  MlirOperation none = {NULL};
  return mlirValueIsAOpResult(v) ? mlirOpResultGetOwner(v) : none;
}

static MlirOperation sole_user(MlirValue v) {
  MlirOperation none = {NULL};
  MlirOpOperand u = mlirValueGetFirstUse(v);
  if (mlirOpOperandIsNull(u) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(u)))
    return none;
  return mlirOpOperandGetOwner(u);
}

MlirOperation cooptBiasOf(MlirOperation user) {
  MlirOperation none = {NULL};
  if (op_is(user, "tosa.conv2d") || op_is(user, "tosa.depthwise_conv2d") || op_is(user, "tosa.transpose_conv2d")) {
    MlirOperation d = defining_op(mlirOperationGetOperand(user, 2));
    return !mlirOperationIsNull(d) && op_is(d, "tosa.const") ? d : none;
  }
  if (!op_is(user, "tosa.matmul"))
    return none;
  /* The ONNX Gemm import: matmul, reshapes, then add of a constant. */
  MlirValue v = mlirOperationGetResult(user, 0);
  MlirOperation u;
  while (!mlirOperationIsNull(u = sole_user(v)) && op_is(u, "tosa.reshape"))
    v = mlirOperationGetResult(u, 0);
  if (mlirOperationIsNull(u) || !op_is(u, "tosa.add") || !mlirValueEqual(mlirOperationGetOperand(u, 0), v))
    return none;
  MlirOperation d = defining_op(mlirOperationGetOperand(u, 1));
  return !mlirOperationIsNull(d) && op_is(d, "tosa.const") ? d : none;
}
