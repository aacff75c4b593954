/*
 * coopt-prune: magnitude pruning of constant weights, unstructured, N:M or
 * RxC blocks, per layer or with one global threshold.
 *
 * Weights already zero count toward the target.  Ties are broken by position
 * (lower index pruned first), so the result is deterministic.  A cluster
 * guarantee recorded by an earlier coopt-cluster is kept: when pruning adds
 * 0 as a new value to a tensor (or channel) that already has k values, the
 * nonzero value nearest to zero is pruned as well.
 */
#include "Analysis/Structure.h"
#include "Analysis/WeightStats.h"
#include "Analysis/Weights.h"
#include "Support/Support.h"
#include "Transforms/LayerData.h"
#include "Transforms/PruneObs.h"
#include "Transforms/WeightSelect.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct prune_options {
  double sparsity;
  char *pattern;
  int scope;
  coopt_list ops;
  int64_t min_elements;
  coopt_list filter;
  bool keep_reference;
  int method;
  double damp;
  coopt_data_options d;
} prune_options;

enum { SCOPE_LAYER, SCOPE_GLOBAL };
static const char *const scope_values[] = {"layer", "global", NULL};
enum { METHOD_MAGNITUDE, METHOD_OBS };
static const char *const method_values[] = {"magnitude", "obs", NULL};

static const coopt_option_info prune_option_table[] = {
    {"sparsity",
     COOPT_OPT_FLOAT,
     "target fraction of zeros (per tensor, or over all selected tensors with scope=global); not used by N:M",
     "0.5",
     {true, true, false, true, 0, 1},
     NULL,
     offsetof(prune_options, sparsity)},
    {"pattern",
     COOPT_OPT_STRING,
     "unstructured, N:M along the reduction axis (e.g. 2:4), or RxC blocks over (output channel, reduction) (e.g. 1x4)",
     "unstructured",
     {0},
     NULL,
     offsetof(prune_options, pattern)},
    {"scope",
     COOPT_OPT_ENUM,
     "one threshold per tensor (layer) or one over all selected tensors (global)",
     "layer",
     {0},
     scope_values,
     offsetof(prune_options, scope)},
    {"ops",
     COOPT_OPT_ENUM_LIST,
     "op kinds to prune (depthwise only when asked, as tfmot)",
     "conv2d,transpose_conv2d,matmul",
     {0},
     coopt_weight_op_names,
     offsetof(prune_options, ops)},
    {"min-elements",
     COOPT_OPT_INT,
     "skip tensors with fewer elements",
     "0",
     {true, false, false, false, 0, 0},
     NULL,
     offsetof(prune_options, min_elements)},
    {"filter",
     COOPT_OPT_STRING_LIST,
     "only weights whose op location contains one of these strings (empty: all)",
     "",
     {0},
     NULL,
     offsetof(prune_options, filter)},
    {"keep-reference",
     COOPT_OPT_BOOL,
     "keep the values before pruning as coopt.reference (what coopt-recover reproduces)",
     "true",
     {0},
     NULL,
     offsetof(prune_options, keep_reference)},
    {"method",
     COOPT_OPT_ENUM,
     "which units go: smallest |w| (blocks: mean |w|), or least OBS saliency on calibration data (needs data=)",
     "magnitude",
     {0},
     method_values,
     offsetof(prune_options, method)},
    {"damp",
     COOPT_OPT_FLOAT,
     "method=obs: damping of the input gram, as a fraction of its mean diagonal",
     "0.01",
     {true, true, false, false, 0, 1},
     NULL,
     offsetof(prune_options, damp)},
    COOPT_DATA_OPTION_TABLE(prune_options, "for method=obs"),
};

static bool validate_prune(const void *opaque, char *msg, size_t size) {
  const prune_options *o = opaque;
  coopt_pattern p;
  if (!cooptParsePattern(o->pattern, &p, msg, size))
    return false;
  if (o->method == METHOD_OBS && !o->d.data[0]) {
    snprintf(msg, size, "method=obs needs data=<IDX directory or .npy file>");
    return false;
  }
  return o->method != METHOD_OBS || cooptValidateSampleOptions(o->d.data, &o->d.normalize, msg, size);
}

/* Selection key: the score's float bits (non-negative floats sort as
 * unsigned integers) above a unique unit number, so equal scores are broken
 * by position. */
