/* Option parser: every option kind, ranges, lists, quoting, every error,
 * and the defaults of every real pass. */
#include "Support/Support.h"
#include "UnitTest.h"
#include "coopt/Pass.h"
#include "coopt/coopt.h"

#include <stddef.h>
#include <stdlib.h>

typedef struct all_kinds {
  bool flag;
  int64_t count;
  double ratio;
  int mode;
  char *path;
  coopt_list modes;
  coopt_list ints;
  coopt_list floats;
  coopt_list names;
} all_kinds;

static const char *const modes[] = {"fast", "exact", "none", NULL};

static const coopt_option_info opts[] = {
    {"flag", COOPT_OPT_BOOL, "a bool", "false", {0}, NULL, offsetof(all_kinds, flag)},
    {"count", COOPT_OPT_INT, "an int", "16", {true, true, false, false, 2, 256}, NULL, offsetof(all_kinds, count)},
    {"ratio", COOPT_OPT_FLOAT, "a float", "0.5", {true, true, false, true, 0, 1}, NULL, offsetof(all_kinds, ratio)},
    {"mode", COOPT_OPT_ENUM, "an enum", "fast", {0}, modes, offsetof(all_kinds, mode)},
    {"path", COOPT_OPT_STRING, "a string", "-", {0}, NULL, offsetof(all_kinds, path)},
    {"modes", COOPT_OPT_ENUM_LIST, "enum list", "fast,exact", {0}, modes, offsetof(all_kinds, modes)},
    {"ints", COOPT_OPT_INT_LIST, "int list", "", {true, false, false, false, 0, 0}, NULL, offsetof(all_kinds, ints)},
    {"floats", COOPT_OPT_FLOAT_LIST, "float list", "1.5,2", {0}, NULL, offsetof(all_kinds, floats)},
    {"names", COOPT_OPT_STRING_LIST, "string list", "", {0}, NULL, offsetof(all_kinds, names)},
};

static const coopt_pass_info test_pass = {
    .argument = "test-pass",
    .summary = "test",
    .options = opts,
    .num_options = sizeof opts / sizeof opts[0],
    .options_size = sizeof(all_kinds),
};

static char err[512];
static size_t err_off;

static bool parse(all_kinds **o, const char *text) {
  *o = cooptPassOptionsCreateDefault(&test_pass);
  err[0] = 0;
  return cooptPassOptionsParse(&test_pass, *o, text, strlen(text), &err_off, err, sizeof err);
}

static char *print(const coopt_pass_info *info, const void *o) {
  coopt_buf b;
  coopt_buf_init(&b);
  cooptPassOptionsPrint(info, o, coopt_buf_string_callback, &b);
  return coopt_buf_take(&b);
}

static void expect_error(const char *text, const char *msg, size_t offset) {
  all_kinds *o;
  CHECK(!parse(&o, text));
  CHECK_CONTAINS(err, msg);
  CHECK_EQ_INT(err_off, offset);
  cooptPassOptionsDestroy(&test_pass, o);
}

static void test_defaults(void) {
  all_kinds *o;
  CHECK(parse(&o, ""));
  CHECK(!o->flag);
  CHECK_EQ_INT(o->count, 16);
  CHECK(o->ratio == 0.5);
  CHECK_EQ_INT(o->mode, 0);
  CHECK_STR(o->path, "-");
  CHECK_EQ_INT(o->modes.size, 2);
  CHECK_EQ_INT(((int *)o->modes.items)[1], 1);
  CHECK_EQ_INT(o->ints.size, 0);
  CHECK_EQ_INT(o->floats.size, 2);
  char *p = print(&test_pass, o);
  CHECK_STR(p, "flag=false count=16 ratio=0.5 mode=fast path=- modes=fast,exact ints= floats=1.5,2 names=");
  free(p);
  cooptPassOptionsDestroy(&test_pass, o);
}

static void test_values(void) {
  all_kinds *o;
  CHECK(parse(&o, "  flag count=256 ratio=0 mode=none path=\"a b{c}\" modes={none} ints=1,2,3 "
                  "floats=-1e-3 names='x y',z  "));
  CHECK(o->flag);
  CHECK_EQ_INT(o->count, 256);
  CHECK(o->ratio == 0);
  CHECK_EQ_INT(o->mode, 2);
  CHECK_STR(o->path, "a b{c}");
  CHECK_EQ_INT(o->modes.size, 1);
  CHECK_EQ_INT(((int *)o->modes.items)[0], 2);
  CHECK_EQ_INT(o->ints.size, 3);
  CHECK_EQ_INT(((int64_t *)o->ints.items)[2], 3);
  CHECK(((double *)o->floats.items)[0] == -1e-3);
  CHECK_EQ_INT(o->names.size, 2);
  CHECK_STR(((char **)o->names.items)[0], "x y");
  CHECK_STR(((char **)o->names.items)[1], "z");
  /* Printing and re-parsing gives the same options. */
  char *p = print(&test_pass, o);
  all_kinds *o2;
  CHECK(parse(&o2, p));
  char *p2 = print(&test_pass, o2);
  CHECK_STR(p2, p);
  free(p);
  free(p2);
  /* Clones are deep. */
  all_kinds *c = cooptPassOptionsClone(&test_pass, o);
  CHECK(c->path != o->path);
  CHECK_STR(c->path, o->path);
  CHECK(c->names.items != o->names.items);
  cooptPassOptionsDestroy(&test_pass, c);
  cooptPassOptionsDestroy(&test_pass, o);
  cooptPassOptionsDestroy(&test_pass, o2);
  CHECK(!parse(&o, "flag=false flag2"));
  CHECK_CONTAINS(err, "did you mean 'flag'");
  cooptPassOptionsDestroy(&test_pass, o);
  CHECK(parse(&o, "flag=1 ratio=0.999999"));
  CHECK(o->flag);
  cooptPassOptionsDestroy(&test_pass, o);
}

