/* The numerics of layer-wise reconstruction against simple references:
 * patch grams against a direct convolution loop, the masked least-squares
 * solve against brute-force normal equations, the codebook refit (values
 * kept, error not above plain k-means), and OBS removal against brute-force
 * greedy refits. */
#include "Analysis/Gram.h"
#include "Analysis/KMeans.h"
#include "Analysis/LayerSolve.h"
#include "Support/Support.h"
#include "UnitTest.h"

#include <math.h>
#include <stdlib.h>

static uint64_t rs = 7;

static double rnd(void) {
  rs = rs * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(rs >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static bool near(double a, double b, double tol) { return fabs(a - b) <= tol * (1 + fabs(a) + fabs(b)); }

/* Gaussian elimination with partial pivoting: the reference solver. */
static void gauss(double *a, double *b, int n) {
  for (int c = 0; c < n; ++c) {
    int p = c;
    for (int r = c + 1; r < n; ++r)
      if (fabs(a[r * n + c]) > fabs(a[p * n + c]))
        p = r;
    for (int k = 0; k < n; ++k) {
      double t = a[c * n + k];
      a[c * n + k] = a[p * n + k];
      a[p * n + k] = t;
    }
    double t = b[c];
    b[c] = b[p];
    b[p] = t;
    for (int r = c + 1; r < n; ++r) {
      double f = a[r * n + c] / a[c * n + c];
      for (int k = c; k < n; ++k)
        a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  for (int r = n - 1; r >= 0; --r) {
    double s = b[r];
    for (int k = r + 1; k < n; ++k)
      s -= a[r * n + k] * b[k];
    b[r] = s / a[r * n + r];
  }
}

/* Input value of sample s at (y, x, c), zero outside: the direct reading of
 * a padded convolution, independent of the patch code. */
static double at(const float *x, const coopt_layer_geom *g, int64_t y, int64_t xx, int64_t c) {
  if (y < 0 || y >= g->ih || xx < 0 || xx >= g->iw)
    return 0;
  return x[(y * g->iw + xx) * g->ic + c];
}

static void test_conv_gram(bool depthwise) {
  coopt_layer_geom g = {0};
  g.op = depthwise ? COOPT_WOP_DEPTHWISE_CONV2D : COOPT_WOP_CONV2D;
  g.ih = 7, g.iw = 6, g.ic = 3, g.kh = 3, g.kw = 2;
  g.stride[0] = 2, g.stride[1] = 1, g.dilation[0] = 1, g.dilation[1] = 2;
  g.pad[0] = 1, g.pad[1] = 0, g.pad[2] = 2, g.pad[3] = 1;
  g.oh = (g.ih + g.pad[0] + g.pad[1] - (g.kh - 1) * g.dilation[0] - 1) / g.stride[0] + 1;
  g.ow = (g.iw + g.pad[2] + g.pad[3] - (g.kw - 1) * g.dilation[1] - 1) / g.stride[1] + 1;
  g.multiplier = depthwise ? 2 : 1;
  g.groups = depthwise ? g.ic : 1;
  g.oc = depthwise ? g.ic * g.multiplier : 4;
  g.patch = depthwise ? g.kh * g.kw : g.kh * g.kw * g.ic;
  int64_t n = 3, per = cooptLayerInputElements(&g), k1 = g.patch + 1, rows = g.oc;
  float *xh = coopt_xmalloc((size_t)(n * per) * sizeof(float)), *x = coopt_xmalloc((size_t)(n * per) * sizeof(float));
  for (int64_t i = 0; i < n * per; ++i)
    xh[i] = (float)rnd(), x[i] = (float)rnd();
  double *wref = coopt_xmalloc((size_t)(rows * k1) * sizeof(double));
  for (int64_t i = 0; i < rows * k1; ++i)
    wref[i] = rnd();
  coopt_gram gr;
  cooptGramInitTargets(&gr, &g, wref, rows);
  cooptGramAccumulate(&gr, &g, xh, x, 2); /* in two calls, as the passes do */
  cooptGramAccumulate(&gr, &g, xh + 2 * per, x + 2 * per, 1);
  cooptGramFinish(&gr);
  CHECK_EQ_INT(gr.rows, n * g.oh * g.ow);
  double *h = coopt_xcalloc((size_t)(g.groups * k1 * k1), sizeof(double));
  double *rhs = coopt_xcalloc((size_t)(rows * k1), sizeof(double)),
         *energy = coopt_xcalloc((size_t)rows, sizeof(double));
  double *ph = coopt_xmalloc((size_t)k1 * sizeof(double)), *pf = coopt_xmalloc((size_t)k1 * sizeof(double));
  for (int64_t s = 0; s < n; ++s)
    for (int64_t grp = 0; grp < g.groups; ++grp)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          int64_t j = 0;
          for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx)
              for (int64_t c = 0; c < (depthwise ? 1 : g.ic); ++c, ++j) {
                int64_t y = oy * g.stride[0] - g.pad[0] + ky * g.dilation[0];
                int64_t xx = ox * g.stride[1] - g.pad[2] + kx * g.dilation[1];
                ph[j] = at(xh + s * per, &g, y, xx, depthwise ? grp : c);
                pf[j] = at(x + s * per, &g, y, xx, depthwise ? grp : c);
              }
          ph[j] = pf[j] = 1;
          for (int64_t a = 0; a < k1; ++a)
            for (int64_t b = 0; b < k1; ++b)
              h[(grp * k1 + a) * k1 + b] += ph[a] * ph[b];
          for (int64_t r = 0; r < rows; ++r) {
            if (cooptLayerGroupOf(&g, r) != grp)
              continue;
            double y = 0;
            for (int64_t a = 0; a < k1; ++a)
              y += pf[a] * wref[r * k1 + a];
            for (int64_t a = 0; a < k1; ++a)
              rhs[r * k1 + a] += ph[a] * y;
            energy[r] += y * y;
          }
        }
  bool ok = true;
  for (int64_t i = 0; i < g.groups * k1 * k1; ++i)
    ok &= near(gr.hh[i], h[i], 1e-9);
  CHECK(ok);
  ok = true;
  for (int64_t i = 0; i < rows * k1; ++i)
    ok &= near(gr.rhs[i], rhs[i], 1e-9);
  CHECK(ok);
  ok = true;
  for (int64_t r = 0; r < rows; ++r)
    ok &= near(gr.energy[r], energy[r], 1e-9);
  CHECK(ok);
  /* The error formula: the float row itself on the float inputs... */
  coopt_gram same;
  cooptGramInitTargets(&same, &g, wref, rows);
  cooptGramAccumulate(&same, &g, x, x, n);
  cooptGramFinish(&same);
  CHECK(cooptGramRowError(&same, &g, 1, wref + k1) < 1e-9 * (1 + same.energy[1]));
  cooptGramFree(&same);
  cooptGramFree(&gr);
  free(h), free(rhs), free(energy), free(ph), free(pf), free(xh), free(x), free(wref);
}

static void test_matmul_gram(void) {
  coopt_layer_geom g = {0};
  g.op = COOPT_WOP_MATMUL;
  g.ih = g.oh = 2, g.iw = g.ow = 1, g.ic = 5, g.oc = 3, g.patch = 5, g.groups = 1, g.multiplier = 1;
  g.kh = g.kw = 1;
  float x[4 * 2 * 5];
  for (int i = 0; i < 40; ++i)
    x[i] = (float)rnd();
  coopt_gram gr;
  cooptGramInit(&gr, &g);
  cooptGramAccumulate(&gr, &g, x, x, 4);
  cooptGramFinish(&gr);
  bool ok = true;
  for (int a = 0; a < 6; ++a)
    for (int b = 0; b < 6; ++b) {
      double s = 0;
      for (int r = 0; r < 8; ++r)
        s += (a < 5 ? x[r * 5 + a] : 1.0) * (b < 5 ? x[r * 5 + b] : 1.0);
      ok &= near(gr.hh[a * 6 + b], s, 1e-12);
    }
  CHECK(ok);
  cooptGramFree(&gr);
}

/* A random problem: n rows of k1 inputs (last = 1), hh = AᵀA, rhs = Aᵀ y. */
static void random_problem(int rows, int k1, double *hh, double *rhs, double *a_out) {
  double *a = a_out;
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < k1 - 1; ++j)
      a[r * k1 + j] = rnd();
    a[r * k1 + k1 - 1] = 1;
  }
  double *w = coopt_xmalloc((size_t)k1 * sizeof(double));
  for (int j = 0; j < k1; ++j)
    w[j] = rnd();
  for (int i = 0; i < k1 * k1; ++i)
    hh[i] = 0;
  for (int j = 0; j < k1; ++j)
    rhs[j] = 0;
  for (int r = 0; r < rows; ++r) {
    double y = 0;
    for (int j = 0; j < k1; ++j)
      y += a[r * k1 + j] * w[j] + 0.1 * rnd() * (j == 0);
    for (int i = 0; i < k1; ++i) {
      rhs[i] += a[r * k1 + i] * y;
      for (int j = 0; j < k1; ++j)
        hh[i * k1 + j] += a[r * k1 + i] * a[r * k1 + j];
    }
  }
  free(w);
}

