/*
 * coopt-opt: mlir-opt for coopt.  Parses MLIR (text or bytecode), runs a
 * pass pipeline that mixes coopt and upstream passes, prints the result.
 *
 * Failure discipline: any error gives a located diagnostic and exit code 1,
 * and the output file is only ever written (atomically) after everything
 * succeeded.
 */
#include "Support/Support.h"
#include "Tool/Tool.h"
#include "coopt/coopt.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct cli {
  const char *input, *output, *pipeline, *split_marker;
  bool dump_pipeline, verify_diagnostics, emit_bytecode, help, version, list_passes;
  bool print_before_all, print_after_all, print_after_change, print_after_failure, print_module_scope;
  bool print_debuginfo, print_generic, print_local_scope, disable_threading, timing;
  bool verify_each, allow_unregistered;
  long long elide_larger;
} cli;

static void print_help(void) {
  printf("OVERVIEW: coopt-opt " COOPT_VERSION_STRING " - collaborative optimization passes for TOSA (MLIR 22)\n\n"
         "USAGE: coopt-opt [options] [input-file|-]\n\n"
         "OPTIONS:\n"
         "  -o, --output <file>               Output file (default '-', stdout); written only on success\n"
         "  -p, --pass-pipeline <pipeline>    Textual pipeline, e.g. 'builtin.module(coopt-stats,canonicalize)';\n"
         "                                    coopt and upstream passes may be mixed and nested freely\n"
         "  --dump-pass-pipeline              Print the effective pipeline (all options) to stderr\n"
         "  --split-input-file[=<marker>]     Process chunks separated by '// -----' independently\n"
         "  --verify-diagnostics              Check diagnostics against expected-* comments in the input\n"
         "  --emit-bytecode                   Write MLIR bytecode instead of text\n"
         "  --mlir-print-ir-before-all        Print IR before every pass (stderr)\n"
         "  --mlir-print-ir-after-all         Print IR after every pass (stderr); alias --print-ir-after-all\n"
         "  --mlir-print-ir-after-change      With after-all: only when the IR changed\n"
         "  --mlir-print-ir-after-failure     Print IR after a pass that failed\n"
         "  --mlir-print-ir-module-scope      Print the whole module in IR dumps\n"
         "  --mlir-print-debuginfo            Print locations\n"
         "  --mlir-print-op-generic           Print the generic op form\n"
         "  --mlir-print-local-scope          Print attribute/type aliases inline\n"
         "  --mlir-elide-elementsattrs-if-larger=<n>  Elide constants with more than n elements\n"
         "  --mlir-disable-threading          Run single-threaded\n"
         "  --mlir-timing                     Report pass timing\n"
         "  --verify-each[=true|false]        Verify the IR after each pass (default true)\n"
         "  --allow-unregistered-dialect      Accept ops of unknown dialects\n"
         "  --list-passes                     Print coopt pass arguments, one per line\n"
         "  --version                         Print the version\n"
         "  -h, --help                        This help\n\n"
         "COOPT PASSES (every upstream MLIR pass and pipeline is available as well):\n");
  size_t n;
  const coopt_pass_info *const *passes = cooptGetPasses(&n);
  for (size_t i = 0; i < n; ++i) {
    const coopt_pass_info *p = passes[i];
    printf("  %-34s %s\n", p->argument, p->summary);
    printf("  %-34s runs on: %s%s\n", "", p->anchor ? p->anchor : "any op", p->expand ? " (named pipeline)" : "");
    for (size_t k = 0; k < p->num_options; ++k) {
      const coopt_option_info *o = &p->options[k];
      coopt_buf type;
      coopt_buf_init(&type);
      cooptOptionPrintType(o, coopt_buf_string_callback, &type);
      printf("      %s=<%s>\n          %s (default: %s)\n", o->name, type.data, o->summary,
             o->default_text[0] ? o->default_text : "empty");
      coopt_buf_free(&type);
    }
  }
}

static bool parse_bool_value(const char *v, bool *out) {
  if (!v || !strcmp(v, "true") || !strcmp(v, "1")) {
    *out = true;
    return true;
  }
  if (!strcmp(v, "false") || !strcmp(v, "0")) {
    *out = false;
    return true;
  }
  return false;
}

