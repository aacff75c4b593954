/*
 * Layer-wise second moments of a weight layer's inputs, for post-training
 * recovery (coopt-recover) and for the data-driven modes of coopt-prune
 * (OBS saliency) and coopt-cluster (Hessian-weighted k-means).
 *
 * A layer computes, for every output position, one dot product per output
 * channel between a row of its weights and a "patch" of its input: for
 * conv2d the kh x kw x ic window (im2col), for depthwise_conv2d the kh x kw
 * window of one channel, for matmul one row of A.  Patches are laid out in
 * the canonical reduction order of lib/Analysis/Weights.h ((kh, kw, ic) with
 * ic innermost), followed by a constant 1 for the bias, so a weight row with
 * its bias appended is a vector of the same length k1 = patch + 1.
 *
 * With A the patches of the float model's inputs and Â those of the model
 * being recovered, and w_r the float row r (weights + bias), the pass needs
 *   hh    = ÂᵀÂ                 (k1 x k1 per group, in double)
 *   rhs_r = Âᵀ (A w_r)           (k1 per row: the float outputs seen from Â)
 *   e_r   = |A w_r|²             (the float output energy of row r)
 * and the squared output error of a row ŵ is
 *   |Â ŵ - A w_r|² = ŵᵀ hh ŵ - 2 ŵ·rhs_r + e_r.
 * Forming A w_r first (one GEMM with the float rows) costs rows x k1 x
 * channels instead of the rows x k1² of a cross gram ÂᵀA.  Depthwise layers
 * have one hh per input channel ("group"); the output channels
 * c*M .. c*M+M-1 read group c.
 */
#ifndef COOPT_LIB_ANALYSIS_GRAM_H
#define COOPT_LIB_ANALYSIS_GRAM_H

#include "Analysis/Weights.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct coopt_layer_geom {
  coopt_weight_op op;
  int64_t ih, iw, ic; /* input per sample, NHWC (matmul: ih rows of ic values, iw = 1) */
  int64_t oh, ow, oc; /* outputs per sample (matmul: oh rows, ow = 1, oc columns) */
  int64_t kh, kw;
  int64_t stride[2], dilation[2];
  int64_t pad[4];     /* top, bottom, left, right */
  int64_t multiplier; /* depthwise channel multiplier (1 otherwise) */
  int64_t groups;     /* 1, or ic for depthwise */
  int64_t patch;      /* reduction length of one row */
} coopt_layer_geom;

/* How `op` (conv2d, depthwise_conv2d or matmul with a constant B of batch 1)
 * reads its operand 0, whose leading dimension(s) hold `batch` samples.
 * False with a reason otherwise. */
bool cooptLayerGeometry(MlirOperation op, int64_t batch, coopt_layer_geom *g, char *why, size_t why_size);
/* Input elements per sample. */
int64_t cooptLayerInputElements(const coopt_layer_geom *g);
/* Output positions (rows of patches) per sample and group. */
int64_t cooptLayerPositions(const coopt_layer_geom *g);
/* The group an output channel (canonical row) reads. */
int64_t cooptLayerGroupOf(const coopt_layer_geom *g, int64_t row);

/* Patches [p0, p1) of one sample (group `group`), each followed by 1.0:
 * (p1 - p0) x k1 doubles into rows. */
void cooptLayerPatches(const coopt_layer_geom *g, const float *sample, int64_t group, int64_t p0, int64_t p1,
                       double *rows);

typedef struct coopt_gram {
  int64_t groups, k1;
  double *hh;      /* groups x k1 x k1, full symmetric */
  int64_t targets; /* weight rows with a float target (0: hh only) */
  double *wref;    /* targets x k1: the float rows */
  double *rhs;     /* targets x k1 */
  double *energy;  /* targets */
  int64_t rows;    /* patch rows accumulated per group */
} coopt_gram;

/* hh only (the float inputs' own gram, for OBS and weighted k-means). */
void cooptGramInit(coopt_gram *gr, const coopt_layer_geom *g);
/* hh of Â plus the targets of the float rows wref (rows x k1, copied). */
void cooptGramInitTargets(coopt_gram *gr, const coopt_layer_geom *g, const double *wref, int64_t rows);
/* Add `count` samples: xhat (the inputs of the model being recovered) and,
 * with targets, x (the float model's), each count x
 * cooptLayerInputElements. */
void cooptGramAccumulate(coopt_gram *gr, const coopt_layer_geom *g, const float *xhat, const float *x, int64_t count);
/* Mirror the accumulated upper triangles; call once after accumulating. */
void cooptGramFinish(coopt_gram *gr);
void cooptGramFree(coopt_gram *gr);
const double *cooptGramHH(const coopt_gram *gr, int64_t group);
/* wᵀ hh w for one group. */
double cooptGramQuad(const coopt_gram *gr, int64_t group, const double *w);
/* Squared error of w (length k1) against the float row `row`. */
double cooptGramRowError(const coopt_gram *gr, const coopt_layer_geom *g, int64_t row, const double *w);

/* For a layer whose output goes through clamp(lo, hi) (a ReLU): one pass
 * over the data with the rows w (targets x k1).  Returns the squared error
 * after the clamp, |clamp(Â w) - clamp(A w_ref)|², and the float energy
 * |clamp(A w_ref)|² in *energy.  With retarget, rhs and energy become those
 * of the majorising targets t = A w_ref where the float output is inside
 * (lo, hi) and, where it is clipped, the prediction itself clipped to that
 * side (min(Â w, lo) below, max(Â w, hi) above): |Â w' - t|² bounds the
 * clamped error from above and touches it at w, so minimising it cannot
 * make the clamped error worse (majorisation-minimisation). */
double cooptGramClampPass(coopt_gram *gr, const coopt_layer_geom *g, const float *xhat, const float *x, int64_t count,
                          const double *w, double lo, double hi, bool retarget, double *energy);

#endif
