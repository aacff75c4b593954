/* A minimal unit-test harness: CHECK macros that count, and a closing line
 * "N passed, M failed" that CI understands. */
#ifndef COOPT_UNIT_TEST_H
#define COOPT_UNIT_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                                                                    \
  do {                                                                                                                 \
    if (cond)                                                                                                          \
      ++unit_passed;                                                                                                   \
    else {                                                                                                             \
      ++unit_failed;                                                                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                         \
    }                                                                                                                  \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                                             \
  do {                                                                                                                 \
    long long va_ = (long long)(a), vb_ = (long long)(b);                                                              \
    if (va_ == vb_)                                                                                                    \
      ++unit_passed;                                                                                                   \
    else {                                                                                                             \
      ++unit_failed;                                                                                                   \
      fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, va_, vb_);      \
    }                                                                                                                  \
  } while (0)

#define CHECK_STR(a, b)                                                                                                \
  do {                                                                                                                 \
    const char *sa_ = (a), *sb_ = (b);                                                                                 \
    if (sa_ && sb_ && strcmp(sa_, sb_) == 0)                                                                           \
      ++unit_passed;                                                                                                   \
    else {                                                                                                             \
      ++unit_failed;                                                                                                   \
      fprintf(stderr, "%s:%d: CHECK_STR failed:\n  got:      '%s'\n  expected: '%s'\n", __FILE__, __LINE__,            \
              sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                                                             \
    }                                                                                                                  \
  } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                                    \
  do {                                                                                                                 \
    const char *h_ = (hay), *n_ = (needle);                                                                            \
    if (h_ && strstr(h_, n_))                                                                                          \
      ++unit_passed;                                                                                                   \
    else {                                                                                                             \
      ++unit_failed;                                                                                                   \
      fprintf(stderr, "%s:%d: CHECK_CONTAINS failed:\n  text:     '%s'\n  expected: '%s'\n", __FILE__, __LINE__,       \
              h_ ? h_ : "(null)", n_);                                                                                 \
    }                                                                                                                  \
  } while (0)

static inline int unit_finish(const char *name) {
  printf("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
  return unit_failed ? 1 : 0;
}

#endif
