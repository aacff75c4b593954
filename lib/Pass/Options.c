/*
 * Typed pass options: `{key=value key2 key3=a,b}` as MLIR writes them.
 *
 * Values are whitespace-separated; a value may be quoted ("..." or '...') or
 * braced ({a,b}) to hold spaces or nested braces.  Lists are comma-separated.
 * A bool given without '=' is true.  Every error carries the byte offset of
 * the offending key or value so the pipeline parser can point at it.
 */
#include "Support/Support.h"
#include "coopt/Pass.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void *field(void *options, const coopt_option_info *o) { return (char *)options + o->offset; }
static const void *cfield(const void *options, const coopt_option_info *o) { return (const char *)options + o->offset; }

static bool is_list(coopt_option_kind k) {
  return k == COOPT_OPT_ENUM_LIST || k == COOPT_OPT_INT_LIST || k == COOPT_OPT_FLOAT_LIST || k == COOPT_OPT_STRING_LIST;
}

static size_t list_elem_size(coopt_option_kind k) {
  switch (k) {
  case COOPT_OPT_ENUM_LIST: return sizeof(int);
  case COOPT_OPT_INT_LIST: return sizeof(int64_t);
  case COOPT_OPT_FLOAT_LIST: return sizeof(double);
  default: return sizeof(char *);
  }
}

static void free_value(const coopt_option_info *o, void *options) {
  void *f = field(options, o);
  if (o->kind == COOPT_OPT_STRING) {
    free(*(char **)f);
    *(char **)f = NULL;
  } else if (is_list(o->kind)) {
    coopt_list *l = f;
    if (o->kind == COOPT_OPT_STRING_LIST)
      for (size_t i = 0; i < l->size; ++i)
        free(((char **)l->items)[i]);
    free(l->items);
    l->items = NULL;
    l->size = 0;
  }
}

/* ---- scalar conversion ---- */

static bool in_range(const coopt_range *r, double v) {
  if (r->has_min && (r->min_exclusive ? !(v > r->min) : !(v >= r->min)))
    return false;
  if (r->has_max && (r->max_exclusive ? !(v < r->max) : !(v <= r->max)))
    return false;
  return true;
}

static void print_num(coopt_buf *b, double v) {
  /* Shortest text that reads back as the same double. */
  char tmp[64];
  if (v == (double)(long long)v && v > -1e15 && v < 1e15) {
    /* 50, not 5e+01. */
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    coopt_buf_puts(b, tmp);
    return;
  }
  for (int prec = 1; prec <= 17; ++prec) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    if (strtod(tmp, NULL) == v)
      break;
  }
  coopt_buf_puts(b, tmp);
}

static void print_range(coopt_buf *b, const coopt_range *r) {
  if (!r->has_min && !r->has_max)
    return;
  coopt_buf_puts(b, " in ");
  coopt_buf_putc(b, r->has_min && !r->min_exclusive ? '[' : '(');
  if (r->has_min)
    print_num(b, r->min);
  else
    coopt_buf_puts(b, "-inf");
  coopt_buf_puts(b, ", ");
  if (r->has_max)
    print_num(b, r->max);
  else
    coopt_buf_puts(b, "inf");
  coopt_buf_putc(b, r->has_max && !r->max_exclusive ? ']' : ')');
}

static void enum_choices(coopt_buf *b, const char *const *values) {
  for (size_t i = 0; values && values[i]; ++i) {
    if (i)
      coopt_buf_putc(b, '|');
    coopt_buf_puts(b, values[i]);
  }
}

typedef struct parse_err {
  char *msg;
  size_t msg_size;
} parse_err;

static bool fail(parse_err *e, const char *fmt, ...) COOPT_PRINTF(2, 3);
static bool fail(parse_err *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, e->msg_size, fmt, ap);
  va_end(ap);
  return false;
}

