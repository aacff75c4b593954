#include "Support/Support.h"
#include "Tool/Tool.h"
#include "coopt/coopt.h"

#include <stdlib.h>
#include <string.h>

bool coopt_is_bytecode(const char *data, size_t len) { return len >= 4 && memcmp(data, "ML\xefR", 4) == 0; }

static coopt_chunk make_chunk(const char *data, size_t start, size_t end, unsigned first_line) {
  coopt_chunk c;
  /* Pad with newlines so that MLIR's line numbers, and @+N expectations,
   * refer to lines of the original file. */
  size_t pad = first_line - 1;
  c.len = pad + (end - start);
  c.text = coopt_xmalloc(c.len + 1);
  memset(c.text, '\n', pad);
  memcpy(c.text + pad, data + start, end - start);
  c.text[c.len] = 0;
  c.first_line = first_line;
  return c;
}

coopt_chunk *coopt_split_input(const char *data, size_t len, const char *marker, size_t *count) {
  coopt_chunk *v = NULL;
  size_t n = 0, cap = 0;
  if (!marker || coopt_is_bytecode(data, len)) {
    v = coopt_xmalloc(sizeof *v);
    v[0].text = coopt_xmalloc(len + 1);
    memcpy(v[0].text, data, len);
    v[0].text[len] = 0;
    v[0].len = len;
    v[0].first_line = 1;
    *count = 1;
    return v;
  }
  size_t mlen = strlen(marker);
  size_t chunk_start = 0, pos = 0;
  unsigned line = 1, chunk_line = 1;
  while (pos <= len) {
    size_t eol = pos;
    while (eol < len && data[eol] != '\n')
      ++eol;
    size_t tl = eol;
    while (tl > pos && (data[tl - 1] == ' ' || data[tl - 1] == '\t' || data[tl - 1] == '\r'))
      --tl;
    bool is_marker = tl - pos == mlen && memcmp(data + pos, marker, mlen) == 0;
    if (is_marker || eol >= len) {
      size_t end = is_marker ? pos : len;
      if (n == cap) {
        cap = cap ? 2 * cap : 8;
        v = coopt_xrealloc(v, cap * sizeof *v);
      }
      v[n++] = make_chunk(data, chunk_start, end, chunk_line);
      if (!is_marker)
        break;
      chunk_start = eol < len ? eol + 1 : len;
      chunk_line = line + 1;
    }
    pos = eol + 1;
    ++line;
  }
  *count = n;
  return v;
}

void coopt_chunks_free(coopt_chunk *chunks, size_t count) {
  for (size_t i = 0; i < count; ++i)
    free(chunks[i].text);
  free(chunks);
}

/* The first token of MLIR text, skipping blanks and // comments. */
static bool starts_with_module(const char *p, const char *end) {
  for (;;) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
      ++p;
    if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
      while (p < end && *p != '\n')
        ++p;
      continue;
    }
    break;
  }
  /* Attribute, type and location alias definitions come before a printed
   * top-level op: such a file has its module already. */
  if (p < end && (*p == '#' || *p == '!'))
    return true;
  static const char *const forms[] = {"module", "builtin.module", "\"builtin.module\""};
  for (int i = 0; i < 3; ++i) {
    size_t n = strlen(forms[i]);
    if ((size_t)(end - p) > n && !strncmp(p, forms[i], n) &&
        !(p[n] == '_' || p[n] == '.' || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9')))
      return true;
  }
  return false;
}

/* Parse a chunk with the input's name in every location.  The C API's
 * mlirModuleCreateParse names every buffer "-", and mlirOperationCreateParse
 * (which takes a name) wants exactly one top-level op, so the implicit module
 * that mlir-opt adds is written into the text: "module{" goes on line 1, which
 * is padding for every split chunk after the first; on a real first line the
 * diagnostic engine takes the 7 columns back out. */
MlirOperation coopt_parse_chunk(MlirContext ctx, const coopt_chunk *chunk, const char *display,
                                coopt_diag_engine *diags) {
  if (coopt_is_bytecode(chunk->text, chunk->len) || starts_with_module(chunk->text, chunk->text + chunk->len)) {
    diags->line1_col_shift = 0;
    return mlirOperationCreateParse(ctx, mlirStringRefCreate(chunk->text, chunk->len),
                                    mlirStringRefCreateFromCString(display));
  }
  static const char prefix[] = "module{";
  coopt_buf b;
  coopt_buf_init(&b);
  coopt_buf_puts(&b, prefix);
  coopt_buf_append(&b, chunk->text, chunk->len);
  coopt_buf_puts(&b, "\n}");
  diags->line1_col_shift = chunk->first_line == 1 ? (unsigned)(sizeof prefix - 1) : 0;
  MlirOperation op =
      mlirOperationCreateParse(ctx, mlirStringRefCreate(b.data, b.size), mlirStringRefCreateFromCString(display));
  coopt_buf_free(&b);
  return op;
}

bool coopt_match_flag(const char *arg, const char *name, const char **value) {
  const char *a = arg;
  if (a[0] != '-')
    return false;
  ++a;
  if (a[0] == '-')
    ++a;
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0)
    return false;
  if (a[n] == 0) {
    if (value)
      *value = NULL;
    return true;
  }
  if (a[n] == '=' && value) {
    *value = a + n + 1;
    return true;
  }
  return false;
}
