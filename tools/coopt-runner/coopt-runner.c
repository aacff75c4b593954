/*
 * coopt-runner: run a TOSA model on the host.
 *
 *   coopt-runner model.mlir --input x.npy [--input ...] [--output y.npy ...]   run once
 *   coopt-runner model.mlir --input x.pb --expect y.pb [--rtol=1e-4 --atol=1e-5] compare
 *   coopt-runner model.mlir --eval=/usr/share/datasets/fashion-mnist            top-1 accuracy
 *   coopt-runner model.mlir --bench [--repeats=N --warmup=N]                     latency
 *
 * Today it JIT-compiles through the upstream TOSA -> LLVM lowering; later it
 * will also run coopt's own compiled objects.
 */
#define _GNU_SOURCE
#include "Support/Support.h"
#include "Tool/Tool.h"
#include "coopt/Exec.h"
#include "coopt/TensorIO.h"
#include "coopt/coopt.h"

#include "Analysis/Quant.h"
#include "IR/Build.h"
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct cli {
  const char *model;
  const char *inputs[COOPT_MAX_IO], *outputs[COOPT_MAX_IO], *expects[COOPT_MAX_IO];
  int n_in, n_out, n_exp;
  double rtol, atol;
  const char *eval, *predictions, *agree_with, *logits, *compare_logits, *object, *entry;
  double max_steps, out_step; /* out_step: the output's quantization step, 0 when not quantized */
  long long limit;
  bool has_norm;
  double mean, std;
  bool bench;
  int repeats, warmup, opt_level;
  bool verbose;
} cli;

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "coopt-runner: error: %s%s%s\n(see coopt-runner --help)\n", msg, arg ? " " : "", arg ? arg : "");
  return 1;
}

static void help(void) {
  printf("OVERVIEW: coopt-runner " COOPT_VERSION_STRING " - run a TOSA model on the host (JIT)\n\n"
         "USAGE: coopt-runner <model.mlir|.mlirbc> [mode] [options]\n\n"
         "MODES:\n"
         "  --input <file>       an input (.npy or ONNX TensorProto .pb), once per model input, in order\n"
         "  --output <file>      write an output as .npy (once per model output, in order)\n"
         "  --expect <file>      compare an output with this tensor; exit 1 on mismatch\n"
         "  --rtol=<x> --atol=<x>  tolerances for float outputs (default 1e-4, 1e-5); integers compare exactly\n"
         "  --eval=<dir>         top-1 accuracy on an IDX dataset directory (t10k-images/labels-idx*-ubyte[.gz])\n"
         "  --normalize=<mean>,<std>  input normalisation for --eval (default: the model's coopt.metadata)\n"
         "  --limit=<n>          evaluate the first n images only\n"
         "  --predictions=<file> write the predicted classes (.npy, u8)\n"
         "  --agree-with=<file>  compare with reference predictions (.npy, u8, one per image): agreement and\n"
         "                       the reference's own accuracy\n"
         "  --logits=<file>      write every image's f32 outputs (.npy, [N, classes])\n"
         "  --compare-logits=<file>  compare the outputs with a --logits file of another model (e.g. fake-quant\n"
         "                       vs int8): the largest difference, in steps of this model's output quantization\n"
         "                       (coopt.fake_quant of its result) or absolute; exit 1 above --max-steps (default 1)\n"
         "  --bench              latency per inference: median of --repeats (100) after --warmup (10)\n\n"
         "  --object=<file.o|.so> run a model compiled by coopt-translate --emit=obj (built from this .mlir)\n"
         "                       instead of JIT-compiling it; --entry=<name> is its --name (default model)\n\n"
         "OPTIONS:\n"
         "  -O<n>                LLVM optimisation level of the JIT (default 2)\n"
         "  -v                   compile time and details on stderr\n"
         "  --print-jit-pipeline the TOSA -> LLVM pass pipeline the JIT uses\n"
         "  --version, -h/--help\n");
}

static bool flagv(const char *a, const char *name, const char **v) {
  size_t n = strlen(name);
  if (strncmp(a, name, n))
    return false;
  if (!a[n]) {
    *v = NULL;
    return true;
  }
  if (a[n] == '=') {
    *v = a + n + 1;
    return true;
  }
  return false;
}

/* The options that take a value: what the value is, where it goes and
 * what a bad one is called. */
