/*
 * coopt-translate: bring models into MLIR, and take them out as code.
 *
 *   coopt-translate --import-onnx model.onnx [-o model.mlir] [--batch=N] [--emit-bytecode]
 *   coopt-translate model.mlir --emit=llvm|asm|obj|header [--target=x86_64|aarch64]
 *                   [--mcpu=<cpu>] [--mattr=+dotprod,...] [--name=<c identifier>] [-O<n>] -o out
 *
 * The importer writes TOSA as text; it is parsed and verified by MLIR here
 * before anything is written, so an importer bug can never produce a file
 * that other tools choke on.
 */
#include "Support/Support.h"
#include "Tool/Tool.h"
#include "coopt/Compile.h"
#include "coopt/Import.h"
#include "coopt/TensorIO.h"
#include "coopt/coopt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f, "OVERVIEW: coopt-translate " COOPT_VERSION_STRING " - import models into TOSA (MLIR 22)\n\n"
             "USAGE: coopt-translate --import-onnx <model.onnx> [options]\n"
             "       coopt-translate <model.mlir> --emit=<kind> [options]\n\n"
             "OPTIONS:\n"
             "  --import-onnx              Translate an ONNX model into TOSA (NCHW interface, NHWC inside)\n"
             "  --emit=<kind>              Compile a TOSA model (its @main) ahead of time: llvm (LLVM IR), asm,\n"
             "                             obj (ELF object, position independent) or header (C header declaring\n"
             "                             the entry point, shapes, quantization parameters, an inline _run)\n"
             "  --target=<arch>            x86_64 (default) or aarch64\n"
             "  --mcpu=<cpu>               LLVM CPU name, e.g. neoverse-n1, or native (this host) (default generic)\n"
             "  --mattr=<features>         LLVM target features, e.g. +dotprod,+i8mm\n"
             "  --name=<identifier>        The entry's C name (default model): symbols <name> and\n"
             "                             _mlir_ciface_<name>, header prefix\n"
             "  -O<n>                      LLVM optimisation level for --emit (default 2)\n"
             "  -o, --output <file>        Output file (default '-'); written only on success\n"
             "  --batch=<n>                Value for a dynamic batch (leading) dimension\n"
             "  --bind=<name|#k>=<file>    Replace a graph input by a constant tensor (.npy or .pb), e.g. a Reshape's\n"
             "                             shape input: coopt compiles static shapes\n"
             "  --emit-bytecode            Write MLIR bytecode\n"
             "  --no-locations             Do not print locations (by default they are printed: ONNX node names)\n"
             "  --version, -h/--help\n");
}

/* --emit: parse the TOSA module, lower it and write code or a header. */
static int emit_code(const char *input, const char *output, const char *emit, const char *arch, const char *mcpu,
                     const char *mattr, const char *name, int opt_level) {
  coopt_emit_kind kind = COOPT_EMIT_OBJ;
  bool header = !strcmp(emit, "header");
  if (!strcmp(emit, "llvm"))
    kind = COOPT_EMIT_LLVM;
  else if (!strcmp(emit, "asm"))
    kind = COOPT_EMIT_ASM;
  else if (strcmp(emit, "obj") && !header) {
    fprintf(stderr, "coopt-translate: error: --emit=%s: expected llvm, asm, obj or header\n", emit);
    return 1;
  }
  if (!cooptTargetTriple(arch)) {
    fprintf(stderr, "coopt-translate: error: unknown target '%s' (expected x86_64 or aarch64)\n", arch);
    return 1;
  }
  if (!input) {
    fprintf(stderr, "coopt-translate: error: no input file\n");
    return 1;
  }
  coopt_buf src;
  coopt_buf_init(&src);
  if (!coopt_read_file(input, &src)) {
    fprintf(stderr, "coopt-translate: error: cannot read '%s': %s\n", input, strerror(errno));
    return 1;
  }
  MlirContext ctx = cooptCreateContext(false);
  coopt_diag_engine diags;
  coopt_diag_engine_init(&diags, input, false);
  coopt_diag_engine_attach(&diags, ctx);
  coopt_diag_engine_set_buffer(&diags, src.data, src.size);
  coopt_chunk whole = {src.data, src.size, 1};
  MlirOperation op = coopt_parse_chunk(ctx, &whole, input, &diags);
  int rc = 1;
  if (!mlirOperationIsNull(op)) {
    MlirModule module = mlirModuleFromOperation(op);
    char err[1024], *out = NULL;
    size_t size = 0;
    coopt_target target = {arch, mcpu, mattr, opt_level, name};
    bool ok = header ? cooptEmitHeader(module, name, &out, &size, err, sizeof err)
                     : cooptEmitModule(ctx, module, &target, kind, &out, &size, err, sizeof err);
    if (!ok)
      fprintf(stderr, "%s: error: %s\n", input, err);
    else if (!coopt_write_file_atomic(output, out, size, err, sizeof err))
      fprintf(stderr, "coopt-translate: error: %s\n", err);
    else
      rc = 0;
    free(out);
    mlirModuleDestroy(module);
  }
  cooptSetDiagnosticHook(NULL, NULL);
  mlirContextDestroy(ctx);
  coopt_diag_engine_free(&diags);
  coopt_buf_free(&src);
  return rc;
}

