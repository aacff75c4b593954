/*
 * The library half of the bad-input corpus: an embedder's calls into
 * libcoopt through its public headers only, each fed one bad input.  An
 * embedder gets failures as return values and messages (error callbacks,
 * error buffers, the diagnostic hook), never a crash or an exit; this
 * program prints what it got in the tools' located form and exits 1.
 *
 *   coopt-api-probe import <model.onnx>        cooptImportOnnx
 *   coopt-api-probe tensor <file>              cooptTensorLoad (.npy / .pb)
 *   coopt-api-probe idx <file>                 cooptIdxLoad
 *   coopt-api-probe pipeline <text>            cooptParsePassPipeline
 *   coopt-api-probe run <file.mlir> <pipeline> parse, then run the pipeline
 *   coopt-api-probe emit <file.mlir> <arch> <cpu>  cooptEmitModule (obj)
 */
#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coopt/Compile.h"
#include "coopt/Import.h"
#include "coopt/TensorIO.h"
#include "coopt/coopt.h"

static void discard_cb(MlirStringRef s, void *ud) {
  (void)s;
  (void)ud;
}

/* Appends to a 1024-byte string. */
static void append_cb(MlirStringRef s, void *ud) {
  char *buf = ud;
  size_t used = strlen(buf);
  snprintf(buf + used, 1024 - used, "%.*s", (int)s.length, s.data);
}

static void stderr_cb(MlirStringRef s, void *ud) {
  (void)ud;
  fwrite(s.data, 1, s.length, stderr);
}

static void print_cb(MlirStringRef s, void *ud) { fwrite(s.data, 1, s.length, (FILE *)ud); }

/* The context's diagnostics (parser, verifier, passes), errors only, in the
 * tools' "file:line:col: error: msg" form. */
static MlirLogicalResult on_diagnostic(MlirDiagnostic d, void *ud) {
  (void)ud;
  if (mlirDiagnosticGetSeverity(d) == MlirDiagnosticError) {
    char where[512];
    cooptFormatLocation(mlirDiagnosticGetLocation(d), where, sizeof where);
    fprintf(stderr, "%s: error: ", where);
    mlirDiagnosticPrint(d, print_cb, stderr);
    fputc('\n', stderr);
  }
  return mlirLogicalResultSuccess();
}

static MlirModule parse_module(MlirContext ctx, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: error: cannot read the file\n", path);
    return (MlirModule){NULL};
  }
  fclose(f);
  return mlirModuleCreateParseFromFile(ctx, mlirStringRefCreateFromCString(path));
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "coopt-api-probe: error: usage: coopt-api-probe <import|tensor|idx|pipeline|run|emit> <arg>...\n");
    return 1;
  }
  const char *what = argv[1], *arg = argv[2];
  char err[1024] = "";
  cooptDiagnosticsQuiet(true); /* remarks are not what this probe checks */
  if (!strcmp(what, "import")) {
    coopt_onnx_import_options o = {0};
    if (mlirLogicalResultIsSuccess(cooptImportOnnx(arg, &o, discard_cb, NULL, append_cb, err)))
      return 0;
    fprintf(stderr, "%s: error: %s\n", arg, err); /* the callback gets the message only */
    return 1;
  }
  if (!strcmp(what, "tensor") || !strcmp(what, "idx")) {
    coopt_tensor t;
    bool ok =
        !strcmp(what, "tensor") ? cooptTensorLoad(arg, &t, err, sizeof err) : cooptIdxLoad(arg, &t, err, sizeof err);
    if (ok) {
      cooptTensorFree(&t);
      return 0;
    }
    /* The readers' messages start with the path. */
    size_t n = strlen(arg);
    const char *msg = !strncmp(err, arg, n) && !strncmp(err + n, ": ", 2) ? err + n + 2 : err;
    fprintf(stderr, "%s: error: %s\n", arg, msg);
    return 1;
  }
  MlirContext ctx = cooptCreateContext(false);
  mlirContextAttachDiagnosticHandler(ctx, on_diagnostic, NULL, NULL);
  int rc = 1;
  if (!strcmp(what, "pipeline") || (!strcmp(what, "run") && argc == 4)) {
    const char *text = !strcmp(what, "pipeline") ? arg : argv[3];
    MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
    if (mlirLogicalResultIsSuccess(cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                                          mlirStringRefCreateFromCString(text), stderr_cb, NULL))) {
      if (!strcmp(what, "pipeline"))
        rc = 0;
      else {
        MlirModule m = parse_module(ctx, arg);
        if (!mlirModuleIsNull(m)) {
          rc = mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(m))) ? 0 : 1;
          mlirModuleDestroy(m);
        }
      }
    }
    mlirPassManagerDestroy(pm);
  } else if (!strcmp(what, "emit") && argc == 5) {
    MlirModule m = parse_module(ctx, arg);
    if (!mlirModuleIsNull(m)) {
      coopt_target t = {0};
      t.arch = argv[3];
      t.cpu = argv[4];
      t.opt_level = 2;
      char *out = NULL;
      size_t out_size = 0;
      if (cooptEmitModule(ctx, m, &t, COOPT_EMIT_OBJ, &out, &out_size, err, sizeof err))
        rc = 0;
      else
        fprintf(stderr, "%s: error: %s\n", arg, err);
      free(out);
      mlirModuleDestroy(m);
    }
  } else {
    fprintf(stderr, "coopt-api-probe: error: unknown request '%s'\n", what);
  }
  mlirContextDestroy(ctx);
  return rc;
}
