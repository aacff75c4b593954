/* Support for coopt's command-line tools: input chunks and diagnostics. */
#ifndef COOPT_LIB_TOOL_H
#define COOPT_LIB_TOOL_H

#include "coopt/Diagnostics.h"
#include <mlir-c/Diagnostics.h>
#include <mlir-c/IR.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- the process ---- */
/* Allocator settings for a tool that runs compiled models in-process (see
 * Process.c); call first thing in main. */
void coopt_tool_init_process(void);

/* ---- command lines ---- */
/* Does arg name the flag `name` (as -name or --name)?  "--name=value" sets
 * *value (only when value is non-NULL: a boolean flag refuses "=...");
 * "--name" alone sets *value to NULL, and the caller may take the next
 * argument as the value. */
bool coopt_match_flag(const char *arg, const char *name, const char **value);

/* ---- --split-input-file ---- */
typedef struct coopt_chunk {
  char *text; /* padded with newlines so that line numbers match the file */
  size_t len;
  unsigned first_line;
} coopt_chunk;

/* Split at lines equal to `marker` (NULL = no split).  Bytecode is never
 * split.  Caller frees with coopt_chunks_free. */
coopt_chunk *coopt_split_input(const char *data, size_t len, const char *marker, size_t *count);
void coopt_chunks_free(coopt_chunk *chunks, size_t count);
bool coopt_is_bytecode(const char *data, size_t len);

/* Parse a chunk (text or bytecode) with `display` as the file name of every
 * location, adding the implicit module mlir-opt adds when the text does not
 * start with one.  NULL (diagnostics emitted) on failure. */
struct coopt_diag_engine;
MlirOperation coopt_parse_chunk(MlirContext ctx, const coopt_chunk *chunk, const char *display,
                                struct coopt_diag_engine *diags);

/* ---- diagnostics: print like mlir-opt, or check against expected-* ---- */
typedef struct coopt_diag {
  MlirDiagnosticSeverity severity;
  char *file;
  unsigned line, col; /* 0 = no file location */
  char *message;
  bool matched;
} coopt_diag;

typedef struct coopt_diag_engine {
  const char *display_name; /* replaces empty file names (string buffers) */
  const char *buffer;       /* current chunk, for source lines and expectations */
  size_t buffer_len;
  bool verify;
  coopt_diag *diags;
  size_t count, cap;
  unsigned errors;          /* errors reported to the user (not expected ones) */
  unsigned line1_col_shift; /* columns the tool inserted at the start of line 1 */
  pthread_mutex_t lock;
} coopt_diag_engine;

void coopt_diag_engine_init(coopt_diag_engine *e, const char *display_name, bool verify);
void coopt_diag_engine_free(coopt_diag_engine *e);
/* Route MLIR diagnostics of ctx and coopt's remark hook into e. */
MlirDiagnosticHandlerID coopt_diag_engine_attach(coopt_diag_engine *e, MlirContext ctx);
void coopt_diag_engine_set_buffer(coopt_diag_engine *e, const char *text, size_t len);
/* Verify mode: compare collected diagnostics with the buffer's expected-*
 * lines, report mismatches, forget the diagnostics.  True when all match. */
bool coopt_diag_engine_check(coopt_diag_engine *e);
/* Report a tool-level error ("file: error: msg") that is not an MLIR
 * diagnostic. */
void coopt_diag_engine_tool_error(coopt_diag_engine *e, const char *fmt, ...) COOPT_PRINTF(2, 3);

#endif
