/*
 * x86-64 AVX2 (+ FMA) depthwise 3x3, int8 and f32.
 */
#include "x86.h"

/* Depthwise 3x3, NHWC, channels vectorized (the pixel loop is tiles.h's
 * coopt_dw3x3_drive).  A tap outside the input reads the activation
 * zero point (int8; its term is folded into the bias) or contributes
 * nothing (f32).
 *
 * 16 channels x 9 taps per output pixel: int8 inputs and weights widen to
 * int16, vpmullw is exact (|a*w| <= 128*127), products widen to int32. */
static inline __attribute__((always_inline)) void qs8_dw_tile16(const coopt_blob *b, const coopt_dw_arrays *D, size_t C,
                                                                const void *const taps[9], size_t c, void *out,
                                                                bool dround) {
  int8_t *o = out;
  const int32_t *pb = D->bias, *pm = D->mult;
  const uint8_t *ps = D->shift;
  const __m256i azp = _mm256_set1_epi16((int16_t)b->a_zero_point);
  __m256i acc0 = _mm256_loadu_si256((const __m256i *)(pb + c)),
          acc1 = _mm256_loadu_si256((const __m256i *)(pb + c + 8));
  for (size_t t = 0; t < 9; ++t) {
    __m256i xv = taps[t] ? _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)((const int8_t *)taps[t] + c))) : azp;
    __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(D->w + t * C + c)));
    __m256i p = _mm256_mullo_epi16(xv, wv);
    acc0 = _mm256_add_epi32(acc0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(p)));
    acc1 = _mm256_add_epi32(acc1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(p, 1)));
  }
  store8_i8(o + c,
            rescale8_blob(b, acc0, _mm256_loadu_si256((const __m256i *)(pm + c)),
                          _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(ps + c))), dround),
            8);
  store8_i8(o + c + 8,
            rescale8_blob(b, acc1, _mm256_loadu_si256((const __m256i *)(pm + c + 8)),
                          _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(ps + c + 8))), dround),
            8);
}

void coopt_qs8_dw3x3_16c__avx2(const void *packed, const int8_t *in, int8_t *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 16, qs8_dw_tile16, coopt_qs8_dw_one, false);
}

void coopt_qs8_dw3x3_dround_16c__avx2(const void *packed, const int8_t *in, int8_t *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 16, qs8_dw_tile16, coopt_qs8_dw_one, true);
}

/* f32: 8 channels x 9 taps per output pixel with FMA. */
static inline __attribute__((always_inline)) void f32_dw_tile8(const coopt_blob *b, const coopt_dw_arrays *D, size_t C,
                                                               const void *const taps[9], size_t c, void *out,
                                                               bool dround) {
  (void)dround;
  float *o = out;
  __m256 acc = _mm256_loadu_ps(D->fbias + c);
  for (size_t t = 0; t < 9; ++t)
    if (taps[t])
      acc = _mm256_fmadd_ps(_mm256_loadu_ps((const float *)taps[t] + c), _mm256_loadu_ps(D->fw + t * C + c), acc);
  _mm256_storeu_ps(o + c, _mm256_min_ps(_mm256_max_ps(acc, _mm256_set1_ps(b->fmin)), _mm256_set1_ps(b->fmax)));
}

void coopt_f32_dw3x3_8c__avx2_fma(const void *packed, const float *in, float *out) {
  coopt_dw3x3_drive(packed, in, out, sizeof *in, 8, f32_dw_tile8, coopt_f32_dw_one, false);
}
