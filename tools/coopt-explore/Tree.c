/*
 * The deployment tree: the built-in one and the text spec that replaces it.
 *
 *   # comment
 *   <name> <level> <parent or -> <stage>
 *
 * A stage is pipeline elements (what goes inside builtin.module(...)); the
 * rest of the line after the parent.  $CAL expands to the calibration data
 * options, `data=<calibration split> samples=<n>`.
 */
#include "Explore.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tfmot's recommended process as a tree.  Level 0 quantizes only; level 1
 * prunes or clusters (float); level 2 quantizes those keeping their
 * structure (PQAT, CQAT) or clusters the pruned ones keeping the zeros
 * (sparsity-preserving clustering); level 3 quantizes those (PCQAT).  Every
 * compression stage is followed by coopt-recover, so the stages are those of
 * the named pipelines (coopt-pqat, coopt-cqat, coopt-pcqat, ...), split
 * where the tree branches. */
const char explore_default_tree[] =
    "# name           level parent        stage\n"
    "int8               0   -             coopt-calibrate{$CAL},coopt-fake-quant\n"
    "prune-50           1   -             coopt-prune{method=obs sparsity=0.5 $CAL},coopt-recover{$CAL dense=true}\n"
    "prune-75           1   -             coopt-prune{method=obs sparsity=0.75 $CAL},coopt-recover{$CAL dense=true}\n"
    "prune-2of4         1   -             coopt-permute-channels{pattern=2:4 $CAL},"
    "coopt-prune{method=obs pattern=2:4 $CAL},coopt-recover{$CAL dense=true}\n"
    "prune-1x4-50       1   -             coopt-permute-channels{pattern=1x4 sparsity=0.5 $CAL},"
    "coopt-prune{method=obs pattern=1x4 sparsity=0.5 $CAL},coopt-recover{$CAL dense=true}\n"
    "cluster-8          1   -             coopt-cluster{clusters=8},coopt-recover{$CAL dense=true}\n"
    "cluster-16         1   -             coopt-cluster{clusters=16},coopt-recover{$CAL dense=true}\n"
    "cluster-32         1   -             coopt-cluster{clusters=32},coopt-recover{$CAL dense=true}\n"
    "cluster-8pc        1   -             coopt-cluster{clusters=8 per-channel=true},coopt-recover{$CAL dense=true}\n"
    "cluster-16pc       1   -             coopt-cluster{clusters=16 per-channel=true},coopt-recover{$CAL dense=true}\n"
    "cluster-32pc       1   -             coopt-cluster{clusters=32 per-channel=true},coopt-recover{$CAL dense=true}\n"
    "pqat-50            2   prune-50      coopt-calibrate{$CAL},coopt-fake-quant{preserve-sparsity=true}\n"
    "pqat-75            2   prune-75      coopt-calibrate{$CAL},coopt-fake-quant{preserve-sparsity=true}\n"
    "pqat-2of4          2   prune-2of4    coopt-calibrate{$CAL},coopt-fake-quant{preserve-sparsity=true}\n"
    "pqat-1x4-50        2   prune-1x4-50  coopt-calibrate{$CAL},coopt-fake-quant{preserve-sparsity=true}\n"
    "cqat-8             2   cluster-8     coopt-calibrate{$CAL},coopt-fake-quant{preserve-clusters=true}\n"
    "cqat-16            2   cluster-16    coopt-calibrate{$CAL},coopt-fake-quant{preserve-clusters=true}\n"
    "cqat-32            2   cluster-32    coopt-calibrate{$CAL},coopt-fake-quant{preserve-clusters=true}\n"
    "cqat-8pc           2   cluster-8pc   coopt-calibrate{$CAL},coopt-fake-quant{preserve-clusters=true}\n"
    "cqat-16pc          2   cluster-16pc  coopt-calibrate{$CAL},coopt-fake-quant{preserve-clusters=true}\n"
    "cqat-32pc          2   cluster-32pc  coopt-calibrate{$CAL},coopt-fake-quant{preserve-clusters=true}\n"
    "spc-50-16pc        2   prune-50      coopt-cluster{clusters=16 per-channel=true preserve-sparsity=true},"
    "coopt-recover{$CAL keep-reference=false}\n"
    "spc-2of4-16pc      2   prune-2of4    coopt-cluster{clusters=16 per-channel=true preserve-sparsity=true},"
    "coopt-recover{$CAL keep-reference=false}\n"
    "pcqat-50-16pc      3   spc-50-16pc   coopt-calibrate{$CAL},"
    "coopt-fake-quant{preserve-sparsity=true preserve-clusters=true}\n"
    "pcqat-2of4-16pc    3   spc-2of4-16pc coopt-calibrate{$CAL},"
    "coopt-fake-quant{preserve-sparsity=true preserve-clusters=true}\n";

static bool valid_name(const char *s, size_t n) {
  if (n == 0 || n >= EXPLORE_NAME_MAX || s[0] == '.' || s[0] == '-')
    return false;
  for (size_t i = 0; i < n; ++i)
    if (!isalnum((unsigned char)s[i]) && !strchr("._+-", s[i]))
      return false;
  return true;
}

int explore_tree_find(const explore_tree *t, const char *name) {
  for (int i = 0; i < t->count; ++i)
    if (!strcmp(t->nodes[i].name, name))
      return i;
  return -1;
}

static void add_node(explore_tree *t, const char *name, size_t n, int level, int parent, const char *stage, size_t sn,
                     int line) {
  t->nodes = coopt_xrealloc(t->nodes, (size_t)(t->count + 1) * sizeof *t->nodes);
  explore_node *e = &t->nodes[t->count++];
  memset(e, 0, sizeof *e);
  memcpy(e->name, name, n);
  e->level = level, e->parent = parent, e->line = line;
  e->stage = coopt_xstrndup(stage, sn);
}

