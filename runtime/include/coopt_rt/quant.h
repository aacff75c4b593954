/*
 * Requantization arithmetic shared by the compiler (coopt-lower-int8 computes
 * multipliers at compile time) and the kernels (they apply them).  No MLIR
 * dependency: this is part of the runtime that ships with compiled models.
 */
#ifndef COOPT_RT_QUANT_H
#define COOPT_RT_QUANT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* real_multiplier ~= multiplier * 2^-shift with multiplier a Q31 value in
 * [2^30, 2^31) (TFLite's QuantizeMultiplier, expressed as TOSA RESCALE
 * parameters: a positive right shift).  Returns false when the multiplier
 * cannot be represented: not finite, negative, or a shift outside TOSA's
 * [2, 62] (tiny scales that round to 0 give multiplier 0, shift 2 and true;
 * huge ones (>= 2^29) are refused). */
bool coopt_quantize_multiplier(double real_multiplier, int32_t *multiplier, int32_t *shift);

/* TOSA apply_scale_32 (spec pseudo-code): (value * multiplier + round) >> shift
 * with round = 2^(shift-1), and with double_round an extra +-2^30 when
 * shift > 31 (TFLite's SaturatingRoundingDoublingHighMul + RoundingDivideByPOT).
 * Requires multiplier >= 0, 2 <= shift <= 62; the result is saturated to
 * int32 (the spec REQUIREs it to fit). */
int32_t coopt_apply_scale_32(int32_t value, int32_t multiplier, int32_t shift, bool double_round);

/* TOSA's reciprocal_scale (spec pseudo-code), the multiplier and shift with
 * which an int8 avg_pool2d divides its i32 window sum by `count`:
 * multiplier = (((1 << 30) + 1) << k) / count, shift = 30 + k, where
 * 2^(k-1) < count <= 2^k.  count must be in [1, 2^31). */
void coopt_reciprocal_scale(uint32_t count, int32_t *multiplier, int32_t *shift);

/* Whether binary64 computes apply_scale_32 with SINGLE_ROUND exactly for
 * every |value| <= max_abs_value as  floor(value * (multiplier * 2^-shift) + 0.5):
 * true when the numerator |value| * multiplier + 2^(shift-1) stays below
 * 2^53, so that the product, the addition and the floor are all exact.
 * coopt-fake-quant{exact} relies on it. */
bool coopt_apply_scale_exact_in_f64(int64_t max_abs_value, int32_t multiplier, int32_t shift);

/* The same for the split form, for products past 2^53: with
 * value = hi 2^16 + lo (0 <= lo < 2^16), A = hi * multiplier and
 * B = lo * multiplier + 2^(shift-1), the result is
 * floor((A + floor(B 2^-16)) 2^-(shift-16)).  Exact when |hi| * multiplier
 * and B stay below 2^53 and 16 < shift. */
bool coopt_apply_scale_split_exact_in_f64(int64_t max_abs_value, int32_t multiplier, int32_t shift);

/* TFLite's MultiplyByQuantizedMultiplier for the same (multiplier, shift):
 * the reference coopt_apply_scale_32(..., double_round = true) must match. */
int32_t coopt_tflite_multiply_by_quantized_multiplier(int32_t value, int32_t multiplier, int32_t shift);

#ifdef __cplusplus
}
#endif

#endif
