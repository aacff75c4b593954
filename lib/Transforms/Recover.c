/*
 * coopt-recover: post-training recovery of compressed layers, without
 * retraining (layer-wise reconstruction, the OBS / AdaPrune / SparseGPT
 * family).
 *
 * Compression (coopt-prune, coopt-cluster) leaves each layer with the values
 * it kept; nobody has told the kept values that their neighbours are gone.
 * This pass does, one layer at a time in program (topological) order: it
 * solves for the values the layer's structure still lets it change so that,
 * on calibration inputs, the layer reproduces the float layer's output:
 *   minimise | Â ŵ - A w |²   per output channel,
 * with A the float model's inputs of the layer and Â the inputs it sees in
 * the model whose earlier layers are already recovered (so each layer also
 * absorbs what the layers before it could not fix), w the float weights and
 * bias (coopt.reference) and ŵ the new ones.  The structure is a constraint,
 * not a casualty:
 *   - every zero stays exactly zero (sparsity, N:M, RxC blocks: the mask is
 *     bit-identical);
 *   - a clustered layer keeps its assignment; only the codebook moves (one
 *     solve per channel, or one per tensor when clustered per tensor), so
 *     the distinct-value count never grows;
 *   - the bias is refit too (the ones column of the patches), when it is an
 *     f32 constant of this layer alone.
 * The normal equations are accumulated in double with BLAS (Analysis/Gram.h)
 * and solved by Cholesky (Analysis/LayerSolve.h), damped toward the current
 * values by damp x the mean input energy.
 *
 * The model runs in-process through probes (Exec/Probe.h) on coopt's kernels:
 * once as the float model (constants back at their coopt.reference), and
 * once per layer whose inputs earlier recoveries changed.
 */
#include "Analysis/Gram.h"
#include "Analysis/LayerSolve.h"
#include "Analysis/Structure.h"
#include "Analysis/WeightStats.h"
#include "Analysis/Weights.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "Transforms/LayerData.h"
#include "Transforms/WeightSelect.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct recover_options {
  coopt_data_options d;
  double damp;
  coopt_list ops;
  int64_t min_elements;
  coopt_list filter;
  bool dense;
  bool keep_reference;
  bool activation_aware;
} recover_options;

static const coopt_option_info recover_option_table[] = {
    COOPT_DATA_OPTION_TABLE(recover_options, "to recover on"),
    {"damp",
     COOPT_OPT_FLOAT,
     "damping toward the current values, as a fraction of the mean input energy",
     "0.01",
     {true, true, false, false, 0, 1},
     NULL,
     offsetof(recover_options, damp)},
    {"ops",
     COOPT_OPT_ENUM_LIST,
     "op kinds to recover",
     "conv2d,depthwise_conv2d,matmul",
     {0},
     coopt_weight_op_names,
     offsetof(recover_options, ops)},
    {"min-elements",
     COOPT_OPT_INT,
     "skip tensors with fewer elements",
     "0",
     {true, false, false, false, 0, 0},
     NULL,
     offsetof(recover_options, min_elements)},
    {"filter",
     COOPT_OPT_STRING_LIST,
     "only weights whose op location contains one of these strings (empty: all)",
     "",
     {0},
     NULL,
     offsetof(recover_options, filter)},
    {"dense",
     COOPT_OPT_BOOL,
     "also refit weights without a coopt.structure record (nothing to keep but their zeros), e.g. the depthwise "
     "layers between pruned ones",
     "false",
     {0},
     NULL,
     offsetof(recover_options, dense)},
    {"keep-reference",
     COOPT_OPT_BOOL,
     "keep coopt.reference (the float values) on the constants for a later coopt-recover",
     "true",
     {0},
     NULL,
     offsetof(recover_options, keep_reference)},
    {"activation-aware",
     COOPT_OPT_BOOL,
     "for a layer followed by a clamp (ReLU, ReLU6): fit what the next layer sees, the output after the clamp "
     "(majorisation-minimisation rounds of the least squares)",
     "false",
     {0},
     NULL,
     offsetof(recover_options, activation_aware)},
};

static bool validate_recover(const void *opaque, char *msg, size_t size) {
  const recover_options *o = opaque;
  return cooptValidateSampleOptions(o->d.data, &o->d.normalize, msg, size);
}

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

/* ---- which inputs changed ---- */

/* Does v depend on a constant that compression or recovery rewrote?  Then
 * the layer reading v sees other inputs than in the float model. */
