/*
 * Textual pass pipelines that mix coopt and upstream passes.
 *
 * MLIR 22's C API has no registry for external passes, so a pipeline string
 * that names coopt passes cannot go to mlirParsePassPipeline as a whole.  This
 * parser builds a small tree of the pipeline, creates coopt passes itself
 * and hands every other element, one at a time, to mlirOpPassManagerAddPipeline
 * on the pass manager of its nesting level.  Upstream passes therefore keep
 * all their own option parsing and error messages.
 */
#include "coopt/Pipeline.h"
#include "Support/Support.h"
#include "coopt/Pass.h"

#include <stdlib.h>
#include <string.h>

typedef struct node {
  size_t name_pos, name_len;
  bool nested;
  struct node *kids;
  size_t nkids;
  bool has_opts;
  size_t opts_pos, opts_len; /* inside the braces */
} node;

typedef struct parser {
  const char *text;
  size_t len, pos;
  bool failed;
  size_t err_pos;
  char msg[512];
} parser;

static void free_nodes(node *nodes, size_t n) {
  for (size_t i = 0; i < n; ++i)
    free_nodes(nodes[i].kids, nodes[i].nkids);
  free(nodes);
}

static bool perr(parser *p, size_t pos, const char *fmt, ...) COOPT_PRINTF(3, 4);
static bool perr(parser *p, size_t pos, const char *fmt, ...) {
  if (p->failed)
    return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->msg, sizeof p->msg, fmt, ap);
  va_end(ap);
  p->failed = true;
  p->err_pos = pos;
  return false;
}

static void skip_ws(parser *p) {
  while (p->pos < p->len &&
         (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' || p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
    ++p->pos;
}

static bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '$';
}

static bool parse_elements(parser *p, node **out, size_t *n, bool in_parens);

static bool parse_element(parser *p, node *nd) {
  memset(nd, 0, sizeof *nd);
  skip_ws(p);
  nd->name_pos = p->pos;
  while (p->pos < p->len && is_name_char(p->text[p->pos]))
    ++p->pos;
  nd->name_len = p->pos - nd->name_pos;
  if (nd->name_len == 0) {
    if (p->pos >= p->len)
      return perr(p, p->pos, "expected a pass or op name, found the end of the pipeline");
    char c = p->text[p->pos];
    if (c == ',' || c == ')')
      return perr(p, p->pos, "empty pipeline element before '%c'", c);
    if (c == '{')
      return perr(p, p->pos, "options '{...}' must follow a pass name");
    return perr(p, p->pos, "unexpected character '%c' in pass pipeline", c);
  }
  skip_ws(p);
  if (p->pos < p->len && p->text[p->pos] == '(') {
    size_t open = p->pos++;
    nd->nested = true;
    if (!parse_elements(p, &nd->kids, &nd->nkids, true))
      return false;
    if (p->pos >= p->len || p->text[p->pos] != ')')
      return perr(p, open, "unbalanced '(': missing ')'");
    ++p->pos;
    return true;
  }
  if (p->pos < p->len && p->text[p->pos] == '{') {
    size_t open = p->pos++;
    int depth = 0;
    char quote = 0;
    size_t start = p->pos;
    for (; p->pos < p->len; ++p->pos) {
      char c = p->text[p->pos];
      if (quote) {
        if (c == quote)
          quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}') {
        if (depth == 0)
          break;
        --depth;
      }
    }
    if (p->pos >= p->len)
      return perr(p, open,
                  quote ? "unterminated quote in options of '%.*s'"
                        : "unbalanced '{': missing '}' in options of '%.*s'",
                  (int)nd->name_len, p->text + nd->name_pos);
    nd->has_opts = true;
    nd->opts_pos = start;
    nd->opts_len = p->pos - start;
    ++p->pos; /* '}' */
  }
  return true;
}