typedef enum option_kind {
  OPT_PATHS,     /* appended to a list of COOPT_MAX_IO (count at count_offset) */
  OPT_STRING,    /* any text */
  OPT_NONNEG,    /* a double >= 0 */
  OPT_POSITIVE,  /* a long long >= 1 */
  OPT_COUNT,     /* an int in [lo, 1000000] */
  OPT_NORMALIZE, /* <mean>,<std> */
} option_kind;

typedef struct runner_option {
  const char *name;
  option_kind kind;
  size_t offset, count_offset;
  long lo;
  const char *bad; /* the diagnostic's words before the value */
} runner_option;

#define FIELD(f) offsetof(cli, f)
static const runner_option runner_options[] = {
    {"--input", OPT_PATHS, FIELD(inputs), FIELD(n_in), 0, "too many --input"},
    {"--output", OPT_PATHS, FIELD(outputs), FIELD(n_out), 0, "too many --output"},
    {"--expect", OPT_PATHS, FIELD(expects), FIELD(n_exp), 0, "too many --expect"},
    {"--rtol", OPT_NONNEG, FIELD(rtol), 0, 0, "tolerance must be a non-negative number:"},
    {"--atol", OPT_NONNEG, FIELD(atol), 0, 0, "tolerance must be a non-negative number:"},
    {"--eval", OPT_STRING, FIELD(eval), 0, 0, NULL},
    {"--agree-with", OPT_STRING, FIELD(agree_with), 0, 0, NULL},
    {"--object", OPT_STRING, FIELD(object), 0, 0, NULL},
    {"--entry", OPT_STRING, FIELD(entry), 0, 0, NULL},
    {"--logits", OPT_STRING, FIELD(logits), 0, 0, NULL},
    {"--compare-logits", OPT_STRING, FIELD(compare_logits), 0, 0, NULL},
    {"--max-steps", OPT_NONNEG, FIELD(max_steps), 0, 0, "--max-steps must be a non-negative number:"},
    {"--predictions", OPT_STRING, FIELD(predictions), 0, 0, NULL},
    {"--limit", OPT_POSITIVE, FIELD(limit), 0, 0, "--limit must be a positive integer:"},
    {"--normalize", OPT_NORMALIZE, 0, 0, 0, "--normalize expects <mean>,<std> with std > 0:"},
    {"--repeats", OPT_COUNT, FIELD(repeats), 0, 1, "bad count:"},
    {"--warmup", OPT_COUNT, FIELD(warmup), 0, 0, "bad count:"},
};
#undef FIELD

static int set_option(const runner_option *o, const char *v, cli *c) {
  char *field = (char *)c + o->offset, *end;
  switch (o->kind) {
  case OPT_PATHS: {
    int *count = (int *)((char *)c + o->count_offset);
    if (*count == COOPT_MAX_IO)
      return usage_error(o->bad, NULL);
    ((const char **)field)[(*count)++] = v;
    return 0;
  }
  case OPT_STRING: memcpy(field, &v, sizeof v); return 0;
  case OPT_NONNEG: {
    double x = strtod(v, &end);
    if (*end || !(x >= 0))
      return usage_error(o->bad, v);
    memcpy(field, &x, sizeof x);
    return 0;
  }
  case OPT_POSITIVE: {
    long long x = strtoll(v, &end, 10);
    if (*end || x < 1)
      return usage_error(o->bad, v);
    memcpy(field, &x, sizeof x);
    return 0;
  }
  case OPT_COUNT: {
    long x = strtol(v, &end, 10);
    if (*end || x < o->lo || x > 1000000)
      return usage_error(o->bad, v);
    int n = (int)x;
    memcpy(field, &n, sizeof n);
    return 0;
  }
  case OPT_NORMALIZE:
    if (sscanf(v, "%lf,%lf", &c->mean, &c->std) != 2 || !(c->std > 0))
      return usage_error(o->bad, v);
    c->has_norm = true;
    return 0;
  }
  return 1;
}

