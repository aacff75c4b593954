/* libFuzzer target: the pass pipeline parser and the typed option parser
 * (numbers, lists, nested braces, quotes) that every coopt tool and
 * embedder hands user text to.  The pipeline is parsed into a pass manager,
 * never run. */
#include "coopt/coopt.h"

#include <mlir-c/Pass.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static MlirContext ctx;

static void ignore(MlirStringRef s, void *user) { (void)s, (void)user; }

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  ctx = cooptCreateContext(false);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm), mlirStringRefCreate((const char *)data, size), ignore,
                         NULL);
  mlirPassManagerDestroy(pm);
  return 0;
}