static bool parse_elements(parser *p, node **out, size_t *n, bool in_parens) {
  node *v = NULL;
  size_t cnt = 0, cap = 0;
  skip_ws(p);
  if (in_parens && p->pos < p->len && p->text[p->pos] == ')') {
    *out = NULL;
    *n = 0;
    return true;
  }
  for (;;) {
    if (cnt == cap) {
      cap = cap ? cap * 2 : 4;
      v = coopt_xrealloc(v, cap * sizeof *v);
    }
    if (!parse_element(p, &v[cnt])) {
      free_nodes(v, cnt + 1);
      return false;
    }
    ++cnt;
    skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == ',') {
      ++p->pos;
      continue;
    }
    if (p->pos >= p->len) {
      if (in_parens) {
        free_nodes(v, cnt);
        return perr(p, p->pos, "unbalanced '(': missing ')' at the end of the pipeline");
      }
      break;
    }
    char c = p->text[p->pos];
    if (c == ')') {
      if (in_parens)
        break;
      free_nodes(v, cnt);
      return perr(p, p->pos, "unbalanced ')'");
    }
    if (c == '}') {
      free_nodes(v, cnt);
      return perr(p, p->pos, "unbalanced '}'");
    }
    perr(p, p->pos, "expected ',' or ')' after '%.*s', found '%c'", (int)v[cnt - 1].name_len,
         p->text + v[cnt - 1].name_pos, c);
    free_nodes(v, cnt);
    return false;
  }
  *out = v;
  *n = cnt;
  return true;
}

/* "<pipeline>:1:COL: error: MSG\n<text>\n   ^\n" */
static void report(MlirStringCallback cb, void *ud, const char *text, size_t len, size_t pos, const char *msg) {
  if (!cb)
    return;
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < pos && i < len; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  size_t line_end = line_start;
  while (line_end < len && text[line_end] != '\n')
    ++line_end;
  coopt_buf b;
  coopt_buf_init(&b);
  coopt_buf_printf(&b, "<pipeline>:%zu:%zu: error: %s\n", line, pos - line_start + 1, msg);
  coopt_buf_append(&b, text + line_start, line_end - line_start);
  coopt_buf_putc(&b, '\n');
  for (size_t i = line_start; i < pos; ++i)
    coopt_buf_putc(&b, text[i] == '\t' ? '\t' : ' ');
  coopt_buf_puts(&b, "^\n");
  cb(mlirStringRefCreate(b.data, b.size), ud);
  coopt_buf_free(&b);
}

/* ---- building pass managers (and printing) from the tree ---- */

typedef struct builder {
  const char *text;
  size_t len;
  MlirStringCallback cb;
  void *ud;
  MlirContext ctx;  /* print mode: used for scratch pass managers */
  coopt_buf *print; /* print mode when non-NULL */
  int expansion_depth;
} builder;

static bool add_nodes(builder *b, MlirOpPassManager pm, const char *anchor, node *nodes, size_t n);

static bool berr(builder *b, size_t pos, const char *fmt, ...) COOPT_PRINTF(3, 4);
static bool berr(builder *b, size_t pos, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  report(b->cb, b->ud, b->text, b->len, pos, msg);
  return false;
}

static bool add_text(builder *b, MlirOpPassManager pm, const char *anchor, const char *text, size_t len) {
  parser p = {text, len, 0, false, 0, {0}};
  node *nodes = NULL;
  size_t n = 0;
  if (!parse_elements(&p, &nodes, &n, false)) {
    report(b->cb, b->ud, text, len, p.err_pos, p.msg);
    return false;
  }
  builder sub = *b;
  sub.text = text;
  sub.len = len;
  bool ok = add_nodes(&sub, pm, anchor, nodes, n);
  free_nodes(nodes, n);
  return ok;
}

