/* Requantization arithmetic against the TOSA spec pseudo-code (transcribed
 * independently in 128-bit arithmetic), TFLite's integer path, and exact
 * rational values.  Edge cases: tiny and huge scales, negative values, ties,
 * saturation. */
#include "coopt_rt/quant.h"

#include <math.h>
#include <stdio.h>

/* The reference needs more than 64 bits; the test is for GCC/Clang hosts. */
__extension__ typedef __int128 i128;

static int passed, failed;
#define CHECK(c)                                                                                                       \
  do {                                                                                                                 \
    if (c)                                                                                                             \
      ++passed;                                                                                                        \
    else {                                                                                                             \
      ++failed;                                                                                                        \
      if (failed < 20)                                                                                                 \
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                                          \
    }                                                                                                                  \
  } while (0)

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs;
}

/* TOSA 1.0 apply_scale_32, in 128-bit so that nothing can overflow. */
static i128 spec_apply_scale_32(int32_t value, int32_t multiplier, int32_t shift, bool double_round) {
  i128 round = (i128)1 << (shift - 1);
  if (double_round) {
    if (shift > 31 && value >= 0)
      round += (i128)1 << 30;
    if (shift > 31 && value < 0)
      round -= (i128)1 << 30;
  }
  i128 r = (i128)value * multiplier + round;
  /* >> on a negative __int128 is an arithmetic shift (floor) on GCC/Clang */
  return r >> shift;
}

static void test_quantize_multiplier(void) {
  double reals[] = {1.0,  0.5,  0.25, 1.0 / 3, 0.0078125, 0.1234567, 0.999999999, 1.5,   123.456,
                    1e-3, 1e-6, 1e-9, 2.0e-9,  1e-12,     1e-18,     1e-30,       3.0e8, 5.0e8};
  for (size_t i = 0; i < sizeof reals / sizeof reals[0]; ++i) {
    int32_t m, s;
    double r = reals[i];
    CHECK(coopt_quantize_multiplier(r, &m, &s));
    CHECK(s >= 2 && s <= 62);
    CHECK(m >= 0);
    if (m == 0) {
      CHECK(r < ldexp(1.0, -62)); /* rounds to zero: below the smallest step */
    } else if (s < 62) {
      /* Full precision: Q31 mantissa, relative error <= 2^-31. */
      CHECK(m >= (1 << 30));
      CHECK(fabs(ldexp((double)m, -s) - r) <= ldexp(r, -31));
    } else {
      /* Shift saturated: the multiplier carries what is left. */
      CHECK(fabs(ldexp((double)m, -s) - r) <= ldexp(1.0, -63));
    }
  }
  int32_t m, s;
  CHECK(coopt_quantize_multiplier(0.0, &m, &s) && m == 0 && s == 2);
  CHECK(!coopt_quantize_multiplier(-0.5, &m, &s));
  CHECK(!coopt_quantize_multiplier(NAN, &m, &s));
  CHECK(!coopt_quantize_multiplier(INFINITY, &m, &s));
  CHECK(!coopt_quantize_multiplier(1.0e9, &m, &s)); /* >= 2^29: not a TOSA rescale */
  /* q rounding up to 1.0 moves to the next exponent */
  CHECK(coopt_quantize_multiplier(0.99999999999, &m, &s) && m == (1 << 30) && s == 30);
}

