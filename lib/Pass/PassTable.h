/* The list of coopt passes; each pass file defines one coopt_pass_info. */
#ifndef COOPT_LIB_PASS_TABLE_H
#define COOPT_LIB_PASS_TABLE_H

#include "coopt/Pass.h"

extern const coopt_pass_info *const coopt_pass_table[];
extern const size_t coopt_num_passes;

/* One declaration per pass (defined in lib/Transforms/<Pass>.c). */
extern const coopt_pass_info coopt_stats_pass;
extern const coopt_pass_info coopt_prune_pass;
extern const coopt_pass_info coopt_cluster_pass;
extern const coopt_pass_info coopt_verify_structure_pass;
extern const coopt_pass_info coopt_spc_pipeline;
extern const coopt_pass_info coopt_recover_pass;
extern const coopt_pass_info coopt_calibrate_pass;
extern const coopt_pass_info coopt_fake_quant_pass;
extern const coopt_pass_info coopt_lower_int8_pass;
extern const coopt_pass_info coopt_lower_kernels_pass;
extern const coopt_pass_info coopt_qat_pipeline;
extern const coopt_pass_info coopt_pqat_pipeline;
extern const coopt_pass_info coopt_cqat_pipeline;
extern const coopt_pass_info coopt_pcqat_pipeline;

#endif
