/*
 * The linear algebra of layer-wise reconstruction (OBS / OBC / SparseGPT
 * family), over the grams of lib/Analysis/Gram.h.
 *
 * Least squares.  The weights a pass may change are parametrised by a few
 * variables θ: an entry of a row (weights + bias, length k1) is either a
 * variable, w_i = θ[map[i]], or fixed at its current value (a pruned zero, a
 * bias that cannot change).  A clustered row maps every weight of one
 * centroid to the same variable, so refitting θ moves the codebook and keeps
 * the assignment; a tensor clustered as a whole shares θ across rows.  The
 * objective of a set of rows is
 *   Σ_rows |Â w - A w_ref|²  +  λ Σ_free (w_i - w0_i)²,
 * a Tikhonov term that pulls each variable toward where it started (w0), so a
 * direction the data does not see keeps its old value instead of collapsing
 * to zero.  Normal equations are solved by Cholesky (LAPACK dposv); a matrix
 * that is not positive definite gets more damping, never a NaN.
 *
 * OBS pruning.  Greedy removal with exact Optimal Brain Surgeon updates
 * (OBC's algorithm): remove the unit of least saliency w_Bᵀ [(H⁻¹)_BB]⁻¹ w_B
 * (w_j² / [H⁻¹]_jj for one weight), update the remaining weights and H⁻¹,
 * repeat.  Units are single weights or blocks of consecutive reduction
 * columns shared by a group of rows (RxC blocks); an N:M constraint caps the
 * removals in each group of M columns.
 */
#ifndef COOPT_LIB_ANALYSIS_LAYER_SOLVE_H
#define COOPT_LIB_ANALYSIS_LAYER_SOLVE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct coopt_ls {
  int64_t n;
  double *m, *r;  /* n x n normal matrix (full), right-hand side */
  double *theta0; /* where each variable starts */
} coopt_ls;

void cooptLsInit(coopt_ls *ls, int64_t n);
void cooptLsFree(coopt_ls *ls);
/* Add one row: the gram hh (k1 x k1) of its group, its target rhs (Âᵀ of
 * the float outputs, Analysis/Gram.h), its current row w0 and the variable
 * of each entry (map[i] < 0: fixed). */
void cooptLsAddRow(coopt_ls *ls, const double *hh, const double *rhs, int64_t k1, const double *w0, const int32_t *map,
                   double lambda);
/* θ minimising the accumulated objective.  False only if the matrix stays
 * singular after the damping fallback (then θ = θ0). */
bool cooptLsSolve(const coopt_ls *ls, double *theta);

/* The damping λ = damp * mean(diag hh) over the weight entries (bias left
 * out: its diagonal is the row count, not an activation energy). */
double cooptDampingOf(const double *hh, int64_t k1, double damp);

typedef struct coopt_obs {
  const double *hinv; /* k1 x k1: (H + λI)⁻¹ of the float inputs' gram, bias last (cooptObsInverse) */
  int64_t k1;
  double *w; /* rows x k1, updated as OBS does (zeros where removed) */
  int64_t rows;
  int64_t unit;   /* reduction columns per unit (the last unit may be shorter) */
  int nm_n, nm_m; /* N:M: keep at least nm_n of every nm_m columns (0 = no constraint) */
  int64_t remove; /* units to remove, counting units that are already all zero */
  int64_t *order; /* out: units in removal order (remove entries) */
  double *loss;   /* out, may be NULL: cumulative loss increase after each removal */
} coopt_obs;

/* (H + λI)⁻¹ into hinv (k1 x k1, full), by Cholesky; one per gram, shared
 * by all the rows that read it.  More damping when needed; false when even
 * that fails. */
bool cooptObsInverse(const double *h, int64_t k1, double lambda, double *hinv);
/* Units of a row: ceil(patch / unit) with patch = k1 - 1. */
int64_t cooptObsUnits(const coopt_obs *o);
/* Run the greedy removal.  False when the N:M constraint leaves nothing to
 * remove (o->order then undefined). */
bool cooptObsPrune(coopt_obs *o);

#endif
