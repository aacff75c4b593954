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

/* The greedy OBS walk's state.  H⁻¹ after removals = H⁻¹₀ - V Vᵀ with V
 * the downdate columns so far (k1 x nv, column-major in v).  Only what
 * saliency needs is kept up to date: the diagonal blocks of the alive
 * units. */
typedef struct obs_state {
  coopt_obs *o;
  int64_t k1, p, units, U;
  double *v, *blocks;
  int64_t nv;
  unsigned char *dead;
  int *group_removed; /* N:M: units removed per group of M */
  double *col, *l, *tmp;
} obs_state;

/* Unit u's columns: U of them, fewer for the last. */
static int64_t unit_width(const obs_state *st, int64_t u) {
  int64_t c0 = u * st->U;
  return c0 + st->U <= st->p ? st->U : st->p - c0;
}

static void obs_state_init(obs_state *st, coopt_obs *o) {
  st->o = o;
  st->k1 = o->k1, st->p = o->k1 - 1, st->units = cooptObsUnits(o), st->U = o->unit;
  int64_t k1 = st->k1, U = st->U, max_v = o->remove * U + 1;
  st->v = coopt_xmalloc((size_t)(k1 * max_v) * sizeof(double));
  st->nv = 0;
  st->blocks = coopt_xmalloc((size_t)(st->units * U * U) * sizeof(double));
  for (int64_t u = 0; u < st->units; ++u) {
    int64_t c0 = u * U, n = unit_width(st, u);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        st->blocks[u * U * U + i * n + j] = o->hinv[(c0 + i) * k1 + c0 + j];
  }
  st->dead = coopt_xcalloc((size_t)st->units, 1);
  st->group_removed = o->nm_m > 0 ? coopt_xcalloc((size_t)((st->p + o->nm_m - 1) / o->nm_m), sizeof(int)) : NULL;
  st->col = coopt_xmalloc((size_t)(k1 * U) * sizeof(double));
  st->l = coopt_xmalloc((size_t)(U * U) * sizeof(double));
  st->tmp = coopt_xmalloc((size_t)(U > o->rows ? U : o->rows) * U * sizeof(double) + sizeof(double));
}

static void obs_state_free(obs_state *st) {
  free(st->v);
  free(st->blocks);
  free(st->dead);
  free(st->group_removed);
  free(st->col);
  free(st->l);
  free(st->tmp);
}

/* Whether the N:M cap still lets unit u go. */
static bool nm_allows(const obs_state *st, int64_t u) {
  const coopt_obs *o = st->o;
  if (o->nm_m <= 0)
    return true;
  int64_t c0 = u * st->U, g = c0 / o->nm_m, glen = (g + 1) * o->nm_m <= st->p ? o->nm_m : st->p - g * o->nm_m;
  int64_t cap = glen > o->nm_n ? glen - o->nm_n : 0;
  return st->group_removed[g] < cap;
}

/* The loss of removing unit u: w_Bᵀ [H⁻¹]_BB⁻¹ w_B summed over the rows. */
static double unit_saliency(obs_state *st, int64_t u) {
  const coopt_obs *o = st->o;
  int64_t c0 = u * st->U, n = unit_width(st, u), k1 = st->k1;
  const double *block = st->blocks + u * st->U * st->U;
  double s = 0;
  if (n == 1) {
    /* One weight: w² / [H⁻¹]_jj, summed over the rows. */
    double d = block[0];
    for (int64_t r = 0; r < o->rows && d > 0; ++r)
      s += o->w[r * k1 + c0] * o->w[r * k1 + c0] / d;
    return s;
  }
  memcpy(st->l, block, (size_t)(n * n) * sizeof(double));
  if (!small_cholesky(st->l, (int)n))
    return 0; /* numerically dead already: free to remove */
  for (int64_t r = 0; r < o->rows; ++r) {
    for (int64_t i = 0; i < n; ++i)
      st->tmp[i] = o->w[r * k1 + c0 + i];
    forward_solve(st->l, (int)n, st->tmp);
    for (int64_t i = 0; i < n; ++i)
      s += st->tmp[i] * st->tmp[i];
  }
  return s;
}

/* Least saliency among the alive units that the N:M cap allows; units
 * already all zero cost nothing and go first.  -1 when none may go. */
