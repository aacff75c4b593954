#include "Analysis/Gram.h"
#include "IR/Build.h"
#include "Support/Support.h"

#include <cblas.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Patch rows handed to BLAS at a time: bounds the scratch memory (8 MiB of
 * doubles) whatever the image size. */
enum { GRAM_CHUNK_DOUBLES = 1 << 20 };

static bool i64_array(MlirOperation op, const char *name, int n, int64_t *out) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseI64Array(a) || mlirDenseArrayGetNumElements(a) != n)
    return false;
  for (int i = 0; i < n; ++i)
    out[i] = mlirDenseI64ArrayGetElement(a, i);
  return true;
}

static bool static_dims(MlirValue v, int rank, int64_t *dims) {
  MlirType t = mlirValueGetType(v);
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t) || mlirShapedTypeGetRank(t) != rank)
    return false;
  for (int i = 0; i < rank; ++i)
    dims[i] = mlirShapedTypeGetDimSize(t, i);
  return true;
}

bool cooptLayerGeometry(MlirOperation op, int64_t batch, coopt_layer_geom *g, char *why, size_t why_size) {
  memset(g, 0, sizeof *g);
  g->stride[0] = g->stride[1] = g->dilation[0] = g->dilation[1] = 1;
  g->multiplier = g->groups = 1;
  g->kh = g->kw = 1;
  int64_t in[4], w[4], out[4];
  bool conv = cooptOpIs(op, "tosa.conv2d"), dw = cooptOpIs(op, "tosa.depthwise_conv2d");
  if (conv || dw) {
    g->op = conv ? COOPT_WOP_CONV2D : COOPT_WOP_DEPTHWISE_CONV2D;
    if (!static_dims(mlirOperationGetOperand(op, 0), 4, in) || !static_dims(mlirOperationGetOperand(op, 1), 4, w) ||
        !static_dims(mlirOperationGetResult(op, 0), 4, out) || !i64_array(op, "pad", 4, g->pad) ||
        !i64_array(op, "stride", 2, g->stride) || !i64_array(op, "dilation", 2, g->dilation)) {
      snprintf(why, why_size, "has a dynamic shape or unreadable pad/stride/dilation");
      return false;
    }
    if (in[0] != batch) {
      snprintf(why, why_size, "reads %lld images per run, not the model's batch of %lld", (long long)in[0],
               (long long)batch);
      return false;
    }
    g->ih = in[1], g->iw = in[2], g->ic = in[3];
    g->oh = out[1], g->ow = out[2], g->oc = out[3];
    if (conv) {
      g->kh = w[1], g->kw = w[2];
      g->patch = w[1] * w[2] * w[3];
    } else {
      g->kh = w[0], g->kw = w[1], g->multiplier = w[3], g->groups = w[2];
      g->patch = w[0] * w[1];
    }
    return true;
  }
  if (cooptOpIs(op, "tosa.matmul")) {
    g->op = COOPT_WOP_MATMUL;
    if (!static_dims(mlirOperationGetOperand(op, 0), 3, in) || !static_dims(mlirOperationGetOperand(op, 1), 3, w)) {
      snprintf(why, why_size, "has a dynamic shape");
      return false;
    }
    if (in[0] != 1 || w[0] != 1) {
      snprintf(why, why_size, "is a batched matmul (%lld weight matrices)", (long long)w[0]);
      return false;
    }
    if (in[1] % batch != 0) {
      snprintf(why, why_size, "has %lld rows, not a multiple of the model's batch of %lld", (long long)in[1],
               (long long)batch);
      return false;
    }
    g->ih = g->oh = in[1] / batch;
    g->iw = g->ow = 1;
    g->ic = in[2];
    g->oc = w[2];
    g->patch = in[2];
    return true;
  }
  snprintf(why, why_size, "is not a conv2d, depthwise_conv2d or matmul");
  return false;
}

int64_t cooptLayerInputElements(const coopt_layer_geom *g) { return g->ih * g->iw * g->ic; }

int64_t cooptLayerPositions(const coopt_layer_geom *g) { return g->oh * g->ow; }

int64_t cooptLayerGroupOf(const coopt_layer_geom *g, int64_t row) { return g->groups == 1 ? 0 : row / g->multiplier; }

