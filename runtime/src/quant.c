#include "coopt_rt/quant.h"

#include <math.h>

bool coopt_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift) {
  if (!isfinite(real) || real < 0)
    return false;
  if (real == 0) {
    *multiplier = 0;
    *shift = 2;
    return true;
  }
  int exp;
  double q = frexp(real, &exp); /* real = q * 2^exp, q in [0.5, 1) */
  int64_t q_fixed = (int64_t)llround(q * (double)(1ll << 31));
  if (q_fixed == (1ll << 31)) { /* q rounded up to 1.0 */
    q_fixed /= 2;
    ++exp;
  }
  /* real = q_fixed * 2^(exp - 31)  ->  right shift 31 - exp */
  int32_t s = 31 - exp;
  if (s > 62) {
    /* Too small for the shift range: scale the multiplier down instead,
     * losing precision the way TFLite does for tiny scales. */
    int drop = s - 62;
    q_fixed = drop >= 63 ? 0 : (q_fixed + (1ll << (drop - 1))) >> drop;
    s = 62;
  }
  if (s < 2)
    return false; /* real >= 2^29: not representable as a TOSA rescale */
  *multiplier = (int32_t)q_fixed;
  *shift = q_fixed == 0 ? 2 : s;
  return true;
}

int32_t coopt_apply_scale_32(int32_t value, int32_t multiplier, int32_t shift, bool double_round) {
  int64_t round = (int64_t)1 << (shift - 1);
  if (double_round && shift > 31) {
    if (value >= 0)
      round += (int64_t)1 << 30;
    else
      round -= (int64_t)1 << 30;
  }
  int64_t result = (int64_t)value * multiplier + round;
  result >>= shift; /* arithmetic shift: floor */
  if (result > INT32_MAX)
    return INT32_MAX;
  if (result < INT32_MIN)
    return INT32_MIN;
  return (int32_t)result;
}

/* gemmlowp's primitives, as TFLite uses them. */
static int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN)
    return INT32_MAX;
  int64_t ab = (int64_t)a * b;
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t coopt_tflite_multiply_by_quantized_multiplier(int32_t value, int32_t multiplier, int32_t shift) {
  /* TFLite's shift is a left shift: ours (31 + right) = 31 - tflite_shift. */
  int tflite_shift = 31 - shift;
  int left = tflite_shift > 0 ? tflite_shift : 0, right = tflite_shift > 0 ? 0 : -tflite_shift;
  int64_t shifted = (int64_t)value * ((int64_t)1 << left);
  if (shifted > INT32_MAX)
    shifted = INT32_MAX;
  if (shifted < INT32_MIN)
    shifted = INT32_MIN;
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul((int32_t)shifted, multiplier), right);
}

void coopt_reciprocal_scale(uint32_t count, int32_t *multiplier, int32_t *shift) {
  int k = 0;
  while (((uint64_t)1 << k) < count)
    ++k;
  int64_t numerator = (((int64_t)1 << 30) + 1) << k;
  *multiplier = (int32_t)(numerator / count);
  *shift = 30 + k;
}

bool coopt_apply_scale_exact_in_f64(int64_t max_abs_value, int32_t multiplier, int32_t shift) {
  if (max_abs_value < 0 || multiplier < 0 || shift < 1 || shift > 62)
    return false;
  const double limit = 9007199254740992.0; /* 2^53 */
  return (double)max_abs_value * (double)multiplier + ldexp(1.0, shift - 1) < limit;
}

bool coopt_apply_scale_split_exact_in_f64(int64_t max_abs_value, int32_t multiplier, int32_t shift) {
  if (max_abs_value < 0 || multiplier < 0 || shift <= 16 || shift > 62)
    return false;
  const double limit = 9007199254740992.0; /* 2^53 */
  double hi = floor((double)max_abs_value / 65536.0) + 1;
  return hi * (double)multiplier + limit / 4 < limit && 65535.0 * (double)multiplier + ldexp(1.0, shift - 1) < limit;
}
