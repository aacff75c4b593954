/*
 * coopt-verify-structure: check every coopt.structure claim against the
 * weights' actual values, and fail with a located error naming the tensor
 * and what broke.  This is how one technique silently destroying the last
 * (the failure collaborative optimization exists to avoid) is caught.
 */
#include "../Analysis/Structure.h"
#include "../Analysis/Weights.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"

#include <stdlib.h>

static coopt_pass_result run_verify(MlirOperation root, const void *opaque) {
  (void)opaque;
  coopt_weight_set set;
  cooptCollectWeights(root, COOPT_WOP_ALL, false, &set);
  coopt_pass_result result = COOPT_PASS_SUCCESS;
  for (size_t t = 0; t < set.count; ++t) {
    const coopt_weight *w = &set.items[t];
    coopt_structure s = cooptGetStructure(w);
    if (!s.has_sparsity && !s.has_clusters && s.pattern.kind == COOPT_PAT_NONE)
      continue;
    float *v = cooptWeightLoad(w);
    char msg[512];
    if (!cooptCheckStructure(w, v, &s, msg, sizeof msg)) {
      char what[512];
      cooptWeightDescribe(w, what, sizeof what);
      cooptEmitError(mlirOperationGetLocation(w->user), "coopt.structure violated for %s: %s", what, msg);
      result = COOPT_PASS_FAILURE;
    }
    free(v);
  }
  cooptWeightSetFree(&set);
  return result;
}

const coopt_pass_info coopt_verify_structure_pass = {
    .argument = "coopt-verify-structure",
    .summary = "Check every recorded coopt.structure guarantee against the weights",
    .description = "Fails with a located diagnostic per violated claim (sparsity, N:M, blocks, clusters).",
    .anchor = "builtin.module",
    .options = NULL,
    .num_options = 0,
    .options_size = 0,
    .run = run_verify,
};