/* The options without a value.  Returns -1 when `a` is none of them. */
static int set_flag(const char *a, cli *c) {
  const char *v;
  if (flagv(a, "--bench", &v)) {
    c->bench = true;
  } else if (a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
    c->opt_level = a[2] - '0';
  } else if (!strcmp(a, "-v")) {
    c->verbose = true;
  } else if (!strcmp(a, "--print-jit-pipeline")) {
    printf("%s\n", coopt_jit_pipeline);
    exit(0);
  } else if (!strcmp(a, "--version")) {
    printf("coopt-runner " COOPT_VERSION_STRING " (MLIR C API, LLVM 22)\n");
    exit(0);
  } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
    help();
    exit(0);
  } else {
    return -1;
  }
  return 0;
}

/* One argument (and its value, when it is the next one). */
static int parse_argument(int argc, char **argv, int *i, cli *c) {
  const char *a = argv[*i], *v;
  if (a[0] != '-') {
    if (c->model)
      return usage_error("more than one model given:", a);
    c->model = a;
    return 0;
  }
  for (size_t k = 0; k < sizeof runner_options / sizeof runner_options[0]; ++k) {
    const runner_option *o = &runner_options[k];
    if (!flagv(a, o->name, &v))
      continue;
    if (!v) {
      if (*i + 1 >= argc)
        return usage_error("missing value for", o->name);
      v = argv[++*i];
    }
    return set_option(o, v, c);
  }
  int rc = set_flag(a, c);
  return rc >= 0 ? rc : usage_error("unknown option", a);
}

