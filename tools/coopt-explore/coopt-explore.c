/*
 * coopt-explore: walk the deployment tree (PTQ int8; pruned / clustered;
 * PQAT, CQAT, sparsity-preserving clustering; PCQAT) until a leaf meets the
 * deployment target, and report every leaf.
 *
 *   coopt-explore model.onnx --data=<IDX dir> --out=DIR [targets] [-j N]
 *   coopt-explore ... --plan             one self-contained command per leaf
 *   coopt-explore --collect DIR... --out=OUT [targets]   merge leaf results
 *
 * The parent never builds a model itself: every node runs as a child
 * process of this binary (--leaf), so a leaf that crashes or fails is one
 * row of the table, -j runs leaves side by side, and the results do not
 * depend on -j (each leaf is computed by the same code from the same
 * inputs; shared prefixes are read back bit for bit).
 */
#define _GNU_SOURCE
#include "Explore.h"

#include "Tool/Tool.h"
#include "coopt/Pipeline.h"
#include "coopt/coopt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <mlir-c/Pass.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void help(void) {
  printf("OVERVIEW: coopt-explore " COOPT_VERSION_STRING " - walk the deployment tree to a target\n\n"
         "USAGE: coopt-explore <model.onnx|.mlir|.mlirbc> --data=<dir> --out=<dir> [options]\n"
         "       coopt-explore <model> --data=<dir> --out=<dir> --plan [options]\n"
         "       coopt-explore --collect <leaf dir>... --out=<dir> [targets]\n\n"
         "DATA:\n"
         "  --data=<dir|file.npy>     IDX directory (train-* and t10k-*; Debian's dataset-fashion-mnist), or\n"
         "                            model inputs [N, ...] as .npy with --labels=<.npy> (no test split)\n"
         "  --normalize=<mean>,<std>  input normalisation of IDX images (default: the model's coopt.metadata)\n"
         "  --calibration=<n>         calibration items, spread over the training split before the validation\n"
         "                            items (default 512)\n"
         "  --validation=<n>          validation items: the last n of the training split (default 5000); they\n"
         "                            choose the leaf and are never calibration data\n"
         "  --test=<n>                test items reported (default all; 0 = none); never used to choose\n\n"
         "TARGETS (a leaf meets all that are given):\n"
         "  --max-accuracy-drop=<points>  against the float model, on validation (or --min-accuracy=<%%>)\n"
         "  --max-bytes=<n>               deployable bytes: the object's weights (.rodata) for the target\n"
         "  --max-size-ratio=<x>          bytes against the level-0 leaf (PTQ int8) (or --max-bytes)\n"
         "  --max-latency-us=<us>         per image; measured on this host, estimated for aarch64\n\n"
         "OPTIONS:\n"
         "  --target=<x86_64|aarch64>     what the leaves are compiled for (default x86_64)\n"
         "  --mcpu=<cpu> --mattr=<feat>   LLVM CPU and features of leaf.o (default: generic x86-64, or\n"
         "                                neoverse-n1 and +dotprod for aarch64); latency is always measured\n"
         "                                on an object built for this host\n"
         "  --objective=<balanced|size|latency>  the kernel choice (coopt-lower-kernels objective): the\n"
         "                                fewest bytes within 10%% of the fastest time, the smallest, the\n"
         "                                fastest (default balanced)\n"
         "  --strategy=<first-fit|pareto> first-fit: level by level, stop at the first level with a leaf that\n"
         "                                meets every target (tfmot's process); pareto: build every level.\n"
         "                                Either takes the smallest leaf that meets them, then the most\n"
         "                                accurate (default first-fit)\n"
         "  --tree=<file>                 the tree (docs/Explore.md; default: the built-in tree)\n"
         "  --print-tree                  print the built-in tree and exit\n"
         "  -j <n>, --jobs=<n>            leaves run side by side (default: the cores)\n"
         "  --repeats=<n>                 latency runs per leaf (default 100; median)\n"
         "  --out=<dir>                   results.json, results.md, report.html, leaf.mlir/.o/.h,\n"
         "                                calibration.npy, leaves/<name>/ (each leaf's own)\n"
         "  --plan                        print one self-contained command line per leaf and exit\n"
         "  --leaf=<name>                 build and evaluate one leaf into --out (what --plan prints)\n"
         "  --collect <dir>...            merge leaf directories (or directories of them) into --out\n"
         "  -q, --quiet                   no progress\n"
         "  --version, -h/--help\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "coopt-explore: error: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see coopt-explore --help)\n");
  va_end(ap);
  return 1;
}

static bool parse_number(const char *v, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double x = v && *v ? strtod(v, &end) : NAN;
  if (!v || !*v || *end || errno || !(x >= lo && x <= hi))
    return false;
  *out = x;
  return true;
}

static bool parse_count(const char *v, int64_t lo, int64_t hi, int64_t *out) {
  char *end;
  errno = 0;
  long long x = v && *v ? strtoll(v, &end, 10) : 0;
  if (!v || !*v || *end || errno || x < lo || x > hi)
    return false;
  *out = x;
  return true;
}

/* argv[i] is --name=value or --name value. */
static bool option(int argc, char **argv, int *i, const char *name, const char **value) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n))
    return false;
  if (a[n] == '=') {
    *value = a + n + 1;
    return true;
  }
  if (a[n])
    return false;
  *value = *i + 1 < argc ? argv[++*i] : NULL;
  return true;
}

/* The options that take a value, as a table: what the value is, where it
 * goes, and what the error says (the same words `--help` uses). */
