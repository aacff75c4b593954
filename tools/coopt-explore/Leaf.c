/*
 * One leaf of the deployment tree, in its own process: the node's chain of
 * stages applied to the float model (reading the parent's model back from
 * the work directory when an earlier job made it), the result deployed
 * (int8 where the chain quantizes, coopt's kernels, an object for the
 * target), and evaluated: accuracy on the validation split (and the test
 * split, reported only), deployable bytes, latency, compile time.
 *
 * A failing stage does not take the tree down: the job writes a leaf.json
 * that carries the diagnostic and exits 1, and the parent reports it.
 */
#define _GNU_SOURCE
#include "Explore.h"

#include "Analysis/Weights.h"
#include "IR/Build.h"
#include "Tool/Tool.h"
#include "coopt/Compile.h"
#include "coopt/Exec.h"
#include "coopt/Import.h"
#include "coopt/Pipeline.h"
#include "coopt/TensorIO.h"
#include "coopt/coopt.h"

#include <errno.h>
#include <fcntl.h>
#include <llvm-c/Core.h>
#include <llvm-c/Object.h>
#include <math.h>
#include <mlir-c/Pass.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double explore_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static bool file_exists(const char *path) { return access(path, R_OK) == 0; }

/* ---- the model ---- */

typedef struct model_source {
  coopt_buf text; /* what was parsed (diagnostics quote its lines) */
  const char *display;
} model_source;

/* Parse the model: bytecode or text MLIR, or ONNX imported at batch 1 (the
 * deployment batch: the leaf's object, its latency and its header are for
 * one image).  Diagnostics are located in the model file. */
static MlirOperation load_model(MlirContext ctx, const char *path, coopt_diag_engine *diags, model_source *src) {
  coopt_buf_init(&src->text);
  src->display = path;
  if (ends_with(path, ".onnx")) {
    coopt_buf err;
    coopt_buf_init(&err);
    coopt_onnx_import_options io = {1, 0, NULL};
    if (mlirLogicalResultIsFailure(
            cooptImportOnnx(path, &io, coopt_buf_string_callback, &src->text, coopt_buf_string_callback, &err))) {
      fprintf(stderr, "%s: error: %s\n", path, err.data ? err.data : "import failed");
      coopt_buf_free(&err);
      return (MlirOperation){NULL};
    }
    coopt_buf_free(&err);
    MlirOperation op = mlirOperationCreateParse(ctx, mlirStringRefCreate(src->text.data, src->text.size),
                                                mlirStringRefCreateFromCString(path));
    if (!mlirOperationIsNull(op))
      cooptAdoptImportedRanges(op);
    return op;
  }
  if (!coopt_read_file(path, &src->text)) {
    fprintf(stderr, "coopt-explore: error: cannot read '%s': %s\n", path, strerror(errno));
    return (MlirOperation){NULL};
  }
  coopt_diag_engine_set_buffer(diags, src->text.data, src->text.size);
  coopt_chunk whole = {src->text.data, src->text.size, 1};
  MlirOperation op = coopt_parse_chunk(ctx, &whole, path, diags);
  if (!mlirOperationIsNull(op)) {
    MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
    if (!coopt_str_eq(name.data, name.length, "builtin.module")) {
      fprintf(stderr, "%s: error: expected a builtin.module at the top level\n", path);
      mlirOperationDestroy(op);
      return (MlirOperation){NULL};
    }
  }
  return op;
}

/* One f32 input [batch, ...] and one f32 output [batch, classes]: what
 * top-1 evaluation needs. */
static bool check_interface(MlirOperation module, const char *path, int64_t *batch, int64_t *per, int64_t *classes) {
  coopt_jit iface;
  memset(&iface, 0, sizeof iface);
  char err[512];
  if (!cooptModuleInterface(mlirModuleFromOperation(module), &iface, err, sizeof err)) {
    fprintf(stderr, "%s: error: %s\n", path, err);
    return false;
  }
  bool ok = iface.num_inputs == 1 && iface.num_outputs >= 1 && iface.inputs[0].dtype == COOPT_F32 &&
            iface.inputs[0].rank >= 2 && iface.outputs[0].dtype == COOPT_F32 && iface.outputs[0].rank == 2 &&
            iface.outputs[0].dims[0] == iface.inputs[0].dims[0] && iface.inputs[0].dims[0] > 0;
  if (!ok) {
    fprintf(stderr,
            "%s: error: coopt-explore needs a classifier: one f32 input [batch, ...] and an f32 output "
            "[batch, classes]\n",
            path);
  } else {
    *batch = iface.inputs[0].dims[0];
    *per = cooptTensorElements(&iface.inputs[0]) / *batch;
    *classes = iface.outputs[0].dims[1];
  }
  cooptJitDestroy(&iface);
  return ok;
}

static void write_bytecode(MlirOperation op, coopt_buf *out) {
  mlirOperationWriteBytecode(op, coopt_buf_string_callback, out);
}

/* A parsed model in its own context, with its diagnostics located in the
 * model file and the interface top-1 evaluation needs. */
typedef struct model_session {
  MlirContext ctx;
  coopt_diag_engine diags;
  model_source src;
  MlirOperation op;
  int64_t batch, per, classes;
} model_session;

static bool session_open(model_session *s, const char *path, const char *display) {
  s->ctx = cooptCreateContext(false);
  coopt_diag_engine_init(&s->diags, display, false);
  coopt_diag_engine_attach(&s->diags, s->ctx);
  s->op = load_model(s->ctx, path, &s->diags, &s->src);
  return !mlirOperationIsNull(s->op) && check_interface(s->op, display, &s->batch, &s->per, &s->classes);
}

