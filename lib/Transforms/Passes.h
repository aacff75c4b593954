/* The coopt passes and pipelines of lib/Transforms: one coopt_pass_info
 * each, defined in the pass's file, listed in --help order by
 * cooptRegisterTransformsPasses. */
#ifndef COOPT_LIB_TRANSFORMS_PASSES_H
#define COOPT_LIB_TRANSFORMS_PASSES_H

#include "coopt/Pass.h"

extern const coopt_pass_info coopt_stats_pass;
extern const coopt_pass_info coopt_permute_channels_pass;
extern const coopt_pass_info coopt_prune_pass;
extern const coopt_pass_info coopt_cluster_pass;
extern const coopt_pass_info coopt_verify_structure_pass;
extern const coopt_pass_info coopt_spc_pipeline;
extern const coopt_pass_info coopt_recover_pass;
extern const coopt_pass_info coopt_distill_pass;
extern const coopt_pass_info coopt_calibrate_pass;
extern const coopt_pass_info coopt_fake_quant_pass;
extern const coopt_pass_info coopt_lower_int8_pass;
extern const coopt_pass_info coopt_lower_kernels_pass;
extern const coopt_pass_info coopt_plan_buffers_pass;
extern const coopt_pass_info coopt_qat_pipeline;
extern const coopt_pass_info coopt_pqat_pipeline;
extern const coopt_pass_info coopt_cqat_pipeline;
extern const coopt_pass_info coopt_pcqat_pipeline;

/* Register all of the above (idempotent, thread-safe). */
void cooptRegisterTransformsPasses(void);

#endif