static int parse_cli(int argc, char **argv, cli *c) {
  memset(c, 0, sizeof *c);
  c->rtol = 1e-4;
  c->max_steps = 1;
  c->atol = 1e-5;
  c->repeats = 100;
  c->warmup = 10;
  c->opt_level = 2;
  for (int i = 1; i < argc; ++i) {
    int rc = parse_argument(argc, argv, &i, c);
    if (rc)
      return rc;
  }
  if (!c->model)
    return usage_error("no model given", NULL);
  int modes = (c->n_in > 0) + (c->n_exp > 0) + (c->eval != NULL) + c->bench;
  if (modes == 0)
    return usage_error("nothing to do: give --input/--expect, --eval or --bench", NULL);
  if (c->eval && c->n_in)
    return usage_error("--eval cannot be combined with --input", NULL);
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void type_str(const coopt_tensor_type *t, char *buf, size_t n) {
  size_t u = 0;
  for (int i = 0; i < t->rank; ++i)
    u += (size_t)snprintf(buf + u, n - u, "%lldx", (long long)t->dims[i]);
  snprintf(buf + u, n - u, "%s", cooptDtypeName(t->dtype));
}

static bool same_type(const coopt_tensor_type *a, const coopt_tensor_type *b) {
  if (a->dtype != b->dtype || a->rank != b->rank)
    return false;
  for (int i = 0; i < a->rank; ++i)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

/* Compare one output with an expected tensor; prints the first mismatch. */
static bool compare(const char *what, const coopt_tensor_type *t, const void *got, const coopt_tensor *exp, double rtol,
                    double atol) {
  char a[128], b[128];
  type_str(t, a, sizeof a);
  type_str(&exp->type, b, sizeof b);
  if (!same_type(t, &exp->type)) {
    fprintf(stderr, "%s: type mismatch: the model gives %s, expected %s\n", what, a, b);
    return false;
  }
  int64_t n = cooptTensorElements(t), bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool ok;
    double g, e;
    switch (t->dtype) {
    case COOPT_F32:
      g = ((const float *)got)[i], e = ((const float *)exp->data)[i];
      ok = (isnan(g) && isnan(e)) || g == e || fabs(g - e) <= atol + rtol * fabs(e);
      break;
    case COOPT_I8: g = ((const int8_t *)got)[i], e = ((const int8_t *)exp->data)[i], ok = g == e; break;
    case COOPT_U8:
    case COOPT_BOOL: g = ((const uint8_t *)got)[i], e = ((const uint8_t *)exp->data)[i], ok = g == e; break;
    case COOPT_I32: g = ((const int32_t *)got)[i], e = ((const int32_t *)exp->data)[i], ok = g == e; break;
    default: g = (double)((const int64_t *)got)[i], e = (double)((const int64_t *)exp->data)[i], ok = g == e; break;
    }
    if (!ok) {
      if (first < 0)
        first = i;
      ++bad;
      if (fabs(g - e) > worst)
        worst = fabs(g - e);
    }
  }
  if (bad) {
    double g = t->dtype == COOPT_F32 ? ((const float *)got)[first] : 0,
           e = t->dtype == COOPT_F32 ? ((const float *)exp->data)[first] : 0;
    fprintf(stderr, "%s: %lld of %lld elements differ (max abs error %g); first at %lld: got %.9g, expected %.9g\n",
            what, (long long)bad, (long long)n, worst, (long long)first, g, e);
    return false;
  }
  return true;
}

static int compare_logits(const cli *c, const float *mine, int64_t N, int64_t classes) {
  char err[1024];
  coopt_tensor ref;
  if (!cooptTensorLoad(c->compare_logits, &ref, err, sizeof err)) {
    fprintf(stderr, "coopt-runner: error: %s\n", err);
    return 1;
  }
  int rc = 1;
  if (ref.type.dtype != COOPT_F32 || ref.type.rank != 2 || ref.type.dims[0] < N || ref.type.dims[1] != classes) {
    fprintf(stderr, "coopt-runner: error: %s: expected f32 [>= %lld, %lld] outputs\n", c->compare_logits, (long long)N,
            (long long)classes);
  } else {
    double step = c->out_step > 0 ? c->out_step : 1, worst = 0;
    int64_t over = 0, over1 = 0;
    for (int64_t i = 0; i < N * classes; ++i) {
      double d = fabs((double)mine[i] - (double)((float *)ref.data)[i]) / step;
      worst = d > worst ? d : worst;
      /* The dequantized outputs carry f32 rounding: a whole number of steps
       * can read as 2.0000001 of them. */
      over += d > c->max_steps + 1e-3;
      over1 += d > 1 + 1e-3;
    }
    if (c->out_step > 0)
      printf("max output difference: %.4f quantization steps (step %.6g); %lld of %lld values above %g, %lld above 1\n",
             worst, step, (long long)over, (long long)(N * classes), c->max_steps, (long long)over1);
    else
      printf("max output difference: %.6g (absolute); %lld of %lld values above %g\n", worst, (long long)over,
             (long long)(N * classes), c->max_steps);
    rc = over ? 1 : 0;
  }
  cooptTensorFree(&ref);
  return rc;
}

/* The test split of an IDX directory (gzip or not), fitted to the model:
 * one f32 input [batch, pixels...] and one f32 output [batch, classes]. */
typedef struct eval_set {
  coopt_tensor images, labels;
  int64_t n, batch, per, classes;
} eval_set;

static bool load_eval_set(const cli *c, eval_set *e) {
  char err[1024], path[4096];
  const char *names[2][2] = {{"t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"},
                             {"t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"}};
  coopt_tensor *dst[2] = {&e->images, &e->labels};
  for (int k = 0; k < 2; ++k) {
    snprintf(path, sizeof path, "%s/%s", c->eval, names[k][0]);
    if (access(path, R_OK) != 0)
      snprintf(path, sizeof path, "%s/%s", c->eval, names[k][1]);
    if (!cooptIdxLoad(path, dst[k], err, sizeof err)) {
      fprintf(stderr, "coopt-runner: error: %s\n", err);
      return false;
    }
  }
  return true;
}

static bool fit_eval_set(const cli *c, const coopt_jit *jit, eval_set *e) {
  const coopt_tensor_type *in = &jit->inputs[0], *out = &jit->outputs[0];
  const coopt_tensor_type *im = &e->images.type, *lb = &e->labels.type;
  e->n = im->dims[0];
  if (jit->num_inputs != 1 || in->dtype != COOPT_F32 || in->rank < 2) {
    fprintf(stderr, "coopt-runner: error: --eval needs a model with one f32 input [batch, ...]\n");
    return false;
  }
  e->batch = in->dims[0], e->per = cooptTensorElements(in) / e->batch;
  int64_t pixels = im->rank >= 3 ? im->dims[1] * im->dims[2] : 0;
  if (im->rank != 3 || lb->rank != 1) {
    fprintf(stderr,
            "coopt-runner: error: %s: the images must be a rank-3 IDX file and the labels rank 1 (got %d and %d)\n",
            c->eval, im->rank, lb->rank);
    return false;
  }
  if (lb->dims[0] != e->n) {
    fprintf(stderr, "coopt-runner: error: %s: %lld images but %lld labels\n", c->eval, (long long)e->n,
            (long long)lb->dims[0]);
    return false;
  }
  if (e->per != pixels) {
    fprintf(stderr,
            "coopt-runner: error: dataset of %lld images of %lld pixels does not fit the model input (%lld values per "
            "image)\n",
            (long long)e->n, (long long)pixels, (long long)e->per);
    return false;
  }
  if (c->limit && c->limit < e->n)
    e->n = c->limit;
  e->classes = cooptTensorElements(out) / out->dims[0];
  if (out->dtype != COOPT_F32 || out->dims[0] != e->batch) {
    fprintf(stderr, "coopt-runner: error: --eval needs an f32 output [batch, classes]\n");
    return false;
  }
  return true;
}

/* On a terminal a bar; otherwise a line at each quarter (logs and CI). */
static void eval_progress(int64_t done_n, int64_t n, bool tty, int *last_quarter) {
  if (tty) {
    int bar = (int)(40 * done_n / n);
    fprintf(stderr, "\r[%.*s%*s] %lld/%lld", bar, "========================================", 40 - bar, "",
            (long long)done_n, (long long)n);
  } else if ((int)(4 * done_n / n) > *last_quarter) {
    *last_quarter = (int)(4 * done_n / n);
    fprintf(stderr, "eval: %lld/%lld images\n", (long long)done_n, (long long)n);
  }
}

/* The resident set now (not its peak), in KiB, or -1 where /proc is not
 * there: what -v prints during --eval to show that inferences keep no
 * memory.  The peak is no measure of that: the JIT compile's own peak
 * dominates it and varies by megabytes from run to run. */
static long current_rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size, resident;
  bool ok = f && fscanf(f, "%ld %ld", &size, &resident) == 2;
  if (f)
    fclose(f);
  return ok ? resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

/* -v: the resident set after the first tenth of the images (the
 * allocator's pools are warm by then) and after the last. */
static void eval_rss(bool verbose, int64_t done, int64_t n, int64_t batch) {
  int64_t tenth = n / 10 > 0 ? n / 10 : 1;
  if (verbose && (done == n || (done >= tenth && done - batch < tenth)))
    fprintf(stderr, "RSS: %ld KiB after %lld images\n", current_rss_kib(), (long long)done);
}

/* Top-1 over the first e->n images, batch by batch (the last one padded
 * with zeros): the predictions, and every output row when `all` is given. */
static bool eval_batches(coopt_jit *jit, const eval_set *e, double mean, double std, bool verbose, uint8_t *pred,
                         float *all, int64_t *correct) {
  int64_t B = e->batch, per = e->per, classes = e->classes;
  float *x = coopt_xmalloc((size_t)(B * per) * 4), *y = coopt_xmalloc((size_t)(B * classes) * 4);
  const uint8_t *pixels = e->images.data, *labels = e->labels.data;
  bool tty = isatty(2), ok = true;
  int last_quarter = 0;
  *correct = 0;
  for (int64_t base = 0; base < e->n && ok; base += B) {
    int64_t cnt = e->n - base < B ? e->n - base : B;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t p = 0; p < per; ++p)
        x[b * per + p] = b < cnt ? (float)(((double)pixels[(base + b) * per + p] / 255.0 - mean) / std) : 0.0f;
    void *ins[1] = {x}, *outs[1] = {y};
    if (!(ok = cooptJitRun(jit, ins, outs))) {
      fprintf(stderr, "coopt-runner: error: execution failed\n");
      break;
    }
    for (int64_t b = 0; b < cnt; ++b) {
      int64_t best = 0;
      for (int64_t k = 1; k < classes; ++k)
        if (y[b * classes + k] > y[b * classes + best])
          best = k;
      pred[base + b] = (uint8_t)best;
      if (all)
        memcpy(all + (base + b) * classes, y + b * classes, (size_t)classes * sizeof(float));
      *correct += best == labels[base + b];
    }
    eval_progress(base + cnt, e->n, tty, &last_quarter);
    eval_rss(verbose, base + cnt, e->n, B);
  }
  if (tty)
    fputc('\n', stderr);
  free(x), free(y);
  return ok;
}

