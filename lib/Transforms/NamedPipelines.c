/*
 * tfmot's collaborative-optimization paths as named pipelines, in their
 * post-training form (no retraining):
 *   coopt-sparsity-preserving-clustering   prune, cluster{preserve-sparsity}
 *   coopt-qat    calibrate, fake-quant
 *   coopt-pqat   prune, calibrate, fake-quant{preserve-sparsity}
 *   coopt-cqat   cluster, calibrate, fake-quant{preserve-clusters}
 *   coopt-pcqat  prune, cluster{preserve-sparsity}, calibrate,
 *                fake-quant{preserve-sparsity preserve-clusters}
 * each ending in coopt-verify-structure.
 *
 * With data (always, for the quantizing paths) and recover=true (the
 * default) every compression step is followed by coopt-recover, and pruning
 * chooses its mask by OBS (prune-method=auto): what retraining buys tfmot,
 * layer-wise reconstruction buys here.  PCQAT recovers twice, as the order
 * matters: prune, recover the kept weights, cluster those (sparsity kept),
 * then refit the codebooks with the assignment fixed.  For an N:M or RxC
 * pattern, coopt-permute-channels first reorders the channels between
 * layers so that the pattern's groups keep more (permute=false: not).
 * recover=false gives the plain form (magnitude pruning, nothing refit).
 * distill=true adds coopt-distill after the last recovery: the whole
 * model's output fit to the float model's, where layer-wise recovery has
 * nothing left to give (slower: minutes, not seconds); the recoveries then
 * keep the references it reads as the float model, and it drops them.
 * Calibration runs after compression, so the ranges are those of the
 * compressed model.
 */
#include "Analysis/KMeans.h"
#include "Analysis/Structure.h"
#include "Analysis/Weights.h"
#include "Data/Samples.h"
#include "coopt/Pass.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct path_options {
  /* data (calibration and recovery) */
  char *data;
  int64_t samples;
  coopt_list normalize;
  char *entry;
  /* recovery */
  bool recover;
  double damp;
  bool recover_dense;
  bool activation_aware;
  bool distill;
  int64_t distill_samples, distill_epochs;
  double distill_lr;
  /* prune */
  double sparsity;
  char *pattern;
  int scope;
  int prune_method;
  bool permute;
  /* cluster */
  int64_t clusters;
  bool per_channel;
  int init;
  int64_t seed;
  int cluster_method;
  /* prune and cluster */
  coopt_list ops;
  int64_t min_elements;
  /* calibrate, fake-quant */
  int method;
  double percentile;
  bool quant_per_channel;
  bool exact;
} path_options;

static const char *const scope_names[] = {"layer", "global", NULL};
enum { PRUNE_AUTO, PRUNE_MAGNITUDE, PRUNE_OBS };
static const char *const prune_method_names[] = {"auto", "magnitude", "obs", NULL};
static const char *const cluster_method_names[] = {"kmeans", "hessian", NULL};
static const char *const calib_method_names[] = {"minmax", "percentile", "mse", NULL};

#define T path_options
#define OPT_DATA(what)                                                                                                 \
  {"data", COOPT_OPT_STRING, what, "", {0}, NULL, offsetof(T, data)}, {"samples",                                      \
                                                                       COOPT_OPT_INT,                                  \
                                                                       "coopt-calibrate / coopt-recover samples",      \
                                                                       "512",                                          \
                                                                       {true, false, false, false, 1, 0},              \
                                                                       NULL,                                           \
                                                                       offsetof(T, samples)},                          \
      {"normalize",                                                                                                    \
       COOPT_OPT_FLOAT_LIST,                                                                                           \
       "coopt-calibrate / coopt-recover normalize (mean,std for IDX images)",                                          \
       "",                                                                                                             \
       {0},                                                                                                            \
       NULL,                                                                                                           \
       offsetof(T, normalize)},                                                                                        \
  {                                                                                                                    \
    "entry", COOPT_OPT_STRING, "the function the data runs", "main", {0}, NULL, offsetof(T, entry)                     \
  }