/* --bind tensors, freed at exit: main has many early exits, and a leak on
 * any of them is a failure of the sanitizer build. */
static coopt_onnx_binding binds[16];
static coopt_tensor bound[16];
static size_t nbind;

static void free_bindings(void) {
  for (size_t i = 0; i < nbind; ++i) {
    free((char *)binds[i].name);
    cooptTensorFree(&bound[i]);
  }
  nbind = 0;
}

/* What the command line asks for.  Locations carry the ONNX node names:
 * printed by default, so that they survive into every later tool. */
typedef struct translate_cli {
  const char *input, *output;
  bool import_onnx, bytecode, debuginfo;
  const char *emit, *arch, *mcpu, *mattr, *name;
  int opt_level;
  long long batch;
} translate_cli;

/* --bind=<input-name or #index>=<tensor file>: the tensor, loaded. */
static bool add_binding(const char *v) {
  const char *eq = v ? strchr(v, '=') : NULL;
  if (!eq || eq == v || !eq[1]) {
    fprintf(stderr, "coopt-translate: error: --bind expects <input-name or #index>=<tensor file>\n");
    return false;
  }
  if (nbind == 16) {
    fprintf(stderr, "coopt-translate: error: too many --bind\n");
    return false;
  }
  char err[512];
  if (!cooptTensorLoad(eq + 1, &bound[nbind], err, sizeof err)) {
    fprintf(stderr, "coopt-translate: error: %s\n", err);
    return false;
  }
  coopt_onnx_binding *b = &binds[nbind];
  b->name = coopt_xstrndup(v, (size_t)(eq - v));
  b->onnx_type = cooptDtypeToOnnx(bound[nbind].type.dtype);
  b->rank = bound[nbind].type.rank;
  memcpy(b->dims, bound[nbind].type.dims, sizeof b->dims);
  b->data = bound[nbind].data;
  ++nbind;
  return true;
}

/* The --option=value options of code emission: -1 when `a` is none of
 * them, 0 when set, 1 after a diagnostic. */
static int emission_option(const char *a, translate_cli *c) {
  const char *names[] = {"emit", "target", "mcpu", "mattr", "name"}, *v;
  const char **fields[] = {&c->emit, &c->arch, &c->mcpu, &c->mattr, &c->name};
  for (size_t k = 0; k < 5; ++k) {
    if (!coopt_match_flag(a, names[k], &v))
      continue;
    if (!v || !*v) {
      fprintf(stderr, "coopt-translate: error: option '%s' needs a value (--option=value)\n", a);
      return 1;
    }
    *fields[k] = v;
    return 0;
  }
  return -1;
}

/* One argument.  Returns -1 to go on, else the exit code. */
static int parse_argument(int argc, char **argv, int *i, translate_cli *c) {
  const char *a = argv[*i], *v;
  bool ok = true;
  int emission;
  if (a[0] != '-' || !strcmp(a, "-")) {
    if (c->input) {
      fprintf(stderr, "coopt-translate: error: more than one input file given ('%s')\n", a);
      return 1;
    }
    c->input = a;
  } else if (coopt_match_flag(a, "import-onnx", &v)) {
    c->import_onnx = true;
    if (v)
      c->input = v;
  } else if (coopt_match_flag(a, "o", &v) || coopt_match_flag(a, "output", &v)) {
    if (!v && *i + 1 >= argc) {
      fprintf(stderr, "coopt-translate: error: option '-o' needs a value\n");
      return 1;
    }
    c->output = v ? v : argv[++*i];
  } else if (coopt_match_flag(a, "batch", &v)) {
    char *end;
    errno = 0;
    c->batch = v ? strtoll(v, &end, 10) : 0;
    if (!v || *end || errno || c->batch < 1 || c->batch > (1 << 20)) {
      fprintf(stderr, "coopt-translate: error: --batch expects an integer in [1, 1048576]\n");
      return 1;
    }
  } else if (coopt_match_flag(a, "bind", &v)) {
    ok = add_binding(v);
  } else if ((emission = emission_option(a, c)) >= 0) {
    ok = emission == 0;
  } else if (a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
    c->opt_level = a[2] - '0';
  } else if (coopt_match_flag(a, "emit-bytecode", &v)) {
    c->bytecode = true;
  } else if (coopt_match_flag(a, "mlir-print-debuginfo", &v)) {
    c->debuginfo = true;
  } else if (coopt_match_flag(a, "no-locations", &v)) {
    c->debuginfo = false;
  } else if (coopt_match_flag(a, "version", &v)) {
    printf("coopt-translate " COOPT_VERSION_STRING " (MLIR C API, LLVM 22)\n");
    return 0;
  } else if (coopt_match_flag(a, "help", &v) || coopt_match_flag(a, "h", &v)) {
    usage(stdout);
    return 0;
  } else {
    fprintf(stderr, "coopt-translate: error: unknown option '%s'\n(see coopt-translate --help)\n", a);
    return 1;
  }
  return ok ? -1 : 1;
}

