/*
 * The seed's collaborative-optimization paths as named pipelines, in their
 * post-training form (no retraining):
 *   coopt-qat    calibrate, fake-quant
 *   coopt-pqat   prune, calibrate, fake-quant{preserve-sparsity}
 *   coopt-cqat   cluster, calibrate, fake-quant{preserve-clusters}
 *   coopt-pcqat  prune, cluster{preserve-sparsity}, calibrate,
 *                fake-quant{preserve-sparsity preserve-clusters}
 * each ending in coopt-verify-structure.  Calibration runs after
 * compression, so the ranges are those of the compressed model.
 */
#include "../Analysis/KMeans.h"
#include "../Analysis/Structure.h"
#include "coopt/Pass.h"

#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>

typedef struct quant_path_options {
  /* prune */
  double sparsity;
  char *pattern;
  /* cluster */
  int64_t clusters;
  bool per_channel;
  int init;
  int64_t seed;
  /* calibrate */
  char *data;
  int64_t samples;
  int method;
  double percentile;
  /* fake-quant */
  bool quant_per_channel;
  bool exact;
} quant_path_options;

static const char *const method_names[] = {"minmax", "percentile", "mse", NULL};

#define OPT_SPARSITY                                                                                                   \
  {"sparsity", COOPT_OPT_FLOAT, "coopt-prune sparsity", "0.5", {true, true, false, true, 0, 1}, NULL,                  \
   offsetof(quant_path_options, sparsity)},                                                                            \
  {"pattern", COOPT_OPT_STRING, "coopt-prune pattern", "unstructured", {0}, NULL, offsetof(quant_path_options, pattern)}
#define OPT_CLUSTER                                                                                                    \
  {"clusters", COOPT_OPT_INT, "coopt-cluster clusters", "16", {true, true, false, false, 2, 256}, NULL,                \
   offsetof(quant_path_options, clusters)},                                                                            \
  {"per-channel", COOPT_OPT_BOOL, "coopt-cluster per-channel", "false", {0}, NULL,                                     \
   offsetof(quant_path_options, per_channel)},                                                                         \
  {"init", COOPT_OPT_ENUM, "coopt-cluster init", "kmeans++", {0}, coopt_kmeans_init_names,                             \
   offsetof(quant_path_options, init)},                                                                                \
  {"seed", COOPT_OPT_INT, "coopt-cluster seed", "0", {true, false, false, false, 0, 0}, NULL,                          \
   offsetof(quant_path_options, seed)}
#define OPT_QUANT                                                                                                      \
  {"data", COOPT_OPT_STRING, "coopt-calibrate data", "", {0}, NULL, offsetof(quant_path_options, data)},               \
  {"samples", COOPT_OPT_INT, "coopt-calibrate samples", "512", {true, false, false, false, 1, 0}, NULL,                \
   offsetof(quant_path_options, samples)},                                                                             \
  {"method", COOPT_OPT_ENUM, "coopt-calibrate method", "minmax", {0}, method_names,                                    \
   offsetof(quant_path_options, method)},                                                                              \
  {"percentile", COOPT_OPT_FLOAT, "coopt-calibrate percentile", "99.99", {true, true, true, false, 50, 100}, NULL,     \
   offsetof(quant_path_options, percentile)},                                                                          \
  {"quant-per-channel", COOPT_OPT_BOOL, "coopt-fake-quant per-channel", "true", {0}, NULL,                             \
   offsetof(quant_path_options, quant_per_channel)},                                                                   \
  {"exact", COOPT_OPT_BOOL, "coopt-fake-quant exact", "true", {0}, NULL, offsetof(quant_path_options, exact)}

static const coopt_option_info qat_options[] = {OPT_QUANT};
static const coopt_option_info pqat_options[] = {OPT_SPARSITY, OPT_QUANT};
static const coopt_option_info cqat_options[] = {OPT_CLUSTER, OPT_QUANT};
static const coopt_option_info pcqat_options[] = {OPT_SPARSITY, OPT_CLUSTER, OPT_QUANT};