static void test_apply_scale_vs_spec(void) {
  for (int i = 0; i < 200000; ++i) {
    int32_t m = (int32_t)((1u << 30) + (uint32_t)(rnd() % (1u << 30)));
    int32_t s = 2 + (int32_t)(rnd() % 61);
    bool dr = rnd() & 1;
    /* values for which the spec REQUIRE holds: the result fits int32 */
    /* |v * m| >> s must fit int32: |v| < 2^(s-1) covers every m < 2^31 */
    int64_t limit = s >= 33 ? INT32_MAX : ((int64_t)1 << (s - 1)) - 1;
    if (i % 7 == 0 && limit > 32)
      limit = 32; /* small values: many ties */
    int32_t v = (int32_t)((int64_t)(rnd() % (2 * (uint64_t)limit + 1)) - limit);
    i128 ref = spec_apply_scale_32(v, m, s, dr);
    int32_t got = coopt_apply_scale_32(v, m, s, dr);
    CHECK((i128)got == ref);
    if ((i128)got != ref && failed < 5)
      fprintf(stderr, "  v=%d m=%d s=%d dr=%d got=%d ref=%lld\n", v, m, s, dr, got, (long long)ref);
  }
  /* extremes */
  CHECK(coopt_apply_scale_32(INT32_MAX, INT32_MAX, 62, true) ==
        (int32_t)spec_apply_scale_32(INT32_MAX, INT32_MAX, 62, true));
  CHECK(coopt_apply_scale_32(INT32_MIN, INT32_MAX, 62, true) ==
        (int32_t)spec_apply_scale_32(INT32_MIN, INT32_MAX, 62, true));
  /* saturation when the REQUIRE does not hold */
  CHECK(coopt_apply_scale_32(INT32_MAX, INT32_MAX, 2, false) == INT32_MAX);
  CHECK(coopt_apply_scale_32(INT32_MIN, INT32_MAX, 2, false) == INT32_MIN);
  /* ties: single rounding rounds half up, double rounding away from zero */
  CHECK(coopt_apply_scale_32(3, 1 << 30, 31, false) == 2);   /* 1.5 -> 2 */
  CHECK(coopt_apply_scale_32(-3, 1 << 30, 31, false) == -1); /* -1.5 -> -1 (half up) */
  CHECK(coopt_apply_scale_32(-6, 1 << 30, 32, true) == -2);  /* -1.5 -> -2 (away from zero) */
  CHECK(coopt_apply_scale_32(6, 1 << 30, 32, true) == 2);
}

static void test_double_round_matches_tflite(void) {
  /* TOSA's DOUBLE_ROUND exists to reproduce TFLite: identical for right
   * shifts beyond 31, which is every multiplier below 1.0. */
  int mismatches_small_shift = 0, total_small = 0;
  for (int i = 0; i < 200000; ++i) {
    int32_t m = (int32_t)((1u << 30) + (uint32_t)(rnd() % (1u << 30)));
    int32_t s = 32 + (int32_t)(rnd() % 31);
    int32_t v = (int32_t)rnd();
    if (i % 5 == 0)
      v = (int32_t)(rnd() % 2001) - 1000;
    CHECK(coopt_apply_scale_32(v, m, s, true) == coopt_tflite_multiply_by_quantized_multiplier(v, m, s));
    /* shifts <= 31 (multipliers >= 1): TFLite rounds ties away from zero,
     * TOSA half up; they may differ by one on negative ties only. */
    int32_t s2 = 2 + (int32_t)(rnd() % 30);
    /* inside TFLite's domain: the pre-shift value << (31 - s2) must not saturate */
    int64_t lim = ((int64_t)1 << s2) - 1;
    if (lim > 2000)
      lim = 2000;
    int32_t v2 = (int32_t)((int64_t)(rnd() % (uint64_t)(2 * lim + 1)) - lim);
    int32_t a = coopt_apply_scale_32(v2, m, s2, true), b = coopt_tflite_multiply_by_quantized_multiplier(v2, m, s2);
    ++total_small;
    if (a != b) {
      ++mismatches_small_shift;
      CHECK(v2 < 0 && a == b + 1);
    }
  }
  printf("double rounding vs TFLite: identical for shift > 31; %d of %d differ by one for shift <= 31 "
         "(negative ties)\n",
         mismatches_small_shift, total_small);
}

static void test_against_exact_rational(void) {
  /* real -> (m, s) -> apply_scale_32 against round(value * real):
   * single rounding is within 0.5 (+ the Q31 representation error);
   * double rounding (TFLite's) rounds twice, first to 2^-(s-31) of a unit,
   * so it may be off by up to 0.5 + 2^-(s-31) - e.g. -1189.4961 becomes
   * -76127.75 / 64 -> -76128 / 64 = -1189.5 -> -1190. */
  double reals[] = {0.0123, 0.5, 0.7071067811865476, 1.0 / 255, 3.14159, 0.000244140625};
  int double_round_beyond_half = 0;
  for (size_t k = 0; k < sizeof reals / sizeof reals[0]; ++k) {
    int32_t m, s;
    CHECK(coopt_quantize_multiplier(reals[k], &m, &s));
    for (int32_t v = -100000; v <= 100000; v += 37) {
      double exact = (double)v * reals[k], repr = fabs(exact) * ldexp(1.0, -30) + 1e-9;
      int32_t single = coopt_apply_scale_32(v, m, s, false), twice = coopt_apply_scale_32(v, m, s, true);
      CHECK(fabs((double)single - exact) <= 0.5 + repr);
      double first_step = s > 31 ? ldexp(1.0, -(s - 31)) : 0.0;
      CHECK(fabs((double)twice - exact) <= 0.5 + first_step + repr);
      double_round_beyond_half += fabs((double)twice - exact) > 0.5 + repr;
    }
  }
  printf("double rounding beyond 0.5 of the exact value: %d cases (single rounding: none)\n", double_round_beyond_half);
}

