#include "Analysis/LayerSolve.h"
#include "Support/Support.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cooptLsInit(coopt_ls *ls, int64_t n) {
  ls->n = n;
  ls->m = coopt_xcalloc((size_t)(n * n) + 1, sizeof(double));
  ls->r = coopt_xcalloc((size_t)n + 1, sizeof(double));
  ls->theta0 = coopt_xcalloc((size_t)n + 1, sizeof(double));
}

void cooptLsFree(coopt_ls *ls) {
  free(ls->m);
  free(ls->r);
  free(ls->theta0);
  memset(ls, 0, sizeof *ls);
}

void cooptLsAddRow(coopt_ls *ls, const double *hh, const double *rhs, int64_t k1, const double *w0, const int32_t *map,
                   double lambda) {
  /* The free entries, and the fixed ones that are not zero (their output
   * moves to the right-hand side). */
  int64_t *free_idx = coopt_xmalloc((size_t)k1 * sizeof(int64_t));
  int64_t *fixed_idx = coopt_xmalloc((size_t)k1 * sizeof(int64_t));
  int64_t nf = 0, nx = 0;
  for (int64_t i = 0; i < k1; ++i) {
    if (map[i] >= 0)
      free_idx[nf++] = i;
    else if (w0[i] != 0)
      fixed_idx[nx++] = i;
  }
  int64_t n = ls->n;
  for (int64_t a = 0; a < nf; ++a) {
    int64_t i = free_idx[a];
    const double *hi = hh + i * k1;
    double t = rhs[i];
    for (int64_t b = 0; b < nx; ++b)
      t -= hi[fixed_idx[b]] * w0[fixed_idx[b]];
    int32_t va = map[i];
    ls->r[va] += t + lambda * w0[i];
    ls->theta0[va] = w0[i];
    double *mrow = ls->m + va * n;
    for (int64_t b = 0; b < nf; ++b)
      mrow[map[free_idx[b]]] += hi[free_idx[b]];
    mrow[va] += lambda;
  }
  free(free_idx);
  free(fixed_idx);
}

bool cooptLsSolve(const coopt_ls *ls, double *theta) {
  int64_t n = ls->n;
  if (n == 0)
    return true;
  double scale = 0;
  for (int64_t i = 0; i < n; ++i)
    scale += fabs(ls->m[i * n + i]);
  scale /= (double)n;
  double *a = coopt_xmalloc((size_t)(n * n) * sizeof(double));
  bool ok = false;
  /* Damping fallback: 0, then 1e-8 .. 1e2 of the mean diagonal, toward θ0. */
  for (int attempt = 0; attempt <= 11 && !ok && scale > 0; ++attempt) {
    double mu = attempt == 0 ? 0 : scale * pow(10.0, attempt - 9);
    memcpy(a, ls->m, (size_t)(n * n) * sizeof(double));
    for (int64_t i = 0; i < n; ++i) {
      a[i * n + i] += mu;
      theta[i] = ls->r[i] + mu * ls->theta0[i];
    }
    lapack_int info =
        LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, a, (lapack_int)n, theta, (lapack_int)n);
    ok = info == 0;
    for (int64_t i = 0; i < n && ok; ++i)
      ok = isfinite(theta[i]);
  }
  if (!ok)
    memcpy(theta, ls->theta0, (size_t)n * sizeof(double));
  free(a);
  return ok;
}

double cooptDampingOf(const double *hh, int64_t k1, double damp) {
  int64_t p = k1 - 1;
  double s = 0;
  for (int64_t i = 0; i < p; ++i)
    s += hh[i * k1 + i];
  return p > 0 ? damp * s / (double)p : 0;
}

/* ---- OBS ---- */

int64_t cooptObsUnits(const coopt_obs *o) { return (o->k1 - 1 + o->unit - 1) / o->unit; }

bool cooptObsInverse(const double *h, int64_t n, double lambda, double *hinv) {
  double scale = 0;
  for (int64_t i = 0; i < n; ++i)
    scale += fabs(h[i * n + i]);
  scale = scale > 0 ? scale / (double)n : 1;
  for (int attempt = 0; attempt <= 10; ++attempt) {
    double mu = lambda + (attempt == 0 ? 0 : scale * pow(10.0, attempt - 9));
    memcpy(hinv, h, (size_t)(n * n) * sizeof(double));
    for (int64_t i = 0; i < n; ++i)
      hinv[i * n + i] += mu;
    /* A symmetric matrix is its own transpose: column-major 'L' on the
     * row-major array is its upper triangle, with no transposed copies. */
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, hinv, (lapack_int)n) != 0 ||
        LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, hinv, (lapack_int)n) != 0)
      continue;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < i; ++j)
        hinv[i * n + j] = hinv[j * n + i];
    return true;
  }
  return false;
}

