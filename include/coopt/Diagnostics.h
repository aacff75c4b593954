/*
 * Warnings and remarks from coopt passes.
 *
 * The MLIR 22 C API can emit errors (mlirEmitError) but not warnings, remarks
 * or notes.  coopt routes those through a process-wide hook: coopt-opt
 * installs one that feeds the same printer/verifier as MLIR's diagnostics; an
 * embedding compiler may install its own.  Without a hook they are printed
 * to stderr as "file:line:col: remark: message".
 */
#ifndef COOPT_DIAGNOSTICS_H
#define COOPT_DIAGNOSTICS_H

#include <mlir-c/Diagnostics.h>
#include <mlir-c/IR.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*coopt_diagnostic_hook)(MlirLocation loc, MlirDiagnosticSeverity severity, const char *message,
                                      void *user_data);

/* Install (or with NULL remove) the hook. */
void cooptSetDiagnosticHook(coopt_diagnostic_hook hook, void *user_data);
/* Drop warnings and remarks emitted on this thread while quiet (calls nest:
 * true to enter, false to leave).  Errors always go out. */
void cooptDiagnosticsQuiet(bool quiet);

#if defined(__GNUC__)
#define COOPT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define COOPT_PRINTF(a, b)
#endif

/* "error", "warning", "note" or "remark". */
const char *cooptSeverityName(MlirDiagnosticSeverity severity);

/* Emit through mlirEmitError (errors) or the hook (everything else). */
void cooptEmit(MlirLocation loc, MlirDiagnosticSeverity severity, const char *fmt, ...) COOPT_PRINTF(3, 4);
void cooptEmitError(MlirLocation loc, const char *fmt, ...) COOPT_PRINTF(2, 3);
void cooptEmitWarning(MlirLocation loc, const char *fmt, ...) COOPT_PRINTF(2, 3);
void cooptEmitRemark(MlirLocation loc, const char *fmt, ...) COOPT_PRINTF(2, 3);

/* A location resolved to what a diagnostic prints.  `file` is empty for
 * locations without a file; `name` is the innermost NameLoc's name (ONNX node
 * names end up here).  Strings point into the context and stay valid. */
typedef struct coopt_resolved_loc {
  MlirStringRef file;
  unsigned line, col;
  MlirStringRef name;
} coopt_resolved_loc;

coopt_resolved_loc cooptResolveLocation(MlirLocation loc);

/* "file:line:col" or "name" or "name@file:line:col" or "<unknown>", for
 * reports; writes at most size bytes (NUL-terminated). */
void cooptFormatLocation(MlirLocation loc, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* COOPT_DIAGNOSTICS_H */