static int usage_error(const char *fmt, ...) COOPT_PRINTF(1, 2);
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "coopt-opt: error: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see coopt-opt --help)\n");
  va_end(ap);
  return 1;
}

/* The options without a value, each setting one field of cli. */
static const struct {
  const char *name, *alias;
  size_t offset;
} bool_flags[] = {
    {"dump-pass-pipeline", NULL, offsetof(cli, dump_pipeline)},
    {"verify-diagnostics", NULL, offsetof(cli, verify_diagnostics)},
    {"emit-bytecode", NULL, offsetof(cli, emit_bytecode)},
    {"mlir-print-ir-before-all", NULL, offsetof(cli, print_before_all)},
    {"mlir-print-ir-after-all", "print-ir-after-all", offsetof(cli, print_after_all)},
    {"mlir-print-ir-after-change", NULL, offsetof(cli, print_after_change)},
    {"mlir-print-ir-after-failure", NULL, offsetof(cli, print_after_failure)},
    {"mlir-print-ir-module-scope", NULL, offsetof(cli, print_module_scope)},
    {"mlir-print-debuginfo", NULL, offsetof(cli, print_debuginfo)},
    {"mlir-print-op-generic", NULL, offsetof(cli, print_generic)},
    {"mlir-print-local-scope", NULL, offsetof(cli, print_local_scope)},
    {"mlir-disable-threading", NULL, offsetof(cli, disable_threading)},
    {"mlir-timing", NULL, offsetof(cli, timing)},
    {"allow-unregistered-dialect", NULL, offsetof(cli, allow_unregistered)},
    {"list-passes", NULL, offsetof(cli, list_passes)},
    {"version", NULL, offsetof(cli, version)},
    {"help", "h", offsetof(cli, help)},
};

static bool set_bool_flag(const char *a, cli *c) {
  for (size_t k = 0; k < sizeof bool_flags / sizeof bool_flags[0]; ++k)
    if (coopt_match_flag(a, bool_flags[k].name, NULL) ||
        (bool_flags[k].alias && coopt_match_flag(a, bool_flags[k].alias, NULL))) {
      *(bool *)((char *)c + bool_flags[k].offset) = true;
      return true;
    }
  return false;
}

/* An option that takes a value (as --name=value, or -name value when
 * the value is required); returns 0, an exit code, or -1 when `argv[*i]`
 * is none of them. */
static int set_value_option(int argc, char **argv, int *i, cli *c) {
  const char *a = argv[*i], *v = NULL;
#define NEEDS_VALUE(flagname)                                                                                          \
  do {                                                                                                                 \
    if (!v) {                                                                                                          \
      if (*i + 1 >= argc)                                                                                              \
        return usage_error("option '%s' needs a value", flagname);                                                     \
      v = argv[++*i];                                                                                                  \
    }                                                                                                                  \
  } while (0)
  if (coopt_match_flag(a, "o", &v) || coopt_match_flag(a, "output", &v)) {
    NEEDS_VALUE("-o");
    c->output = v;
  } else if (coopt_match_flag(a, "pass-pipeline", &v) || coopt_match_flag(a, "p", &v)) {
    NEEDS_VALUE("--pass-pipeline");
    c->pipeline = v;
  } else if (coopt_match_flag(a, "split-input-file", &v)) {
    c->split_marker = v && *v ? v : "// -----";
  } else if (coopt_match_flag(a, "mlir-elide-elementsattrs-if-larger", &v)) {
    NEEDS_VALUE("--mlir-elide-elementsattrs-if-larger");
    char *end;
    errno = 0;
    c->elide_larger = strtoll(v, &end, 10);
    if (*end || errno || c->elide_larger < 0)
      return usage_error("--mlir-elide-elementsattrs-if-larger expects a non-negative integer, got '%s'", v);
  } else if (coopt_match_flag(a, "verify-each", &v)) {
    if (!parse_bool_value(v, &c->verify_each))
      return usage_error("--verify-each expects true or false, got '%s'", v);
  } else {
    return -1;
  }
#undef NEEDS_VALUE
  return 0;
}