static void test_errors(void) {
  expect_error("bogus=1", "unknown option 'bogus' for pass 'test-pass'", 0);
  expect_error("count=3 cuont=4", "did you mean 'count'", 8);
  expect_error("flag=maybe", "expects true or false", 5);
  expect_error("count=1", "out of range (must be in [2, 256])", 6);
  expect_error("count=257", "out of range", 6);
  expect_error("count=2.5", "expects an integer", 6);
  expect_error("count=99999999999999999999", "expects an integer", 6);
  expect_error("ratio=1", "out of range (must be in [0, 1))", 6);
  expect_error("ratio=-0.1", "out of range", 6);
  expect_error("ratio=nan", "finite number", 6);
  expect_error("ratio=inf", "finite number", 6);
  expect_error("ratio=1e999", "finite number", 6);
  expect_error("ratio=abc", "finite number", 6);
  expect_error("mode=slow", "has no value 'slow' (expected one of fast|exact|none)", 5);
  expect_error("modes=fast,slow", "has no value 'slow'", 11);
  expect_error("modes=fast,", "empty list element", 11);
  expect_error("ints=1,x", "expects an integer", 7);
  expect_error("ints=-1", "out of range", 5);
  expect_error("count", "needs a value", 0);
  expect_error("count=", "needs a value after '='", 6);
  expect_error("=3", "expected an option name", 0);
  expect_error("count=3 count=4", "given more than once", 8);
  expect_error("path=\"abc", "unterminated quote", 5);
  expect_error("path={abc", "unterminated", 5);
}

/* The registry: empty until registration, idempotent, one pass a name. */
static const coopt_pass_info shadow_pass = {.argument = "coopt-stats", .summary = "a second coopt-stats"};

static void test_registry(void) {
  size_t n;
  cooptGetPasses(&n);
  CHECK(n == 0);
  CHECK(cooptLookupPass("coopt-stats", 11) == NULL);
  cooptRegisterAllPasses();
  const coopt_pass_info *const *passes = cooptGetPasses(&n);
  CHECK(n == 17);
  cooptRegisterAllPasses();
  size_t again;
  CHECK(cooptGetPasses(&again) == passes && again == n);
  const coopt_pass_info *stats = cooptLookupPass("coopt-stats", 11);
  CHECK(stats != NULL && cooptRegisterPass(stats));
  CHECK(!cooptRegisterPass(&shadow_pass));
  CHECK(cooptLookupPass("coopt-stats", 11) == stats);
  cooptGetPasses(&again);
  CHECK(again == n);
}

static void test_real_passes(void) {
  size_t n;
  const coopt_pass_info *const *passes = cooptGetPasses(&n);
  CHECK(n >= 14);
  for (size_t i = 0; i < n; ++i) {
    /* Every default parses, prints, and re-parses to the same text. */
    void *o = cooptPassOptionsCreateDefault(passes[i]);
    char *p = print(passes[i], o);
    void *o2 = cooptPassOptionsCreateDefault(passes[i]);
    size_t off;
    CHECK(cooptPassOptionsParse(passes[i], o2, p, strlen(p), &off, err, sizeof err));
    char *p2 = print(passes[i], o2);
    CHECK_STR(p2, p);
    /* Defaults validate, except a required option (calibration data), whose
     * absence must be what the message names. */
    if (passes[i]->validate && !passes[i]->validate(o, err, sizeof err)) {
      CHECK(strstr(err, "needs data=") != NULL);
      CHECK(cooptPassOptionsParse(passes[i], o, "data=x.npy", 10, &off, err, sizeof err));
      CHECK(passes[i]->validate(o, err, sizeof err));
    }
    CHECK(cooptLookupPass(passes[i]->argument, strlen(passes[i]->argument)) == passes[i]);
    free(p);
    free(p2);
    cooptPassOptionsDestroy(passes[i], o);
    cooptPassOptionsDestroy(passes[i], o2);
  }
  CHECK(cooptLookupPass("coopt-nothing", 13) == NULL);
}

static void test_type_printing(void) {
  const char *expected[] = {
      "bool",          "int in [2, 256]",           "float in [0, 1)",         "{fast|exact|none}",
      "string",        "list of {fast|exact|none}", "list of int in [0, inf)", "list of float",
      "list of string"};
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; ++i) {
    coopt_buf b;
    coopt_buf_init(&b);
    cooptOptionPrintType(&opts[i], coopt_buf_string_callback, &b);
    CHECK_STR(b.data, expected[i]);
    coopt_buf_free(&b);
  }
}

int main(void) {
  test_defaults();
  test_values();
  test_errors();
  test_registry();
  test_real_passes();
  test_type_printing();
  return unit_finish("unit-options");
}