static bool depends_on_rewritten(MlirValue v, MlirOperation *seen, size_t *nseen, size_t cap) {
  if (!mlirValueIsAOpResult(v))
    return false;
  MlirOperation def = mlirOpResultGetOwner(v);
  for (size_t i = 0; i < *nseen; ++i)
    if (mlirOperationEqual(seen[i], def))
      return false;
  if (*nseen == cap)
    return true; /* too deep to tell: assume it did */
  seen[(*nseen)++] = def;
  if (cooptOpIs(def, "tosa.const"))
    return cooptHasReference(def);
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(def); ++i)
    if (depends_on_rewritten(mlirOperationGetOperand(def, i), seen, nseen, cap))
      return true;
  return false;
}

static bool input_changed(MlirOperation user) {
  enum { CAP = 4096 };
  MlirOperation *seen = coopt_xmalloc(CAP * sizeof *seen);
  size_t n = 0;
  bool r = depends_on_rewritten(mlirOperationGetOperand(user, 0), seen, &n, CAP);
  free(seen);
  return r;
}

/* ---- one layer ---- */

static double *load_bias(MlirOperation bias, MlirAttribute values, int64_t rows) {
  double *b = coopt_xcalloc((size_t)rows + 1, sizeof(double));
  if (!mlirOperationIsNull(bias) && !mlirAttributeIsNull(values)) {
    int64_t n = mlirElementsAttrGetNumElements(values);
    for (int64_t r = 0; r < rows; ++r)
      b[r] = cooptDenseFloatAt(values, n == 1 ? 0 : r);
  }
  return b;
}

typedef struct layer_result {
  double before, after, energy; /* summed squared errors and float output energy */
  int64_t free_values;
  bool solved_all;
} layer_result;

/* One layer's solve: the float inputs, the scratch rows and the refit
 * values (newv / newb), which replace the old ones only when they lower the
 * error. */
typedef struct layer_solve {
  const coopt_layer *L;
  const coopt_gram *gr;
  const float *v;
  const double *b;
  bool shared;                       /* one codebook for the whole tensor */
  int64_t rows, patch, k1, k_shared; /* k_shared: that codebook's size */
  double *w0, *wn, *newb;
  int32_t *map;
  float *codebook, *newv;
} layer_solve;

/* map[i]: the unknown that value i of row r is tied to, -1 when it stays
 * fixed (a pruned zero, or a bias that is not free).  Zeros stay fixed so
 * the sparsity pattern is kept; clustered values share an unknown so the
 * value count is kept.  Returns the number of unknowns of the row's own
 * system (unused when the codebook is shared over the whole tensor). */
static int64_t map_row(layer_solve *s, const coopt_structure *st, int64_t r) {
  const float *row = s->v + r * s->patch;
  int64_t patch = s->patch, nvar = 0;
  int32_t *map = s->map;
  if (s->shared) {
    for (int64_t i = 0; i < patch; ++i)
      map[i] = row[i] != 0 ? cooptSortedIndexOf(s->codebook, s->k_shared, row[i]) : -1;
    map[patch] = s->L->bias_free ? (int32_t)(s->k_shared + r) : -1;
    return 0;
  }
  if (st->has_clusters) {
    int64_t kc = cooptDistinctNonzero(row, patch, s->codebook);
    for (int64_t i = 0; i < patch; ++i)
      map[i] = row[i] != 0 ? cooptSortedIndexOf(s->codebook, kc, row[i]) : -1;
    nvar = kc;
  } else {
    for (int64_t i = 0; i < patch; ++i)
      map[i] = row[i] != 0 ? (int32_t)nvar++ : -1;
  }
  map[patch] = s->L->bias_free ? (int32_t)nvar++ : -1;
  return nvar;
}

/* Solve row r (nvar unknowns) on its own, for per-channel values or no
 * clusters; its error at the solution goes into res->after. */