static int parse_cli(int argc, char **argv, cli *c) {
  memset(c, 0, sizeof *c);
  c->output = "-";
  c->verify_each = true;
  c->elide_larger = -1;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "-") || a[0] != '-') {
      if (c->input)
        return usage_error("more than one input file given ('%s')", a);
      c->input = a;
      continue;
    }
    if (set_bool_flag(a, c))
      continue;
    int rc = set_value_option(argc, argv, &i, c);
    if (rc < 0)
      return usage_error("unknown option '%s'", a);
    if (rc > 0)
      return rc;
  }
  if (!c->input)
    c->input = "-";
  return 0;
}

static void stderr_callback(MlirStringRef s, void *ud) {
  (void)ud;
  fwrite(s.data, 1, s.length, stderr);
}

static MlirOpPrintingFlags printing_flags(const cli *c) {
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  if (c->print_debuginfo)
    mlirOpPrintingFlagsEnableDebugInfo(flags, true, false);
  if (c->print_generic)
    mlirOpPrintingFlagsPrintGenericOpForm(flags);
  if (c->print_local_scope)
    mlirOpPrintingFlagsUseLocalScope(flags);
  if (c->elide_larger >= 0)
    mlirOpPrintingFlagsElideLargeElementsAttrs(flags, (intptr_t)c->elide_larger);
  return flags;
}

/* --dump-pass-pipeline: every pass with all its options. */
static bool dump_pipeline(MlirContext ctx, MlirStringRef text) {
  coopt_buf dump;
  coopt_buf_init(&dump);
  bool ok = mlirLogicalResultIsSuccess(cooptPrintPassPipeline(ctx, text, coopt_buf_string_callback, &dump));
  if (ok)
    fprintf(stderr, "Pass Manager with %s:\n%s\n", "coopt-opt", dump.data ? dump.data : "");
  else
    fputs(dump.data ? dump.data : "", stderr);
  coopt_buf_free(&dump);
  return ok;
}

/* The pass manager of --pass-pipeline, with the instrumentation the options
 * ask for.  Built before the input is read, so a bad pipeline is reported
 * even when the input is also bad.  False after a diagnostic. */
static bool build_pass_manager(const cli *c, MlirContext ctx, MlirOpPrintingFlags flags, MlirPassManager *pm) {
  if (!c->pipeline) {
    if (c->dump_pipeline)
      fprintf(stderr, "Pass Manager with coopt-opt:\n(empty: no --pass-pipeline given)\n");
    return true;
  }
  MlirStringRef text = mlirStringRefCreateFromCString(c->pipeline), anchor;
  if (mlirLogicalResultIsFailure(cooptPipelineGetAnchor(text, &anchor, stderr_callback, NULL)))
    return false;
  *pm = mlirPassManagerCreateOnOperation(ctx, anchor);
  if (mlirLogicalResultIsFailure(
          cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(*pm), text, stderr_callback, NULL)))
    return false;
  if (c->dump_pipeline && !dump_pipeline(ctx, text))
    return false;
  mlirPassManagerEnableVerifier(*pm, c->verify_each);
  if (c->print_before_all || c->print_after_all || c->print_after_failure)
    mlirPassManagerEnableIRPrinting(*pm, c->print_before_all, c->print_after_all, c->print_module_scope,
                                    c->print_after_change, c->print_after_failure, flags, mlirStringRefCreate("", 0));
  if (c->timing)
    mlirPassManagerEnableTiming(*pm);
  return true;
}

/* One chunk of the input (all of it without --split-input-file): parsed,
 * run through the pipeline and printed into `output`.  Returns whether it
 * succeeded; with --verify-diagnostics, whether the diagnostics matched. */
