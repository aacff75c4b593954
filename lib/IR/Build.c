#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

coopt_builder cooptBuilderBefore(MlirOperation op) {
  coopt_builder b = {mlirOperationGetContext(op), mlirOperationGetBlock(op), op, mlirOperationGetLocation(op)};
  return b;
}

MlirNamedAttribute cooptNamedAttr(MlirContext ctx, const char *name, MlirAttribute attr) {
  return mlirNamedAttributeGet(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString(name)), attr);
}

MlirAttribute cooptAttr(MlirContext ctx, const char *text) {
  MlirAttribute a = mlirAttributeParseGet(ctx, mlirStringRefCreateFromCString(text));
  if (mlirAttributeIsNull(a)) {
    fprintf(stderr, "coopt: internal error: cannot parse attribute '%s'\n", text);
    abort();
  }
  return a;
}

MlirOperation cooptBuildOp(coopt_builder *b, const char *name, intptr_t num_operands, const MlirValue *operands,
                           MlirType result, intptr_t num_attrs, const MlirNamedAttribute *attrs) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(name), b->loc);
  if (num_operands)
    mlirOperationStateAddOperands(&st, num_operands, operands);
  mlirOperationStateAddResults(&st, 1, &result);
  if (num_attrs)
    mlirOperationStateAddAttributes(&st, num_attrs, attrs);
  MlirOperation op = mlirOperationCreate(&st);
  if (mlirOperationIsNull(op)) {
    fprintf(stderr, "coopt: internal error: cannot create '%s'\n", name);
    abort();
  }
  mlirBlockInsertOwnedOperationBefore(b->block, b->before, op);
  return op;
}

MlirType cooptTensorTypeOf(MlirContext ctx, int rank, const int64_t *shape, MlirType elem) {
  (void)ctx;
  return mlirRankedTensorTypeGet(rank, shape, elem, mlirAttributeGetNull());
}

MlirType cooptTensorTypeLike(MlirType like, MlirType elem) {
  int rank = (int)mlirShapedTypeGetRank(like);
  int64_t shape[16];
  for (int i = 0; i < rank && i < 16; ++i)
    shape[i] = mlirShapedTypeGetDimSize(like, i);
  return mlirRankedTensorTypeGet(rank, shape, elem, mlirAttributeGetNull());
}

static MlirValue build_const(coopt_builder *b, MlirType type, MlirAttribute values) {
  MlirNamedAttribute a = cooptNamedAttr(b->ctx, "values", values);
  return cooptResult(cooptBuildOp(b, "tosa.const", 0, NULL, type, 1, &a));
}

static int64_t count(int rank, const int64_t *shape) {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i)
    n *= shape[i];
  return n;
}

MlirValue cooptConstF32(coopt_builder *b, int rank, const int64_t *shape, const float *data) {
  MlirType t = cooptTensorTypeOf(b->ctx, rank, shape, mlirF32TypeGet(b->ctx));
  return build_const(b, t, mlirDenseElementsAttrFloatGet(t, count(rank, shape), data));
}

MlirValue cooptConstF64(coopt_builder *b, int rank, const int64_t *shape, const double *data) {
  MlirType t = cooptTensorTypeOf(b->ctx, rank, shape, mlirF64TypeGet(b->ctx));
  return build_const(b, t, mlirDenseElementsAttrDoubleGet(t, count(rank, shape), data));
}

MlirValue cooptConstI8(coopt_builder *b, int rank, const int64_t *shape, const int8_t *data) {
  MlirType t = cooptTensorTypeOf(b->ctx, rank, shape, mlirIntegerTypeGet(b->ctx, 8));
  return build_const(b, t, mlirDenseElementsAttrInt8Get(t, count(rank, shape), data));
}

MlirValue cooptConstI32(coopt_builder *b, int rank, const int64_t *shape, const int32_t *data) {
  MlirType t = cooptTensorTypeOf(b->ctx, rank, shape, mlirIntegerTypeGet(b->ctx, 32));
  return build_const(b, t, mlirDenseElementsAttrInt32Get(t, count(rank, shape), data));
}

