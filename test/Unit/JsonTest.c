/*
 * The JSON reader (lib/Support/JsonRead.c) against the writer
 * (lib/Support/Json.c): what one writes the other reads back, and what it
 * rejects is located at line:column.
 */
#include "Support/Support.h"
#include "UnitTest.h"

#include <math.h>
#include <stdlib.h>

static bool parse(const char *text, coopt_jv *v, char *err, size_t n) {
  return coopt_json_parse(text, strlen(text), v, err, n);
}

static void test_round_trip(void) {
  coopt_buf out;
  coopt_buf_init(&out);
  coopt_json j;
  coopt_json_init(&j, &out, true);
  coopt_json_begin_object(&j);
  coopt_json_key(&j, "name");
  coopt_json_cstring(&j, "a \"quoted\"\tname\n\\ \x01");
  coopt_json_key(&j, "level");
  coopt_json_int(&j, -1);
  coopt_json_key(&j, "accuracy");
  coopt_json_double(&j, 91.38);
  coopt_json_key(&j, "missing");
  coopt_json_double(&j, NAN);
  coopt_json_key(&j, "ok");
  coopt_json_bool(&j, false);
  coopt_json_key(&j, "bins");
  coopt_json_begin_inline_array(&j);
  for (int i = 0; i < 5; ++i)
    coopt_json_int(&j, i * 1000000007LL);
  coopt_json_end_array(&j);
  coopt_json_end_object(&j);
  coopt_jv v;
  char err[128];
  CHECK(coopt_json_parse(out.data, out.size, &v, err, sizeof err));
  CHECK(v.type == COOPT_JV_OBJECT && v.count == 6);
  const coopt_jv *name = coopt_jv_get(&v, "name"), *bins = coopt_jv_get(&v, "bins");
  CHECK(name && name->type == COOPT_JV_STRING);
  CHECK_STR(name ? name->string : NULL, "a \"quoted\"\tname\n\\ \x01");
  CHECK(coopt_jv_get(&v, "level")->number == -1);
  CHECK(coopt_jv_get(&v, "accuracy")->number == 91.38);
  CHECK(coopt_jv_get(&v, "missing")->type == COOPT_JV_NULL);
  CHECK(coopt_jv_get(&v, "ok")->type == COOPT_JV_BOOL && !coopt_jv_get(&v, "ok")->boolean);
  CHECK(bins && bins->type == COOPT_JV_ARRAY && bins->count == 5);
  CHECK(bins && bins->items[4].number == 4 * 1000000007.0);
  CHECK(coopt_jv_get(&v, "nope") == NULL);
  CHECK(coopt_jv_get(bins, "name") == NULL); /* not an object */
  coopt_jv_free(&v);
  coopt_buf_free(&out);
}

static void test_values(void) {
  coopt_jv v;
  char err[128];
  CHECK(parse(" [ ] ", &v, err, sizeof err) && v.type == COOPT_JV_ARRAY && v.count == 0);
  coopt_jv_free(&v);
  CHECK(parse("{}", &v, err, sizeof err) && v.type == COOPT_JV_OBJECT && v.count == 0);
  coopt_jv_free(&v);
  CHECK(parse("-1.5e3", &v, err, sizeof err) && v.number == -1500);
  coopt_jv_free(&v);
  /* \u escapes to UTF-8, a surrogate pair included */
  CHECK(parse("\"\\u00e9\\u20ac\\ud83d\\ude00\"", &v, err, sizeof err));
  CHECK_STR(v.string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  coopt_jv_free(&v);
  CHECK(parse("[[[1]], {\"a\": [true, null]}]", &v, err, sizeof err));
  CHECK(v.count == 2 && v.items[0].items[0].items[0].number == 1);
  CHECK(coopt_jv_get(&v.items[1], "a")->items[1].type == COOPT_JV_NULL);
  coopt_jv_free(&v);
}

static void test_errors(void) {
  static const struct {
    const char *text, *message;
  } cases[] = {
      {"", "1:1: unexpected end of input"},
      {"{\n  \"a\": 1,\n  \"b\" 2}", "3:7: expected ':'"},
      {"{\"a\": 1", "1:8: expected ',' or '}'"},
      {"[1 2]", "1:4: expected ',' or ']'"},
      {"{\"a\": \"cut", "1:11: unterminated string"},
      {"\"bad \\q\"", "1:6: bad escape in a string"},
      {"\"tab\there\"", "1:5: control character in a string"},
      {"nul", "1:1: expected a value"},
      {"1.2.3", "1:1: bad number"},
      {"1e999", "1:1: bad number"},
      {"{1: 2}", "1:2: expected a string key"},
      {"[1] x", "1:5: trailing characters after the value"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    coopt_jv v;
    char err[128] = "";
    CHECK(!parse(cases[i].text, &v, err, sizeof err));
    CHECK_STR(err, cases[i].message);
  }
  /* Nesting is bounded (a malicious file cannot exhaust the stack). */
  char deep[300];
  memset(deep, '[', sizeof deep - 1);
  deep[sizeof deep - 1] = 0;
  coopt_jv v;
  char err[128];
  CHECK(!parse(deep, &v, err, sizeof err));
  CHECK_CONTAINS(err, "nesting deeper than 64");
}

int main(void) {
  test_round_trip();
  test_values();
  test_errors();
  return unit_finish("unit-json");
}