static int64_t least_salient_unit(obs_state *st, double *best_s) {
  int64_t best = -1;
  *best_s = INFINITY;
  for (int64_t u = 0; u < st->units; ++u) {
    if (st->dead[u] || !nm_allows(st, u))
      continue;
    double s = unit_saliency(st, u);
    if (s < *best_s)
      *best_s = s, best = u;
  }
  return best;
}

/* OBS update of every row for removing columns B = [c0, c0 + n), with
 * col = H⁻¹[:, B] and l = chol(H⁻¹[B, B]):
 *   w -= H⁻¹[:, B] S⁻¹ w_B, then w_B = 0. */
static void update_rows(obs_state *st, int64_t c0, int64_t n) {
  const coopt_obs *o = st->o;
  int64_t k1 = st->k1;
  double *tmp = st->tmp, *l = st->l;
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
      cblas_daxpy((int)k1, -tmp[i], st->col + i * k1, 1, wr, 1);
    for (int64_t i = 0; i < n; ++i)
      wr[c0 + i] = 0;
  }
}

/* H⁻¹ -= H⁻¹[:, B] S⁻¹ H⁻¹[B, :], as n new downdate columns
 * V_new = col L⁻ᵀ (solving L Xᵀ = colᵀ); the diagonal blocks of the alive
 * units lose V_new V_newᵀ. */
static void downdate(obs_state *st, int64_t best, int64_t n) {
  int64_t k1 = st->k1, nv = st->nv;
  for (int64_t rr = 0; rr < k1; ++rr) {
    for (int64_t i = 0; i < n; ++i)
      st->tmp[i] = st->col[i * k1 + rr];
    forward_solve(st->l, (int)n, st->tmp);
    for (int64_t i = 0; i < n; ++i)
      st->v[(nv + i) * k1 + rr] = st->tmp[i];
  }
  for (int64_t u = 0; u < st->units; ++u) {
    if (st->dead[u] || u == best)
      continue;
    int64_t d0 = u * st->U, m = unit_width(st, u);
    double *bl = st->blocks + u * st->U * st->U;
    for (int64_t a = 0; a < m; ++a)
      for (int64_t b = 0; b < m; ++b) {
        double s = 0;
        for (int64_t i = 0; i < n; ++i)
          s += st->v[(nv + i) * k1 + d0 + a] * st->v[(nv + i) * k1 + d0 + b];
        bl[a * m + b] -= s;
      }
  }
  st->nv += n;
}

/* Remove unit `best`: zero its weights and update the rest. */
static void remove_unit(obs_state *st, int64_t best) {
  const coopt_obs *o = st->o;
  int64_t k1 = st->k1, c0 = best * st->U, n = unit_width(st, best);
  /* Current columns H⁻¹[:, B] = H⁻¹₀[:, B] - V V[B, :]ᵀ. */
  for (int64_t i = 0; i < n; ++i) {
    /* Column c0 + i of a symmetric matrix is its row. */
    memcpy(st->col + i * k1, o->hinv + (c0 + i) * k1, (size_t)k1 * sizeof(double));
    if (st->nv > 0)
      cblas_dgemv(CblasColMajor, CblasNoTrans, (int)k1, (int)st->nv, -1.0, st->v, (int)k1, st->v + c0 + i, (int)k1, 1.0,
                  st->col + i * k1, 1);
  }
  /* S = H⁻¹[B, B] = L Lᵀ. */
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      st->l[i * n + j] = st->col[j * k1 + c0 + i];
  if (!small_cholesky(st->l, (int)n)) {
    /* Dead in all but name: zero it without an update. */
    for (int64_t r = 0; r < o->rows; ++r)
      for (int64_t i = 0; i < n; ++i)
        o->w[r * k1 + c0 + i] = 0;
  } else {
    update_rows(st, c0, n);
    downdate(st, best, n);
  }
  st->dead[best] = 1;
  if (o->nm_m > 0)
    st->group_removed[c0 / o->nm_m] += (int)n;
}

bool cooptObsPrune(coopt_obs *o) {
  obs_state st;
  obs_state_init(&st, o);
  double total = 0;
  bool ok = true;
  for (int64_t step = 0; step < o->remove; ++step) {
    double best_s;
    int64_t best = least_salient_unit(&st, &best_s);
    if (best < 0) {
      ok = false; /* the constraint leaves nothing to remove */
      break;
    }
    remove_unit(&st, best);
    total += 0.5 * (isfinite(best_s) ? best_s : 0);
    o->order[step] = best;
    if (o->loss)
      o->loss[step] = total;
  }
  obs_state_free(&st);
  return ok;
}
