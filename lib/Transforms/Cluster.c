/*
 * coopt-cluster: k-means weight clustering (weight sharing), per tensor or
 * per output channel, optionally sparsity-preserving.
 *
 * Weights are replaced by their centroid values, so the model stays plain
 * TOSA.  With preserve-sparsity (forced when an earlier pass recorded a
 * sparsity claim on the tensor) zeros stay exactly 0.0, 0 is one of the k
 * values, the other k-1 clusters are fit on the nonzeros only, and no
 * nonzero weight becomes 0, as tfmot's sparsity-preserving clustering does.
 */
#include "Analysis/KMeans.h"
#include "Analysis/Structure.h"
#include "Analysis/Weights.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "Transforms/LayerData.h"
#include "Transforms/WeightSelect.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct cluster_options {
  int64_t clusters;
  int init;
  int64_t seed;
  int64_t max_iterations;
  double tolerance;
  bool per_channel;
  bool preserve_sparsity;
  coopt_list ops;
  int64_t min_elements;
  coopt_list filter;
  bool keep_reference;
  int method;
  coopt_data_options d;
} cluster_options;

enum { METHOD_KMEANS, METHOD_HESSIAN };
static const char *const method_values[] = {"kmeans", "hessian", NULL};

static const coopt_option_info cluster_option_table[] = {
    {"clusters",
     COOPT_OPT_INT,
     "number of clusters (distinct values) per tensor or per channel",
     "16",
     {true, true, false, false, 2, 256},
     NULL,
     offsetof(cluster_options, clusters)},
    {"init",
     COOPT_OPT_ENUM,
     "centroid initialisation (density: by the cumulative distribution)",
     "kmeans++",
     {0},
     coopt_kmeans_init_names,
     offsetof(cluster_options, init)},
    {"seed",
     COOPT_OPT_INT,
     "seed for kmeans++ and random initialisation",
     "0",
     {true, false, false, false, 0, 0},
     NULL,
     offsetof(cluster_options, seed)},
    {"max-iterations",
     COOPT_OPT_INT,
     "maximum Lloyd iterations",
     "100",
     {true, true, false, false, 1, 100000},
     NULL,
     offsetof(cluster_options, max_iterations)},
    {"tolerance",
     COOPT_OPT_FLOAT,
     "stop when no centroid moves more than this fraction of the value range",
     "1e-06",
     {true, true, false, true, 0, 1},
     NULL,
     offsetof(cluster_options, tolerance)},
    {"per-channel",
     COOPT_OPT_BOOL,
     "one codebook per output channel (tfmot cluster_per_channel)",
     "false",
     {0},
     NULL,
     offsetof(cluster_options, per_channel)},
    {"preserve-sparsity",
     COOPT_OPT_BOOL,
     "keep zeros exactly zero and nonzeros nonzero",
     "false",
     {0},
     NULL,
     offsetof(cluster_options, preserve_sparsity)},
    {"ops",
     COOPT_OPT_ENUM_LIST,
     "op kinds to cluster (depthwise only when asked, as tfmot)",
     "conv2d,transpose_conv2d,matmul",
     {0},
     coopt_weight_op_names,
     offsetof(cluster_options, ops)},
    {"min-elements",
     COOPT_OPT_INT,
     "skip tensors with fewer elements",
     "0",
     {true, false, false, false, 0, 0},
     NULL,
     offsetof(cluster_options, min_elements)},
    {"filter",
     COOPT_OPT_STRING_LIST,
     "only weights whose op location contains one of these strings (empty: all)",
     "",
     {0},
     NULL,
     offsetof(cluster_options, filter)},
    {"keep-reference",
     COOPT_OPT_BOOL,
     "keep the values before clustering as coopt.reference (what coopt-recover reproduces)",
     "true",
     {0},
     NULL,
     offsetof(cluster_options, keep_reference)},
    {"method",
     COOPT_OPT_ENUM,
     "k-means on the values, or weighted by each weight's input energy (the diagonal of the layer's input gram on "
     "calibration data, needs data=): centroids move toward the weights the output depends on most",
     "kmeans",
     {0},
     method_values,
     offsetof(cluster_options, method)},
    COOPT_DATA_OPTION_TABLE(cluster_options, "for method=hessian"),
};

