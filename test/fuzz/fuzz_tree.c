/* libFuzzer target: coopt-explore's tree spec (--tree), and the chain
 * expansion of every node it accepts. */
#include "Explore.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  explore_tree t;
  coopt_buf err;
  coopt_buf_init(&err);
  if (explore_tree_parse("tree", text, &t, &err)) {
    for (int i = 0; i < t.count; ++i) {
      free(explore_chain_pipeline(&t, i, "data=x.npy samples=1"));
      (void)explore_chain_quantized(&t, i);
    }
    explore_tree_free(&t);
  }
  coopt_buf_free(&err);
  free(text);
  return 0;
}
