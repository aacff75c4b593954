/*
 * Entry points: the best kernel variant this build's target has, chosen at
 * compile time from the compiler's target macros (a compiled model is built
 * for one target; there is no runtime CPU detection to go wrong).  On x86
 * the host build adds AVX-VNNI when the build machine has it (CMake's
 * COOPT_RT_AVXVNNI), like -march=native.
 */
#include "blob.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define COOPT_RT_X86_AVX2 1
#if defined(__AVXVNNI__)
#define COOPT_RT_X86_AVXVNNI 1
#endif
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#define COOPT_RT_ARM_NEON 1
#if defined(__ARM_FEATURE_DOTPROD)
#define COOPT_RT_ARM_DOTPROD 1
#endif
#if defined(__ARM_FEATURE_DOTPROD) && defined(__ARM_FEATURE_MATMUL_INT8)
#define COOPT_RT_ARM_I8MM 1
#endif
#endif

const char *coopt_rt_isa(void) {
#if defined(COOPT_RT_X86_AVXVNNI)
  return "x86_64 avx2+fma+avxvnni";
#elif defined(COOPT_RT_X86_AVX2)
  return "x86_64 avx2+fma";
#elif defined(COOPT_RT_ARM_I8MM)
  return "arm_64 neon+dotprod+i8mm";
#elif defined(COOPT_RT_ARM_DOTPROD)
  return "arm_64 neon+dotprod";
#elif defined(COOPT_RT_ARM_NEON)
  return "arm_64 neon";
#else
  return "generic";
#endif
}

void coopt_rt_qs8_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride) {
#if defined(COOPT_RT_X86_AVXVNNI)
  /* A single row would pay the per-call weight sums for nothing. */
  if (m >= 4)
    coopt_qs8_gemm_4x16c4__avxvnni(packed, m, a, a_stride, c, c_stride, NULL, 0);
  else
    coopt_qs8_gemm_4x8c4__avx2(packed, m, a, a_stride, c, c_stride, NULL, 0);
#elif defined(COOPT_RT_X86_AVX2)
  coopt_qs8_gemm_4x8c4__avx2(packed, m, a, a_stride, c, c_stride, NULL, 0);
#elif defined(COOPT_RT_ARM_I8MM)
  /* SMMLA computes row pairs: below 4 rows SDOT wastes less. */
  if (m >= 8)
    coopt_qs8_gemm_8x8c8__neoni8mm(packed, m, a, a_stride, c, c_stride, NULL, 0);
  else if (m >= 4)
    coopt_qs8_gemm_4x8c8__neoni8mm(packed, m, a, a_stride, c, c_stride, NULL, 0);
  else
    coopt_qs8_gemm_4x8c4__neondot(packed, m, a, a_stride, c, c_stride, NULL, 0);
#elif defined(COOPT_RT_ARM_DOTPROD)
  coopt_qs8_gemm_4x8c4__neondot(packed, m, a, a_stride, c, c_stride, NULL, 0);
#elif defined(COOPT_RT_ARM_NEON)
  coopt_qs8_gemm_4x8c4__neon(packed, m, a, a_stride, c, c_stride, NULL, 0);
#else
  coopt_qs8_gemm__ref(packed, m, a, a_stride, c, c_stride, NULL, 0);
#endif
}

