/*
 * coopt-prune{method=obs}: masks chosen from the data, by Optimal Brain
 * Surgeon saliency with exact updates (OBC's greedy algorithm,
 * Analysis/LayerSolve.h), on the gram of each layer's float inputs.
 *
 * Magnitude pruning asks "which weights are small"; OBS asks "which weights
 * can the others stand in for": the saliency of a unit is the increase of the
 * layer's squared output error when it is removed and the rest move to
 * compensate, w_Bᵀ [(H⁻¹)_BB]⁻¹ w_B / 2.  The compensating moves are what
 * coopt-recover computes afterwards on the real inputs; here only the mask is
 * kept, so the pruned model is still "the float weights, some of them zero".
 *
 * Every output channel (every R-row group for RxC blocks) loses the same
 * number of units.  With scope=global the per-layer count comes from one
 * threshold on the marginal loss per removed weight, each layer's loss
 * divided by its float output energy: raw OBS losses of different layers are
 * not on one scale (one raw threshold empties thin layers).
 */
#include "Transforms/PruneObs.h"
#include "Analysis/Gram.h"
#include "Analysis/LayerSolve.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One OBS problem: a row, or an R-row group for blocks. */
typedef struct obs_problem {
  int64_t row0, nrows;
  int64_t take; /* removals applied */
  int64_t *order;
  double *loss;
} obs_problem;

typedef struct obs_layer {
  coopt_layer layer;
  size_t index;       /* into sel / vals */
  int64_t unit_cols;  /* reduction columns per unit */
  int64_t unit_elems; /* weights per unit (all rows of a problem) */
  int64_t steps;      /* removals computed per problem */
  int64_t take;       /* removals applied per problem (the target: target / nproblems, rounded up) */
  int64_t target;     /* removals of the layer */
  int64_t nproblems;
  obs_problem *problems;
  double energy; /* float output energy of the layer */
} obs_layer;

static int64_t nm_removals(int64_t patch, int n, int m) {
  int64_t r = 0;
  for (int64_t g = 0; g < patch; g += m) {
    int64_t len = patch - g < m ? patch - g : m;
    r += len > n ? len - n : 0;
  }
  return r;
}