static void session_close(model_session *s) {
  if (!mlirOperationIsNull(s->op))
    mlirOperationDestroy(s->op);
  s->op = (MlirOperation){NULL};
  cooptSetDiagnosticHook(NULL, NULL);
  mlirContextDestroy(s->ctx);
  coopt_diag_engine_free(&s->diags);
  coopt_buf_free(&s->src.text);
}

/* ---- the data: calibration, validation and test splits ---- */

typedef struct split {
  float *x;   /* n x per, normalised model inputs */
  uint8_t *y; /* labels */
  int64_t n;
} split;

typedef struct dataset {
  split train, test; /* train: everything calibration and validation come from */
  int64_t per;
} dataset;

static bool load_idx_pair(const char *dir, const char *prefix, coopt_tensor *images, coopt_tensor *labels, char *err,
                          size_t err_size) {
  char path[4096];
  const char *kind[2] = {"images-idx3-ubyte", "labels-idx1-ubyte"};
  coopt_tensor *dst[2] = {images, labels};
  for (int k = 0; k < 2; ++k) {
    snprintf(path, sizeof path, "%s/%s-%s.gz", dir, prefix, kind[k]);
    if (!file_exists(path))
      snprintf(path, sizeof path, "%s/%s-%s", dir, prefix, kind[k]);
    if (!cooptIdxLoad(path, dst[k], err, err_size)) {
      if (k)
        cooptTensorFree(images);
      return false;
    }
  }
  if (images->type.rank != 3 || labels->type.rank != 1 || labels->type.dims[0] != images->type.dims[0] ||
      images->type.dtype != COOPT_U8 || labels->type.dtype != COOPT_U8) {
    snprintf(err, err_size, "%s: %s images and labels do not match (expected u8 [N, H, W] and u8 [N])", dir, prefix);
    cooptTensorFree(images), cooptTensorFree(labels);
    return false;
  }
  return true;
}

static bool idx_split(const char *dir, const char *prefix, int64_t per, double mean, double std, split *s, char *err,
                      size_t err_size) {
  coopt_tensor images, labels;
  if (!load_idx_pair(dir, prefix, &images, &labels, err, err_size))
    return false;
  int64_t n = images.type.dims[0], pixels = images.type.dims[1] * images.type.dims[2];
  bool ok = pixels == per;
  if (!ok)
    snprintf(err, err_size, "%s: %s images have %lld pixels, the model's input has %lld values per image", dir, prefix,
             (long long)pixels, (long long)per);
  else {
    s->n = n;
    s->x = coopt_xmalloc((size_t)(n * per) * sizeof(float));
    s->y = coopt_xmalloc((size_t)n);
    const uint8_t *px = images.data;
    for (int64_t i = 0; i < n * per; ++i)
      s->x[i] = (float)(((double)px[i] / 255.0 - mean) / std);
    memcpy(s->y, labels.data, (size_t)n);
  }
  cooptTensorFree(&images), cooptTensorFree(&labels);
  return ok;
}

/* --data=<images.npy> --labels=<labels.npy>: inputs as the model takes
 * them (already normalised), labels u8 or integer; no test split. */
static bool npy_split(const char *images, const char *labels, int64_t per, split *s, char *err, size_t err_size) {
  coopt_tensor x, y;
  if (!labels) {
    snprintf(err, err_size, "--data=%s is a tensor: give its labels with --labels=<.npy>", images);
    return false;
  }
  if (!cooptTensorLoad(images, &x, err, err_size))
    return false;
  if (!cooptTensorLoad(labels, &y, err, err_size)) {
    cooptTensorFree(&x);
    return false;
  }
  bool ok = false;
  int64_t n = x.type.rank >= 1 ? x.type.dims[0] : 0;
  if (x.type.dtype != COOPT_F32 || n < 1 || cooptTensorElements(&x.type) != n * per)
    snprintf(err, err_size, "%s: expected f32 [N, ...] with %lld values per item", images, (long long)per);
  else if (y.type.rank != 1 || y.type.dims[0] != n ||
           (y.type.dtype != COOPT_U8 && y.type.dtype != COOPT_I64 && y.type.dtype != COOPT_I32))
    snprintf(err, err_size, "%s: expected %lld integer labels [N]", labels, (long long)n);
  else {
    ok = true;
    s->n = n;
    s->x = x.data, x.data = NULL;
    s->y = coopt_xmalloc((size_t)n);
    for (int64_t i = 0; i < n && ok; ++i) {
      int64_t v = y.type.dtype == COOPT_U8    ? ((uint8_t *)y.data)[i]
                  : y.type.dtype == COOPT_I32 ? ((int32_t *)y.data)[i]
                                              : ((int64_t *)y.data)[i];
      if (v < 0 || v > 255) {
        snprintf(err, err_size, "%s: label %lld is %lld (expected 0..255)", labels, (long long)i, (long long)v);
        ok = false;
      }
      s->y[i] = (uint8_t)v;
    }
    for (int64_t i = 0; i < n * per && ok; ++i)
      if (!isfinite(s->x[i])) {
        snprintf(err, err_size, "%s: item %lld holds a non-finite value", images, (long long)(i / per));
        ok = false;
      }
  }
  cooptTensorFree(&x), cooptTensorFree(&y);
  return ok;
}

static void split_free(split *s) {
  free(s->x), free(s->y);
  memset(s, 0, sizeof *s);
}

