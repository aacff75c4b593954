/* libFuzzer target: the JSON reader (coopt-explore --collect reads leaf.json
 * files from other machines).  Any input must parse or fail with a message;
 * a parsed value is freed again (leaks are findings). */
#include "Support/Support.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  coopt_jv v;
  char err[256];
  if (coopt_json_parse((const char *)data, size, &v, err, sizeof err)) {
    (void)coopt_jv_get(&v, "name");
    coopt_jv_free(&v);
  }
  return 0;
}
