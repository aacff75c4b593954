/* Weight discovery, canonical views, load/store and statistics against
 * simple reference computations. */
#include "Analysis/Weights.h"
#include "Analysis/WeightStats.h"
#include "Support/Support.h"
#include "UnitTest.h"
#include "coopt/coopt.h"

#include <stdlib.h>

static MlirContext ctx;

static int64_t brute_distinct(const float *v, int64_t n) {
  int64_t d = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool seen = false;
    for (int64_t j = 0; j < i && !seen; ++j)
      seen = v[j] == v[i] || (isnan(v[j]) && isnan(v[i]));
    d += !seen;
  }
  return d;
}

static uint32_t lcg = 12345;
static uint32_t next_rand(void) { return lcg = lcg * 1664525u + 1013904223u; }

static void test_distinct(void) {
  /* Small (qsort path) and large (radix path) sizes, with repeated values,
   * both zeros and NaNs. */
  int64_t sizes[] = {0, 1, 7, 511, 512, 3000};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; ++s) {
    int64_t n = sizes[s];
    float *v = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; ++i) {
      uint32_t r = next_rand() % 100;
      v[i] = r < 5 ? -0.0f : r < 10 ? 0.0f : r < 12 ? NAN : (float)((int)(next_rand() % 200) - 100) * 0.25f;
    }
    uint32_t *scratch = malloc((size_t)(2 * (n ? n : 1)) * sizeof(uint32_t));
    CHECK_EQ_INT(cooptCountDistinct(v, n, scratch), brute_distinct(v, n));
    free(scratch);
    free(v);
  }
}

static int cmpf(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The radix sort agrees with qsort on both of its paths. */
static void test_sort(void) {
  int64_t sizes[] = {1, 2, 255, 256, 5000};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; ++s) {
    int64_t n = sizes[s];
    float *a = malloc((size_t)n * sizeof(float)), *b = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; ++i)
      a[i] = b[i] = (float)((int)(next_rand() % 2001) - 1000) * 1e-3f * (float)(1 + next_rand() % 1000);
    cooptSortFloats(a, n);
    qsort(b, (size_t)n, sizeof(float), cmpf);
    bool same = true;
    for (int64_t i = 0; i < n; ++i)
      same &= a[i] == b[i];
    CHECK(same);
    free(a);
    free(b);
  }
}

static void test_stats(void) {
  /* 2 channels x 8: channel 0 = {0,0,1,1,2,2,3,3}, channel 1 = {0,..,0,5}. */
  float v[16] = {0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 5};
  coopt_weight_stats s;
  cooptComputeWeightStats(v, 2, 8, &s);
  CHECK_EQ_INT(s.elements, 16);
  CHECK_EQ_INT(s.zeros, 9);
  CHECK_EQ_INT(s.distinct, 5);
  CHECK_EQ_INT(s.max_channel_distinct, 4);
  CHECK_EQ_INT(s.bytes_f32, 64);
  CHECK_EQ_INT(s.bytes_int8, 16);
  CHECK_EQ_INT(s.bytes_sparse, 2 + 7);
  /* Per tensor: 3-bit indices (6 bytes) + 5 entries = 11; per channel: 2-bit
   * (4 bytes) + 2x4 entries = 12.  The smaller wins. */
  CHECK_EQ_INT(s.bytes_palettized, 11);
  CHECK_EQ_INT(s.palette_bits, 3);
  CHECK(!s.palette_per_channel);
  /* All distinct: palettizing cannot pay, int8 dense is reported. */
  float u[300];
  for (int i = 0; i < 300; ++i)
    u[i] = (float)i;
  cooptComputeWeightStats(u, 1, 300, &s);
  CHECK_EQ_INT(s.bytes_palettized, 300);
  CHECK_EQ_INT(s.palette_bits, 0);
  float nf[3] = {1, INFINITY, NAN};
  cooptComputeWeightStats(nf, 1, 3, &s);
  CHECK_EQ_INT(s.nonfinite, 2);
}

