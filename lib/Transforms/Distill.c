/*
 * coopt-distill: end-to-end reconstruction of a compressed model from the
 * float one, keeping its structure (knowledge distillation on unlabeled
 * calibration inputs, without labels and without retraining from scratch).
 *
 * coopt-recover fits each layer to its own float output.  That is
 * saturated on pruned models: the error a layer cannot remove passes through
 * the ReLUs and pools after it, and only the model's output says which part
 * of it matters.  This pass fits the whole compressed model's output (the
 * logits) to the float model's on training inputs, by Adam on the gradient
 * of the squared difference (Analysis/Backprop.h), starting from where
 * coopt-recover left the weights.  The structure is a constraint of the
 * parametrisation, not a projection afterwards:
 *   - a zero weight is not a variable: the mask is bit-identical;
 *   - a clustered tensor's variables are its centroids (per channel or per
 *     tensor): every weight of a cluster moves with it, so the assignment is
 *     kept and the distinct-value count cannot grow;
 *   - layers without a record (layers=all) and biases move freely.
 * An eighth of the samples is held out; after every epoch the error there is
 * measured and the best weights seen (the starting ones included) are the
 * ones written, so the pass never leaves the model worse on data it did not
 * fit.  The float model is the constants' coopt.reference.
 */
#include "Analysis/Backprop.h"
#include "Analysis/Structure.h"
#include "Analysis/WeightStats.h"
#include "Analysis/Weights.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "Transforms/LayerData.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum distill_layers { LAYERS_ALL, LAYERS_COMPRESSED } distill_layers;
static const char *const layers_names[] = {"all", "compressed", NULL};

typedef struct distill_options {
  coopt_data_options d;
  int64_t epochs;
  double lr;
  int layers;
  bool keep_reference;
} distill_options;

static const coopt_option_info distill_option_table[] = {
    COOPT_DATA_OPTION_TABLE_N(distill_options, "to distill on (an eighth is held out to pick the epoch)", "16384"),
    {"epochs",
     COOPT_OPT_INT,
     "passes over the samples",
     "8",
     {true, true, false, false, 1, 1000},
     NULL,
     offsetof(distill_options, epochs)},
    {"lr",
     COOPT_OPT_FLOAT,
     "Adam step size (decays to zero over the run on a cosine)",
     "0.001",
     {true, true, true, false, 0, 1},
     NULL,
     offsetof(distill_options, lr)},
    {"layers",
     COOPT_OPT_ENUM,
     "which layers move: all (biases and uncompressed layers too) or only those with a coopt.structure record",
     "all",
     {0},
     layers_names,
     offsetof(distill_options, layers)},
    {"keep-reference",
     COOPT_OPT_BOOL,
     "keep coopt.reference (the float values) on the constants for a later coopt-recover",
     "true",
     {0},
     NULL,
     offsetof(distill_options, keep_reference)},
};

static bool validate_distill(const void *opaque, char *msg, size_t size) {
  const distill_options *o = opaque;
  return cooptValidateSampleOptions(o->d.data, &o->d.normalize, msg, size);
}

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

/* ---- the variables of one parameter ---- */

/* tie[i]: the variable element i is, -1 when it stays as it is.  Adam's
 * moments live per variable. */
typedef struct variables {
  int64_t count;
  int32_t *tie;
  double *theta, *grad, *m, *v;
  float *best; /* the parameter's values at the best held-out error */
} variables;

/* Tie the nonzeros of x[first, first + n) (one channel, or the whole
 * tensor) to one variable per distinct value among them: its centroid. */
static void tie_clusters(variables *va, const float *x, int64_t first, int64_t n, float *scratch) {
  int64_t k = cooptDistinctNonzero(x + first, n, scratch);
  for (int64_t i = 0; i < n; ++i)
    if (x[first + i] != 0) {
      int32_t t = (int32_t)va->count + cooptSortedIndexOf(scratch, k, x[first + i]);
      va->tie[first + i] = t;
      va->theta[t] = x[first + i];
    }
  va->count += k;
}