/* Cholesky of a small SPD matrix in place (lower, row-major); false if not SPD. */
static bool small_cholesky(double *a, int n) {
  for (int j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int k = 0; k < j; ++k)
      d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0))
      return false;
    d = sqrt(d);
    a[j * n + j] = d;
    for (int i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int k = 0; k < j; ++k)
        s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
    for (int i = 0; i < j; ++i)
      a[i * n + j] = 0;
  }
  return true;
}

/* x := L⁻¹ x for lower-triangular L (n x n). */
static void forward_solve(const double *l, int n, double *x) {
  for (int i = 0; i < n; ++i) {
    double s = x[i];
    for (int k = 0; k < i; ++k)
      s -= l[i * n + k] * x[k];
    x[i] = s / l[i * n + i];
  }
}

enum { OBS_MAX_UNIT = 64 };

bool cooptObsPrune(coopt_obs *o) {
  int64_t k1 = o->k1, p = k1 - 1, units = cooptObsUnits(o), U = o->unit;
  const double *hinv0 = o->hinv;
  /* H⁻¹ after removals = H⁻¹₀ - V Vᵀ with V = the downdate columns so far
   * (k1 x nv, column-major in v).  Only what saliency needs is kept up to
   * date: the diagonal blocks of the alive units. */
  int64_t max_v = o->remove * U + 1;
  double *v = coopt_xmalloc((size_t)(k1 * max_v) * sizeof(double));
  int64_t nv = 0;
  double *blocks = coopt_xmalloc((size_t)(units * U * U) * sizeof(double));
  for (int64_t u = 0; u < units; ++u) {
    int64_t c0 = u * U, n = c0 + U <= p ? U : p - c0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        blocks[u * U * U + i * n + j] = hinv0[(c0 + i) * k1 + c0 + j];
  }
  unsigned char *dead = coopt_xcalloc((size_t)units, 1);
  int *group_removed = NULL;
  int64_t ngroups = 0;
  if (o->nm_m > 0) {
    ngroups = (p + o->nm_m - 1) / o->nm_m;
    group_removed = coopt_xcalloc((size_t)ngroups, sizeof(int));
  }
  double *col = coopt_xmalloc((size_t)(k1 * U) * sizeof(double));
  double *l = coopt_xmalloc((size_t)(U * U) * sizeof(double));
  double *tmp = coopt_xmalloc((size_t)(U > o->rows ? U : o->rows) * U * sizeof(double) + sizeof(double));
  double total = 0;
  bool ok = true;
  for (int64_t step = 0; step < o->remove && ok; ++step) {
    /* Least saliency among the alive units that the N:M cap allows; units
     * already all zero cost nothing and go first. */
    int64_t best = -1;
    double best_s = INFINITY;
    for (int64_t u = 0; u < units; ++u) {
      if (dead[u])
        continue;
      int64_t c0 = u * U, n = c0 + U <= p ? U : p - c0;
      if (o->nm_m > 0) {
        int64_t g = c0 / o->nm_m, glen = (g + 1) * o->nm_m <= p ? o->nm_m : p - g * o->nm_m;
        int64_t cap = glen > o->nm_n ? glen - o->nm_n : 0;
        if (group_removed[g] >= cap)
          continue;
      }
      double s = 0;
      if (n == 1) {
        /* One weight: w² / [H⁻¹]_jj, summed over the rows. */
        double d = blocks[u * U * U];
        for (int64_t r = 0; r < o->rows && d > 0; ++r)
          s += o->w[r * k1 + c0] * o->w[r * k1 + c0] / d;
        if (s < best_s)
          best_s = s, best = u;
        continue;
      }
      memcpy(l, blocks + u * U * U, (size_t)(n * n) * sizeof(double));
      if (!small_cholesky(l, (int)n)) {
        s = 0; /* numerically dead already: free to remove */
      } else {
        for (int64_t r = 0; r < o->rows; ++r) {
          for (int64_t i = 0; i < n; ++i)
            tmp[i] = o->w[r * k1 + c0 + i];
          forward_solve(l, (int)n, tmp);
          for (int64_t i = 0; i < n; ++i)
            s += tmp[i] * tmp[i];
        }
      }
      if (s < best_s)
        best_s = s, best = u;
    }
    if (best < 0) {
      ok = false; /* the constraint leaves nothing to remove */
      break;
    }
    int64_t c0 = best * U, n = c0 + U <= p ? U : p - c0;
    /* Current columns H⁻¹[:, B] = H⁻¹₀[:, B] - V V[B, :]ᵀ. */
    for (int64_t i = 0; i < n; ++i) {
      /* Column c0 + i of a symmetric matrix is its row. */
      memcpy(col + i * k1, hinv0 + (c0 + i) * k1, (size_t)k1 * sizeof(double));
      if (nv > 0)
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)k1, (int)nv, -1.0, v, (int)k1, v + c0 + i, (int)k1, 1.0,
                    col + i * k1, 1);
    }
    /* S = H⁻¹[B, B] = L Lᵀ.  OBS update of every row:
     *   w -= H⁻¹[:, B] S⁻¹ w_B,  H⁻¹ -= H⁻¹[:, B] S⁻¹ H⁻¹[B, :],
     * the latter as n new downdate columns H⁻¹[:, B] L⁻ᵀ. */
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        l[i * n + j] = col[j * k1 + c0 + i];
    if (!small_cholesky(l, (int)n)) {
      /* Dead in all but name: zero it without an update. */
      for (int64_t r = 0; r < o->rows; ++r)
        for (int64_t i = 0; i < n; ++i)
          o->w[r * k1 + c0 + i] = 0;
    } else {
      for (int64_t r = 0; r < o->rows; ++r) {
        double *wr = o->w + r * k1;
        for (int64_t i = 0; i < n; ++i)
          tmp[i] = wr[c0 + i];
        forward_solve(l, (int)n, tmp);                  /* L⁻¹ w_B */
        for (int64_t i = (int64_t)n - 1; i >= 0; --i) { /* L⁻ᵀ (L⁻¹ w_B) = S⁻¹ w_B */
          double s = tmp[i];
          for (int64_t k = i + 1; k < n; ++k)
            s -= l[k * n + i] * tmp[k];
          tmp[i] = s / l[i * n + i];
        }
        for (int64_t i = 0; i < n; ++i)
          cblas_daxpy((int)k1, -tmp[i], col + i * k1, 1, wr, 1);
        for (int64_t i = 0; i < n; ++i)
          wr[c0 + i] = 0;
      }
      /* New downdate columns: V_new = col L⁻ᵀ, i.e. solve L Xᵀ = colᵀ. */
      for (int64_t rr = 0; rr < k1; ++rr) {
        for (int64_t i = 0; i < n; ++i)
          tmp[i] = col[i * k1 + rr];
        forward_solve(l, (int)n, tmp);
        for (int64_t i = 0; i < n; ++i)
          v[(nv + i) * k1 + rr] = tmp[i];
      }
      /* Diagonal blocks of the alive units lose V_new V_newᵀ. */
      for (int64_t u = 0; u < units; ++u) {
        if (dead[u] || u == best)
          continue;
        int64_t d0 = u * U, m = d0 + U <= p ? U : p - d0;
        double *bl = blocks + u * U * U;
        for (int64_t a = 0; a < m; ++a)
          for (int64_t b = 0; b < m; ++b) {
            double s = 0;
            for (int64_t i = 0; i < n; ++i)
              s += v[(nv + i) * k1 + d0 + a] * v[(nv + i) * k1 + d0 + b];
            bl[a * m + b] -= s;
          }
      }
      nv += n;
    }
    dead[best] = 1;
    if (o->nm_m > 0)
      group_removed[c0 / o->nm_m] += (int)n;
    total += 0.5 * (isfinite(best_s) ? best_s : 0);
    o->order[step] = best;
    if (o->loss)
      o->loss[step] = total;
  }
  free(v);
  free(blocks);
  free(dead);
  free(group_removed);
  free(col);
  free(l);
  free(tmp);
  return ok;
}