MlirValue cooptScalarF32(coopt_builder *b, int rank, float value) {
  int64_t ones[16];
  for (int i = 0; i < rank; ++i)
    ones[i] = 1;
  return cooptConstF32(b, rank, ones, &value);
}

MlirValue cooptScalarF64(coopt_builder *b, int rank, double value) {
  int64_t ones[16];
  for (int i = 0; i < rank; ++i)
    ones[i] = 1;
  return cooptConstF64(b, rank, ones, &value);
}

MlirValue cooptZeroPointI8(coopt_builder *b, int8_t zp) {
  int64_t one = 1;
  return cooptConstI8(b, 1, &one, &zp);
}

MlirValue cooptZeroPointI32(coopt_builder *b, int32_t zp) {
  int64_t one = 1;
  return cooptConstI32(b, 1, &one, &zp);
}

MlirValue cooptResult(MlirOperation op) { return mlirOperationGetResult(op, 0); }

bool cooptIsF32Tensor(MlirType t) {
  return mlirTypeIsARankedTensor(t) && mlirTypeIsAF32(mlirShapedTypeGetElementType(t));
}

bool cooptOpIs(MlirOperation op, const char *name) {
  if (mlirOperationIsNull(op))
    return false;
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  return n.length == strlen(name) && memcmp(n.data, name, n.length) == 0;
}

MlirOperation cooptSoleUser(MlirValue v) {
  MlirOpOperand use = mlirValueGetFirstUse(v);
  if (mlirOpOperandIsNull(use) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(use))) {
    MlirOperation none = {NULL};
    return none;
  }
  return mlirOpOperandGetOwner(use);
}

MlirOperation cooptDefiningOp(MlirValue v) {
  if (mlirValueIsAOpResult(v))
    return mlirOpResultGetOwner(v);
  MlirOperation none = {NULL};
  return none;
}

static bool is_dead_tosa(MlirOperation op) {
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  if (n.length < 5 || memcmp(n.data, "tosa.", 5) != 0)
    return false;
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i)
    if (!mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(op, i))))
      return false;
  return true;
}

void cooptEraseDeadTosa(MlirBlock block) {
  bool changed = true;
  while (changed) {
    changed = false;
    MlirOperation op = mlirBlockGetFirstOperation(block);
    while (!mlirOperationIsNull(op)) {
      MlirOperation next = mlirOperationGetNextInBlock(op);
      if (is_dead_tosa(op)) {
        mlirOperationDestroy(op);
        changed = true;
      }
      op = next;
    }
  }
}

bool cooptMetadataNumber(MlirOperation module, const char *key, double *out) {
  MlirAttribute md = mlirOperationGetAttributeByName(module, mlirStringRefCreateFromCString("coopt.metadata"));
  if (mlirAttributeIsNull(md) || !mlirAttributeIsADictionary(md))
    return false;
  MlirAttribute a = mlirDictionaryAttrGetElementByName(md, mlirStringRefCreateFromCString(key));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a))
    return false;
  MlirStringRef s = mlirStringAttrGetValue(a);
  char buf[64];
  snprintf(buf, sizeof buf, "%.*s", (int)s.length, s.data);
  char *end;
  *out = strtod(buf, &end);
  return end != buf && !*end;
}

