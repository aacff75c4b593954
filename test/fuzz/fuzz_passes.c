/*
 * libFuzzer target: every coopt pass on TOSA models, structure-aware.
 *
 * Raw bytes rarely parse as MLIR, let alone as a TOSA model with weights
 * worth compressing, so the input is not MLIR: it is read as the choices of
 * a small generator of valid models (FuzzedDataProvider style).  Each byte
 * picks the next layer (conv2d, depthwise_conv2d, clamp, a final reshape +
 * matmul), its channels, kernel, stride and padding, how its weights look
 * (zeros, few distinct values, NaN/Inf now and then), whether the constant
 * carries a coopt.structure record (true, false or malformed claims), and
 * finally a pipeline of coopt passes with options.  libFuzzer's mutations
 * of the bytes then become mutations of shapes, constants, attributes,
 * records and pipelines; every input is a model the passes must handle.
 *
 * Oracles beyond the sanitizers: the generated module must parse and verify
 * (else the generator is wrong: abort); when the pipeline succeeds, its
 * result must verify and every coopt.structure claim in it must hold
 * (coopt-verify-structure); failing with diagnostics is always allowed.
 */
#include "coopt/Exec.h"
#include "coopt/TensorIO.h"
#include "coopt/coopt.h"

#include "FuzzBytes.h"
#include "Support/Support.h"

#include <math.h>
#include <mlir-c/Pass.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static MlirContext ctx;
static char data_path[4096], report_path[4096];

/* Diagnostics are expected (bad claims, NaN weights...) and not printed,
 * except while checking the generator's own output. */
static bool print_diagnostics;

static void print_cb(MlirStringRef s, void *ud) { fwrite(s.data, 1, s.length, (FILE *)ud); }

static MlirLogicalResult swallow(MlirDiagnostic d, void *ud) {
  (void)ud;
  if (print_diagnostics) {
    mlirDiagnosticPrint(d, print_cb, stderr);
    fputc('\n', stderr);
  }
  return mlirLogicalResultSuccess();
}

static void remove_files(void) {
  unlink(data_path);
  unlink(report_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  ctx = cooptCreateContext(false);
  mlirContextAttachDiagnosticHandler(ctx, swallow, NULL, NULL);
  cooptDiagnosticsQuiet(true);
  const char *tmp = getenv("TMPDIR");
  snprintf(data_path, sizeof data_path, "%s/coopt-fuzz-passes-%d.npy", tmp && *tmp ? tmp : "/tmp", (int)getpid());
  snprintf(report_path, sizeof report_path, "%s/coopt-fuzz-passes-%d.txt", tmp && *tmp ? tmp : "/tmp", (int)getpid());
  atexit(remove_files);
  return 0;
}

/* A weight constant: values from the bytes in one of a few styles. */
static void emit_weight(coopt_buf *m, fuzz_bytes *b, int id, const int64_t *shape, int rank) {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i)
    n *= shape[i];
  unsigned style = take(b, 6); /* dense, sparse, few values, sparse few, all zero, non-finite */
  unsigned distinct = 1 + take(b, 8);
  coopt_buf_printf(m, "    %%w%d = \"tosa.const\"() <{values = dense<\"0x", id);
  for (int64_t i = 0; i < n; ++i) {
    unsigned r = take(b, 256);
    float v = ((float)r - 128.0f) / 64.0f;
    if ((style == 1 || style == 3) && r % 2)
      v = 0.0f;
    if (style == 2 || style == 3)
      v = v == 0.0f ? 0.0f : (float)(1 + r % distinct) / 4.0f * (r & 128 ? 1.0f : -1.0f);
    if (style == 4)
      v = 0.0f;
    if (style == 5 && r == 7)
      v = r & 1 ? INFINITY : NAN;
    uint8_t bytes4[4];
    memcpy(bytes4, &v, 4);
    for (int k = 0; k < 4; ++k)
      coopt_buf_printf(m, "%02X", bytes4[k]);
  }
  coopt_buf_printf(m, "\"> : tensor<");
  for (int i = 0; i < rank; ++i)
    coopt_buf_printf(m, "%lldx", (long long)shape[i]);
  coopt_buf_printf(m, "f32>}>");
  /* A structure record: none mostly; else a claim that may be false, or
   * malformed. */
  static const char *const records[] = {
      "{sparsity = 5.000000e-01 : f64}",
      "{pattern = \"2:4\", sparsity = 5.000000e-01 : f64}",
      "{clusters = 4 : i64, per_channel = false}",
      "{clusters = 2 : i64, per_channel = true}",
      "{pattern = \"1x4\", block_sparsity = 5.000000e-01 : f64, sparsity = 5.000000e-01 : f64}",
      "{sparsity = 2.000000e+00 : f64}",
      "\"not a record\"",
      "{colour = \"blue\"}",
  };
  unsigned rec = take(b, 24);
  if (rec < sizeof records / sizeof *records)
    coopt_buf_printf(m, " {coopt.structure = %s}", records[rec]);
  coopt_buf_printf(m, " : () -> tensor<");
  for (int i = 0; i < rank; ++i)
    coopt_buf_printf(m, "%lldx", (long long)shape[i]);
  coopt_buf_printf(m, "f32>\n");
}