static uint64_t make_key(float score, uint64_t unit) {
  uint32_t bits;
  memcpy(&bits, &score, 4);
  return ((uint64_t)bits << 32) | unit;
}

static void swap_u64(uint64_t *a, uint64_t *b) {
  uint64_t t = *a;
  *a = *b;
  *b = t;
}

/* The k-th smallest key (1-based k, 1 <= k <= n); reorders keys. */
static uint64_t kth_smallest(uint64_t *a, int64_t n, int64_t k) {
  int64_t lo = 0, hi = n - 1, target = k - 1;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo])
      swap_u64(&a[mid], &a[lo]);
    if (a[hi] < a[lo])
      swap_u64(&a[hi], &a[lo]);
    if (a[hi] < a[mid])
      swap_u64(&a[hi], &a[mid]);
    uint64_t pivot = a[mid];
    int64_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot)
        ++i;
      while (a[j] > pivot)
        --j;
      if (i <= j) {
        swap_u64(&a[i], &a[j]);
        ++i;
        --j;
      }
    }
    if (target <= j)
      hi = j;
    else if (target >= i)
      lo = i;
    else
      return a[target];
  }
  return a[target];
}

static int64_t units_of(const coopt_weight *w, const coopt_pattern *p) {
  if (p->kind == COOPT_PAT_BLOCK) {
    int64_t cols = w->spatial * w->inner;
    return ((w->rows + p->r - 1) / p->r) * ((cols + p->c - 1) / p->c);
  }
  return w->num_elements;
}

/* Score of each pruning unit: |w| for elements, mean |w| for blocks. */
static void unit_scores(const coopt_weight *w, const float *v, const coopt_pattern *p, float *score) {
  if (p->kind != COOPT_PAT_BLOCK) {
    for (int64_t i = 0; i < w->num_elements; ++i)
      score[i] = fabsf(v[i]);
    return;
  }
  int64_t rows = w->rows, cols = w->spatial * w->inner, u = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += p->r)
    for (int64_t c0 = 0; c0 < cols; c0 += p->c) {
      double sum = 0;
      int64_t cnt = 0;
      for (int64_t i = r0; i < rows && i < r0 + p->r; ++i)
        for (int64_t j = c0; j < cols && j < c0 + p->c; ++j, ++cnt)
          sum += fabs((double)v[i * cols + j]);
      score[u++] = (float)(sum / (double)cnt);
    }
}

static void zero_unit(const coopt_weight *w, float *v, const coopt_pattern *p, int64_t unit) {
  if (p->kind != COOPT_PAT_BLOCK) {
    v[unit] = 0;
    return;
  }
  int64_t rows = w->rows, cols = w->spatial * w->inner;
  int64_t bc = (cols + p->c - 1) / p->c;
  int64_t r0 = unit / bc * p->r, c0 = unit % bc * p->c;
  for (int64_t i = r0; i < rows && i < r0 + p->r; ++i)
    for (int64_t j = c0; j < cols && j < c0 + p->c; ++j)
      v[i * cols + j] = 0;
}

/* N:M along each output channel's flattened reduction axis (the order the
 * dot-product kernels walk): keep the N largest |w| of every M consecutive. */
static void prune_nm(const coopt_weight *w, float *v, int n_keep, int m) {
  int64_t rows = w->rows, cols = w->spatial * w->inner;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < cols; g += m) {
      int len = (int)(cols - g < m ? cols - g : m);
      float *x = v + r * cols + g;
      bool keep[64] = {false};
      for (int t = 0; t < n_keep && t < len; ++t) {
        int best = -1;
        for (int j = 0; j < len; ++j)
          if (!keep[j] && (best < 0 || fabsf(x[j]) > fabsf(x[best])))
            best = j;
        keep[best] = true;
      }
      for (int j = 0; j < len; ++j)
        if (!keep[j])
          x[j] = 0;
    }
}

