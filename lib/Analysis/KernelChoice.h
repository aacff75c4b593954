/*
 * Which int8 GEMM kernel a weight matrix gets, decided from the weights
 * alone: the structure they have (all-zero 1x4 blocks, distinct values per
 * output channel), the packed size of every form the runtime offers for
 * them, and a policy (objective, sparse threshold, lookup tables on or
 * off, a forced kind).
 *
 * Deciding is kept apart from rewriting (coopt-lower-kernels) so that
 * every place that reports a choice (coopt-lower-kernels' remarks, its
 * tests, coopt-stats) gets it from this one function.
 */
#ifndef COOPT_LIB_ANALYSIS_KERNEL_CHOICE_H
#define COOPT_LIB_ANALYSIS_KERNEL_CHOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The int8 pointwise (GEMM) kernel forms, in the runtime's terms. */
typedef enum coopt_kernel_kind {
  COOPT_KERNEL_DENSE,
  COOPT_KERNEL_SPARSE,     /* 1x4 blocks, all-zero blocks skipped */
  COOPT_KERNEL_LUT,        /* 4-bit indices into 16 values per channel */
  COOPT_KERNEL_SPARSE_LUT, /* both */
  COOPT_KERNEL_MASKED,     /* a bitmask of non-zeros and the non-zero bytes */
  COOPT_KERNEL_MASKED_LUT, /* a bitmask and 4-bit indices */
  COOPT_KERNEL_KINDS
} coopt_kernel_kind;

typedef enum coopt_kernel_objective {
  COOPT_KERNEL_BALANCED, /* the sparse kernel where latency takes it, else the smallest vectorised form */
  COOPT_KERNEL_SIZE,     /* the smallest form */
  COOPT_KERNEL_LATENCY   /* dense unless the sparse kernel skips enough blocks */
} coopt_kernel_objective;

typedef struct coopt_kernel_policy {
  coopt_kernel_objective objective;
  double sparse_threshold; /* fraction of all-zero 1x4 blocks from which sparse is faster */
  bool lut;                /* lookup-table forms allowed (balanced) */
  bool forced;             /* use `force` where the weights admit it, else dense */
  coopt_kernel_kind force;
} coopt_kernel_policy;

/* coopt-lower-kernels' defaults (its option table uses the same text). */
#define COOPT_KERNEL_SPARSE_THRESHOLD      0.6
#define COOPT_KERNEL_STRINGIFY_(x)         #x
#define COOPT_KERNEL_STRINGIFY(x)          COOPT_KERNEL_STRINGIFY_(x)
#define COOPT_KERNEL_SPARSE_THRESHOLD_TEXT COOPT_KERNEL_STRINGIFY(COOPT_KERNEL_SPARSE_THRESHOLD)
/* balanced, COOPT_KERNEL_SPARSE_THRESHOLD, lookup tables allowed, nothing
 * forced. */
coopt_kernel_policy cooptDefaultKernelPolicy(void);

/* What the weights [n][k] admit: their structure, the codebook view
 * (idx [n][k], book [n][16]) when every channel has at most 16 values,
 * and each form's packed size (admitted[kind] false when the form cannot
 * hold them). */
typedef struct coopt_int8_weights {
  size_t n, k;
  double zero_block_fraction;
  size_t max_distinct; /* most distinct values in one output channel */
  uint8_t *idx;
  int8_t *book;
  size_t sizes[COOPT_KERNEL_KINDS];
  bool admitted[COOPT_KERNEL_KINDS];
} coopt_int8_weights;

void cooptAnalyzeInt8Weights(const int8_t *w, size_t n, size_t k, coopt_int8_weights *out);
void cooptInt8WeightsFree(coopt_int8_weights *v);

/* The kernel for these weights under the policy. */
coopt_kernel_kind cooptChooseKernel(const coopt_kernel_policy *policy, const coopt_int8_weights *v);

/* "sparse int8 1x4", ... (for remarks and reports). */
const char *cooptKernelKindName(coopt_kernel_kind kind);

#endif
