#include "PassTable.h"

const coopt_pass_info *const coopt_pass_table[] = {
    &coopt_stats_pass,
    &coopt_prune_pass,
    &coopt_cluster_pass,
    &coopt_verify_structure_pass,
    &coopt_spc_pipeline,
    &coopt_recover_pass,
    &coopt_calibrate_pass,
    &coopt_fake_quant_pass,
    &coopt_lower_int8_pass,
    &coopt_lower_kernels_pass,
    &coopt_qat_pipeline,
    &coopt_pqat_pipeline,
    &coopt_cqat_pipeline,
    &coopt_pcqat_pipeline,
};

const size_t coopt_num_passes = sizeof coopt_pass_table / sizeof coopt_pass_table[0];
