/*
 * Diagnostics for coopt's tools.
 *
 * Normal mode prints every diagnostic as mlir-opt does: "file:line:col:
 * severity: message", then the source line and a caret when the location is
 * in the input.  Verify mode (--verify-diagnostics) collects them instead and
 * checks them against `expected-<severity>[@<where>] {{text}}` comments, with
 * mlir-opt's syntax and meaning, so error paths are lit-testable.  MLIR's own
 * verifier handler is C++-only, hence this reimplementation.
 */
#define _POSIX_C_SOURCE 200809L
#include "Support/Support.h"
#include "Tool/Tool.h"
#include "coopt/Diagnostics.h"

#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void coopt_diag_engine_init(coopt_diag_engine *e, const char *display_name, bool verify) {
  memset(e, 0, sizeof *e);
  e->display_name = display_name;
  e->verify = verify;
  pthread_mutex_init(&e->lock, NULL);
}

static void clear_diags(coopt_diag_engine *e) {
  for (size_t i = 0; i < e->count; ++i) {
    free(e->diags[i].file);
    free(e->diags[i].message);
  }
  e->count = 0;
}

void coopt_diag_engine_free(coopt_diag_engine *e) {
  clear_diags(e);
  free(e->diags);
  pthread_mutex_destroy(&e->lock);
}

void coopt_diag_engine_set_buffer(coopt_diag_engine *e, const char *text, size_t len) {
  e->buffer = text;
  e->buffer_len = len;
}

static bool is_input_file(coopt_diag_engine *e, const char *file) {
  return file[0] == 0 || strcmp(file, e->display_name) == 0;
}

/* The text of line `line` (1-based) of the current buffer. */
static bool buffer_line(coopt_diag_engine *e, unsigned line, const char **start, size_t *len) {
  if (!e->buffer || line == 0)
    return false;
  const char *p = e->buffer, *end = e->buffer + e->buffer_len;
  for (unsigned l = 1; l < line; ++l) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      return false;
    p = nl + 1;
  }
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  *start = p;
  *len = (size_t)((nl ? nl : end) - p);
  return true;
}

static void print_diag(coopt_diag_engine *e, MlirDiagnosticSeverity sev, const char *file, unsigned line, unsigned col,
                       const char *msg) {
  const char *shown = file[0] ? file : e->display_name;
  if (line)
    fprintf(stderr, "%s:%u:%u: %s: %s\n", shown, line, col, cooptSeverityName(sev), msg);
  else if (file[0])
    fprintf(stderr, "%s: %s: %s\n", file, cooptSeverityName(sev), msg);
  else
    fprintf(stderr, "%s: %s: %s\n", e->display_name, cooptSeverityName(sev), msg);
  const char *src;
  size_t len;
  if (line && is_input_file(e, file) && buffer_line(e, line, &src, &len)) {
    fprintf(stderr, "%.*s\n", (int)len, src);
    for (unsigned i = 1; i < col && i <= len; ++i)
      fputc(src[i - 1] == '\t' ? '\t' : ' ', stderr);
    fputs("^\n", stderr);
  }
}

static void record(coopt_diag_engine *e, MlirDiagnosticSeverity sev, MlirLocation loc, const char *msg) {
  coopt_resolved_loc r = cooptResolveLocation(loc);
  char *file = coopt_xstrndup(r.file.data ? r.file.data : "", r.file.length);
  if (r.line == 1 && e->line1_col_shift && r.col > e->line1_col_shift && is_input_file(e, file))
    r.col -= e->line1_col_shift;
  /* A location inside a NameLoc without a file (e.g. ONNX node names) keeps
   * the name in the message so the user still sees which node it is. */
  coopt_buf m;
  coopt_buf_init(&m);
  if (r.line == 0 && r.name.length)
    coopt_buf_printf(&m, "'%.*s': ", (int)r.name.length, r.name.data);
  coopt_buf_puts(&m, msg);
  pthread_mutex_lock(&e->lock);
  if (e->verify) {
    if (e->count == e->cap) {
      e->cap = e->cap ? 2 * e->cap : 16;
      e->diags = coopt_xrealloc(e->diags, e->cap * sizeof *e->diags);
    }
    coopt_diag *d = &e->diags[e->count++];
    d->severity = sev;
    d->file = file;
    d->line = r.line;
    d->col = r.col;
    d->message = coopt_buf_take(&m);
    d->matched = false;
    file = NULL;
  } else {
    if (sev == MlirDiagnosticError)
      e->errors++;
    print_diag(e, sev, file, r.line, r.col, m.data ? m.data : "");
  }
  pthread_mutex_unlock(&e->lock);
  free(file);
  coopt_buf_free(&m);
}

