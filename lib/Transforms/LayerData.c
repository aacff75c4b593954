#include "Transforms/LayerData.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "Transforms/Passes.h"
#include "coopt/Diagnostics.h"

#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Pass.h>
#include <stdlib.h>
#include <string.h>

bool cooptPrepareProbeKernels(MlirModule clone, void *user_data, char *err, size_t err_size) {
  (void)user_data;
  MlirContext ctx = mlirModuleGetContext(clone);
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  void *defaults = cooptPassOptionsCreateDefault(&coopt_lower_kernels_pass);
  mlirPassManagerAddOwnedPass(pm, cooptCreatePass(&coopt_lower_kernels_pass, defaults));
  cooptPassOptionsDestroy(&coopt_lower_kernels_pass, defaults);
  /* Its per-op remarks are about the probe, not the user's model. */
  cooptDiagnosticsQuiet(true);
  bool ok = mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(clone)));
  cooptDiagnosticsQuiet(false);
  if (!ok)
    snprintf(err, err_size, "routing the probe's layers to coopt's kernels failed");
  mlirPassManagerDestroy(pm);
  return ok;
}

static int64_t num_elements(MlirType t) {
  int64_t n = 1;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); ++d)
    n *= mlirShapedTypeGetDimSize(t, d);
  return n;
}

bool cooptLayerOf(coopt_weight *w, int64_t batch, coopt_layer *out, char *why, size_t why_size) {
  memset(out, 0, sizeof *out);
  out->weight = w;
  if (w->op == COOPT_WOP_TRANSPOSE_CONV2D) {
    snprintf(why, why_size, "is a transpose_conv2d (not modelled)");
    return false;
  }
  if (w->num_users != 1) {
    snprintf(why, why_size, "is shared by %u ops", w->num_users);
    return false;
  }
  if (w->elem != COOPT_ELEM_F32) {
    snprintf(why, why_size, "is not f32 (the data-driven passes run before quantization)");
    return false;
  }
  if (!cooptLayerGeometry(w->user, batch, &out->geom, why, why_size))
    return false;
  out->bias = cooptBiasOf(w->user);
  if (!mlirOperationIsNull(out->bias)) {
    MlirValue b = mlirOperationGetResult(out->bias, 0);
    MlirType t = mlirValueGetType(b);
    MlirOpOperand use = mlirValueGetFirstUse(b);
    bool one_use = !mlirOpOperandIsNull(use) && mlirOpOperandIsNull(mlirOpOperandGetNextUse(use));
    int64_t n = mlirShapedTypeHasStaticShape(t) ? num_elements(t) : -1;
    out->bias_free = one_use && cooptIsF32Tensor(t) && n == w->rows;
  }
  return true;
}

bool cooptLoadPassSamples(MlirOperation module, MlirOperation fn, const coopt_data_options *o, const char *pass,
                          int64_t *batch, coopt_samples *out) {
  MlirLocation loc = mlirOperationGetLocation(fn);
  MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirType t = {NULL};
  if (mlirBlockGetNumArguments(block) == 1)
    t = mlirValueGetType(mlirBlockGetArgument(block, 0));
  if (mlirTypeIsNull(t) || !cooptIsF32Tensor(t) || !mlirShapedTypeHasStaticShape(t) || mlirShapedTypeGetRank(t) < 1) {
    cooptEmitError(loc, "%s: needs a model with one statically shaped f32 input [batch, ...]", pass);
    return false;
  }
  *batch = mlirShapedTypeGetDimSize(t, 0);
  if (o->batch != 0 && o->batch != *batch) {
    cooptEmitError(loc, "%s: batch=%lld, but the model's input has a static batch of %lld", pass, (long long)o->batch,
                   (long long)*batch);
    return false;
  }
  char err[1024];
  int64_t per = num_elements(t) / (*batch ? *batch : 1);
  if (!cooptLoadSamples(o->data, o->samples, &o->normalize, module, per, out, err, sizeof err)) {
    cooptEmitError(loc, "%s: %s", pass, err);
    return false;
  }
  return true;
}

bool cooptCollectGrams(MlirOperation module, MlirOperation fn, const char *entry, const coopt_samples *s,
                       coopt_layer *layers, size_t n, bool reference, const char *pass, coopt_gram *grams) {
  MlirLocation loc = mlirOperationGetLocation(fn);
  MlirValue *values = coopt_xcalloc(n + 1, sizeof *values);
  for (size_t i = 0; i < n; ++i)
    values[i] = mlirOperationGetOperand(layers[i].weight->user, 0);
  coopt_probe probe;
  char err[1024];
  bool ok = cooptProbeCreate(module, entry, values, (int)n, reference ? COOPT_PROBE_REFERENCE : 0,
                             cooptPrepareProbeKernels, NULL, &probe, err, sizeof err);
  free(values);
  if (!ok) {
    cooptEmitError(loc, "%s: cannot run the model: %s", pass, err);
    return false;
  }
  for (size_t i = 0; i < n; ++i)
    cooptGramInit(&grams[i], &layers[i].geom);
  for (int64_t base = 0; base < s->count && ok; base += probe.batch) {
    int64_t cnt = s->count - base < probe.batch ? s->count - base : probe.batch;
    if (!(ok = cooptProbeRun(&probe, s->values + base * s->per_sample, cnt))) {
      cooptEmitError(loc, "%s: execution failed", pass);
      break;
    }
    for (size_t i = 0; i < n; ++i) {
      const float *x = cooptProbeValue(&probe, (int)i);
      cooptGramAccumulate(&grams[i], &layers[i].geom, x, x, cnt);
    }
  }
  for (size_t i = 0; i < n; ++i)
    cooptGramFinish(&grams[i]);
  cooptProbeDestroy(&probe);
  if (!ok)
    for (size_t i = 0; i < n; ++i)
      cooptGramFree(&grams[i]);
  return ok;
}

bool cooptCollectInputEnergies(MlirOperation module, MlirOperation fn, const char *entry, const coopt_samples *s,
                               coopt_layer *layers, size_t n, bool reference, const char *pass, double **out) {
  coopt_gram *grams = coopt_xcalloc(n + 1, sizeof *grams);
  bool ok = n == 0 || cooptCollectGrams(module, fn, entry, s, layers, n, reference, pass, grams);
  for (size_t l = 0; l < n && ok; ++l) {
    const coopt_weight *w = layers[l].weight;
    int64_t patch = layers[l].geom.patch, k1 = patch + 1;
    double *e = out[l] = coopt_xmalloc((size_t)w->num_elements * sizeof(double));
    for (int64_t r = 0; r < w->rows; ++r) {
      const double *h = cooptGramHH(&grams[l], cooptLayerGroupOf(&layers[l].geom, r));
      for (int64_t i = 0; i < patch; ++i)
        e[r * patch + i] = h[i * k1 + i];
    }
    cooptGramFree(&grams[l]);
  }
  free(grams);
  return ok;
}