static bool process_chunk(const cli *c, MlirContext ctx, MlirPassManager pm, MlirOpPrintingFlags flags,
                          coopt_diag_engine *diags, const coopt_chunk *chunk, bool first, coopt_buf *output) {
  const char *display = strcmp(c->input, "-") == 0 ? "<stdin>" : c->input;
  coopt_diag_engine_set_buffer(diags, chunk->text, chunk->len);
  unsigned errors_before = diags->errors;
  MlirOperation op = coopt_parse_chunk(ctx, chunk, display, diags);
  bool ok = !mlirOperationIsNull(op);
  if (ok && pm.ptr)
    ok = mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, op));
  if (ok && diags->errors != errors_before)
    ok = false; /* an error diagnostic with a "successful" run is still an error */
  if (ok) {
    if (!first && c->split_marker && !c->emit_bytecode)
      coopt_buf_puts(output, "// -----\n");
    if (c->emit_bytecode) {
      mlirOperationWriteBytecode(op, coopt_buf_string_callback, output);
    } else {
      mlirOperationPrintWithFlags(op, flags, coopt_buf_string_callback, output);
      coopt_buf_putc(output, '\n');
    }
  }
  if (!mlirOperationIsNull(op))
    mlirOperationDestroy(op);
  return c->verify_diagnostics ? coopt_diag_engine_check(diags) : ok;
}

/* The input, chunk by chunk; the output is written (atomically) only when
 * every chunk succeeded.  Returns the exit code. */
static int process_input(const cli *c, MlirContext ctx, MlirPassManager pm, MlirOpPrintingFlags flags,
                         coopt_diag_engine *diags) {
  coopt_buf input;
  coopt_buf_init(&input);
  if (!coopt_read_file(c->input, &input)) {
    fprintf(stderr, "coopt-opt: error: cannot read input '%s': %s\n", c->input, strerror(errno));
    coopt_buf_free(&input);
    return 1;
  }
  diags->verify = c->verify_diagnostics;
  size_t nchunks;
  coopt_chunk *chunks = coopt_split_input(input.data, input.size, c->split_marker, &nchunks);
  coopt_buf output;
  coopt_buf_init(&output);
  bool ok = true;
  for (size_t i = 0; i < nchunks; ++i)
    if (!process_chunk(c, ctx, pm, flags, diags, &chunks[i], i == 0, &output))
      ok = false;
  coopt_chunks_free(chunks, nchunks);
  coopt_buf_free(&input);
  int rc = 1;
  char err[512];
  if (ok && coopt_write_file_atomic(c->output, output.data ? output.data : "", output.size, err, sizeof err))
    rc = 0;
  else if (ok)
    fprintf(stderr, "coopt-opt: error: %s\n", err);
  coopt_buf_free(&output);
  return rc;
}

int main(int argc, char **argv) {
  coopt_tool_init_process();
  cooptRegisterAllPasses();
  cli c;
  if (parse_cli(argc, argv, &c))
    return 1;
  if (c.help) {
    print_help();
    return 0;
  }
  if (c.version) {
    printf("coopt-opt " COOPT_VERSION_STRING " (MLIR C API, LLVM 22)\n");
    return 0;
  }
  if (c.list_passes) {
    size_t n;
    const coopt_pass_info *const *passes = cooptGetPasses(&n);
    for (size_t i = 0; i < n; ++i)
      printf("%s\n", passes[i]->argument);
    return 0;
  }
  const char *display = strcmp(c.input, "-") == 0 ? "<stdin>" : c.input;
  MlirContext ctx = cooptCreateContext(!c.disable_threading);
  mlirContextSetAllowUnregisteredDialects(ctx, c.allow_unregistered);
  coopt_diag_engine diags;
  coopt_diag_engine_init(&diags, display, false);
  coopt_diag_engine_attach(&diags, ctx);
  MlirPassManager pm = {NULL};
  MlirOpPrintingFlags flags = printing_flags(&c);
  int rc = 1;
  if (build_pass_manager(&c, ctx, flags, &pm) && !diags.errors)
    rc = process_input(&c, ctx, pm, flags, &diags);
  mlirOpPrintingFlagsDestroy(flags);
  if (pm.ptr)
    mlirPassManagerDestroy(pm);
  cooptSetDiagnosticHook(NULL, NULL);
  mlirContextDestroy(ctx);
  coopt_diag_engine_free(&diags);
  return rc;
}
