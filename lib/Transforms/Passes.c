#include "Transforms/Passes.h"

#include <pthread.h>
#include <stdlib.h>

/* In the order coopt-opt --help and docs/Passes.md list them. */
static const coopt_pass_info *const transforms_passes[] = {
    &coopt_stats_pass,      &coopt_permute_channels_pass, &coopt_prune_pass,
    &coopt_cluster_pass,    &coopt_verify_structure_pass, &coopt_spc_pipeline,
    &coopt_recover_pass,    &coopt_distill_pass,          &coopt_calibrate_pass,
    &coopt_fake_quant_pass, &coopt_lower_int8_pass,       &coopt_lower_kernels_pass,
    &coopt_qat_pipeline,    &coopt_pqat_pipeline,         &coopt_cqat_pipeline,
    &coopt_pcqat_pipeline,  &coopt_plan_buffers_pass,
};

static pthread_once_t registered_once = PTHREAD_ONCE_INIT;

static void register_all(void) {
  for (size_t i = 0; i < sizeof transforms_passes / sizeof transforms_passes[0]; ++i)
    if (!cooptRegisterPass(transforms_passes[i]))
      abort(); /* two coopt passes under one name: a programming error */
}

void cooptRegisterTransformsPasses(void) { pthread_once(&registered_once, register_all); }