/* TOSA reciprocal_scale, transcribed from the spec with count_leading_zeros. */
static void spec_reciprocal_scale(uint32_t value, int32_t *multiplier, int32_t *shift) {
  int32_t k = value == 1 ? 0 : 32 - __builtin_clz(value - 1);
  int64_t numerator = (((int64_t)1 << 30) + 1) << k;
  *multiplier = (int32_t)(numerator / value);
  *shift = 30 + k;
}

static void test_reciprocal_scale(void) {
  uint32_t counts[] = {1, 2, 3, 4, 5, 7, 9, 25, 49, 64, 65, 100, 255, 1024, 1025, 65535, 1u << 20, (1u << 31) - 1};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; ++i) {
    int32_t m, s, em, es;
    coopt_reciprocal_scale(counts[i], &m, &s);
    spec_reciprocal_scale(counts[i], &em, &es);
    CHECK(m == em && s == es);
    CHECK(m >= (1 << 30) && m <= INT32_MAX); /* the spec's stated range */
  }
  /* Upstream tosa-to-linalg's avg_pool2d constants for a 5x5 window. */
  int32_t m, s;
  coopt_reciprocal_scale(25, &m, &s);
  CHECK(m == 1374389536 && s == 35);
  /* Dividing a window sum: within one of the exact quotient, and exact on
   * multiples of the count. */
  for (uint32_t c = 1; c <= 100; ++c) {
    coopt_reciprocal_scale(c, &m, &s);
    for (int32_t sum = -255 * (int32_t)c; sum <= 255 * (int32_t)c; sum += 1 + (int32_t)(rnd() % 7)) {
      int32_t q = coopt_apply_scale_32(sum, m, s, false);
      CHECK(fabs((double)q - (double)sum / c) <= 0.5 + 1e-6);
    }
    CHECK(coopt_apply_scale_32(7 * (int32_t)c, m, s, false) == 7);
  }
}

/* The binary64 forms coopt-fake-quant{exact} emits, as C.  Direct: the
 * product, the addition of 0.5 and the floor. */
static double f64_apply_scale(int64_t value, int32_t multiplier, int32_t shift) {
  volatile double r = ldexp((double)multiplier, -shift); /* a constant in the IR */
  volatile double y = (double)value * r;
  volatile double h = y + 0.5;
  return floor(h);
}

/* Split, for values whose product with the multiplier needs more than 53
 * bits. */
static double f64_apply_scale_split(int64_t value, int32_t multiplier, int32_t shift) {
  volatile double x = (double)value, m = (double)multiplier;
  volatile double hi = floor(x * ldexp(1.0, -16));
  volatile double lo = x - hi * 65536.0;
  volatile double A = hi * m, B = lo * m + ldexp(1.0, shift - 1);
  volatile double t = A + floor(B * ldexp(1.0, -16));
  return floor(t * ldexp(1.0, -(shift - 16)));
}

static i128 spec_apply_scale_wide(int64_t value, int32_t multiplier, int32_t shift) {
  return ((i128)value * multiplier + ((i128)1 << (shift - 1))) >> shift;
}

/* The smallest v >= 0 with v * m = 2^(shift-1) + {-1, 0, 1} (mod 2^shift),
 * the offset picked at random: a value next to a rounding tie.  m odd;
 * solved with the inverse of m modulo 2^64 (Newton's iteration). */
static int64_t next_to_tie(int32_t m, int32_t shift) {
  uint64_t inv = 1;
  for (int k = 0; k < 6; ++k)
    inv *= 2 - (uint64_t)m * inv;
  uint64_t mask = ((uint64_t)1 << shift) - 1;
  return (int64_t)((((uint64_t)1 << (shift - 1)) + (uint64_t)(int64_t)(rnd() % 3) - 1) * inv & mask);
}