static void make_variables(const coopt_net_param *p, bool frozen, variables *va) {
  memset(va, 0, sizeof *va);
  va->tie = coopt_xmalloc((size_t)p->n * sizeof(int32_t));
  va->theta = coopt_xcalloc((size_t)p->n + 1, sizeof(double));
  va->best = coopt_xmalloc((size_t)p->n * sizeof(float));
  memcpy(va->best, p->value, (size_t)p->n * sizeof(float));
  for (int64_t i = 0; i < p->n; ++i)
    va->tie[i] = -1;
  if (frozen)
    return;
  coopt_structure st = {0};
  if (p->weight)
    st = cooptGetStructure(p->weight);
  if (st.has_clusters) {
    float *scratch = coopt_xmalloc((size_t)p->n * sizeof(float));
    int64_t per = p->n / p->weight->rows;
    if (st.per_channel)
      for (int64_t r = 0; r < p->weight->rows; ++r)
        tie_clusters(va, p->value, r * per, per, scratch);
    else
      tie_clusters(va, p->value, 0, p->n, scratch);
    free(scratch);
  } else {
    /* Zeros stay zeros in every layer: a pruned one keeps its mask, and a
     * dense one has no zeros worth a variable. */
    for (int64_t i = 0; i < p->n; ++i)
      if (p->value[i] != 0) {
        va->tie[i] = (int32_t)va->count;
        va->theta[va->count++] = p->value[i];
      }
  }
  va->grad = coopt_xcalloc((size_t)va->count + 1, sizeof(double));
  va->m = coopt_xcalloc((size_t)va->count + 1, sizeof(double));
  va->v = coopt_xcalloc((size_t)va->count + 1, sizeof(double));
}

static void free_variables(variables *va) {
  free(va->tie), free(va->theta), free(va->grad), free(va->m), free(va->v), free(va->best);
}

static const double PI = 3.14159265358979323846;
static const double ADAM_B1 = 0.9, ADAM_B2 = 0.999, ADAM_EPS = 1e-8;

/* One Adam step on the variables from the parameter's accumulated
 * gradient; writes the values back.  A variable that would land on exactly
 * zero keeps its old value: a zero would change the mask. */
static void adam_step(coopt_net_param *p, variables *va, double lr, int64_t t) {
  if (va->count == 0)
    return;
  memset(va->grad, 0, (size_t)va->count * sizeof(double));
  for (int64_t i = 0; i < p->n; ++i)
    if (va->tie[i] >= 0)
      va->grad[va->tie[i]] += p->grad[i];
  double c1 = 1 - pow(ADAM_B1, (double)t), c2 = 1 - pow(ADAM_B2, (double)t);
  for (int64_t j = 0; j < va->count; ++j) {
    double g = va->grad[j];
    va->m[j] = ADAM_B1 * va->m[j] + (1 - ADAM_B1) * g;
    va->v[j] = ADAM_B2 * va->v[j] + (1 - ADAM_B2) * g * g;
    double next = va->theta[j] - lr * (va->m[j] / c1) / (sqrt(va->v[j] / c2) + ADAM_EPS);
    if ((float)next != 0.0f)
      va->theta[j] = next;
  }
  for (int64_t i = 0; i < p->n; ++i)
    if (va->tie[i] >= 0)
      p->value[i] = (float)va->theta[va->tie[i]];
}

/* ---- the run ---- */

typedef struct run {
  coopt_net *net;
  variables *vars;
  size_t nparams;
  const coopt_samples *s;
  int64_t batch, in, out;
  const float *teacher; /* s->count x out */
  float *xb, *tb, *dy;  /* one batch of inputs, teacher outputs, output gradient */
} run;

/* Gather samples idx[0..batch) into one batch. */
static void gather(run *r, const int64_t *idx) {
  for (int64_t i = 0; i < r->batch; ++i) {
    memcpy(r->xb + i * r->in, r->s->values + idx[i] * r->in, (size_t)r->in * sizeof(float));
    memcpy(r->tb + i * r->out, r->teacher + idx[i] * r->out, (size_t)r->out * sizeof(float));
  }
}

/* Squared output error and output energy over the samples idx[0..n), in
 * whole batches (a partial last batch repeats from its start; only the
 * samples themselves count). */
