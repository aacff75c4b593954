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
#include "../Analysis/Quant.h"
#include "../IR/Build.h"
#include "../Support/Support.h"
#include "coopt/Diagnostics.h"
#include "coopt/Exec.h"
#include "coopt/Pass.h"
#include "coopt/TensorIO.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct calibrate_options {
  char *data;
  int64_t samples;
  int64_t batch;
  int method;
  double percentile;
  coopt_list normalize;
  bool overwrite;
} calibrate_options;

enum { METHOD_MINMAX, METHOD_PERCENTILE, METHOD_MSE };
static const char *const method_values[] = {"minmax", "percentile", "mse", NULL};

static const coopt_option_info calibrate_option_table[] = {
    {"data", COOPT_OPT_STRING,
     "calibration inputs: an IDX data set directory (its train-images file is used) or a .npy/.pb tensor [N, ...]",
     "", {0}, NULL, offsetof(calibrate_options, data)},
    {"samples", COOPT_OPT_INT, "number of inputs, spread evenly over the data set", "512",
     {true, false, false, false, 1, 0}, NULL, offsetof(calibrate_options, samples)},
    {"batch", COOPT_OPT_INT, "inputs per run; 0 = the model's batch dimension (the only value a static model accepts)",
     "0", {true, false, false, false, 0, 0}, NULL, offsetof(calibrate_options, batch)},
    {"method", COOPT_OPT_ENUM, "range estimate: observed min/max, a percentile of the values, or the clipping range of least quantization MSE",
     "minmax", {0}, method_values, offsetof(calibrate_options, method)},
    {"percentile", COOPT_OPT_FLOAT, "percentile for method=percentile (each tail keeps 100-p %)", "99.99",
     {true, true, true, false, 50, 100}, NULL, offsetof(calibrate_options, percentile)},
    {"normalize", COOPT_OPT_FLOAT_LIST,
     "mean,std applied to IDX pixels scaled to [0,1] (empty: the model's coopt.metadata normalize_mean/normalize_std)",
     "", {0}, NULL, offsetof(calibrate_options, normalize)},
    {"overwrite", COOPT_OPT_BOOL, "replace ranges already in the graph instead of keeping them", "false", {0}, NULL,
     offsetof(calibrate_options, overwrite)},
};

static bool validate_calibrate(const void *opaque, char *msg, size_t size) {
  const calibrate_options *o = opaque;
  if (!o->data[0]) {
    snprintf(msg, size, "needs data=<IDX directory or .npy file>");
    return false;
  }
  if (o->normalize.size != 0 && (o->normalize.size != 2 || !(((double *)o->normalize.items)[1] > 0))) {
    snprintf(msg, size, "normalize expects two values, mean,std with std > 0");
    return false;
  }
  return true;
}

enum { HIST_BINS = 2048 };

typedef struct point_stats {
  double lo, hi;
  uint64_t *hist; /* HIST_BINS counts over [lo, hi] after the first pass */
  uint64_t total;
} point_stats;

/* Calibration inputs, each already the model's f32 input of one sample. */
typedef struct calib_data {
  int64_t count, per_sample;
  float *values;
} calib_data;

