/* libFuzzer target: the tensor readers — .npy, ONNX TensorProto .pb, and
 * IDX (plain or gzip) — on the same bytes.  They read files, so each input
 * goes through one temporary file of this process. */
#define _GNU_SOURCE
#include "coopt/TensorIO.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[] = "/tmp/coopt-fuzz-tensor-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  int fd = mkstemp(path);
  if (fd < 0)
    abort();
  close(fd);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size)
    abort();
  fclose(f);
  coopt_tensor t;
  char err[512];
  if (cooptTensorLoad(path, &t, err, sizeof err))
    cooptTensorFree(&t);
  if (cooptIdxLoad(path, &t, err, sizeof err))
    cooptTensorFree(&t);
  return 0;
}