static void test_masked_solve(void) {
  enum { K1 = 9, ROWS = 40 };
  double hh[K1 * K1], rhs[K1], a[ROWS * K1], w0[K1];
  random_problem(ROWS, K1, hh, rhs, a);
  int32_t map[K1];
  int nvar = 0;
  for (int i = 0; i < K1; ++i) {
    w0[i] = i % 3 == 1 ? 0 : (i == 4 ? 0.75 : rnd()); /* zeros fixed; entry 4 a fixed nonzero */
    map[i] = (i % 3 == 1 || i == 4) ? -1 : nvar++;
  }
  double lambda = 0.3;
  coopt_ls ls;
  cooptLsInit(&ls, nvar);
  cooptLsAddRow(&ls, hh, rhs, K1, w0, map, lambda);
  double theta[K1];
  CHECK(cooptLsSolve(&ls, theta));
  /* Brute force: minimise |A w - y|² + λ|w_S - w0_S|² over the free
   * entries, the fixed ones at their values: (H_SS + λI) w_S =
   * rhs_S - H_SF w_F + λ w0_S. */
  double m[K1 * K1], b[K1];
  for (int i = 0, si = 0; i < K1; ++i) {
    if (map[i] < 0)
      continue;
    b[si] = rhs[i] + lambda * w0[i];
    for (int j = 0; j < K1; ++j)
      if (map[j] < 0)
        b[si] -= hh[i * K1 + j] * w0[j];
    for (int j = 0, sj = 0; j < K1; ++j)
      if (map[j] >= 0)
        m[si * nvar + sj++] = hh[i * K1 + j] + (i == j ? lambda : 0);
    ++si;
  }
  gauss(m, b, nvar);
  bool ok = true;
  for (int v = 0; v < nvar; ++v)
    ok &= near(theta[v], b[v], 1e-9);
  CHECK(ok);
  cooptLsFree(&ls);
  /* A singular system (a variable the data never sees, no damping) gets
   * more damping and stays finite. */
  double z[4] = {1, 0, 0, 0}, zr[2] = {2, 0}, zw[2] = {0.5, -0.5};
  int32_t zmap[2] = {0, 1};
  cooptLsInit(&ls, 2);
  cooptLsAddRow(&ls, z, zr, 2, zw, zmap, 0.0);
  CHECK(cooptLsSolve(&ls, theta));
  CHECK(isfinite(theta[0]) && isfinite(theta[1]) && near(theta[0], 2.0, 1e-3));
  CHECK(near(theta[1], -0.5, 1e-6)); /* unseen: stays where it was */
  cooptLsFree(&ls);
}