static bool solve_problems(obs_layer *L, const coopt_gram *gr, const float *v, const coopt_pattern *pat, double damp) {
  int64_t patch = L->layer.geom.patch, k1 = patch + 1;
  double *wref = coopt_xmalloc((size_t)k1 * sizeof(double));
  L->energy = 0;
  for (int64_t r = 0; r < L->layer.weight->rows; ++r) {
    for (int64_t i = 0; i < patch; ++i)
      wref[i] = v[r * patch + i];
    wref[patch] = 0;
    L->energy += cooptGramQuad(gr, cooptLayerGroupOf(&L->layer.geom, r), wref);
  }
  free(wref);
  /* (H + λI)⁻¹ once per group (a depthwise layer has one per channel). */
  double *hinv = coopt_xmalloc((size_t)(k1 * k1) * sizeof(double));
  int64_t have = -1;
  bool ok = true;
  for (int64_t p = 0; p < L->nproblems && ok; ++p) {
    obs_problem *pr = &L->problems[p];
    int64_t g = cooptLayerGroupOf(&L->layer.geom, pr->row0);
    if (g != have) {
      const double *h = cooptGramHH(gr, g);
      if (!(ok = cooptObsInverse(h, k1, cooptDampingOf(h, k1, damp), hinv)))
        break;
      have = g;
    }
    double *w = coopt_xmalloc((size_t)(pr->nrows * k1) * sizeof(double));
    for (int64_t r = 0; r < pr->nrows; ++r) {
      for (int64_t i = 0; i < patch; ++i)
        w[r * k1 + i] = v[(pr->row0 + r) * patch + i];
      w[r * k1 + patch] = 0; /* the bias is never removed; its value enters no saliency */
    }
    pr->order = coopt_xmalloc((size_t)(L->steps + 1) * sizeof(int64_t));
    pr->loss = coopt_xmalloc((size_t)(L->steps + 1) * sizeof(double));
    coopt_obs o = {hinv,
                   k1,
                   w,
                   pr->nrows,
                   L->unit_cols,
                   pat->kind == COOPT_PAT_NM ? pat->n : 0,
                   pat->kind == COOPT_PAT_NM ? pat->m : 0,
                   L->steps,
                   pr->order,
                   pr->loss};
    ok = cooptObsPrune(&o);
    free(w);
  }
  free(hinv);
  return ok;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Removals per problem of layer l below threshold t. */
static int64_t count_below(const double *marg, int64_t steps, double t) {
  int64_t k = 0;
  while (k < steps && marg[k] <= t)
    ++k;
  return k;
}

/* scope=global: one threshold on the marginal loss per removed weight,
 * relative to each layer's output energy (monotone by a running max). */
static void allocate_global(obs_layer *ls, size_t n, double sparsity) {
  int64_t total = 0;
  size_t ncand = 0;
  for (size_t l = 0; l < n; ++l) {
    total += ls[l].layer.weight->num_elements;
    ncand += (size_t)ls[l].steps;
  }
  int64_t target = (int64_t)ceil(sparsity * (double)total - 1e-9);
  double **marg = coopt_xcalloc(n + 1, sizeof *marg);
  double *cand = coopt_xmalloc((ncand + 1) * sizeof(double));
  size_t c = 0;
  for (size_t l = 0; l < n; ++l) {
    obs_layer *L = &ls[l];
    marg[l] = coopt_xcalloc((size_t)L->steps + 1, sizeof(double));
    double prev = 0, run = 0;
    for (int64_t k = 0; k < L->steps; ++k) {
      double s = 0;
      for (int64_t p = 0; p < L->nproblems; ++p)
        s += L->problems[p].loss[k];
      double d = (s - prev) / (L->energy > 0 ? L->energy : 1) / (double)(L->nproblems * L->unit_elems);
      prev = s;
      run = d > run ? d : run;
      marg[l][k] = cand[c++] = run;
    }
  }
  qsort(cand, ncand, sizeof *cand, cmp_double);
  size_t lo = 0, hi = ncand ? ncand - 1 : 0;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int64_t removed = 0;
    for (size_t l = 0; l < n; ++l)
      removed += count_below(marg[l], ls[l].steps, cand[mid]) * ls[l].nproblems * ls[l].unit_elems;
    if (removed >= target)
      hi = mid;
    else
      lo = mid + 1;
  }
  for (size_t l = 0; l < n; ++l) {
    int64_t take = ncand ? count_below(marg[l], ls[l].steps, cand[lo]) : 0;
    for (int64_t p = 0; p < ls[l].nproblems; ++p)
      ls[l].problems[p].take = take;
    free(marg[l]);
  }
  free(marg);
  free(cand);
}

/* scope=layer: the layer's removals spread over its problems: each loses
 * floor(target / n) units, and the remainder goes to the problems whose
 * next removal costs least (an odd 9-tap filter at 50% loses 4 or 5). */
static void distribute(obs_layer *L) {
  int64_t n = L->nproblems, base = L->target / n, extra = L->target - base * n;
  for (int64_t p = 0; p < n; ++p)
    L->problems[p].take = base;
  if (extra == 0 || base >= L->steps)
    return;
  double *cost = coopt_xmalloc((size_t)n * sizeof(double));
  int64_t *idx = coopt_xmalloc((size_t)n * sizeof(int64_t));
  for (int64_t p = 0; p < n; ++p) {
    const double *loss = L->problems[p].loss;
    cost[p] = loss[base] - (base > 0 ? loss[base - 1] : 0);
    idx[p] = p;
  }
  /* The `extra` cheapest, ties by position (deterministic). */
  for (int64_t e = 0; e < extra; ++e) {
    int64_t best = e;
    for (int64_t q = e + 1; q < n; ++q)
      if (cost[idx[q]] < cost[idx[best]] || (cost[idx[q]] == cost[idx[best]] && idx[q] < idx[best]))
        best = q;
    int64_t t = idx[e];
    idx[e] = idx[best];
    idx[best] = t;
    L->problems[idx[e]].take = base + 1;
  }
  free(cost);
  free(idx);
}