/* The model's input normalisation for IDX images: --normalize, else its
 * coopt.metadata. */
static bool normalisation(const explore_options *o, MlirOperation module, double *mean, double *std) {
  if (o->has_norm) {
    *mean = o->mean, *std = o->std;
    return true;
  }
  if (cooptMetadataNumber(module, "normalize_mean", mean) && cooptMetadataNumber(module, "normalize_std", std) &&
      *std > 0)
    return true;
  fprintf(stderr,
          "%s: error: no input normalisation: give --normalize=<mean>,<std> (the model has no coopt.metadata "
          "normalize_mean/normalize_std)\n",
          o->model);
  return false;
}

static bool load_dataset(const explore_options *o, MlirOperation module, int64_t per, dataset *d) {
  memset(d, 0, sizeof *d);
  d->per = per;
  char err[1024];
  struct stat st;
  bool ok;
  if (stat(o->data, &st) == 0 && S_ISDIR(st.st_mode)) {
    double mean, std;
    if (!normalisation(o, module, &mean, &std))
      return false;
    ok = idx_split(o->data, "train", per, mean, std, &d->train, err, sizeof err) &&
         idx_split(o->data, "t10k", per, mean, std, &d->test, err, sizeof err);
  } else {
    ok = npy_split(o->data, o->labels, per, &d->train, err, sizeof err);
  }
  if (ok && d->train.n < o->validation + 1) {
    snprintf(err, sizeof err, "%s: %lld training items cannot hold a validation split of %lld and calibration data",
             o->data, (long long)d->train.n, (long long)o->validation);
    ok = false;
  }
  if (!ok) {
    fprintf(stderr, "coopt-explore: error: %s\n", err);
    split_free(&d->train), split_free(&d->test);
  }
  return ok;
}

/* Write the calibration split: `calibration` items spread evenly over the
 * training items before the validation split, so that calibration never
 * sees a validation image. */
static bool save_calibration(const explore_options *o, int64_t per, const dataset *d, const char *path) {
  int64_t pool = d->train.n - o->validation, n = o->calibration < pool ? o->calibration : pool;
  float *x = coopt_xmalloc((size_t)(n * per) * sizeof(float));
  for (int64_t i = 0; i < n; ++i)
    memcpy(x + i * per, d->train.x + (i * pool / n) * per, (size_t)per * sizeof(float));
  coopt_tensor t = {{COOPT_F32, 2, {n, per}}, x};
  char err[1024];
  bool ok = cooptTensorSaveNpy(path, &t, err, sizeof err);
  if (!ok)
    fprintf(stderr, "coopt-explore: error: %s\n", err);
  free(x);
  return ok;
}

bool explore_prepare(const explore_options *o, const char *model_path, const char *calibration_path) {
  model_session m;
  dataset d;
  bool ok = session_open(&m, o->model, o->model) && load_dataset(o, m.op, m.per, &d);
  if (ok) {
    ok = save_calibration(o, m.per, &d, calibration_path);
    split_free(&d.train), split_free(&d.test);
  }
  if (ok) {
    coopt_buf bc;
    coopt_buf_init(&bc);
    write_bytecode(m.op, &bc);
    char err[512];
    ok = coopt_write_file_atomic(model_path, bc.data, bc.size, err, sizeof err);
    if (!ok)
      fprintf(stderr, "coopt-explore: error: %s\n", err);
    coopt_buf_free(&bc);
  }
  session_close(&m);
  return ok;
}

/* ---- running pipelines ---- */

static void stderr_callback(MlirStringRef s, void *user) {
  (void)user;
  fwrite(s.data, 1, s.length, stderr);
}

static bool run_pipeline(MlirContext ctx, MlirOperation module, const char *pipeline) {
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  bool ok = mlirLogicalResultIsSuccess(cooptParsePassPipeline(
      mlirPassManagerGetAsOpPassManager(pm), mlirStringRefCreateFromCString(pipeline), stderr_callback, NULL));
  ok = ok && mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, module));
  mlirPassManagerDestroy(pm);
  return ok;
}

/* ---- measurements ---- */

/* Weight-value histogram of the `index`-th conv2d/matmul weight. */
static bool density_of(MlirOperation module, size_t index, explore_density *d) {
  coopt_weight_set ws;
  bool ok =
      cooptCollectWeights(module, COOPT_WOP_MASK(COOPT_WOP_CONV2D) | COOPT_WOP_MASK(COOPT_WOP_MATMUL), false, &ws) &&
      index < ws.count;
  if (ok) {
    const coopt_weight *w = &ws.items[index];
    float *v = cooptWeightLoad(w);
    ok = v != NULL;
    if (ok) {
      memset(d, 0, sizeof *d);
      cooptFormatLocation(mlirOperationGetLocation(w->user), d->layer, sizeof d->layer);
      int64_t n = w->num_elements;
      d->count = n;
      d->lo = d->hi = n ? v[0] : 0;
      for (int64_t i = 0; i < n; ++i) {
        d->lo = v[i] < d->lo ? v[i] : d->lo;
        d->hi = v[i] > d->hi ? v[i] : d->hi;
        d->zeros += v[i] == 0;
      }
      double width = d->hi > d->lo ? (d->hi - d->lo) / EXPLORE_BINS : 1;
      for (int64_t i = 0; i < n; ++i) {
        int b = (int)((v[i] - d->lo) / width);
        d->bins[b < 0 ? 0 : b >= EXPLORE_BINS ? EXPLORE_BINS - 1 : b]++;
      }
      /* Distinct values: sort a copy. */
      float *s = coopt_xmalloc((size_t)n * sizeof(float));
      memcpy(s, v, (size_t)n * sizeof(float));
      for (int64_t gap = n / 2; gap > 0; gap /= 2) /* shell sort: no comparator callbacks, n is small */
        for (int64_t i = gap; i < n; ++i)
          for (int64_t j = i; j >= gap && s[j - gap] > s[j]; j -= gap) {
            float t = s[j];
            s[j] = s[j - gap], s[j - gap] = t;
          }
      for (int64_t i = 0; i < n; ++i)
        d->distinct += i == 0 || s[i] != s[i - 1];
      free(s);
      free(v);
    }
  }
  cooptWeightSetFree(&ws);
  return ok;
}

