/*
 * What the C benchmarks share: a monotonic clock, a fixed pseudo-random
 * sequence (every run times the same data) and zeroed 64-byte-aligned
 * buffers.  Each benchmark is one file compiled with this header by its
 * script.
 */
#ifndef COOPT_BENCH_H
#define COOPT_BENCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;
static inline uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static inline void *aligned(size_t n) {
  void *p;
  if (posix_memalign(&p, 64, n ? n : 64))
    abort();
  memset(p, 0, n);
  return p;
}

#endif