static void emit_vector(coopt_buf *m, const char *name, int id, int64_t n) {
  coopt_buf_printf(
      m, "    %%%s%d = \"tosa.const\"() <{values = dense<0.125> : tensor<%lldxf32>}> : () -> tensor<%lldxf32>\n", name,
      id, (long long)n, (long long)n);
}

/* The model: NHWC input, up to 4 layers, maybe a classifier. */
static void generate_model(coopt_buf *m, fuzz_bytes *b, int64_t in_shape[4]) {
  int64_t h = 1 + take(b, 8), w = 1 + take(b, 8), c = 1 + take(b, 8);
  in_shape[0] = 1, in_shape[1] = h, in_shape[2] = w, in_shape[3] = c;
  coopt_buf body;
  coopt_buf_init(&body);
  coopt_buf_printf(&body, "    %%z = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n");
  char cur[32] = "%arg0";
  int layers = 1 + (int)take(b, 4);
  for (int l = 0; l < layers; ++l) {
    unsigned kind = take(b, 3);
    int64_t k = take(b, 2) ? 3 : 1, s = 1 + take(b, 2), p = take(b, 2) ? k / 2 : 0;
    /* TOSA wants the strided windows to end exactly at the padded edge:
     * the bottom/right pads take up the remainder. */
    int64_t ph = p + (s - (h - 1 + 2 * p - (k - 1)) % s) % s, pw = p + (s - (w - 1 + 2 * p - (k - 1)) % s) % s;
    int64_t oh = (h - 1 + p + ph - (k - 1)) / s + 1, ow = (w - 1 + p + pw - (k - 1)) / s + 1;
    if (kind == 2 || h - 1 + 2 * p - (k - 1) < 0 || w - 1 + 2 * p - (k - 1) < 0) { /* clamp: relu6 */
      coopt_buf_printf(&body,
                       "    %%a%d = tosa.clamp %s {max_val = 6.0 : f32, min_val = 0.0 : f32} : "
                       "(tensor<1x%lldx%lldx%lldxf32>) -> tensor<1x%lldx%lldx%lldxf32>\n",
                       l, cur, (long long)h, (long long)w, (long long)c, (long long)h, (long long)w, (long long)c);
    } else {
      /* conv2d [OC, K, K, C] or depthwise_conv2d [K, K, C, 1] (OC = C). */
      bool depthwise = kind == 1;
      int64_t oc = depthwise ? c : 1 + take(b, 16);
      int64_t shape[4] = {oc, k, k, c};
      if (depthwise)
        shape[0] = k, shape[2] = c, shape[3] = 1;
      emit_weight(&body, b, l, shape, 4);
      emit_vector(&body, "b", l, oc);
      coopt_buf_printf(&body,
                       "    %%a%d = tosa.%s %s, %%w%d, %%b%d, %%z, %%z {acc_type = f32, dilation = array<i64: 1, 1>, "
                       "pad = array<i64: %lld, %lld, %lld, %lld>, stride = array<i64: %lld, %lld>} : "
                       "(tensor<1x%lldx%lldx%lldxf32>, tensor<%lldx%lldx%lldx%lldxf32>, tensor<%lldxf32>, "
                       "tensor<1xf32>, tensor<1xf32>) -> "
                       "tensor<1x%lldx%lldx%lldxf32>\n",
                       l, depthwise ? "depthwise_conv2d" : "conv2d", cur, l, l, (long long)p, (long long)ph,
                       (long long)p, (long long)pw, (long long)s, (long long)s, (long long)h, (long long)w,
                       (long long)c, (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3],
                       (long long)oc, (long long)oh, (long long)ow, (long long)oc);
      h = oh, w = ow, c = oc;
    }
    snprintf(cur, sizeof cur, "%%a%d", l);
  }
  char result[64];
  snprintf(result, sizeof result, "tensor<1x%lldx%lldx%lldxf32>", (long long)h, (long long)w, (long long)c);
  if (take(b, 2)) { /* a classifier: reshape to [1, 1, K] and a matmul with [1, K, N] */
    int64_t kk = h * w * c, nn = 1 + take(b, 10);
    coopt_buf_printf(
        &body, "    %%fs = tosa.const_shape {values = dense<[1, 1, %lld]> : tensor<3xindex>} : () -> !tosa.shape<3>\n",
        (long long)kk);
    coopt_buf_printf(&body, "    %%f = tosa.reshape %s, %%fs : (%s, !tosa.shape<3>) -> tensor<1x1x%lldxf32>\n", cur,
                     result, (long long)kk);
    int64_t shape[3] = {1, kk, nn};
    emit_weight(&body, b, 99, shape, 3);
    coopt_buf_printf(
        &body,
        "    %%y = tosa.matmul %%f, %%w99, %%z, %%z : (tensor<1x1x%lldxf32>, tensor<1x%lldx%lldxf32>, tensor<1xf32>, "
        "tensor<1xf32>) -> tensor<1x1x%lldxf32>\n",
        (long long)kk, (long long)kk, (long long)nn, (long long)nn);
    snprintf(cur, sizeof cur, "%%y");
    snprintf(result, sizeof result, "tensor<1x1x%lldxf32>", (long long)nn);
  }
  coopt_buf_printf(m, "func.func @main(%%arg0: tensor<1x%lldx%lldx%lldxf32>) -> %s {\n", (long long)in_shape[1],
                   (long long)in_shape[2], (long long)in_shape[3], result);
  coopt_buf_append(m, body.data, body.size);
  coopt_buf_printf(m, "    return %s : %s\n}\n", cur, result);
  coopt_buf_free(&body);
}