/* The largest conv2d/matmul weight: the layer the density plots follow. */
static size_t density_layer(MlirOperation module) {
  coopt_weight_set ws;
  /* A too-large weight was reported when the tree's root was compiled. */
  (void)cooptCollectWeights(module, COOPT_WOP_MASK(COOPT_WOP_CONV2D) | COOPT_WOP_MASK(COOPT_WOP_MATMUL), false, &ws);
  size_t best = 0;
  for (size_t i = 1; i < ws.count; ++i)
    if (ws.items[i].num_elements > ws.items[best].num_elements)
      best = i;
  cooptWeightSetFree(&ws);
  return best;
}

/* Bytes of the object's sections whose names start with `prefix`. */
static int64_t section_bytes(const char *obj, size_t size, const char *prefix) {
  LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRange(obj, size, "leaf.o", false);
  char *msg = NULL;
  LLVMBinaryRef bin = LLVMCreateBinary(mb, NULL, &msg);
  int64_t total = -1;
  if (bin) {
    total = 0;
    LLVMSectionIteratorRef it = LLVMObjectFileCopySectionIterator(bin);
    for (; !LLVMObjectFileIsSectionIteratorAtEnd(bin, it); LLVMMoveToNextSection(it)) {
      const char *name = LLVMGetSectionName(it);
      if (name && !strncmp(name, prefix, strlen(prefix)))
        total += (int64_t)LLVMGetSectionSize(it);
    }
    LLVMDisposeSectionIterator(it);
    LLVMDisposeBinary(bin);
  }
  LLVMDisposeMessage(msg);
  LLVMDisposeMemoryBuffer(mb);
  return total;
}

/* The latency model for a target without hardware here: the int8 GEMM
 * calls carry coopt-lower-kernels' cost-model prediction in cycles
 * (coopt.kernel predicted; Analysis/KernelCost.h), which is taken as it is;
 * every other call's MACs (coopt.kernel macs) are multiplied by its inner
 * loop's cycles per MAC under llvm-mca (docs/Performance.md,
 * bench/mca-kernels.sh), at a nominal clock.  Everything off the kernels
 * (pooling, reshapes, the upstream loops) is left out, so it is a lower
 * bound.  Kernels without an llvm-mca figure use the assumption in their
 * row, marked in docs/Explore.md. */
typedef struct kernel_cost {
  const char *kind;
  double n1, v2; /* cycles per MAC */
} kernel_cost;
static const kernel_cost kernel_costs[] = {
    {"im2col + dense int8", 0.047, 0.030}, /* dense int8 (0.031, 0.020) + im2col copies: assumed 1.5x */
    {"depthwise int8", 0.25, 0.15},        /* assumed */
    {"dense f32", 0.284, 0.129},           {"im2col + dense f32", 0.341, 0.155}, /* assumed 1.2x dense */
    {"depthwise f32", 0.35, 0.17},                                               /* assumed */
};

typedef struct kernel_summary {
  char text[512];
  double cycles;
  bool unknown; /* a kind without a cost */
} kernel_summary;

static void summarise_kernels(MlirOperation module, bool v2, kernel_summary *s) {
  memset(s, 0, sizeof *s);
  char kinds[16][64];
  int counts[16] = {0}, nk = 0;
  MlirOperation fn = cooptFindFunc(module, "main");
  if (mlirOperationIsNull(fn))
    return;
  MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirAttribute d = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("coopt.kernel"));
    if (mlirAttributeIsNull(d) || !mlirAttributeIsADictionary(d))
      continue;
    MlirAttribute k = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("kind"));
    MlirAttribute m = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("macs"));
    if (mlirAttributeIsNull(k) || !mlirAttributeIsAString(k))
      continue;
    MlirStringRef ks = mlirStringAttrGetValue(k);
    char kind[64];
    snprintf(kind, sizeof kind, "%.*s", (int)ks.length, ks.data);
    int i = 0;
    while (i < nk && strcmp(kinds[i], kind))
      ++i;
    if (i == nk && nk < 16)
      snprintf(kinds[nk++], sizeof kinds[0], "%s", kind);
    if (i < 16)
      counts[i]++;
    double macs = !mlirAttributeIsNull(m) && mlirAttributeIsAInteger(m) ? (double)mlirIntegerAttrGetValueInt(m) : 0;
    MlirAttribute p = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("predicted"));
    MlirAttribute u = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("unit"));
    if (!mlirAttributeIsNull(p) && mlirAttributeIsAFloat(p) && !mlirAttributeIsNull(u) && mlirAttributeIsAString(u) &&
        mlirStringRefEqual(mlirStringAttrGetValue(u), mlirStringRefCreateFromCString("cycles"))) {
      s->cycles += mlirFloatAttrGetValueDouble(p);
      continue;
    }
    bool known = false;
    for (size_t c = 0; c < sizeof kernel_costs / sizeof *kernel_costs; ++c)
      if (!strcmp(kernel_costs[c].kind, kind)) {
        s->cycles += macs * (v2 ? kernel_costs[c].v2 : kernel_costs[c].n1);
        known = true;
      }
    s->unknown |= !known;
  }
  size_t u = 0;
  for (int i = 0; i < nk && u < sizeof s->text; ++i)
    u += (size_t)snprintf(s->text + u, sizeof s->text - u, "%s%s x%d", i ? ", " : "", kinds[i], counts[i]);
}