static void solve_row_alone(layer_solve *s, int64_t r, int64_t nvar, const double *hh, const double *rhs, double lambda,
                            layer_result *res) {
  int64_t patch = s->patch, k1 = s->k1;
  const float *row = s->v + r * patch;
  coopt_ls one;
  cooptLsInit(&one, nvar);
  cooptLsAddRow(&one, hh, rhs, k1, s->w0, s->map, lambda);
  double *t = coopt_xmalloc((size_t)(nvar + 1) * sizeof(double));
  if (!cooptLsSolve(&one, t))
    res->solved_all = false;
  for (int64_t i = 0; i < k1; ++i)
    s->wn[i] = s->map[i] >= 0 ? t[s->map[i]] : s->w0[i];
  /* A value the solution puts at exactly 0 keeps its old one: the zero
   * mask may not change. */
  for (int64_t i = 0; i < patch; ++i) {
    float f = (float)s->wn[i];
    s->newv[r * patch + i] = s->map[i] >= 0 && f == 0 ? row[i] : f;
    s->wn[i] = s->newv[r * patch + i];
  }
  s->newb[r] = (float)s->wn[patch];
  s->wn[patch] = s->newb[r];
  res->after += cooptGramRowError(s->gr, &s->L->geom, r, s->wn);
  free(t);
  cooptLsFree(&one);
}

/* Solve the tensor-wide codebook (and free biases) from the summed normal
 * equations in ls, then write every row from it. */
static void solve_shared(layer_solve *s, coopt_ls *ls, layer_result *res) {
  int64_t patch = s->patch, k_shared = s->k_shared;
  double *theta = coopt_xmalloc((size_t)(ls->n + 1) * sizeof(double));
  if (!cooptLsSolve(ls, theta))
    res->solved_all = false;
  for (int64_t j = 0; j < k_shared; ++j) {
    float f = (float)theta[j];
    theta[j] = f == 0 ? s->codebook[j] : f;
  }
  for (int64_t r = 0; r < s->rows; ++r) {
    const float *row = s->v + r * patch;
    for (int64_t i = 0; i < patch; ++i) {
      s->newv[r * patch + i] = row[i] != 0 ? (float)theta[cooptSortedIndexOf(s->codebook, k_shared, row[i])] : 0.0f;
      s->wn[i] = s->newv[r * patch + i];
    }
    s->newb[r] = s->L->bias_free ? (float)theta[k_shared + r] : s->b[r];
    s->wn[patch] = s->newb[r];
    res->after += cooptGramRowError(s->gr, &s->L->geom, r, s->wn);
  }
  free(theta);
}

/* Solve one layer in place: v (canonical weights) and b (bias) in, refit
 * values out. */
static void solve_layer(const coopt_layer *L, const coopt_gram *gr, const coopt_structure *st, double damp, float *v,
                        double *b, layer_result *res) {
  const coopt_weight *w = L->weight;
  int64_t rows = w->rows, patch = L->geom.patch, k1 = patch + 1;
  layer_solve s = {.L = L, .gr = gr, .v = v, .b = b, .rows = rows, .patch = patch, .k1 = k1};
  s.w0 = coopt_xmalloc((size_t)k1 * sizeof(double));
  s.wn = coopt_xmalloc((size_t)k1 * sizeof(double));
  s.map = coopt_xmalloc((size_t)k1 * sizeof(int32_t));
  s.codebook = coopt_xmalloc((size_t)(w->num_elements + 1) * sizeof(float));
  s.newv = coopt_xmalloc((size_t)(w->num_elements + 1) * sizeof(float));
  s.newb = coopt_xmalloc((size_t)(rows + 1) * sizeof(double));
  memcpy(s.newv, v, (size_t)w->num_elements * sizeof(float));
  memcpy(s.newb, b, (size_t)rows * sizeof(double));
  memset(res, 0, sizeof *res);
  res->solved_all = true;
  s.shared = st->has_clusters && !st->per_channel;
  s.k_shared = s.shared ? cooptDistinctNonzero(v, w->num_elements, s.codebook) : 0;
  coopt_ls ls = {0};
  if (s.shared) {
    cooptLsInit(&ls, s.k_shared + (L->bias_free ? rows : 0));
    res->free_values = ls.n;
  }
  for (int64_t r = 0; r < rows; ++r) {
    int64_t g = cooptLayerGroupOf(&L->geom, r);
    const double *hh = cooptGramHH(gr, g), *rhs = gr->rhs + r * k1;
    const float *row = v + r * patch;
    for (int64_t i = 0; i < patch; ++i)
      s.w0[i] = row[i];
    s.w0[patch] = b[r];
    int64_t nvar = map_row(&s, st, r);
    double lambda = cooptDampingOf(hh, k1, damp);
    res->before += cooptGramRowError(gr, &L->geom, r, s.w0);
    res->energy += gr->energy[r];
    if (s.shared)
      cooptLsAddRow(&ls, hh, rhs, k1, s.w0, s.map, lambda);
    else {
      solve_row_alone(&s, r, nvar, hh, rhs, lambda, res);
      res->free_values += nvar;
    }
  }
  if (s.shared) {
    solve_shared(&s, &ls, res);
    cooptLsFree(&ls);
  }
  /* The objective at the old values is the error there (the damping term is
   * zero), so the solution can only be worse through float rounding; keep
   * the old values then. */
  if (res->after <= res->before) {
    memcpy(v, s.newv, (size_t)w->num_elements * sizeof(float));
    memcpy(b, s.newb, (size_t)rows * sizeof(double));
  } else {
    res->after = res->before;
  }
  free(s.w0);
  free(s.wn);
  free(s.map);
  free(s.codebook);
  free(s.newv);
  free(s.newb);
}