static MlirModule parse(const char *text) {
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  CHECK(!mlirModuleIsNull(m));
  return m;
}

/* Depthwise [KH,KW,C,M] -> rows C*M, spatial KH*KW. */
static void test_depthwise_view(void) {
  MlirModule m =
      parse("func.func @f(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {\n"
            "  %w = \"tosa.const\"() <{values = dense<[[[[1.0], [2.0]], [[3.0], [4.0]]], [[[5.0], [6.0]], [[7.0], "
            "[8.0]]]]> : tensor<2x2x2x1xf32>}> : () -> tensor<2x2x2x1xf32>\n"
            "  %b = \"tosa.const\"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>\n"
            "  %z = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n"
            "  %y = tosa.depthwise_conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = "
            "array<i64: 0, 1, 0, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x2x2x1xf32>, "
            "tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>\n"
            "  return %y : tensor<1x4x4x2xf32>\n}\n");
  coopt_weight_set set;
  cooptCollectWeights(mlirModuleGetOperation(m), COOPT_WOP_ALL, false, &set);
  CHECK_EQ_INT(set.count, 1);
  const coopt_weight *w = &set.items[0];
  CHECK_EQ_INT(w->rows, 2);
  CHECK_EQ_INT(w->spatial, 4);
  CHECK_EQ_INT(w->inner, 1);
  float *v = cooptWeightLoad(w);
  /* Channel 0 is every other value: 1,3,5,7; channel 1: 2,4,6,8. */
  float expect[8] = {1, 3, 5, 7, 2, 4, 6, 8};
  for (int i = 0; i < 8; ++i)
    CHECK(v[i] == expect[i]);
  /* Store maps back through the same view. */
  v[0] = 10;
  v[4] = 20;
  cooptWeightStore(w, v);
  free(v);
  v = cooptWeightLoad(w);
  CHECK(v[0] == 10 && v[4] == 20 && v[1] == 3 && v[5] == 4);
  free(v);
  cooptWeightSetFree(&set);
  mlirModuleDestroy(m);
}

/* matmul B behind a transpose of a [W,C] constant, as an importer writes a
 * Gemm with transB: canonical rows are W, inner is C. */
static void test_transposed_matmul_view(void) {
  MlirModule m = parse(
      "func.func @f(%a: tensor<1x1x2xf32>) -> tensor<1x1x3xf32> {\n"
      "  %w = \"tosa.const\"() <{values = dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>}> : () -> "
      "tensor<3x2xf32>\n"
      "  %s = tosa.const_shape {values = dense<[1, 3, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>\n"
      "  %r = tosa.reshape %w, %s : (tensor<3x2xf32>, !tosa.shape<3>) -> tensor<1x3x2xf32>\n"
      "  %t = tosa.transpose %r {perms = array<i32: 0, 2, 1>} : (tensor<1x3x2xf32>) -> tensor<1x2x3xf32>\n"
      "  %z = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n"
      "  %c = tosa.matmul %a, %t, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) "
      "-> tensor<1x1x3xf32>\n"
      "  %c2 = tosa.matmul %a, %t, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) "
      "-> tensor<1x1x3xf32>\n"
      "  %sum = tosa.add %c, %c2 : (tensor<1x1x3xf32>, tensor<1x1x3xf32>) -> tensor<1x1x3xf32>\n"
      "  return %sum : tensor<1x1x3xf32>\n}\n");
  coopt_weight_set set;
  cooptCollectWeights(mlirModuleGetOperation(m), COOPT_WOP_ALL, false, &set);
  CHECK_EQ_INT(set.count, 1); /* shared constant counted once */
  const coopt_weight *w = &set.items[0];
  CHECK_EQ_INT(w->num_users, 2);
  CHECK_EQ_INT(w->rows, 3);
  CHECK_EQ_INT(w->inner, 2);
  CHECK(w->index_map == NULL); /* transpose undoes the matmul layout: identity */
  float *v = cooptWeightLoad(w);
  for (int i = 0; i < 6; ++i)
    CHECK(v[i] == (float)(i + 1));
  free(v);
  cooptWeightSetFree(&set);
  /* The op mask filters. */
  cooptCollectWeights(mlirModuleGetOperation(m), COOPT_WOP_MASK(COOPT_WOP_CONV2D), false, &set);
  CHECK_EQ_INT(set.count, 0);
  cooptWeightSetFree(&set);
  mlirModuleDestroy(m);
}

