/*
 * The channel-order search of Analysis/ChannelPermute.h.
 *
 * Evaluating a swap must be cheap: a pass tries every channel against every
 * channel of another group, on every row.  A swap changes two groups of a
 * row, so for N:M only those two groups' best-N sums change.  For blocks the
 * row keeps its `keep` largest group sums; with the row's sums sorted (and
 * their prefix sums), the top-`keep` sum after two of them change is
 *   max over j in {0, 1, 2} of  P(keep - j) + (the j larger new sums),
 * P(m) being the sum of the m largest unchanged sums, read off the sorted
 * row by skipping the two changed entries: O(1) per row and swap.
 */
#include "Analysis/ChannelPermute.h"
#include "Support/Support.h"

#include <stdlib.h>

/* Sum of the n largest of x[0..len) (n <= 64). */
static double top_n_sum(const double *x, int64_t len, int n) {
  double best[64];
  int have = 0;
  for (int64_t i = 0; i < len; ++i) {
    int k;
    if (have < n)
      k = have++;
    else if (x[i] > best[n - 1])
      k = n - 1;
    else
      continue;
    while (k > 0 && best[k - 1] < x[i]) {
      best[k] = best[k - 1];
      --k;
    }
    best[k] = x[i];
  }
  double s = 0;
  for (int k = 0; k < have; ++k)
    s += best[k];
  return s;
}

/* Sum of the k largest of x[0..n) (any n; partial selection). */
static double top_n_sum_long(double *x, int64_t n, int64_t k) {
  double s = 0;
  for (int64_t i = 0; i < k && i < n; ++i) {
    int64_t best = i;
    for (int64_t q = i + 1; q < n; ++q)
      if (x[q] > x[best])
        best = q;
    double t = x[i];
    x[i] = x[best];
    x[best] = t;
    s += x[i];
  }
  return s;
}

/* The search works on columns: every array below is [position or group]
 * x [rows], so the inner loop of a swap's gain runs down contiguous rows. */
typedef struct search_state {
  const coopt_permute_problem *p;
  int64_t rows, ng, keep;
  int64_t *perm;
  double *col;          /* [C][rows]: importance of the channel at each position */
  double *sum;          /* [ng][rows]: block sum, or N:M best-N sum */
  double *nth, *next;   /* N:M [ng][rows]: N-th and (N+1)-th largest of the group */
  unsigned char *intop; /* N:M [C][rows]: the position is among its group's best N */
  int64_t *rank;        /* blocks [ng][rows]: sorted position of the group in its row */
  double *win;          /* blocks [5][rows]: prefix sums of the sorted row at keep-2 .. keep+2 */
  int64_t *order;       /* blocks [rows][ng]: groups sorted by sum, descending */
} search_state;

/* N:M: best-N sum of group g on row r, its N-th and (N+1)-th values and
 * which positions make the best N (ties: the lower position). */
static void refresh_nm(search_state *st, int64_t r, int64_t g) {
  const coopt_permute_problem *p = st->p;
  int64_t M = p->group, R = st->rows;
  double x[64];
  int64_t idx[64];
  for (int64_t k = 0; k < M; ++k) {
    x[k] = st->col[(g * M + k) * R + r];
    idx[k] = k;
  }
  for (int64_t k = 1; k < M; ++k) { /* stable sort by value, descending */
    int64_t t = idx[k], q = k;
    while (q > 0 && x[idx[q - 1]] < x[t]) {
      idx[q] = idx[q - 1];
      --q;
    }
    idx[q] = t;
  }
  double sum = 0;
  for (int64_t k = 0; k < M; ++k) {
    st->intop[(g * M + idx[k]) * R + r] = k < p->nm_n;
    if (k < p->nm_n)
      sum += x[idx[k]];
  }
  st->sum[g * R + r] = sum;
  st->nth[g * R + r] = x[idx[p->nm_n - 1]];
  st->next[g * R + r] = x[idx[p->nm_n]];
}

/* Blocks: the sum of group g on row r. */
static void refresh_block(search_state *st, int64_t r, int64_t g) {
  int64_t c = st->p->group, R = st->rows;
  double s = 0;
  for (int64_t k = 0; k < c; ++k)
    s += st->col[(g * c + k) * R + r];
  st->sum[g * R + r] = s;
}

