/* k-means against brute-force optimal clustering on small data; N:M and
 * block pruning checked group by group through the structure checker. */
#include "Analysis/KMeans.h"
#include "Analysis/Structure.h"
#include "Analysis/WeightStats.h"
#include "UnitTest.h"

#include <stdlib.h>

/* Optimal 1-D k-clustering SSE by trying every split of the sorted data
 * into k contiguous runs (optimal 1-D clusters are contiguous). */
static double brute_best(const float *s, int n, int k, int start) {
  if (k == 1) {
    double mean = 0, e = 0;
    for (int i = start; i < n; ++i)
      mean += s[i];
    mean /= (n - start);
    for (int i = start; i < n; ++i)
      e += (s[i] - mean) * (s[i] - mean);
    return e;
  }
  double best = 1e300;
  for (int end = start + 1; end <= n - (k - 1); ++end) {
    double mean = 0, e = 0;
    for (int i = start; i < end; ++i)
      mean += s[i];
    mean /= (end - start);
    for (int i = start; i < end; ++i)
      e += (s[i] - mean) * (s[i] - mean);
    double rest = brute_best(s, n, k - 1, end);
    if (e + rest < best)
      best = e + rest;
  }
  return best;
}

static int cmpf(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static uint32_t st = 99;
static float rnd(void) {
  st = st * 1103515245u + 12345u;
  return (float)((st >> 8) % 10000) / 1000.0f - 5.0f;
}

/* Every value sits at its nearest centroid (brute force over all of them)
 * and every centroid is the mean of its members: a converged Lloyd result. */
static void check_fixed_point(const float *v, const float *out, int n) {
  float cents[64];
  int nc = 0;
  for (int i = 0; i < n; ++i) {
    bool seen = false;
    for (int j = 0; j < nc; ++j)
      seen |= cents[j] == out[i];
    if (!seen)
      cents[nc++] = out[i];
  }
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < nc; ++j)
      CHECK(fabsf(v[i] - out[i]) <= fabsf(v[i] - cents[j]) + 1e-6f);
  for (int j = 0; j < nc; ++j) {
    double sum = 0;
    int cnt = 0;
    for (int i = 0; i < n; ++i)
      if (out[i] == cents[j]) {
        sum += v[i];
        ++cnt;
      }
    CHECK(fabs(sum / cnt - cents[j]) <= 1e-5 * (1 + fabs(cents[j])));
  }
}

static void test_against_brute_force(void) {
  for (int trial = 0; trial < 40; ++trial) {
    int n = 6 + trial % 7, k = 2 + trial % 3;
    float v[16], s[16], out[16];
    /* Well-separated groups: linear and kmeans++ must find the optimum. */
    for (int i = 0; i < n; ++i)
      v[i] = (float)(i % k) * 100.0f + rnd() * 0.01f;
    memcpy(s, v, sizeof v);
    qsort(s, (size_t)n, sizeof(float), cmpf);
    double opt = brute_best(s, n, k, 0);
    for (int init = 0; init < 4; ++init) {
      coopt_kmeans_options o = {k, (coopt_kmeans_init)init, (uint64_t)trial, 100, 0};
      int used = cooptKMeans1D(v, n, &o, out);
      CHECK(used <= k);
      check_fixed_point(v, out, n);
      double sse = cooptKMeansSSE(v, out, n);
      if (init == COOPT_KMEANS_PLUSPLUS || init == COOPT_KMEANS_LINEAR)
        CHECK(sse <= opt * (1 + 1e-4) + 1e-9);
      CHECK(sse + 1e-9 >= opt * (1 - 1e-4)); /* the brute force is a true lower bound */
    }
    /* Random data: a converged, nearest-centroid result. */
    for (int i = 0; i < n; ++i)
      v[i] = rnd();
    for (int init = 0; init < 4; ++init) {
      coopt_kmeans_options o = {k, (coopt_kmeans_init)init, (uint64_t)trial, 1000, 0};
      cooptKMeans1D(v, n, &o, out);
      check_fixed_point(v, out, n);
    }
  }
}

static void test_few_values_and_determinism(void) {
  float v[6] = {1, 1, 2, 2, 3, 3}, out[6];
  coopt_kmeans_options o = {4, COOPT_KMEANS_PLUSPLUS, 0, 100, 0};
  CHECK_EQ_INT(cooptKMeans1D(v, 6, &o, out), 3);
  for (int i = 0; i < 6; ++i)
    CHECK(out[i] == v[i]);
  float big[1000], a[1000], b[1000];
  for (int i = 0; i < 1000; ++i)
    big[i] = rnd();
  o.k = 16;
  o.seed = 5;
  cooptKMeans1D(big, 1000, &o, a);
  cooptKMeans1D(big, 1000, &o, b);
  CHECK(memcmp(a, b, sizeof a) == 0);
  uint32_t scratch[2000];
  CHECK(cooptCountDistinct(a, 1000, scratch) <= 16);
}

static void test_structure_checks(void) {
  coopt_weight w;
  memset(&w, 0, sizeof w);
  w.rows = 2;
  w.spatial = 1;
  w.inner = 8;
  w.num_elements = 16;
  coopt_structure s;
  memset(&s, 0, sizeof s);
  char msg[256];
  CHECK(cooptParsePattern("2:4", &s.pattern, msg, sizeof msg));
  float ok[16] = {1, 0, 2, 0, 0, 0, 3, 4, 0, 5, 6, 0, 7, 0, 0, 8};
  CHECK(cooptCheckStructure(&w, ok, &s, msg, sizeof msg));
  float bad[16] = {1, 0, 2, 0, 0, 0, 3, 4, 0, 5, 6, 9, 7, 0, 0, 8};
  CHECK(!cooptCheckStructure(&w, bad, &s, msg, sizeof msg));
  CHECK_CONTAINS(msg, "output channel 1, group 0 (3 nonzeros)");
  CHECK(cooptParsePattern("2x4", &s.pattern, msg, sizeof msg));
  s.block_sparsity = 0.5;
  float blocks[16] = {0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 5, 0, 0, 0};
  CHECK(cooptCheckStructure(&w, blocks, &s, msg, sizeof msg));
  blocks[0] = 1;
  CHECK(!cooptCheckStructure(&w, blocks, &s, msg, sizeof msg));
  CHECK(!cooptParsePattern("4:2", &s.pattern, msg, sizeof msg));
  CHECK(!cooptParsePattern("0x4", &s.pattern, msg, sizeof msg));
  CHECK(!cooptParsePattern("2:4x", &s.pattern, msg, sizeof msg));
}

int main(void) {
  test_against_brute_force();
  test_few_values_and_determinism();
  test_structure_checks();
  return unit_finish("unit-kmeans");
}