static bool add_coopt_pass(builder *b, MlirOpPassManager pm, const char *anchor, node *nd,
                           const coopt_pass_info *info) {
  void *opts = cooptPassOptionsCreateDefault(info);
  char msg[768];
  size_t off = 0;
  bool ok = true;
  if (nd->has_opts && !cooptPassOptionsParse(info, opts, b->text + nd->opts_pos, nd->opts_len, &off, msg, sizeof msg)) {
    ok = berr(b, nd->opts_pos + off, "%s", msg);
    goto done;
  }
  if (info->validate && !info->validate(opts, msg, sizeof msg)) {
    ok = berr(b, nd->has_opts ? nd->opts_pos : nd->name_pos, "invalid options for '%s': %s", info->argument, msg);
    goto done;
  }
  if (info->anchor && strcmp(info->anchor, anchor) != 0) {
    ok = berr(b, nd->name_pos, "'%s' runs on '%s' ops and cannot be scheduled under '%s'", info->argument, info->anchor,
              anchor);
    goto done;
  }
  if (info->expand) {
    /* A named pipeline: expand with its options and add the elements.  The
     * expansion is coopt-generated, so an error in it is a coopt bug; it is
     * still reported rather than trusted. */
    if (b->expansion_depth > 8) {
      ok = berr(b, nd->name_pos, "pipeline '%s' expands recursively", info->argument);
      goto done;
    }
    char *buf = coopt_xmalloc(8192);
    if (!info->expand(opts, buf, 8192)) {
      free(buf);
      ok = berr(b, nd->name_pos, "pipeline '%s' is too long to expand", info->argument);
      goto done;
    }
    builder sub = *b;
    sub.expansion_depth++;
    ok = add_text(&sub, pm, anchor, buf, strlen(buf));
    free(buf);
    goto done;
  }
  if (b->print) {
    coopt_buf_puts(b->print, info->argument);
    coopt_buf_putc(b->print, '{');
    cooptPassOptionsPrint(info, opts, coopt_buf_string_callback, b->print);
    coopt_buf_putc(b->print, '}');
  } else {
    mlirOpPassManagerAddOwnedPass(pm, cooptCreatePass(info, opts));
  }
done:
  cooptPassOptionsDestroy(info, opts);
  return ok;
}

static bool add_upstream(builder *b, MlirOpPassManager pm, const char *anchor, node *nd) {
  coopt_buf elem, err;
  coopt_buf_init(&elem);
  coopt_buf_init(&err);
  coopt_buf_append(&elem, b->text + nd->name_pos, nd->name_len);
  if (nd->has_opts) {
    coopt_buf_putc(&elem, '{');
    coopt_buf_append(&elem, b->text + nd->opts_pos, nd->opts_len);
    coopt_buf_putc(&elem, '}');
  }
  bool ok;
  if (b->print) {
    /* Print through a scratch pass manager so upstream passes show all their
     * options, exactly as MLIR would print them. */
    MlirPassManager tmp = mlirPassManagerCreateOnOperation(b->ctx, mlirStringRefCreateFromCString(anchor));
    MlirOpPassManager topm = mlirPassManagerGetAsOpPassManager(tmp);
    ok = mlirLogicalResultIsSuccess(
        mlirOpPassManagerAddPipeline(topm, mlirStringRefCreate(elem.data, elem.size), coopt_buf_string_callback, &err));
    if (ok) {
      coopt_buf out;
      coopt_buf_init(&out);
      mlirPrintPassPipeline(topm, coopt_buf_string_callback, &out);
      size_t alen = strlen(anchor);
      if (out.size >= alen + 2 && out.data[alen] == '(')
        coopt_buf_append(b->print, out.data + alen + 1, out.size - alen - 2);
      else
        coopt_buf_append(b->print, out.data, out.size);
      coopt_buf_free(&out);
    }
    mlirPassManagerDestroy(tmp);
  } else {
    ok = mlirLogicalResultIsSuccess(
        mlirOpPassManagerAddPipeline(pm, mlirStringRefCreate(elem.data, elem.size), coopt_buf_string_callback, &err));
  }
  if (!ok) {
    /* MLIR's message repeats its own "MLIR Textual PassPipeline Parser:1:1:
     * error:" prefix and a caret under our element text; keep the message
     * line only, since our caret points into the user's whole pipeline. */
    const char *msg = err.data ? err.data : "";
    const char *tag = strstr(msg, "error: ");
    if (tag && strncmp(msg, "MLIR Textual PassPipeline Parser", 32) == 0)
      msg = tag + 7;
    size_t mlen = strcspn(msg, "\n");
    while (mlen && msg[mlen - 1] == ' ')
      --mlen;
    /* An option value LLVM's command-line parser rejects is reported by
     * LLVM on stderr, not through the callback: say where to look. */
    if (!mlen && nd->has_opts) {
      msg = "invalid option value (LLVM's option parser printed which)";
      mlen = strlen(msg);
    }
    berr(b, nd->name_pos, "cannot add '%.*s' under '%s'%s%.*s", (int)nd->name_len, b->text + nd->name_pos, anchor,
         mlen ? ": " : "", (int)mlen, msg);
  }
  coopt_buf_free(&elem);
  coopt_buf_free(&err);
  return ok;
}

