/*
 * Channel permutation for structured sparsity (Pool & Yu, "Channel
 * Permutations for N:M Sparsity", NeurIPS 2021): which order of a layer's
 * input channels lets an N:M or 1xC-block mask keep the most importance.
 *
 * A structured mask groups consecutive input channels (M for N:M, C for
 * blocks) and keeps whole groups (blocks) or the best N of each group.  The
 * grouping is an accident of the order the channels were trained in; a
 * compiler may reorder them at no cost, because the producer's output
 * channels can be reordered the same way and the model computes the same
 * function.  This file only chooses the order: a local search over channel
 * swaps that maximises the importance the mask keeps, each row of the
 * weight keeping its best units as coopt-prune will.
 */
#ifndef COOPT_LIB_ANALYSIS_CHANNEL_PERMUTE_H
#define COOPT_LIB_ANALYSIS_CHANNEL_PERMUTE_H

#include "Analysis/Structure.h"

#include <stdint.h>

/* One layer's problem: importance s[row * channels + c] >= 0 of every
 * weight (rows: one per output channel and tap, or per R-row group with
 * their importances summed), grouped by `group` consecutive channels.  A
 * block pattern (nm_n == 0) keeps the `keep` groups of each row with the
 * largest sums; N:M (nm_n > 0) keeps the nm_n largest of every group. */
typedef struct coopt_permute_problem {
  const double *s;
  int64_t rows, channels, group;
  int64_t keep; /* blocks kept per row */
  int nm_n;
} coopt_permute_problem;

/* The importance a mask keeps with the channels in order perm (new
 * position k holds old channel perm[k]). */
double cooptPermuteKept(const coopt_permute_problem *p, const int64_t *perm);

/* From the identity, swap channels of different groups while a swap raises
 * the kept importance (for every channel in turn, its best partner), for at
 * most max_passes passes over the channels.  perm gets the order; the kept
 * importance before and after is returned in *before / *after.  The result
 * depends only on the inputs (ties keep the lower position). */
void cooptPermuteSearch(const coopt_permute_problem *p, int max_passes, int64_t *perm, double *before, double *after);

#endif
