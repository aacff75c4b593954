/* Running TOSA models on the host: JIT through MLIR's ExecutionEngine over
 * the upstream TOSA -> linalg -> LLVM lowering. */
#ifndef COOPT_EXEC_H
#define COOPT_EXEC_H

#include "coopt/Tensor.h"

#include <mlir-c/ExecutionEngine.h>
#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COOPT_MAX_IO 256

typedef struct coopt_jit {
  MlirExecutionEngine engine;
  void *library;       /* a compiled model (cooptObjectLoad) instead of the JIT */
  void (*entry)(void); /* its _mlir_ciface_<name>, called with the real signature */
  int num_inputs, num_outputs;
  coopt_tensor_type inputs[COOPT_MAX_IO], outputs[COOPT_MAX_IO];
} coopt_jit;

/* The types of @main's arguments and results (jit->engine stays null). */
bool cooptModuleInterface(MlirModule module, coopt_jit *jit, char *err, size_t err_size);
/* Lower `module` in place to the LLVM dialect (the JIT's pipeline), with a C
 * interface wrapper _mlir_ciface_<entry>(inputs..., outputs...) taking
 * memref descriptors for func.func @<entry>. */
bool cooptLowerToLLVMDialect(MlirContext ctx, MlirModule module, const char *entry, char *err, size_t err_size);

/* Lower `module` (its @main, in place) and JIT-compile it.  On failure a
 * message goes to err (MLIR diagnostics go to the context's handler). */
bool cooptJitCompile(MlirContext ctx, MlirModule module, int opt_level, coopt_jit *jit, char *err, size_t err_size);
/* Load a model compiled by `coopt-translate --emit=obj` (an ELF object,
 * linked here into a shared library with the system C compiler) or a shared
 * library built from one, and call its _mlir_ciface_<entry> from
 * cooptJitRun.  The module gives the interface types; it must be the one the
 * object was compiled from.  The process must export memrefCopy (coopt-runner
 * links runtime/src/mlir_support.c with --export-dynamic). */
bool cooptObjectLoad(MlirModule module, const char *path, const char *entry, coopt_jit *jit, char *err,
                     size_t err_size);

/* Run @main: inputs[i] and outputs[i] point at row-major buffers of the
 * recorded types. */
bool cooptJitRun(coopt_jit *jit, void *const *inputs, void *const *outputs);
void cooptJitDestroy(coopt_jit *jit);

/* The lowering pipeline used by cooptJitCompile (for tests and docs). */
extern const char *const coopt_jit_pipeline;

#ifdef __cplusplus
}
#endif

#endif