static bool add_nodes(builder *b, MlirOpPassManager pm, const char *anchor, node *nodes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    node *nd = &nodes[i];
    if (b->print && i)
      coopt_buf_putc(b->print, ',');
    if (nd->nested) {
      char *name = coopt_xstrndup(b->text + nd->name_pos, nd->name_len);
      MlirOpPassManager nested = {NULL};
      if (!b->print)
        nested = mlirOpPassManagerGetNestedUnder(pm, mlirStringRefCreate(name, nd->name_len));
      else {
        coopt_buf_puts(b->print, name);
        coopt_buf_putc(b->print, '(');
      }
      bool ok = add_nodes(b, nested, name, nd->kids, nd->nkids);
      free(name);
      if (!ok)
        return false;
      if (b->print)
        coopt_buf_putc(b->print, ')');
      continue;
    }
    const coopt_pass_info *info = cooptLookupPass(b->text + nd->name_pos, nd->name_len);
    if (info) {
      if (!add_coopt_pass(b, pm, anchor, nd, info))
        return false;
      continue;
    }
    if (nd->name_len > 6 && memcmp(b->text + nd->name_pos, "coopt-", 6) == 0) {
      /* Never let upstream guess at coopt names: suggest the nearest one. */
      size_t count;
      const coopt_pass_info *const *all = cooptGetPasses(&count);
      const char *best = NULL;
      size_t best_d = (size_t)-1;
      for (size_t k = 0; k < count; ++k) {
        size_t d =
            coopt_edit_distance(b->text + nd->name_pos, nd->name_len, all[k]->argument, strlen(all[k]->argument));
        if (d < best_d) {
          best_d = d;
          best = all[k]->argument;
        }
      }
      if (best && best_d <= 3)
        return berr(b, nd->name_pos, "unknown coopt pass '%.*s'; did you mean '%s'?", (int)nd->name_len,
                    b->text + nd->name_pos, best);
      return berr(b, nd->name_pos, "unknown coopt pass '%.*s' (see coopt-opt --help)", (int)nd->name_len,
                  b->text + nd->name_pos);
    }
    if (!add_upstream(b, pm, anchor, nd))
      return false;
  }
  return true;
}

/* Parse a full `anchor(...)` pipeline; on success returns the tree and the
 * anchor node. */
