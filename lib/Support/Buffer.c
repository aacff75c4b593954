#include "Support/Support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void *coopt_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fputs("coopt: out of memory\n", stderr);
    abort();
  }
  return p;
}

void *coopt_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) {
    fputs("coopt: out of memory\n", stderr);
    abort();
  }
  return p;
}

void *coopt_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fputs("coopt: out of memory\n", stderr);
    abort();
  }
  return q;
}

char *coopt_xstrndup(const char *s, size_t n) {
  char *p = coopt_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

void coopt_buf_init(coopt_buf *b) {
  b->data = NULL;
  b->size = b->cap = 0;
}

void coopt_buf_free(coopt_buf *b) {
  free(b->data);
  coopt_buf_init(b);
}

void coopt_buf_clear(coopt_buf *b) {
  b->size = 0;
  if (b->data)
    b->data[0] = 0;
}

static void buf_reserve(coopt_buf *b, size_t extra) {
  size_t need = b->size + extra + 1;
  if (need <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  b->data = coopt_xrealloc(b->data, cap);
  b->cap = cap;
}

void coopt_buf_append(coopt_buf *b, const char *s, size_t n) {
  buf_reserve(b, n);
  if (n)
    memcpy(b->data + b->size, s, n);
  b->size += n;
  b->data[b->size] = 0;
}

void coopt_buf_puts(coopt_buf *b, const char *s) { coopt_buf_append(b, s, strlen(s)); }

void coopt_buf_putc(coopt_buf *b, char c) { coopt_buf_append(b, &c, 1); }

void coopt_buf_vprintf(coopt_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return;
  buf_reserve(b, (size_t)n);
  vsnprintf(b->data + b->size, (size_t)n + 1, fmt, ap);
  b->size += (size_t)n;
}

void coopt_buf_printf(coopt_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  coopt_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

void coopt_buf_string_callback(MlirStringRef s, void *user_data) {
  coopt_buf_append((coopt_buf *)user_data, s.data, s.length);
}

char *coopt_buf_take(coopt_buf *b) {
  char *p = b->data;
  if (!p)
    p = coopt_xstrndup("", 0);
  coopt_buf_init(b);
  return p;
}

bool coopt_str_eq(const char *a, size_t an, const char *b) { return strlen(b) == an && memcmp(a, b, an) == 0; }

size_t coopt_edit_distance(const char *a, size_t an, const char *b, size_t bn) {
  /* Two-row dynamic programme; names are short. */
  size_t *prev = coopt_xmalloc((bn + 1) * sizeof(size_t));
  size_t *cur = coopt_xmalloc((bn + 1) * sizeof(size_t));
  for (size_t j = 0; j <= bn; ++j)
    prev[j] = j;
  for (size_t i = 1; i <= an; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= bn; ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    size_t *t = prev;
    prev = cur;
    cur = t;
  }
  size_t d = prev[bn];
  free(prev);
  free(cur);
  return d;
}
