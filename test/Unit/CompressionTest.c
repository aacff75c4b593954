#define _GNU_SOURCE
/* The compression passes end to end through the C API, on random tensors:
 * exact zero counts for every pattern, N:M and blocks group by group,
 * per-channel codebook sizes, preserved masks, determinism, and the
 * structure coopt-recover keeps. */
#include "Analysis/Structure.h"
#include "Analysis/WeightStats.h"
#include "Analysis/Weights.h"
#include "Support/Support.h"
#include "UnitTest.h"
#include "coopt/TensorIO.h"
#include "coopt/coopt.h"

#include <stdlib.h>
#include <unistd.h>

static MlirContext ctx;
static uint64_t rs = 42;

static float rnd(void) {
  rs = rs * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(rs >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* A conv2d [OC,KH,KW,IC] and a depthwise [3,3,C,1] with random weights;
 * `zeros` of every weight pre-zeroed to check that existing zeros count. */
static void put_hex(coopt_buf *b, float v) {
  uint32_t bits;
  memcpy(&bits, &v, 4);
  coopt_buf_printf(b, "%02X%02X%02X%02X", bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, bits >> 24);
}

static char *make_model(int oc, int k, int ic, double zeros) {
  coopt_buf b;
  coopt_buf_init(&b);
  int n = oc * k * k * ic;
  coopt_buf_printf(&b, "func.func @f(%%x: tensor<1x8x8x%dxf32>) -> tensor<1x8x8x%dxf32> {\n", ic, oc);
  coopt_buf_printf(&b, "  %%w = \"tosa.const\"() <{values = dense<\"0x");
  for (int i = 0; i < n; ++i) {
    float v = rnd();
    if (rnd() * 0.5f + 0.5f < (float)zeros)
      v = 0;
    put_hex(&b, v);
  }
  coopt_buf_printf(&b, "\"> : tensor<%dx%dx%dx%dxf32>}> : () -> tensor<%dx%dx%dx%dxf32>\n", oc, k, k, ic, oc, k, k, ic);
  coopt_buf_printf(&b, "  %%b = \"tosa.const\"() <{values = dense<0.0> : tensor<%dxf32>}> : () -> tensor<%dxf32>\n", oc,
                   oc);
  coopt_buf_printf(&b, "  %%z = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n");
  coopt_buf_printf(&b,
                   "  %%y = tosa.conv2d %%x, %%w, %%b, %%z, %%z {acc_type = f32, dilation = array<i64: 1, 1>, pad = "
                   "array<i64: %d, %d, %d, %d>, stride = array<i64: 1, 1>} : (tensor<1x8x8x%dxf32>, "
                   "tensor<%dx%dx%dx%dxf32>, tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x%dxf32>\n",
                   k / 2, k / 2, k / 2, k / 2, ic, oc, k, k, ic, oc, oc);
  coopt_buf_printf(&b, "  %%dw = \"tosa.const\"() <{values = dense<\"0x");
  for (int i = 0; i < 9 * oc; ++i)
    put_hex(&b, rnd());
  coopt_buf_printf(&b, "\"> : tensor<%dxf32>}> : () -> tensor<%dxf32>\n", 9 * oc, 9 * oc);
  coopt_buf_printf(
      &b, "  %%s = tosa.const_shape {values = dense<[3, 3, %d, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>\n", oc);
  coopt_buf_printf(&b, "  %%dwr = tosa.reshape %%dw, %%s : (tensor<%dxf32>, !tosa.shape<4>) -> tensor<3x3x%dx1xf32>\n",
                   9 * oc, oc);
  coopt_buf_printf(&b,
                   "  %%o = tosa.depthwise_conv2d %%y, %%dwr, %%b, %%z, %%z {acc_type = f32, dilation = array<i64: 1, "
                   "1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x%dxf32>, "
                   "tensor<3x3x%dx1xf32>, tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x%dxf32>\n",
                   oc, oc, oc, oc);
  coopt_buf_printf(&b, "  return %%o : tensor<1x8x8x%dxf32>\n}\n", oc);
  return coopt_buf_take(&b);
}

static bool run(MlirModule m, const char *pipeline) {
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  coopt_buf err;
  coopt_buf_init(&err);
  bool ok = mlirLogicalResultIsSuccess(cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                                              mlirStringRefCreateFromCString(pipeline),
                                                              coopt_buf_string_callback, &err)) &&
            mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(m)));
  if (err.size)
    fprintf(stderr, "%s", err.data);
  coopt_buf_free(&err);
  mlirPassManagerDestroy(pm);
  return ok;
}

