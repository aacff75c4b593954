/*
 * A small JSON reader for the documents coopt writes itself (coopt-explore's
 * per-leaf results, which --collect merges from other machines).  It accepts
 * RFC 8259 JSON; what it rejects gets a line:column message, because such a
 * file may have been cut short by an interrupted run or a full disk.
 */
#include "Support/Support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
  const char *s, *end, *start;
  char *err;
  size_t err_size;
  int depth;
} reader;

static bool fail(reader *r, const char *what) {
  int line = 1, col = 1;
  for (const char *p = r->start; p < r->s && p < r->end; ++p)
    if (*p == '\n')
      ++line, col = 1;
    else
      ++col;
  snprintf(r->err, r->err_size, "%d:%d: %s", line, col, what);
  return false;
}

static void skip_ws(reader *r) {
  while (r->s < r->end && (*r->s == ' ' || *r->s == '\t' || *r->s == '\n' || *r->s == '\r'))
    ++r->s;
}

static bool parse_value(reader *r, coopt_jv *v);

static int hex4(const char *p) {
  int x = 0;
  for (int i = 0; i < 4; ++i) {
    char c = p[i];
    x = 16 * x + (c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -4096);
  }
  return x;
}

/* The character a two-character escape stands for; 0 for none. */
static char unescape(char e) {
  switch (e) {
  case '"': return '"';
  case '\\': return '\\';
  case '/': return '/';
  case 'b': return '\b';
  case 'f': return '\f';
  case 'n': return '\n';
  case 'r': return '\r';
  case 't': return '\t';
  default: return 0;
  }
}

static void utf8(coopt_buf *out, unsigned cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp, n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 63)), n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 63)), b[2] = (char)(0x80 | (cp & 63)), n = 3;
  } else {
    b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 63)), b[2] = (char)(0x80 | ((cp >> 6) & 63));
    b[3] = (char)(0x80 | (cp & 63)), n = 4;
  }
  coopt_buf_append(out, b, n);
}

static bool parse_string(reader *r, coopt_buf *out) {
  ++r->s; /* the opening quote */
  while (r->s < r->end && *r->s != '"') {
    unsigned char c = (unsigned char)*r->s;
    if (c < 0x20)
      return fail(r, "control character in a string");
    if (c != '\\') {
      coopt_buf_putc(out, (char)c);
      ++r->s;
      continue;
    }
    if (r->end - r->s < 2)
      return fail(r, "unterminated string");
    char e = r->s[1], u = unescape(e);
    if (u) {
      coopt_buf_putc(out, u);
      r->s += 2;
    } else if (e == 'u' && r->end - r->s >= 6 && hex4(r->s + 2) >= 0) {
      unsigned cp = (unsigned)hex4(r->s + 2);
      r->s += 6;
      if (cp >= 0xD800 && cp < 0xDC00 && r->end - r->s >= 6 && r->s[0] == '\\' && r->s[1] == 'u' &&
          hex4(r->s + 2) >= 0xDC00 && hex4(r->s + 2) < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)hex4(r->s + 2) - 0xDC00);
        r->s += 6;
      }
      utf8(out, cp);
    } else {
      return fail(r, "bad escape in a string");
    }
  }
  if (r->s >= r->end)
    return fail(r, "unterminated string");
  ++r->s;
  return true;
}

static bool parse_items(reader *r, coopt_jv *v, bool object) {
  char close = object ? '}' : ']';
  ++r->s;
  size_t cap = 0;
  skip_ws(r);
  if (r->s < r->end && *r->s == close) {
    ++r->s;
    return true;
  }
  for (;;) {
    if (v->count == cap) {
      cap = cap ? 2 * cap : 8;
      v->items = coopt_xrealloc(v->items, cap * sizeof *v->items);
      if (object)
        v->keys = coopt_xrealloc(v->keys, cap * sizeof *v->keys);
    }
    skip_ws(r);
    if (object) {
      if (r->s >= r->end || *r->s != '"')
        return fail(r, "expected a string key");
      coopt_buf key;
      coopt_buf_init(&key);
      if (!parse_string(r, &key)) {
        coopt_buf_free(&key);
        return false;
      }
      v->keys[v->count] = key.data ? coopt_buf_take(&key) : coopt_xstrndup("", 0);
      skip_ws(r);
      if (r->s >= r->end || *r->s != ':') {
        free(v->keys[v->count]);
        return fail(r, "expected ':'");
      }
      ++r->s;
    }
    memset(&v->items[v->count], 0, sizeof v->items[0]);
    ++v->count;
    if (!parse_value(r, &v->items[v->count - 1]))
      return false;
    skip_ws(r);
    if (r->s < r->end && *r->s == ',') {
      ++r->s;
      continue;
    }
    if (r->s < r->end && *r->s == close) {
      ++r->s;
      return true;
    }
    return fail(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static bool parse_value(reader *r, coopt_jv *v) {
  skip_ws(r);
  if (r->s >= r->end)
    return fail(r, "unexpected end of input");
  if (++r->depth > 64)
    return fail(r, "nesting deeper than 64");
  bool ok = true;
  char c = *r->s;
  if (c == '{' || c == '[') {
    v->type = c == '{' ? COOPT_JV_OBJECT : COOPT_JV_ARRAY;
    ok = parse_items(r, v, c == '{');
  } else if (c == '"') {
    coopt_buf s;
    coopt_buf_init(&s);
    v->type = COOPT_JV_STRING;
    ok = parse_string(r, &s);
    v->string = s.data ? coopt_buf_take(&s) : coopt_xstrndup("", 0);
    if (!ok)
      coopt_buf_free(&s);
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    char tmp[64], *end;
    size_t n = 0;
    while (r->s + n < r->end && n < sizeof tmp - 1 && strchr("+-0123456789.eE", r->s[n]))
      ++n;
    memcpy(tmp, r->s, n);
    tmp[n] = 0;
    v->type = COOPT_JV_NUMBER;
    v->number = strtod(tmp, &end);
    if (end != tmp + n || !isfinite(v->number))
      return fail(r, "bad number");
    r->s += n;
  } else if (r->end - r->s >= 4 && !strncmp(r->s, "true", 4)) {
    v->type = COOPT_JV_BOOL, v->boolean = true, r->s += 4;
  } else if (r->end - r->s >= 5 && !strncmp(r->s, "false", 5)) {
    v->type = COOPT_JV_BOOL, v->boolean = false, r->s += 5;
  } else if (r->end - r->s >= 4 && !strncmp(r->s, "null", 4)) {
    v->type = COOPT_JV_NULL, r->s += 4;
  } else {
    return fail(r, "expected a value");
  }
  --r->depth;
  return ok;
}

bool coopt_json_parse(const char *text, size_t len, coopt_jv *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  reader r = {text, text + len, text, err, err_size, 0};
  if (!parse_value(&r, out)) {
    coopt_jv_free(out);
    return false;
  }
  skip_ws(&r);
  if (r.s != r.end) {
    fail(&r, "trailing characters after the value");
    coopt_jv_free(out);
    return false;
  }
  return true;
}

void coopt_jv_free(coopt_jv *v) {
  for (size_t i = 0; i < v->count; ++i) {
    coopt_jv_free(&v->items[i]);
    if (v->keys)
      free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->string);
  memset(v, 0, sizeof *v);
}

const coopt_jv *coopt_jv_get(const coopt_jv *object, const char *key) {
  if (!object || object->type != COOPT_JV_OBJECT)
    return NULL;
  for (size_t i = 0; i < object->count; ++i)
    if (!strcmp(object->keys[i], key))
      return &object->items[i];
  return NULL;
}
