/* For structure-aware targets: the fuzz input read as a stream of choices,
 * one byte each (FuzzedDataProvider style).  Once the bytes are used up
 * every choice is 0, so any input, even an empty one, is a complete one. */
#ifndef COOPT_TEST_FUZZ_BYTES_H
#define COOPT_TEST_FUZZ_BYTES_H
#include <stddef.h>
#include <stdint.h>

typedef struct fuzz_bytes {
  const uint8_t *p;
  size_t n;
} fuzz_bytes;

/* The next choice, in [0, mod). */
static inline unsigned take(fuzz_bytes *b, unsigned mod) {
  if (!b->n)
    return 0;
  unsigned v = *b->p++;
  b->n--;
  return v % mod;
}
#endif