/* Squared output error of a row on the problem's data. */
static double error_of(const double *hh, const double *rhs, const double *w, int k1, double yy) {
  double e = yy;
  for (int i = 0; i < k1; ++i) {
    e -= 2 * w[i] * rhs[i];
    for (int j = 0; j < k1; ++j)
      e += w[i] * hh[i * k1 + j] * w[j];
  }
  return e;
}

static void test_codebook_refit(void) {
  enum { K1 = 33, ROWS = 200, K = 4 };
  double hh[K1 * K1], rhs[K1], a[ROWS * K1];
  random_problem(ROWS, K1, hh, rhs, a);
  /* The float row (least squares, no structure), then plain k-means of it. */
  double wf[K1];
  {
    double m[K1 * K1];
    for (int i = 0; i < K1 * K1; ++i)
      m[i] = hh[i];
    for (int i = 0; i < K1; ++i)
      wf[i] = rhs[i];
    gauss(m, wf, K1);
  }
  float v[K1 - 1], c[K1 - 1];
  for (int i = 0; i < K1 - 1; ++i)
    v[i] = (float)wf[i];
  coopt_kmeans_options km = {K, COOPT_KMEANS_LINEAR, 0, 100, 1e-9};
  cooptKMeans1D(v, K1 - 1, &km, c);
  float book[K];
  int nb = 0;
  int32_t map[K1];
  double w0[K1];
  for (int i = 0; i < K1 - 1; ++i) {
    int j = 0;
    while (j < nb && book[j] != c[i])
      ++j;
    if (j == nb)
      book[nb++] = c[i];
    map[i] = j;
    w0[i] = c[i];
  }
  map[K1 - 1] = nb; /* the bias */
  w0[K1 - 1] = wf[K1 - 1];
  coopt_ls ls;
  cooptLsInit(&ls, nb + 1);
  cooptLsAddRow(&ls, hh, rhs, K1, w0, map, 0.01);
  double theta[K + 1], wn[K1];
  CHECK(cooptLsSolve(&ls, theta));
  for (int i = 0; i < K1; ++i)
    wn[i] = theta[map[i]];
  double before = error_of(hh, rhs, w0, K1, 0), after = error_of(hh, rhs, wn, K1, 0);
  CHECK(after <= before + 1e-12);
  /* Still nb distinct values, each weight on its own centroid's new value. */
  int distinct = 0;
  for (int j = 0; j < nb; ++j) {
    bool seen = false;
    for (int q = 0; q < j; ++q)
      seen |= theta[q] == theta[j];
    distinct += !seen;
  }
  CHECK(distinct <= K);
  CHECK(nb <= K);
  cooptLsFree(&ls);
}