static node *parse_full(const char *text, size_t len, MlirStringCallback cb, void *ud, size_t *n_out) {
  parser p = {text, len, 0, false, 0, {0}};
  node *nodes = NULL;
  size_t n = 0;
  skip_ws(&p);
  if (p.pos >= len) {
    report(cb, ud, text, len, 0, "empty pass pipeline; expected 'op-name(...)', e.g. 'builtin.module(coopt-stats)'");
    return NULL;
  }
  if (!parse_elements(&p, &nodes, &n, false)) {
    report(cb, ud, text, len, p.err_pos, p.msg);
    return NULL;
  }
  if (n != 1 || !nodes[0].nested) {
    size_t pos = n ? nodes[n > 1 && nodes[0].nested ? 1 : 0].name_pos : 0;
    report(cb, ud, text, len, pos,
           "a pass pipeline must be a single 'op-name(...)' element, e.g. "
           "'builtin.module(coopt-stats,canonicalize)'");
    free_nodes(nodes, n);
    return NULL;
  }
  *n_out = n;
  return nodes;
}

MlirLogicalResult cooptParsePassPipeline(MlirOpPassManager pm, MlirStringRef pipeline, MlirStringCallback callback,
                                         void *user_data) {
  size_t n;
  node *nodes = parse_full(pipeline.data, pipeline.length, callback, user_data, &n);
  if (!nodes)
    return mlirLogicalResultFailure();
  char *anchor = coopt_xstrndup(pipeline.data + nodes[0].name_pos, nodes[0].name_len);
  builder b = {pipeline.data, pipeline.length, callback, user_data, {NULL}, NULL, 0};
  bool ok = add_nodes(&b, pm, anchor, nodes[0].kids, nodes[0].nkids);
  free(anchor);
  free_nodes(nodes, n);
  return ok ? mlirLogicalResultSuccess() : mlirLogicalResultFailure();
}

MlirLogicalResult cooptOpPassManagerAddPipeline(MlirOpPassManager pm, MlirStringRef anchor_op, MlirStringRef elements,
                                                MlirStringCallback callback, void *user_data) {
  char *anchor = coopt_xstrndup(anchor_op.data, anchor_op.length);
  builder b = {elements.data, elements.length, callback, user_data, {NULL}, NULL, 0};
  bool ok = add_text(&b, pm, anchor, elements.data, elements.length);
  free(anchor);
  return ok ? mlirLogicalResultSuccess() : mlirLogicalResultFailure();
}

MlirLogicalResult cooptPipelineGetAnchor(MlirStringRef pipeline, MlirStringRef *anchor, MlirStringCallback callback,
                                         void *user_data) {
  size_t n;
  node *nodes = parse_full(pipeline.data, pipeline.length, callback, user_data, &n);
  if (!nodes)
    return mlirLogicalResultFailure();
  *anchor = mlirStringRefCreate(pipeline.data + nodes[0].name_pos, nodes[0].name_len);
  free_nodes(nodes, n);
  return mlirLogicalResultSuccess();
}

MlirLogicalResult cooptPrintPassPipeline(MlirContext ctx, MlirStringRef pipeline, MlirStringCallback callback,
                                         void *user_data) {
  size_t n;
  node *nodes = parse_full(pipeline.data, pipeline.length, callback, user_data, &n);
  if (!nodes)
    return mlirLogicalResultFailure();
  coopt_buf out;
  coopt_buf_init(&out);
  char *anchor = coopt_xstrndup(pipeline.data + nodes[0].name_pos, nodes[0].name_len);
  coopt_buf_puts(&out, anchor);
  coopt_buf_putc(&out, '(');
  builder b = {pipeline.data, pipeline.length, callback, user_data, ctx, &out, 0};
  MlirOpPassManager none = {NULL};
  bool ok = add_nodes(&b, none, anchor, nodes[0].kids, nodes[0].nkids);
  coopt_buf_putc(&out, ')');
  if (ok)
    callback(mlirStringRefCreate(out.data, out.size), user_data);
  coopt_buf_free(&out);
  free(anchor);
  free_nodes(nodes, n);
  return ok ? mlirLogicalResultSuccess() : mlirLogicalResultFailure();
}
