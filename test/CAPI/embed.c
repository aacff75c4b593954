/*
 * How another compiler embeds coopt: it owns the context, the module and the
 * pass manager, and calls one libcoopt function to add a textual pipeline
 * that mixes coopt and upstream passes.  Only public headers are used.
 */
#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <stdio.h>
#include <string.h>

#include "coopt/coopt.h"

static void print_cb(MlirStringRef s, void *ud) { fwrite(s.data, 1, s.length, (FILE *)ud); }

static void remark_hook(MlirLocation loc, MlirDiagnosticSeverity sev, const char *msg, void *ud) {
  (void)loc;
  (void)sev;
  (void)ud;
  fprintf(stdout, "host compiler got: %s\n", msg);
}

int main(int argc, char **argv) {
  const char *pipeline = argc > 1 ? argv[1] : "builtin.module(canonicalize,coopt-stats{format=json},cse)";
  MlirContext ctx = cooptCreateContext(false);
  cooptSetDiagnosticHook(remark_hook, NULL);
  MlirModule module = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString(
               "func.func @f(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x3xf32> {\n"
               "  %w = \"tosa.const\"() <{values = dense<[[[[0.0, 1.0]]], [[[2.0, 0.0]]], [[[0.0, 0.0]]]]> : "
               "tensor<3x1x1x2xf32>}> : () -> tensor<3x1x1x2xf32>\n"
               "  %b = \"tosa.const\"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>\n"
               "  %z = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n"
               "  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = "
               "array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>, "
               "tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x3xf32>\n"
               "  return %y : tensor<1x4x4x3xf32>\n}\n"));
  if (mlirModuleIsNull(module))
    return 1;

  /* The host's own pass manager... */
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  /* ...gets coopt and upstream passes from one call. */
  if (mlirLogicalResultIsFailure(cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                                        mlirStringRefCreateFromCString(pipeline), print_cb, stderr))) {
    fprintf(stderr, "embed: bad pipeline\n");
    return 1;
  }
  printf("pipeline: ");
  mlirPrintPassPipeline(mlirPassManagerGetAsOpPassManager(pm), print_cb, stdout);
  printf("\n");
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module)))) {
    fprintf(stderr, "embed: pipeline failed\n");
    return 1;
  }
  mlirOperationPrint(mlirModuleGetOperation(module), print_cb, stdout);
  printf("\n");
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return 0;
}