/* Calibration data for the passes that run the model: 8 samples. */
static bool write_data(fuzz_bytes *b, const int64_t in_shape[4]) {
  coopt_tensor t;
  memset(&t, 0, sizeof t);
  t.type.dtype = COOPT_F32;
  t.type.rank = 4;
  t.type.dims[0] = 8;
  for (int i = 1; i < 4; ++i)
    t.type.dims[i] = in_shape[i];
  int64_t n = cooptTensorElements(&t.type);
  float *v = coopt_xmalloc((size_t)n * sizeof(float));
  unsigned scale = 1 + take(b, 4);
  for (int64_t i = 0; i < n; ++i)
    v[i] = (float)((int)((i * 2654435761u) % 255u) - 127) / (32.0f * (float)scale);
  t.data = v;
  char err[256];
  bool ok = cooptTensorSaveNpy(data_path, &t, err, sizeof err);
  free(v);
  return ok;
}

/* One to three passes with options drawn from the bytes. */
static void generate_pipeline(coopt_buf *p, fuzz_bytes *b) {
  static const char *const patterns[] = {"unstructured", "2:4", "1:4", "1x4", "4x1", "2x2"};
  static const char *const objectives[] = {"balanced", "size", "latency"};
  static const char *const forces[] = {"auto", "dense", "sparse", "lut", "sparse-lut", "masked", "masked-lut"};
  coopt_buf_puts(p, "builtin.module(");
  int passes = 1 + (int)take(b, 3);
  for (int i = 0; i < passes; ++i) {
    if (i)
      coopt_buf_putc(p, ',');
    switch (take(b, 10)) {
    case 0: coopt_buf_printf(p, "coopt-stats{format=%s output=%s}", take(b, 2) ? "json" : "table", report_path); break;
    case 1:
      coopt_buf_printf(p, "coopt-prune{sparsity=%.3f pattern=%s ops=conv2d,depthwise_conv2d,matmul%s}",
                       take(b, 100) / 100.0, patterns[take(b, 6)], take(b, 4) ? "" : " scope=global");
      break;
    case 2:
      coopt_buf_printf(p, "coopt-prune{method=obs data=%s samples=8 sparsity=%.2f pattern=%s}", data_path,
                       take(b, 100) / 100.0, patterns[take(b, 6)]);
      break;
    case 3:
      coopt_buf_printf(p, "coopt-cluster{clusters=%u per-channel=%s preserve-sparsity=%s}", 2 + take(b, 31),
                       take(b, 2) ? "true" : "false", take(b, 2) ? "true" : "false");
      break;
    case 4: coopt_buf_puts(p, "coopt-verify-structure"); break;
    case 5:
      coopt_buf_printf(p, "coopt-recover{data=%s samples=8 dense=%s}", data_path, take(b, 2) ? "true" : "false");
      break;
    case 6:
      coopt_buf_printf(p, "coopt-calibrate{data=%s samples=8},coopt-fake-quant,coopt-lower-int8", data_path);
      break;
    case 7:
      coopt_buf_printf(p,
                       "coopt-calibrate{data=%s samples=8},coopt-fake-quant,coopt-lower-int8,"
                       "coopt-lower-kernels{objective=%s force=%s}",
                       data_path, objectives[take(b, 3)], forces[take(b, 7)]);
      break;
    case 8:
      coopt_buf_printf(p, "coopt-permute-channels{pattern=%s sparsity=%.2f passes=%u", patterns[1 + take(b, 5)],
                       take(b, 100) / 100.0, 1 + take(b, 3));
      if (take(b, 2))
        coopt_buf_printf(p, " data=%s samples=8", data_path);
      coopt_buf_putc(p, '}');
      break;
    default: coopt_buf_puts(p, "canonicalize"); break;
    }
  }
  coopt_buf_putc(p, ')');
}