typedef enum cli_kind {
  CLI_STRING, /* any non-empty text */
  CLI_CHOICE, /* one of `choices` */
  CLI_NUMBER, /* a double in [lo, hi] */
  CLI_WHOLE,  /* a double in [lo, hi] that is an integer */
  CLI_COUNT,  /* an int64_t in [lo, hi] */
  CLI_INT,    /* an int in [lo, hi] */
} cli_kind;

typedef struct cli_option {
  const char *name, *alias;
  cli_kind kind;
  size_t offset; /* into explore_options */
  double lo, hi;
  const char *expects;        /* "<name> expects <expects>, not '<value>'" */
  const char *const *choices; /* CLI_CHOICE: the values, NULL, then the noun */
} cli_option;

static const char *const target_choices[] = {"x86_64", "aarch64", NULL, "target"};
static const char *const strategy_choices[] = {"first-fit", "pareto", NULL, "strategy"};
static const char *const objective_choices[] = {"balanced", "size", "latency", NULL, "objective"};

#define OPT(field) offsetof(explore_options, field)
static const cli_option cli_options[] = {
    {"--data", NULL, CLI_STRING, OPT(data), 0, 0, NULL, NULL},
    {"--labels", NULL, CLI_STRING, OPT(labels), 0, 0, NULL, NULL},
    {"--out", "-o", CLI_STRING, OPT(out), 0, 0, NULL, NULL},
    {"--tree", NULL, CLI_STRING, OPT(tree_path), 0, 0, NULL, NULL},
    {"--target", NULL, CLI_CHOICE, OPT(target), 0, 0, NULL, target_choices},
    {"--mcpu", NULL, CLI_STRING, OPT(mcpu), 0, 0, NULL, NULL},
    {"--mattr", NULL, CLI_STRING, OPT(mattr), 0, 0, NULL, NULL},
    {"--strategy", NULL, CLI_CHOICE, OPT(strategy), 0, 0, NULL, strategy_choices},
    {"--objective", NULL, CLI_CHOICE, OPT(objective), 0, 0, NULL, objective_choices},
    {"--max-accuracy-drop", NULL, CLI_NUMBER, OPT(targets.max_drop), 0, 100, "points in [0, 100]", NULL},
    {"--min-accuracy", NULL, CLI_NUMBER, OPT(targets.min_accuracy), 0, 100, "a percentage in [0, 100]", NULL},
    {"--max-bytes", NULL, CLI_WHOLE, OPT(targets.max_bytes), 1, 1e15, "a positive integer", NULL},
    {"--max-size-ratio", NULL, CLI_NUMBER, OPT(targets.max_ratio), 1e-9, 1e9, "a positive number", NULL},
    {"--max-latency-us", NULL, CLI_NUMBER, OPT(targets.max_latency_us), 1e-9, 1e12, "a positive number", NULL},
    {"--calibration", NULL, CLI_COUNT, OPT(calibration), 1, 1 << 20, "an integer in [1, 1048576]", NULL},
    {"--validation", NULL, CLI_COUNT, OPT(validation), 1, 1 << 24, "a positive integer", NULL},
    {"--test", NULL, CLI_COUNT, OPT(test), 0, 1 << 24, "a non-negative integer", NULL},
    {"--repeats", NULL, CLI_INT, OPT(repeats), 1, 100000, "an integer in [1, 100000]", NULL},
    {"-j", "--jobs", CLI_INT, OPT(jobs), 1, 256, "an integer in [1, 256]", NULL},
    {"--leaf", NULL, CLI_STRING, OPT(leaf), 0, 0, NULL, NULL},
    {"--work", NULL, CLI_STRING, OPT(work), 0, 0, NULL, NULL},
};
#undef OPT

/* Store `v` for `opt`, or say why not (returns the exit code). */
static int set_option(const cli_option *opt, const char *v, explore_options *o) {
  char *field = (char *)o + opt->offset;
  double x;
  int64_t k;
  if (!v || !*v)
    return usage_error("option '%s' needs a value", opt->name);
  switch (opt->kind) {
  case CLI_STRING:
  case CLI_CHOICE:
    if (opt->kind == CLI_CHOICE) {
      size_t c = 0;
      while (opt->choices[c] && strcmp(opt->choices[c], v))
        ++c;
      if (!opt->choices[c]) { /* "a, b or c"; the noun follows the NULL */
        char list[128] = "";
        for (size_t i = 0; i < c; ++i)
          snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                   i == 0       ? ""
                   : i + 1 == c ? " or "
                                : ", ",
                   opt->choices[i]);
        return usage_error("unknown %s '%s' (expected %s)", opt->choices[c + 1], v, list);
      }
    }
    memcpy(field, &v, sizeof v);
    return 0;
  case CLI_NUMBER:
  case CLI_WHOLE:
    if (!parse_number(v, opt->lo, opt->hi, &x) || (opt->kind == CLI_WHOLE && x != floor(x)))
      break;
    memcpy(field, &x, sizeof x);
    return 0;
  case CLI_COUNT:
  case CLI_INT:
    if (!parse_count(v, (int64_t)opt->lo, (int64_t)opt->hi, &k))
      break;
    if (opt->kind == CLI_INT) {
      int n = (int)k;
      memcpy(field, &n, sizeof n);
    } else {
      memcpy(field, &k, sizeof k);
    }
    return 0;
  }
  return usage_error("%s expects %s, not '%s'", opt->name, opt->expects, v);
}