#define OPT_RECOVER                                                                                                    \
  {"recover", COOPT_OPT_BOOL,      "run coopt-recover after each compression step (needs data)", "true", {0},          \
   NULL,      offsetof(T, recover)},                                                                                   \
      {"damp", COOPT_OPT_FLOAT,  "coopt-recover damp", "0.01", {true, true, false, false, 0, 1},                       \
       NULL,   offsetof(T, damp)},                                                                                     \
      {"recover-dense",                                                                                                \
       COOPT_OPT_BOOL,                                                                                                 \
       "coopt-recover dense: also refit the layers compression left dense",                                            \
       "true",                                                                                                         \
       {0},                                                                                                            \
       NULL,                                                                                                           \
       offsetof(T, recover_dense)},                                                                                    \
      {"activation-aware",           COOPT_OPT_BOOL, "coopt-recover activation-aware", "false", {0}, NULL,             \
       offsetof(T, activation_aware)},                                                                                 \
      {"distill",                                                                                                      \
       COOPT_OPT_BOOL,                                                                                                 \
       "after recovery, coopt-distill: fit the whole model's output to the float model's (slower; needs data)",        \
       "false",                                                                                                        \
       {0},                                                                                                            \
       NULL,                                                                                                           \
       offsetof(T, distill)},                                                                                          \
      {"distill-samples",                                                                                              \
       COOPT_OPT_INT,                                                                                                  \
       "coopt-distill samples",                                                                                        \
       "16384",                                                                                                        \
       {true, false, false, false, 16, 0},                                                                             \
       NULL,                                                                                                           \
       offsetof(T, distill_samples)},                                                                                  \
      {"distill-epochs",                                                                                               \
       COOPT_OPT_INT,                                                                                                  \
       "coopt-distill epochs",                                                                                         \
       "8",                                                                                                            \
       {true, true, false, false, 1, 1000},                                                                            \
       NULL,                                                                                                           \
       offsetof(T, distill_epochs)},                                                                                   \
  {                                                                                                                    \
    "distill-lr", COOPT_OPT_FLOAT, "coopt-distill lr", "0.001", {true, true, true, false, 0, 1}, NULL,                 \
        offsetof(T, distill_lr)                                                                                        \
  }
#define OPT_SELECT                                                                                                     \
  {"ops",                                                                                                              \
   COOPT_OPT_ENUM_LIST,                                                                                                \
   "coopt-prune / coopt-cluster ops",                                                                                  \
   "conv2d,transpose_conv2d,matmul",                                                                                   \
   {0},                                                                                                                \
   coopt_weight_op_names,                                                                                              \
   offsetof(T, ops)},                                                                                                  \
  {                                                                                                                    \
    "min-elements", COOPT_OPT_INT, "coopt-prune / coopt-cluster min-elements", "0", {true, false, false, false, 0, 0}, \
        NULL, offsetof(T, min_elements)                                                                                \
  }
#define OPT_PRUNE                                                                                                      \
  {"sparsity", COOPT_OPT_FLOAT,      "coopt-prune sparsity", "0.5", {true, true, false, true, 0, 1},                   \
   NULL,       offsetof(T, sparsity)},                                                                                 \
      {"pattern", COOPT_OPT_STRING, "coopt-prune pattern", "unstructured", {0}, NULL, offsetof(T, pattern)},           \
      {"scope", COOPT_OPT_ENUM, "coopt-prune scope", "layer", {0}, scope_names, offsetof(T, scope)},                   \
      {"prune-method",                                                                                                 \
       COOPT_OPT_ENUM,                                                                                                 \
       "coopt-prune method; auto = obs when recovering, magnitude otherwise",                                          \
       "auto",                                                                                                         \
       {0},                                                                                                            \
       prune_method_names,                                                                                             \
       offsetof(T, prune_method)},                                                                                     \
  {                                                                                                                    \
    "permute", COOPT_OPT_BOOL, "when recovering an N:M or RxC pattern: coopt-permute-channels before coopt-prune",     \
        "true", {0}, NULL, offsetof(T, permute)                                                                        \
  }