static void store_bias(MlirOperation bias, const double *b, int64_t rows) {
  MlirAttribute old = mlirOperationGetAttributeByName(bias, S("values"));
  MlirType t = mlirAttributeGetType(old);
  float *f = coopt_xmalloc((size_t)rows * sizeof(float));
  for (int64_t r = 0; r < rows; ++r)
    f[r] = (float)b[r];
  cooptKeepReference(bias);
  mlirOperationSetAttributeByName(bias, S("values"), mlirDenseElementsAttrFloatGet(t, rows, f));
  free(f);
}

/* What the previous layer read in the model as it is now: a layer whose
 * inputs follow from it through a few ops is probed from there (a segment:
 * a handful of ops to compile instead of the whole prefix). */
typedef struct prev_inputs {
  MlirValue value;
  float *x; /* count x its elements per sample; owned unless it is a float input */
  bool owned;
} prev_inputs;

static void prev_set(prev_inputs *pv, MlirValue v, float *x, bool owned) {
  if (pv->owned)
    free(pv->x);
  pv->value = v;
  pv->x = x;
  pv->owned = owned;
}

/* Gram of one layer: the float inputs xf (count samples) against the inputs
 * the model as it is now gives the layer; those are left in pv. */
static bool layer_gram(MlirOperation module, const recover_options *o, const coopt_layer *L, const coopt_samples *s,
                       float *xf, const double *wref, prev_inputs *pv, coopt_gram *gr) {
  int64_t per = cooptLayerInputElements(&L->geom);
  MlirValue in = mlirOperationGetOperand(L->weight->user, 0);
  MlirLocation loc = mlirOperationGetLocation(L->weight->user);
  if (!input_changed(L->weight->user)) {
    cooptGramInitTargets(gr, &L->geom, wref, L->weight->rows);
    cooptGramAccumulate(gr, &L->geom, xf, xf, s->count);
    cooptGramFinish(gr);
    prev_set(pv, in, xf, false);
    return true;
  }
  coopt_probe probe;
  char err[1024];
  const float *src = s->values;
  int64_t src_per = s->per_sample;
  bool made =
      !mlirValueIsNull(pv->value) && cooptProbeCreateSegment(module, o->d.entry, pv->value, &in, 1,
                                                             cooptPrepareProbeKernels, NULL, &probe, err, sizeof err);
  if (made) {
    src = pv->x;
    src_per = probe.per_sample;
  } else if (!cooptProbeCreate(module, o->d.entry, &in, 1, 0, cooptPrepareProbeKernels, NULL, &probe, err,
                               sizeof err)) {
    cooptEmitError(loc, "coopt-recover: cannot run the model: %s", err);
    return false;
  }
  float *xhat = coopt_xmalloc((size_t)(s->count * per) * sizeof(float));
  cooptGramInitTargets(gr, &L->geom, wref, L->weight->rows);
  bool ok = true;
  for (int64_t base = 0; base < s->count && ok; base += probe.batch) {
    int64_t cnt = s->count - base < probe.batch ? s->count - base : probe.batch;
    if (!(ok = cooptProbeRun(&probe, src + base * src_per, cnt))) {
      cooptEmitError(loc, "coopt-recover: execution failed");
      break;
    }
    memcpy(xhat + base * per, cooptProbeValue(&probe, 0), (size_t)(cnt * per) * sizeof(float));
    cooptGramAccumulate(gr, &L->geom, xhat + base * per, xf + base * per, cnt);
  }
  cooptGramFinish(gr);
  cooptProbeDestroy(&probe);
  if (!ok) {
    cooptGramFree(gr);
    free(xhat);
    return false;
  }
  prev_set(pv, in, xhat, true);
  return true;
}