static void measure(run *r, const int64_t *idx, int64_t n, double *err, double *energy) {
  *err = 0, *energy = 0;
  int64_t *b = coopt_xmalloc((size_t)r->batch * sizeof(int64_t));
  for (int64_t base = 0; base < n; base += r->batch) {
    int64_t cnt = n - base < r->batch ? n - base : r->batch;
    for (int64_t i = 0; i < r->batch; ++i)
      b[i] = idx[base + (i < cnt ? i : i % cnt)];
    gather(r, b);
    const float *y = cooptNetForward(r->net, r->xb);
    for (int64_t k = 0; k < cnt * r->out; ++k) {
      double d = (double)y[k] - r->tb[k];
      *err += d * d;
      *energy += (double)r->tb[k] * r->tb[k];
    }
  }
  free(b);
}

/* The teacher's outputs of every sample: the float model. */
static float *teacher_outputs(coopt_net *teacher, const coopt_samples *s) {
  int64_t batch = cooptNetBatch(teacher), in = cooptNetInputElements(teacher), out = cooptNetOutputElements(teacher);
  float *t = coopt_xmalloc((size_t)(s->count * out) * sizeof(float));
  float *xb = coopt_xmalloc((size_t)(batch * in) * sizeof(float));
  for (int64_t base = 0; base < s->count; base += batch) {
    int64_t cnt = s->count - base < batch ? s->count - base : batch;
    for (int64_t i = 0; i < batch; ++i)
      memcpy(xb + i * in, s->values + (base + (i < cnt ? i : i % cnt)) * in, (size_t)in * sizeof(float));
    const float *y = cooptNetForward(teacher, xb);
    memcpy(t + base * out, y, (size_t)(cnt * out) * sizeof(float));
  }
  free(xb);
  return t;
}

/* A fixed permutation generator (xorshift64*): the same order on every run. */
static uint64_t next_random(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  *state = x;
  return x * UINT64_C(2685821657736338717);
}

static void shuffle(int64_t *a, int64_t n, uint64_t *state) {
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = (int64_t)(next_random(state) % (uint64_t)(i + 1)), t = a[i];
    a[i] = a[j], a[j] = t;
  }
}

static void keep_best(run *r) {
  for (size_t i = 0; i < r->nparams; ++i) {
    coopt_net_param *p = cooptNetParam(r->net, i);
    memcpy(r->vars[i].best, p->value, (size_t)p->n * sizeof(float));
  }
}

static bool finite_values(const float *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!isfinite(x[i]))
      return false;
  return true;
}

typedef struct outcome {
  double before, after, energy; /* held-out squared error before and after, output energy */
  int64_t best_epoch, steps, variables;
  bool diverged;
} outcome;

/* Adam over the training samples for o->epochs, the held-out error after
 * each; the best parameters end in vars[].best. */
static void train(run *r, const distill_options *o, const int64_t *fit, int64_t nfit, const int64_t *held,
                  int64_t nheld, outcome *res) {
  /* Small static batches accumulate gradients over a few passes so that
   * one step still averages over some 32 samples. */
  int64_t accum = r->batch >= 32 ? 1 : (32 + r->batch - 1) / r->batch;
  int64_t per_epoch = nfit / (r->batch * accum), total = per_epoch * o->epochs, t = 0;
  int64_t *order = coopt_xmalloc((size_t)(nfit + 1) * sizeof(int64_t));
  memcpy(order, fit, (size_t)nfit * sizeof(int64_t));
  uint64_t state = UINT64_C(0x9E3779B97F4A7C15);
  double best = 0;
  measure(r, held, nheld, &best, &res->energy);
  res->before = res->after = best;
  keep_best(r);
  float scale = 1.0f / (float)(r->batch * accum);
  for (int64_t e = 0; e < o->epochs && per_epoch > 0; ++e) {
    shuffle(order, nfit, &state);
    for (int64_t step = 0; step < per_epoch; ++step) {
      cooptNetZeroGrad(r->net);
      for (int64_t a = 0; a < accum; ++a) {
        gather(r, order + (step * accum + a) * r->batch);
        const float *y = cooptNetForward(r->net, r->xb);
        for (int64_t k = 0; k < r->batch * r->out; ++k)
          r->dy[k] = (y[k] - r->tb[k]) * scale;
        cooptNetBackward(r->net, r->dy);
      }
      /* Cosine decay to zero over the whole run: late steps refine. */
      double lr = o->lr * 0.5 * (1 + cos(PI * (double)t / (double)total));
      ++t;
      for (size_t i = 0; i < r->nparams; ++i)
        adam_step(cooptNetParam(r->net, i), &r->vars[i], lr, t);
    }
    double err, energy;
    measure(r, held, nheld, &err, &energy);
    if (!isfinite(err)) {
      res->diverged = true;
      break;
    }
    if (err < best) {
      best = err, res->best_epoch = e + 1;
      keep_best(r);
    }
  }
  res->after = best;
  res->steps = t;
  free(order);
}