/* --agree-with: how often a reference's predictions equal these. */
static bool report_agreement(const cli *c, const eval_set *e, const uint8_t *pred, int64_t correct) {
  char err[1024];
  coopt_tensor ref;
  int64_t N = e->n;
  bool ok = cooptTensorLoad(c->agree_with, &ref, err, sizeof err);
  if (!ok) {
    fprintf(stderr, "coopt-runner: error: %s\n", err);
  } else if (ref.type.dtype != COOPT_U8 || ref.type.rank != 1 || ref.type.dims[0] < N) {
    fprintf(stderr, "coopt-runner: error: %s: expected u8 predictions for at least %lld images\n", c->agree_with,
            (long long)N);
    ok = false;
  } else {
    int64_t same = 0, ref_correct = 0;
    for (int64_t i = 0; i < N; ++i) {
      same += ((uint8_t *)ref.data)[i] == pred[i];
      ref_correct += ((uint8_t *)ref.data)[i] == ((uint8_t *)e->labels.data)[i];
    }
    printf("agreement with reference: %.2f%% (%lld/%lld)\n", 100.0 * (double)same / (double)N, (long long)same,
           (long long)N);
    printf("reference accuracy: %.2f%%, coopt accuracy: %.2f%%\n", 100.0 * (double)ref_correct / (double)N,
           100.0 * (double)correct / (double)N);
  }
  cooptTensorFree(&ref);
  return ok;
}