static bool finite_gram(const coopt_gram *gr) {
  size_t n = (size_t)(gr->groups * gr->k1 * gr->k1), m = (size_t)(gr->targets * gr->k1);
  for (size_t i = 0; i < n; ++i)
    if (!isfinite(gr->hh[i]))
      return false;
  for (size_t i = 0; i < m; ++i)
    if (!isfinite(gr->rhs[i]))
      return false;
  return true;
}

static bool zero_inputs(const coopt_gram *gr) {
  for (int64_t g = 0; g < gr->groups; ++g)
    if (cooptDampingOf(cooptGramHH(gr, g), gr->k1, 1.0) > 0)
      return false;
  return true;
}

/* The clamp a layer's output goes through, if it is the only user. */
static bool clamp_after(MlirOperation user, double *lo, double *hi) {
  MlirOperation c = cooptSoleUser(mlirOperationGetResult(user, 0));
  if (mlirOperationIsNull(c) || !cooptOpIs(c, "tosa.clamp"))
    return false;
  MlirAttribute a = mlirOperationGetAttributeByName(c, S("min_val")),
                b = mlirOperationGetAttributeByName(c, S("max_val"));
  if (mlirAttributeIsNull(a) || mlirAttributeIsNull(b) || !mlirAttributeIsAFloat(a) || !mlirAttributeIsAFloat(b))
    return false;
  *lo = mlirFloatAttrGetValueDouble(a);
  *hi = mlirFloatAttrGetValueDouble(b);
  return *lo < *hi;
}

/* Rows (targets x k1) of canonical weights v and biases b. */
static void rows_of(const coopt_layer *L, const float *v, const double *b, double *out) {
  int64_t patch = L->geom.patch, k1 = patch + 1;
  for (int64_t r = 0; r < L->weight->rows; ++r) {
    for (int64_t i = 0; i < patch; ++i)
      out[r * k1 + i] = v[r * patch + i];
    out[r * k1 + patch] = b[r];
  }
}

enum { ACTIVATION_ROUNDS = 3 };

/* Activation-aware refit: what the next layer reads is clamp(Â w), so the
 * error that matters is the one after the clamp.  Rounds of least squares on
 * majorising targets (Analysis/Gram.h) lower it monotonically; the error
 * before and after is reported on that output.  v and b hold the
 * pre-activation solution on entry; old / bold the values before recovery. */
static void refit_through_clamp(const coopt_layer *L, coopt_gram *gr, const coopt_structure *st, double damp,
                                const float *xhat, const float *xf, int64_t count, double lo, double hi,
                                const float *old, const double *bold, float *v, double *b, layer_result *res) {
  const coopt_weight *w = L->weight;
  int64_t k1 = L->geom.patch + 1, rows = w->rows;
  double *cur = coopt_xmalloc((size_t)(rows * k1) * sizeof(double));
  float *tv = coopt_xmalloc((size_t)w->num_elements * sizeof(float));
  double *tb = coopt_xmalloc((size_t)rows * sizeof(double));
  rows_of(L, old, bold, cur);
  double energy = 0, before = cooptGramClampPass(gr, &L->geom, xhat, xf, count, cur, lo, hi, false, &energy);
  for (int round = 0; round < ACTIVATION_ROUNDS; ++round) {
    rows_of(L, v, b, cur);
    cooptGramClampPass(gr, &L->geom, xhat, xf, count, cur, lo, hi, true, NULL);
    memcpy(tv, old, (size_t)w->num_elements * sizeof(float));
    memcpy(tb, bold, (size_t)rows * sizeof(double));
    layer_result r;
    solve_layer(L, gr, st, damp, tv, tb, &r);
    memcpy(v, tv, (size_t)w->num_elements * sizeof(float));
    memcpy(b, tb, (size_t)rows * sizeof(double));
    res->solved_all &= r.solved_all;
  }
  rows_of(L, v, b, cur);
  double after = cooptGramClampPass(gr, &L->geom, xhat, xf, count, cur, lo, hi, false, NULL);
  if (after > before) { /* only float rounding could do this: keep the old values */
    memcpy(v, old, (size_t)w->num_elements * sizeof(float));
    memcpy(b, bold, (size_t)rows * sizeof(double));
    after = before;
  }
  res->before = before, res->after = after, res->energy = energy;
  free(cur);
  free(tv);
  free(tb);
}

