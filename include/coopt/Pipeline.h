/*
 * Textual pass pipelines mixing coopt and upstream passes.
 *
 * Grammar (MLIR's):  pipeline  ::= op-name '(' elements? ')'
 *                    elements  ::= element (',' element)*
 *                    element   ::= op-name '(' elements? ')' | pass-name ('{' options '}')?
 * coopt passes are created directly; every other element is handed to
 * mlirOpPassManagerAddPipeline on the pass manager of its nesting level.
 */
#ifndef COOPT_PIPELINE_H
#define COOPT_PIPELINE_H

#include <mlir-c/Pass.h>
#include <mlir-c/Support.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parse `anchor(elements)` (e.g. "builtin.module(coopt-stats,canonicalize)")
 * and add it to `pm`, whose anchor must be the pipeline's anchor op.  Errors
 * are reported through `callback` as "<pipeline>:1:COL: error: ..." followed
 * by the pipeline text and a caret.  On failure nothing is guaranteed about
 * what was already added to pm. */
MlirLogicalResult cooptParsePassPipeline(MlirOpPassManager pm, MlirStringRef pipeline, MlirStringCallback callback,
                                         void *user_data);

/* Add a list of pipeline elements (no anchor) to `pm`, anchored on
 * `anchor_op` (the op name pm runs on, e.g. "builtin.module" or "func.func";
 * needed because the C API cannot ask a pass manager for its anchor). */
MlirLogicalResult cooptOpPassManagerAddPipeline(MlirOpPassManager pm, MlirStringRef anchor_op, MlirStringRef elements,
                                                MlirStringCallback callback, void *user_data);

/* Return the anchor op name of a full pipeline string ("builtin.module" for
 * "builtin.module(...)") in *anchor, or a failure (with message) when the text
 * is not of the form op-name(...). */
MlirLogicalResult cooptPipelineGetAnchor(MlirStringRef pipeline, MlirStringRef *anchor, MlirStringCallback callback,
                                         void *user_data);

/* Print the effective pipeline: coopt passes with all their options,
 * upstream passes as MLIR prints them (all options).  Requires a context in
 * which upstream passes are registered. */
MlirLogicalResult cooptPrintPassPipeline(MlirContext ctx, MlirStringRef pipeline, MlirStringCallback callback,
                                         void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* COOPT_PIPELINE_H */