/* ---- writing back ---- */

static bool store(coopt_net *net, variables *vars, size_t nparams, MlirLocation loc) {
  for (size_t i = 0; i < nparams; ++i) {
    coopt_net_param *p = cooptNetParam(net, i);
    if (!vars[i].count)
      continue;
    if (p->weight) {
      const coopt_weight *w = p->weight;
      coopt_structure st = cooptGetStructure(w);
      float *old = cooptWeightLoad(w);
      char what[512], msg[512];
      bool same = cooptSameZeros(old, vars[i].best, p->n);
      free(old);
      if (!same || (cooptStructureClaims(&st) && !cooptCheckStructure(w, vars[i].best, &st, msg, sizeof msg))) {
        cooptWeightDescribe(w, what, sizeof what);
        cooptEmitError(loc, "coopt-distill: internal error: the fit of %s changed its structure", what);
        return false;
      }
      cooptKeepReference(w->constant);
      cooptWeightStore(w, vars[i].best);
    } else {
      MlirAttribute old = mlirOperationGetAttributeByName(p->constant, S("values"));
      cooptKeepReference(p->constant);
      mlirOperationSetAttributeByName(p->constant, S("values"),
                                      mlirDenseElementsAttrFloatGet(mlirAttributeGetType(old), p->n, vars[i].best));
    }
  }
  return true;
}

/* ---- the pass ---- */

static bool moves(const coopt_net *net, const coopt_net_param *p, const distill_options *o) {
  if (o->layers == LAYERS_ALL)
    return true;
  const coopt_net_param *w = p->weight ? p : p->layer >= 0 ? cooptNetParam((coopt_net *)net, (size_t)p->layer) : NULL;
  if (!w)
    return false;
  coopt_structure st = cooptGetStructure(w->weight);
  return cooptStructureClaims(&st);
}