bool explore_tree_parse(const char *path, const char *text, explore_tree *out, coopt_buf *err) {
  memset(out, 0, sizeof *out);
  add_node(out, "float", 5, -1, -1, "", 0, 0);
  const char *src = text ? text : explore_default_tree;
  int line = 0;
  for (const char *p = src; *p;) {
    const char *eol = strchr(p, '\n');
    if (!eol)
      eol = p + strlen(p);
    ++line;
    const char *s = p, *e = eol;
    p = *eol ? eol + 1 : eol;
    while (s < e && isspace((unsigned char)*s))
      ++s;
    while (e > s && isspace((unsigned char)e[-1]))
      --e;
    if (s == e || *s == '#')
      continue;
    /* Three words, then the stage. */
    const char *w[3];
    size_t wn[3];
    const char *q = s;
    int k = 0;
    for (; k < 3 && q < e; ++k) {
      w[k] = q;
      while (q < e && !isspace((unsigned char)*q))
        ++q;
      wn[k] = (size_t)(q - w[k]);
      while (q < e && isspace((unsigned char)*q))
        ++q;
    }
    const char *line_start = s;
    while (line_start > src && line_start[-1] != '\n')
      --line_start;
#define TREE_ERROR(at, ...)                                                                                            \
  do {                                                                                                                 \
    coopt_buf_printf(err, "%s:%d:%d: error: ", path, line, (int)((at) - line_start) + 1);                              \
    coopt_buf_printf(err, __VA_ARGS__);                                                                                \
    explore_tree_free(out);                                                                                            \
    return false;                                                                                                      \
  } while (0)
    if (k < 3 || q >= e)
      TREE_ERROR(s, "expected '<name> <level> <parent or -> <stage>'");
    if (!valid_name(w[0], wn[0]))
      TREE_ERROR(w[0], "node name '%.*s': use letters, digits and . _ + - (at most %d characters)", (int)wn[0], w[0],
                 EXPLORE_NAME_MAX - 1);
    char name[EXPLORE_NAME_MAX];
    snprintf(name, sizeof name, "%.*s", (int)wn[0], w[0]);
    if (explore_tree_find(out, name) >= 0)
      TREE_ERROR(w[0], "node '%s' is defined twice (or is the reserved baseline name 'float')", name);
    if (wn[1] != 1 || w[1][0] < '0' || w[1][0] > '9')
      TREE_ERROR(w[1], "level '%.*s': expected a digit 0-9", (int)wn[1], w[1]);
    int level = w[1][0] - '0', parent = -1;
    if (!(wn[2] == 1 && w[2][0] == '-')) {
      char pn[EXPLORE_NAME_MAX];
      snprintf(pn, sizeof pn, "%.*s", (int)(wn[2] < EXPLORE_NAME_MAX ? wn[2] : EXPLORE_NAME_MAX - 1), w[2]);
      parent = explore_tree_find(out, pn);
      if (parent <= 0)
        TREE_ERROR(w[2], "parent '%.*s' is not a node defined above", (int)wn[2], w[2]);
      if (out->nodes[parent].level > level)
        TREE_ERROR(w[1], "level %d is below its parent's (%s, level %d)", level, pn, out->nodes[parent].level);
    }
    add_node(out, name, wn[0], level, parent, q, (size_t)(e - q), line);
#undef TREE_ERROR
  }
  if (out->count < 2) {
    coopt_buf_printf(err, "%s: error: the tree has no nodes", path);
    explore_tree_free(out);
    return false;
  }
  return true;
}

void explore_tree_free(explore_tree *t) {
  for (int i = 0; i < t->count; ++i)
    free(t->nodes[i].stage);
  free(t->nodes);
  memset(t, 0, sizeof *t);
}

void explore_expand_stage(const char *stage, const char *cal, coopt_buf *out) {
  for (const char *m; (m = strstr(stage, "$CAL"));) {
    coopt_buf_append(out, stage, (size_t)(m - stage));
    coopt_buf_puts(out, cal);
    stage = m + 4;
  }
  coopt_buf_puts(out, stage);
}

char *explore_chain_pipeline(const explore_tree *t, int node, const char *cal) {
  int chain[64], n = 0;
  for (int i = node; i > 0 && n < 64; i = t->nodes[i].parent)
    chain[n++] = i;
  coopt_buf b;
  coopt_buf_init(&b);
  coopt_buf_puts(&b, "builtin.module(");
  for (int k = n - 1; k >= 0; --k) {
    const char *s = t->nodes[chain[k]].stage;
    if (k != n - 1)
      coopt_buf_putc(&b, ',');
    explore_expand_stage(s, cal, &b);
  }
  coopt_buf_putc(&b, ')');
  return coopt_buf_take(&b);
}

bool explore_chain_quantized(const explore_tree *t, int node) {
  static const char *const quantizing[] = {"coopt-fake-quant", "coopt-qat", "coopt-pqat", "coopt-cqat", "coopt-pcqat"};
  for (int i = node; i > 0; i = t->nodes[i].parent)
    for (size_t k = 0; k < sizeof quantizing / sizeof *quantizing; ++k)
      if (strstr(t->nodes[i].stage, quantizing[k]))
        return true;
  return false;
}

char *explore_shown_pipeline(const explore_options *o, const explore_tree *t, int node) {
  char shown[64];
  snprintf(shown, sizeof shown, "data=calibration.npy samples=%lld", (long long)o->calibration);
  return explore_chain_pipeline(t, node, shown);
}
