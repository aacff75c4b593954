/*
 * coopt-calibrate: record a range for every activation that int8 will
 * quantize, by running the float model in-process on calibration inputs.
 *
 * The module is cloned, the clone's @main is made to also return every
 * quantization point (lib/Analysis/Quant.h), and the clone is JIT-compiled
 * through the same lowering coopt-runner uses.  The original is only
 * annotated, never rewritten.  Function arguments are measured from the
 * inputs themselves.
 *
 * Inputs are chosen deterministically: `samples` indices spread evenly over
 * the data set (the training split of an IDX directory, so the test split
 * stays unseen).  minmax needs one pass; percentile and mse a second pass
 * that fills a histogram over the first pass's [min, max].
 */
#include "Analysis/Quant.h"
#include "Data/Samples.h"
#include "Exec/Probe.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct calibrate_options {
  char *data;
  int64_t samples;
  int64_t batch;
  int method;
  double percentile;
  coopt_list normalize;
  bool overwrite;
  char *entry;
} calibrate_options;

enum { METHOD_MINMAX, METHOD_PERCENTILE, METHOD_MSE };
static const char *const method_values[] = {"minmax", "percentile", "mse", NULL};

static const coopt_option_info calibrate_option_table[] = {
    {"data",
     COOPT_OPT_STRING,
     "calibration inputs: an IDX data set directory (its train-images file is used) or a .npy/.pb tensor [N, ...]",
     "",
     {0},
     NULL,
     offsetof(calibrate_options, data)},
    {"samples",
     COOPT_OPT_INT,
     "number of inputs, spread evenly over the data set",
     "512",
     {true, false, false, false, 1, 0},
     NULL,
     offsetof(calibrate_options, samples)},
    {"batch",
     COOPT_OPT_INT,
     "inputs per run; 0 = the model's batch dimension (the only value a static model accepts)",
     "0",
     {true, false, false, false, 0, 0},
     NULL,
     offsetof(calibrate_options, batch)},
    {"method",
     COOPT_OPT_ENUM,
     "range estimate: observed min/max, a percentile of the values, or the clipping range of least quantization MSE",
     "minmax",
     {0},
     method_values,
     offsetof(calibrate_options, method)},
    {"percentile",
     COOPT_OPT_FLOAT,
     "percentile for method=percentile (each tail keeps 100-p %)",
     "99.99",
     {true, true, true, false, 50, 100},
     NULL,
     offsetof(calibrate_options, percentile)},
    {"normalize",
     COOPT_OPT_FLOAT_LIST,
     "mean,std applied to IDX pixels scaled to [0,1] (empty: the model's coopt.metadata normalize_mean/normalize_std)",
     "",
     {0},
     NULL,
     offsetof(calibrate_options, normalize)},
    {"overwrite",
     COOPT_OPT_BOOL,
     "replace ranges already in the graph instead of keeping them",
     "false",
     {0},
     NULL,
     offsetof(calibrate_options, overwrite)},
    {"entry", COOPT_OPT_STRING, "the function to run", "main", {0}, NULL, offsetof(calibrate_options, entry)},
};

static bool validate_calibrate(const void *opaque, char *msg, size_t size) {
  const calibrate_options *o = opaque;
  return cooptValidateSampleOptions(o->data, &o->normalize, msg, size);
}

enum { HIST_BINS = 2048 };

typedef struct point_stats {
  double lo, hi;
  uint64_t *hist; /* HIST_BINS counts over [lo, hi] after the first pass */
  uint64_t total;
} point_stats;

static void observe(point_stats *s, const float *v, int64_t n, bool histogram) {
  if (!histogram) {
    for (int64_t i = 0; i < n; ++i) {
      double x = v[i];
      if (x < s->lo)
        s->lo = x;
      if (x > s->hi)
        s->hi = x;
    }
    return;
  }
  double w = (s->hi - s->lo) / HIST_BINS;
  for (int64_t i = 0; i < n; ++i) {
    int64_t b = w > 0 ? (int64_t)((v[i] - s->lo) / w) : 0;
    b = b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
    s->hist[b]++;
  }
  s->total += (uint64_t)n;
}