static void apply_mask(const obs_layer *L, float *v) {
  int64_t patch = L->layer.geom.patch;
  for (int64_t p = 0; p < L->nproblems; ++p) {
    const obs_problem *pr = &L->problems[p];
    for (int64_t k = 0; k < pr->take; ++k) {
      int64_t c0 = pr->order[k] * L->unit_cols, c1 = c0 + L->unit_cols < patch ? c0 + L->unit_cols : patch;
      for (int64_t r = pr->row0; r < pr->row0 + pr->nrows; ++r)
        for (int64_t c = c0; c < c1; ++c)
          v[r * patch + c] = 0;
    }
  }
}

/* Whether weight t can be pruned by OBS as layer L: in @entry, a layer
 * shape cooptLayerOf knows, and (blocks) rows of a block that read the same
 * inputs.  Otherwise a remark: it is pruned by magnitude. */
static bool obs_layer_of(const coopt_data_options *d, MlirOperation fn, const coopt_pattern *pat, coopt_weight *w,
                         int64_t batch, coopt_layer *layer) {
  char why[256], what[512];
  cooptWeightDescribe(w, what, sizeof what);
  MlirLocation loc = mlirOperationGetLocation(w->user);
  MlirOperation parent = mlirBlockGetParentOperation(mlirOperationGetBlock(w->user));
  if (!mlirOperationEqual(parent, fn)) {
    cooptEmitRemark(loc, "coopt-prune: %s is outside @%s; pruned by magnitude", what, d->entry);
    return false;
  }
  if (!cooptLayerOf(w, batch, layer, why, sizeof why)) {
    cooptEmitRemark(loc, "coopt-prune: %s %s; pruned by magnitude", what, why);
    return false;
  }
  if (pat->kind != COOPT_PAT_BLOCK)
    return true;
  /* The rows of one block must read the same inputs. */
  int64_t R = pat->r;
  for (int64_t r = 0; r < w->rows; ++r)
    if (cooptLayerGroupOf(&layer->geom, r) != cooptLayerGroupOf(&layer->geom, r - r % R)) {
      cooptEmitRemark(loc,
                      "coopt-prune: %s: %dx%d blocks span channels that read different inputs; pruned by magnitude",
                      what, pat->r, pat->c);
      return false;
    }
  return true;
}

/* The layer's problems (one per R rows) and how many units each removes:
 * N:M's count, or the sparsity target (global allocation looks past it, to
 * move sparsity between layers). */
static void plan_layer(obs_layer *L, const coopt_pattern *pat, double sparsity, bool global) {
  int64_t patch = L->layer.geom.patch, rows = L->layer.weight->rows;
  int64_t R = cooptPatternGroupRows(pat);
  L->unit_cols = pat->kind == COOPT_PAT_BLOCK ? pat->c : 1;
  L->nproblems = (rows + R - 1) / R;
  L->problems = coopt_xcalloc((size_t)L->nproblems, sizeof *L->problems);
  for (int64_t p = 0; p < L->nproblems; ++p) {
    L->problems[p].row0 = p * R;
    L->problems[p].nrows = p * R + R <= rows ? R : rows - p * R;
  }
  L->unit_elems = R * L->unit_cols;
  int64_t units = (patch + L->unit_cols - 1) / L->unit_cols;
  if (pat->kind == COOPT_PAT_NM) {
    L->steps = L->take = nm_removals(patch, pat->n, pat->m);
    L->target = L->take * L->nproblems;
    return;
  }
  L->target = (int64_t)ceil(sparsity * (double)(units * L->nproblems) - 1e-9);
  L->take = (L->target + L->nproblems - 1) / L->nproblems;
  double reach = sparsity + 0.3 < 1 ? sparsity + 0.3 : 1;
  L->steps = global ? (int64_t)ceil(reach * (double)units - 1e-9) : L->take;
  if (L->steps > units)
    L->steps = units;
  if (L->take > L->steps)
    L->take = L->steps;
}

