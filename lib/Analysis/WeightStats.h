/* Structure statistics of one weight tensor (shared by coopt-stats and
 * coopt-verify-structure). */
#ifndef COOPT_LIB_WEIGHT_STATS_H
#define COOPT_LIB_WEIGHT_STATS_H

#include "Analysis/Weights.h"

typedef struct coopt_weight_stats {
  int64_t elements, zeros, nonfinite;
  int64_t distinct;             /* distinct values in the tensor (-0 == +0) */
  int64_t max_channel_distinct; /* max over rows (output channels) */
  int64_t channels;
  /* Deployable bytes if stored as: */
  int64_t bytes_f32;               /* dense f32 */
  int64_t bytes_int8;              /* dense int8 */
  int64_t bytes_sparse;            /* 1-bit mask per weight + int8 nonzeros */
  int64_t bytes_palettized;        /* packed indices + int8 codebook(s); int8 dense when > 256 values */
  int64_t bytes_sparse_palettized; /* 1-bit mask + packed indices of the nonzeros + codebook(s) of
                                      nonzero values; the sparse form when indices do not pay */
  int64_t bytes_gzip;              /* dense int8 codes after deflate (level 9): set by the caller */
  int palette_bits;                /* index width; 0 when not palettizable */
  bool palette_per_channel;        /* the smaller form uses one codebook per channel */
} coopt_weight_stats;

/* Statistics of canonical-order values (rows x per_row). */
void cooptComputeWeightStats(const float *values, int64_t rows, int64_t per_row, coopt_weight_stats *out);

/* Number of distinct values (-0 == +0, all NaNs one value).  `scratch` must
 * hold 2*n uint32_t. */
int64_t cooptCountDistinct(const float *values, int64_t n, uint32_t *scratch);

/* Sort ascending (radix; -0 becomes +0, NaNs one quiet NaN at the end). */
void cooptSortFloats(float *values, int64_t n);

/* The distinct nonzero values of x[0..n), sorted ascending into d (room
 * for n); their count.  What a clustered weight's codebook is, per channel
 * or per tensor. */
int64_t cooptDistinctNonzero(const float *x, int64_t n, float *d);

/* Do a[0..n) and b[0..n) have their zeros in the same places (the same
 * sparsity mask)? */
bool cooptSameZeros(const float *a, const float *b, int64_t n);

/* The index of v in the sorted d[0..n) (n >= 1; v one of them). */
int32_t cooptSortedIndexOf(const float *d, int64_t n, float v);

#endif