static bool recover_layer(MlirOperation module, const recover_options *o, coopt_layer *L, const coopt_samples *s,
                          float *xf, prev_inputs *pv) {
  coopt_weight *w = L->weight;
  MlirLocation loc = mlirOperationGetLocation(w->user);
  char what[512];
  cooptWeightDescribe(w, what, sizeof what);
  float *v = cooptLoadFinite(w, "coopt-recover");
  if (!v)
    return false;
  float *ref = cooptWeightLoadAttr(w, cooptReferenceValues(w->constant));
  for (int64_t i = 0; i < w->num_elements; ++i)
    if (!isfinite(ref[i])) {
      cooptEmitError(loc, "coopt-recover: %s: its coopt.reference has a non-finite value (%g) at index %lld", what,
                     (double)ref[i], (long long)i);
      free(v);
      free(ref);
      return false;
    }
  double *b = load_bias(L->bias,
                        mlirOperationIsNull(L->bias) ? mlirAttributeGetNull()
                                                     : mlirOperationGetAttributeByName(L->bias, S("values")),
                        w->rows);
  double *bref = load_bias(
      L->bias, mlirOperationIsNull(L->bias) ? mlirAttributeGetNull() : cooptReferenceValues(L->bias), w->rows);
  int64_t patch = L->geom.patch, k1 = patch + 1;
  double *wref = coopt_xmalloc((size_t)(w->rows * k1) * sizeof(double));
  for (int64_t r = 0; r < w->rows; ++r) {
    for (int64_t i = 0; i < patch; ++i)
      wref[r * k1 + i] = ref[r * patch + i];
    wref[r * k1 + patch] = bref[r];
  }
  coopt_gram gr;
  bool ok = layer_gram(module, o, L, s, xf, wref, pv, &gr);
  free(wref);
  if (ok && !finite_gram(&gr)) {
    cooptEmitError(loc, "coopt-recover: %s: its inputs or its float outputs are not finite on the calibration data",
                   what);
    cooptGramFree(&gr);
    ok = false;
  }
  if (!ok) {
    free(v), free(ref), free(b), free(bref);
    return false;
  }
  if (zero_inputs(&gr)) {
    cooptEmitRemark(loc, "coopt-recover: %s: its inputs are all zero on the calibration data; left as it is", what);
    cooptGramFree(&gr);
    free(v), free(ref), free(b), free(bref);
    return true;
  }
  coopt_structure st = cooptGetStructure(w);
  float *old = coopt_xmalloc((size_t)w->num_elements * sizeof(float));
  memcpy(old, v, (size_t)w->num_elements * sizeof(float));
  double *bold = coopt_xmalloc((size_t)w->rows * sizeof(double));
  memcpy(bold, b, (size_t)w->rows * sizeof(double));
  layer_result res;
  solve_layer(L, &gr, &st, o->damp, v, b, &res);
  double lo, hi;
  bool through = o->activation_aware && clamp_after(w->user, &lo, &hi);
  if (through)
    refit_through_clamp(L, &gr, &st, o->damp, pv->x, xf, s->count, lo, hi, old, bold, v, b, &res);
  char msg[512];
  if (!cooptSameZeros(old, v, w->num_elements) || !cooptCheckStructure(w, v, &st, msg, sizeof msg)) {
    cooptEmitError(loc, "coopt-recover: internal error: the refit of %s changed its structure", what);
    ok = false;
  } else {
    cooptKeepReference(w->constant);
    cooptWeightStore(w, v);
    if (L->bias_free)
      store_bias(L->bias, b, w->rows);
    double e0 = res.energy > 0 ? res.before / res.energy : 0, e1 = res.energy > 0 ? res.after / res.energy : 0;
    cooptEmitRemark(
        loc, "coopt-recover: %s: relative output error%s %.4f -> %.4f (%lld values refit%s, %lld samples%s)", what,
        through ? " after the clamp" : "", e0, e1, (long long)res.free_values, L->bias_free ? " with the bias" : "",
        (long long)s->count, res.solved_all ? "" : "; some channels kept their values: singular system");
  }
  cooptGramFree(&gr);
  free(old), free(bold), free(v), free(ref), free(b), free(bref);
  return ok;
}

/* ---- the pass ---- */

/* The most values one output channel's solve determines (a layer clustered
 * per tensor solves its codebook over all channels at once: its centroids
 * are not counted per channel). */