/* OBS removal equals the brute-force greedy: at each step remove the weight
 * whose removal, with the rest refit exactly, raises the error least. */
static void test_obs_greedy(void) {
  enum { K1 = 8, ROWS = 60, REMOVE = 4 };
  double hh[K1 * K1], rhs[K1], a[ROWS * K1];
  random_problem(ROWS, K1, hh, rhs, a);
  double lambda = 1e-3, w[K1];
  {
    double m[K1 * K1];
    for (int i = 0; i < K1 * K1; ++i)
      m[i] = hh[i] + (i % (K1 + 1) == 0 ? lambda : 0);
    for (int i = 0; i < K1; ++i)
      w[i] = rhs[i];
    gauss(m, w, K1);
  }
  double hinv[K1 * K1];
  CHECK(cooptObsInverse(hh, K1, lambda, hinv));
  double wobs[K1];
  for (int i = 0; i < K1; ++i)
    wobs[i] = w[i];
  int64_t order[REMOVE];
  double loss[REMOVE];
  coopt_obs o = {hinv, K1, wobs, 1, 1, 0, 0, REMOVE, order, loss};
  CHECK(cooptObsPrune(&o));
  bool removed[K1] = {false};
  for (int step = 0; step < REMOVE; ++step) {
    int best = -1;
    double best_e = INFINITY;
    for (int j = 0; j < K1 - 1; ++j) {
      if (removed[j])
        continue;
      /* Refit the others (and the bias) with j and the removed ones at 0. */
      int idx[K1], n = 0;
      for (int i = 0; i < K1; ++i)
        if (!removed[i] && i != j)
          idx[n++] = i;
      double m[K1 * K1], b[K1], wt[K1] = {0};
      for (int p = 0; p < n; ++p) {
        b[p] = rhs[idx[p]];
        for (int q = 0; q < n; ++q)
          m[p * n + q] = hh[idx[p] * K1 + idx[q]] + (p == q ? lambda : 0);
      }
      gauss(m, b, n);
      for (int p = 0; p < n; ++p)
        wt[idx[p]] = b[p];
      double e = error_of(hh, rhs, wt, K1, 0);
      for (int p = 0; p < K1; ++p)
        e += lambda * wt[p] * wt[p];
      if (e < best_e)
        best_e = e, best = j;
    }
    CHECK_EQ_INT(order[step], best);
    removed[best] = true;
  }
  /* The loss grows with every removal. */
  for (int step = 1; step < REMOVE; ++step)
    CHECK(loss[step] >= loss[step - 1]);
  /* N:M: with 2:4 over 7 columns ([4, 3]), at most 2 + 1 removals. */
  for (int i = 0; i < K1; ++i)
    wobs[i] = w[i];
  coopt_obs nm = {hinv, K1, wobs, 1, 1, 2, 4, 3, order, NULL};
  CHECK(cooptObsPrune(&nm));
  int first = 0, tail = 0;
  for (int s = 0; s < 3; ++s)
    order[s] < 4 ? ++first : ++tail;
  CHECK_EQ_INT(first, 2);
  CHECK_EQ_INT(tail, 1);
}

int main(void) {
  test_conv_gram(false);
  test_conv_gram(true);
  test_matmul_gram();
  test_masked_solve();
  test_codebook_refit();
  test_obs_greedy();
  return unit_finish("unit-recover");
}
