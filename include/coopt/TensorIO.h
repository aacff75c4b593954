/* Reading and writing tensors and datasets for coopt-runner. */
#ifndef COOPT_TENSOR_IO_H
#define COOPT_TENSOR_IO_H

#include "coopt/Tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Load .npy (little-endian f4/i1/u1/i4/i8/b1, C order) or an ONNX
 * TensorProto (.pb), chosen by content.  On failure writes err. */
bool cooptTensorLoad(const char *path, coopt_tensor *out, char *err, size_t err_size);
/* Write .npy (atomically). */
bool cooptTensorSaveNpy(const char *path, const coopt_tensor *t, char *err, size_t err_size);
void cooptTensorFree(coopt_tensor *t);

/* ONNX TensorProto data type <-> coopt_dtype (false / 0 when unsupported). */
bool cooptDtypeFromOnnx(int onnx_type, coopt_dtype *out);
int cooptDtypeToOnnx(coopt_dtype t);

/* An IDX file (optionally gzip-compressed), e.g. Fashion-MNIST:
 * images (u8, [N,rows,cols]) or labels (u8, [N]). */
bool cooptIdxLoad(const char *path, coopt_tensor *out, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