static bool validate_cluster(const void *opaque, char *msg, size_t size) {
  const cluster_options *o = opaque;
  if (o->method != METHOD_HESSIAN)
    return true;
  if (!o->d.data[0]) {
    snprintf(msg, size, "method=hessian needs data=<IDX directory or .npy file>");
    return false;
  }
  return cooptValidateSampleOptions(o->d.data, &o->d.normalize, msg, size);
}

/* Cluster one scope (a tensor or one channel) in place. */
static void cluster_scope(float *x, const double *wt, int64_t n, const cluster_options *o, bool preserve,
                          uint64_t seed) {
  coopt_kmeans_options km = {(int)o->clusters, (coopt_kmeans_init)o->init, seed, (int)o->max_iterations, o->tolerance};
  if (!preserve) {
    cooptKMeans1DWeighted(x, wt, n, &km, x);
    return;
  }
  int64_t nnz = 0;
  for (int64_t i = 0; i < n; ++i)
    nnz += x[i] != 0;
  if (nnz == 0)
    return;
  float *nz = coopt_xmalloc((size_t)nnz * sizeof(float));
  float *orig = coopt_xmalloc((size_t)nnz * sizeof(float));
  double *nzw = wt ? coopt_xmalloc((size_t)nnz * sizeof(double)) : NULL;
  for (int64_t i = 0, j = 0; i < n; ++i)
    if (x[i] != 0) {
      if (nzw)
        nzw[j] = wt[i];
      nz[j] = orig[j] = x[i], ++j;
    }
  /* Zero is pinned as one of the k values when the scope has zeros. */
  km.k = (int)o->clusters - (nnz < n ? 1 : 0);
  if (km.k == 1) {
    double sum = 0;
    for (int64_t j = 0; j < nnz; ++j)
      sum += nz[j];
    float mean = (float)(sum / (double)nnz);
    for (int64_t j = 0; j < nnz; ++j)
      nz[j] = mean;
  } else {
    cooptKMeans1DWeighted(nz, nzw, nnz, &km, nz);
  }
  /* A centroid of values on both sides of zero can land on 0.0: move it to
   * its member nearest to zero, so no nonzero weight is pruned by accident. */
  float repl = 0;
  for (int64_t j = 0; j < nnz; ++j)
    if (nz[j] == 0 && (repl == 0 || fabsf(orig[j]) < fabsf(repl)))
      repl = orig[j];
  for (int64_t i = 0, j = 0; i < n; ++i)
    if (x[i] != 0) {
      x[i] = nz[j] == 0 ? repl : nz[j];
      ++j;
    }
  free(nz);
  free(orig);
  free(nzw);
}

/* method=hessian: the importance of each canonical weight, the energy of the
 * input it multiplies (diag of its layer's input gram).  NULL for a weight
 * the data cannot reach (remark: plain k-means). */
static double **input_energies(MlirOperation root, const cluster_options *o, coopt_weight_set *set, bool *failed) {
  *failed = false;
  MlirOperation fn = cooptFindFunc(root, o->d.entry);
  if (mlirOperationIsNull(fn)) {
    cooptEmitError(mlirOperationGetLocation(root), "coopt-cluster: the module has no func.func @%s to run", o->d.entry);
    *failed = true;
    return NULL;
  }
  int64_t batch = 0;
  coopt_samples s = {0};
  if (!cooptLoadPassSamples(root, fn, &o->d, "coopt-cluster", &batch, &s)) {
    *failed = true;
    return NULL;
  }
  double **energy = coopt_xcalloc(set->count + 1, sizeof *energy);
  coopt_layer *layers = coopt_xcalloc(set->count + 1, sizeof *layers);
  size_t *which = coopt_xcalloc(set->count + 1, sizeof *which);
  size_t n = 0;
  for (size_t t = 0; t < set->count; ++t) {
    coopt_weight *w = &set->items[t];
    if (!cooptWeightSelected(w, &o->ops, o->min_elements, &o->filter))
      continue;
    char why[256], what[512];
    MlirOperation parent = mlirBlockGetParentOperation(mlirOperationGetBlock(w->user));
    cooptWeightDescribe(w, what, sizeof what);
    if (!mlirOperationEqual(parent, fn))
      snprintf(why, sizeof why, "is outside @%s", o->d.entry);
    else if (cooptLayerOf(w, batch, &layers[n], why, sizeof why)) {
      which[n++] = t;
      continue;
    }
    cooptEmitRemark(mlirOperationGetLocation(w->user), "coopt-cluster: %s %s; plain k-means", what, why);
  }
  double **per_layer = coopt_xcalloc(n + 1, sizeof *per_layer);
  if (!cooptCollectInputEnergies(root, fn, o->d.entry, &s, layers, n, true, "coopt-cluster", per_layer))
    *failed = true;
  for (size_t l = 0; l < n && !*failed; ++l)
    energy[which[l]] = per_layer[l];
  free(per_layer);
  free(layers);
  free(which);
  cooptSamplesFree(&s);
  if (*failed) {
    for (size_t t = 0; t < set->count; ++t)
      free(energy[t]);
    free(energy);
    return NULL;
  }
  return energy;
}