static bool save_npy(const char *path, coopt_tensor_type type, void *data) {
  char err[1024];
  coopt_tensor t = {type, data};
  if (cooptTensorSaveNpy(path, &t, err, sizeof err))
    return true;
  fprintf(stderr, "coopt-runner: error: %s\n", err);
  return false;
}

static int run_eval(const cli *c, coopt_jit *jit, MlirOperation module) {
  double mean = c->mean, std = c->std;
  if (!c->has_norm &&
      !(cooptMetadataNumber(module, "normalize_mean", &mean) && cooptMetadataNumber(module, "normalize_std", &std))) {
    fprintf(stderr, "coopt-runner: error: no input normalisation: give --normalize=<mean>,<std> (the model has no "
                    "coopt.metadata normalize_mean/normalize_std)\n");
    return 1;
  }
  eval_set e;
  memset(&e, 0, sizeof e);
  if (!load_eval_set(c, &e) || !fit_eval_set(c, jit, &e)) {
    cooptTensorFree(&e.images);
    cooptTensorFree(&e.labels);
    return 1;
  }
  int64_t N = e.n, classes = e.classes, correct;
  uint8_t *pred = coopt_xmalloc((size_t)N);
  float *all = c->logits || c->compare_logits ? coopt_xmalloc((size_t)(N * classes) * sizeof(float)) : NULL;
  double t0 = now();
  int rc = 1;
  if (eval_batches(jit, &e, mean, std, c->verbose, pred, all, &correct)) {
    double dt = now() - t0;
    printf("accuracy: %.2f%% (%lld/%lld)\n", 100.0 * (double)correct / (double)N, (long long)correct, (long long)N);
    printf("throughput: %.0f images/s (batch %lld, %.3f s)\n", (double)N / dt, (long long)e.batch, dt);
    rc = c->agree_with && !report_agreement(c, &e, pred, correct);
    if (c->predictions && !save_npy(c->predictions, (coopt_tensor_type){COOPT_U8, 1, {N}}, pred))
      rc = 1;
    if (rc == 0 && c->logits && !save_npy(c->logits, (coopt_tensor_type){COOPT_F32, 2, {N, classes}}, all))
      rc = 1;
    if (rc == 0 && c->compare_logits)
      rc = compare_logits(c, all, N, classes);
  }
  free(all), free(pred);
  cooptTensorFree(&e.images);
  cooptTensorFree(&e.labels);
  return rc;
}

/* The quantization step of @main's first result when a fake-quant chain
 * (coopt-fake-quant, or the float exit of coopt-lower-int8) produces it. */
static double output_step(MlirOperation module) {
  MlirOperation fn = cooptFindFunc(module, "main");
  if (mlirOperationIsNull(fn))
    return 0;
  MlirOperation ret = mlirBlockGetTerminator(mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0)));
  double scale;
  int64_t zp;
  if (mlirOperationGetNumOperands(ret) < 1 || !cooptIsF32Tensor(mlirValueGetType(mlirOperationGetOperand(ret, 0))))
    return 0;
  MlirOperation d = cooptDefiningOp(mlirOperationGetOperand(ret, 0));
  return !mlirOperationIsNull(d) && cooptGetFakeQuant(d, &scale, &zp) ? scale : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The model's module, parsed with its diagnostics located in the file. */
