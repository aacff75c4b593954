/* Internal helpers shared by libcoopt and its tools (not installed API). */
#ifndef COOPT_LIB_SUPPORT_H
#define COOPT_LIB_SUPPORT_H

#include <mlir-c/Support.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coopt/Diagnostics.h"

/* ---- growable byte buffer; always NUL-terminated ---- */
typedef struct coopt_buf {
  char *data;
  size_t size, cap;
} coopt_buf;

void coopt_buf_init(coopt_buf *b);
void coopt_buf_free(coopt_buf *b);
void coopt_buf_clear(coopt_buf *b);
void coopt_buf_append(coopt_buf *b, const char *s, size_t n);
void coopt_buf_puts(coopt_buf *b, const char *s);
void coopt_buf_putc(coopt_buf *b, char c);
void coopt_buf_printf(coopt_buf *b, const char *fmt, ...) COOPT_PRINTF(2, 3);
void coopt_buf_vprintf(coopt_buf *b, const char *fmt, va_list ap) COOPT_PRINTF(2, 0);
/* MlirStringCallback that appends to a coopt_buf passed as user data. */
void coopt_buf_string_callback(MlirStringRef s, void *user_data);
/* Take ownership of the data (caller frees); b is reset. */
char *coopt_buf_take(coopt_buf *b);

/* ---- allocation that aborts on exhaustion (an OOM is not bad input) ---- */
void *coopt_xmalloc(size_t n);
void *coopt_xcalloc(size_t n, size_t size);
void *coopt_xrealloc(void *p, size_t n);
char *coopt_xstrndup(const char *s, size_t n);

/* ---- files ---- */
/* Read a whole file ("-" = stdin).  Returns false and sets errno on error. */
bool coopt_read_file(const char *path, coopt_buf *out);
/* Write data to path atomically: temp file in the same directory + rename.
 * "-" writes stdout.  On failure writes a message to err. */
bool coopt_write_file_atomic(const char *path, const void *data, size_t size, char *err, size_t err_size);

/* ---- JSON writer (deterministic, no whitespace surprises) ---- */
typedef struct coopt_json {
  coopt_buf *out;
  int depth;
  unsigned count[64];    /* items emitted at each depth */
  bool after_key;        /* a key was written; the next value completes it */
  bool inline_scope[64]; /* arrays printed on one line */
  bool pretty;
} coopt_json;

void coopt_json_init(coopt_json *j, coopt_buf *out, bool pretty);
void coopt_json_begin_object(coopt_json *j);
void coopt_json_end_object(coopt_json *j);
void coopt_json_begin_array(coopt_json *j);
/* An array printed on one line even in pretty mode (for shapes). */
void coopt_json_begin_inline_array(coopt_json *j);
void coopt_json_end_array(coopt_json *j);
void coopt_json_key(coopt_json *j, const char *key);
void coopt_json_string(coopt_json *j, const char *s, size_t n);
void coopt_json_cstring(coopt_json *j, const char *s);
void coopt_json_int(coopt_json *j, int64_t v);
void coopt_json_double(coopt_json *j, double v); /* %.9g; NaN/Inf as null */
void coopt_json_bool(coopt_json *j, bool v);

/* ---- small string helpers ---- */
/* ---- JSON reader (coopt's own documents) ---- */
typedef enum {
  COOPT_JV_NULL,
  COOPT_JV_BOOL,
  COOPT_JV_NUMBER,
  COOPT_JV_STRING,
  COOPT_JV_ARRAY,
  COOPT_JV_OBJECT
} coopt_jv_type;
typedef struct coopt_jv {
  coopt_jv_type type;
  bool boolean;
  double number;
  char *string;           /* COOPT_JV_STRING, NUL-terminated */
  struct coopt_jv *items; /* arrays and objects: count values */
  char **keys;            /* objects: the key of each item */
  size_t count;
} coopt_jv;
/* Parse one JSON value; on failure err holds "line:col: what". */
bool coopt_json_parse(const char *text, size_t len, coopt_jv *out, char *err, size_t err_size);
void coopt_jv_free(coopt_jv *v);
/* The member `key` of an object, or NULL. */
const coopt_jv *coopt_jv_get(const coopt_jv *object, const char *key);

bool coopt_str_eq(const char *a, size_t an, const char *b);
/* Levenshtein distance, for "did you mean" suggestions. */
size_t coopt_edit_distance(const char *a, size_t an, const char *b, size_t bn);

#endif
