/*
 * libcoopt: collaborative-optimization passes for TOSA, on the MLIR C API.
 *
 * Typical embedding:
 *   MlirContext ctx = cooptCreateContext(false);
 *   MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
 *   cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
 *       mlirStringRefCreateFromCString("builtin.module(coopt-stats,canonicalize)"), cb, ud);
 */
#ifndef COOPT_COOPT_H
#define COOPT_COOPT_H

#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"
#include "coopt/Pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COOPT_VERSION_STRING "0.1.0"

/* Register every upstream dialect and pass (idempotent). */
void cooptRegisterUpstream(MlirDialectRegistry registry);
/* Register upstream's passes and every coopt pass and pipeline, so that
 * cooptParsePassPipeline and cooptGetPasses know them (idempotent,
 * thread-safe).  cooptCreateContext calls it; an embedder that makes its
 * own context calls it once before parsing a pipeline. */
void cooptRegisterAllPasses(void);
/* A context with all upstream dialects registered and loaded, upstream and
 * coopt passes registered; threading as requested. */
MlirContext cooptCreateContext(bool threading);

#ifdef __cplusplus
}
#endif

#endif /* COOPT_COOPT_H */
