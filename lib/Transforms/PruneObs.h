/* coopt-prune{method=obs}: masks from OBS saliency on calibration data. */
#ifndef COOPT_LIB_TRANSFORMS_PRUNE_OBS_H
#define COOPT_LIB_TRANSFORMS_PRUNE_OBS_H

#include "Analysis/Structure.h"
#include "Analysis/Weights.h"
#include "Transforms/LayerData.h"

/* Zero in vals[t] (canonical values of sel[t]) the units OBS removes to
 * reach `sparsity` (unstructured, RxC) or the N:M pattern, per layer or with
 * one threshold over all (global).  Weights the data cannot reach (other
 * functions, shared or unmodelled layers) are left to the caller: their
 * entry in handled[] stays false.  Errors are emitted; returns false. */
bool cooptPruneObs(MlirOperation module, const coopt_data_options *d, double damp, const coopt_pattern *pat,
                   double sparsity, bool global, coopt_weight **sel, float **vals, size_t nsel, bool *handled);

#endif