void cooptSetArgAttr(MlirOperation func, intptr_t index, const char *name, MlirAttribute value) {
  MlirContext ctx = mlirOperationGetContext(func);
  MlirStringRef key = mlirStringRefCreateFromCString(name);
  MlirAttribute all = mlirOperationGetAttributeByName(func, mlirStringRefCreateFromCString("arg_attrs"));
  MlirAttribute ft = mlirOperationGetAttributeByName(func, mlirStringRefCreateFromCString("function_type"));
  intptr_t n = mlirFunctionTypeGetNumInputs(mlirTypeAttrGetValue(ft));
  MlirAttribute *dicts = coopt_xmalloc(sizeof *dicts * (size_t)(n > 0 ? n : 1));
  for (intptr_t i = 0; i < n; ++i) {
    MlirAttribute d = mlirAttributeGetNull();
    if (!mlirAttributeIsNull(all) && mlirAttributeIsAArray(all) && i < mlirArrayAttrGetNumElements(all))
      d = mlirArrayAttrGetElement(all, i);
    intptr_t m = mlirAttributeIsNull(d) || !mlirAttributeIsADictionary(d) ? 0 : mlirDictionaryAttrGetNumElements(d);
    MlirNamedAttribute *elems = coopt_xmalloc(sizeof *elems * (size_t)(m + 1));
    intptr_t k = 0;
    for (intptr_t j = 0; j < m; ++j) {
      MlirNamedAttribute e = mlirDictionaryAttrGetElement(d, j);
      if (i == index && mlirStringRefEqual(mlirIdentifierStr(e.name), key))
        continue;
      elems[k++] = e;
    }
    if (i == index && !mlirAttributeIsNull(value))
      elems[k++] = mlirNamedAttributeGet(mlirIdentifierGet(ctx, key), value);
    dicts[i] = mlirDictionaryAttrGet(ctx, k, elems);
    free(elems);
  }
  mlirOperationSetAttributeByName(func, mlirStringRefCreateFromCString("arg_attrs"), mlirArrayAttrGet(ctx, n, dicts));
  free(dicts);
}

MlirOperation cooptFindSymbol(MlirOperation module, const char *name) {
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirAttribute n = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    if (!mlirAttributeIsNull(n) && mlirAttributeIsAString(n) &&
        mlirStringRefEqual(mlirStringAttrGetValue(n), mlirStringRefCreateFromCString(name)))
      return op;
  }
  MlirOperation none = {NULL};
  return none;
}

MlirOperation cooptFindFunc(MlirOperation module, const char *name) {
  MlirOperation op = cooptFindSymbol(module, name);
  if (!cooptOpIs(op, "func.func"))
    op.ptr = NULL;
  return op;
}

void cooptDescribeOp(MlirOperation op, char *buf, size_t size) {
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  coopt_resolved_loc r = cooptResolveLocation(mlirOperationGetLocation(op));
  if (r.name.length)
    snprintf(buf, size, "%.*s '%.*s'", (int)name.length, name.data, (int)r.name.length, r.name.data);
  else
    snprintf(buf, size, "%.*s", (int)name.length, name.data);
}

float cooptDenseFloatAt(MlirAttribute a, int64_t i) {
  return mlirDenseElementsAttrIsSplat(a) ? mlirDenseElementsAttrGetFloatSplatValue(a)
                                         : mlirDenseElementsAttrGetFloatValue(a, i);
}

bool cooptDenseIntAt(MlirAttribute a, int64_t i, int64_t *out) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseElements(a))
    return false;
  MlirType e = mlirShapedTypeGetElementType(mlirAttributeGetType(a));
  if (!mlirTypeIsAInteger(e))
    return false;
  bool splat = mlirDenseElementsAttrIsSplat(a);
  if (!splat && i >= mlirElementsAttrGetNumElements(a))
    return false;
  switch (mlirIntegerTypeGetWidth(e)) {
  case 8:
    *out = splat ? mlirDenseElementsAttrGetInt8SplatValue(a) : mlirDenseElementsAttrGetInt8Value(a, i);
    return true;
  case 32:
    *out = splat ? mlirDenseElementsAttrGetInt32SplatValue(a) : mlirDenseElementsAttrGetInt32Value(a, i);
    return true;
  default: return false;
  }
}

bool cooptForEachFunc(MlirOperation module, bool (*fn)(MlirOperation func, const void *options), const void *options) {
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  bool ok = true;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (cooptOpIs(op, "func.func") && !fn(op, options))
      ok = false;
  return ok;
}