/* Integer and half-precision constants load and store exactly. */
static void test_types(void) {
  MlirModule m = parse(
      "func.func @f(%x: tensor<1x1x1x2xi8>, %h: tensor<1x1x2xf16>) -> (tensor<1x1x1x2xi32>, tensor<1x1x2xf16>) {\n"
      "  %w = \"tosa.const\"() <{values = dense<[[[[-128, 127]]], [[[0, -3]]]]> : tensor<2x1x1x2xi8>}> : () -> "
      "tensor<2x1x1x2xi8>\n"
      "  %b = \"tosa.const\"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>\n"
      "  %z = \"tosa.const\"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>\n"
      "  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, "
      "0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xi8>, tensor<2x1x1x2xi8>, tensor<2xi32>, tensor<1xi8>, "
      "tensor<1xi8>) -> tensor<1x1x1x2xi32>\n"
      "  %hw = \"tosa.const\"() <{values = dense<[[[0.5, -2.0], [65504.0, 0.0]]]> : tensor<1x2x2xf16>}> : () -> "
      "tensor<1x2x2xf16>\n"
      "  %hz = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>\n"
      "  %hm = tosa.matmul %h, %hw, %hz, %hz : (tensor<1x1x2xf16>, tensor<1x2x2xf16>, tensor<1xf16>, "
      "tensor<1xf16>) -> tensor<1x1x2xf16>\n"
      "  return %y, %hm : tensor<1x1x1x2xi32>, tensor<1x1x2xf16>\n}\n");
  coopt_weight_set set;
  cooptCollectWeights(mlirModuleGetOperation(m), COOPT_WOP_ALL, false, &set);
  CHECK_EQ_INT(set.count, 2);
  float *v = cooptWeightLoad(&set.items[0]);
  CHECK(set.items[0].elem == COOPT_ELEM_I8);
  CHECK(v[0] == -128 && v[1] == 127 && v[2] == 0 && v[3] == -3);
  v[0] = -200; /* saturates */
  v[1] = 2.5f; /* rounds half to even */
  cooptWeightStore(&set.items[0], v);
  free(v);
  v = cooptWeightLoad(&set.items[0]);
  CHECK(v[0] == -128 && v[1] == 2);
  free(v);
  const coopt_weight *h = &set.items[1];
  CHECK(h->elem == COOPT_ELEM_F16);
  v = cooptWeightLoad(h);
  /* canonical rows = columns of B: {0.5, 65504}, {-2, 0} */
  CHECK(v[0] == 0.5f && v[1] == 65504.0f && v[2] == -2.0f && v[3] == 0.0f);
  v[0] = 0.333333f; /* rounds to the nearest half: 0.33325195 */
  cooptWeightStore(h, v);
  free(v);
  v = cooptWeightLoad(h);
  CHECK(v[0] == 0.33325195f);
  free(v);
  cooptWeightSetFree(&set);
  mlirModuleDestroy(m);
}

int main(void) {
  ctx = cooptCreateContext(false);
  test_distinct();
  test_sort();
  test_stats();
  test_depthwise_view();
  test_transposed_matmul_view();
  test_types();
  mlirContextDestroy(ctx);
  return unit_finish("unit-weights");
}
