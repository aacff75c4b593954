/* Decoding ONNX TensorProto messages, shared by the importer (initializers,
 * Constant attributes) and coopt-runner's .pb reader. */
#ifndef COOPT_LIB_ONNX_TENSOR_H
#define COOPT_LIB_ONNX_TENSOR_H

#include "onnx.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* ONNX TensorProto data types coopt handles. */
enum {
  COOPT_ONNX_F32 = 1,
  COOPT_ONNX_U8 = 2,
  COOPT_ONNX_I8 = 3,
  COOPT_ONNX_I32 = 6,
  COOPT_ONNX_I64 = 7,
  COOPT_ONNX_BOOL = 9
};

typedef enum coopt_onnx_tensor_status {
  COOPT_ONNX_TENSOR_OK,
  COOPT_ONNX_TENSOR_EXTERNAL, /* data in an external file */
  COOPT_ONNX_TENSOR_RANK,     /* rank above max_rank */
  COOPT_ONNX_TENSOR_DIM,      /* negative dimension */
  COOPT_ONNX_TENSOR_TYPE,     /* unsupported data type */
  COOPT_ONNX_TENSOR_RAW_SIZE, /* raw_data of the wrong size */
  COOPT_ONNX_TENSOR_NO_DATA   /* elements but no data */
} coopt_onnx_tensor_status;

/* Element size of a supported ONNX data type, 0 for any other. */
size_t cooptOnnxTypeSize(int onnx_type);

/* Decode t into a new row-major buffer (*data, caller frees; bool, u8 and
 * i8 one byte per element).  On failure returns the status and writes a
 * message that follows the tensor's name, e.g. "has a negative dimension". */
coopt_onnx_tensor_status cooptOnnxTensorDecode(const Onnx__TensorProto *t, int max_rank, int *onnx_type, int *rank,
                                               int64_t *dims, void **data, char *msg, size_t msg_size);

#endif
