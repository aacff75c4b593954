/* libFuzzer target: the ONNX importer.  Any model bytes must import into
 * TOSA that MLIR parses and verifies, or fail with a message; importer
 * output that does not verify is a finding (abort). */
#include "FuzzFile.h"
#include "coopt/Import.h"
#include "coopt/coopt.h"

#include "Support/Support.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static MlirContext ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  ctx = cooptCreateContext(false);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_input_file(data, size);
  coopt_buf text, err;
  coopt_buf_init(&text);
  coopt_buf_init(&err);
  coopt_onnx_import_options o = {1, 0, NULL};
  if (mlirLogicalResultIsSuccess(
          cooptImportOnnx(path, &o, coopt_buf_string_callback, &text, coopt_buf_string_callback, &err))) {
    MlirOperation op = mlirOperationCreateParse(ctx, mlirStringRefCreate(text.data, text.size),
                                                mlirStringRefCreateFromCString("fuzz"));
    if (mlirOperationIsNull(op) || !mlirOperationVerify(op)) {
      fprintf(stderr, "importer output does not verify:\n%.*s\n", (int)text.size, text.data);
      abort();
    }
    mlirOperationDestroy(op);
  }
  coopt_buf_free(&text);
  coopt_buf_free(&err);
  return 0;
}