/* Values of weight `which` (0 conv, 1 depthwise) after a pipeline. */
static float *weights_after(const char *model, const char *pipeline, int which, coopt_weight *info, char **text) {
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(model));
  CHECK(!mlirModuleIsNull(m));
  CHECK(run(m, pipeline));
  coopt_weight_set set;
  cooptCollectWeights(mlirModuleGetOperation(m), COOPT_WOP_ALL, false, &set);
  CHECK_EQ_INT(set.count, 2);
  float *v = cooptWeightLoad(&set.items[which]);
  *info = set.items[which];
  info->index_map = NULL; /* owned by the set */
  if (text) {
    coopt_buf b;
    coopt_buf_init(&b);
    mlirOperationPrint(mlirModuleGetOperation(m), coopt_buf_string_callback, &b);
    *text = coopt_buf_take(&b);
  }
  cooptWeightSetFree(&set);
  mlirModuleDestroy(m);
  return v;
}

static int64_t count_zeros(const float *v, int64_t n) {
  int64_t z = 0;
  for (int64_t i = 0; i < n; ++i)
    z += v[i] == 0;
  return z;
}

static void test_unstructured_exact(void) {
  double targets[] = {0.0, 0.1, 0.3, 0.5, 0.75, 0.9, 0.99};
  for (size_t t = 0; t < sizeof targets / sizeof targets[0]; ++t)
    for (int pre = 0; pre < 2; ++pre) {
      char *model = make_model(12, 3, 5, pre ? 0.2 : 0.0);
      char pipeline[128];
      snprintf(pipeline, sizeof pipeline, "builtin.module(coopt-prune{sparsity=%g})", targets[t]);
      coopt_weight w;
      float *before = weights_after(model, "builtin.module()", 0, &w, NULL);
      float *v = weights_after(model, pipeline, 0, &w, NULL);
      int64_t n = w.num_elements, want = (int64_t)ceil(targets[t] * (double)n - 1e-9);
      int64_t had = count_zeros(before, n);
      /* Exactly the target, unless more were zero already. */
      CHECK_EQ_INT(count_zeros(v, n), want > had ? want : had);
      /* Survivors are unchanged and at least as large as anything pruned. */
      float max_pruned = 0, min_kept = INFINITY;
      for (int64_t i = 0; i < n; ++i) {
        if (v[i] != 0)
          CHECK(v[i] == before[i]);
        if (v[i] == 0 && fabsf(before[i]) > max_pruned)
          max_pruned = fabsf(before[i]);
        if (v[i] != 0 && fabsf(v[i]) < min_kept)
          min_kept = fabsf(v[i]);
      }
      CHECK(max_pruned <= min_kept);
      free(before);
      free(v);
      free(model);
    }
}

static void test_nm_groups(void) {
  int nms[][2] = {{1, 2}, {2, 4}, {1, 4}, {3, 8}, {2, 3}};
  for (size_t t = 0; t < sizeof nms / sizeof nms[0]; ++t) {
    char *model = make_model(6, 3, 8, 0.1); /* reduction 72: a multiple of every M here */
    char pipeline[128];
    snprintf(pipeline, sizeof pipeline, "builtin.module(coopt-prune{pattern=%d:%d})", nms[t][0], nms[t][1]);
    coopt_weight w;
    float *before = weights_after(model, "builtin.module()", 0, &w, NULL);
    float *v = weights_after(model, pipeline, 0, &w, NULL);
    int64_t cols = w.spatial * w.inner;
    int N = nms[t][0], M = nms[t][1];
    for (int64_t r = 0; r < w.rows; ++r)
      for (int64_t g = 0; g < cols; g += M) {
        int len = (int)(cols - g < M ? cols - g : M), nz = 0, nz_before = 0;
        for (int j = 0; j < len; ++j) {
          nz += v[r * cols + g + j] != 0;
          nz_before += before[r * cols + g + j] != 0;
        }
        /* Group by group: at most N survive, and exactly min(N, nonzeros). */
        CHECK_EQ_INT(nz, nz_before < N ? nz_before : N);
      }
    free(before);
    free(v);
    free(model);
  }
}

