/*
 * Calibration samples: the model inputs that coopt-calibrate, coopt-recover
 * and the data-driven modes of coopt-prune and coopt-cluster run the model
 * on.
 *
 * One loader, so that every pass that "looks at data" sees the same inputs
 * for the same options: `count` items spread evenly over the data set (item
 * floor(i * n / count)), from the training split of an IDX directory (the
 * test split stays unseen) or from a .npy / ONNX .pb tensor [N, ...].  IDX
 * pixels are scaled to [0, 1] and normalised with mean, std from the option
 * or from the model's coopt.metadata.
 */
#ifndef COOPT_LIB_DATA_SAMPLES_H
#define COOPT_LIB_DATA_SAMPLES_H

#include "coopt/Pass.h"

#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct coopt_samples {
  int64_t count, per_sample;
  float *values; /* count x per_sample, the model's f32 input of each sample */
} coopt_samples;

/* Load up to `limit` samples of `per_sample` values each.  `normalize` is an
 * empty list or {mean, std}; `module` supplies coopt.metadata normalisation
 * for IDX images.  Rejects empty data, a per-sample size that does not match
 * the model, the wrong element type and non-finite values; the message names
 * the data (err). */
bool cooptLoadSamples(const char *data, int64_t limit, const coopt_list *normalize, MlirOperation module,
                      int64_t per_sample, coopt_samples *out, char *err, size_t err_size);
void cooptSamplesFree(coopt_samples *s);

/* The option check the data-driven passes share: data given, normalize empty
 * or mean,std with std > 0.  `pass_needs` completes "needs data=..." . */
bool cooptValidateSampleOptions(const char *data, const coopt_list *normalize, char *msg, size_t size);

#endif
