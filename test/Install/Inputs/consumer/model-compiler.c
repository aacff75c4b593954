/*
 * model-compiler: what an ahead-of-time model compiler does with libcoopt,
 * through the installed public headers only.  It owns the MLIR context and
 * the pass manager; coopt contributes the importer, its passes (registered
 * into the compiler's own pass manager by the textual pipeline) and code
 * generation.
 *
 *   model-compiler model.onnx data-dir out.o out.h out.mlir [--no-jit]
 *
 * The model is imported (batch 10), pruned to 1x4 blocks, quantized to
 * int8 on 50 calibration images and routed to coopt's kernels; out.mlir is
 * the result, out.h and out.o its C interface and code.  Unless --no-jit,
 * the result is also JIT-compiled and run once on zeros, which loads the
 * runtime (libcoopt_rt.so) the way an installed libcoopt finds it.
 */
#include "coopt/Compile.h"
#include "coopt/Exec.h"
#include "coopt/Import.h"
#include "coopt/coopt.h"

#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text {
  char *data;
  size_t size;
} text;

static void append(MlirStringRef s, void *ud) {
  text *t = ud;
  t->data = realloc(t->data, t->size + s.length + 1);
  memcpy(t->data + t->size, s.data, s.length);
  t->size += s.length;
  t->data[t->size] = 0;
}

static void to_stderr(MlirStringRef s, void *ud) {
  (void)ud;
  fwrite(s.data, 1, s.length, stderr);
}

static int write_file(const char *path, const char *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "model-compiler: cannot write %s\n", path);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: model-compiler model.onnx data-dir out.o out.h out.mlir [--no-jit]\n");
    return 2;
  }
  bool jit = argc == 6;

  /* The compiler's own context: upstream's dialects, then coopt's passes. */
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  cooptRegisterUpstream(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  cooptRegisterAllPasses();

  coopt_onnx_import_options options = {.batch = 10};
  text tosa = {0};
  if (mlirLogicalResultIsFailure(cooptImportOnnx(argv[1], &options, append, &tosa, to_stderr, NULL)))
    return 1;
  MlirModule module = mlirModuleCreateParse(ctx, mlirStringRefCreate(tosa.data, tosa.size));
  free(tosa.data);
  if (mlirModuleIsNull(module))
    return 1;
  cooptAdoptImportedRanges(mlirModuleGetOperation(module));

  char pipeline[1024];
  snprintf(pipeline, sizeof pipeline,
           "builtin.module(coopt-prune{sparsity=0.5 pattern=1x4},coopt-qat{data=%s samples=50},"
           "coopt-lower-int8,coopt-lower-kernels)",
           argv[2]);
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  if (mlirLogicalResultIsFailure(cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                                        mlirStringRefCreateFromCString(pipeline), to_stderr, NULL)) ||
      mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module)))) {
    fprintf(stderr, "model-compiler: the pipeline failed\n");
    return 1;
  }
  mlirPassManagerDestroy(pm);

  text mlir = {0};
  mlirOperationPrint(mlirModuleGetOperation(module), append, &mlir);
  char err[512];
  char *header = NULL, *object = NULL;
  size_t header_size = 0, object_size = 0;
  if (write_file(argv[5], mlir.data, mlir.size) ||
      !cooptEmitHeader(module, "model", &header, &header_size, err, sizeof err) ||
      write_file(argv[4], header, header_size)) {
    fprintf(stderr, "model-compiler: %s\n", err);
    return 1;
  }

  if (jit) {
    /* The JIT lowers in place: run a copy. */
    MlirModule copy = mlirModuleCreateParse(ctx, mlirStringRefCreate(mlir.data, mlir.size));
    coopt_jit engine;
    if (!cooptJitCompile(ctx, copy, 2, &engine, err, sizeof err)) {
      fprintf(stderr, "model-compiler: %s\n", err);
      return 1;
    }
    void *in = calloc((size_t)cooptTensorElements(&engine.inputs[0]), cooptDtypeSize(engine.inputs[0].dtype));
    void *out = calloc((size_t)cooptTensorElements(&engine.outputs[0]), cooptDtypeSize(engine.outputs[0].dtype));
    if (!cooptJitRun(&engine, &in, &out)) {
      fprintf(stderr, "model-compiler: the JIT run failed\n");
      return 1;
    }
    printf("jit: ran %s -> %s\n", cooptDtypeName(engine.inputs[0].dtype), cooptDtypeName(engine.outputs[0].dtype));
    free(in);
    free(out);
    cooptJitDestroy(&engine);
    mlirModuleDestroy(copy);
  }

  coopt_target target = {.arch = "x86_64", .opt_level = 2, .name = "model"};
  if (!cooptEmitModule(ctx, module, &target, COOPT_EMIT_OBJ, &object, &object_size, err, sizeof err) ||
      write_file(argv[3], object, object_size)) {
    fprintf(stderr, "model-compiler: %s\n", err);
    return 1;
  }
  printf("model-compiler: %s -> %s (%zu bytes), %s\n", argv[1], argv[3], object_size, argv[4]);
  free(mlir.data);
  free(header);
  free(object);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return 0;
}
