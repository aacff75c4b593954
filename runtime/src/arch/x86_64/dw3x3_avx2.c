/*
 * x86-64 AVX2 (+ FMA) depthwise 3x3, int8 and f32.
 */
#include "x86.h"

/* Depthwise 3x3, NHWC, channels vectorized.  A tap outside the input reads
 * the activation zero point (int8; its term is folded into the bias) or
 * contributes nothing (f32).
 *
 * 16 channels x 9 taps per output pixel: int8 inputs and weights widen to
 * int16, vpmullw is exact (|a*w| <= 128*127), products widen to int32. */
static inline __attribute__((always_inline)) void qs8_dw3x3_16c(const void *packed, const int8_t *in, int8_t *out,
                                                                const bool dround) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  const int32_t *pb = D.bias, *pm = D.mult, *ps = D.shift;
  const int8_t *pw = D.w;
  const size_t c16 = C / 16 * 16;
  const __m256i azp = _mm256_set1_epi16((int16_t)b->a_zero_point);
  const __m256i zp = _mm256_set1_epi32(b->out_zero_point), lo = _mm256_set1_epi32(b->out_min),
                hi = _mm256_set1_epi32(b->out_max);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const int8_t *tap[9];
      coopt_dw_taps(&s, in, sizeof *in, y, x, (const void **)tap);
      int8_t *o = out + (y * ow + x) * C;
      for (size_t c = 0; c < c16; c += 16) {
        __m256i acc0 = _mm256_loadu_si256((const __m256i *)(pb + c)),
                acc1 = _mm256_loadu_si256((const __m256i *)(pb + c + 8));
        for (size_t t = 0; t < 9; ++t) {
          __m256i xv = tap[t] ? _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(tap[t] + c))) : azp;
          __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(pw + t * C + c)));
          __m256i p = _mm256_mullo_epi16(xv, wv);
          acc0 = _mm256_add_epi32(acc0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(p)));
          acc1 = _mm256_add_epi32(acc1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(p, 1)));
        }
        store8_i8(o + c,
                  rescale8(acc0, _mm256_loadu_si256((const __m256i *)(pm + c)),
                           _mm256_loadu_si256((const __m256i *)(ps + c)), zp, lo, hi, dround),
                  8);
        store8_i8(o + c + 8,
                  rescale8(acc1, _mm256_loadu_si256((const __m256i *)(pm + c + 8)),
                           _mm256_loadu_si256((const __m256i *)(ps + c + 8)), zp, lo, hi, dround),
                  8);
      }
      for (size_t c = c16; c < C; ++c)
        o[c] = coopt_qs8_dw_channel(tap, pw, C, c, pb[c], pm[c], ps[c], b);
    }
}

void coopt_qs8_dw3x3_16c__avx2(const void *packed, const int8_t *in, int8_t *out) {
  qs8_dw3x3_16c(packed, in, out, false);
}

void coopt_qs8_dw3x3_dround_16c__avx2(const void *packed, const int8_t *in, int8_t *out) {
  qs8_dw3x3_16c(packed, in, out, true);
}

/* f32: 8 channels x 9 taps per output pixel with FMA. */
void coopt_f32_dw3x3_8c__avx2_fma(const void *packed, const float *in, float *out) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s), c8 = C / 8 * 8;
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  const float *pb = D.fbias, *pw = D.fw;
  const __m256 vmin = _mm256_set1_ps(b->fmin), vmax = _mm256_set1_ps(b->fmax);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const float *tap[9];
      coopt_dw_taps(&s, in, sizeof *in, y, x, (const void **)tap);
      float *o = out + (y * ow + x) * C;
      for (size_t c = 0; c < c8; c += 8) {
        __m256 acc = _mm256_loadu_ps(pb + c);
        for (size_t t = 0; t < 9; ++t)
          if (tap[t])
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(tap[t] + c), _mm256_loadu_ps(pw + t * C + c), acc);
        _mm256_storeu_ps(o + c, _mm256_min_ps(_mm256_max_ps(acc, vmin), vmax));
      }
      for (size_t c = c8; c < C; ++c)
        o[c] = coopt_f32_dw_channel(tap, pw, C, c, pb[c], b);
    }
}
