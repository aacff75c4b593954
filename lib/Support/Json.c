#include "Support/Support.h"

#include <math.h>
#include <string.h>

void coopt_json_init(coopt_json *j, coopt_buf *out, bool pretty) {
  memset(j, 0, sizeof *j);
  j->out = out;
  j->pretty = pretty;
}

static void newline_indent(coopt_json *j) {
  if (!j->pretty || j->inline_scope[j->depth])
    return;
  coopt_buf_putc(j->out, '\n');
  for (int i = 0; i < j->depth; ++i)
    coopt_buf_puts(j->out, "  ");
}

/* Separator and indentation before an array element or an object key. */
static void next_item(coopt_json *j) {
  if (j->depth == 0)
    return;
  if (j->count[j->depth]++ > 0)
    coopt_buf_puts(j->out, j->pretty && j->inline_scope[j->depth] ? ", " : ",");
  newline_indent(j);
}

static void before_value(coopt_json *j) {
  if (j->after_key)
    j->after_key = false;
  else
    next_item(j);
}

static void open_scope(coopt_json *j, char c) {
  before_value(j);
  coopt_buf_putc(j->out, c);
  if (j->depth < 63)
    ++j->depth;
  j->count[j->depth] = 0;
  j->inline_scope[j->depth] = j->inline_scope[j->depth - 1];
}

static void close_scope(coopt_json *j, char c) {
  bool had_items = j->count[j->depth] > 0 && !j->inline_scope[j->depth];
  j->inline_scope[j->depth] = false;
  if (j->depth > 0)
    --j->depth;
  if (had_items)
    newline_indent(j);
  coopt_buf_putc(j->out, c);
}

void coopt_json_begin_object(coopt_json *j) { open_scope(j, '{'); }
void coopt_json_end_object(coopt_json *j) { close_scope(j, '}'); }
void coopt_json_begin_array(coopt_json *j) { open_scope(j, '['); }
void coopt_json_begin_inline_array(coopt_json *j) {
  open_scope(j, '[');
  j->inline_scope[j->depth] = true;
}
void coopt_json_end_array(coopt_json *j) { close_scope(j, ']'); }

static void put_string(coopt_buf *b, const char *s, size_t n) {
  coopt_buf_putc(b, '"');
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': coopt_buf_puts(b, "\\\""); break;
    case '\\': coopt_buf_puts(b, "\\\\"); break;
    case '\n': coopt_buf_puts(b, "\\n"); break;
    case '\t': coopt_buf_puts(b, "\\t"); break;
    case '\r': coopt_buf_puts(b, "\\r"); break;
    default:
      if (c < 0x20)
        coopt_buf_printf(b, "\\u%04x", c);
      else
        coopt_buf_putc(b, (char)c);
    }
  }
  coopt_buf_putc(b, '"');
}

void coopt_json_key(coopt_json *j, const char *key) {
  next_item(j);
  put_string(j->out, key, strlen(key));
  coopt_buf_puts(j->out, j->pretty ? ": " : ":");
  j->after_key = true;
}

void coopt_json_string(coopt_json *j, const char *s, size_t n) {
  before_value(j);
  put_string(j->out, s, n);
}

void coopt_json_cstring(coopt_json *j, const char *s) { coopt_json_string(j, s, strlen(s)); }

void coopt_json_int(coopt_json *j, int64_t v) {
  before_value(j);
  coopt_buf_printf(j->out, "%lld", (long long)v);
}

void coopt_json_double(coopt_json *j, double v) {
  before_value(j);
  if (!isfinite(v))
    coopt_buf_puts(j->out, "null");
  else if (v == 0)
    coopt_buf_puts(j->out, "0");
  else
    coopt_buf_printf(j->out, "%.9g", v);
}

void coopt_json_bool(coopt_json *j, bool v) {
  before_value(j);
  coopt_buf_puts(j->out, v ? "true" : "false");
}