/* Grams on the calibration data, the OBS order and losses of every problem,
 * then the masks (global: one allocation over the layers). */
static bool prune_layers(MlirOperation module, MlirOperation fn, const coopt_data_options *d, double damp,
                         const coopt_pattern *pat, double sparsity, bool global, obs_layer *ls, size_t n,
                         const coopt_samples *s, float **vals, bool *handled) {
  coopt_layer *layers = coopt_xcalloc(n, sizeof *layers);
  coopt_gram *grams = coopt_xcalloc(n, sizeof *grams);
  for (size_t l = 0; l < n; ++l)
    layers[l] = ls[l].layer;
  bool ok = cooptCollectGrams(module, fn, d->entry, s, layers, n, true, "coopt-prune", grams);
  bool collected = ok;
  for (size_t l = 0; l < n && ok; ++l) {
    if (!(ok = solve_problems(&ls[l], &grams[l], vals[ls[l].index], pat, damp))) {
      char what[512];
      cooptWeightDescribe(ls[l].layer.weight, what, sizeof what);
      cooptEmitError(mlirOperationGetLocation(ls[l].layer.weight->user),
                     "coopt-prune: %s: no OBS solution (its input gram is not positive definite even after "
                     "damping)",
                     what);
    }
  }
  if (ok && global && pat->kind != COOPT_PAT_NM)
    allocate_global(ls, n, sparsity);
  else if (ok)
    for (size_t l = 0; l < n; ++l)
      distribute(&ls[l]);
  for (size_t l = 0; l < n && ok; ++l) {
    apply_mask(&ls[l], vals[ls[l].index]);
    handled[ls[l].index] = true;
  }
  if (collected)
    for (size_t l = 0; l < n; ++l)
      cooptGramFree(&grams[l]);
  free(grams);
  free(layers);
  return ok;
}

bool cooptPruneObs(MlirOperation module, const coopt_data_options *d, double damp, const coopt_pattern *pat,
                   double sparsity, bool global, coopt_weight **sel, float **vals, size_t nsel, bool *handled) {
  MlirOperation fn = cooptFindFunc(module, d->entry);
  if (mlirOperationIsNull(fn)) {
    cooptEmitError(mlirOperationGetLocation(module), "coopt-prune: the module has no func.func @%s to run", d->entry);
    return false;
  }
  int64_t batch = 0;
  coopt_samples s = {0};
  if (!cooptLoadPassSamples(module, fn, d, "coopt-prune", &batch, &s))
    return false;
  obs_layer *ls = coopt_xcalloc(nsel + 1, sizeof *ls);
  size_t n = 0;
  for (size_t t = 0; t < nsel; ++t) {
    handled[t] = false;
    coopt_layer layer;
    if (!obs_layer_of(d, fn, pat, sel[t], batch, &layer))
      continue;
    ls[n].layer = layer;
    ls[n].index = t;
    plan_layer(&ls[n++], pat, sparsity, global);
  }
  bool ok = n == 0 || prune_layers(module, fn, d, damp, pat, sparsity, global, ls, n, &s, vals, handled);
  for (size_t l = 0; l < n; ++l) {
    for (int64_t p = 0; p < ls[l].nproblems; ++p) {
      free(ls[l].problems[p].order);
      free(ls[l].problems[p].loss);
    }
    free(ls[l].problems);
  }
  free(ls);
  cooptSamplesFree(&s);
  return ok;
}
