#include "Analysis/Structure.h"
#include "Analysis/WeightStats.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

#define STRUCTURE_ATTR "coopt.structure"

bool cooptParsePattern(const char *text, coopt_pattern *out, char *msg, size_t msg_size) {
  memset(out, 0, sizeof *out);
  if (!strcmp(text, "unstructured")) {
    out->kind = COOPT_PAT_UNSTRUCTURED;
    return true;
  }
  int a, b;
  char sep, extra;
  if (sscanf(text, "%d%c%d%c", &a, &sep, &b, &extra) == 3 && (sep == ':' || sep == 'x')) {
    if (sep == ':') {
      if (a >= 1 && b >= 2 && a < b && b <= 64) {
        out->kind = COOPT_PAT_NM;
        out->n = a;
        out->m = b;
        return true;
      }
      snprintf(msg, msg_size, "pattern '%s': N:M needs 1 <= N < M <= 64", text);
      return false;
    }
    if (a >= 1 && b >= 1 && a <= 64 && b <= 64) {
      out->kind = COOPT_PAT_BLOCK;
      out->r = a;
      out->c = b;
      return true;
    }
    snprintf(msg, msg_size, "pattern '%s': RxC blocks need 1 <= R, C <= 64", text);
    return false;
  }
  snprintf(msg, msg_size, "pattern '%s' is not 'unstructured', 'N:M' (e.g. 2:4) or 'RxC' (e.g. 1x4)", text);
  return false;
}

int64_t cooptPatternGroupCols(const coopt_pattern *p) {
  return p->kind == COOPT_PAT_NM ? p->m : p->kind == COOPT_PAT_BLOCK ? p->c : 1;
}

int64_t cooptPatternGroupRows(const coopt_pattern *p) { return p->kind == COOPT_PAT_BLOCK ? p->r : 1; }

void cooptFormatPattern(const coopt_pattern *p, char *buf, size_t size) {
  switch (p->kind) {
  case COOPT_PAT_NONE: snprintf(buf, size, "none"); break;
  case COOPT_PAT_UNSTRUCTURED: snprintf(buf, size, "unstructured"); break;
  case COOPT_PAT_NM: snprintf(buf, size, "%d:%d", p->n, p->m); break;
  case COOPT_PAT_BLOCK: snprintf(buf, size, "%dx%d", p->r, p->c); break;
  }
}

static MlirStringRef sref(const char *s) { return mlirStringRefCreateFromCString(s); }

/* A string attribute's pattern (the record's "pattern" value). */
static bool parse_pattern_attr(MlirAttribute a, coopt_pattern *p, char *msg, size_t msg_size) {
  MlirStringRef t = mlirStringAttrGetValue(a);
  char *text = coopt_xstrndup(t.data, t.length);
  bool ok = cooptParsePattern(text, p, msg, msg_size);
  free(text);
  return ok;
}

coopt_structure cooptGetStructure(const coopt_weight *w) {
  coopt_structure s;
  memset(&s, 0, sizeof s);
  MlirAttribute d = mlirOperationGetDiscardableAttributeByName(w->constant, sref(STRUCTURE_ATTR));
  if (mlirAttributeIsNull(d) || !mlirAttributeIsADictionary(d))
    return s;
  MlirAttribute a = mlirDictionaryAttrGetElementByName(d, sref("sparsity"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsAFloat(a)) {
    s.has_sparsity = true;
    s.sparsity = mlirFloatAttrGetValueDouble(a);
  }
  a = mlirDictionaryAttrGetElementByName(d, sref("pattern"));
  char msg[128];
  if (!mlirAttributeIsNull(a) && mlirAttributeIsAString(a) && !parse_pattern_attr(a, &s.pattern, msg, sizeof msg))
    memset(&s.pattern, 0, sizeof s.pattern);
  a = mlirDictionaryAttrGetElementByName(d, sref("block_sparsity"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsAFloat(a))
    s.block_sparsity = mlirFloatAttrGetValueDouble(a);
  a = mlirDictionaryAttrGetElementByName(d, sref("clusters"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsAInteger(a)) {
    s.has_clusters = true;
    s.clusters = mlirIntegerAttrGetValueInt(a);
  }
  a = mlirDictionaryAttrGetElementByName(d, sref("per_channel"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsABool(a))
    s.per_channel = mlirBoolAttrGetValue(a);
  return s;
}

void cooptSetStructure(const coopt_weight *w, const coopt_structure *s) {
  MlirContext ctx = mlirOperationGetContext(w->constant);
  MlirNamedAttribute e[5];
  int n = 0;
  if (s->pattern.kind == COOPT_PAT_BLOCK)
    e[n++] = mlirNamedAttributeGet(mlirIdentifierGet(ctx, sref("block_sparsity")),
                                   mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), s->block_sparsity));
  /* Keys in alphabetical order: a dictionary attribute is sorted anyway,
   * and this keeps the printed form stable. */
  if (s->has_clusters)
    e[n++] = mlirNamedAttributeGet(mlirIdentifierGet(ctx, sref("clusters")),
                                   mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), s->clusters));
  if (s->pattern.kind != COOPT_PAT_NONE) {
    char p[32];
    cooptFormatPattern(&s->pattern, p, sizeof p);
    e[n++] = mlirNamedAttributeGet(mlirIdentifierGet(ctx, sref("pattern")), mlirStringAttrGet(ctx, sref(p)));
  }
  if (s->has_clusters)
    e[n++] = mlirNamedAttributeGet(mlirIdentifierGet(ctx, sref("per_channel")), mlirBoolAttrGet(ctx, s->per_channel));
  if (s->has_sparsity)
    e[n++] = mlirNamedAttributeGet(mlirIdentifierGet(ctx, sref("sparsity")),
                                   mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), s->sparsity));
  mlirOperationSetDiscardableAttributeByName(w->constant, sref(STRUCTURE_ATTR), mlirDictionaryAttrGet(ctx, n, e));
}

