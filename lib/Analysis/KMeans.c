/*
 * 1-D k-means on sorted data.
 *
 * In one dimension a cluster is a contiguous run of the sorted values and the
 * nearest-centroid boundaries are the midpoints between sorted centroids, so
 * one Lloyd iteration is k binary searches plus k prefix-sum lookups instead
 * of a pass over all n values: the cost is one sort, then O(k log n) per
 * iteration.
 */
#include "Analysis/KMeans.h"
#include "Analysis/WeightStats.h"
#include "Support/Support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const coopt_kmeans_init_names[] = {"kmeans++", "linear", "random", "density", NULL};

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double rng_uniform(rng *r) { return (double)(rng_next(r) >> 11) / 9007199254740992.0; }

/* First index i with sorted[i] >= x. */
static int64_t lower_bound(const float *sorted, int64_t n, double x) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if ((double)sorted[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Distinct values of sorted data into d (returns count, stops past cap). */
static int64_t distinct_sorted(const float *s, int64_t n, double *d, int64_t cap) {
  int64_t k = 0;
  for (int64_t i = 0; i < n && k <= cap; ++i)
    if (i == 0 || s[i] != s[i - 1]) {
      if (d && k < cap)
        d[k] = s[i];
      ++k;
    }
  return k;
}

static void init_centroids(const float *s, int64_t n, int k, const coopt_kmeans_options *o, double *c) {
  rng r = {o->seed * 0x2545f4914f6cdd1dull + 1};
  double lo = s[0], hi = s[n - 1];
  switch (o->init) {
  case COOPT_KMEANS_LINEAR:
    for (int i = 0; i < k; ++i)
      c[i] = lo + (hi - lo) * i / (k - 1);
    break;
  case COOPT_KMEANS_DENSITY:
    /* Evenly spaced on the cumulative distribution (tfmot's DENSITY_BASED). */
    for (int i = 0; i < k; ++i) {
      int64_t idx = (int64_t)(((double)i + 0.5) / k * (double)n);
      c[i] = s[idx < n ? idx : n - 1];
    }
    break;
  case COOPT_KMEANS_RANDOM: {
    /* k distinct values drawn uniformly (partial Fisher-Yates over the
     * distinct values): duplicate seeds would leave clusters empty. */
    int64_t nd = distinct_sorted(s, n, NULL, INT64_MAX);
    double *d = coopt_xmalloc((size_t)nd * sizeof(double));
    distinct_sorted(s, n, d, nd);
    for (int i = 0; i < k; ++i) {
      int64_t j = i + (int64_t)(rng_uniform(&r) * (double)(nd - i));
      if (j >= nd)
        j = nd - 1;
      double t = d[i];
      d[i] = d[j];
      d[j] = t;
      c[i] = d[i];
    }
    free(d);
    break;
  }
  case COOPT_KMEANS_PLUSPLUS: {
    /* k-means++: each next centroid drawn with probability ~ D(x)^2.  On
     * large tensors the draw runs on an evenly strided sample of the sorted
     * values (at most 65536): it is O(n k) otherwise, and the sample keeps
     * the distribution's shape, which is all the seeding uses. */
    float *sample = NULL;
    if (n > 65536) {
      int64_t m = 65536;
      sample = coopt_xmalloc((size_t)m * sizeof(float));
      for (int64_t i = 0; i < m; ++i)
        sample[i] = s[(int64_t)(((double)i + 0.5) * (double)n / (double)m)];
      s = sample;
      n = m;
    }
    double *dist = coopt_xmalloc((size_t)n * sizeof(double));
    c[0] = s[(int64_t)(rng_uniform(&r) * (double)n) % n];
    for (int64_t i = 0; i < n; ++i)
      dist[i] = ((double)s[i] - c[0]) * ((double)s[i] - c[0]);
    for (int j = 1; j < k; ++j) {
      double total = 0;
      for (int64_t i = 0; i < n; ++i)
        total += dist[i];
      int64_t pick = n - 1;
      if (total > 0) {
        double t = rng_uniform(&r) * total, acc = 0;
        for (int64_t i = 0; i < n; ++i) {
          acc += dist[i];
          if (acc > t) {
            pick = i;
            break;
          }
        }
      }
      c[j] = s[pick];
      for (int64_t i = 0; i < n; ++i) {
        double d = ((double)s[i] - c[j]) * ((double)s[i] - c[j]);
        if (d < dist[i])
          dist[i] = d;
      }
    }
    free(dist);
    free(sample);
    break;
  }
  }
  qsort(c, (size_t)k, sizeof *c, cmp_double);
}

typedef struct weighted_value {
  float v;
  int64_t i;
} weighted_value;

static int cmp_weighted(const void *a, const void *b) {
  const weighted_value *x = a, *y = b;
  if (x->v != y->v)
    return x->v < y->v ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

int cooptKMeans1D(const float *values, int64_t n, const coopt_kmeans_options *o, float *out) {
  return cooptKMeans1DWeighted(values, NULL, n, o, out);
}

/* The values sorted, their weights in the same order, and prefix sums of
 * both: a cluster is a run of the sorted values, and its (weighted) mean
 * comes from two subtractions. */
typedef struct sorted_values {
  float *s;
  double *ws; /* NULL: unweighted */
  int64_t n;
  double *prefix, *wprefix, *wxprefix;
} sorted_values;

static void sort_values(const float *values, const double *weights, int64_t n, sorted_values *r) {
  memset(r, 0, sizeof *r);
  r->n = n;
  r->s = coopt_xmalloc((size_t)n * sizeof(float));
  if (weights) {
    /* Weights follow their values through the sort. */
    weighted_value *wv = coopt_xmalloc((size_t)n * sizeof *wv);
    for (int64_t i = 0; i < n; ++i)
      wv[i].v = values[i], wv[i].i = i;
    qsort(wv, (size_t)n, sizeof *wv, cmp_weighted);
    r->ws = coopt_xmalloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; ++i)
      r->s[i] = wv[i].v, r->ws[i] = weights[wv[i].i];
    free(wv);
  } else {
    memcpy(r->s, values, (size_t)n * sizeof(float));
    cooptSortFloats(r->s, n);
  }
}

static void prefix_sums(sorted_values *r) {
  int64_t n = r->n;
  r->prefix = coopt_xmalloc((size_t)(n + 1) * sizeof(double));
  r->prefix[0] = 0;
  for (int64_t i = 0; i < n; ++i)
    r->prefix[i + 1] = r->prefix[i] + (double)r->s[i];
  if (!r->ws)
    return;
  r->wprefix = coopt_xmalloc((size_t)(n + 1) * sizeof(double));
  r->wxprefix = coopt_xmalloc((size_t)(n + 1) * sizeof(double));
  r->wprefix[0] = r->wxprefix[0] = 0;
  for (int64_t i = 0; i < n; ++i) {
    r->wprefix[i + 1] = r->wprefix[i] + r->ws[i];
    r->wxprefix[i + 1] = r->wxprefix[i] + r->ws[i] * (double)r->s[i];
  }
}

static void sorted_values_free(sorted_values *r) {
  free(r->s);
  free(r->ws);
  free(r->prefix);
  free(r->wprefix);
  free(r->wxprefix);
}

/* Assignment: each centroid's run ends at the midpoint to the next (values
 * equal to a midpoint go to the lower centroid). */
static void assign_runs(const sorted_values *r, const double *c, int k, int64_t *bound) {
  bound[0] = 0;
  bound[k] = r->n;
  for (int j = 1; j < k; ++j) {
    double mid = 0.5 * (c[j - 1] + c[j]);
    int64_t b = lower_bound(r->s, r->n, mid);
    while (b < r->n && (double)r->s[b] == mid)
      ++b;
    bound[j] = b < bound[j - 1] ? bound[j - 1] : b;
  }
}

/* Update: each centroid to its run's mean.  Returns the largest move; an
 * empty run is reported in *empty. */
static double update_means(const sorted_values *r, double *c, int k, const int64_t *bound, int *empty) {
  double moved = 0;
  *empty = -1;
  for (int j = 0; j < k; ++j) {
    int64_t a = bound[j], b = bound[j + 1];
    if (b <= a) {
      *empty = j;
      continue;
    }
    /* The weighted mean minimises the weighted squared error of the run;
     * a run of zero weight takes its plain mean. */
    double wsum = r->ws ? r->wprefix[b] - r->wprefix[a] : 0;
    double mean = wsum > 0 ? (r->wxprefix[b] - r->wxprefix[a]) / wsum : (r->prefix[b] - r->prefix[a]) / (double)(b - a);
    double d = fabs(mean - c[j]);
    if (d > moved)
      moved = d;
    c[j] = mean;
  }
  return moved;
}

/* An empty cluster is wasted: move it onto the value that its current
 * centroid fits worst (an end of some cluster's run), which splits the
 * costliest cluster.  Deterministic: the first worst value wins.  Returns
 * whether it moved. */
static bool reseed_empty(const sorted_values *r, double *c, int k, const int64_t *bound, int empty) {
  double worst = -1, at = c[empty];
  for (int j = 0; j < k; ++j) {
    int64_t a = bound[j], b = bound[j + 1];
    if (b <= a)
      continue;
    double e1 = fabs((double)r->s[a] - c[j]), e2 = fabs((double)r->s[b - 1] - c[j]);
    if (e1 > worst) {
      worst = e1;
      at = r->s[a];
    }
    if (e2 > worst) {
      worst = e2;
      at = r->s[b - 1];
    }
  }
  if (worst > 0)
    c[empty] = at;
  return worst > 0;
}

/* Lloyd's iterations on the sorted runs until no centroid moves more than
 * tolerance x the value range. */
static void lloyd(const sorted_values *r, double *c, int k, const coopt_kmeans_options *o) {
  double range = (double)r->s[r->n - 1] - (double)r->s[0];
  int64_t *bound = coopt_xmalloc((size_t)(k + 1) * sizeof(int64_t));
  for (int it = 0; it < o->max_iterations; ++it) {
    assign_runs(r, c, k, bound);
    int empty;
    double moved = update_means(r, c, k, bound, &empty);
    if (empty >= 0 && reseed_empty(r, c, k, bound, empty))
      moved = INFINITY; /* not converged */
    qsort(c, (size_t)k, sizeof *c, cmp_double);
    if (moved <= o->tolerance * range)
      break;
  }
  free(bound);
}

/* Final assignment of every value to its nearest centroid, as floats.
 * Returns the distinct centroids used. */
static int assign_nearest(const float *values, int64_t n, const double *c, int k, float *out) {
  float *cf = coopt_xmalloc((size_t)k * sizeof(float));
  for (int j = 0; j < k; ++j)
    cf[j] = (float)c[j];
  for (int64_t i = 0; i < n; ++i) {
    double x = values[i];
    int lo = 0, hi = k - 1;
    while (lo < hi) { /* first centroid whose upper midpoint is >= x */
      int mid = (lo + hi) / 2;
      if (x > 0.5 * (c[mid] + c[mid + 1]))
        lo = mid + 1;
      else
        hi = mid;
    }
    out[i] = cf[lo];
  }
  int used = 0;
  for (int j = 0; j < k; ++j)
    used += j == 0 || cf[j] != cf[j - 1];
  free(cf);
  return used;
}

int cooptKMeans1DWeighted(const float *values, const double *weights, int64_t n, const coopt_kmeans_options *o,
                          float *out) {
  if (n <= 0)
    return 0;
  int k = o->k;
  sorted_values r;
  sort_values(values, weights, n, &r);
  double *c = coopt_xmalloc((size_t)(k + 1) * sizeof(double));
  int64_t nd = distinct_sorted(r.s, n, c, k);
  int used;
  if (nd <= k) {
    /* Fewer distinct values than clusters: nothing to do. */
    if (out != values)
      memcpy(out, values, (size_t)n * sizeof(float));
    used = (int)nd;
  } else {
    prefix_sums(&r);
    init_centroids(r.s, n, k, o, c);
    lloyd(&r, c, k, o);
    used = assign_nearest(values, n, c, k, out);
  }
  sorted_values_free(&r);
  free(c);
  return used;
}

double cooptKMeansSSE(const float *values, const float *assigned, int64_t n) {
  double e = 0;
  for (int64_t i = 0; i < n; ++i)
    e += ((double)values[i] - assigned[i]) * ((double)values[i] - assigned[i]);
  return e;
}
