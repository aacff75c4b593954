/* One-dimensional k-means for weight clustering. */
#ifndef COOPT_LIB_KMEANS_H
#define COOPT_LIB_KMEANS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum coopt_kmeans_init {
  COOPT_KMEANS_PLUSPLUS = 0,
  COOPT_KMEANS_LINEAR,
  COOPT_KMEANS_RANDOM,
  COOPT_KMEANS_DENSITY
} coopt_kmeans_init;

/* Option spellings, in coopt_kmeans_init order, NULL-terminated. */
extern const char *const coopt_kmeans_init_names[];

typedef struct coopt_kmeans_options {
  int k;
  coopt_kmeans_init init;
  uint64_t seed;
  int max_iterations;
  double tolerance; /* stop when no centroid moves more than tolerance * (max - min) */
} coopt_kmeans_options;

/* Cluster `values` (any order, finite) and write each value's centroid into
 * `out` (same order; may alias values).  With fewer distinct values than k
 * the values are kept as they are.  Returns the number of distinct centroids
 * used.  Deterministic for equal inputs and options. */
int cooptKMeans1D(const float *values, int64_t n, const coopt_kmeans_options *o, float *out);

/* The same minimising Σ weights[i] (values[i] - centroid)²: each centroid
 * is the weighted mean of its run (weights >= 0; NULL = all 1, which gives
 * exactly cooptKMeans1D).  Seeding and assignment are those of the
 * unweighted form. */
int cooptKMeans1DWeighted(const float *values, const double *weights, int64_t n, const coopt_kmeans_options *o,
                          float *out);

/* Sum of squared errors between values and their assignments (for tests). */
double cooptKMeansSSE(const float *values, const float *assigned, int64_t n);

#endif