/* A pattern that does not tile a weight (reduction 63 for 2:4 and 1x4,
 * 10 channels for 4x1 blocks) leaves it as it is. */
static void test_untiled_left_dense(void) {
  const char *patterns[] = {"2:4", "1x4", "4x1"};
  for (size_t t = 0; t < sizeof patterns / sizeof patterns[0]; ++t) {
    char *model = make_model(10, 3, 7, 0.0);
    char pipeline[128];
    snprintf(pipeline, sizeof pipeline, "builtin.module(coopt-prune{pattern=%s sparsity=0.5})", patterns[t]);
    coopt_weight w;
    float *before = weights_after(model, "builtin.module()", 0, &w, NULL);
    float *v = weights_after(model, pipeline, 0, &w, NULL);
    for (int64_t i = 0; i < w.num_elements; ++i)
      CHECK(v[i] == before[i]);
    free(before);
    free(v);
    free(model);
  }
}

static void test_blocks(void) {
  int shapes[][2] = {{1, 4}, {4, 1}, {2, 2}, {3, 8}};
  for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; ++t) {
    char *model = make_model(12, 3, 8, 0.0);
    char pipeline[128];
    snprintf(pipeline, sizeof pipeline, "builtin.module(coopt-prune{pattern=%dx%d sparsity=0.6})", shapes[t][0],
             shapes[t][1]);
    coopt_weight w;
    float *v = weights_after(model, pipeline, 0, &w, NULL);
    int R = shapes[t][0], C = shapes[t][1];
    int64_t cols = w.spatial * w.inner, blocks = 0, zero_blocks = 0;
    for (int64_t r0 = 0; r0 < w.rows; r0 += R)
      for (int64_t c0 = 0; c0 < cols; c0 += C) {
        int64_t nz = 0;
        for (int64_t i = r0; i < w.rows && i < r0 + R; ++i)
          for (int64_t j = c0; j < cols && j < c0 + C; ++j)
            nz += v[i * cols + j] != 0;
        ++blocks;
        zero_blocks += nz == 0;
        /* Blocks are pruned whole: all zero or (random data) all nonzero. */
        int64_t size = ((w.rows - r0 < R ? w.rows - r0 : R) * (cols - c0 < C ? cols - c0 : C));
        CHECK(nz == 0 || nz == size);
      }
    CHECK_EQ_INT(zero_blocks, (int64_t)ceil(0.6 * (double)blocks - 1e-9));
    free(v);
    free(model);
  }
}

static void test_cluster_codebooks(void) {
  int ks[] = {2, 4, 16, 32};
  for (size_t t = 0; t < sizeof ks / sizeof ks[0]; ++t)
    for (int per_channel = 0; per_channel < 2; ++per_channel) {
      char *model = make_model(8, 3, 8, 0.3);
      char pipeline[192];
      snprintf(pipeline, sizeof pipeline,
               "builtin.module(coopt-cluster{clusters=%d per-channel=%s preserve-sparsity=true "
               "ops=conv2d,depthwise_conv2d})",
               ks[t], per_channel ? "true" : "false");
      coopt_weight w, dw;
      float *before = weights_after(model, "builtin.module()", 0, &w, NULL);
      float *v = weights_after(model, pipeline, 0, &w, NULL);
      float *d = weights_after(model, pipeline, 1, &dw, NULL);
      uint32_t scratch[2 * 1024];
      int64_t cols = w.spatial * w.inner;
      if (per_channel) {
        for (int64_t r = 0; r < w.rows; ++r)
          CHECK(cooptCountDistinct(v + r * cols, cols, scratch) <= ks[t]);
        for (int64_t r = 0; r < dw.rows; ++r) /* depthwise: 9 taps per channel */
          CHECK(cooptCountDistinct(d + r * 9, 9, scratch) <= (ks[t] < 9 ? ks[t] : 9));
      } else {
        CHECK(cooptCountDistinct(v, w.num_elements, scratch) <= ks[t]);
        CHECK(cooptCountDistinct(d, dw.num_elements, scratch) <= ks[t]);
      }
      /* The zero mask is exactly preserved. */
      for (int64_t i = 0; i < w.num_elements; ++i)
        CHECK((before[i] == 0) == (v[i] == 0));
      free(before);
      free(v);
      free(d);
      free(model);
    }
}