typedef struct evaluation {
  int64_t correct, n;
} evaluation;

static bool evaluate(coopt_jit *jit, const float *x, const uint8_t *y, int64_t n, int64_t per, evaluation *e) {
  const coopt_tensor_type *in = &jit->inputs[0], *out = &jit->outputs[0];
  int64_t B = in->dims[0], classes = out->dims[1];
  float *bx = coopt_xcalloc((size_t)(B * per), sizeof(float)),
        *by = coopt_xmalloc((size_t)(B * classes) * sizeof(float));
  e->correct = 0, e->n = n;
  bool ok = true;
  for (int64_t base = 0; base < n && ok; base += B) {
    int64_t cnt = n - base < B ? n - base : B;
    memcpy(bx, x + base * per, (size_t)(cnt * per) * sizeof(float));
    memset(bx + cnt * per, 0, (size_t)((B - cnt) * per) * sizeof(float));
    void *ins[1] = {bx}, *outs[1] = {by};
    ok = cooptJitRun(jit, ins, outs);
    for (int64_t b = 0; b < cnt && ok; ++b) {
      int64_t best = 0;
      for (int64_t k = 1; k < classes; ++k)
        if (by[b * classes + k] > by[b * classes + best])
          best = k;
      e->correct += best == y[base + b];
    }
  }
  free(bx), free(by);
  return ok;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_latency_us(coopt_jit *jit, const float *x, int64_t per, int repeats) {
  const coopt_tensor_type *in = &jit->inputs[0], *out = &jit->outputs[0];
  float *bx = coopt_xcalloc((size_t)cooptTensorElements(in), sizeof(float));
  float *by = coopt_xmalloc((size_t)cooptTensorElements(out) * sizeof(float));
  memcpy(bx, x, (size_t)per * sizeof(float));
  void *ins[1] = {bx}, *outs[1] = {by};
  for (int i = 0; i < 10; ++i)
    cooptJitRun(jit, ins, outs);
  double *t = coopt_xmalloc((size_t)repeats * sizeof(double));
  for (int i = 0; i < repeats; ++i) {
    double s = explore_now();
    cooptJitRun(jit, ins, outs);
    t[i] = explore_now() - s;
  }
  qsort(t, (size_t)repeats, sizeof(double), cmp_double);
  double m = 1e6 * t[repeats / 2];
  free(t), free(bx), free(by);
  return m;
}

/* ---- the job ---- */

/* Put a copy of `model` on coopt's kernels for `arch`: int8 lowering where
 * the chain quantized, the structure check, the kernels. */
static MlirOperation deploy(MlirContext ctx, MlirOperation model, bool quantized, const char *arch, bool v2,
                            const char *objective) {
  MlirOperation m = mlirOperationClone(model);
  cooptDropReferences(m);
  char pipe[256];
  /* The kernel choice predicts for the CPU the latency is estimated for. */
  snprintf(pipe, sizeof pipe, "builtin.module(%scoopt-verify-structure,coopt-lower-kernels{target=%s objective=%s%s})",
           quantized ? "coopt-lower-int8," : "", arch, objective,
           strcmp(arch, "aarch64") ? ""
           : v2                    ? " cpu=neoverse-v2"
                                   : " cpu=neoverse-n1");
  cooptDiagnosticsQuiet(true);
  bool ok = run_pipeline(ctx, m, pipe);
  cooptDiagnosticsQuiet(false);
  if (!ok) {
    mlirOperationDestroy(m);
    return (MlirOperation){NULL};
  }
  return m;
}

static bool emit_object(MlirContext ctx, MlirOperation kernels, const coopt_target *target, char **obj, size_t *size) {
  MlirOperation m = mlirOperationClone(kernels);
  char err[1024];
  bool ok = cooptEmitModule(ctx, mlirModuleFromOperation(m), target, COOPT_EMIT_OBJ, obj, size, err, sizeof err);
  if (!ok)
    fprintf(stderr, "coopt-explore: error: %s\n", err);
  mlirOperationDestroy(m);
  return ok;
}

static bool save(const char *dir, const char *name, const void *data, size_t size) {
  char *path = NULL, err[1024];
  if (asprintf(&path, "%s/%s", dir, name) < 0)
    return false;
  bool ok = coopt_write_file_atomic(path, data, size, err, sizeof err);
  if (!ok)
    fprintf(stderr, "coopt-explore: error: %s\n", err);
  free(path);
  return ok;
}

/* The first "error:" line this process wrote to stderr, when stderr is a
 * file (the parent runs every job with stderr in its log). */
static char *first_error_line(void) {
  fflush(stderr);
  struct stat st;
  if (fstat(2, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
    return NULL;
  size_t n = (size_t)st.st_size;
  char *text = coopt_xmalloc(n + 1);
  ssize_t got = pread(2, text, n, 0);
  char *line = NULL;
  if (got > 0) {
    text[got] = 0;
    for (char *p = text; *p && !line;) {
      char *e = strchr(p, '\n');
      if (e)
        *e = 0;
      if (strstr(p, "error:"))
        line = coopt_xstrndup(p, strlen(p));
      p = e ? e + 1 : p + strlen(p);
    }
  }
  free(text);
  return line;
}

/* What one leaf job holds between its steps: the options and the node, the
 * leaf record it fills, and what it owns until the end. */
typedef struct leaf_job {
  const explore_options *o;
  const explore_tree *t;
  int node;
  const char *dir;
  explore_leaf L;
  char cal_path[4096], cal[4200];
  model_session m;
  dataset data;
  MlirOperation model; /* the model after the chain's stages (owned by m) */
  MlirOperation kernels, host;
  char *obj, *host_obj, *header;
  size_t obj_size, host_size, header_size;
  bool cross;
  const char *mcpu;
  kernel_summary ks;
  coopt_jit jit;
  double compile_s;
} leaf_job;

/* mkdir -p */
static bool make_dirs(const char *dir) {
  char *md = coopt_xstrndup(dir, strlen(dir));
  bool ok = true;
  for (char *s = md + 1; ok; ++s)
    if (*s == '/' || !*s) {
      char c = *s;
      *s = 0;
      if (mkdir(md, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "coopt-explore: error: cannot create '%s': %s\n", md, strerror(errno));
        ok = false;
      }
      if (!(*s = c))
        break;
    }
  free(md);
  return ok;
}

static void leaf_job_init(leaf_job *j, const explore_options *o, const explore_tree *t, int node, const char *dir) {
  memset(j, 0, sizeof *j);
  j->o = o, j->t = t, j->node = node, j->dir = dir;
  explore_leaf *L = &j->L;
  const explore_node *nd = &t->nodes[node];
  snprintf(L->name, sizeof L->name, "%s", nd->name);
  snprintf(L->parent, sizeof L->parent, "%s", nd->parent >= 0 ? t->nodes[nd->parent].name : "");
  L->level = nd->level;
  L->quantized = explore_chain_quantized(t, node);
  L->accuracy = L->fake_accuracy = L->test_accuracy = NAN;
  L->latency_us = L->host_latency_us = NAN;
  /* The calibration split: the work directory's (the parent wrote it) or
   * this job's own.  Absolute, so that the pipeline does not depend on the
   * working directory. */
  char *p = realpath(o->work ? o->work : dir, NULL);
  snprintf(j->cal_path, sizeof j->cal_path, "%s/calibration.npy", p ? p : (o->work ? o->work : dir));
  free(p);
  snprintf(j->cal, sizeof j->cal, "data=%s samples=%lld", j->cal_path, (long long)o->calibration);
  L->pipeline = explore_shown_pipeline(o, t, node);
  L->calibration_items = o->calibration;
}

/* The float model (the parent's bytecode copy when there is one): for the
 * interface, the normalisation and the density plots' layer, even when a
 * stage was built by another job. */
static bool leaf_open_model(leaf_job *j) {
  char *work_model = NULL;
  if (j->o->work && asprintf(&work_model, "%s/model.mlirbc", j->o->work) >= 0 && !file_exists(work_model))
    free(work_model), work_model = NULL;
  bool ok = session_open(&j->m, work_model ? work_model : j->o->model, j->o->model);
  free(work_model);
  return ok;
}

/* The time the stages chain[k..n-1] took when other jobs built them. */
static double cached_stage_seconds(const leaf_job *j, const int *chain, int k, int n) {
  double s = 0;
  for (; k < n; ++k) {
    char sp[4200];
    snprintf(sp, sizeof sp, "%s/stages/%s.seconds", j->o->work, j->t->nodes[chain[k]].name);
    coopt_buf secs;
    coopt_buf_init(&secs);
    if (coopt_read_file(sp, &secs) && secs.data)
      s += strtod(secs.data, NULL);
    coopt_buf_free(&secs);
  }
  return s;
}

/* Replace the float model by the deepest of chain[0..n-1] (the node, its
 * parent, ...) another job already built.  Returns how many of the chain
 * are still to run (chain[start-1] .. chain[0]), or -1 on error. */
static int leaf_resume(leaf_job *j, const int *chain, int n) {
  for (int k = 0; k < n && j->o->work; ++k) {
    char *stage = NULL;
    if (asprintf(&stage, "%s/stages/%s.mlirbc", j->o->work, j->t->nodes[chain[k]].name) < 0)
      return -1;
    MlirOperation cached = {NULL};
    if (file_exists(stage)) {
      coopt_buf bc;
      coopt_buf_init(&bc);
      if (coopt_read_file(stage, &bc))
        cached = mlirOperationCreateParse(j->m.ctx, mlirStringRefCreate(bc.data, bc.size),
                                          mlirStringRefCreateFromCString(stage));
      coopt_buf_free(&bc);
    }
    free(stage);
    if (mlirOperationIsNull(cached))
      continue;
    mlirOperationDestroy(j->m.op);
    j->m.op = cached;
    j->compile_s += cached_stage_seconds(j, chain, k, n);
    return k;
  }
  return n;
}

/* Keep a built stage for the jobs below it: its bytecode and its time. */
static bool save_stage(const leaf_job *j, const char *name, MlirOperation model, double seconds) {
  char stages[4200], file[EXPLORE_NAME_MAX + 16], secs[64];
  snprintf(stages, sizeof stages, "%s/stages", j->o->work);
  mkdir(stages, 0777);
  coopt_buf bc;
  coopt_buf_init(&bc);
  write_bytecode(model, &bc);
  snprintf(file, sizeof file, "%s.mlirbc", name);
  bool saved = save(stages, file, bc.data, bc.size);
  coopt_buf_free(&bc);
  int len = snprintf(secs, sizeof secs, "%.6f\n", seconds);
  snprintf(file, sizeof file, "%s.seconds", name);
  return saved && save(stages, file, secs, (size_t)len);
}

/* Run the stages of the chain that are not built yet, saving each. */
static bool leaf_build_stages(leaf_job *j) {
  int chain[64], n = 0;
  for (int i = j->node; i > 0 && n < 64; i = j->t->nodes[i].parent)
    chain[n++] = i;
  int start = leaf_resume(j, chain, n);
  if (start < 0)
    return false;
  if (!load_dataset(j->o, j->m.op, j->m.per, &j->data))
    return false;
  if (!file_exists(j->cal_path) && !save_calibration(j->o, j->m.per, &j->data, j->cal_path))
    return false;
  j->model = j->m.op;
  for (int k = start - 1; k >= 0; --k) {
    const explore_node *s = &j->t->nodes[chain[k]];
    coopt_buf stage;
    coopt_buf_init(&stage);
    coopt_buf_puts(&stage, "builtin.module(");
    explore_expand_stage(s->stage, j->cal, &stage);
    coopt_buf_putc(&stage, ')');
    double t0 = explore_now();
    bool stage_ok = run_pipeline(j->m.ctx, j->model, stage.data);
    coopt_buf_free(&stage);
    if (!stage_ok) {
      fprintf(stderr, "coopt-explore: error: node '%s': its stage failed\n", s->name);
      return false;
    }
    double dt = explore_now() - t0;
    j->compile_s += dt;
    if (j->o->work && !save_stage(j, s->name, j->model, dt))
      return false;
  }
  return true;
}

/* The validation items: the last o->validation of the training split. */
static bool evaluate_validation(leaf_job *j, evaluation *e) {
  const split *tr = &j->data.train;
  int64_t nv = j->o->validation, per = j->m.per;
  return evaluate(&j->jit, tr->x + (tr->n - nv) * per, tr->y + (tr->n - nv), nv, per, e);
}

/* Fake-quant accuracy (the graph coopt-fake-quant emulates int8 with). */
static bool leaf_fake_quant_accuracy(leaf_job *j) {
  char err[1024];
  MlirOperation fq = mlirOperationClone(j->model);
  cooptDropReferences(fq);
  bool ok = cooptJitCompile(j->m.ctx, mlirModuleFromOperation(fq), 2, &j->jit, err, sizeof err);
  evaluation e;
  if (!ok)
    fprintf(stderr, "coopt-explore: error: node '%s': %s\n", j->L.name, err);
  else if (!(ok = evaluate_validation(j, &e)))
    fprintf(stderr, "coopt-explore: error: node '%s': the fake-quant graph failed to run\n", j->L.name);
  else
    j->L.fake_accuracy = 100.0 * (double)e.correct / (double)e.n;
  cooptJitDestroy(&j->jit);
  memset(&j->jit, 0, sizeof j->jit);
  mlirOperationDestroy(fq);
  return ok;
}

/* Deploy: the target's object (bytes, leaf.o) and the host's (accuracy,
 * latency).  The x86_64 target's object is portable unless --mcpu says
 * otherwise: its weights section is then not inflated by one CPU's vector
 * constants (AVX-512 here adds 4-7 KB of them), and it runs on any x86-64
 * (the runtime's kernels pick their ISA at run time).  The host's object
 * is built for this machine, whose speed it measures; it is the target's
 * own object when that was built for this machine too. */
static bool leaf_compile(leaf_job *j) {
  const explore_options *o = j->o;
  explore_leaf *L = &j->L;
  double t0 = explore_now();
  j->cross = strcmp(o->target, "x86_64") != 0;
  j->mcpu = o->mcpu ? o->mcpu : j->cross ? "neoverse-n1" : NULL;
  bool v2 = j->mcpu && strstr(j->mcpu, "v2");
  j->kernels = deploy(j->m.ctx, j->model, L->quantized, o->target, v2, o->objective);
  if (mlirOperationIsNull(j->kernels)) {
    fprintf(stderr, "coopt-explore: error: node '%s': lowering to coopt's kernels failed\n", L->name);
    return false;
  }
  const char *mattr = o->mattr ? o->mattr : j->cross ? "+dotprod" : NULL;
  bool host_is_target = !j->cross && j->mcpu && !strcmp(j->mcpu, "native") && !mattr;
  coopt_target target = {o->target, j->mcpu, mattr, 2, "model"};
  char err[1024];
  if (!cooptEmitHeader(mlirModuleFromOperation(j->kernels), "model", &j->header, &j->header_size, err, sizeof err)) {
    fprintf(stderr, "coopt-explore: error: node '%s': %s\n", L->name, err);
    return false;
  }
  if (!emit_object(j->m.ctx, j->kernels, &target, &j->obj, &j->obj_size))
    return false;
  j->compile_s += explore_now() - t0;
  L->bytes = section_bytes(j->obj, j->obj_size, ".rodata");
  L->text_bytes = section_bytes(j->obj, j->obj_size, ".text");
  summarise_kernels(j->kernels, v2, &j->ks);
  snprintf(L->kernels, sizeof L->kernels, "%s", j->ks.text);
  if (host_is_target)
    return true;
  if (j->cross)
    j->host = deploy(j->m.ctx, j->model, L->quantized, "x86_64", false, o->objective);
  coopt_target ht = {"x86_64", "native", NULL, 2, "model"};
  return !(j->cross && mlirOperationIsNull(j->host)) &&
         emit_object(j->m.ctx, j->cross ? j->host : j->kernels, &ht, &j->host_obj, &j->host_size);
}

/* One measurement at a time across the tree's jobs: with -j up to the
 * cores, a job that measures then has a core to itself instead of sharing
 * it with another's timing loop. */
static double locked_latency_us(leaf_job *j) {
  char *lock = NULL;
  int fd = -1;
  if (j->o->work && asprintf(&lock, "%s/latency.lock", j->o->work) >= 0)
    fd = open(lock, O_CREAT | O_RDWR, 0666);
  if (fd >= 0)
    flock(fd, LOCK_EX);
  double us = median_latency_us(&j->jit, j->data.train.x, j->m.per, j->o->repeats);
  if (fd >= 0)
    flock(fd, LOCK_UN), close(fd);
  free(lock);
  return us;
}

/* The host object, loaded: accuracy on validation and test, latency. */
static bool leaf_evaluate(leaf_job *j) {
  explore_leaf *L = &j->L;
  char path[4096], err[1024];
  snprintf(path, sizeof path, "%s/host.o", j->dir);
  if (!save(j->dir, "host.o", j->host_obj ? j->host_obj : j->obj, j->host_obj ? j->host_size : j->obj_size))
    return false;
  if (!cooptObjectLoad(mlirModuleFromOperation(j->cross ? j->host : j->kernels), path, "model", &j->jit, err,
                       sizeof err)) {
    fprintf(stderr, "coopt-explore: error: node '%s': %s\n", L->name, err);
    return false;
  }
  evaluation ev, et = {0, 0};
  const split *te = &j->data.test;
  int64_t nv = j->o->validation, nt = j->o->test < 0 || j->o->test > te->n ? te->n : j->o->test;
  if (!evaluate_validation(j, &ev) || (nt > 0 && !evaluate(&j->jit, te->x, te->y, nt, j->m.per, &et))) {
    fprintf(stderr, "coopt-explore: error: node '%s': the compiled leaf failed to run\n", L->name);
    return false;
  }
  L->accuracy = 100.0 * (double)ev.correct / (double)ev.n;
  L->test_accuracy = nt > 0 ? 100.0 * (double)et.correct / (double)et.n : NAN;
  L->validation_images = nv, L->test_images = nt;
  if (!L->quantized)
    L->fake_accuracy = NAN;
  L->host_latency_us = locked_latency_us(j);
  if (j->cross) {
    double ghz = j->mcpu && strstr(j->mcpu, "v2") ? 3.0 : 2.5;
    L->latency_us = j->ks.cycles / (ghz * 1e3);
    L->latency_estimated = true;
  } else {
    L->latency_us = L->host_latency_us;
  }
  L->compile_s = j->compile_s;
  L->evaluated = true;
  return true;
}

/* The leaf's artefacts: its kernel-level MLIR, object and header. */
static bool leaf_save(leaf_job *j) {
  coopt_buf text;
  coopt_buf_init(&text);
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  mlirOpPrintingFlagsEnableDebugInfo(flags, true, false);
  mlirOperationPrintWithFlags(j->kernels, flags, coopt_buf_string_callback, &text);
  coopt_buf_putc(&text, '\n');
  mlirOpPrintingFlagsDestroy(flags);
  bool ok = save(j->dir, "leaf.mlir", text.data, text.size) && save(j->dir, "leaf.o", j->obj, j->obj_size) &&
            save(j->dir, "leaf.h", j->header, j->header_size);
  coopt_buf_free(&text);
  char path[4096];
  snprintf(path, sizeof path, "%s/host.o", j->dir);
  unlink(path);
  return ok;
}

/* leaf.json, whatever happened (a failed leaf carries its diagnostic), and
 * everything the job owns released. */
static int leaf_job_finish(leaf_job *j, bool ok) {
  explore_leaf *L = &j->L;
  if (!ok)
    L->error = first_error_line();
  if (!ok && !L->error)
    L->error = coopt_xstrndup("the leaf failed (see its log)", 29);
  char path[4096], err[1024];
  snprintf(path, sizeof path, "%s/leaf.json", j->dir);
  if (!explore_leaf_write(path, L, err, sizeof err)) {
    fprintf(stderr, "coopt-explore: error: %s\n", err);
    ok = false;
  }
  cooptJitDestroy(&j->jit);
  free(j->obj), free(j->host_obj), free(j->header);
  split_free(&j->data.train), split_free(&j->data.test);
  if (!mlirOperationIsNull(j->kernels))
    mlirOperationDestroy(j->kernels);
  if (!mlirOperationIsNull(j->host))
    mlirOperationDestroy(j->host);
  session_close(&j->m);
  explore_leaf_free(L);
  return ok ? 0 : 1;
}

int explore_run_leaf(const explore_options *o, const explore_tree *t, int node, const char *dir) {
  leaf_job j;
  leaf_job_init(&j, o, t, node, dir);
  if (!make_dirs(dir)) {
    explore_leaf_free(&j.L);
    return 1;
  }
  bool ok = leaf_open_model(&j);
  size_t layer = ok ? density_layer(j.m.op) : 0;
  ok = ok && leaf_build_stages(&j);
  if (ok)
    j.L.has_density = density_of(j.model, layer, &j.L.density);
  ok = ok && (!j.L.quantized || leaf_fake_quant_accuracy(&j)) && leaf_compile(&j) && leaf_evaluate(&j) && leaf_save(&j);
  return leaf_job_finish(&j, ok);
}