static void ignore(MlirStringRef s, void *ud) { (void)s, (void)ud; }

static bool verify_claims(MlirModule m) {
  MlirPassManager verify = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  if (mlirLogicalResultIsFailure(cooptParsePassPipeline(
          mlirPassManagerGetAsOpPassManager(verify),
          mlirStringRefCreateFromCString("builtin.module(coopt-verify-structure)"), ignore, NULL)))
    abort();
  bool ok = mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(verify, mlirModuleGetOperation(m)));
  mlirPassManagerDestroy(verify);
  return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_bytes b = {data, size};
  coopt_buf model, pipe;
  coopt_buf_init(&model);
  coopt_buf_init(&pipe);
  int64_t in_shape[4];
  generate_model(&model, &b, in_shape);
  generate_pipeline(&pipe, &b);
  if (!write_data(&b, in_shape))
    abort();
  /* FUZZ_PASSES_DUMP=1: print the model and pipeline, to replay a finding
   * with coopt-opt (the data file is the .npy next to the TMPDIR). */
  if (getenv("FUZZ_PASSES_DUMP"))
    fprintf(stderr, "// pipeline: %.*s\n// data: %s\n%.*s\n", (int)pipe.size, pipe.data, data_path, (int)model.size,
            model.data);
  print_diagnostics = true;
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreate(model.data, model.size));
  bool valid = !mlirModuleIsNull(m) && mlirOperationVerify(mlirModuleGetOperation(m));
  print_diagnostics = false;
  if (!valid) {
    fprintf(stderr, "the generator wrote an invalid model:\n%.*s\n", (int)model.size, model.data);
    abort();
  }
  /* The claims the generator wrote may be false on purpose; only a pass
   * that turns true claims into false ones is a finding. */
  bool claims_held = verify_claims(m);
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  if (mlirLogicalResultIsFailure(cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                                        mlirStringRefCreate(pipe.data, pipe.size), ignore, NULL))) {
    fprintf(stderr, "the generator wrote an invalid pipeline: %.*s\n", (int)pipe.size, pipe.data);
    abort();
  }
  if (mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(m)))) {
    /* What the passes claim must be true. */
    bool claims_hold = !claims_held || verify_claims(m);
    if (!mlirOperationVerify(mlirModuleGetOperation(m)) || !claims_hold) {
      fprintf(stderr, "pipeline %.*s succeeded on\n%.*s\nbut its result %s\n", (int)pipe.size, pipe.data,
              (int)model.size, model.data, claims_hold ? "does not verify" : "breaks a coopt.structure claim");
      abort();
    }
  }
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(m);
  coopt_buf_free(&model);
  coopt_buf_free(&pipe);
  return 0;
}