/* Blocks: re-sort row r after group sums changed (insertion sort: two
 * entries moved), then its ranks and prefix window. */
static void sort_row(search_state *st, int64_t r) {
  int64_t n = st->ng, R = st->rows, *id = st->order + r * n;
  const double *sum = st->sum;
  for (int64_t i = 1; i < n; ++i) {
    int64_t g = id[i], k = i;
    while (k > 0 &&
           (sum[id[k - 1] * R + r] < sum[g * R + r] || (sum[id[k - 1] * R + r] == sum[g * R + r] && id[k - 1] > g))) {
      id[k] = id[k - 1];
      --k;
    }
    id[k] = g;
  }
  double prefix = 0;
  for (int64_t i = 0; i <= n; ++i) {
    int64_t w = i - (st->keep - 2);
    if (w >= 0 && w < 5)
      st->win[w * R + r] = prefix;
    if (i < n) {
      st->rank[id[i] * R + r] = i;
      prefix += sum[id[i] * R + r];
    }
  }
}

static void refresh(search_state *st, int64_t r, int64_t a, int64_t b) {
  if (st->p->nm_n > 0) {
    refresh_nm(st, r, a);
    refresh_nm(st, r, b);
  } else {
    refresh_block(st, r, a);
    refresh_block(st, r, b);
    sort_row(st, r);
  }
}

/* N:M: best-N sum of a group after value x (flag: among the best N) leaves
 * and y comes in. */
static inline double nm_after(double best, double nth, double next, double x, bool top, double y) {
  double keep_n = top ? best - x + next : best, keep_n1 = top ? best - x : best - nth;
  return keep_n > keep_n1 + y ? keep_n : keep_n1 + y;
}

/* Change of the kept importance when positions i and j trade channels. */
static double swap_gain(const search_state *st, int64_t i, int64_t j) {
  const coopt_permute_problem *p = st->p;
  int64_t R = st->rows, a = i / p->group, b = j / p->group, ng = st->ng, keep = st->keep;
  const double *ci = st->col + i * R, *cj = st->col + j * R, *sa = st->sum + a * R, *sb = st->sum + b * R;
  double gain = 0;
  if (p->nm_n > 0) {
    const double *na = st->nth + a * R, *nb = st->nth + b * R, *xa = st->next + a * R, *xb = st->next + b * R;
    const unsigned char *ti = st->intop + i * R, *tj = st->intop + j * R;
    for (int64_t r = 0; r < R; ++r)
      gain += nm_after(sa[r], na[r], xa[r], ci[r], ti[r], cj[r]) + nm_after(sb[r], nb[r], xb[r], cj[r], tj[r], ci[r]) -
              sa[r] - sb[r];
    return gain;
  }
  const int64_t *ra = st->rank + a * R, *rb = st->rank + b * R;
  const double *w0 = st->win, *w1 = w0 + R, *w2 = w1 + R, *w3 = w2 + R, *w4 = w3 + R;
  /* Which of P(keep), P(keep - 1), P(keep - 2) exist is the same on every
   * row; the loop body is branch-free (selects), one row per iteration. */
  bool has0 = keep <= ng - 2, has1 = keep - 1 >= 0 && keep - 1 <= ng - 2, has2 = keep - 2 >= 0;
  for (int64_t r = 0; r < R; ++r) {
    double A = sa[r], B = sb[r], na = A - ci[r] + cj[r], nb = B - cj[r] + ci[r], hi = na > nb ? na : nb;
    int64_t lo_r = ra[r] < rb[r] ? ra[r] : rb[r], hi_r = ra[r] < rb[r] ? rb[r] : ra[r];
    double best = -1e300;
    for (int take = 0; take <= 2; ++take) {
      /* P(m): the m largest unchanged sums, skipping sorted positions lo_r, hi_r. */
      int64_t m = keep - take, e = m + (lo_r < m);
      e += hi_r < e;
      int64_t k = e - (keep - 2);
      double w = k == 0 ? w0[r] : k == 1 ? w1[r] : k == 2 ? w2[r] : k == 3 ? w3[r] : w4[r];
      double v = w - (ra[r] < e ? A : 0) - (rb[r] < e ? B : 0) + (take == 0 ? 0 : take == 1 ? hi : na + nb);
      bool has = take == 0 ? has0 : take == 1 ? has1 : has2;
      best = has && v > best ? v : best;
    }
    gain += best - w2[r];
  }
  return gain;
}

