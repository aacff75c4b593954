/* The float interpreter with reverse mode (Analysis/Backprop.h) against
 * two references: its forward pass against the same function compiled by
 * MLIR's upstream TOSA lowering (a probe of the return value), and its
 * gradients against central finite differences of its own forward pass.
 * The function has every op kind the interpreter takes: a strided, dilated,
 * asymmetrically padded conv2d, a depthwise_conv2d with multiplier 2, a
 * padded 3x3 conv2d (im2col and its adjoint), a 1x1 conv2d (the direct BLAS
 * path) after a transpose that is not its own inverse, clamps, a residual
 * add, max and average pools, reshapes, a matmul and its broadcast bias add. */
#include "Analysis/Backprop.h"
#include "Analysis/Weights.h"
#include "Exec/Probe.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "UnitTest.h"
#include "coopt/coopt.h"

#include <stdio.h>
#include <stdlib.h>

static uint64_t rs = 11;

static float rnd(void) {
  rs = rs * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(rs >> 11) / 9007199254740992.0 * 1.2 - 0.6);
}

/* A dense f32 literal of n random values in MLIR's hex form. */
static void put_values(char **p, size_t *left, int64_t n) {
  int k = snprintf(*p, *left, "dense<\"0x");
  *p += k, *left -= (size_t)k;
  for (int64_t i = 0; i < n; ++i) {
    float f = rnd();
    unsigned char b[4];
    memcpy(b, &f, 4);
    k = snprintf(*p, *left, "%02X%02X%02X%02X", b[0], b[1], b[2], b[3]);
    *p += k, *left -= (size_t)k;
  }
  k = snprintf(*p, *left, "\">");
  *p += k, *left -= (size_t)k;
}

static void put(char **p, size_t *left, const char *s) {
  int k = snprintf(*p, *left, "%s", s);
  *p += k, *left -= (size_t)k;
}

static void put_const(char **p, size_t *left, const char *name, const char *shape, int64_t n) {
  char head[128];
  snprintf(head, sizeof head, "  %%%s = \"tosa.const\"() <{values = ", name);
  put(p, left, head);
  put_values(p, left, n);
  char tail[128];
  snprintf(tail, sizeof tail, " : tensor<%sxf32>}> : () -> tensor<%sxf32>\n", shape, shape);
  put(p, left, tail);
}