void cooptLayerPatches(const coopt_layer_geom *g, const float *x, int64_t group, int64_t p0, int64_t p1, double *rows) {
  int64_t k1 = g->patch + 1;
  for (int64_t p = p0; p < p1; ++p) {
    double *r = rows + (p - p0) * k1;
    if (g->op == COOPT_WOP_MATMUL) {
      for (int64_t i = 0; i < g->ic; ++i)
        r[i] = x[p * g->ic + i];
    } else {
      int64_t oy = p / g->ow, ox = p % g->ow, j = 0;
      bool dw = g->op == COOPT_WOP_DEPTHWISE_CONV2D;
      for (int64_t ky = 0; ky < g->kh; ++ky) {
        int64_t iy = oy * g->stride[0] - g->pad[0] + ky * g->dilation[0];
        for (int64_t kx = 0; kx < g->kw; ++kx) {
          int64_t ix = ox * g->stride[1] - g->pad[2] + kx * g->dilation[1];
          bool inside = iy >= 0 && iy < g->ih && ix >= 0 && ix < g->iw;
          const float *px = inside ? x + (iy * g->iw + ix) * g->ic : NULL;
          if (dw) {
            r[j++] = inside ? px[group] : 0.0;
          } else {
            for (int64_t c = 0; c < g->ic; ++c)
              r[j++] = inside ? px[c] : 0.0;
          }
        }
      }
    }
    r[g->patch] = 1.0;
  }
}

void cooptGramInit(coopt_gram *gr, const coopt_layer_geom *g) {
  memset(gr, 0, sizeof *gr);
  gr->groups = g->groups;
  gr->k1 = g->patch + 1;
  gr->hh = coopt_xcalloc((size_t)(gr->groups * gr->k1 * gr->k1), sizeof(double));
}

void cooptGramInitTargets(coopt_gram *gr, const coopt_layer_geom *g, const double *wref, int64_t rows) {
  cooptGramInit(gr, g);
  gr->targets = rows;
  gr->wref = coopt_xmalloc((size_t)(rows * gr->k1) * sizeof(double));
  memcpy(gr->wref, wref, (size_t)(rows * gr->k1) * sizeof(double));
  gr->rhs = coopt_xcalloc((size_t)(rows * gr->k1), sizeof(double));
  gr->energy = coopt_xcalloc((size_t)rows, sizeof(double));
}

/* Output positions per im2col block: a bounded buffer of patches. */
static int64_t gram_chunk(int64_t k1, int64_t positions) {
  int64_t chunk = GRAM_CHUNK_DOUBLES / k1;
  if (chunk < 1)
    chunk = 1;
  return chunk > positions ? positions : chunk;
}

void cooptGramAccumulate(coopt_gram *gr, const coopt_layer_geom *g, const float *xhat, const float *x, int64_t count) {
  int64_t k1 = gr->k1, positions = cooptLayerPositions(g), per = cooptLayerInputElements(g);
  int64_t chunk = gram_chunk(k1, positions);
  /* Output channels per group: all of them, or the depthwise multiplier. */
  int64_t per_group = gr->groups == 1 ? gr->targets : g->multiplier;
  double *a = coopt_xmalloc((size_t)(chunk * k1) * sizeof(double));
  double *b = gr->targets ? coopt_xmalloc((size_t)(chunk * k1) * sizeof(double)) : NULL;
  double *y = gr->targets ? coopt_xmalloc((size_t)(chunk * per_group) * sizeof(double)) : NULL;
  for (int64_t s = 0; s < count; ++s)
    for (int64_t grp = 0; grp < gr->groups; ++grp) {
      double *hh = gr->hh + grp * k1 * k1;
      for (int64_t p0 = 0; p0 < positions; p0 += chunk) {
        int64_t p1 = p0 + chunk < positions ? p0 + chunk : positions, n = p1 - p0;
        cooptLayerPatches(g, xhat + s * per, grp, p0, p1, a);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)k1, (int)n, 1.0, a, (int)k1, 1.0, hh, (int)k1);
        if (!gr->targets)
          continue;
        /* Y = A W_gᵀ (n x per_group), then rhs_g += Yᵀ Â and e_g += |Y|². */
        int64_t r0 = grp * per_group;
        cooptLayerPatches(g, x + s * per, grp, p0, p1, b);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)per_group, (int)k1, 1.0, b, (int)k1,
                    gr->wref + r0 * k1, (int)k1, 0.0, y, (int)per_group);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)per_group, (int)k1, (int)n, 1.0, y, (int)per_group, a,
                    (int)k1, 1.0, gr->rhs + r0 * k1, (int)k1);
        for (int64_t r = 0; r < per_group; ++r)
          gr->energy[r0 + r] += cblas_ddot((int)n, y + r, (int)per_group, y + r, (int)per_group);
      }
    }
  gr->rows += count * positions;
  free(a);
  free(b);
  free(y);
}

