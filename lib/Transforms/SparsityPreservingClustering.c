/* coopt-sparsity-preserving-clustering: prune, cluster keeping the zeros,
 * verify (tfmot's sparsity-preserving clustering as one named pipeline). */
#include "../Analysis/KMeans.h"
#include "../Analysis/Structure.h"
#include "coopt/Pass.h"

#include <stddef.h>
#include <stdio.h>

typedef struct spc_options {
  double sparsity;
  char *pattern;
  int64_t clusters;
  bool per_channel;
  int init;
  int64_t seed;
} spc_options;

static const coopt_option_info spc_option_table[] = {
    {"sparsity", COOPT_OPT_FLOAT, "coopt-prune sparsity", "0.5", {true, true, false, true, 0, 1}, NULL,
     offsetof(spc_options, sparsity)},
    {"pattern", COOPT_OPT_STRING, "coopt-prune pattern", "unstructured", {0}, NULL, offsetof(spc_options, pattern)},
    {"clusters", COOPT_OPT_INT, "coopt-cluster clusters", "16", {true, true, false, false, 2, 256}, NULL,
     offsetof(spc_options, clusters)},
    {"per-channel", COOPT_OPT_BOOL, "coopt-cluster per-channel", "false", {0}, NULL, offsetof(spc_options, per_channel)},
    {"init", COOPT_OPT_ENUM, "coopt-cluster init", "kmeans++", {0}, coopt_kmeans_init_names, offsetof(spc_options, init)},
    {"seed", COOPT_OPT_INT, "coopt-cluster seed", "0", {true, false, false, false, 0, 0}, NULL,
     offsetof(spc_options, seed)},
};

static bool validate_spc(const void *opaque, char *msg, size_t size) {
  const spc_options *o = opaque;
  coopt_pattern p;
  return cooptParsePattern(o->pattern, &p, msg, size);
}

static bool expand_spc(const void *opaque, char *buf, size_t size) {
  const spc_options *o = opaque;
  int n = snprintf(buf, size,
                   "coopt-prune{sparsity=%.17g pattern=%s},"
                   "coopt-cluster{clusters=%lld per-channel=%s preserve-sparsity=true init=%s seed=%lld},"
                   "coopt-verify-structure",
                   o->sparsity, o->pattern, (long long)o->clusters, o->per_channel ? "true" : "false",
                   coopt_kmeans_init_names[o->init], (long long)o->seed);
  return n > 0 && (size_t)n < size;
}

const coopt_pass_info coopt_spc_pipeline = {
    .argument = "coopt-sparsity-preserving-clustering",
    .summary = "Named pipeline: coopt-prune, coopt-cluster{preserve-sparsity=true}, coopt-verify-structure",
    .description = "tfmot's sparsity-preserving clustering as a compiler pipeline.",
    .anchor = "builtin.module",
    .options = spc_option_table,
    .num_options = sizeof spc_option_table / sizeof spc_option_table[0],
    .options_size = sizeof(spc_options),
    .validate = validate_spc,
    .expand = expand_spc,
};