static char *model_text(void) {
  size_t size = 1 << 16, left = size;
  char *text = coopt_xmalloc(size), *p = text;
  put(&p, &left,
      "func.func @main(%x: tensor<2x6x6x3xf32>) -> tensor<2x3xf32> {\n"
      "  %z = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n");
  put_const(&p, &left, "w1", "4x3x3x3", 108);
  put_const(&p, &left, "b1", "4", 4);
  put(&p, &left,
      "  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 2, 2>, pad = array<i64: 2, 1, "
      "2, 1>, stride = array<i64: 2, 2>} : (tensor<2x6x6x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<1xf32>, "
      "tensor<1xf32>) -> tensor<2x3x3x4xf32>\n"
      "  %r1 = tosa.clamp %c1 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<2x3x3x4xf32>) -> "
      "tensor<2x3x3x4xf32>\n");
  put_const(&p, &left, "wd", "3x3x4x2", 72);
  put_const(&p, &left, "bd", "8", 8);
  put(&p, &left,
      "  %c2 = tosa.depthwise_conv2d %r1, %wd, %bd, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = "
      "array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<2x3x3x4xf32>, tensor<3x3x4x2xf32>, tensor<8xf32>, "
      "tensor<1xf32>, tensor<1xf32>) -> tensor<2x3x3x8xf32>\n"
      "  %r2 = tosa.clamp %c2 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<2x3x3x8xf32>) -> "
      "tensor<2x3x3x8xf32>\n");
  put_const(&p, &left, "w3", "8x3x3x8", 576);
  put_const(&p, &left, "b3", "8", 8);
  put(&p, &left,
      "  %c3 = tosa.conv2d %r2, %w3, %b3, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, "
      "1, 1>, stride = array<i64: 1, 1>} : (tensor<2x3x3x8xf32>, tensor<8x3x3x8xf32>, tensor<8xf32>, tensor<1xf32>, "
      "tensor<1xf32>) -> tensor<2x3x3x8xf32>\n"
      "  %s = tosa.add %c3, %r2 : (tensor<2x3x3x8xf32>, tensor<2x3x3x8xf32>) -> tensor<2x3x3x8xf32>\n"
      "  %mp = tosa.max_pool2d %s {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, "
      "1>} : (tensor<2x3x3x8xf32>) -> tensor<2x2x2x8xf32>\n"
      "  %tp = tosa.transpose %mp {perms = array<i32: 0, 2, 3, 1>} : (tensor<2x2x2x8xf32>) -> "
      "tensor<2x2x8x2xf32>\n");
  put_const(&p, &left, "w4", "8x1x1x2", 16);
  put_const(&p, &left, "b4", "8", 8);
  put(&p, &left,
      "  %c4 = tosa.conv2d %tp, %w4, %b4, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, "
      "0, 0>, stride = array<i64: 1, 1>} : (tensor<2x2x8x2xf32>, tensor<8x1x1x2xf32>, tensor<8xf32>, tensor<1xf32>, "
      "tensor<1xf32>) -> tensor<2x2x8x8xf32>\n"
      "  %p = tosa.avg_pool2d %c4, %z, %z {acc_type = f32, kernel = array<i64: 2, 8>, pad = array<i64: 0, 0, 0, 0>, "
      "stride = array<i64: 1, 1>} : (tensor<2x2x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x1x1x8xf32>\n"
      "  %s1 = tosa.const_shape {values = dense<[1, 2, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>\n"
      "  %f = tosa.reshape %p, %s1 : (tensor<2x1x1x8xf32>, !tosa.shape<3>) -> tensor<1x2x8xf32>\n");
  put_const(&p, &left, "wf", "1x8x3", 24);
  put(&p, &left,
      "  %m = tosa.matmul %f, %wf, %z, %z : (tensor<1x2x8xf32>, tensor<1x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> "
      "tensor<1x2x3xf32>\n"
      "  %s2 = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>\n"
      "  %mr = tosa.reshape %m, %s2 : (tensor<1x2x3xf32>, !tosa.shape<2>) -> tensor<2x3xf32>\n");
  put_const(&p, &left, "bf", "1x3", 3);
  put(&p, &left,
      "  %y = tosa.add %mr, %bf : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>\n"
      "  return %y : tensor<2x3xf32>\n}\n");
  CHECK(left > 1);
  return text;
}

/* sum_k r[k] * y[k] of the forward pass: its gradient is r. */
static double loss(coopt_net *net, const float *x, const float *r, int64_t n) {
  const float *y = cooptNetForward(net, x);
  double s = 0;
  for (int64_t k = 0; k < n; ++k)
    s += (double)r[k] * y[k];
  return s;
}

