/* Element sizes and names, and overflow-checked tensor sizes. */
#include "coopt/Tensor.h"

size_t cooptDtypeSize(coopt_dtype t) {
  switch (t) {
  case COOPT_F32:
  case COOPT_I32: return 4;
  case COOPT_I64: return 8;
  default: return 1;
  }
}

const char *cooptDtypeName(coopt_dtype t) {
  switch (t) {
  case COOPT_F32: return "f32";
  case COOPT_I8: return "i8";
  case COOPT_U8: return "ui8";
  case COOPT_I32: return "i32";
  case COOPT_I64: return "i64";
  case COOPT_BOOL: return "i1";
  }
  return "?";
}

int64_t cooptTensorElements(const coopt_tensor_type *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; ++i)
    n *= t->dims[i];
  return n;
}

bool cooptTensorBytesWithin(const coopt_tensor_type *t, size_t limit, size_t *bytes) {
  size_t n = cooptDtypeSize(t->dtype);
  for (int i = 0; i < t->rank; ++i) {
    if (t->dims[i] < 0)
      return false;
    if (t->dims[i] == 0)
      n = 0;
    else if (n > limit / (size_t)t->dims[i])
      return false;
    else
      n *= (size_t)t->dims[i];
  }
  if (n > limit)
    return false;
  *bytes = n;
  return true;
}