/* --normalize=<mean>,<std> */
static int set_normalize(const char *v, explore_options *o) {
  if (!v || !*v)
    return usage_error("option '%s' needs a value", "--normalize");
  char *end;
  o->mean = strtod(v, &end);
  if (*end != ',' || (o->std = strtod(end + 1, &end), *end) || !(o->std > 0) || !isfinite(o->mean))
    return usage_error("--normalize expects <mean>,<std> with std > 0, not '%s'", v);
  o->has_norm = true;
  return 0;
}

/* The options without a value.  Returns -1 when `a` is none of them. */
static int set_flag(const char *a, explore_options *o, bool *collecting) {
  if (!strcmp(a, "--plan")) {
    o->plan = true;
  } else if (!strcmp(a, "--collect")) {
    *collecting = true;
  } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
    o->quiet = true;
  } else if (!strcmp(a, "--print-tree")) {
    fputs(explore_default_tree, stdout);
    exit(0);
  } else if (!strcmp(a, "--version")) {
    printf("coopt-explore " COOPT_VERSION_STRING " (MLIR C API, LLVM 22)\n");
    exit(0);
  } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
    help();
    exit(0);
  } else {
    return -1;
  }
  return 0;
}

/* One command-line argument (and its value, when separate). */
static int parse_argument(int argc, char **argv, int *i, explore_options *o, bool *collecting) {
  const char *a = argv[*i], *v = NULL;
  if (a[0] != '-') {
    if (*collecting)
      o->collect[o->num_collect++] = a;
    else if (o->model)
      return usage_error("more than one model given ('%s')", a);
    else
      o->model = a;
    return 0;
  }
  for (size_t k = 0; k < sizeof cli_options / sizeof cli_options[0]; ++k) {
    const cli_option *opt = &cli_options[k];
    if (!strcmp(opt->name, "-j") && !strncmp(a, "-j", 2) && isdigit((unsigned char)a[2])) /* -j4 */
      return set_option(opt, a + 2, o);
    if (option(argc, argv, i, opt->name, &v) || (opt->alias && option(argc, argv, i, opt->alias, &v)))
      return set_option(opt, v, o);
  }
  if (option(argc, argv, i, "--normalize", &v))
    return set_normalize(v, o);
  int rc = set_flag(a, o, collecting);
  return rc >= 0 ? rc : usage_error("unknown option '%s'", a);
}

/* A path the run needs: shown as the option that gave it, or the model's. */
static int check_readable(const char *path, bool as_option, const char *option_name) {
  if (access(path, R_OK) == 0)
    return 0;
  if (as_option)
    fprintf(stderr, "coopt-explore: error: %s=%s: %s\n", option_name, path, strerror(errno));
  else
    fprintf(stderr, "coopt-explore: error: cannot read '%s': %s\n", path, strerror(errno));
  return 1;
}

/* What the options say together: no contradiction, and what the mode
 * needs is there and readable. */
static int check_cli(const explore_options *o, bool collecting) {
  const explore_targets *t = &o->targets;
  if (!isnan(t->max_drop) && !isnan(t->min_accuracy))
    return usage_error("contradictory targets: give --max-accuracy-drop or --min-accuracy, not both");
  if (!isnan(t->max_bytes) && !isnan(t->max_ratio))
    return usage_error("contradictory targets: give --max-bytes or --max-size-ratio, not both");
  if (!o->out)
    return usage_error("no output directory: give --out=<dir>");
  if (collecting) {
    if (!o->num_collect)
      return usage_error("--collect needs leaf directories");
    if (o->plan || o->leaf)
      return usage_error("--collect cannot be combined with --plan or --leaf");
    return 0;
  }
  if (!o->model)
    return usage_error("no model given");
  if (!o->data)
    return usage_error("no data: give --data=<IDX directory or .npy>");
  if (check_readable(o->data, true, "--data") || (o->labels && check_readable(o->labels, true, "--labels")) ||
      check_readable(o->model, false, NULL))
    return 1;
  if (o->mcpu && !strcmp(o->mcpu, "native") && strcmp(o->target, "x86_64"))
    return usage_error("--mcpu=native is only meaningful for the host target (x86_64)");
  return 0;
}

static int parse_cli(int argc, char **argv, explore_options *o) {
  memset(o, 0, sizeof *o);
  o->target = "x86_64";
  o->strategy = "first-fit";
  o->objective = "balanced";
  o->targets = (explore_targets){NAN, NAN, NAN, NAN, NAN};
  o->calibration = 512, o->validation = 5000, o->test = -1, o->repeats = 100;
  o->collect = coopt_xcalloc((size_t)argc, sizeof(char *));
  bool collecting = false;
  for (int i = 1; i < argc; ++i) {
    int rc = parse_argument(argc, argv, &i, o, &collecting);
    if (rc)
      return rc;
  }
  return check_cli(o, collecting);
}

static bool load_tree(const explore_options *o, explore_tree *t) {
  coopt_buf text, err;
  coopt_buf_init(&text);
  coopt_buf_init(&err);
  if (o->tree_path && !coopt_read_file(o->tree_path, &text)) {
    fprintf(stderr, "coopt-explore: error: cannot read '%s': %s\n", o->tree_path, strerror(errno));
    return false;
  }
  bool ok = explore_tree_parse(o->tree_path ? o->tree_path : "<built-in tree>",
                               o->tree_path ? (text.data ? text.data : "") : NULL, t, &err);
  if (!ok)
    fprintf(stderr, "%s\n", err.data);
  coopt_buf_free(&text);
  coopt_buf_free(&err);
  return ok;
}