/* Parse one scalar of `kind` (the element kind for lists) from s[0..n). */
static bool parse_scalar(const coopt_option_info *o, const char *s, size_t n, void *out, parse_err *e) {
  char *tmp = coopt_xstrndup(s, n);
  bool ok = true;
  switch (o->kind) {
  case COOPT_OPT_BOOL:
    if (!strcmp(tmp, "true") || !strcmp(tmp, "1"))
      *(bool *)out = true;
    else if (!strcmp(tmp, "false") || !strcmp(tmp, "0"))
      *(bool *)out = false;
    else
      ok = fail(e, "option '%s' expects true or false, got '%s'", o->name, tmp);
    break;
  case COOPT_OPT_INT:
  case COOPT_OPT_INT_LIST: {
    char *end;
    errno = 0;
    long long v = n ? strtoll(tmp, &end, 10) : 0;
    if (!n || *end || errno == ERANGE) {
      ok = fail(e, "option '%s' expects an integer, got '%s'", o->name, tmp);
      break;
    }
    if (!in_range(&o->range, (double)v)) {
      coopt_buf b;
      coopt_buf_init(&b);
      print_range(&b, &o->range);
      ok = fail(e, "option '%s' value %lld is out of range (must be%s)", o->name, v, b.data);
      coopt_buf_free(&b);
      break;
    }
    *(int64_t *)out = v;
    break;
  }
  case COOPT_OPT_FLOAT:
  case COOPT_OPT_FLOAT_LIST: {
    char *end;
    errno = 0;
    double v = n ? strtod(tmp, &end) : 0;
    if (!n || *end || errno == ERANGE || !isfinite(v)) {
      ok = fail(e, "option '%s' expects a finite number, got '%s'", o->name, tmp);
      break;
    }
    if (!in_range(&o->range, v)) {
      coopt_buf b;
      coopt_buf_init(&b);
      print_range(&b, &o->range);
      ok = fail(e, "option '%s' value %s is out of range (must be%s)", o->name, tmp, b.data);
      coopt_buf_free(&b);
      break;
    }
    *(double *)out = v;
    break;
  }
  case COOPT_OPT_ENUM:
  case COOPT_OPT_ENUM_LIST: {
    int found = -1;
    for (int i = 0; o->enum_values && o->enum_values[i]; ++i)
      if (!strcmp(o->enum_values[i], tmp))
        found = i;
    if (found < 0) {
      coopt_buf b;
      coopt_buf_init(&b);
      enum_choices(&b, o->enum_values);
      ok = fail(e, "option '%s' has no value '%s' (expected one of %s)", o->name, tmp, b.data);
      coopt_buf_free(&b);
      break;
    }
    *(int *)out = found;
    break;
  }
  case COOPT_OPT_STRING:
  case COOPT_OPT_STRING_LIST:
    *(char **)out = tmp;
    tmp = NULL;
    break;
  }
  free(tmp);
  return ok;
}

/* Strip one level of matching quotes or braces around a value. */
static void unwrap_value(const char **s, size_t *n, size_t *pos) {
  if (*n >= 2 && (((*s)[0] == '"' && (*s)[*n - 1] == '"') || ((*s)[0] == '\'' && (*s)[*n - 1] == '\'') ||
                  ((*s)[0] == '{' && (*s)[*n - 1] == '}'))) {
    ++*s;
    *n -= 2;
    ++*pos;
  }
}

/* Length of the value starting at s (until top-level whitespace). Returns
 * SIZE_MAX on an unterminated quote or brace. */
static size_t scan_value(const char *s, size_t n, char stop_char) {
  int depth = 0;
  char quote = 0;
  size_t i = 0;
  for (; i < n; ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '"' || c == '\'')
      quote = c;
    else if (c == '{')
      ++depth;
    else if (c == '}') {
      if (depth == 0)
        return SIZE_MAX;
      --depth;
    } else if (depth == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == stop_char))
      break;
  }
  return (quote || depth) ? SIZE_MAX : i;
}

static bool parse_value(const coopt_option_info *o, void *options, const char *s, size_t n, size_t pos,
                        size_t *err_offset, parse_err *e) {
  unwrap_value(&s, &n, &pos);
  *err_offset = pos;
  if (!is_list(o->kind)) {
    if (o->kind == COOPT_OPT_STRING) {
      char *v = NULL;
      if (!parse_scalar(o, s, n, &v, e))
        return false;
      free_value(o, options);
      *(char **)field(options, o) = v;
      return true;
    }
    union {
      bool b;
      int64_t i;
      double d;
      int en;
    } v;
    if (!parse_scalar(o, s, n, &v, e))
      return false;
    memcpy(field(options, o), &v,
           o->kind == COOPT_OPT_BOOL    ? sizeof(bool)
           : o->kind == COOPT_OPT_INT   ? sizeof(int64_t)
           : o->kind == COOPT_OPT_FLOAT ? sizeof(double)
                                        : sizeof(int));
    return true;
  }
  /* A list: comma-separated elements, each possibly quoted. */
  coopt_list nl = {0, NULL};
  size_t es = list_elem_size(o->kind), cap = 0;
  size_t i = 0;
  while (n > 0 && i <= n) {
    size_t len = scan_value(s + i, n - i, ',');
    if (len == SIZE_MAX) {
      *err_offset = pos + i;
      fail(e, "unterminated quote or brace in option '%s'", o->name);
      goto bad;
    }
    const char *el = s + i;
    size_t eln = len, elpos = pos + i;
    unwrap_value(&el, &eln, &elpos);
    if (nl.size == cap) {
      cap = cap ? cap * 2 : 4;
      nl.items = coopt_xrealloc(nl.items, cap * es);
    }
    *err_offset = elpos;
    if (!parse_scalar(o, el, eln, (char *)nl.items + nl.size * es, e))
      goto bad;
    ++nl.size;
    i += len;
    if (i < n && s[i] == ',') {
      ++i;
      if (i == n) {
        *err_offset = pos + i;
        fail(e, "option '%s' has an empty list element", o->name);
        goto bad;
      }
      continue;
    }
    if (i < n) {
      *err_offset = pos + i;
      fail(e, "unexpected '%c' in list option '%s'", s[i], o->name);
      goto bad;
    }
    break;
  }
  free_value(o, options);
  *(coopt_list *)field(options, o) = nl;
  return true;
bad:
  if (o->kind == COOPT_OPT_STRING_LIST)
    for (size_t k = 0; k < nl.size; ++k)
      free(((char **)nl.items)[k]);
  free(nl.items);
  return false;
}

