/* Host tensors: the element types and shapes that coopt's readers, writers
 * and executors exchange.  Kept apart from Exec.h so that the data readers
 * (lib/Data) need nothing of the executor. */
#ifndef COOPT_TENSOR_H
#define COOPT_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COOPT_MAX_RANK 8

typedef enum coopt_dtype { COOPT_F32, COOPT_I8, COOPT_U8, COOPT_I32, COOPT_I64, COOPT_BOOL } coopt_dtype;

typedef struct coopt_tensor_type {
  coopt_dtype dtype;
  int rank;
  int64_t dims[COOPT_MAX_RANK];
} coopt_tensor_type;

typedef struct coopt_tensor {
  coopt_tensor_type type;
  void *data; /* row-major, owned by whoever filled it */
} coopt_tensor;

size_t cooptDtypeSize(coopt_dtype t);
const char *cooptDtypeName(coopt_dtype t);
int64_t cooptTensorElements(const coopt_tensor_type *t);
/* The tensor's size in bytes, if its dimensions are non-negative and the
 * size is at most `limit` (no overflow on the way: readers of untrusted
 * files check a header's shape against the bytes that follow with this). */
bool cooptTensorBytesWithin(const coopt_tensor_type *t, size_t limit, size_t *bytes);

#ifdef __cplusplus
}
#endif

#endif
