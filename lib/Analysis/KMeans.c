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

int cooptKMeans1DWeighted(const float *values, const double *weights, int64_t n, const coopt_kmeans_options *o,
                          float *out) {
  if (n <= 0)
    return 0;
  int k = o->k;
  float *s = coopt_xmalloc((size_t)n * sizeof(float));
  /* Weights follow their values through the sort. */
  double *ws = NULL;
  if (weights) {
    weighted_value *wv = coopt_xmalloc((size_t)n * sizeof *wv);
    for (int64_t i = 0; i < n; ++i)
      wv[i].v = values[i], wv[i].i = i;
    qsort(wv, (size_t)n, sizeof *wv, cmp_weighted);
    ws = coopt_xmalloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; ++i)
      s[i] = wv[i].v, ws[i] = weights[wv[i].i];
    free(wv);
  } else {
    memcpy(s, values, (size_t)n * sizeof(float));
    cooptSortFloats(s, n);
  }
  double *c = coopt_xmalloc((size_t)(k + 1) * sizeof(double));
  int64_t nd = distinct_sorted(s, n, c, k);
  if (nd <= k) {
    /* Fewer distinct values than clusters: nothing to do. */
    if (out != values)
      memcpy(out, values, (size_t)n * sizeof(float));
    free(s);
    free(ws);
    free(c);
    return (int)nd;
  }
  double *prefix = coopt_xmalloc((size_t)(n + 1) * sizeof(double));
  double *wprefix = ws ? coopt_xmalloc((size_t)(n + 1) * sizeof(double)) : NULL;
  double *wxprefix = ws ? coopt_xmalloc((size_t)(n + 1) * sizeof(double)) : NULL;
  prefix[0] = 0;
  for (int64_t i = 0; i < n; ++i)
    prefix[i + 1] = prefix[i] + (double)s[i];
  if (ws) {
    wprefix[0] = wxprefix[0] = 0;
    for (int64_t i = 0; i < n; ++i) {
      wprefix[i + 1] = wprefix[i] + ws[i];
      wxprefix[i + 1] = wxprefix[i] + ws[i] * (double)s[i];
    }
  }
  init_centroids(s, n, k, o, c);
  double range = (double)s[n - 1] - (double)s[0];
  int64_t *bound = coopt_xmalloc((size_t)(k + 1) * sizeof(int64_t));
  for (int it = 0; it < o->max_iterations; ++it) {
    /* Assignment: boundaries at midpoints (ties go to the lower centroid). */
    bound[0] = 0;
    bound[k] = n;
    for (int j = 1; j < k; ++j) {
      double mid = 0.5 * (c[j - 1] + c[j]);
      int64_t b = lower_bound(s, n, mid);
      /* values equal to the midpoint belong to the lower cluster */
      while (b < n && (double)s[b] == mid)
        ++b;
      bound[j] = b < bound[j - 1] ? bound[j - 1] : b;
    }
    double moved = 0;
    int empty = -1;
    for (int j = 0; j < k; ++j) {
      int64_t a = bound[j], b = bound[j + 1];
      if (b <= a) {
        empty = j;
        continue;
      }
      /* The weighted mean minimises the weighted squared error of the run;
       * a run of zero weight takes its plain mean. */
      double wsum = ws ? wprefix[b] - wprefix[a] : 0;
      double mean = wsum > 0 ? (wxprefix[b] - wxprefix[a]) / wsum : (prefix[b] - prefix[a]) / (double)(b - a);
      double d = fabs(mean - c[j]);
      if (d > moved)
        moved = d;
      c[j] = mean;
    }
    if (empty >= 0) {
      /* An empty cluster is wasted: move it onto the value that its current
       * centroid fits worst (an end of some cluster's run), which splits the
       * costliest cluster.  Deterministic: the first worst value wins. */
      double worst = -1, at = c[empty];
      for (int j = 0; j < k; ++j) {
        int64_t a = bound[j], b = bound[j + 1];
        if (b <= a)
          continue;
        double e1 = fabs((double)s[a] - c[j]), e2 = fabs((double)s[b - 1] - c[j]);
        if (e1 > worst) {
          worst = e1;
          at = s[a];
        }
        if (e2 > worst) {
          worst = e2;
          at = s[b - 1];
        }
      }
      if (worst > 0) {
        c[empty] = at;
        moved = INFINITY; /* not converged */
      }
    }
    qsort(c, (size_t)k, sizeof *c, cmp_double);
    if (moved <= o->tolerance * range)
      break;
  }
  /* Final assignment of every value to its nearest centroid, as floats. */
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
  free(bound);
  free(prefix);
  free(wprefix);
  free(wxprefix);
  free(ws);
  free(c);
  free(s);
  return used;
}

double cooptKMeansSSE(const float *values, const float *assigned, int64_t n) {
  double e = 0;
  for (int64_t i = 0; i < n; ++i)
    e += ((double)values[i] - assigned[i]) * ((double)values[i] - assigned[i]);
  return e;
}