void coopt_rt_qs8_gemm_acc(const void *packed, size_t m, const int8_t *a, size_t a_stride, int32_t *acc,
                           size_t acc_stride) {
#if defined(COOPT_RT_X86_AVXVNNI)
  if (m >= 4)
    coopt_qs8_gemm_4x16c4__avxvnni(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
  else
    coopt_qs8_gemm_4x8c4__avx2(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
#elif defined(COOPT_RT_X86_AVX2)
  coopt_qs8_gemm_4x8c4__avx2(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
#elif defined(COOPT_RT_ARM_I8MM)
  if (m >= 8)
    coopt_qs8_gemm_8x8c8__neoni8mm(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
  else if (m >= 4)
    coopt_qs8_gemm_4x8c8__neoni8mm(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
  else
    coopt_qs8_gemm_4x8c4__neondot(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
#elif defined(COOPT_RT_ARM_DOTPROD)
  coopt_qs8_gemm_4x8c4__neondot(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
#elif defined(COOPT_RT_ARM_NEON)
  coopt_qs8_gemm_4x8c4__neon(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
#else
  coopt_qs8_gemm__ref(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
#endif
}

void coopt_rt_f32_gemm(const void *packed, size_t m, const float *a, size_t a_stride, float *c, size_t c_stride) {
#if defined(COOPT_RT_X86_AVX2)
  coopt_f32_gemm_4x8__avx2_fma(packed, m, a, a_stride, c, c_stride);
#elif defined(COOPT_RT_ARM_NEON)
  coopt_f32_gemm_4x8__neon(packed, m, a, a_stride, c, c_stride);
#else
  coopt_f32_gemm__ref(packed, m, a, a_stride, c, c_stride);
#endif
}

void coopt_rt_f32_spmm(const void *packed, size_t m, const float *in, float *out) {
#if defined(COOPT_RT_X86_AVX2)
  coopt_f32_spmm_32x1__avx2_fma(packed, m, in, out);
#elif defined(COOPT_RT_ARM_NEON)
  coopt_f32_spmm_16x1__neon(packed, m, in, out);
#else
  coopt_f32_spmm__ref(packed, m, in, out);
#endif
}

void coopt_rt_qs8_spgemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride) {
#if defined(COOPT_RT_X86_AVX2)
  /* The 8-row tile regroups activations once for all channels; below 4 rows
   * the regrouping costs more than the gathers it saves. */
  if (m >= 4)
#if defined(COOPT_RT_X86_AVXVNNI)
    coopt_qs8_spgemm_8x1c4__avxvnni(packed, m, a, a_stride, c, c_stride);
#else
    coopt_qs8_spgemm_8x1c4__avx2(packed, m, a, a_stride, c, c_stride);
#endif
  else
    coopt_qs8_spgemm_1x1c4__avx2(packed, m, a, a_stride, c, c_stride);
#elif defined(COOPT_RT_ARM_DOTPROD)
  coopt_qs8_spgemm_1x1c4__neondot(packed, m, a, a_stride, c, c_stride);
#else
  coopt_qs8_spgemm__ref(packed, m, a, a_stride, c, c_stride);
#endif
}

void coopt_rt_qs8_nm24_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                            size_t c_stride) {
#if defined(COOPT_RT_X86_AVX2)
  coopt_qs8_nm24_gemm_1x2c16__avx2(packed, m, a, a_stride, c, c_stride);
#elif defined(COOPT_RT_ARM_DOTPROD)
  coopt_qs8_nm24_gemm_1x2c16__neondot(packed, m, a, a_stride, c, c_stride);
#else
  coopt_qs8_nm24_gemm__ref(packed, m, a, a_stride, c, c_stride);
#endif
}

void coopt_rt_qs8_lut4_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                            size_t c_stride) {
#if defined(COOPT_RT_X86_AVXVNNI)
  if (m >= 4)
    coopt_qs8_lut4_gemm_4x2c32__avxvnni(packed, m, a, a_stride, c, c_stride);
  else
    coopt_qs8_lut4_gemm_1x2c32__avxvnni(packed, m, a, a_stride, c, c_stride);
#elif defined(COOPT_RT_X86_AVX2)
  coopt_qs8_lut4_gemm_1x2c16__avx2(packed, m, a, a_stride, c, c_stride);
#elif defined(COOPT_RT_ARM_DOTPROD)
  coopt_qs8_lut4_gemm_1x1c16__neondot(packed, m, a, a_stride, c, c_stride);
#else
  coopt_qs8_lut4_gemm__ref(packed, m, a, a_stride, c, c_stride);
#endif
}

/* Not yet vectorized: the reference is the kernel. */
void coopt_rt_qs8_splut4_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride) {
  coopt_qs8_splut4_gemm__ref(packed, m, a, a_stride, c, c_stride);
}

void coopt_rt_qs8_dw3x3(const void *packed, const int8_t *in, int8_t *out) {
#if defined(COOPT_RT_X86_AVX2)
  coopt_qs8_dw3x3_16c__avx2(packed, in, out);
#elif defined(COOPT_RT_ARM_NEON)
  coopt_qs8_dw3x3_16c__neon(packed, in, out);
#else
  coopt_qs8_dw3x3__ref(packed, in, out);
#endif
}

void coopt_rt_f32_dw3x3(const void *packed, const float *in, float *out) {
#if defined(COOPT_RT_X86_AVX2)
  coopt_f32_dw3x3_8c__avx2_fma(packed, in, out);
#elif defined(COOPT_RT_ARM_NEON)
  coopt_f32_dw3x3_4c__neon(packed, in, out);
#else
  coopt_f32_dw3x3__ref(packed, in, out);
#endif
}

/* Scalar for now: the decode is K x N byte writes per call against M x K x N
 * MACs in the dense tile. */
void coopt_qs8_masked_decode(const void *packed, size_t p, void *dst) { coopt_qs8_masked_decode__ref(packed, p, dst); }