static bool distill(MlirOperation module, MlirOperation fn, const distill_options *o, coopt_weight_set *set) {
  MlirLocation floc = mlirOperationGetLocation(fn);
  char why[512];
  MlirOperation where;
  coopt_net *student = cooptNetBuild(fn, set, false, why, sizeof why, &where);
  if (!student) {
    cooptEmitRemark(mlirOperationGetLocation(where), "coopt-distill: %s; the model is left as it is", why);
    return true;
  }
  for (size_t i = 0; i < cooptNetNumParams(student); ++i) {
    coopt_net_param *p = cooptNetParam(student, i);
    if (!finite_values(p->value, p->n)) {
      cooptEmitError(mlirOperationGetLocation(p->constant), "coopt-distill: a weight or bias has a non-finite value");
      cooptNetFree(student);
      return false;
    }
  }
  coopt_net *teacher = cooptNetBuild(fn, set, true, why, sizeof why, &where);
  coopt_samples s = {0};
  int64_t batch = 0;
  bool ok = teacher && cooptLoadPassSamples(module, fn, &o->d, "coopt-distill", &batch, &s);
  if (ok && s.count < 16) {
    cooptEmitError(floc, "coopt-distill: too few samples: %lld (at least 16: an eighth is held out)",
                   (long long)s.count);
    ok = false;
  }
  if (!ok) {
    cooptSamplesFree(&s);
    cooptNetFree(teacher);
    cooptNetFree(student);
    return false;
  }
  run r = {.net = student,
           .s = &s,
           .batch = cooptNetBatch(student),
           .in = cooptNetInputElements(student),
           .out = cooptNetOutputElements(student),
           .nparams = cooptNetNumParams(student)};
  float *teach = teacher_outputs(teacher, &s);
  cooptNetFree(teacher);
  r.teacher = teach;
  if (!finite_values(teach, s.count * r.out)) {
    cooptEmitError(floc, "coopt-distill: the float model's outputs are not finite on the samples");
    free(teach);
    cooptSamplesFree(&s);
    cooptNetFree(student);
    return false;
  }
  r.vars = coopt_xcalloc(r.nparams + 1, sizeof(variables));
  int64_t nvars = 0, ntensors = 0;
  for (size_t i = 0; i < r.nparams; ++i) {
    coopt_net_param *p = cooptNetParam(student, i);
    make_variables(p, !moves(student, p, o), &r.vars[i]);
    nvars += r.vars[i].count;
    ntensors += r.vars[i].count > 0;
  }
  r.xb = coopt_xmalloc((size_t)(r.batch * r.in) * sizeof(float));
  r.tb = coopt_xmalloc((size_t)(r.batch * r.out) * sizeof(float));
  r.dy = coopt_xmalloc((size_t)(r.batch * r.out) * sizeof(float));
  /* Every eighth sample is held out (the samples are spread over the data
   * set already, so both parts are too). */
  int64_t *fit = coopt_xmalloc((size_t)s.count * sizeof(int64_t)),
          *held = coopt_xmalloc((size_t)s.count * sizeof(int64_t));
  int64_t nfit = 0, nheld = 0;
  for (int64_t i = 0; i < s.count; ++i)
    if (i % 8 == 7)
      held[nheld++] = i;
    else
      fit[nfit++] = i;
  outcome res = {0};
  res.variables = nvars;
  bool trained = false;
  if (nvars == 0)
    cooptEmitRemark(floc, "coopt-distill: no value may move (layers=%s); left as it is", layers_names[o->layers]);
  else if (nfit < r.batch)
    cooptEmitRemark(floc, "coopt-distill: %lld samples to fit are fewer than one batch of %lld; left as it is",
                    (long long)nfit, (long long)r.batch);
  else {
    train(&r, o, fit, nfit, held, nheld, &res);
    trained = true;
  }
  ok = store(student, r.vars, r.nparams, floc);
  if (ok && trained) {
    double e0 = res.energy > 0 ? res.before / res.energy : 0, e1 = res.energy > 0 ? res.after / res.energy : 0;
    cooptEmitRemark(floc,
                    "coopt-distill: relative output error on %lld held-out samples %.4f -> %.4f (%lld values in %lld "
                    "tensors, %lld samples fit, %lld steps, best after epoch %lld of %lld%s)",
                    (long long)nheld, e0, e1, (long long)nvars, (long long)ntensors, (long long)nfit,
                    (long long)res.steps, (long long)res.best_epoch, (long long)o->epochs,
                    res.diverged ? "; stopped: the error stopped being finite" : "");
  }
  for (size_t i = 0; i < r.nparams; ++i)
    free_variables(&r.vars[i]);
  free(r.vars), free(r.xb), free(r.tb), free(r.dy), free(fit), free(held), free(teach);
  cooptSamplesFree(&s);
  cooptNetFree(student);
  return ok;
}

static coopt_pass_result run_distill(MlirOperation module, const void *opaque) {
  const distill_options *o = opaque;
  MlirOperation fn = cooptFindFunc(module, o->d.entry);
  if (mlirOperationIsNull(fn)) {
    cooptEmitError(mlirOperationGetLocation(module), "coopt-distill: the module has no func.func @%s to run",
                   o->d.entry);
    return COOPT_PASS_FAILURE;
  }
  coopt_weight_set set;
  bool ok = cooptCollectWeights(fn, COOPT_WOP_ALL, false, &set) && distill(module, fn, o, &set);
  if (ok && !o->keep_reference)
    cooptDropReferences(fn);
  cooptWeightSetFree(&set);
  return ok ? COOPT_PASS_SUCCESS : COOPT_PASS_FAILURE;
}

const coopt_pass_info coopt_distill_pass = {
    .argument = "coopt-distill",
    .summary = "End-to-end reconstruction: fit the compressed model's output to the float model's, keeping its "
               "structure",
    .description =
        "Knowledge distillation without labels: Adam on the squared difference between the model's outputs and "
        "the float model's (the constants' coopt.reference) on calibration inputs, through a float interpreter "
        "with reverse mode.  Zeros stay zero and clustered weights move by their centroids, so coopt.structure "
        "records stay true.  An eighth of the samples is held out and the best epoch on it is kept (never worse "
        "than the start).  Run it after coopt-recover and before coopt-calibrate.",
    .anchor = "builtin.module",
    .options = distill_option_table,
    .num_options = sizeof distill_option_table / sizeof distill_option_table[0],
    .options_size = sizeof(distill_options),
    .validate = validate_distill,
    .run = run_distill,
};