/* Keep a recorded cluster count: pruning may add 0 as one new value. */
static void keep_clusters(const coopt_weight *w, float *v, const coopt_structure *s) {
  if (!s->has_clusters)
    return;
  int64_t rows = s->per_channel ? w->rows : 1;
  int64_t len = w->num_elements / rows;
  uint32_t *scratch = coopt_xmalloc((size_t)(2 * (len ? len : 1)) * sizeof(uint32_t));
  for (int64_t r = 0; r < rows; ++r) {
    float *x = v + r * len;
    while (cooptCountDistinct(x, len, scratch) > s->clusters) {
      float nearest = 0;
      for (int64_t i = 0; i < len; ++i)
        if (x[i] != 0 && (nearest == 0 || fabsf(x[i]) < fabsf(nearest)))
          nearest = x[i];
      if (nearest == 0)
        break;
      for (int64_t i = 0; i < len; ++i)
        if (x[i] == nearest)
          x[i] = 0;
    }
  }
  free(scratch);
}

/* A structured pattern only means something where it tiles the weight: a
 * 9-tap stem filter has no 2:4 groups or 1x4 blocks the kernels could skip
 * (NVIDIA's 2:4 recipe and XNNPACK's sparse path leave such layers dense
 * too).  Such tensors stay as they are, with a remark. */
static bool tiles(const coopt_weight *w, const coopt_pattern *p) {
  int64_t cols = w->spatial * w->inner, n = 0;
  const char *why = NULL;
  if (cols % cooptPatternGroupCols(p) != 0)
    why = "reduction length", n = cols;
  else if (w->rows % cooptPatternGroupRows(p) != 0)
    why = "output channel count", n = w->rows;
  if (!why)
    return true;
  char what[512], pt[32];
  cooptWeightDescribe(w, what, sizeof what);
  cooptFormatPattern(p, pt, sizeof pt);
  cooptEmitRemark(mlirOperationGetLocation(w->user),
                  "coopt-prune: %s: its %s (%lld) is not a multiple of the %s %s; "
                  "left dense",
                  what, why, (long long)n, pt, p->kind == COOPT_PAT_NM ? "group" : "block");
  return false;
}

static void prune_magnitude(coopt_weight **sel, float **vals, size_t nsel, const coopt_pattern *p,
                            const prune_options *o) {
  coopt_pattern pat = *p;
  if (pat.kind == COOPT_PAT_NM) {
    for (size_t t = 0; t < nsel; ++t)
      prune_nm(sel[t], vals[t], pat.n, pat.m);
  } else if (o->scope == SCOPE_LAYER) {
    for (size_t t = 0; t < nsel; ++t) {
      int64_t units = units_of(sel[t], &pat);
      int64_t k = (int64_t)ceil(o->sparsity * (double)units - 1e-9);
      if (k <= 0)
        continue;
      float *score = coopt_xmalloc((size_t)units * sizeof(float));
      uint64_t *keys = coopt_xmalloc((size_t)units * sizeof(uint64_t));
      unit_scores(sel[t], vals[t], &pat, score);
      for (int64_t u = 0; u < units; ++u)
        keys[u] = make_key(score[u], (uint64_t)u);
      uint64_t kth = kth_smallest(keys, units, k);
      for (int64_t u = 0; u < units; ++u)
        if (make_key(score[u], (uint64_t)u) <= kth)
          zero_unit(sel[t], vals[t], &pat, u);
      free(score);
      free(keys);
    }
  } else {
    /* Global: one threshold over the units of every selected tensor. */
    int64_t total = 0;
    for (size_t t = 0; t < nsel; ++t)
      total += units_of(sel[t], &pat);
    int64_t k = (int64_t)ceil(o->sparsity * (double)total - 1e-9);
    if (k > 0 && total > 0) {
      float **scores = coopt_xcalloc(nsel, sizeof *scores);
      uint64_t *keys = coopt_xmalloc((size_t)total * sizeof(uint64_t));
      int64_t base = 0;
      for (size_t t = 0; t < nsel; ++t) {
        int64_t units = units_of(sel[t], &pat);
        scores[t] = coopt_xmalloc((size_t)(units ? units : 1) * sizeof(float));
        unit_scores(sel[t], vals[t], &pat, scores[t]);
        for (int64_t u = 0; u < units; ++u)
          keys[base + u] = make_key(scores[t][u], (uint64_t)(base + u));
        base += units;
      }
      uint64_t kth = kth_smallest(keys, total, k);
      base = 0;
      for (size_t t = 0; t < nsel; ++t) {
        int64_t units = units_of(sel[t], &pat);
        for (int64_t u = 0; u < units; ++u)
          if (make_key(scores[t][u], (uint64_t)(base + u)) <= kth)
            zero_unit(sel[t], vals[t], &pat, u);
        base += units;
        free(scores[t]);
      }
      free(scores);
      free(keys);
    }
  }
}