typedef struct f64_form {
  const char *name;
  int32_t min_shift, shifts; /* shifts drawn from [min_shift, min_shift + shifts) */
  int max_log2;              /* bounds drawn from 2^[0, max_log2) */
  bool (*exact)(int64_t, int32_t, int32_t);
  double (*emulate)(int64_t, int32_t, int32_t);
} f64_form;

/* Random values and multipliers inside a form's exactness bound, every
 * other one moved next to a tie, against the spec in 128 bits. */
static void test_f64_form(const f64_form *f) {
  int checked = 0, ties = 0, beyond_direct = 0;
  for (int i = 0; i < 400000; ++i) {
    int32_t shift = f->min_shift + (int32_t)(rnd() % (uint64_t)f->shifts);
    int32_t m = (int32_t)((1u << 30) + (uint32_t)(rnd() % (1u << 30)));
    int64_t bound = (int64_t)1 << (int)(rnd() % (uint64_t)f->max_log2);
    if (!f->exact(bound, m, shift))
      continue;
    int64_t v = (int64_t)(rnd() % (uint64_t)(2 * bound + 1)) - bound;
    int64_t target = (i % 2 && (m & 1)) ? next_to_tie(m, shift) : bound + 1;
    if (target <= bound)
      v = (i & 2) ? -target : target, ++ties;
    CHECK(f->emulate(v, m, shift) == (double)spec_apply_scale_wide(v, m, shift));
    beyond_direct += !coopt_apply_scale_exact_in_f64(v < 0 ? -v : v, m, shift);
    ++checked;
  }
  CHECK(checked > 100000);
  CHECK(ties > 1000);
  printf("binary64 %s requantization: %d values (%d next to a tie, %d past the direct form) equal apply_scale_32\n",
         f->name, checked, ties, beyond_direct);
}

static void test_f64_emulation(void) {
  const f64_form direct = {"direct", 20, 30, 24, coopt_apply_scale_exact_in_f64, f64_apply_scale};
  const f64_form split = {"split", 17, 36, 36, coopt_apply_scale_split_exact_in_f64, f64_apply_scale_split};
  test_f64_form(&direct);
  test_f64_form(&split);
  /* The bounds are tight where it matters: just outside the direct one,
   * binary64 can be wrong, so the predicates must refuse it. */
  CHECK(!coopt_apply_scale_exact_in_f64((int64_t)1 << 23, INT32_MAX, 40));
  CHECK(coopt_apply_scale_exact_in_f64((int64_t)1 << 21, INT32_MAX, 40));
  CHECK(!coopt_apply_scale_exact_in_f64(1, 1 << 30, 63));
  CHECK(!coopt_apply_scale_exact_in_f64(-1, 1 << 30, 30));
  CHECK(!coopt_apply_scale_split_exact_in_f64(1, 1 << 30, 16));
  CHECK(!coopt_apply_scale_split_exact_in_f64((int64_t)1 << 40, INT32_MAX, 40));
  /* Outside the direct bound binary64 does go wrong: v * m one below a tie
   * (2^30 - 1 mod 2^31) with v * m near 2^61 rounds onto the tie. */
  uint64_t inv = 1;
  for (int k = 0; k < 6; ++k)
    inv *= 2 - (uint64_t)INT32_MAX * inv;
  int32_t v = (int32_t)((((1ull << 30) - 1) * inv) & ((1ull << 31) - 1)), m = INT32_MAX, s = 31;
  CHECK((((int64_t)v * m) & ((1ll << 31) - 1)) == (1ll << 30) - 1);
  CHECK(!coopt_apply_scale_exact_in_f64(v, m, s));
  CHECK(f64_apply_scale(v, m, s) != (double)spec_apply_scale_32(v, m, s, false));
  /* where the split form still gets it right */
  CHECK(coopt_apply_scale_split_exact_in_f64(v, m, s));
  CHECK(f64_apply_scale_split(v, m, s) == (double)spec_apply_scale_32(v, m, s, false));
}

int main(void) {
  test_quantize_multiplier();
  test_apply_scale_vs_spec();
  test_double_round_matches_tflite();
  test_against_exact_rational();
  test_reciprocal_scale();
  test_f64_emulation();
  printf("unit-rt-quant: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