static void percentile_range(const point_stats *s, double p, double *lo, double *hi) {
  double w = (s->hi - s->lo) / HIST_BINS, tail = (1.0 - p / 100.0) * (double)s->total;
  uint64_t acc = 0;
  int b = 0;
  for (; b < HIST_BINS - 1; ++b) {
    if ((double)(acc + s->hist[b]) > tail)
      break;
    acc += s->hist[b];
  }
  *lo = s->lo + w * b;
  acc = 0;
  int e = HIST_BINS - 1;
  for (; e > 0; --e) {
    if ((double)(acc + s->hist[e]) > tail)
      break;
    acc += s->hist[e];
  }
  *hi = s->lo + w * (e + 1);
  if (*lo > *hi)
    *lo = *hi;
}

/* Shrink [min, max] by a common factor; keep the factor whose int8 grid has
 * the least squared error over the histogram (clipping included). */
static void mse_range(const point_stats *s, double *lo, double *hi) {
  double w = (s->hi - s->lo) / HIST_BINS, best = INFINITY;
  *lo = s->lo, *hi = s->hi;
  for (int k = 0; k <= 80; ++k) {
    double a = 1.0 - 0.01 * k, l = s->lo * a, h = s->hi * a, scale;
    int32_t zp;
    cooptChooseActivationParams(l, h, -128, 127, &scale, &zp);
    double qlo = (-128 - zp) * scale, qhi = (127 - zp) * scale, e = 0;
    for (int b = 0; b < HIST_BINS; ++b) {
      if (!s->hist[b])
        continue;
      double x = s->lo + w * (b + 0.5), d;
      if (x < qlo)
        d = (qlo - x) * (qlo - x);
      else if (x > qhi)
        d = (x - qhi) * (x - qhi);
      else
        d = scale * scale / 12.0;
      e += d * (double)s->hist[b];
    }
    if (e < best)
      best = e, *lo = l, *hi = h;
  }
}

/* Run the calibration data through the probe, collecting each point's
 * range and (for the methods that need one) a histogram in a second pass. */
static bool observe_all(coopt_probe *probe, const coopt_samples *data, int method, point_stats *stats, size_t ntodo,
                        MlirLocation loc) {
  int64_t B = probe->batch;
  for (size_t k = 0; k < ntodo; ++k)
    stats[k].lo = INFINITY, stats[k].hi = -INFINITY;
  int passes = method == METHOD_MINMAX ? 1 : 2;
  for (int pass = 0; pass < passes; ++pass) {
    if (pass == 1)
      for (size_t k = 0; k < ntodo; ++k)
        stats[k].hist = coopt_xcalloc(HIST_BINS, sizeof(uint64_t));
    for (int64_t base = 0; base < data->count; base += B) {
      int64_t cnt = data->count - base < B ? data->count - base : B;
      if (!cooptProbeRun(probe, data->values + base * data->per_sample, cnt)) {
        cooptEmitError(loc, "coopt-calibrate: execution failed");
        return false;
      }
      for (size_t k = 0; k < ntodo; ++k)
        observe(&stats[k], cooptProbeValue(probe, (int)k), cnt * probe->elements[k], pass == 1);
    }
  }
  return true;
}

/* Each measured point's range, by the chosen method, onto the IR. */
static bool set_ranges(MlirOperation fn, const coopt_qpoints *qp, const int *todo, point_stats *stats, size_t ntodo,
                       const calibrate_options *o, MlirLocation loc) {
  for (size_t k = 0; k < ntodo; ++k) {
    point_stats *s = &stats[k];
    double lo = s->lo, hi = s->hi;
    if (!(isfinite(lo) && isfinite(hi))) {
      char what[512];
      cooptDescribeQuantPoint(fn, &qp->items[todo[k]], what, sizeof what);
      cooptEmitError(loc, "coopt-calibrate: %s is not finite on the calibration data", what);
      return false;
    }
    if (o->method == METHOD_PERCENTILE)
      percentile_range(s, o->percentile, &lo, &hi);
    else if (o->method == METHOD_MSE)
      mse_range(s, &lo, &hi);
    cooptSetRange(fn, &qp->items[todo[k]], lo, hi);
  }
  return true;
}

