/*
 * Which int8 GEMM kernel a weight matrix gets, decided from the weights
 * alone: the structure they have (all-zero 1x4 blocks, distinct values per
 * output channel), the packed size of every form the runtime offers for
 * them, their predicted cost on the target CPU at the call's M rows
 * (Analysis/KernelCost.h), and a policy (objective, CPU, sparse
 * threshold, lookup tables on or off, a forced kind).
 *
 * Deciding is kept apart from rewriting (coopt-lower-kernels) so that
 * every place that reports a choice (coopt-lower-kernels' remarks, its
 * tests, coopt-stats) gets it from this one function.
 */
#ifndef COOPT_LIB_ANALYSIS_KERNEL_CHOICE_H
#define COOPT_LIB_ANALYSIS_KERNEL_CHOICE_H

#include "Analysis/KernelCost.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum coopt_kernel_objective {
  COOPT_KERNEL_BALANCED, /* the smallest forms whose predicted time is within COOPT_KERNEL_BALANCED_SLACK of the
                            fastest (over the layers decided together) */
  COOPT_KERNEL_SIZE,     /* the smallest form */
  COOPT_KERNEL_LATENCY   /* the form predicted fastest */
} coopt_kernel_objective;

/* objective=balanced gives up at most this fraction of the predicted
 * fastest time (of the layers decided together) for bytes. */
#define COOPT_KERNEL_BALANCED_SLACK 0.10
/* ... and spends none of it on a move that saves less than this fraction
 * of the layer's bytes: a masked blob of weights without zeros is a few
 * bytes smaller than the dense one (byte shifts, a byte of block mask per
 * K group), which is no reason to decode it on every call. */
#define COOPT_KERNEL_BALANCED_MIN_SAVING 0.05

typedef struct coopt_kernel_policy {
  coopt_kernel_objective objective;
  double sparse_threshold; /* balanced/latency: the 1x4 sparse form from this fraction of all-zero blocks,
                              whatever the cost model predicts (1: the cost model alone) */
  bool lut;                /* lookup-table forms allowed (balanced, latency) */
  bool forced;             /* use `force` where the weights admit it, else dense */
  coopt_kernel_kind force;
  coopt_cost_cpu cpu; /* whose costs */
} coopt_kernel_policy;

/* objective=latency/balanced consider the 8x4 block-sparse form only from
 * this fraction of zero 8x4 blocks.  Its break-even against the dense tile
 * is measured at about 25% at K = 64 (1.12x dense with none zero, 0.88x
 * with half, bench-kernels.c) and lower at larger K, while the fitted model
 * puts it near 5% at K = 64: it cannot see the per-output costs that grow
 * as K shrinks.  Pruned 8x4 layers are far above this; incidental zero
 * blocks of other patterns are below it. */
#define COOPT_KERNEL_BLOCK_MIN_ZERO 0.25

/* coopt-lower-kernels' defaults (its option table uses the same text). */
#define COOPT_KERNEL_SPARSE_THRESHOLD      1
#define COOPT_KERNEL_STRINGIFY_(x)         #x
#define COOPT_KERNEL_STRINGIFY(x)          COOPT_KERNEL_STRINGIFY_(x)
#define COOPT_KERNEL_SPARSE_THRESHOLD_TEXT COOPT_KERNEL_STRINGIFY(COOPT_KERNEL_SPARSE_THRESHOLD)
/* balanced, COOPT_KERNEL_SPARSE_THRESHOLD, lookup tables allowed, nothing
 * forced, AVX-512 costs. */
coopt_kernel_policy cooptDefaultKernelPolicy(void);

/* What the weights [n][k] admit: their structure, the codebook view
 * (idx [n][k], book [n][16]) when every channel has at most 16 values,
 * and each form's packed size (admitted[kind] false when the form cannot
 * hold them). */
typedef struct coopt_int8_weights {
  size_t n, k;
  double zero_block_fraction;  /* all-zero 1x4 blocks (one channel, 4 K) */
  double zero_block8_fraction; /* all-zero 8x4 blocks (a panel of 8 channels from channel 0, 4 K) */
  size_t max_distinct;         /* most distinct values in one output channel */
  uint8_t *idx;
  int8_t *book;
  size_t sizes[COOPT_KERNEL_KINDS];
  bool admitted[COOPT_KERNEL_KINDS];
} coopt_int8_weights;

void cooptAnalyzeInt8Weights(const int8_t *w, size_t n, size_t k, coopt_int8_weights *out);
void cooptInt8WeightsFree(coopt_int8_weights *v);

/* The kernels of n layers that run together (one function), the weights
 * v[i] called on m[i] rows: each layer's choice under the policy, and
 * objective=balanced over all of them (the smallest bytes whose predicted
 * time stays within COOPT_KERNEL_BALANCED_SLACK of the fastest total).
 * costs (when not NULL): each choice's predicted cost (KernelCost.h's
 * unit). */
void cooptChooseKernels(const coopt_kernel_policy *policy, size_t n, const coopt_int8_weights *const *v,
                        const size_t *m, coopt_kernel_kind *kinds, double *costs);
/* One layer on its own: cooptChooseKernels with n = 1. */
coopt_kernel_kind cooptChooseKernel(const coopt_kernel_policy *policy, const coopt_int8_weights *v, size_t m,
                                    double *cost);
/* The predicted cost of one call of m rows of `kind` on these weights. */
double cooptPredictKernel(coopt_cost_cpu cpu, const coopt_int8_weights *v, coopt_kernel_kind kind, size_t m);

/* The fraction of the MACs `kind` does on these weights (the sparse forms
 * skip their all-zero blocks). */
double cooptKernelKept(const coopt_int8_weights *v, coopt_kernel_kind kind);

/* "sparse int8 1x4", ... (for remarks and reports). */
const char *cooptKernelKindName(coopt_kernel_kind kind);

#endif