void cooptMeasureSparsity(const coopt_weight *w, const float *v, coopt_structure *s) {
  int64_t n = w->num_elements, zeros = 0;
  for (int64_t i = 0; i < n; ++i)
    zeros += v[i] == 0;
  s->has_sparsity = true;
  s->sparsity = n ? (double)zeros / (double)n : 0;
  if (s->pattern.kind == COOPT_PAT_BLOCK)
    s->block_sparsity = cooptBlockSparsity(v, w->rows, w->spatial * w->inner, s->pattern.r, s->pattern.c);
}

double cooptBlockSparsity(const float *v, int64_t rows, int64_t cols, int r, int c) {
  int64_t nb = 0, zb = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += r)
    for (int64_t c0 = 0; c0 < cols; c0 += c) {
      bool zero = true;
      for (int64_t i = r0; i < rows && i < r0 + r && zero; ++i)
        for (int64_t j = c0; j < cols && j < c0 + c; ++j)
          if (v[i * cols + j] != 0) {
            zero = false;
            break;
          }
      ++nb;
      zb += zero;
    }
  return nb ? (double)zb / (double)nb : 0;
}

bool cooptCheckStructure(const coopt_weight *w, const float *v, const coopt_structure *s, char *msg, size_t msg_size) {
  int64_t rows = w->rows, cols = w->spatial * w->inner, n = rows * cols;
  if (s->has_sparsity) {
    int64_t zeros = 0;
    for (int64_t i = 0; i < n; ++i)
      zeros += v[i] == 0;
    double got = n ? (double)zeros / (double)n : 0;
    /* The recorded value is what the pass achieved; allow rounding only. */
    if (got + 1e-9 < s->sparsity) {
      snprintf(msg, msg_size, "sparsity %.6g recorded, but only %.6g of the weights are zero", s->sparsity, got);
      return false;
    }
  }
  if (s->pattern.kind == COOPT_PAT_BLOCK) {
    double got = cooptBlockSparsity(v, rows, cols, s->pattern.r, s->pattern.c);
    if (got + 1e-9 < s->block_sparsity) {
      snprintf(msg, msg_size, "pattern %dx%d: %.6g of the blocks recorded as zero, but only %.6g are", s->pattern.r,
               s->pattern.c, s->block_sparsity, got);
      return false;
    }
  }
  if (s->pattern.kind == COOPT_PAT_NM) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < cols; g += s->pattern.m) {
        int nz = 0;
        for (int64_t j = g; j < cols && j < g + s->pattern.m; ++j)
          nz += v[r * cols + j] != 0;
        if (nz > s->pattern.n) {
          snprintf(msg, msg_size, "pattern %d:%d broken in output channel %lld, group %lld (%d nonzeros)", s->pattern.n,
                   s->pattern.m, (long long)r, (long long)(g / s->pattern.m), nz);
          return false;
        }
      }
  }
  if (s->has_clusters) {
    uint32_t *scratch = coopt_xmalloc((size_t)(2 * (n ? n : 1)) * sizeof(uint32_t));
    bool ok = true;
    if (s->per_channel) {
      for (int64_t r = 0; r < rows && ok; ++r) {
        int64_t d = cooptCountDistinct(v + r * cols, cols, scratch);
        if (d > s->clusters) {
          snprintf(msg, msg_size,
                   "%lld clusters per channel recorded, but output channel %lld has %lld distinct values",
                   (long long)s->clusters, (long long)r, (long long)d);
          ok = false;
        }
      }
    } else {
      int64_t d = cooptCountDistinct(v, n, scratch);
      if (d > s->clusters) {
        snprintf(msg, msg_size, "%lld clusters recorded, but the tensor has %lld distinct values",
                 (long long)s->clusters, (long long)d);
        ok = false;
      }
    }
    free(scratch);
    if (!ok)
      return false;
  }
  return true;
}