static coopt_pass_result run_calibrate(MlirOperation module, const void *opaque) {
  const calibrate_options *o = opaque;
  MlirOperation fn = cooptFindFunc(module, o->entry);
  if (mlirOperationIsNull(fn)) {
    cooptEmitError(mlirOperationGetLocation(module), "coopt-calibrate: the module has no func.func @%s to run",
                   o->entry);
    return COOPT_PASS_FAILURE;
  }
  MlirLocation loc = mlirOperationGetLocation(fn);
  coopt_qpoints qp;
  cooptCollectQuantPoints(fn, &qp);
  /* The points to measure; arguments come back from the input buffer. */
  int *todo = coopt_xcalloc(qp.count + 1, sizeof *todo);
  MlirValue *values = coopt_xcalloc(qp.count + 1, sizeof *values);
  size_t ntodo = 0;
  for (size_t i = 0; i < qp.count; ++i) {
    double lo, hi;
    if (qp.items[i].inherit >= 0 || (!o->overwrite && cooptGetRange(fn, &qp.items[i], &lo, &hi)))
      continue;
    values[ntodo] = qp.items[i].value;
    todo[ntodo++] = (int)i;
  }
  coopt_pass_result result = COOPT_PASS_FAILURE;
  point_stats *stats = coopt_xcalloc(ntodo + 1, sizeof *stats);
  coopt_samples data = {0};
  coopt_probe probe = {0};
  char err[1024];
  if (ntodo == 0) {
    cooptEmitRemark(loc, "coopt-calibrate: all %zu quantization points already have ranges", qp.count);
    result = COOPT_PASS_SUCCESS;
    goto done;
  }
  if (!cooptProbeCreate(module, o->entry, values, (int)ntodo, COOPT_PROBE_KEEP_RESULTS, NULL, NULL, &probe, err,
                        sizeof err)) {
    cooptEmitError(loc, "coopt-calibrate: %s", err);
    goto done;
  }
  int64_t B = probe.batch;
  if (o->batch != 0 && o->batch != B) {
    cooptEmitError(loc, "coopt-calibrate: batch=%lld, but the model's input has a static batch of %lld",
                   (long long)o->batch, (long long)B);
    goto done;
  }
  if (!cooptLoadSamples(o->data, o->samples, &o->normalize, module, probe.per_sample, &data, err, sizeof err)) {
    cooptEmitError(loc, "coopt-calibrate: %s", err);
    goto done;
  }
  if (!observe_all(&probe, &data, o->method, stats, ntodo, loc) || !set_ranges(fn, &qp, todo, stats, ntodo, o, loc))
    goto done;
  result = COOPT_PASS_SUCCESS;
done:
  cooptProbeDestroy(&probe);
  for (size_t k = 0; k < ntodo; ++k)
    free(stats[k].hist);
  free(stats);
  cooptSamplesFree(&data);
  free(values);
  free(todo);
  cooptQuantPointsFree(&qp);
  return result;
}

const coopt_pass_info coopt_calibrate_pass = {
    .argument = "coopt-calibrate",
    .summary = "Record activation ranges (coopt.range) by running the float model on calibration data",
    .description = "JIT-runs a clone of @main that also returns every quantization point; ranges land on the "
                   "producing ops (argument attributes for inputs).  Ranges already present are kept.",
    .anchor = "builtin.module",
    .options = calibrate_option_table,
    .num_options = sizeof calibrate_option_table / sizeof calibrate_option_table[0],
    .options_size = sizeof(calibrate_options),
    .validate = validate_calibrate,
    .run = run_calibrate,
};