#define OPT_CLUSTER                                                                                                    \
  {"clusters", COOPT_OPT_INT,        "coopt-cluster clusters", "16", {true, true, false, false, 2, 256},               \
   NULL,       offsetof(T, clusters)},                                                                                 \
      {"per-channel", COOPT_OPT_BOOL, "coopt-cluster per-channel", "false", {0}, NULL, offsetof(T, per_channel)},      \
      {"init", COOPT_OPT_ENUM, "coopt-cluster init", "kmeans++", {0}, coopt_kmeans_init_names, offsetof(T, init)},     \
      {"seed", COOPT_OPT_INT, "coopt-cluster seed", "0", {true, false, false, false, 0, 0}, NULL, offsetof(T, seed)},  \
  {                                                                                                                    \
    "cluster-method", COOPT_OPT_ENUM, "coopt-cluster method (hessian needs data)", "kmeans", {0},                      \
        cluster_method_names, offsetof(T, cluster_method)                                                              \
  }
#define OPT_QUANT                                                                                                       \
  {"method", COOPT_OPT_ENUM, "coopt-calibrate method", "minmax", {0}, calib_method_names, offsetof(T, method)},         \
      {"percentile", COOPT_OPT_FLOAT,        "coopt-calibrate percentile", "99.99", {true, true, true, false, 50, 100}, \
       NULL,         offsetof(T, percentile)},                                                                          \
      {"quant-per-channel",           COOPT_OPT_BOOL, "coopt-fake-quant per-channel", "true", {0}, NULL,                \
       offsetof(T, quant_per_channel)},                                                                                 \
  {                                                                                                                     \
    "exact", COOPT_OPT_BOOL, "coopt-fake-quant exact", "true", {0}, NULL, offsetof(T, exact)                            \
  }

#define DATA_Q "coopt-calibrate / coopt-recover data"
#define DATA_R "coopt-recover data (without it: no recovery)"
static const coopt_option_info spc_options[] = {OPT_PRUNE, OPT_CLUSTER, OPT_SELECT, OPT_DATA(DATA_R), OPT_RECOVER};
static const coopt_option_info qat_options[] = {OPT_DATA("coopt-calibrate data"), OPT_QUANT};
static const coopt_option_info pqat_options[] = {OPT_PRUNE, OPT_SELECT, OPT_DATA(DATA_Q), OPT_RECOVER, OPT_QUANT};
static const coopt_option_info cqat_options[] = {OPT_CLUSTER, OPT_SELECT, OPT_DATA(DATA_Q), OPT_RECOVER, OPT_QUANT};
static const coopt_option_info pcqat_options[] = {OPT_PRUNE,        OPT_CLUSTER, OPT_SELECT,
                                                  OPT_DATA(DATA_Q), OPT_RECOVER, OPT_QUANT};
#undef T

/* Which parts a path has. */
enum { PART_PRUNE = 1, PART_CLUSTER = 2, PART_QUANT = 4 };

static bool validate(const path_options *o, unsigned parts, char *msg, size_t size) {
  coopt_pattern p;
  if ((parts & PART_QUANT) && !o->data[0]) {
    snprintf(msg, size, "needs data=<IDX directory or .npy file> for coopt-calibrate");
    return false;
  }
  if (!(parts & PART_QUANT) && !o->data[0] &&
      ((o->prune_method == PRUNE_OBS && (parts & PART_PRUNE)) || ((parts & PART_CLUSTER) && o->cluster_method))) {
    snprintf(msg, size, "prune-method=obs and cluster-method=hessian need data=<IDX directory or .npy file>");
    return false;
  }
  if (o->data[0] && !cooptValidateSampleOptions(o->data, &o->normalize, msg, size))
    return false;
  return !(parts & PART_PRUNE) || cooptParsePattern(o->pattern, &p, msg, size);
}