static MlirOperation open_model(const cli *c, MlirContext ctx, coopt_diag_engine *diags, const coopt_buf *src) {
  coopt_chunk whole = {src->data, src->size, 1};
  MlirOperation op = coopt_parse_chunk(ctx, &whole, c->model, diags);
  if (mlirOperationIsNull(op))
    return op;
  MlirStringRef opname = mlirIdentifierStr(mlirOperationGetName(op));
  if (!coopt_str_eq(opname.data, opname.length, "builtin.module")) {
    fprintf(stderr, "%s: error: expected a builtin.module at the top level\n", c->model);
    mlirOperationDestroy(op);
    return (MlirOperation){NULL};
  }
  return op;
}

/* The inputs, each of exactly the model's type; --bench without inputs
 * runs on zeros. */
static bool load_inputs(const cli *c, const coopt_jit *jit, coopt_tensor *ins, void **in_ptrs) {
  char err[1024];
  if ((c->n_in || c->n_exp) && c->n_in != jit->num_inputs) {
    fprintf(stderr, "coopt-runner: error: the model has %d inputs, %d given\n", jit->num_inputs, c->n_in);
    return false;
  }
  if (c->n_out > jit->num_outputs || c->n_exp > jit->num_outputs) {
    fprintf(stderr, "coopt-runner: error: the model has %d outputs\n", jit->num_outputs);
    return false;
  }
  for (int i = 0; i < jit->num_inputs; ++i) {
    if (c->n_in) {
      if (!cooptTensorLoad(c->inputs[i], &ins[i], err, sizeof err)) {
        fprintf(stderr, "coopt-runner: error: %s\n", err);
        return false;
      }
      if (!same_type(&ins[i].type, &jit->inputs[i])) {
        char a[128], b[128];
        type_str(&ins[i].type, a, sizeof a);
        type_str(&jit->inputs[i], b, sizeof b);
        fprintf(stderr, "coopt-runner: error: %s: a %s tensor, but input %d of the model is %s\n", c->inputs[i], a, i,
                b);
        return false;
      }
    } else {
      ins[i].type = jit->inputs[i];
      ins[i].data = coopt_xcalloc((size_t)cooptTensorElements(&jit->inputs[i]), cooptDtypeSize(jit->inputs[i].dtype));
    }
    in_ptrs[i] = ins[i].data;
  }
  return true;
}

/* --output files and --expect comparisons: 0, or 1 if any failed. */
static int save_and_compare(const cli *c, const coopt_jit *jit, void **outs) {
  char err[1024];
  int rc = 0;
  for (int i = 0; i < c->n_out; ++i)
    if (!save_npy(c->outputs[i], jit->outputs[i], outs[i]))
      rc = 1;
  for (int i = 0; i < c->n_exp; ++i) {
    coopt_tensor e;
    if (!cooptTensorLoad(c->expects[i], &e, err, sizeof err)) {
      fprintf(stderr, "coopt-runner: error: %s\n", err);
      rc = 1;
      continue;
    }
    char what[64];
    snprintf(what, sizeof what, "output %d", i);
    if (!compare(what, &jit->outputs[i], outs[i], &e, c->rtol, c->atol))
      rc = 1;
    cooptTensorFree(&e);
  }
  return rc;
}

/* A plain run: each output's type and its first 16 values. */
static void print_outputs(const coopt_jit *jit, void **outs) {
  for (int i = 0; i < jit->num_outputs; ++i) {
    char t[128];
    type_str(&jit->outputs[i], t, sizeof t);
    printf("output %d: %s", i, t);
    int64_t n = cooptTensorElements(&jit->outputs[i]);
    if (jit->outputs[i].dtype == COOPT_F32)
      for (int64_t k = 0; k < n && k < 16; ++k)
        printf("%s%.6g", k ? " " : " = [", ((float *)outs[i])[k]);
    printf("%s\n", jit->outputs[i].dtype == COOPT_F32 ? (n > 16 ? " ...]" : "]") : "");
  }
}

