#include "Data/OnnxTensor.h"
#include "Support/Support.h"

#include <stdlib.h>
#include <string.h>

size_t cooptOnnxTypeSize(int onnx_type) {
  switch (onnx_type) {
  case COOPT_ONNX_F32:
  case COOPT_ONNX_I32: return 4;
  case COOPT_ONNX_I64: return 8;
  case COOPT_ONNX_U8:
  case COOPT_ONNX_I8:
  case COOPT_ONNX_BOOL: return 1;
  default: return 0;
  }
}

coopt_onnx_tensor_status cooptOnnxTensorDecode(const Onnx__TensorProto *t, int max_rank, int *onnx_type, int *rank,
                                               int64_t *dims, void **data, char *msg, size_t msg_size) {
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    snprintf(msg, msg_size, "uses external data, which is not supported");
    return COOPT_ONNX_TENSOR_EXTERNAL;
  }
  if (t->n_dims > (size_t)max_rank) {
    snprintf(msg, msg_size, "has rank %zu (at most %d supported)", t->n_dims, max_rank);
    return COOPT_ONNX_TENSOR_RANK;
  }
  *rank = (int)t->n_dims;
  bool empty = false;
  for (size_t i = 0; i < t->n_dims; ++i) {
    if (t->dims[i] < 0) {
      snprintf(msg, msg_size, "has a negative dimension");
      return COOPT_ONNX_TENSOR_DIM;
    }
    dims[i] = t->dims[i];
    empty |= dims[i] == 0;
  }
  *onnx_type = t->data_type;
  size_t es = cooptOnnxTypeSize(t->data_type);
  if (!es) {
    snprintf(msg, msg_size, "has ONNX data type %d, which is not supported", t->data_type);
    return COOPT_ONNX_TENSOR_TYPE;
  }
  /* The element count is bounded by the values the file carries: a header
   * that claims more is rejected before anything is allocated (and before
   * the product can overflow). */
  size_t carried = t->has_raw_data && t->raw_data.len ? t->raw_data.len / es : t->n_float_data;
  if (!(t->has_raw_data && t->raw_data.len)) {
    carried = t->n_int64_data > carried ? t->n_int64_data : carried;
    carried = t->n_int32_data > carried ? t->n_int32_data : carried;
  }
  int64_t n = 1;
  double want = 1; /* the claimed count, for the message only */
  bool fits = true;
  for (size_t i = 0; i < t->n_dims && !empty; ++i) {
    want *= (double)dims[i];
    if (fits && (size_t)n > carried / (size_t)dims[i])
      fits = false;
    else if (fits)
      n *= dims[i];
  }
  if (!fits) {
    bool raw = t->has_raw_data && t->raw_data.len;
    if (raw)
      snprintf(msg, msg_size, "has %zu bytes of raw data, expected %.0f", t->raw_data.len, want * (double)es);
    else if (!carried)
      snprintf(msg, msg_size, "has no data for its %.0f elements", want);
    else
      snprintf(msg, msg_size, "has %zu values, fewer than its %.0f elements", carried, want);
    return raw ? COOPT_ONNX_TENSOR_RAW_SIZE : COOPT_ONNX_TENSOR_NO_DATA;
  }
  if (empty)
    n = 0;
  char *d = coopt_xcalloc((size_t)(n ? n : 1), es);
  if (t->has_raw_data && t->raw_data.len) {
    if (t->raw_data.len != (size_t)n * es) {
      free(d);
      snprintf(msg, msg_size, "has %zu bytes of raw data, expected %lld", t->raw_data.len,
               (long long)(n * (int64_t)es));
      return COOPT_ONNX_TENSOR_RAW_SIZE;
    }
    memcpy(d, t->raw_data.data, t->raw_data.len); /* ONNX raw data is little-endian, like this host */
  } else if (t->data_type == COOPT_ONNX_F32 && (int64_t)t->n_float_data == n) {
    if (n) /* an empty field's pointer is NULL */
      memcpy(d, t->float_data, (size_t)n * 4);
  } else if (t->data_type == COOPT_ONNX_I64 && (int64_t)t->n_int64_data == n) {
    if (n)
      memcpy(d, t->int64_data, (size_t)n * 8);
  } else if (t->data_type != COOPT_ONNX_F32 && t->data_type != COOPT_ONNX_I64 && (int64_t)t->n_int32_data == n) {
    /* int32_data holds i32 values and, widened, every 1-byte type */
    for (int64_t i = 0; i < n; ++i) {
      if (es == 4)
        ((int32_t *)d)[i] = t->int32_data[i];
      else
        ((uint8_t *)d)[i] = (uint8_t)t->int32_data[i];
    }
  } else if (n != 0) {
    free(d);
    snprintf(msg, msg_size, "has no data for its %lld elements", (long long)n);
    return COOPT_ONNX_TENSOR_NO_DATA;
  }
  *data = d;
  return COOPT_ONNX_TENSOR_OK;
}