static bool validate_path(const void *opaque, char *msg, size_t size) {
  const quant_path_options *o = opaque;
  coopt_pattern p;
  if (!o->data[0]) {
    snprintf(msg, size, "needs data=<IDX directory or .npy file> for coopt-calibrate");
    return false;
  }
  return cooptParsePattern(o->pattern ? o->pattern : "unstructured", &p, msg, size);
}

typedef struct writer {
  char *buf;
  size_t size, used;
  bool ok;
} writer;

static void put(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(writer *w, const char *fmt, ...) {
  if (!w->ok)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(w->buf + w->used, w->size - w->used, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= w->size - w->used)
    w->ok = false;
  else
    w->used += (size_t)n;
}

static bool expand(const quant_path_options *o, bool prune, bool cluster, char *buf, size_t size) {
  writer w = {buf, size, 0, true};
  if (prune)
    put(&w, "coopt-prune{sparsity=%.17g pattern=%s},", o->sparsity, o->pattern);
  if (cluster)
    put(&w, "coopt-cluster{clusters=%lld per-channel=%s preserve-sparsity=%s init=%s seed=%lld},",
        (long long)o->clusters, o->per_channel ? "true" : "false", prune ? "true" : "false",
        coopt_kmeans_init_names[o->init], (long long)o->seed);
  put(&w, "coopt-calibrate{data=%s samples=%lld method=%s percentile=%.17g},", o->data, (long long)o->samples,
      method_names[o->method], o->percentile);
  put(&w, "coopt-fake-quant{per-channel=%s preserve-sparsity=%s preserve-clusters=%s exact=%s},coopt-verify-structure",
      o->quant_per_channel ? "true" : "false", prune ? "true" : "false", cluster ? "true" : "false",
      o->exact ? "true" : "false");
  return w.ok;
}

static bool expand_qat(const void *o, char *buf, size_t size) { return expand(o, false, false, buf, size); }
static bool expand_pqat(const void *o, char *buf, size_t size) { return expand(o, true, false, buf, size); }
static bool expand_cqat(const void *o, char *buf, size_t size) { return expand(o, false, true, buf, size); }
static bool expand_pcqat(const void *o, char *buf, size_t size) { return expand(o, true, true, buf, size); }

#define PATH(sym, arg, sum, table, fn)                                                                                 \
  const coopt_pass_info sym = {                                                                                        \
      .argument = arg,                                                                                                 \
      .summary = sum,                                                                                                  \
      .description = "Post-training form of the tfmot path (no retraining); ends in coopt-verify-structure.",          \
      .anchor = "builtin.module",                                                                                      \
      .options = table,                                                                                                \
      .num_options = sizeof table / sizeof table[0],                                                                   \
      .options_size = sizeof(quant_path_options),                                                                      \
      .validate = validate_path,                                                                                       \
      .expand = fn,                                                                                                    \
  }

PATH(coopt_qat_pipeline, "coopt-qat", "Named pipeline: coopt-calibrate, coopt-fake-quant", qat_options, expand_qat);
PATH(coopt_pqat_pipeline, "coopt-pqat",
     "Named pipeline: coopt-prune, coopt-calibrate, coopt-fake-quant{preserve-sparsity=true}", pqat_options,
     expand_pqat);
PATH(coopt_cqat_pipeline, "coopt-cqat",
     "Named pipeline: coopt-cluster, coopt-calibrate, coopt-fake-quant{preserve-clusters=true}", cqat_options,
     expand_cqat);
PATH(coopt_pcqat_pipeline, "coopt-pcqat",
     "Named pipeline: coopt-prune, coopt-cluster{preserve-sparsity=true}, coopt-calibrate, "
     "coopt-fake-quant{preserve-sparsity=true preserve-clusters=true}",
     pcqat_options, expand_pcqat);