bool cooptPassOptionsParse(const coopt_pass_info *info, void *options, const char *text, size_t length,
                           size_t *err_offset, char *msg, size_t msg_size) {
  parse_err e = {msg, msg_size};
  bool *seen = coopt_xcalloc(info->num_options ? info->num_options : 1, sizeof(bool));
  size_t i = 0;
  bool ok = true;
  while (ok) {
    while (i < length && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
      ++i;
    if (i >= length)
      break;
    size_t key_start = i;
    while (i < length && text[i] != '=' && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
      ++i;
    size_t key_len = i - key_start;
    *err_offset = key_start;
    if (key_len == 0) {
      ok = fail(&e, "expected an option name before '='");
      break;
    }
    const coopt_option_info *o = NULL;
    size_t oi = 0;
    for (; oi < info->num_options; ++oi)
      if (coopt_str_eq(text + key_start, key_len, info->options[oi].name)) {
        o = &info->options[oi];
        break;
      }
    if (!o) {
      /* Suggest the closest option name: typos are the common case. */
      const char *best = NULL;
      size_t best_d = (size_t)-1;
      for (size_t k = 0; k < info->num_options; ++k) {
        const char *nm = info->options[k].name;
        size_t d = coopt_edit_distance(text + key_start, key_len, nm, strlen(nm));
        if (d < best_d) {
          best_d = d;
          best = nm;
        }
      }
      if (best && best_d <= 2)
        ok = fail(&e, "unknown option '%.*s' for pass '%s'; did you mean '%s'?", (int)key_len, text + key_start,
                  info->argument, best);
      else if (info->num_options == 0)
        ok = fail(&e, "pass '%s' takes no options (got '%.*s')", info->argument, (int)key_len, text + key_start);
      else
        ok = fail(&e, "unknown option '%.*s' for pass '%s'", (int)key_len, text + key_start, info->argument);
      break;
    }
    if (seen[oi]) {
      ok = fail(&e, "option '%s' given more than once", o->name);
      break;
    }
    seen[oi] = true;
    if (i >= length || text[i] != '=') {
      if (o->kind != COOPT_OPT_BOOL) {
        ok = fail(&e, "option '%s' needs a value ('%s=...')", o->name, o->name);
        break;
      }
      *(bool *)field(options, o) = true;
      continue;
    }
    ++i; /* '=' */
    size_t vlen = scan_value(text + i, length - i, 0);
    if (vlen == SIZE_MAX) {
      *err_offset = i;
      ok = fail(&e, "unterminated quote or brace in the value of option '%s'", o->name);
      break;
    }
    if (vlen == 0 && !is_list(o->kind) && o->kind != COOPT_OPT_STRING) {
      *err_offset = i;
      ok = fail(&e, "option '%s' needs a value after '='", o->name);
      break;
    }
    ok = parse_value(o, options, text + i, vlen, i, err_offset, &e);
    i += vlen;
  }
  free(seen);
  return ok;
}

void *cooptPassOptionsCreateDefault(const coopt_pass_info *info) {
  void *options = coopt_xcalloc(1, info->options_size ? info->options_size : 1);
  for (size_t k = 0; k < info->num_options; ++k) {
    const coopt_option_info *o = &info->options[k];
    const char *d = o->default_text ? o->default_text : "";
    size_t off;
    char msg[256];
    parse_err e = {msg, sizeof msg};
    if (!parse_value(o, options, d, strlen(d), 0, &off, &e)) {
      /* A bad default is a bug in the pass table (the unit tests parse every
       * default); fail loudly rather than run with garbage. */
      fprintf(stderr, "coopt: internal error: default of %s.%s: %s\n", info->argument, o->name, msg);
      abort();
    }
  }
  return options;
}

void *cooptPassOptionsClone(const coopt_pass_info *info, const void *options) {
  void *copy = coopt_xmalloc(info->options_size ? info->options_size : 1);
  memcpy(copy, options, info->options_size);
  for (size_t k = 0; k < info->num_options; ++k) {
    const coopt_option_info *o = &info->options[k];
    if (o->kind == COOPT_OPT_STRING) {
      const char *s = *(char *const *)cfield(options, o);
      *(char **)field(copy, o) = s ? coopt_xstrndup(s, strlen(s)) : NULL;
    } else if (is_list(o->kind)) {
      const coopt_list *src = cfield(options, o);
      coopt_list *dst = field(copy, o);
      size_t es = list_elem_size(o->kind);
      dst->items = src->size ? coopt_xmalloc(src->size * es) : NULL;
      if (src->size)
        memcpy(dst->items, src->items, src->size * es);
      if (o->kind == COOPT_OPT_STRING_LIST)
        for (size_t i = 0; i < src->size; ++i) {
          const char *s = ((char **)src->items)[i];
          ((char **)dst->items)[i] = coopt_xstrndup(s, strlen(s));
        }
    }
  }
  return copy;
}

void cooptPassOptionsDestroy(const coopt_pass_info *info, void *options) {
  if (!options)
    return;
  for (size_t k = 0; k < info->num_options; ++k)
    free_value(&info->options[k], options);
  free(options);
}

static void print_string_value(coopt_buf *b, const char *s) {
  bool plain = *s != 0;
  for (const char *p = s; *p; ++p)
    if (*p == ' ' || *p == '{' || *p == '}' || *p == ',' || *p == '"' || *p == '\'' || *p == '(' || *p == ')')
      plain = false;
  if (plain) {
    coopt_buf_puts(b, s);
    return;
  }
  char q = strchr(s, '"') ? '\'' : '"';
  coopt_buf_putc(b, q);
  coopt_buf_puts(b, s);
  coopt_buf_putc(b, q);
}

static void print_scalar(coopt_buf *b, const coopt_option_info *o, const void *v) {
  switch (o->kind) {
  case COOPT_OPT_BOOL: coopt_buf_puts(b, *(const bool *)v ? "true" : "false"); break;
  case COOPT_OPT_INT:
  case COOPT_OPT_INT_LIST: coopt_buf_printf(b, "%lld", (long long)*(const int64_t *)v); break;
  case COOPT_OPT_FLOAT:
  case COOPT_OPT_FLOAT_LIST: print_num(b, *(const double *)v); break;
  case COOPT_OPT_ENUM:
  case COOPT_OPT_ENUM_LIST: coopt_buf_puts(b, o->enum_values[*(const int *)v]); break;
  case COOPT_OPT_STRING:
  case COOPT_OPT_STRING_LIST: print_string_value(b, *(char *const *)v); break;
  }
}

void cooptPassOptionsPrint(const coopt_pass_info *info, const void *options, MlirStringCallback callback,
                           void *user_data) {
  coopt_buf b;
  coopt_buf_init(&b);
  for (size_t k = 0; k < info->num_options; ++k) {
    const coopt_option_info *o = &info->options[k];
    if (k)
      coopt_buf_putc(&b, ' ');
    coopt_buf_puts(&b, o->name);
    coopt_buf_putc(&b, '=');
    if (is_list(o->kind)) {
      const coopt_list *l = cfield(options, o);
      size_t es = list_elem_size(o->kind);
      for (size_t i = 0; i < l->size; ++i) {
        if (i)
          coopt_buf_putc(&b, ',');
        print_scalar(&b, o, (const char *)l->items + i * es);
      }
    } else {
      print_scalar(&b, o, cfield(options, o));
    }
  }
  callback(mlirStringRefCreate(b.data ? b.data : "", b.size), user_data);
  coopt_buf_free(&b);
}

void cooptOptionPrintType(const coopt_option_info *o, MlirStringCallback callback, void *user_data) {
  coopt_buf b;
  coopt_buf_init(&b);
  if (is_list(o->kind))
    coopt_buf_puts(&b, "list of ");
  switch (o->kind) {
  case COOPT_OPT_BOOL: coopt_buf_puts(&b, "bool"); break;
  case COOPT_OPT_INT:
  case COOPT_OPT_INT_LIST:
    coopt_buf_puts(&b, "int");
    print_range(&b, &o->range);
    break;
  case COOPT_OPT_FLOAT:
  case COOPT_OPT_FLOAT_LIST:
    coopt_buf_puts(&b, "float");
    print_range(&b, &o->range);
    break;
  case COOPT_OPT_ENUM:
  case COOPT_OPT_ENUM_LIST:
    coopt_buf_puts(&b, "{");
    enum_choices(&b, o->enum_values);
    coopt_buf_puts(&b, "}");
    break;
  case COOPT_OPT_STRING:
  case COOPT_OPT_STRING_LIST: coopt_buf_puts(&b, "string"); break;
  }
  callback(mlirStringRefCreate(b.data, b.size), user_data);
  coopt_buf_free(&b);
}
