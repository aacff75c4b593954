/*
 * Ranges stated by imported quantizers: the importer records a per-tensor
 * QuantizeLinear's range on the quantizing op (coopt.qdq_range); after the
 * text is parsed, cooptAdoptImportedRanges moves it to where calibration
 * keeps ranges (coopt.range on the value's producer or argument).
 */
#include "Analysis/Quant.h"
#include "IR/Build.h"
#include "coopt/Import.h"

#include <mlir-c/BuiltinAttributes.h>

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

static bool adopt_ranges_in(MlirOperation func, const void *unused) {
  (void)unused;
  MlirRegion body = mlirOperationGetRegion(func, 0);
  MlirBlock block = mlirRegionGetFirstBlock(body);
  if (mlirBlockIsNull(block))
    return true;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirAttribute r = mlirOperationGetAttributeByName(op, S("coopt.qdq_range"));
    if (mlirAttributeIsNull(r))
      continue;
    double lo, hi;
    bool ok = cooptReadRangeAttr(r, &lo, &hi);
    mlirOperationRemoveDiscardableAttributeByName(op, S("coopt.qdq_range"));
    if (!ok || mlirOperationGetNumOperands(op) < 1)
      continue;
    /* The quantizer may read the value through a layout change (NCHW at
     * the interface); the range belongs to the value's producer. */
    MlirValue v = mlirOperationGetOperand(op, 0);
    MlirOperation d = cooptDefiningOp(v);
    while (!mlirOperationIsNull(d) && cooptIsLayoutOp(d)) {
      v = mlirOperationGetOperand(d, 0);
      d = cooptDefiningOp(v);
    }
    coopt_qpoint p = {v, -1, d, {NULL}, -1};
    if (mlirValueIsABlockArgument(v)) {
      if (!mlirBlockEqual(mlirBlockArgumentGetOwner(v), block))
        continue;
      p.arg = (int)mlirBlockArgumentGetArgNumber(v);
    } else if (cooptOpIs(d, "tosa.const")) {
      continue;
    }
    double plo, phi;
    /* Two quantizers of one value: the first one stated it. */
    if (!cooptGetRange(func, &p, &plo, &phi))
      cooptSetRange(func, &p, lo, hi);
  }
  return true;
}

void cooptAdoptImportedRanges(MlirOperation module) { cooptForEachFunc(module, adopt_ranges_in, NULL); }