static bool load_data(const calibrate_options *o, MlirOperation module, int64_t per_sample, calib_data *out,
                      char *err, size_t err_size) {
  struct stat st;
  coopt_tensor t;
  bool images = false;
  char path[4096];
  if (stat(o->data, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", o->data);
    if (access(path, R_OK) != 0)
      snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", o->data);
    if (!cooptIdxLoad(path, &t, err, err_size))
      return false;
    images = true;
  } else if (!cooptTensorLoad(o->data, &t, err, err_size)) {
    return false;
  }
  bool ok = false;
  int64_t n = t.type.rank ? t.type.dims[0] : 0;
  int64_t per = n ? cooptTensorElements(&t.type) / n : 0;
  double mean = 0, std = 1;
  if (n == 0 || per == 0) {
    snprintf(err, err_size, "calibration data '%s' is empty", o->data);
  } else if (per != per_sample) {
    snprintf(err, err_size, "calibration data '%s' has %lld values per sample but the model input has %lld", o->data,
             (long long)per, (long long)per_sample);
  } else if (images ? t.type.dtype != COOPT_U8 : t.type.dtype != COOPT_F32) {
    snprintf(err, err_size, "calibration data '%s' must be %s, not %s", o->data, images ? "u8 images" : "f32",
             cooptDtypeName(t.type.dtype));
  } else if (images && o->normalize.size == 0 &&
             !(cooptMetadataNumber(module, "normalize_mean", &mean) &&
               cooptMetadataNumber(module, "normalize_std", &std) && std > 0)) {
    snprintf(err, err_size, "no input normalisation for IDX images: give normalize=<mean>,<std> (the model has no "
                            "coopt.metadata normalize_mean/normalize_std)");
  } else {
    if (o->normalize.size == 2)
      mean = ((double *)o->normalize.items)[0], std = ((double *)o->normalize.items)[1];
    int64_t count = o->samples < n ? o->samples : n;
    out->count = count;
    out->per_sample = per;
    out->values = coopt_xmalloc((size_t)(count * per) * sizeof(float));
    for (int64_t i = 0; i < count; ++i) {
      /* Evenly spread, deterministic: sample i is item floor(i * n / count). */
      int64_t src = i * n / count /* both < 2^31 in any real data set */;
      for (int64_t k = 0; k < per; ++k)
        out->values[i * per + k] = images ? (float)(((double)((uint8_t *)t.data)[src * per + k] / 255.0 - mean) / std)
                                          : ((float *)t.data)[src * per + k];
    }
    ok = true;
  }
  cooptTensorFree(&t);
  return ok;
}

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

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

static coopt_pass_result run_calibrate(MlirOperation module, const void *opaque) {
  const calibrate_options *o = opaque;
  MlirContext ctx = mlirOperationGetContext(module);
  MlirOperation fn = cooptFindFunc(module, "main");
  if (mlirOperationIsNull(fn)) {
    cooptEmitError(mlirOperationGetLocation(module), "coopt-calibrate: the module has no func.func @main to run");
    return COOPT_PASS_FAILURE;
  }
  MlirLocation loc = mlirOperationGetLocation(fn);
  coopt_qpoints qp;
  cooptCollectQuantPoints(fn, &qp);
  /* Which points to measure: op results go through the clone, arguments are
   * read from the inputs. */
  int *todo = coopt_xcalloc(qp.count + 1, sizeof *todo);
  size_t ntodo = 0, nout = 0;
  for (size_t i = 0; i < qp.count; ++i) {
    double lo, hi;
    if (qp.items[i].inherit >= 0 || (!o->overwrite && cooptGetRange(fn, &qp.items[i], &lo, &hi)))
      continue;
    todo[ntodo++] = (int)i;
  }
  coopt_pass_result result = COOPT_PASS_FAILURE;
  point_stats *stats = coopt_xcalloc(ntodo + 1, sizeof *stats);
  calib_data data = {0};
  coopt_jit jit;
  bool have_jit = false;
  MlirModule clone = {NULL};
  if (ntodo == 0) {
    cooptEmitRemark(loc, "coopt-calibrate: all %zu quantization points already have ranges", qp.count);
    result = COOPT_PASS_SUCCESS;
    goto done;
  }
  for (size_t k = 0; k < ntodo; ++k) {
    stats[k].lo = INFINITY, stats[k].hi = -INFINITY;
    if (qp.items[todo[k]].arg < 0) {
      mlirOperationSetDiscardableAttributeByName(qp.items[todo[k]].producer, S("coopt.calibrate_id"),
                                                 mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), (int64_t)k));
      ++nout;
    }
  }
  MlirOperation clone_op = mlirOperationClone(module);
  clone = mlirModuleFromOperation(clone_op);
  for (size_t k = 0; k < ntodo; ++k)
    if (qp.items[todo[k]].arg < 0)
      mlirOperationRemoveDiscardableAttributeByName(qp.items[todo[k]].producer, S("coopt.calibrate_id"));

  /* In the clone: return the original results, then every tagged value. */
  MlirOperation cfn = cooptFindFunc(clone_op, "main");
  MlirBlock cblock = mlirRegionGetFirstBlock(mlirOperationGetRegion(cfn, 0));
  MlirOperation ret = mlirBlockGetTerminator(cblock);
  intptr_t nret = mlirOperationGetNumOperands(ret);
  if (nret + (intptr_t)nout > COOPT_MAX_IO) {
    cooptEmitError(loc, "coopt-calibrate: %zu quantization points exceed the %d results the JIT supports", nout,
                   COOPT_MAX_IO);
    goto done;
  }
  MlirValue outs[COOPT_MAX_IO];
  MlirType out_types[COOPT_MAX_IO];
  int out_stat[COOPT_MAX_IO];
  for (intptr_t i = 0; i < nret; ++i)
    outs[i] = mlirOperationGetOperand(ret, i), out_stat[i] = -1;
  intptr_t m = nret;
  for (MlirOperation op = mlirBlockGetFirstOperation(cblock); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirAttribute id = mlirOperationGetAttributeByName(op, S("coopt.calibrate_id"));
    if (mlirAttributeIsNull(id))
      continue;
    int sid = (int)mlirIntegerAttrGetValueInt(id);
    MlirValue v = mlirOperationGetResult(op, 0);
    mlirOperationRemoveDiscardableAttributeByName(op, S("coopt.calibrate_id"));
    /* A value already returned is read from that result: returning one
     * tensor twice breaks buffer-results-to-out-params. */
    intptr_t dup = -1;
    for (intptr_t i = 0; i < m; ++i)
      if (mlirValueEqual(outs[i], v))
        dup = i;
    if (dup >= 0) {
      out_stat[dup] = sid;
      continue;
    }
    out_stat[m] = sid;
    outs[m++] = v;
  }
  mlirOperationSetOperands(ret, m, outs);
  for (intptr_t i = 0; i < m; ++i)
    out_types[i] = mlirValueGetType(outs[i]);
  intptr_t nin = mlirBlockGetNumArguments(cblock);
  MlirType in_types[COOPT_MAX_IO];
  for (intptr_t i = 0; i < nin && i < COOPT_MAX_IO; ++i)
    in_types[i] = mlirValueGetType(mlirBlockGetArgument(cblock, i));
  mlirOperationSetAttributeByName(cfn, S("function_type"),
                                  mlirTypeAttrGet(mlirFunctionTypeGet(ctx, nin, in_types, m, out_types)));
  mlirOperationRemoveAttributeByName(cfn, S("res_attrs"));

  char err[1024];
  if (!cooptJitCompile(ctx, clone, 2, &jit, err, sizeof err)) {
    cooptEmitError(loc, "coopt-calibrate: cannot compile the model for calibration: %s", err);
    goto done;
  }
  have_jit = true;
  if (jit.num_inputs != 1 || jit.inputs[0].dtype != COOPT_F32 || jit.inputs[0].rank < 1) {
    cooptEmitError(loc, "coopt-calibrate: needs a model with one f32 input [batch, ...]");
    goto done;
  }
  int64_t B = jit.inputs[0].dims[0], per = cooptTensorElements(&jit.inputs[0]) / (B ? B : 1);
  if (o->batch != 0 && o->batch != B) {
    cooptEmitError(loc, "coopt-calibrate: batch=%lld, but the model's input has a static batch of %lld",
                   (long long)o->batch, (long long)B);
    goto done;
  }
  if (!load_data(o, module, per, &data, err, sizeof err)) {
    cooptEmitError(loc, "coopt-calibrate: %s", err);
    goto done;
  }
  void *obuf[COOPT_MAX_IO];
  for (int i = 0; i < jit.num_outputs; ++i)
    obuf[i] = coopt_xmalloc((size_t)cooptTensorElements(&jit.outputs[i]) * cooptDtypeSize(jit.outputs[i].dtype));
  float *x = coopt_xmalloc((size_t)(B * per) * sizeof(float));
  int passes = o->method == METHOD_MINMAX ? 1 : 2;
  bool ok = true;
  for (int pass = 0; pass < passes && ok; ++pass) {
    if (pass == 1)
      for (size_t k = 0; k < ntodo; ++k)
        stats[k].hist = coopt_xcalloc(HIST_BINS, sizeof(uint64_t));
    for (int64_t base = 0; base < data.count && ok; base += B) {
      int64_t cnt = data.count - base < B ? data.count - base : B;
      memset(x, 0, (size_t)(B * per) * sizeof(float));
      memcpy(x, data.values + base * per, (size_t)(cnt * per) * sizeof(float));
      void *in[1] = {x};
      if (!(ok = cooptJitRun(&jit, in, obuf))) {
        cooptEmitError(loc, "coopt-calibrate: execution failed");
        break;
      }
      for (size_t k = 0; k < ntodo; ++k)
        if (qp.items[todo[k]].arg >= 0)
          observe(&stats[k], x, cnt * per, pass == 1);
      for (int i = 0; i < jit.num_outputs; ++i) {
        if (out_stat[i] < 0 || jit.outputs[i].dtype != COOPT_F32)
          continue;
        int64_t each = cooptTensorElements(&jit.outputs[i]) / B;
        observe(&stats[out_stat[i]], obuf[i], cnt * each, pass == 1);
      }
    }
  }
  for (int i = 0; i < jit.num_outputs; ++i)
    free(obuf[i]);
  free(x);
  if (!ok)
    goto done;
  for (size_t k = 0; k < ntodo; ++k) {
    point_stats *s = &stats[k];
    double lo = s->lo, hi = s->hi;
    if (!(isfinite(lo) && isfinite(hi))) {
      char what[512];
      cooptDescribeQuantPoint(fn, &qp.items[todo[k]], what, sizeof what);
      cooptEmitError(loc, "coopt-calibrate: %s is not finite on the calibration data", what);
      goto done;
    }
    if (o->method == METHOD_PERCENTILE)
      percentile_range(s, o->percentile, &lo, &hi);
    else if (o->method == METHOD_MSE)
      mse_range(s, &lo, &hi);
    cooptSetRange(fn, &qp.items[todo[k]], lo, hi);
  }
  result = COOPT_PASS_SUCCESS;
done:
  if (have_jit)
    cooptJitDestroy(&jit);
  if (!mlirModuleIsNull(clone))
    mlirModuleDestroy(clone);
  for (size_t k = 0; k < ntodo; ++k)
    free(stats[k].hist);
  free(stats);
  free(data.values);
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
