#define _POSIX_C_SOURCE 200809L
/* Pipeline parser: nesting, quoting, mixing with upstream passes, printing,
 * and every error with its position. */
#include "Support/Support.h"
#include "UnitTest.h"
#include "coopt/coopt.h"

#include <stdlib.h>
#include <unistd.h>

static MlirContext ctx;

/* Parse into a fresh pass manager; returns success and the messages. */
static bool add(const char *pipeline, coopt_buf *msgs) {
  coopt_buf_clear(msgs);
  MlirStringRef text = mlirStringRefCreateFromCString(pipeline), anchor;
  if (mlirLogicalResultIsFailure(cooptPipelineGetAnchor(text, &anchor, coopt_buf_string_callback, msgs)))
    return false;
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, anchor);
  bool ok = mlirLogicalResultIsSuccess(
      cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm), text, coopt_buf_string_callback, msgs));
  mlirPassManagerDestroy(pm);
  return ok;
}

static char *dump(const char *pipeline) {
  coopt_buf b;
  coopt_buf_init(&b);
  if (mlirLogicalResultIsFailure(
          cooptPrintPassPipeline(ctx, mlirStringRefCreateFromCString(pipeline), coopt_buf_string_callback, &b))) {
    coopt_buf_free(&b);
    return NULL;
  }
  return coopt_buf_take(&b);
}

static void expect_error(const char *pipeline, const char *msg, unsigned col) {
  coopt_buf m;
  coopt_buf_init(&m);
  CHECK(!add(pipeline, &m));
  CHECK_CONTAINS(m.data, msg);
  char where[64];
  snprintf(where, sizeof where, "<pipeline>:1:%u: error:", col);
  CHECK_CONTAINS(m.data, where);
  /* The caret line points at the same column. */
  coopt_buf caret;
  coopt_buf_init(&caret);
  for (unsigned i = 1; i < col; ++i)
    coopt_buf_putc(&caret, ' ');
  coopt_buf_puts(&caret, "^\n");
  CHECK_CONTAINS(m.data, caret.data);
  coopt_buf_free(&caret);
  coopt_buf_free(&m);
}

static void test_valid(void) {
  coopt_buf m;
  coopt_buf_init(&m);
  CHECK(add("builtin.module(coopt-stats)", &m));
  CHECK(add("builtin.module()", &m));
  CHECK(add(" builtin.module ( coopt-stats { format=json  output=- } , canonicalize ) ", &m));
  CHECK(add("builtin.module(func.func(canonicalize{max-iterations=3},cse),coopt-stats{ops={conv2d,matmul}})", &m));
  CHECK(add("builtin.module(func.func(tosa-optional-decompositions,tosa-infer-shapes),coopt-stats,cse)", &m));
  CHECK(add("builtin.module(coopt-stats{output=\"/tmp/a b.json\"})", &m));
  CHECK(add("func.func(canonicalize)", &m));
  coopt_buf_free(&m);
}

static void test_dump(void) {
  char *d = dump("builtin.module(cse,coopt-stats{format=json},func.func(canonicalize{max-iterations=2}))");
  CHECK_STR(d, "builtin.module(cse,coopt-stats{format=json output=- ops=conv2d,depthwise_conv2d,transpose_conv2d,"
               "matmul},func.func(canonicalize{  max-iterations=2 max-num-rewrites=-1 region-simplify=normal "
               "test-convergence=false top-down=true}))");
  free(d);
  d = dump("builtin.module()");
  CHECK_STR(d, "builtin.module()");
  free(d);
  /* The printed form is itself a valid pipeline with the same meaning. */
  d = dump("builtin.module(coopt-stats{output='x y'})");
  CHECK_STR(d, "builtin.module(coopt-stats{format=table output=\"x y\" ops=conv2d,depthwise_conv2d,"
               "transpose_conv2d,matmul})");
  char *d2 = dump(d);
  CHECK_STR(d2, d);
  free(d);
  free(d2);
}