static void record_mlir(coopt_diag_engine *e, MlirDiagnostic d) {
  coopt_buf msg;
  coopt_buf_init(&msg);
  mlirDiagnosticPrint(d, coopt_buf_string_callback, &msg);
  record(e, mlirDiagnosticGetSeverity(d), mlirDiagnosticGetLocation(d), msg.data ? msg.data : "");
  coopt_buf_free(&msg);
  intptr_t nn = mlirDiagnosticGetNumNotes(d);
  for (intptr_t i = 0; i < nn; ++i)
    record_mlir(e, mlirDiagnosticGetNote(d, i));
}

static MlirLogicalResult mlir_handler(MlirDiagnostic d, void *ud) {
  record_mlir((coopt_diag_engine *)ud, d);
  return mlirLogicalResultSuccess();
}

static void coopt_hook(MlirLocation loc, MlirDiagnosticSeverity sev, const char *msg, void *ud) {
  record((coopt_diag_engine *)ud, sev, loc, msg);
}

MlirDiagnosticHandlerID coopt_diag_engine_attach(coopt_diag_engine *e, MlirContext ctx) {
  cooptSetDiagnosticHook(coopt_hook, e);
  return mlirContextAttachDiagnosticHandler(ctx, mlir_handler, e, NULL);
}

void coopt_diag_engine_tool_error(coopt_diag_engine *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: error: ", e->display_name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  e->errors++;
}

/* ---- expectations ---- */

typedef struct expectation {
  MlirDiagnosticSeverity severity;
  unsigned line;            /* 0 = @unknown */
  unsigned at_line, at_col; /* where the comment is, for reports */
  char *text;
  bool is_regex;
  regex_t re;
  bool matched;
} expectation;

/* Build an extended regex from MLIR's -re syntax: literal text with
 * {{regex}} parts. */
static bool compile_re(const char *text, regex_t *re) {
  coopt_buf b;
  coopt_buf_init(&b);
  const char *p = text;
  while (*p) {
    const char *open = strstr(p, "{{");
    const char *lit_end = open ? open : p + strlen(p);
    for (const char *q = p; q < lit_end; ++q) {
      if (strchr(".[]{}()\\*+?|^$", *q))
        coopt_buf_putc(&b, '\\');
      coopt_buf_putc(&b, *q);
    }
    if (!open)
      break;
    const char *close = strstr(open + 2, "}}");
    if (!close) {
      coopt_buf_free(&b);
      return false;
    }
    coopt_buf_putc(&b, '(');
    coopt_buf_append(&b, open + 2, (size_t)(close - open - 2));
    coopt_buf_putc(&b, ')');
    p = close + 2;
  }
  int rc = regcomp(re, b.data ? b.data : "", REG_EXTENDED | REG_NOSUB);
  coopt_buf_free(&b);
  return rc == 0;
}

static const struct {
  const char *name;
  MlirDiagnosticSeverity sev;
} expectation_kinds[] = {{"error", MlirDiagnosticError},
                         {"warning", MlirDiagnosticWarning},
                         {"remark", MlirDiagnosticRemark},
                         {"note", MlirDiagnosticNote}};

/* After "expected-": which kind (advancing *k past it), or -1. */
static int expectation_kind(const char **k) {
  for (int i = 0; i < 4; ++i)
    if (!strncmp(*k, expectation_kinds[i].name, strlen(expectation_kinds[i].name))) {
      *k += strlen(expectation_kinds[i].name);
      return i;
    }
  return -1;
}

/* The optional @location: @above, @below, @unknown, @+N, @-N or @N; the
 * default is the comment's own line.  False if unreadable. */
static bool expectation_target(const char **k, unsigned line, long *target, bool *unknown) {
  *target = (long)line;
  *unknown = false;
  if (**k != '@')
    return true;
  const char *s = *k + 1;
  char *after;
  if (!strncmp(s, "above", 5)) {
    *target = (long)line - 1, s += 5;
  } else if (!strncmp(s, "below", 5)) {
    *target = (long)line + 1, s += 5;
  } else if (!strncmp(s, "unknown", 7)) {
    *unknown = true, s += 7;
  } else if (*s == '+' || *s == '-') {
    *target = (long)line + strtol(s, &after, 10), s = after;
  } else {
    long a = strtol(s, &after, 10);
    if (after == s)
      return false;
    *target = a, s = after;
  }
  *k = s;
  return true;
}

typedef struct expectation_list {
  expectation *v;
  size_t n, cap;
} expectation_list;

/* One expected-<kind>[-re] [@loc] {{message}} at x in line l.  Returns where
 * to look for the next one, or NULL after a located error. */