void cooptGramFinish(coopt_gram *gr) {
  for (int64_t grp = 0; grp < gr->groups; ++grp) {
    double *m = gr->hh + grp * gr->k1 * gr->k1;
    for (int64_t i = 0; i < gr->k1; ++i)
      for (int64_t j = 0; j < i; ++j)
        m[i * gr->k1 + j] = m[j * gr->k1 + i];
  }
}

void cooptGramFree(coopt_gram *gr) {
  free(gr->hh);
  free(gr->wref);
  free(gr->rhs);
  free(gr->energy);
  memset(gr, 0, sizeof *gr);
}

const double *cooptGramHH(const coopt_gram *gr, int64_t group) { return gr->hh + group * gr->k1 * gr->k1; }

double cooptGramQuad(const coopt_gram *gr, int64_t group, const double *w) {
  int64_t k1 = gr->k1;
  double *t = coopt_xmalloc((size_t)k1 * sizeof(double));
  cblas_dsymv(CblasRowMajor, CblasUpper, (int)k1, 1.0, cooptGramHH(gr, group), (int)k1, w, 1, 0.0, t, 1);
  double q = cblas_ddot((int)k1, w, 1, t, 1);
  free(t);
  return q;
}

double cooptGramRowError(const coopt_gram *gr, const coopt_layer_geom *g, int64_t row, const double *w) {
  double e = cooptGramQuad(gr, cooptLayerGroupOf(g, row), w) -
             2 * cblas_ddot((int)gr->k1, w, 1, gr->rhs + row * gr->k1, 1) + gr->energy[row];
  return e > 0 ? e : 0;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

double cooptGramClampPass(coopt_gram *gr, const coopt_layer_geom *g, const float *xhat, const float *x, int64_t count,
                          const double *w, double lo, double hi, bool retarget, double *energy) {
  int64_t k1 = gr->k1, positions = cooptLayerPositions(g), per = cooptLayerInputElements(g);
  int64_t chunk = gram_chunk(k1, positions);
  int64_t per_group = gr->groups == 1 ? gr->targets : g->multiplier;
  double *a = coopt_xmalloc((size_t)(chunk * k1) * sizeof(double));
  double *b = coopt_xmalloc((size_t)(chunk * k1) * sizeof(double));
  double *y = coopt_xmalloc((size_t)(chunk * per_group) * sizeof(double));
  double *yh = coopt_xmalloc((size_t)(chunk * per_group) * sizeof(double));
  if (retarget) {
    memset(gr->rhs, 0, (size_t)(gr->targets * k1) * sizeof(double));
    memset(gr->energy, 0, (size_t)gr->targets * sizeof(double));
  }
  double err = 0, en = 0;
  for (int64_t s = 0; s < count; ++s)
    for (int64_t grp = 0; grp < gr->groups; ++grp) {
      int64_t r0 = grp * per_group;
      for (int64_t p0 = 0; p0 < positions; p0 += chunk) {
        int64_t p1 = p0 + chunk < positions ? p0 + chunk : positions, n = p1 - p0;
        cooptLayerPatches(g, xhat + s * per, grp, p0, p1, a);
        cooptLayerPatches(g, x + s * per, grp, p0, p1, b);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)per_group, (int)k1, 1.0, b, (int)k1,
                    gr->wref + r0 * k1, (int)k1, 0.0, y, (int)per_group);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)per_group, (int)k1, 1.0, a, (int)k1,
                    w + r0 * k1, (int)k1, 0.0, yh, (int)per_group);
        for (int64_t i = 0; i < n * per_group; ++i) {
          double f = clampd(y[i], lo, hi), d = clampd(yh[i], lo, hi) - f;
          err += d * d;
          en += f * f;
          /* The majorising target: where the float output is clipped, any
           * prediction clipped the same way is exact. */
          y[i] = y[i] <= lo ? (yh[i] < lo ? yh[i] : lo) : y[i] >= hi ? (yh[i] > hi ? yh[i] : hi) : y[i];
        }
        if (!retarget)
          continue;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)per_group, (int)k1, (int)n, 1.0, y, (int)per_group, a,
                    (int)k1, 1.0, gr->rhs + r0 * k1, (int)k1);
        for (int64_t r = 0; r < per_group; ++r)
          gr->energy[r0 + r] += cblas_ddot((int)n, y + r, (int)per_group, y + r, (int)per_group);
      }
    }
  free(a);
  free(b);
  free(y);
  free(yh);
  if (energy)
    *energy = en;
  return err;
}