static void swap_positions(search_state *st, int64_t i, int64_t j) {
  int64_t t = st->perm[i], R = st->rows;
  st->perm[i] = st->perm[j];
  st->perm[j] = t;
  for (int64_t r = 0; r < R; ++r) {
    double x = st->col[i * R + r];
    st->col[i * R + r] = st->col[j * R + r];
    st->col[j * R + r] = x;
  }
  for (int64_t r = 0; r < R; ++r)
    refresh(st, r, i / st->p->group, j / st->p->group);
}

double cooptPermuteKept(const coopt_permute_problem *p, const int64_t *perm) {
  int64_t ng = p->channels / p->group;
  double kept = 0, *sums = coopt_xmalloc((size_t)(ng + 1) * sizeof(double)), x[64];
  for (int64_t r = 0; r < p->rows; ++r) {
    const double *row = p->s + r * p->channels;
    for (int64_t g = 0; g < ng; ++g) {
      for (int64_t k = 0; k < p->group; ++k)
        x[k] = row[perm[g * p->group + k]];
      sums[g] = top_n_sum(x, p->group, p->nm_n > 0 ? p->nm_n : (int)p->group);
    }
    if (p->nm_n > 0)
      for (int64_t g = 0; g < ng; ++g)
        kept += sums[g];
    else
      kept += top_n_sum_long(sums, ng, p->keep);
  }
  free(sums);
  return kept;
}

void cooptPermuteSearch(const coopt_permute_problem *p, int max_passes, int64_t *perm, double *before, double *after) {
  int64_t C = p->channels, ng = C / p->group, R = p->rows;
  for (int64_t k = 0; k < C; ++k)
    perm[k] = k;
  *before = *after = cooptPermuteKept(p, perm);
  bool blocks = p->nm_n == 0;
  if (ng < 2 || R == 0 || (blocks && (p->keep <= 0 || p->keep >= ng)) || (!blocks && p->nm_n >= p->group))
    return;
  search_state st = {.p = p, .rows = R, .ng = ng, .keep = p->keep, .perm = perm};
  st.col = coopt_xmalloc((size_t)(C * R) * sizeof(double));
  st.sum = coopt_xmalloc((size_t)(ng * R) * sizeof(double));
  for (int64_t k = 0; k < C; ++k)
    for (int64_t r = 0; r < R; ++r)
      st.col[k * R + r] = p->s[r * C + k];
  if (blocks) {
    st.rank = coopt_xmalloc((size_t)(ng * R) * sizeof(int64_t));
    st.win = coopt_xcalloc((size_t)(5 * R), sizeof(double));
    st.order = coopt_xmalloc((size_t)(ng * R) * sizeof(int64_t));
    for (int64_t r = 0; r < R; ++r) {
      for (int64_t g = 0; g < ng; ++g) {
        st.order[r * ng + g] = g;
        refresh_block(&st, r, g);
      }
      sort_row(&st, r);
    }
  } else {
    st.nth = coopt_xmalloc((size_t)(ng * R) * sizeof(double));
    st.next = coopt_xmalloc((size_t)(ng * R) * sizeof(double));
    st.intop = coopt_xmalloc((size_t)(C * R));
    for (int64_t r = 0; r < R; ++r)
      for (int64_t g = 0; g < ng; ++g)
        refresh_nm(&st, r, g);
  }
  /* A swap must gain more than rounding could fake. */
  double tol = 1e-12 * (*before > 0 ? *before : 1);
  for (int pass = 0; pass < max_passes; ++pass) {
    bool moved = false;
    for (int64_t i = 0; i < C; ++i) {
      int64_t best_j = -1;
      double best = tol;
      for (int64_t j = 0; j < C; ++j) {
        if (j / p->group == i / p->group)
          continue;
        double g = swap_gain(&st, i, j);
        if (g > best) {
          best = g;
          best_j = j;
        }
      }
      if (best_j >= 0) {
        swap_positions(&st, i, best_j);
        moved = true;
      }
    }
    if (!moved)
      break;
  }
  *after = cooptPermuteKept(p, perm);
  free(st.col), free(st.sum), free(st.rank), free(st.win), free(st.order);
  free(st.nth), free(st.next), free(st.intop);
}
