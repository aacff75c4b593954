/*
 * coopt-verify-structure: check every coopt.structure claim against the
 * weights' actual values, and fail with a located error naming the tensor
 * and what broke.  This is how one technique silently destroying the last
 * (the failure collaborative optimization exists to avoid) is caught.
 */
#include "Analysis/Structure.h"
#include "coopt/Pass.h"

static coopt_pass_result run_verify(MlirOperation root, const void *opaque) {
  (void)opaque;
  return cooptVerifyStructureClaims(root, "", "") ? COOPT_PASS_SUCCESS : COOPT_PASS_FAILURE;
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