static coopt_pass_result run_cluster(MlirOperation root, const void *opaque) {
  const cluster_options *o = opaque;
  coopt_weight_set set;
  if (!cooptCollectWeights(root, COOPT_WOP_ALL, true, &set)) {
    cooptWeightSetFree(&set);
    return COOPT_PASS_FAILURE;
  }
  coopt_pass_result result = COOPT_PASS_SUCCESS;
  double **energy = NULL;
  if (o->method == METHOD_HESSIAN) {
    bool failed;
    energy = input_energies(root, o, &set, &failed);
    if (failed) {
      cooptWeightSetFree(&set);
      return COOPT_PASS_FAILURE;
    }
  }
  for (size_t t = 0; t < set.count; ++t) {
    coopt_weight *w = &set.items[t];
    if (!cooptWeightSelected(w, &o->ops, o->min_elements, &o->filter))
      continue;
    float *v = cooptLoadFinite(w, "coopt-cluster");
    if (!v) {
      result = COOPT_PASS_FAILURE;
      continue;
    }
    coopt_structure s = cooptGetStructure(w);
    bool preserve = o->preserve_sparsity;
    if (!preserve && (s.has_sparsity || s.pattern.kind != COOPT_PAT_NONE)) {
      /* Keeping earlier guarantees is not optional. */
      preserve = true;
      char what[512];
      cooptWeightDescribe(w, what, sizeof what);
      cooptEmitRemark(mlirOperationGetLocation(w->user),
                      "coopt-cluster: %s carries a sparsity claim; clustering it with preserve-sparsity", what);
    }
    int64_t rows = o->per_channel ? w->rows : 1, len = w->num_elements / (rows ? rows : 1);
    const double *e = energy ? energy[t] : NULL;
    for (int64_t r = 0; r < rows; ++r)
      cluster_scope(v + r * len, e ? e + r * len : NULL, len, o, preserve,
                    (uint64_t)o->seed * 1000003u + (uint64_t)t * 7919u + (uint64_t)r);
    /* Keep an earlier, tighter count of the same kind: it still holds, since
     * clustering only merges values. */
    bool tighter_record = s.has_clusters && s.per_channel == o->per_channel && s.clusters < o->clusters;
    if (!tighter_record) {
      s.has_clusters = true;
      s.clusters = o->clusters;
      s.per_channel = o->per_channel;
    }
    if (s.has_sparsity)
      cooptMeasureSparsity(w, v, &s);
    if (o->keep_reference)
      cooptKeepReference(w->constant);
    cooptWeightStore(w, v);
    cooptSetStructure(w, &s);
    free(v);
  }
  if (energy)
    for (size_t t = 0; t < set.count; ++t)
      free(energy[t]);
  free(energy);
  cooptWeightSetFree(&set);
  return result;
}

const coopt_pass_info coopt_cluster_pass = {
    .argument = "coopt-cluster",
    .summary = "k-means weight clustering, per tensor or per channel, optionally sparsity-preserving",
    .description = "Replace every weight by the centroid of its k-means cluster (1-D k-means on sorted values). "
                   "Records clusters/per_channel in coopt.structure; keeps zeros when a sparsity claim exists.",
    .anchor = "builtin.module",
    .options = cluster_option_table,
    .num_options = sizeof cluster_option_table / sizeof cluster_option_table[0],
    .options_size = sizeof(cluster_options),
    .validate = validate_cluster,
    .run = run_cluster,
};