static bool validate_spc(const void *o, char *m, size_t n) { return validate(o, PART_PRUNE | PART_CLUSTER, m, n); }
static bool validate_qat(const void *o, char *m, size_t n) { return validate(o, PART_QUANT, m, n); }
static bool validate_pqat(const void *o, char *m, size_t n) { return validate(o, PART_PRUNE | PART_QUANT, m, n); }
static bool validate_cqat(const void *o, char *m, size_t n) { return validate(o, PART_CLUSTER | PART_QUANT, m, n); }
static bool validate_pcqat(const void *o, char *m, size_t n) {
  return validate(o, PART_PRUNE | PART_CLUSTER | PART_QUANT, m, n);
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

static void put_list(writer *w, const char *key, const coopt_list *l, const char *const *names) {
  put(w, " %s=", key);
  for (size_t i = 0; i < l->size; ++i)
    put(w, "%s%s", i ? "," : "", names[((const int *)l->items)[i]]);
}

/* data=... samples=... normalize=... entry=... (the options the passes
 * that run the model share). */
static void put_data_n(writer *w, const path_options *o, int64_t samples) {
  put(w, "data=%s samples=%lld", o->data, (long long)samples);
  if (o->normalize.size == 2)
    put(w, " normalize=%.17g,%.17g", ((double *)o->normalize.items)[0], ((double *)o->normalize.items)[1]);
  put(w, " entry=%s", o->entry);
}

static void put_data(writer *w, const path_options *o) { put_data_n(w, o, o->samples); }

static void put_recover(writer *w, const path_options *o, bool dense, bool keep_reference) {
  put(w, "coopt-recover{");
  put_data(w, o);
  put(w, " damp=%.17g dense=%s keep-reference=%s activation-aware=%s},", o->damp, dense ? "true" : "false",
      keep_reference ? "true" : "false", o->activation_aware ? "true" : "false");
}

/* The references stay until coopt-distill, which reads them as the float
 * model and drops them. */
static void put_distill(writer *w, const path_options *o) {
  put(w, "coopt-distill{");
  put_data_n(w, o, o->distill_samples);
  put(w, " epochs=%lld lr=%.17g keep-reference=false},", (long long)o->distill_epochs, o->distill_lr);
}

static bool expand(const path_options *o, unsigned parts, char *buf, size_t size) {
  writer w = {buf, size, 0, true};
  bool prune = parts & PART_PRUNE, cluster = parts & PART_CLUSTER, quant = parts & PART_QUANT;
  bool recover = o->recover && o->data[0], distill = recover && o->distill;
  /* References only matter to a later coopt-recover; the plain form keeps
   * none, so its output is what it always was. */
  const char *keep = recover ? "true" : "false";
  coopt_pattern pat = {0};
  char msg[128];
  bool grouped = prune && cooptParsePattern(o->pattern, &pat, msg, sizeof msg) &&
                 (pat.kind == COOPT_PAT_NM || pat.kind == COOPT_PAT_BLOCK);
  if (grouped && recover && o->permute) {
    put(&w, "coopt-permute-channels{pattern=%s sparsity=%.17g", o->pattern, o->sparsity);
    put_list(&w, "ops", &o->ops, coopt_weight_op_names);
    put(&w, " min-elements=%lld ", (long long)o->min_elements);
    put_data(&w, o);
    put(&w, "},");
  }
  if (prune) {
    bool obs = o->prune_method == PRUNE_OBS || (o->prune_method == PRUNE_AUTO && recover);
    put(&w, "coopt-prune{sparsity=%.17g pattern=%s scope=%s", o->sparsity, o->pattern, scope_names[o->scope]);
    put_list(&w, "ops", &o->ops, coopt_weight_op_names);
    put(&w, " min-elements=%lld keep-reference=%s method=%s", (long long)o->min_elements, keep,
        obs ? "obs" : "magnitude");
    if (obs) {
      put(&w, " damp=%.17g ", o->damp);
      put_data(&w, o);
    }
    put(&w, "},");
    if (recover)
      put_recover(&w, o, o->recover_dense, cluster || distill);
  }
  if (cluster) {
    put(&w, "coopt-cluster{clusters=%lld per-channel=%s preserve-sparsity=%s init=%s seed=%lld", (long long)o->clusters,
        o->per_channel ? "true" : "false", prune ? "true" : "false", coopt_kmeans_init_names[o->init],
        (long long)o->seed);
    put_list(&w, "ops", &o->ops, coopt_weight_op_names);
    put(&w, " min-elements=%lld keep-reference=%s method=%s", (long long)o->min_elements, keep,
        cluster_method_names[o->cluster_method]);
    if (o->cluster_method) {
      put(&w, " ");
      put_data(&w, o);
    }
    put(&w, "},");
    /* After pruning, the dense layers were refit already. */
    if (recover)
      put_recover(&w, o, o->recover_dense && !prune, distill);
  }
  if (distill && (prune || cluster))
    put_distill(&w, o);
  if (quant) {
    put(&w, "coopt-calibrate{");
    put_data(&w, o);
    put(&w, " method=%s percentile=%.17g},", calib_method_names[o->method], o->percentile);
    put(&w, "coopt-fake-quant{per-channel=%s preserve-sparsity=%s preserve-clusters=%s exact=%s},",
        o->quant_per_channel ? "true" : "false", prune ? "true" : "false", cluster ? "true" : "false",
        o->exact ? "true" : "false");
  }
  put(&w, "coopt-verify-structure");
  return w.ok;
}

static bool expand_spc(const void *o, char *b, size_t n) { return expand(o, PART_PRUNE | PART_CLUSTER, b, n); }
static bool expand_qat(const void *o, char *b, size_t n) { return expand(o, PART_QUANT, b, n); }
static bool expand_pqat(const void *o, char *b, size_t n) { return expand(o, PART_PRUNE | PART_QUANT, b, n); }
static bool expand_cqat(const void *o, char *b, size_t n) { return expand(o, PART_CLUSTER | PART_QUANT, b, n); }
static bool expand_pcqat(const void *o, char *b, size_t n) {
  return expand(o, PART_PRUNE | PART_CLUSTER | PART_QUANT, b, n);
}

#define PATH(sym, arg, sum, desc, table, val, fn)                                                                      \
  const coopt_pass_info sym = {                                                                                        \
      .argument = arg,                                                                                                 \
      .summary = sum,                                                                                                  \
      .description = desc,                                                                                             \
      .anchor = "builtin.module",                                                                                      \
      .options = table,                                                                                                \
      .num_options = sizeof table / sizeof table[0],                                                                   \
      .options_size = sizeof(path_options),                                                                            \
      .validate = val,                                                                                                 \
      .expand = fn,                                                                                                    \
  }

#define DESC_Q                                                                                                         \
  "Post-training form of the tfmot path (no retraining): each compression step is followed by coopt-recover "          \
  "(recover=false: the plain form); ends in coopt-verify-structure."

PATH(coopt_spc_pipeline, "coopt-sparsity-preserving-clustering",
     "Named pipeline: coopt-prune, coopt-cluster{preserve-sparsity=true}, coopt-verify-structure",
     "tfmot's sparsity-preserving clustering as a compiler pipeline; with data=, each step is followed by "
     "coopt-recover.",
     spc_options, validate_spc, expand_spc);
PATH(coopt_qat_pipeline, "coopt-qat", "Named pipeline: coopt-calibrate, coopt-fake-quant", DESC_Q, qat_options,
     validate_qat, expand_qat);
PATH(coopt_pqat_pipeline, "coopt-pqat",
     "Named pipeline: coopt-prune, coopt-recover, coopt-calibrate, coopt-fake-quant{preserve-sparsity=true}", DESC_Q,
     pqat_options, validate_pqat, expand_pqat);
PATH(coopt_cqat_pipeline, "coopt-cqat",
     "Named pipeline: coopt-cluster, coopt-recover, coopt-calibrate, coopt-fake-quant{preserve-clusters=true}", DESC_Q,
     cqat_options, validate_cqat, expand_cqat);
PATH(coopt_pcqat_pipeline, "coopt-pcqat",
     "Named pipeline: coopt-prune, coopt-recover, coopt-cluster{preserve-sparsity=true}, coopt-recover, "
     "coopt-calibrate, coopt-fake-quant{preserve-sparsity=true preserve-clusters=true}",
     DESC_Q, pcqat_options, validate_pcqat, expand_pcqat);
