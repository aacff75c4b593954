/*
 * Small IR construction helpers over the MLIR C API, for passes that create
 * TOSA ops (fake-quant, int8 lowering).  Every helper inserts before a fixed
 * anchor op and stamps the anchor's location on what it creates, so the new
 * ops keep the ONNX node names that diagnostics and --verify-diagnostics use.
 */
#ifndef COOPT_LIB_IR_BUILD_H
#define COOPT_LIB_IR_BUILD_H

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct coopt_builder {
  MlirContext ctx;
  MlirBlock block;
  MlirOperation before; /* insertion point: new ops go right before it */
  MlirLocation loc;
} coopt_builder;

/* Insert before `op`, with op's location. */
coopt_builder cooptBuilderBefore(MlirOperation op);

/* Generic op creation. */
MlirOperation cooptBuildOp(coopt_builder *b, const char *name, intptr_t num_operands, const MlirValue *operands,
                           MlirType result, intptr_t num_attrs, const MlirNamedAttribute *attrs);
MlirNamedAttribute cooptNamedAttr(MlirContext ctx, const char *name, MlirAttribute attr);
/* Parse an attribute from text; aborts on a malformed literal (a coopt bug). */
MlirAttribute cooptAttr(MlirContext ctx, const char *text);

MlirType cooptTensorTypeOf(MlirContext ctx, int rank, const int64_t *shape, MlirType elem);
/* Same shape as `like`, other element type. */
MlirType cooptTensorTypeLike(MlirType like, MlirType elem);

/* tosa.const with the given shape. */
MlirValue cooptConstF32(coopt_builder *b, int rank, const int64_t *shape, const float *data);
MlirValue cooptConstF64(coopt_builder *b, int rank, const int64_t *shape, const double *data);
MlirValue cooptConstI8(coopt_builder *b, int rank, const int64_t *shape, const int8_t *data);
MlirValue cooptConstI32(coopt_builder *b, int rank, const int64_t *shape, const int32_t *data);
/* A rank-r all-ones-shape f32 scalar (broadcasts against rank-r tensors). */
MlirValue cooptScalarF32(coopt_builder *b, int rank, float value);
MlirValue cooptScalarF64(coopt_builder *b, int rank, double value);
/* tensor<1xi8> / tensor<1xi32> zero-point (and mul shift) operands. */
MlirValue cooptZeroPointI8(coopt_builder *b, int8_t zp);
MlirValue cooptZeroPointI32(coopt_builder *b, int32_t zp);

MlirValue cooptResult(MlirOperation op);

/* Value/type helpers. */
bool cooptIsF32Tensor(MlirType t);
bool cooptOpIs(MlirOperation op, const char *name);
/* The single user of v, or a null op when v has 0 or several uses. */
MlirOperation cooptSoleUser(MlirValue v);
/* The defining op of v, or a null op for block arguments. */
MlirOperation cooptDefiningOp(MlirValue v);
/* Erase ops in `block` whose results are all unused and that have no
 * effects we care about (tosa.* ops), repeating until nothing changes. */
void cooptEraseDeadTosa(MlirBlock block);

/* The module's coopt.metadata entry `key` (a string) parsed as a number. */
bool cooptMetadataNumber(MlirOperation module, const char *key, double *out);
/* Run `fn` on every func.func of a module; fails if any run failed. */
bool cooptForEachFunc(MlirOperation module, bool (*fn)(MlirOperation func, const void *options), const void *options);
/* Set argument `index`'s attribute `name` of a func.func (a body or a
 * declaration) to `value`, or remove it when `value` is null, keeping the
 * argument's other attributes. */
void cooptSetArgAttr(MlirOperation func, intptr_t index, const char *name, MlirAttribute value);
/* The top-level op of a module whose sym_name is `name`, or a null op. */
MlirOperation cooptFindSymbol(MlirOperation module, const char *name);
/* The func.func @name of a module, or a null op. */
MlirOperation cooptFindFunc(MlirOperation module, const char *name);
/* "tosa.conv2d 'node'" (the op's name, and the node name its location
 * carries, if any), for diagnostics. */
void cooptDescribeOp(MlirOperation op, char *buf, size_t size);
/* Element i of a dense elements attribute (the splat value for a splat):
 * as float, or as an integer of width 8 or 32 (false otherwise). */
float cooptDenseFloatAt(MlirAttribute a, int64_t i);
bool cooptDenseIntAt(MlirAttribute a, int64_t i, int64_t *out);
#endif