/* The imported text, parsed and verified in a context of its own, written
 * as text (with locations unless --no-locations) or bytecode. */
static int write_imported(const translate_cli *c, const coopt_buf *text) {
  MlirContext ctx = cooptCreateContext(false);
  coopt_diag_engine diags;
  coopt_diag_engine_init(&diags, c->input, false);
  coopt_diag_engine_attach(&diags, ctx);
  MlirOperation op = mlirOperationCreateParse(ctx, mlirStringRefCreate(text->data, text->size),
                                              mlirStringRefCreateFromCString(c->input));
  int rc = 1;
  if (mlirOperationIsNull(op) || !mlirOperationVerify(op)) {
    fprintf(stderr, "%s: error: internal error: the importer produced invalid IR (please report)\n", c->input);
  } else {
    cooptAdoptImportedRanges(op);
    coopt_buf out;
    coopt_buf_init(&out);
    if (c->bytecode) {
      mlirOperationWriteBytecode(op, coopt_buf_string_callback, &out);
    } else {
      MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
      if (c->debuginfo)
        mlirOpPrintingFlagsEnableDebugInfo(flags, true, false);
      mlirOperationPrintWithFlags(op, flags, coopt_buf_string_callback, &out);
      coopt_buf_putc(&out, '\n');
      mlirOpPrintingFlagsDestroy(flags);
    }
    char msg[512];
    if (coopt_write_file_atomic(c->output, out.data, out.size, msg, sizeof msg))
      rc = 0;
    else
      fprintf(stderr, "coopt-translate: error: %s\n", msg);
    coopt_buf_free(&out);
  }
  if (!mlirOperationIsNull(op))
    mlirOperationDestroy(op);
  cooptSetDiagnosticHook(NULL, NULL);
  mlirContextDestroy(ctx);
  coopt_diag_engine_free(&diags);
  return rc;
}

static int import_onnx(const translate_cli *c) {
  coopt_buf text, err;
  coopt_buf_init(&text);
  coopt_buf_init(&err);
  coopt_onnx_import_options opts = {c->batch, nbind, binds};
  int rc;
  if (mlirLogicalResultIsFailure(
          cooptImportOnnx(c->input, &opts, coopt_buf_string_callback, &text, coopt_buf_string_callback, &err))) {
    fprintf(stderr, "%s: error: %s\n", c->input, err.data ? err.data : "import failed");
    rc = 1;
  } else {
    rc = write_imported(c, &text);
  }
  coopt_buf_free(&text);
  coopt_buf_free(&err);
  return rc;
}

int main(int argc, char **argv) {
  coopt_tool_init_process();
  atexit(free_bindings);
  translate_cli c = {NULL, "-", false, false, true, NULL, "x86_64", NULL, NULL, "model", 2, 0};
  for (int i = 1; i < argc; ++i) {
    int rc = parse_argument(argc, argv, &i, &c);
    if (rc >= 0)
      return rc;
  }
  if (c.emit && !c.import_onnx)
    return emit_code(c.input, c.output, c.emit, c.arch, c.mcpu, c.mattr, c.name, c.opt_level);
  if (!c.import_onnx) {
    fprintf(stderr, "coopt-translate: error: nothing to do: give --import-onnx <model.onnx> or --emit=<kind>\n");
    return 1;
  }
  if (!c.input) {
    fprintf(stderr, "coopt-translate: error: no input file\n");
    return 1;
  }
  return import_onnx(&c);
}