static const char *parse_expectation(const coopt_diag_engine *e, const char *l, const char *x, unsigned line,
                                     expectation_list *list, bool *failed) {
  const char *k = x + 9;
  int kind = expectation_kind(&k);
  if (kind < 0)
    return x + 1;
  const char *name = expectation_kinds[kind].name;
  unsigned col = (unsigned)(x - l) + 1;
  bool is_re = !strncmp(k, "-re", 3);
  k += is_re ? 3 : 0;
  while (*k == ' ')
    ++k;
  long target;
  bool unknown;
  if (!expectation_target(&k, line, &target, &unknown)) {
    fprintf(stderr, "%s:%u:%u: error: bad expected-%s location\n", e->display_name, line, col, name);
    return *failed = true, NULL;
  }
  while (*k == ' ')
    ++k;
  const char *open = strncmp(k, "{{", 2) == 0 ? k : NULL, *close = NULL;
  for (const char *s = open ? open + 2 : NULL; s && (s = strstr(s, "}}")); ++s)
    close = s;
  if (!open || !close) {
    fprintf(stderr, "%s:%u:%u: error: expected-%s without {{message}}\n", e->display_name, line, col, name);
    return *failed = true, NULL;
  }
  if (list->n == list->cap) {
    list->cap = list->cap ? 2 * list->cap : 8;
    list->v = coopt_xrealloc(list->v, list->cap * sizeof *list->v);
  }
  expectation *ex = &list->v[list->n];
  memset(ex, 0, sizeof *ex);
  ex->severity = expectation_kinds[kind].sev;
  ex->line = unknown ? 0 : (unsigned)(target < 1 ? 1 : target);
  ex->at_line = line;
  ex->at_col = col;
  ex->text = coopt_xstrndup(open + 2, (size_t)(close - open - 2));
  ex->is_regex = is_re;
  if (is_re && !compile_re(ex->text, &ex->re)) {
    fprintf(stderr, "%s:%u:%u: error: invalid regex in expected-%s-re\n", e->display_name, line, col, name);
    free(ex->text);
    return *failed = true, NULL;
  }
  ++list->n;
  return close;
}

/* Every expected-* comment of the buffer, line by line. */
static bool parse_expectations(coopt_diag_engine *e, expectation **out, size_t *count) {
  expectation_list list = {NULL, 0, 0};
  bool failed = false;
  const char *p = e->buffer, *end = e->buffer + e->buffer_len;
  for (unsigned line = 1; p && p < end; ++line) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
    char *l = coopt_xstrndup(p, (size_t)(le - p));
    for (const char *x = strstr(l, "expected-"); x;) {
      const char *next = parse_expectation(e, l, x, line, &list, &failed);
      x = next ? strstr(next, "expected-") : NULL;
    }
    free(l);
    p = nl ? nl + 1 : NULL;
  }
  *out = list.v;
  *count = list.n;
  return !failed;
}

bool coopt_diag_engine_check(coopt_diag_engine *e) {
  expectation *ex;
  size_t nex;
  bool ok = parse_expectations(e, &ex, &nex);
  pthread_mutex_lock(&e->lock);
  for (size_t i = 0; i < e->count; ++i) {
    coopt_diag *d = &e->diags[i];
    bool in_input = d->line && is_input_file(e, d->file);
    for (size_t k = 0; k < nex; ++k) {
      expectation *x = &ex[k];
      if (x->matched || x->severity != d->severity)
        continue;
      if (x->line == 0 ? d->line != 0 : (!in_input || x->line != d->line))
        continue;
      bool hit = x->is_regex ? regexec(&x->re, d->message, 0, NULL, 0) == 0 : strstr(d->message, x->text) != NULL;
      if (hit) {
        x->matched = d->matched = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < e->count; ++i) {
    coopt_diag *d = &e->diags[i];
    if (d->matched)
      continue;
    ok = false;
    char msg[4096];
    snprintf(msg, sizeof msg, "unexpected %s: %s", cooptSeverityName(d->severity), d->message);
    print_diag(e, MlirDiagnosticError, d->file, d->line, d->col, msg);
  }
  for (size_t k = 0; k < nex; ++k) {
    if (!ex[k].matched) {
      ok = false;
      char msg[4096];
      snprintf(msg, sizeof msg, "expected %s \"%s\" was not produced", cooptSeverityName(ex[k].severity), ex[k].text);
      print_diag(e, MlirDiagnosticError, "", ex[k].at_line, ex[k].at_col, msg);
    }
    if (ex[k].is_regex)
      regfree(&ex[k].re);
    free(ex[k].text);
  }
  free(ex);
  clear_diags(e);
  if (!ok)
    e->errors++;
  pthread_mutex_unlock(&e->lock);
  return ok;
}