/* Every stage must parse as a pipeline before any job starts. */
static void collect_text(MlirStringRef s, void *user) { coopt_buf_append(user, s.data, s.length); }

static bool check_stages(const explore_options *o, const explore_tree *t) {
  MlirContext ctx = cooptCreateContext(false);
  bool ok = true;
  for (int i = 1; i < t->count; ++i) {
    coopt_buf pipe, err;
    coopt_buf_init(&pipe);
    coopt_buf_init(&err);
    coopt_buf_puts(&pipe, "builtin.module(");
    explore_expand_stage(t->nodes[i].stage, "data=calibration.npy samples=1", &pipe);
    coopt_buf_putc(&pipe, ')');
    MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
    if (mlirLogicalResultIsFailure(cooptParsePassPipeline(
            mlirPassManagerGetAsOpPassManager(pm), mlirStringRefCreate(pipe.data, pipe.size), collect_text, &err))) {
      fprintf(stderr, "%s:%d: error: node '%s': its stage is not a valid pipeline:\n%s\n",
              o->tree_path ? o->tree_path : "<built-in tree>", t->nodes[i].line, t->nodes[i].name,
              err.data ? err.data : "");
      ok = false;
    }
    mlirPassManagerDestroy(pm);
    coopt_buf_free(&pipe);
    coopt_buf_free(&err);
  }
  mlirContextDestroy(ctx);
  return ok;
}

/* ---- files ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_tree(const char *path) {
  if (access(path, F_OK) == 0)
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool make_dir(const char *path) {
  if (mkdir(path, 0777) == 0 || errno == EEXIST)
    return true;
  fprintf(stderr, "coopt-explore: error: cannot create '%s': %s\n", path, strerror(errno));
  return false;
}

static bool copy_file(const char *from, const char *to) {
  coopt_buf b;
  coopt_buf_init(&b);
  char err[1024];
  bool ok = coopt_read_file(from, &b) && coopt_write_file_atomic(to, b.data ? b.data : "", b.size, err, sizeof err);
  if (!ok)
    fprintf(stderr, "coopt-explore: error: cannot copy '%s' to '%s'\n", from, to);
  coopt_buf_free(&b);
  return ok;
}

static char *path_join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = coopt_xmalloc(n);
  snprintf(p, n, "%s/%s", a, b);
  return p;
}

/* The outputs of a run: removed first, so that a rerun starts clean and an
 * interrupted run leaves none of them half-made. */
static const char *const outputs[] = {"results.json", "results.md", "report.html",    "leaf.mlir",
                                      "leaf.o",       "leaf.h",     "calibration.npy"};

/* ---- child jobs ---- */

typedef struct argv_list {
  char **v;
  int n;
} argv_list;

/* Append the argument prefix + value. */
static void push(argv_list *a, const char *prefix, const char *value) {
  a->v = coopt_xrealloc(a->v, (size_t)(a->n + 2) * sizeof(char *));
  size_t n = strlen(prefix) + strlen(value) + 1;
  a->v[a->n] = coopt_xmalloc(n);
  snprintf(a->v[a->n], n, "%s%s", prefix, value);
  a->v[++a->n] = NULL;
}

static void push_count(argv_list *a, const char *prefix, long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", v);
  push(a, prefix, buf);
}

/* One leaf's command line: everything that decides its result. */
static argv_list leaf_argv(const explore_options *o, const char *self, const char *name, const char *dir,
                           const char *work) {
  argv_list a = {NULL, 0};
  push(&a, "", self);
  push(&a, "", o->model);
  push(&a, "--data=", o->data);
  if (o->labels)
    push(&a, "--labels=", o->labels);
  if (o->has_norm) {
    char buf[96];
    snprintf(buf, sizeof buf, "%.17g,%.17g", o->mean, o->std);
    push(&a, "--normalize=", buf);
  }
  push(&a, "--target=", o->target);
  push(&a, "--objective=", o->objective);
  if (o->mcpu)
    push(&a, "--mcpu=", o->mcpu);
  if (o->mattr)
    push(&a, "--mattr=", o->mattr);
  if (o->tree_path)
    push(&a, "--tree=", o->tree_path);
  push_count(&a, "--calibration=", o->calibration);
  push_count(&a, "--validation=", o->validation);
  if (o->test >= 0)
    push_count(&a, "--test=", o->test);
  push_count(&a, "--repeats=", o->repeats);
  push(&a, "--leaf=", name);
  push(&a, "--out=", dir);
  if (work)
    push(&a, "--work=", work);
  return a;
}

static void argv_free(argv_list *a) {
  for (int i = 0; i < a->n; ++i)
    free(a->v[i]);
  free(a->v);
}

static void print_shell_word(const char *s) {
  bool plain = *s != 0;
  for (const char *p = s; *p; ++p)
    plain &= isalnum((unsigned char)*p) || strchr("-_./=,:+", *p);
  if (plain) {
    fputs(s, stdout);
    return;
  }
  putchar('\'');
  for (const char *p = s; *p; ++p)
    if (*p == '\'')
      fputs("'\\''", stdout);
    else
      putchar(*p);
  putchar('\'');
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

typedef enum { PENDING, RUNNING, DONE, FAILED } job_state;

typedef struct job {
  job_state state;
  pid_t pid;
  double started, seconds;
} job;

static pid_t spawn_leaf(const explore_options *o, const explore_tree *t, int node, const char *leaves,
                        const char *work) {
  char *dir = path_join(leaves, t->nodes[node].name);
  if (!make_dir(dir)) {
    free(dir);
    return -1;
  }
  char *log = path_join(dir, "log.txt");
  argv_list a = leaf_argv(o, "/proc/self/exe", t->nodes[node].name, dir, work);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_RDWR | O_CREAT | O_TRUNC, 0666); /* read back by first_error_line */
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, a.v, environ);
  posix_spawn_file_actions_destroy(&fa);
  argv_free(&a);
  free(log), free(dir);
  if (rc != 0) {
    fprintf(stderr, "coopt-explore: error: cannot start a job: %s\n", strerror(rc));
    return -1;
  }
  return pid;
}