/* cooptGetStructure reads what it understands and ignores the rest; a
 * verifier must not: a misspelt key or a claim of the wrong type would
 * otherwise pass as "no claim". */
bool cooptCheckStructureRecord(const coopt_weight *w, char *msg, size_t msg_size) {
  MlirAttribute d = mlirOperationGetDiscardableAttributeByName(w->constant, sref(STRUCTURE_ATTR));
  if (mlirAttributeIsNull(d))
    return true;
  if (!mlirAttributeIsADictionary(d)) {
    snprintf(msg, msg_size, "the record is not a dictionary");
    return false;
  }
  for (intptr_t i = 0; i < mlirDictionaryAttrGetNumElements(d); ++i) {
    MlirNamedAttribute e = mlirDictionaryAttrGetElement(d, i);
    MlirStringRef k = mlirIdentifierStr(e.name);
    MlirAttribute a = e.attribute;
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(k.length < 48 ? k.length : 48), k.data);
    bool fraction = !strcmp(key, "sparsity") || !strcmp(key, "block_sparsity");
    if (fraction) {
      double f = mlirAttributeIsAFloat(a) ? mlirFloatAttrGetValueDouble(a) : -1.0;
      if (!(f >= 0.0 && f <= 1.0)) {
        snprintf(msg, msg_size, "'%s' must be a float in [0, 1]", key);
        return false;
      }
    } else if (!strcmp(key, "pattern")) {
      if (!mlirAttributeIsAString(a)) {
        snprintf(msg, msg_size, "'pattern' must be a string");
        return false;
      }
      coopt_pattern p;
      if (!parse_pattern_attr(a, &p, msg, msg_size))
        return false;
    } else if (!strcmp(key, "clusters")) {
      if (!mlirAttributeIsAInteger(a) || mlirIntegerAttrGetValueInt(a) < 1) {
        snprintf(msg, msg_size, "'clusters' must be a positive integer");
        return false;
      }
    } else if (!strcmp(key, "per_channel")) {
      if (!mlirAttributeIsABool(a)) {
        snprintf(msg, msg_size, "'per_channel' must be a boolean");
        return false;
      }
    } else {
      snprintf(msg, msg_size, "unknown key '%s' (sparsity, pattern, block_sparsity, clusters, per_channel)", key);
      return false;
    }
  }
  return true;
}

bool cooptVerifyStructureClaims(MlirOperation root, const char *prefix, const char *suffix) {
  coopt_weight_set set;
  bool ok = cooptCollectWeights(root, COOPT_WOP_ALL, false, &set);
  for (size_t t = 0; t < set.count; ++t) {
    const coopt_weight *w = &set.items[t];
    char bad[256];
    if (!cooptCheckStructureRecord(w, bad, sizeof bad)) {
      char what[512];
      cooptWeightDescribe(w, what, sizeof what);
      cooptEmitError(mlirOperationGetLocation(w->constant), "%smalformed coopt.structure on %s: %s%s", prefix, what,
                     bad, suffix);
      ok = false;
      continue;
    }
    coopt_structure s = cooptGetStructure(w);
    if (!s.has_sparsity && !s.has_clusters && s.pattern.kind == COOPT_PAT_NONE)
      continue;
    float *v = cooptWeightLoad(w);
    char msg[512];
    if (!cooptCheckStructure(w, v, &s, msg, sizeof msg)) {
      char what[512];
      cooptWeightDescribe(w, what, sizeof what);
      cooptEmitError(mlirOperationGetLocation(w->user), "%scoopt.structure violated for %s: %s%s", prefix, what, msg,
                     suffix);
      ok = false;
    }
    free(v);
  }
  cooptWeightSetFree(&set);
  return ok;
}

bool cooptStructureClaims(const coopt_structure *s) {
  return s->has_sparsity || s->has_clusters || s->pattern.kind != COOPT_PAT_NONE;
}
