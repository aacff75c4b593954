/*
 * What the data-driven passes share (coopt-recover, coopt-prune{method=obs},
 * coopt-cluster{method=hessian}): their data options, and running the model
 * on those samples to collect the grams of weight layers' inputs.
 */
#ifndef COOPT_LIB_TRANSFORMS_LAYER_DATA_H
#define COOPT_LIB_TRANSFORMS_LAYER_DATA_H

#include "Analysis/Gram.h"
#include "Analysis/Weights.h"
#include "Data/Samples.h"
#include "Exec/Probe.h"
#include "coopt/Pass.h"

#include <stddef.h>

/* The options each such pass embeds as a member `d`. */
typedef struct coopt_data_options {
  char *data;
  int64_t samples;
  coopt_list normalize;
  int64_t batch;
  char *entry;
} coopt_data_options;

/* Their option-table entries, for a pass options struct T with member d;
 * `what` says what the samples are for, `default_count` the default count
 * (text). */
#define COOPT_DATA_OPTION_TABLE_N(T, what, default_count)                                                              \
  {"data",                                                                                                             \
   COOPT_OPT_STRING,                                                                                                   \
   "inputs " what ": an IDX data set directory (its train-images file) or a .npy/.pb tensor [N, ...]",                 \
   "",                                                                                                                 \
   {0},                                                                                                                \
   NULL,                                                                                                               \
   offsetof(T, d.data)},                                                                                               \
      {"samples",                                                                                                      \
       COOPT_OPT_INT,                                                                                                  \
       "number of inputs, spread evenly over the data set",                                                            \
       default_count,                                                                                                  \
       {true, false, false, false, 1, 0},                                                                              \
       NULL,                                                                                                           \
       offsetof(T, d.samples)},                                                                                        \
      {"normalize",                                                                                                    \
       COOPT_OPT_FLOAT_LIST,                                                                                           \
       "mean,std applied to IDX pixels scaled to [0,1] (empty: the model's coopt.metadata "                            \
       "normalize_mean/normalize_std)",                                                                                \
       "",                                                                                                             \
       {0},                                                                                                            \
       NULL,                                                                                                           \
       offsetof(T, d.normalize)},                                                                                      \
      {"batch",                                                                                                        \
       COOPT_OPT_INT,                                                                                                  \
       "inputs per run; 0 = the model's batch dimension (the only value a static model accepts)",                      \
       "0",                                                                                                            \
       {true, false, false, false, 0, 0},                                                                              \
       NULL,                                                                                                           \
       offsetof(T, d.batch)},                                                                                          \
  {                                                                                                                    \
    "entry", COOPT_OPT_STRING, "the function to run", "main", {0}, NULL, offsetof(T, d.entry)                          \
  }

#define COOPT_DATA_OPTION_TABLE(T, what) COOPT_DATA_OPTION_TABLE_N(T, what, "512")

/* A coopt_probe_prepare that routes the clone's convolutions to coopt's
 * kernels (coopt-lower-kernels, remarks silenced): probes run several
 * times faster than through the upstream loops. */
bool cooptPrepareProbeKernels(MlirModule clone, void *user_data, char *err, size_t err_size);

/* A weight layer the data-driven passes work on. */
typedef struct coopt_layer {
  coopt_weight *weight;
  coopt_layer_geom geom;
  MlirOperation bias; /* its bias constant, or null */
  bool bias_free;     /* the bias may be refit (an f32 [rows] constant used by this layer only) */
} coopt_layer;

/* Is w a layer these passes can model?  False with a reason. */
bool cooptLayerOf(coopt_weight *w, int64_t batch, coopt_layer *out, char *why, size_t why_size);

/* Load the samples for func @entry (error emitted at loc on failure). */
bool cooptLoadPassSamples(MlirOperation module, MlirOperation fn, const coopt_data_options *o, const char *pass,
                          int64_t *batch, coopt_samples *out);

/* One gram per layer of the float inputs (non-cross), from the model as it
 * is (reference = false) or as compression found it (true).  Errors are
 * emitted at the function's location. */
bool cooptCollectGrams(MlirOperation module, MlirOperation fn, const char *entry, const coopt_samples *s,
                       coopt_layer *layers, size_t n, bool reference, const char *pass, coopt_gram *grams);

/* The diagonal of each layer's input gram, per weight: out[l][r * patch + i]
 * is the mean energy of the input that weight i of row r multiplies (rows
 * of a depthwise layer read different inputs).  Each out[l] is the
 * caller's to free; errors as cooptCollectGrams (nothing allocated). */
bool cooptCollectInputEnergies(MlirOperation module, MlirOperation fn, const char *entry, const coopt_samples *s,
                               coopt_layer *layers, size_t n, bool reference, const char *pass, double **out);

#endif