/* The results of the nodes that ran (tree order); a node that did not run
 * under first-fit is listed as not evaluated. */
static void read_results(const explore_options *o, const explore_tree *t, const job *jobs, const char *leaves,
                         explore_results *r) {
  memset(r, 0, sizeof *r);
  r->leaves = coopt_xcalloc((size_t)t->count, sizeof *r->leaves);
  for (int i = 0; i < t->count; ++i) {
    explore_leaf *l = &r->leaves[r->count++];
    char *dir = path_join(leaves, t->nodes[i].name), *file = path_join(dir, "leaf.json"), err[1024];
    bool have = jobs[i].state != PENDING && explore_leaf_read(file, l, err, sizeof err);
    if (!have) {
      memset(l, 0, sizeof *l);
      snprintf(l->name, sizeof l->name, "%s", t->nodes[i].name);
      snprintf(l->parent, sizeof l->parent, "%s", t->nodes[i].parent > 0 ? t->nodes[t->nodes[i].parent].name : "");
      l->level = t->nodes[i].level;
      l->pipeline = explore_shown_pipeline(o, t, i);
      l->quantized = explore_chain_quantized(t, i);
      l->calibration_items = o->calibration;
      if (jobs[i].state == FAILED)
        l->error = coopt_xstrndup("the job failed before writing its results (see its log.txt)", 59);
    }
    free(dir), free(file);
  }
}

static void results_free(explore_results *r) {
  for (int i = 0; i < r->count; ++i)
    explore_leaf_free(&r->leaves[i]);
  free(r->leaves), free(r->meets);
  memset(r, 0, sizeof *r);
}

/* Progress: on a terminal one bar, redrawn while jobs run; otherwise one
 * line per finished leaf (logs and CI). */
typedef struct progress_state {
  bool tty, quiet;
  double start, busy; /* busy: the seconds of the finished jobs */
  int done, total, running, jobs, level;
} progress_state;

static void progress_bar(const progress_state *p) {
  if (p->quiet || !p->tty)
    return;
  char eta[32] = "--";
  if (p->done) {
    double e = p->busy / p->done * (double)(p->total - p->done) / (double)p->jobs;
    snprintf(eta, sizeof eta, "%dm%02ds", (int)e / 60, (int)e % 60);
  }
  int bar = p->total ? 30 * p->done / p->total : 0;
  char level[24] = "baseline";
  if (p->level >= 0)
    snprintf(level, sizeof level, "level %d", p->level);
  fprintf(stderr, "\r[%.*s%*s] %s: leaf %d/%d, %d running, %.0f s, ETA %s   ", bar,
          "==============================", 30 - bar, "", level, p->done, p->total, p->running,
          explore_now() - p->start, eta);
}

static void progress_leaf(const progress_state *p, const explore_tree *t, const job *jobs, int node,
                          const char *leaves) {
  if (p->quiet)
    return;
  if (p->tty) {
    progress_bar(p);
    return;
  }
  char *dir = path_join(leaves, t->nodes[node].name), *file = path_join(dir, "leaf.json"), err[256];
  explore_leaf l;
  if (explore_leaf_read(file, &l, err, sizeof err) && l.evaluated)
    fprintf(stderr, "coopt-explore: [%d/%d] %s: %.2f%% (validation), %lld bytes, %.1f us%s, %.1f s\n", p->done,
            p->total, l.name, l.accuracy, (long long)l.bytes, l.latency_us, l.latency_estimated ? " (est.)" : "",
            jobs[node].seconds);
  else
    fprintf(stderr, "coopt-explore: [%d/%d] %s: failed: %s\n", p->done, p->total, t->nodes[node].name,
            l.error ? l.error : "see its log.txt");
  explore_leaf_free(&l);
  free(dir), free(file);
}

/* ---- the documents ---- */

static bool write_outputs(const explore_options *o, explore_results *r, const char *const *leaf_dirs, const char *cal) {
  coopt_buf json, md, html;
  coopt_buf_init(&json), coopt_buf_init(&md), coopt_buf_init(&html);
  explore_write_json(o, r, &json);
  explore_write_markdown(o, r, &md);
  explore_write_html(o, r, &html);
  char err[1024];
  bool ok = true;
  if (r->chosen >= 0 && leaf_dirs[r->chosen]) {
    const char *files[3] = {"leaf.mlir", "leaf.o", "leaf.h"};
    for (int k = 0; k < 3 && ok && !interrupted; ++k) {
      char *from = path_join(leaf_dirs[r->chosen], files[k]), *to = path_join(o->out, files[k]);
      /* --collect may be given the leaves' JSON without their artefacts. */
      if (access(from, R_OK) != 0)
        fprintf(stderr, "coopt-explore: warning: %s is missing; %s not written\n", from, files[k]);
      else
        ok = copy_file(from, to);
      free(from), free(to);
    }
  }
  if (ok && cal && !interrupted) {
    char *to = path_join(o->out, "calibration.npy");
    ok = copy_file(cal, to);
    free(to);
  }
  /* report.html last: its presence says the run completed. */
  struct {
    const char *name;
    coopt_buf *b;
  } docs[3] = {{"results.md", &md}, {"results.json", &json}, {"report.html", &html}};
  for (int k = 0; k < 3 && ok && !interrupted; ++k) {
    char *path = path_join(o->out, docs[k].name);
    ok = coopt_write_file_atomic(path, docs[k].b->data, docs[k].b->size, err, sizeof err);
    if (!ok)
      fprintf(stderr, "coopt-explore: error: %s\n", err);
    free(path);
  }
  if (interrupted)
    ok = false;
  if (ok)
    fwrite(md.data, 1, md.size, stdout);
  coopt_buf_free(&json), coopt_buf_free(&md), coopt_buf_free(&html);
  return ok;
}