/* coopt-recover keeps the structure value by value: the zero mask is
 * bit-identical, and a clustered layer keeps its assignment (two weights
 * share a value after recovery exactly when they did before). */
static void test_recover_keeps_structure(void) {
  char *model = make_model(8, 3, 8, 0.0);
  enum { N = 40, PER = 8 * 8 * 8 };
  static float x[N * PER];
  for (int i = 0; i < N * PER; ++i)
    x[i] = rnd();
  coopt_tensor t = {{COOPT_F32, 5, {N, 1, 8, 8, 8}}, x};
  char path[] = "/tmp/coopt-unit-recover-XXXXXX.npy", err[256];
  int fd = mkstemps(path, 4);
  CHECK(fd >= 0);
  close(fd);
  CHECK(cooptTensorSaveNpy(path, &t, err, sizeof err));
  const char *steps[] = {"coopt-prune{sparsity=0.6}",
                         "coopt-prune{pattern=2:4}",
                         "coopt-prune{pattern=1x4 sparsity=0.5}",
                         "coopt-cluster{clusters=5 per-channel=true}",
                         "coopt-cluster{clusters=6}",
                         "coopt-prune{sparsity=0.5},coopt-cluster{clusters=4 per-channel=true preserve-sparsity=true}"};
  for (size_t k = 0; k < sizeof steps / sizeof steps[0]; ++k) {
    char before_p[256], after_p[512];
    snprintf(before_p, sizeof before_p, "builtin.module(%s)", steps[k]);
    snprintf(after_p, sizeof after_p,
             "builtin.module(%s,coopt-recover{data=%s samples=40 entry=f},coopt-verify-structure)", steps[k], path);
    coopt_weight w;
    float *before = weights_after(model, before_p, 0, &w, NULL);
    float *after = weights_after(model, after_p, 0, &w, NULL);
    bool same_mask = true, same_classes = true, changed = false;
    int64_t n = w.num_elements, patch = w.spatial * w.inner;
    for (int64_t i = 0; i < n; ++i) {
      same_mask &= (before[i] == 0) == (after[i] == 0);
      changed |= before[i] != after[i];
    }
    /* Equality classes within each channel (the clustered steps). */
    for (int64_t r = 0; r < w.rows && k >= 3; ++r)
      for (int64_t i = 0; i < patch; ++i)
        for (int64_t j = i + 1; j < patch; ++j) {
          float a0 = before[r * patch + i], b0 = before[r * patch + j];
          float a1 = after[r * patch + i], b1 = after[r * patch + j];
          same_classes &= (a0 == b0) == (a1 == b1) || (a0 != b0 && a1 == b1); /* merging is allowed */
        }
    CHECK(same_mask);
    CHECK(same_classes);
    CHECK(changed);
    free(before);
    free(after);
  }
  unlink(path);
  free(model);
}

static void test_determinism(void) {
  char *model = make_model(16, 3, 8, 0.0);
  const char *p = "builtin.module(coopt-prune{sparsity=0.4 scope=global},coopt-cluster{clusters=8 init=random seed=3 "
                  "per-channel=true})";
  coopt_weight w;
  char *a, *b;
  free(weights_after(model, p, 0, &w, &a));
  free(weights_after(model, p, 0, &w, &b));
  CHECK(strcmp(a, b) == 0);
  char *c;
  free(weights_after(model,
                     "builtin.module(coopt-prune{sparsity=0.4 scope=global},coopt-cluster{clusters=8 init=random "
                     "seed=4 per-channel=true})",
                     0, &w, &c));
  CHECK(strcmp(a, c) != 0); /* the seed matters */
  free(a);
  free(b);
  free(c);
  free(model);
}

int main(void) {
  ctx = cooptCreateContext(false);
  test_unstructured_exact();
  test_nm_groups();
  test_untiled_left_dense();
  test_blocks();
  test_cluster_codebooks();
  test_determinism();
  test_recover_keeps_structure();
  mlirContextDestroy(ctx);
  return unit_finish("unit-compression");
}