static int64_t max_unknowns(const coopt_layer *L) {
  const coopt_weight *w = L->weight;
  coopt_structure st = cooptGetStructure(w);
  int64_t patch = L->geom.patch, most = 0;
  float *v = cooptWeightLoad(w);
  float *d = coopt_xmalloc((size_t)(patch + 1) * sizeof(float));
  for (int64_t r = 0; r < w->rows; ++r) {
    int64_t k = 0;
    if (st.has_clusters && st.per_channel)
      k = cooptDistinctNonzero(v + r * patch, patch, d);
    else if (!st.has_clusters)
      for (int64_t i = 0; i < patch; ++i)
        k += v[r * patch + i] != 0;
    if (k > most)
      most = k;
  }
  free(d);
  free(v);
  return most + (L->bias_free ? 1 : 0);
}

/* The batch of @entry's single input (0 when it has none to read). */
static int64_t entry_batch(MlirOperation fn) {
  MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirType in_type = {NULL};
  if (mlirBlockGetNumArguments(block) == 1)
    in_type = mlirValueGetType(mlirBlockGetArgument(block, 0));
  if (!mlirTypeIsNull(in_type) && mlirTypeIsARankedTensor(in_type) && mlirShapedTypeGetRank(in_type) >= 1)
    return mlirShapedTypeGetDimSize(in_type, 0);
  return 0;
}

/* The layers to recover: selected, with a structure record (or dense=true)
 * and a shape cooptLayerOf understands; a compressed one must carry its
 * reference.  Returns how many, or -1 after an error. */
static int64_t select_layers(const recover_options *o, coopt_weight_set *set, int64_t batch, coopt_layer *layers) {
  size_t n = 0;
  for (size_t i = 0; i < set->count; ++i) {
    coopt_weight *w = &set->items[i];
    if (!cooptWeightSelected(w, &o->ops, o->min_elements, &o->filter))
      continue;
    char what[512], why[256];
    cooptWeightDescribe(w, what, sizeof what);
    MlirLocation loc = mlirOperationGetLocation(w->user);
    coopt_structure st = cooptGetStructure(w);
    if (!cooptStructureClaims(&st) && !o->dense) {
      cooptEmitRemark(loc, "coopt-recover: %s has no coopt.structure record; left as it is (dense=true refits it)",
                      what);
      continue;
    }
    if (!cooptLayerOf(w, batch, &layers[n], why, sizeof why)) {
      cooptEmitRemark(loc, "coopt-recover: %s %s; left as it is", what, why);
      continue;
    }
    if (cooptStructureClaims(&st) && !cooptHasReference(w->constant)) {
      cooptEmitError(loc,
                     "coopt-recover: %s was compressed but has no coopt.reference (its float values) to recover "
                     "toward; run coopt-prune / coopt-cluster with keep-reference=true in the same pipeline",
                     what);
      return -1;
    }
    ++n;
  }
  return (int64_t)n;
}

/* Every layer needs at least as many input rows as unknowns per output
 * channel. */
static bool enough_samples(const coopt_layer *layers, size_t n, int64_t count) {
  for (size_t l = 0; l < n; ++l) {
    int64_t per = cooptLayerPositions(&layers[l].geom), rows = count * per, unknowns = max_unknowns(&layers[l]);
    if (rows >= unknowns)
      continue;
    char what[512];
    cooptWeightDescribe(layers[l].weight, what, sizeof what);
    cooptEmitError(mlirOperationGetLocation(layers[l].weight->user),
                   "coopt-recover: too few samples: %lld samples give %s %lld input rows for up to %lld unknowns "
                   "per output channel (give samples >= %lld)",
                   (long long)count, what, (long long)rows, (long long)unknowns,
                   (long long)((unknowns + per - 1) / per));
    return false;
  }
  return true;
}