static void clear_outputs(const char *out) {
  for (size_t k = 0; k < sizeof outputs / sizeof *outputs; ++k) {
    char *p = path_join(out, outputs[k]);
    unlink(p);
    free(p);
  }
}

static int finish(const explore_options *o, explore_results *r, const char *const *leaf_dirs, const char *cal) {
  explore_choose(o, r);
  if (!write_outputs(o, r, leaf_dirs, cal)) {
    clear_outputs(o->out);
    return 1;
  }
  if (r->chosen < 0) {
    fprintf(stderr, "coopt-explore: error: %s\n", r->why);
    return 1;
  }
  return 0;
}

/* ---- modes ---- */

static int run_plan(const explore_options *o, const explore_tree *t, const char *self) {
  char *leaves = path_join(o->out, "leaves");
  for (int i = 0; i < t->count; ++i) {
    char *dir = path_join(leaves, t->nodes[i].name);
    argv_list a = leaf_argv(o, self, t->nodes[i].name, dir, NULL);
    for (int k = 0; k < a.n; ++k) {
      if (k)
        putchar(' ');
      print_shell_word(a.v[k]);
    }
    putchar('\n');
    argv_free(&a);
    free(dir);
  }
  free(leaves);
  return 0;
}

static void push_file(char ***files, int *n, int *cap, char *f) {
  if (*n == *cap)
    *files = coopt_xrealloc(*files, (size_t)(*cap = *cap ? 2 * *cap : 32) * sizeof **files);
  (*files)[(*n)++] = f;
}

/* Every leaf.json under the given directories (a leaf directory or a
 * directory of them).  Returns how many, or -1 after a diagnostic. */
static int find_leaf_files(const explore_options *o, char ***files) {
  int cap = 0, n = 0;
  *files = NULL;
  for (int i = 0; i < o->num_collect; ++i) {
    char *direct = path_join(o->collect[i], "leaf.json");
    if (access(direct, R_OK) == 0) {
      push_file(files, &n, &cap, direct);
      continue;
    }
    free(direct);
    struct dirent **names;
    int m = scandir(o->collect[i], &names, NULL, alphasort);
    if (m < 0) {
      fprintf(stderr, "coopt-explore: error: --collect %s: %s\n", o->collect[i], strerror(errno));
      for (int k = 0; k < n; ++k)
        free((*files)[k]);
      return -1;
    }
    for (int k = 0; k < m; ++k) {
      char *sub = path_join(o->collect[i], names[k]->d_name), *f = path_join(sub, "leaf.json");
      free(sub);
      if (names[k]->d_name[0] != '.' && access(f, R_OK) == 0)
        push_file(files, &n, &cap, f);
      else
        free(f);
      free(names[k]);
    }
    free(names);
  }
  if (!n)
    fprintf(stderr, "coopt-explore: error: --collect: no leaf.json in the given directories\n");
  return n ? n : -1;
}

/* Read them all; a leaf named twice is an error. */
static bool read_leaf_files(char **files, int n, explore_leaf *leaves) {
  for (int i = 0; i < n; ++i) {
    char err[1024];
    if (!explore_leaf_read(files[i], &leaves[i], err, sizeof err)) {
      fprintf(stderr, "coopt-explore: error: %s\n", err);
      return false;
    }
    for (int k = 0; k < i; ++k)
      if (!strcmp(leaves[k].name, leaves[i].name)) {
        fprintf(stderr, "coopt-explore: error: --collect: leaf '%s' twice (%s and %s)\n", leaves[i].name, files[k],
                files[i]);
        return false;
      }
  }
  return true;
}

/* Leaves in tree order, then the ones the tree does not know by level and
 * name (a stable insertion sort: a handful of leaves). */
static void order_leaves(const explore_tree *t, const explore_leaf *leaves, int n, int *order) {
  for (int i = 0; i < n; ++i)
    order[i] = i;
  for (int a = 1; a < n; ++a)
    for (int b = a; b > 0; --b) {
      int x = order[b - 1], y = order[b];
      int px = explore_tree_find(t, leaves[x].name), py = explore_tree_find(t, leaves[y].name);
      px = px < 0 ? 1000 + 10 * (leaves[x].level + 1) : px, py = py < 0 ? 1000 + 10 * (leaves[y].level + 1) : py;
      if (py < px || (py == px && strcmp(leaves[y].name, leaves[x].name) < 0))
        order[b - 1] = y, order[b] = x;
    }
}