int main(void) {
  MlirContext ctx = cooptCreateContext(false);
  char *text = model_text();
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  free(text);
  CHECK(!mlirModuleIsNull(m));
  if (mlirModuleIsNull(m))
    return unit_finish("unit-backprop");
  MlirOperation module = mlirModuleGetOperation(m);
  MlirOperation fn = mlirBlockGetFirstOperation(mlirModuleGetBody(m));
  coopt_weight_set set;
  CHECK(cooptCollectWeights(fn, COOPT_WOP_ALL, false, &set));
  char why[256] = "";
  MlirOperation where;
  coopt_net *net = cooptNetBuild(fn, &set, false, why, sizeof why, &where);
  CHECK(net != NULL);
  if (!net) {
    fprintf(stderr, "build: %s\n", why);
    return unit_finish("unit-backprop");
  }
  CHECK_EQ_INT(cooptNetBatch(net), 2);
  CHECK_EQ_INT(cooptNetInputElements(net), 108);
  CHECK_EQ_INT(cooptNetOutputElements(net), 3);
  /* 5 weights, their 4 per-channel biases and the matmul's bias add. */
  CHECK_EQ_INT(cooptNetNumParams(net), 10);

  float x[216], r[6];
  for (int i = 0; i < 216; ++i)
    x[i] = rnd() * 3;
  for (int i = 0; i < 6; ++i)
    r[i] = rnd();

  /* Forward against the upstream lowering. */
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirOperation ret = mlirBlockGetTerminator(body);
  MlirValue out = mlirOperationGetOperand(ret, 0);
  coopt_probe probe;
  char err[512];
  bool probed = cooptProbeCreate(module, "main", &out, 1, 0, NULL, NULL, &probe, err, sizeof err);
  CHECK(probed);
  if (probed) {
    CHECK(cooptProbeRun(&probe, x, 2));
    const float *want = cooptProbeValue(&probe, 0), *got = cooptNetForward(net, x);
    double worst = 0;
    for (int k = 0; k < 6; ++k)
      worst = fmax(worst, fabs((double)want[k] - got[k]) / (1 + fabs(want[k])));
    CHECK(worst < 1e-5);
    if (worst >= 1e-5)
      fprintf(stderr, "forward differs from the upstream lowering by %g\n", worst);
    cooptProbeDestroy(&probe);
  }

  /* Gradients against central differences, every element of every
   * parameter.  A perturbation can move a clamp or a max pool across its
   * kink; h is small enough that none does for this seed, and the
   * tolerance is loose enough for float sums. */
  cooptNetZeroGrad(net);
  cooptNetForward(net, x);
  cooptNetBackward(net, r);
  int64_t checked = 0, bad = 0;
  const float h = 1e-3f;
  for (size_t i = 0; i < cooptNetNumParams(net); ++i) {
    coopt_net_param *p = cooptNetParam(net, i);
    for (int64_t k = 0; k < p->n; ++k) {
      float keep = p->value[k];
      p->value[k] = keep + h;
      double up = loss(net, x, r, 6);
      p->value[k] = keep - h;
      double down = loss(net, x, r, 6);
      p->value[k] = keep;
      double fd = (up - down) / (2.0 * h);
      ++checked;
      if (fabs(fd - p->grad[k]) > 2e-3 + 1e-2 * fabs(fd)) {
        ++bad;
        fprintf(stderr, "param %zu element %lld: backward %g, finite difference %g\n", i, (long long)k,
                (double)p->grad[k], fd);
      }
    }
  }
  CHECK_EQ_INT(checked, 108 + 4 + 72 + 8 + 576 + 8 + 16 + 8 + 24 + 3);
  CHECK_EQ_INT(bad, 0);
  /* Backward accumulates: a second pass doubles every gradient. */
  coopt_net_param *w1 = cooptNetParam(net, 0);
  float g0 = w1->grad[5];
  cooptNetForward(net, x);
  cooptNetBackward(net, r);
  CHECK(fabsf(w1->grad[5] - 2 * g0) <= 1e-6f * (1 + fabsf(g0)));
  cooptNetZeroGrad(net);
  CHECK(w1->grad[5] == 0);

  /* The reference build reads coopt.reference (none here: the values). */
  coopt_net *ref = cooptNetBuild(fn, &set, true, why, sizeof why, &where);
  CHECK(ref != NULL);
  if (ref) {
    const float *a = cooptNetForward(ref, x);
    float ya[6];
    memcpy(ya, a, sizeof ya);
    const float *b = cooptNetForward(net, x);
    CHECK(memcmp(ya, b, sizeof ya) == 0);
    cooptNetFree(ref);
  }
  cooptNetFree(net);

  /* Out of scope: an op the interpreter does not take is named, at its op. */
  MlirModule bad_m = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString("func.func @main(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {\n"
                                          "  %y = tosa.sigmoid %x : (tensor<2x3xf32>) -> tensor<2x3xf32>\n"
                                          "  return %y : tensor<2x3xf32>\n}\n"));
  CHECK(!mlirModuleIsNull(bad_m));
  if (!mlirModuleIsNull(bad_m)) {
    MlirOperation bfn = mlirBlockGetFirstOperation(mlirModuleGetBody(bad_m));
    coopt_weight_set none;
    cooptCollectWeights(bfn, COOPT_WOP_ALL, false, &none);
    CHECK(cooptNetBuild(bfn, &none, false, why, sizeof why, &where) == NULL);
    CHECK_STR(why, "tosa.sigmoid is not supported");
    CHECK(cooptOpIs(where, "tosa.sigmoid"));
    cooptWeightSetFree(&none);
    mlirModuleDestroy(bad_m);
  }
  cooptWeightSetFree(&set);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
  return unit_finish("unit-backprop");
}
