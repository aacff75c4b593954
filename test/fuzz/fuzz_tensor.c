/* libFuzzer target: the tensor readers — .npy, ONNX TensorProto .pb, and
 * IDX (plain or gzip) — on the same bytes.  They read files, so each input
 * goes through one temporary file of this process. */
#include "FuzzFile.h"
#include "coopt/TensorIO.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_input_file(data, size);
  coopt_tensor t;
  char err[512];
  if (cooptTensorLoad(path, &t, err, sizeof err))
    cooptTensorFree(&t);
  if (cooptIdxLoad(path, &t, err, sizeof err))
    cooptTensorFree(&t);
  return 0;
}
