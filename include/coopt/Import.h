/* Importers that bring models into TOSA. */
#ifndef COOPT_IMPORT_H
#define COOPT_IMPORT_H

#include <mlir-c/IR.h>
#include <mlir-c/Support.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A graph input replaced by a constant (static shapes: e.g. the shape input
 * of a Reshape).  `name` is the input's name, or "#K" for the K-th graph input
 * (initializers not counted).  `onnx_type` is the ONNX TensorProto data type. */
typedef struct coopt_onnx_binding {
  const char *name;
  int onnx_type;
  int rank;
  int64_t dims[8];
  const void *data;
} coopt_onnx_binding;

typedef struct coopt_onnx_import_options {
  int64_t batch; /* value for a dynamic leading (batch) dimension; 0 = none given */
  size_t num_bindings;
  const coopt_onnx_binding *bindings;
} coopt_onnx_import_options;

/* Translate an ONNX file into MLIR text in the TOSA dialect (func.func @main,
 * NCHW at the interface, NHWC inside, weights as tosa.const, ONNX node names
 * as locations).  The text goes to `text`; on failure a diagnostic naming
 * the node and op goes to `error` and the result is a failure. */
MlirLogicalResult cooptImportOnnx(const char *path, const coopt_onnx_import_options *options, MlirStringCallback text,
                                  void *text_data, MlirStringCallback error, void *error_data);

/* A per-tensor QuantizeLinear of an activation states the activation's
 * range; the importer records it on the quantizing op as coopt.qdq_range.
 * After parsing the text, this moves each such range onto the value's
 * producer (or function argument) as coopt.range, the attribute
 * coopt-calibrate keeps, and drops coopt.qdq_range. */
void cooptAdoptImportedRanges(MlirOperation module);

#ifdef __cplusplus
}
#endif

#endif