/* The float model's inputs of every layer, once.  NULL after an error. */
static float **float_inputs(MlirOperation module, MlirLocation floc, const recover_options *o,
                            const coopt_layer *layers, size_t n, const coopt_samples *s) {
  MlirValue *values = coopt_xcalloc(n, sizeof *values);
  for (size_t l = 0; l < n; ++l)
    values[l] = mlirOperationGetOperand(layers[l].weight->user, 0);
  coopt_probe probe;
  char err[1024];
  bool ok = cooptProbeCreate(module, o->d.entry, values, (int)n, COOPT_PROBE_REFERENCE, cooptPrepareProbeKernels, NULL,
                             &probe, err, sizeof err);
  free(values);
  if (!ok) {
    cooptEmitError(floc, "coopt-recover: cannot run the float model: %s", err);
    return NULL;
  }
  float **xf = coopt_xcalloc(n, sizeof *xf);
  for (size_t l = 0; l < n; ++l)
    xf[l] = coopt_xmalloc((size_t)(s->count * cooptLayerInputElements(&layers[l].geom)) * sizeof(float));
  for (int64_t base = 0; base < s->count && ok; base += probe.batch) {
    int64_t cnt = s->count - base < probe.batch ? s->count - base : probe.batch;
    if (!(ok = cooptProbeRun(&probe, s->values + base * s->per_sample, cnt)))
      break;
    for (size_t l = 0; l < n; ++l) {
      int64_t per = cooptLayerInputElements(&layers[l].geom);
      memcpy(xf[l] + base * per, cooptProbeValue(&probe, (int)l), (size_t)(cnt * per) * sizeof(float));
    }
  }
  cooptProbeDestroy(&probe);
  if (!ok) {
    cooptEmitError(floc, "coopt-recover: execution of the float model failed");
    for (size_t l = 0; l < n; ++l)
      free(xf[l]);
    free(xf);
    return NULL;
  }
  return xf;
}

/* Layer by layer, in program order; each layer's float inputs are freed
 * once the next one no longer needs them. */
static bool recover_layers(MlirOperation module, const recover_options *o, coopt_layer *layers, size_t n,
                           const coopt_samples *s, float **xf) {
  prev_inputs pv = {{NULL}, NULL, false};
  bool ok = true;
  for (size_t l = 0; l < n && ok; ++l) {
    ok = recover_layer(module, o, &layers[l], s, xf[l], &pv);
    if (ok && l > 0) {
      free(xf[l - 1]);
      xf[l - 1] = NULL;
    }
  }
  prev_set(&pv, pv.value, NULL, false);
  return ok;
}

static coopt_pass_result run_recover(MlirOperation module, const void *opaque) {
  const recover_options *o = opaque;
  MlirOperation fn = cooptFindFunc(module, o->d.entry);
  if (mlirOperationIsNull(fn)) {
    cooptEmitError(mlirOperationGetLocation(module), "coopt-recover: the module has no func.func @%s to run",
                   o->d.entry);
    return COOPT_PASS_FAILURE;
  }
  MlirLocation floc = mlirOperationGetLocation(fn);
  coopt_weight_set set;
  if (!cooptCollectWeights(fn, COOPT_WOP_ALL, false, &set)) {
    cooptWeightSetFree(&set);
    return COOPT_PASS_FAILURE;
  }
  coopt_layer *layers = coopt_xcalloc(set.count + 1, sizeof *layers);
  coopt_samples s = {0};
  float **xf = NULL;
  int64_t batch = entry_batch(fn), n = select_layers(o, &set, batch, layers);
  bool ok = n >= 0;
  if (n == 0)
    cooptEmitRemark(floc, "coopt-recover: no layer to recover");
  else if (ok)
    ok = cooptLoadPassSamples(module, fn, &o->d, "coopt-recover", &batch, &s) &&
         enough_samples(layers, (size_t)n, s.count) &&
         (xf = float_inputs(module, floc, o, layers, (size_t)n, &s)) != NULL &&
         recover_layers(module, o, layers, (size_t)n, &s, xf);
  if (ok && !o->keep_reference)
    cooptDropReferences(fn);
  if (xf)
    for (int64_t l = 0; l < n; ++l)
      free(xf[l]);
  free(xf);
  cooptSamplesFree(&s);
  free(layers);
  cooptWeightSetFree(&set);
  return ok ? COOPT_PASS_SUCCESS : COOPT_PASS_FAILURE;
}

const coopt_pass_info coopt_recover_pass = {
    .argument = "coopt-recover",
    .summary = "Post-training recovery: refit each compressed layer to reproduce the float layer, keeping its "
               "structure",
    .description =
        "Layer by layer in program order, solves on calibration data for the values the structure lets change "
        "(nonzeros, or the codebook of a clustered layer, and the bias) that best reproduce the float layer's "
        "output given the already recovered earlier layers.  Zeros and cluster assignments stay exactly as they "
        "are; coopt.structure records stay true.  The float values come from coopt.reference, which coopt-prune "
        "and coopt-cluster keep.  One remark per layer gives its relative output error before and after.",
    .anchor = "builtin.module",
    .options = recover_option_table,
    .num_options = sizeof recover_option_table / sizeof recover_option_table[0],
    .options_size = sizeof(recover_options),
    .validate = validate_recover,
    .run = run_recover,
};
