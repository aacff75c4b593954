/* Channel-order search (Analysis/ChannelPermute.h) against brute force
 * over every order of a small layer. */
#include "Analysis/ChannelPermute.h"
#include "UnitTest.h"

#include <stdint.h>
#include <stdlib.h>

enum { ROWS = 5, C = 8 };

/* The best kept importance over all C! orders (Heap's algorithm). */
static double brute_force(const coopt_permute_problem *p) {
  int64_t perm[C], c[C] = {0};
  for (int64_t k = 0; k < C; ++k)
    perm[k] = k;
  double best = cooptPermuteKept(p, perm);
  for (int64_t i = 1; i < C;) {
    if (c[i] < i) {
      int64_t j = i % 2 ? c[i] : 0, t = perm[j];
      perm[j] = perm[i];
      perm[i] = t;
      double v = cooptPermuteKept(p, perm);
      best = v > best ? v : best;
      ++c[i];
      i = 1;
    } else {
      c[i++] = 0;
    }
  }
  return best;
}

static bool is_permutation(const int64_t *perm, int64_t n) {
  int seen[C] = {0};
  for (int64_t k = 0; k < n; ++k) {
    if (perm[k] < 0 || perm[k] >= n || seen[perm[k]])
      return false;
    seen[perm[k]] = 1;
  }
  return true;
}

/* The search never loses importance, returns a true order whose kept
 * importance it reports, and does not beat the optimum. */
static void check_search(const coopt_permute_problem *p, double *after_out) {
  int64_t perm[C];
  double before = 0, after = 0;
  cooptPermuteSearch(p, 8, perm, &before, &after);
  CHECK(is_permutation(perm, C));
  CHECK(after >= before);
  CHECK(fabs(cooptPermuteKept(p, perm) - after) <= 1e-12 * after);
  double best = brute_force(p);
  CHECK(after <= best * (1 + 1e-12));
  *after_out = after;
}

/* Important channels 0..3 share group 0: 1x4 blocks at 50% (keep 1 of 2)
 * already keep them all, and 2:4 keeps only two of them; the best 2:4 order
 * spreads them two a group. */
static void test_grouped_importance(void) {
  double s[ROWS * C];
  for (int64_t r = 0; r < ROWS; ++r)
    for (int64_t k = 0; k < C; ++k)
      s[r * C + k] = k < 4 ? 10.0 + (double)r : 1.0;
  coopt_permute_problem block = {s, ROWS, C, 4, 1, 0}, nm = {s, ROWS, C, 4, 0, 2};
  double after = 0;
  check_search(&block, &after);
  CHECK(fabs(after - brute_force(&block)) < 1e-9);
  check_search(&nm, &after);
  CHECK(fabs(after - brute_force(&nm)) < 1e-9);
  int64_t id[C] = {0, 1, 2, 3, 4, 5, 6, 7};
  CHECK(after > cooptPermuteKept(&nm, id) + 1);
}

/* Important channels interleaved (0, 2, 4, 6): blocks must gather them. */
static void test_interleaved_importance(void) {
  double s[ROWS * C];
  for (int64_t r = 0; r < ROWS; ++r)
    for (int64_t k = 0; k < C; ++k)
      s[r * C + k] = k % 2 == 0 ? 5.0 : 0.5;
  coopt_permute_problem block = {s, ROWS, C, 4, 1, 0};
  int64_t id[C] = {0, 1, 2, 3, 4, 5, 6, 7};
  double after = 0;
  check_search(&block, &after);
  CHECK(fabs(after - ROWS * 20.0) < 1e-9);
  CHECK(cooptPermuteKept(&block, id) < after - 1);
}

/* Random importances, every pattern the pass can ask for on 8 channels:
 * never worse than the identity nor better than brute force. */
static void test_random(void) {
  uint64_t x = 12345;
  double s[ROWS * C];
  for (int trial = 0; trial < 6; ++trial) {
    for (int64_t i = 0; i < ROWS * C; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      double u = (double)(x >> 11) / 9007199254740992.0;
      s[i] = u * u * 4;
    }
    coopt_permute_problem ps[] = {{s, ROWS, C, 4, 1, 0}, {s, ROWS, C, 2, 2, 0}, {s, ROWS, C, 2, 3, 0},
                                  {s, ROWS, C, 4, 0, 2}, {s, ROWS, C, 4, 0, 1}, {s, ROWS, C, 2, 0, 1}};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; ++k) {
      double after = 0;
      check_search(&ps[k], &after);
    }
  }
}

/* Nothing to gain: keep everything, or one group. */
static void test_trivial(void) {
  double s[ROWS * C];
  for (int64_t i = 0; i < ROWS * C; ++i)
    s[i] = (double)(i % 7);
  coopt_permute_problem all = {s, ROWS, C, 4, 2, 0}, one = {s, ROWS, 4, 4, 0, 2};
  int64_t perm[C];
  double before = 0, after = 0;
  cooptPermuteSearch(&all, 8, perm, &before, &after);
  CHECK(before == after);
  CHECK_EQ_INT(perm[5], 5);
  cooptPermuteSearch(&one, 8, perm, &before, &after);
  CHECK(before == after);
}

int main(void) {
  test_grouped_importance();
  test_interleaved_importance();
  test_random();
  test_trivial();
  return unit_finish("unit-permute");
}
