/* Ahead-of-time code generation: a TOSA module -> LLVM IR, assembly or an
 * object file for x86-64 or aarch64, and a C header for its entry point.
 * Uses MLIR's lowering (the JIT's pipeline) and LLVM through its C API. */
#ifndef COOPT_COMPILE_H
#define COOPT_COMPILE_H

#include "coopt/Exec.h"

#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum coopt_emit_kind { COOPT_EMIT_LLVM, COOPT_EMIT_ASM, COOPT_EMIT_OBJ } coopt_emit_kind;

typedef struct coopt_target {
  const char *arch;     /* "x86_64" (the host's default) or "aarch64" */
  const char *cpu;      /* e.g. "neoverse-n1"; NULL = generic */
  const char *features; /* LLVM attributes, e.g. "+dotprod,+i8mm"; NULL = none */
  int opt_level;        /* 0..3 */
  const char *name;     /* the entry's symbol: @main is renamed to it (C identifier) */
} coopt_target;

/* Triples coopt emits for. */
const char *cooptTargetTriple(const char *arch);

/* Lower `module` in place and emit it.  *out is malloc'd (caller frees).
 * On failure writes err and returns false. */
bool cooptEmitModule(MlirContext ctx, MlirModule module, const coopt_target *target, coopt_emit_kind kind, char **out,
                     size_t *out_size, char *err, size_t err_size);

/* A C header for the module's entry point (call before lowering): shapes,
 * element types, quantization parameters and an inline wrapper
 * `<name>_run(inputs..., outputs...)` over _mlir_ciface_<name>. */
bool cooptEmitHeader(MlirModule module, const char *name, char **out, size_t *out_size, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