static int run_collect(const explore_options *o, const explore_tree *t) {
  char **files;
  int n = find_leaf_files(o, &files);
  if (n < 0) {
    free(files);
    return 1;
  }
  explore_leaf *read = coopt_xcalloc((size_t)n, sizeof *read);
  int rc = 1;
  if (read_leaf_files(files, n, read)) {
    explore_results r;
    memset(&r, 0, sizeof r);
    r.leaves = coopt_xcalloc((size_t)n, sizeof *r.leaves);
    r.count = n;
    const char **dirs = coopt_xcalloc((size_t)n, sizeof *dirs);
    int *order = coopt_xmalloc((size_t)n * sizeof(int));
    order_leaves(t, read, n, order);
    for (int i = 0; i < n; ++i) {
      r.leaves[i] = read[order[i]];
      char *slash = strrchr(files[order[i]], '/');
      dirs[i] = coopt_xstrndup(files[order[i]], (size_t)(slash - files[order[i]]));
    }
    explore_options oo = *o;
    if (!oo.model)
      oo.model = "(collected leaves)";
    if (make_dir(o->out)) {
      clear_outputs(o->out);
      rc = finish(&oo, &r, dirs, NULL);
    }
    for (int i = 0; i < n; ++i)
      free((char *)dirs[i]);
    free(dirs), free(order);
    results_free(&r);
  } else {
    for (int i = 0; i < n; ++i)
      explore_leaf_free(&read[i]);
  }
  for (int i = 0; i < n; ++i)
    free(files[i]);
  free(files), free(read);
  return rc;
}

/* The work directory: the model and the calibration split go to temporary
 * files first, so that bad input (the stages parse, the model imports, the
 * data loads) is found before anything in --out is touched. */