static void test_errors(void) {
  expect_error("", "empty pass pipeline", 1);
  expect_error("coopt-stats", "must be a single 'op-name(...)' element", 1);
  expect_error("builtin.module(cse),builtin.module(cse)", "must be a single", 21);
  expect_error("builtin.module(cse", "unbalanced '(': missing ')'", 19);
  expect_error("builtin.module(cse))", "unbalanced ')'", 20);
  expect_error("builtin.module(func.func(cse)", "missing ')'", 30);
  expect_error("builtin.module(cse,)", "empty pipeline element before ')'", 20);
  expect_error("builtin.module(,cse)", "empty pipeline element before ','", 16);
  expect_error("builtin.module(cse cse)", "expected ',' or ')' after 'cse'", 20);
  expect_error("builtin.module(coopt-stats{format=json)", "unbalanced '{'", 27);
  expect_error("builtin.module(coopt-stats{output=\"x})", "unterminated quote", 27);
  expect_error("builtin.module({x})", "options '{...}' must follow a pass name", 16);
  expect_error("builtin.module(coopt-stats})", "unbalanced '}'", 27);
  expect_error("builtin.module(coopt-stats{format=xml})", "has no value 'xml'", 35);
  expect_error("builtin.module(coopt-stats{bogus=1})", "unknown option 'bogus'", 28);
  expect_error("builtin.module(coopt-stats{format=json format=table})", "given more than once", 40);
  expect_error("builtin.module(coopt-statz)", "did you mean 'coopt-stats'", 16);
  expect_error("builtin.module(coopt-zzzzzzzzzzz)", "unknown coopt pass", 16);
  expect_error("builtin.module(func.func(coopt-stats))", "cannot be scheduled under 'func.func'", 26);
  expect_error("builtin.module(no-such-pass)", "cannot add 'no-such-pass' under 'builtin.module'", 16);
  expect_error("builtin.module(cse, canonicalize{max-iterations=x})", "cannot add 'canonicalize'", 21);
  expect_error("builtin.module(tosa-optional-decompositions)", "cannot add 'tosa-optional-decompositions'", 16);
}

static void test_elements_api(void) {
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  coopt_buf m;
  coopt_buf_init(&m);
  CHECK(mlirLogicalResultIsSuccess(cooptOpPassManagerAddPipeline(
      mlirPassManagerGetAsOpPassManager(pm), mlirStringRefCreateFromCString("builtin.module"),
      mlirStringRefCreateFromCString("coopt-stats,func.func(cse)"), coopt_buf_string_callback, &m)));
  coopt_buf p;
  coopt_buf_init(&p);
  mlirPrintPassPipeline(mlirPassManagerGetAsOpPassManager(pm), coopt_buf_string_callback, &p);
  CHECK_STR(p.data, "builtin.module(coopt-stats,func.func(cse))");
  CHECK(mlirLogicalResultIsFailure(
      cooptOpPassManagerAddPipeline(mlirPassManagerGetAsOpPassManager(pm), mlirStringRefCreateFromCString("func.func"),
                                    mlirStringRefCreateFromCString("coopt-stats"), coopt_buf_string_callback, &m)));
  CHECK_CONTAINS(m.data, "cannot be scheduled under 'func.func'");
  coopt_buf_free(&p);
  coopt_buf_free(&m);
  mlirPassManagerDestroy(pm);
}

/* A coopt pass really runs inside a pipeline, between upstream passes. */
static void test_run(void) {
  MlirModule m = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString(
               "func.func @f(%a: tensor<1x2x4xf32>) -> tensor<1x2x3xf32> {\n"
               "  %b = \"tosa.const\"() <{values = dense<[[[0.0, 1.0, 2.0], [0.0, 0.0, 1.0], [3.0, 3.0, 3.0], "
               "[0.0, 0.0, 0.0]]]> : tensor<1x4x3xf32>}> : () -> tensor<1x4x3xf32>\n"
               "  %z = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n"
               "  %c = tosa.matmul %a, %b, %z, %z : (tensor<1x2x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, "
               "tensor<1xf32>) -> tensor<1x2x3xf32>\n"
               "  return %c : tensor<1x2x3xf32>\n}\n"));
  CHECK(!mlirModuleIsNull(m));
  char path[] = "/tmp/coopt-unit-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  char pipeline[256];
  snprintf(pipeline, sizeof pipeline, "builtin.module(canonicalize,coopt-stats{format=json output=%s},cse)", path);
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  coopt_buf msgs;
  coopt_buf_init(&msgs);
  CHECK(mlirLogicalResultIsSuccess(cooptParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                                          mlirStringRefCreateFromCString(pipeline),
                                                          coopt_buf_string_callback, &msgs)));
  CHECK(mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(m))));
  coopt_buf json;
  coopt_buf_init(&json);
  CHECK(coopt_read_file(path, &json));
  CHECK_CONTAINS(json.data, "\"zeros\": 6");
  CHECK_CONTAINS(json.data, "\"distinct\": 4");
  /* Per output channel (columns of B): {0,0,3,0}, {1,0,3,0}, {2,1,3,0}. */
  CHECK_CONTAINS(json.data, "\"max_channel_distinct\": 4");
  CHECK_CONTAINS(json.data, "\"channels\": 3");
  unlink(path);
  coopt_buf_free(&json);
  coopt_buf_free(&msgs);
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(m);
}

int main(void) {
  ctx = cooptCreateContext(false);
  test_valid();
  test_dump();
  test_errors();
  test_elements_api();
  test_run();
  mlirContextDestroy(ctx);
  return unit_finish("unit-pipeline");
}