static void bench(const cli *c, coopt_jit *jit, void **in_ptrs, void **outs) {
  for (int i = 0; i < c->warmup; ++i)
    cooptJitRun(jit, in_ptrs, outs);
  double *t = coopt_xmalloc((size_t)c->repeats * sizeof(double));
  for (int i = 0; i < c->repeats; ++i) {
    double s = now();
    cooptJitRun(jit, in_ptrs, outs);
    t[i] = now() - s;
  }
  qsort(t, (size_t)c->repeats, sizeof(double), cmp_double);
  int64_t batch = jit->num_inputs ? jit->inputs[0].dims[0] : 1;
  printf("latency: median %.1f us, min %.1f us over %d runs (%d warm-up); batch %lld\n", 1e6 * t[c->repeats / 2],
         1e6 * t[0], c->repeats, c->warmup, (long long)batch);
  free(t);
}

/* --input/--expect/--bench: one run, then what the options ask of it. */
static int run_once(const cli *c, coopt_jit *jit) {
  coopt_tensor ins[COOPT_MAX_IO];
  memset(ins, 0, sizeof ins);
  void *outs[COOPT_MAX_IO] = {NULL}, *in_ptrs[COOPT_MAX_IO];
  int rc = 1;
  if (load_inputs(c, jit, ins, in_ptrs)) {
    for (int i = 0; i < jit->num_outputs; ++i)
      outs[i] = coopt_xcalloc((size_t)cooptTensorElements(&jit->outputs[i]), cooptDtypeSize(jit->outputs[i].dtype));
    if (!cooptJitRun(jit, in_ptrs, outs)) {
      fprintf(stderr, "coopt-runner: error: execution failed\n");
    } else {
      rc = save_and_compare(c, jit, outs);
      if (c->n_in && !c->n_out && !c->n_exp && !c->bench)
        print_outputs(jit, outs);
      if (c->n_exp && rc == 0)
        printf("outputs match\n");
      if (c->bench && rc == 0)
        bench(c, jit, in_ptrs, outs);
    }
  }
  for (int i = 0; i < COOPT_MAX_IO; ++i) {
    cooptTensorFree(&ins[i]);
    free(outs[i]);
  }
  return rc;
}

int main(int argc, char **argv) {
  coopt_tool_init_process();
  cli c;
  if (parse_cli(argc, argv, &c))
    return 1;
  /* The JIT-compiled code allocates its intermediate tensors on every call;
   * at batch 100 they are megabytes each, which glibc would mmap and unmap
   * every time (most of the run time went to page faults).  Keep freed
   * memory in the heap instead. */
  mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's maximum on 64-bit */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  coopt_buf src;
  coopt_buf_init(&src);
  if (!coopt_read_file(c.model, &src)) {
    fprintf(stderr, "coopt-runner: error: cannot read '%s': %s\n", c.model, strerror(errno));
    return 1;
  }
  MlirContext ctx = cooptCreateContext(false);
  coopt_diag_engine diags;
  coopt_diag_engine_init(&diags, c.model, false);
  coopt_diag_engine_attach(&diags, ctx);
  coopt_diag_engine_set_buffer(&diags, src.data, src.size);
  int rc = 1;
  double t0 = now();
  MlirOperation op = open_model(&c, ctx, &diags, &src);
  coopt_jit jit;
  memset(&jit, 0, sizeof jit);
  char err[1024];
  if (!mlirOperationIsNull(op)) {
    MlirModule module = mlirModuleFromOperation(op);
    c.out_step = output_step(op);
    if (c.object ? !cooptObjectLoad(module, c.object, c.entry ? c.entry : "model", &jit, err, sizeof err)
                 : !cooptJitCompile(ctx, module, c.opt_level, &jit, err, sizeof err)) {
      fprintf(stderr, "%s: error: %s\n", c.model, err);
    } else {
      if (c.verbose)
        fprintf(stderr, "compile: %.3f s\n", now() - t0);
      rc = c.eval ? run_eval(&c, &jit, op) : run_once(&c, &jit);
    }
  }
  if (c.verbose) {
    /* Peak resident memory (the JIT compile's, mostly); --eval also prints
     * the resident set during the evaluation (eval_rss). */
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
      fprintf(stderr, "peak RSS: %ld KiB\n", ru.ru_maxrss);
  }
  cooptJitDestroy(&jit);
  if (!mlirOperationIsNull(op))
    mlirOperationDestroy(op);
  cooptSetDiagnosticHook(NULL, NULL);
  mlirContextDestroy(ctx);
  coopt_diag_engine_free(&diags);
  coopt_buf_free(&src);
  return rc;
}