static bool prepare_out(const explore_options *o, const explore_tree *t, const char *work, const char *leaves,
                        const char *model, const char *cal) {
  const char *tmpdir = getenv("TMPDIR");
  char tmp_cal[4096], tmp_model[4096];
  snprintf(tmp_cal, sizeof tmp_cal, "%s/coopt-explore-calibration-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  snprintf(tmp_model, sizeof tmp_model, "%s/coopt-explore-model-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  int fd_cal = mkstemp(tmp_cal), fd_model = fd_cal < 0 ? -1 : mkstemp(tmp_model);
  if (fd_model < 0) {
    fprintf(stderr, "coopt-explore: error: cannot create a temporary file: %s\n", strerror(errno));
    if (fd_cal >= 0)
      close(fd_cal), unlink(tmp_cal);
    return false;
  }
  close(fd_cal), close(fd_model);
  bool ready = check_stages(o, t) && explore_prepare(o, tmp_model, tmp_cal) && make_dir(o->out);
  if (ready) {
    remove_tree(work);
    remove_tree(leaves);
    clear_outputs(o->out);
    ready = make_dir(work) && make_dir(leaves) && copy_file(tmp_model, model) && copy_file(tmp_cal, cal);
  }
  unlink(tmp_cal), unlink(tmp_model);
  return ready;
}

static void catch_interrupts(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns on a signal */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

/* Node i has nothing to build on: its leaf.json says its parent failed. */
static void fail_with_parent(const explore_options *o, const explore_tree *t, int i, const char *leaves) {
  int p = t->nodes[i].parent;
  char *dir = path_join(leaves, t->nodes[i].name), *file = path_join(dir, "leaf.json"), err[512];
  make_dir(dir);
  explore_leaf l;
  memset(&l, 0, sizeof l);
  snprintf(l.name, sizeof l.name, "%s", t->nodes[i].name);
  snprintf(l.parent, sizeof l.parent, "%s", t->nodes[p].name);
  l.level = t->nodes[i].level;
  l.pipeline = explore_shown_pipeline(o, t, i);
  l.quantized = explore_chain_quantized(t, i);
  l.calibration_items = o->calibration;
  size_t n = strlen(t->nodes[p].name) + 32;
  l.error = coopt_xmalloc(n);
  snprintf(l.error, n, "its parent %s failed", t->nodes[p].name);
  l.accuracy = l.fake_accuracy = l.test_accuracy = l.latency_us = l.host_latency_us = NAN;
  explore_leaf_write(file, &l, err, sizeof err);
  explore_leaf_free(&l);
  free(dir), free(file);
}

/* The walk: which level is open, what runs, and the progress it shows. */
typedef struct scheduler {
  const explore_options *o;
  const explore_tree *t;
  job *jobs;
  const char *leaves, *work;
  int jobs_max, running, level, max_level;
  bool first_fit;
  progress_state ps;
} scheduler;

/* Start what is ready: nodes of the open levels whose parent is done. */
static bool start_ready(scheduler *s) {
  const explore_tree *t = s->t;
  for (int i = 0; i < t->count && s->running < s->jobs_max && !interrupted; ++i) {
    job *jb = &s->jobs[i];
    int p = t->nodes[i].parent;
    if (jb->state != PENDING || t->nodes[i].level > s->level ||
        (p > 0 && s->jobs[p].state != DONE && s->jobs[p].state != FAILED))
      continue;
    if (p > 0 && s->jobs[p].state == FAILED) {
      fail_with_parent(s->o, t, i, s->leaves);
      jb->state = FAILED;
      ++s->ps.done;
      progress_leaf(&s->ps, t, s->jobs, i, s->leaves);
      continue;
    }
    jb->pid = spawn_leaf(s->o, t, i, s->leaves, s->work);
    if (jb->pid < 0)
      return false;
    jb->state = RUNNING, jb->started = explore_now();
    ++s->running;
  }
  return true;
}

/* Nothing runs: the open level is complete.  Returns whether to go on
 * with the next level (first-fit stops at a level with a leaf that meets
 * the targets). */
static bool next_level(scheduler *s) {
  if (s->level >= s->max_level)
    return false;
  if (s->first_fit && s->level >= 0) {
    explore_results r;
    memset(&r, 0, sizeof r);
    read_results(s->o, s->t, s->jobs, s->leaves, &r);
    explore_choose(s->o, &r);
    bool found = r.chosen >= 0;
    results_free(&r);
    if (found)
      return false;
  }
  ++s->level;
  return true;
}

/* Wait for a job to end and record it.  Returns false when there is
 * nothing more to wait for. */
static bool reap(scheduler *s) {
  int status;
  /* On a terminal, wake up to redraw the bar while jobs run. */
  pid_t pid = waitpid(-1, &status, s->ps.tty && !s->ps.quiet ? WNOHANG : 0);
  if (pid == 0) {
    nanosleep(&(struct timespec){0, 250000000}, NULL);
    return true;
  }
  if (pid < 0)
    return errno == EINTR;
  for (int i = 0; i < s->t->count; ++i)
    if (s->jobs[i].state == RUNNING && s->jobs[i].pid == pid) {
      job *jb = &s->jobs[i];
      jb->state = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? DONE : FAILED;
      jb->seconds = explore_now() - jb->started;
      s->ps.busy += jb->seconds;
      --s->running, ++s->ps.done;
      s->ps.running = s->running;
      progress_leaf(&s->ps, s->t, s->jobs, i, s->leaves);
    }
  return true;
}

/* Run the levels (all of them, or up to the first that meets the targets
 * with first-fit), each node as a child process, up to -j at a time. */
static bool walk_tree(scheduler *s) {
  const explore_tree *t = s->t;
  while (!interrupted) {
    if (!start_ready(s))
      return false;
    s->ps.running = s->running, s->ps.level = s->level;
    if (s->first_fit) {
      /* What first-fit will have built when this level is complete. */
      s->ps.total = 0;
      for (int k = 0; k < t->count; ++k)
        s->ps.total += t->nodes[k].level <= s->level;
    }
    progress_bar(&s->ps);
    if (!s->running) {
      if (!next_level(s))
        break;
      continue;
    }
    if (!reap(s))
      break;
  }
  if (s->ps.tty && !s->ps.quiet)
    fputc('\n', stderr);
  return true;
}

/* Stop the running jobs after a signal; no results are written. */
static void abandon(const scheduler *s) {
  for (int i = 0; i < s->t->count; ++i)
    if (s->jobs[i].state == RUNNING)
      kill(s->jobs[i].pid, SIGTERM);
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
    ;
  fprintf(stderr, "\ncoopt-explore: error: interrupted; no results written (a rerun starts clean)\n");
  clear_outputs(s->o->out);
}

static int run_tree(const explore_options *o, const explore_tree *t) {
  char *work = path_join(o->out, "work"), *leaves = path_join(o->out, "leaves");
  char *model = path_join(work, "model.mlirbc"), *cal = path_join(work, "calibration.npy");
  int rc = 1;
  scheduler s;
  memset(&s, 0, sizeof s);
  s.o = o, s.t = t, s.leaves = leaves, s.work = work;
  s.jobs = coopt_xcalloc((size_t)t->count, sizeof *s.jobs);
  char **dirs = coopt_xcalloc((size_t)t->count, sizeof *dirs);
  if (prepare_out(o, t, work, leaves, model, cal)) {
    catch_interrupts();
    s.jobs_max = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    s.jobs_max = s.jobs_max < 1 ? 1 : s.jobs_max;
    s.first_fit = !strcmp(o->strategy, "first-fit");
    for (int i = 0; i < t->count; ++i)
      s.max_level = t->nodes[i].level > s.max_level ? t->nodes[i].level : s.max_level;
    s.level = s.first_fit ? -1 : s.max_level;
    s.ps = (progress_state){isatty(2), o->quiet, explore_now(), 0, 0, t->count, 0, s.jobs_max, s.level};
    if (!walk_tree(&s)) {
      /* a leaf could not be started: nothing is reported */
    } else if (interrupted) {
      abandon(&s);
    } else {
      explore_results r;
      memset(&r, 0, sizeof r);
      read_results(o, t, s.jobs, leaves, &r);
      for (int i = 0; i < t->count; ++i)
        dirs[i] = path_join(leaves, t->nodes[i].name);
      rc = finish(o, &r, (const char *const *)dirs, cal);
      if (rc && interrupted)
        fprintf(stderr, "coopt-explore: error: interrupted; no results written (a rerun starts clean)\n");
      results_free(&r);
    }
  }
  for (int i = 0; i < t->count; ++i)
    free(dirs[i]);
  free(dirs), free(s.jobs);
  free(work), free(leaves), free(model), free(cal);
  return rc;
}

int main(int argc, char **argv) {
  coopt_tool_init_process();
  explore_options o;
  if (parse_cli(argc, argv, &o)) {
    free(o.collect);
    return 1;
  }
  explore_tree t;
  if (!load_tree(&o, &t)) {
    free(o.collect);
    return 1;
  }
  int rc;
  if (o.num_collect) {
    rc = run_collect(&o, &t);
  } else if (o.plan) {
    rc = run_plan(&o, &t, argv[0]);
  } else if (o.leaf) {
    int node = explore_tree_find(&t, o.leaf);
    if (node < 0) {
      fprintf(stderr, "coopt-explore: error: --leaf=%s: no such node in the tree\n", o.leaf);
      rc = 1;
    } else {
      rc = explore_run_leaf(&o, &t, node, o.out);
    }
  } else {
    rc = run_tree(&o, &t);
  }
  explore_tree_free(&t);
  free(o.collect);
  return rc;
}