static coopt_pass_result run_prune(MlirOperation root, const void *opaque) {
  const prune_options *o = opaque;
  coopt_pattern pat;
  char msg[256];
  if (!cooptParsePattern(o->pattern, &pat, msg, sizeof msg)) {
    cooptEmitError(mlirOperationGetLocation(root), "coopt-prune: %s", msg);
    return COOPT_PASS_FAILURE;
  }
  coopt_weight_set set;
  if (!cooptCollectWeights(root, COOPT_WOP_ALL, true, &set)) {
    cooptWeightSetFree(&set);
    return COOPT_PASS_FAILURE;
  }
  size_t nsel = 0;
  coopt_weight **sel = coopt_xcalloc(set.count ? set.count : 1, sizeof *sel);
  float **vals = coopt_xcalloc(set.count ? set.count : 1, sizeof *vals);
  coopt_pass_result result = COOPT_PASS_SUCCESS;
  for (size_t i = 0; i < set.count; ++i) {
    if (!cooptWeightSelected(&set.items[i], &o->ops, o->min_elements, &o->filter))
      continue;
    if (!tiles(&set.items[i], &pat))
      continue;
    float *v = cooptLoadFinite(&set.items[i], "coopt-prune");
    if (!v) {
      result = COOPT_PASS_FAILURE;
      continue;
    }
    sel[nsel] = &set.items[i];
    vals[nsel++] = v;
  }
  if (result == COOPT_PASS_FAILURE)
    goto done;

  if (o->method == METHOD_OBS) {
    bool *handled = coopt_xcalloc(nsel + 1, sizeof *handled);
    if (!cooptPruneObs(root, &o->d, o->damp, &pat, o->sparsity, o->scope == SCOPE_GLOBAL, sel, vals, nsel, handled)) {
      free(handled);
      result = COOPT_PASS_FAILURE;
      goto done;
    }
    /* What the data could not reach goes by magnitude. */
    coopt_weight **rest = coopt_xcalloc(nsel + 1, sizeof *rest);
    float **rest_vals = coopt_xcalloc(nsel + 1, sizeof *rest_vals);
    size_t m = 0;
    for (size_t t = 0; t < nsel; ++t)
      if (!handled[t])
        rest[m] = sel[t], rest_vals[m++] = vals[t];
    prune_magnitude(rest, rest_vals, m, &pat, o);
    free(rest);
    free(rest_vals);
    free(handled);
  } else {
    prune_magnitude(sel, vals, nsel, &pat, o);
  }

  for (size_t t = 0; t < nsel; ++t) {
    coopt_structure s = cooptGetStructure(sel[t]);
    keep_clusters(sel[t], vals[t], &s);
    /* A structured pattern replaces the record; unstructured pruning keeps
     * an earlier structured claim, which stays true as zeros only grow. */
    if (pat.kind != COOPT_PAT_UNSTRUCTURED || s.pattern.kind == COOPT_PAT_NONE)
      s.pattern = pat;
    cooptMeasureSparsity(sel[t], vals[t], &s);
    if (o->keep_reference)
      cooptKeepReference(sel[t]->constant);
    cooptWeightStore(sel[t], vals[t]);
    cooptSetStructure(sel[t], &s);
  }
done:
  for (size_t t = 0; t < nsel; ++t)
    free(vals[t]);
  free(vals);
  free(sel);
  cooptWeightSetFree(&set);
  return result;
}

const coopt_pass_info coopt_prune_pass = {
    .argument = "coopt-prune",
    .summary = "Magnitude pruning of weights: unstructured, N:M or RxC blocks",
    .description = "Zero the smallest-magnitude weights (blocks by mean |w|) until the target sparsity is "
                   "reached, per tensor or with one global threshold; N:M keeps the N largest of every M "
                   "consecutive weights along each output channel's reduction axis.  Records sparsity and "
                   "pattern in coopt.structure and keeps an earlier cluster count.",
    .anchor = "builtin.module",
    .options = prune_option_table,
    .num_options = sizeof prune_option_table / sizeof prune_option_table[0],
    .options_size = sizeof(prune_options),
    .validate = validate_prune,
    .run = run_prune,
};
