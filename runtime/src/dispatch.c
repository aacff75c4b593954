/*
 * Entry points: per kernel family an ordered table of tiles, the first that
 * the CPU can run and the call's M suits wins (tiles.h says why).  This file
 * is compiled without ISA flags, so the detection and the choice run on any
 * CPU of the architecture.
 */
#include "tiles.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A COOPT_RT_ISA level: the features it keeps. */
typedef struct isa_level {
  const char *name;
  uint32_t keep;
} isa_level;

#if defined(__x86_64__) && defined(COOPT_RT_X86_TILES)
#include <cpuid.h>

/* XCR0: which register states the OS saves, i.e. may be used at all. */
static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t)hi << 32 | lo;
}

static uint32_t detect(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  /* POPCNT with AVX2: the AVX2 masked decode counts mask bits with it
   * (every AVX2 CPU has it; GCC's -mavx2 emits it). */
  const bool fma = c >> 12 & 1, popcnt = c >> 23 & 1, osxsave = c >> 27 & 1;
  if (!osxsave || __get_cpuid_max(0, NULL) < 7)
    return 0;
  const uint64_t xcr0 = xgetbv0();
  const bool ymm = (xcr0 & 0x6) == 0x6, zmm = ymm && (xcr0 & 0xE0) == 0xE0;
  unsigned b7, c7, d7, a7_1, unused;
  __cpuid_count(7, 0, a, b7, c7, d7);
  __cpuid_count(7, 1, a7_1, unused, unused, unused);
  uint32_t f = 0;
  if (ymm && fma && popcnt && (b7 >> 5 & 1))
    f |= COOPT_ISA_X86_AVX2;
  if ((f & COOPT_ISA_X86_AVX2) && (a7_1 >> 4 & 1))
    f |= COOPT_ISA_X86_AVXVNNI;
  const bool avx512 = (b7 >> 16 & 1) && (b7 >> 30 & 1) && (b7 >> 31 & 1); /* F, BW, VL */
  if ((f & COOPT_ISA_X86_AVX2) && zmm && avx512 && (c7 >> 11 & 1))
    f |= COOPT_ISA_X86_AVX512VNNI;
  if ((f & COOPT_ISA_X86_AVX512VNNI) && (c7 >> 1 & 1) && (c7 >> 6 & 1))
    f |= COOPT_ISA_X86_AVX512VBMI2;
  (void)d, (void)d7;
  return f;
}

static const isa_level levels[] = {
    {"generic", 0},
    {"avx2", COOPT_ISA_X86_AVX2},
    {"avxvnni", COOPT_ISA_X86_AVX2 | COOPT_ISA_X86_AVXVNNI},
    {"avx512", COOPT_ISA_X86_AVX2 | COOPT_ISA_X86_AVXVNNI | COOPT_ISA_X86_AVX512VNNI | COOPT_ISA_X86_AVX512VBMI2},
};
#elif defined(__aarch64__) && defined(__linux__) && defined(COOPT_RT_ARM64_TILES)
#include <sys/auxv.h>

/* The CMake build compiles the dotprod and i8mm tiles with their own -march
 * (COOPT_RT_ARM64_TILES) on a baseline that may lack them, so one aarch64
 * runtime runs on a Cortex-A53/A72 (no SDOT: a tile using it would stop on
 * SIGILL) and uses SDOT and SMMLA where the kernel reports them.  Linux's
 * hwcap bits (asm/hwcap.h), spelled out for C libraries without them. */
enum { HWCAP_ASIMD_BIT = 1, HWCAP_ASIMDDP_BIT = 20, HWCAP2_I8MM_BIT = 13 };

static uint32_t detect(void) {
  const unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  if (!(hw >> HWCAP_ASIMD_BIT & 1))
    return 0;
  uint32_t f = COOPT_ISA_ARM_NEON;
  if (hw >> HWCAP_ASIMDDP_BIT & 1) {
    f |= COOPT_ISA_ARM_DOTPROD;
    if (hw2 >> HWCAP2_I8MM_BIT & 1)
      f |= COOPT_ISA_ARM_I8MM;
  }
  return f;
}
#else
/* aarch64 built as one translation unit set for one -march (the cross unit
 * tests, the llvm-mca script), or a build without SIMD tiles: what the
 * compiler targets. */
static uint32_t detect(void) {
  uint32_t f = 0;
#if defined(__aarch64__) && defined(__ARM_NEON)
  f |= COOPT_ISA_ARM_NEON;
#if defined(__ARM_FEATURE_DOTPROD)
  f |= COOPT_ISA_ARM_DOTPROD;
#if defined(__ARM_FEATURE_MATMUL_INT8)
  f |= COOPT_ISA_ARM_I8MM;
#endif
#endif
#endif
  return f;
}
#endif

#if !(defined(__x86_64__) && defined(COOPT_RT_X86_TILES))
static const isa_level levels[] = {
    {"generic", 0},
    {"neon", COOPT_ISA_ARM_NEON},
    {"dotprod", COOPT_ISA_ARM_NEON | COOPT_ISA_ARM_DOTPROD},
    {"i8mm", COOPT_ISA_ARM_NEON | COOPT_ISA_ARM_DOTPROD | COOPT_ISA_ARM_I8MM},
};
#endif

/* The features with COOPT_RT_ISA's cap applied.  An unknown name is said
 * once on stderr and ignored: a benchmark must not silently measure the
 * wrong tiles. */
static uint32_t features_now(void) {
  uint32_t f = detect();
  const char *cap = getenv("COOPT_RT_ISA");
  if (!cap || !*cap)
    return f;
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; ++i)
    if (strcmp(cap, levels[i].name) == 0)
      return f & levels[i].keep;
  fprintf(stderr, "coopt runtime: COOPT_RT_ISA=%s is not one of", cap);
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; ++i)
    fprintf(stderr, " %s", levels[i].name);
  fprintf(stderr, "; ignored\n");
  return f;
}

/* Detected once; a race only computes the same value twice.  Bit 31 marks
 * "known" (no feature uses it). */
static atomic_uint_fast32_t cached_features;

uint32_t coopt_rt_cpu_features(void) {
  uint_fast32_t f = atomic_load_explicit(&cached_features, memory_order_relaxed);
  if (!(f >> 31)) {
    f = features_now() | 1u << 31;
    atomic_store_explicit(&cached_features, f, memory_order_relaxed);
  }
  return (uint32_t)f & ~(1u << 31);
}

const char *coopt_rt_isa(void) {
  static const struct {
    uint32_t bit;
    const char *name;
  } names[] = {
      {COOPT_ISA_X86_AVX2, "avx2+fma"},
      {COOPT_ISA_X86_AVXVNNI, "avxvnni"},
      {COOPT_ISA_X86_AVX512VNNI, "avx512vnni"},
      {COOPT_ISA_X86_AVX512VBMI2, "avx512vbmi2"},
      {COOPT_ISA_ARM_NEON, "neon"},
      {COOPT_ISA_ARM_DOTPROD, "dotprod"},
      {COOPT_ISA_ARM_I8MM, "i8mm"},
  };
  /* Per thread, so concurrent callers never write one buffer; long enough
   * for every name joined. */
  static _Thread_local char text[128];
  const uint32_t f = coopt_rt_cpu_features();
#if defined(__x86_64__)
  size_t len = (size_t)snprintf(text, sizeof text, "x86_64");
#elif defined(__aarch64__)
  size_t len = (size_t)snprintf(text, sizeof text, "arm_64");
#else
  size_t len = (size_t)snprintf(text, sizeof text, "other");
#endif
  const char *sep = " ";
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (f & names[i].bit) {
      len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", sep, names[i].name);
      sep = "+";
    }
  if (*sep == ' ')
    snprintf(text + len, sizeof text - len, " generic");
  return text;
}

/* ---- tile tables ---- */

/* The requantization rounding an entry implements: either (the f32 tiles,
 * and int8 tiles whose epilogue is the scalar coopt_requant, which reads it
 * from the blob), or TOSA's SINGLE_ROUND or DOUBLE_ROUND alone (the x86
 * tiles with a vector epilogue, compiled once per rounding: tiles.h). */
enum { ROUND_ANY = 0, ROUND_SINGLE, ROUND_DOUBLE };

static unsigned rounding_of(const void *packed) {
  return coopt_blob_of(packed)->double_round ? ROUND_DOUBLE : ROUND_SINGLE;
}

/* A family's table type and its chooser: the first entry the CPU has the
 * features for, whose minimum M the call meets and whose rounding is the
 * blob's.  Every table ends with the reference ({0, 0, ref}), which always
 * matches. */
#define TILE_TABLE(family, fn_type)                                                                                    \
  typedef struct family##_tile {                                                                                       \
    uint32_t isa;                                                                                                      \
    size_t min_m;                                                                                                      \
    fn_type fn;                                                                                                        \
    unsigned rounding;                                                                                                 \
  } family##_tile;                                                                                                     \
  static fn_type family##_pick(const family##_tile *t, size_t m, unsigned rounding) {                                  \
    const uint32_t have = coopt_rt_cpu_features();                                                                     \
    while ((t->isa & ~have) != 0 || m < t->min_m || (t->rounding != ROUND_ANY && t->rounding != rounding))             \
      ++t;                                                                                                             \
    return t->fn;                                                                                                      \
  }

TILE_TABLE(qs8_gemm, coopt_qs8_gemm_fn)
TILE_TABLE(qs8_rows, coopt_qs8_rows_fn)
TILE_TABLE(f32_gemm, coopt_f32_gemm_fn)
TILE_TABLE(f32_spmm, coopt_f32_spmm_fn)
TILE_TABLE(qs8_dw, coopt_qs8_dw_fn)
TILE_TABLE(f32_dw, coopt_f32_dw_fn)
TILE_TABLE(decode, coopt_masked_decode_fn)

#if defined(__x86_64__) && defined(COOPT_RT_X86_TILES)
#define X86(...) __VA_ARGS__,
#else
#define X86(...)
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#define NEON(...) __VA_ARGS__,
#else
#define NEON(...)
#endif
/* The dotprod and i8mm tiles exist where their files were built with their
 * own flags (COOPT_RT_ARM64_TILES) or where the whole build targets them. */
#if defined(__aarch64__) && (defined(COOPT_RT_ARM64_TILES) || defined(__ARM_FEATURE_DOTPROD))
#define DOTPROD(...) __VA_ARGS__,
#else
#define DOTPROD(...)
#endif
#if defined(__aarch64__) &&                                                                                            \
    (defined(COOPT_RT_ARM64_TILES) || (defined(__ARM_FEATURE_DOTPROD) && defined(__ARM_FEATURE_MATMUL_INT8)))
#define I8MM(...) __VA_ARGS__,
#else
#define I8MM(...)
#endif

enum {
  AVX2 = COOPT_ISA_X86_AVX2,
  AVXVNNI = COOPT_ISA_X86_AVX2 | COOPT_ISA_X86_AVXVNNI,
  AVX512VNNI = COOPT_ISA_X86_AVX2 | COOPT_ISA_X86_AVX512VNNI,
  AVX512VBMI2 = COOPT_ISA_X86_AVX2 | COOPT_ISA_X86_AVX512VNNI | COOPT_ISA_X86_AVX512VBMI2,
  ARM_NEON = COOPT_ISA_ARM_NEON,
  ARM_DOTPROD = COOPT_ISA_ARM_NEON | COOPT_ISA_ARM_DOTPROD,
  ARM_I8MM = COOPT_ISA_ARM_NEON | COOPT_ISA_ARM_DOTPROD | COOPT_ISA_ARM_I8MM
};

/* Dense int8.  The 4-row VNNI tiles pay the 128 * sum(w) correction once
 * per call and the i8mm ones compute row pairs, so both start at M = 4
 * (SMMLA's 8-row tile at 8); AVX-512's 1-row tile corrects by the row's
 * sum instead, which costs nothing per weight. */
static const qs8_gemm_tile qs8_gemm_tiles[] = {
    X86({AVX512VNNI, 4, coopt_qs8_gemm_4x32c4__avx512vnni, ROUND_SINGLE})        /* */
    X86({AVX512VNNI, 4, coopt_qs8_gemm_dround_4x32c4__avx512vnni, ROUND_DOUBLE}) /* */
    X86({AVX512VNNI, 0, coopt_qs8_gemm_1x32c4__avx512vnni, ROUND_SINGLE})        /* */
    X86({AVX512VNNI, 0, coopt_qs8_gemm_dround_1x32c4__avx512vnni, ROUND_DOUBLE}) /* */
    X86({AVXVNNI, 4, coopt_qs8_gemm_4x16c4__avxvnni, ROUND_SINGLE})              /* */
    X86({AVXVNNI, 4, coopt_qs8_gemm_dround_4x16c4__avxvnni, ROUND_DOUBLE})       /* */
    X86({AVXVNNI, 0, coopt_qs8_gemm_1x32c4__avxvnni, ROUND_SINGLE})              /* */
    X86({AVXVNNI, 0, coopt_qs8_gemm_dround_1x32c4__avxvnni, ROUND_DOUBLE})       /* */
    X86({AVX2, 0, coopt_qs8_gemm_4x8c4__avx2, ROUND_SINGLE})                     /* */
    X86({AVX2, 0, coopt_qs8_gemm_dround_4x8c4__avx2, ROUND_DOUBLE})              /* */
    I8MM({ARM_I8MM, 8, coopt_qs8_gemm_8x8c8__neoni8mm, ROUND_ANY})               /* */
    I8MM({ARM_I8MM, 4, coopt_qs8_gemm_4x8c8__neoni8mm, ROUND_ANY})               /* */
    DOTPROD({ARM_DOTPROD, 0, coopt_qs8_gemm_4x8c4__neondot, ROUND_ANY})          /* */
    NEON({ARM_NEON, 0, coopt_qs8_gemm_4x8c4__neon, ROUND_ANY})                   /* */
    {0, 0, coopt_qs8_gemm__ref, ROUND_ANY},
};

void coopt_rt_qs8_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride) {
  qs8_gemm_pick(qs8_gemm_tiles, m, rounding_of(packed))(packed, m, a, a_stride, c, c_stride, NULL, 0);
}

void coopt_rt_qs8_gemm_acc(const void *packed, size_t m, const int8_t *a, size_t a_stride, int32_t *acc,
                           size_t acc_stride) {
  qs8_gemm_pick(qs8_gemm_tiles, m, rounding_of(packed))(packed, m, a, a_stride, NULL, 0, acc, acc_stride);
}

static const f32_gemm_tile f32_gemm_tiles[] = {
    X86({AVX512VNNI, 0, coopt_f32_gemm_8x32__avx512f, ROUND_ANY}) /* */
    X86({AVX2, 0, coopt_f32_gemm_4x8__avx2_fma, ROUND_ANY})       /* */
    NEON({ARM_NEON, 0, coopt_f32_gemm_4x8__neon, ROUND_ANY})      /* */
    {0, 0, coopt_f32_gemm__ref, ROUND_ANY},
};

void coopt_rt_f32_gemm(const void *packed, size_t m, const float *a, size_t a_stride, float *c, size_t c_stride) {
  f32_gemm_pick(f32_gemm_tiles, m, ROUND_ANY)(packed, m, a, a_stride, c, c_stride);
}

static const f32_spmm_tile f32_spmm_tiles[] = {
    X86({AVX2, 0, coopt_f32_spmm_32x1__avx2_fma, ROUND_ANY})  /* */
    NEON({ARM_NEON, 0, coopt_f32_spmm_16x1__neon, ROUND_ANY}) /* */
    {0, 0, coopt_f32_spmm__ref, ROUND_ANY},
};

void coopt_rt_f32_spmm(const void *packed, size_t m, const float *in, float *out) {
  f32_spmm_pick(f32_spmm_tiles, m, ROUND_ANY)(packed, m, in, out);
}

/* Sparse 1x4: the 8-row tiles regroup activations once for all channels;
 * below 4 rows the regrouping costs more than the gathers it saves. */
static const qs8_rows_tile qs8_spgemm_tiles[] = {
    X86({AVXVNNI, 4, coopt_qs8_spgemm_8x1c4__avxvnni, ROUND_SINGLE})        /* */
    X86({AVXVNNI, 4, coopt_qs8_spgemm_dround_8x1c4__avxvnni, ROUND_DOUBLE}) /* */
    X86({AVX2, 4, coopt_qs8_spgemm_8x1c4__avx2, ROUND_SINGLE})              /* */
    X86({AVX2, 4, coopt_qs8_spgemm_dround_8x1c4__avx2, ROUND_DOUBLE})       /* */
    X86({AVX2, 0, coopt_qs8_spgemm_1x1c4__avx2, ROUND_ANY})                 /* */
    DOTPROD({ARM_DOTPROD, 0, coopt_qs8_spgemm_1x1c4__neondot, ROUND_ANY})   /* */
    {0, 0, coopt_qs8_spgemm__ref, ROUND_ANY},
};

void coopt_rt_qs8_spgemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride) {
  qs8_rows_pick(qs8_spgemm_tiles, m, rounding_of(packed))(packed, m, a, a_stride, c, c_stride);
}

/* Block-sparse: the 16-row AVX-512 tile (which runs a last block of <= 8
 * rows, and so any M <= 8, as broadcasts on ymm), else the 8-row AVX-VNNI
 * one. */
static const qs8_rows_tile qs8_bsgemm_tiles[] = {
    X86({AVX512VNNI, 0, coopt_qs8_bsgemm_16x8c4__avx512vnni, ROUND_SINGLE})        /* */
    X86({AVX512VNNI, 0, coopt_qs8_bsgemm_dround_16x8c4__avx512vnni, ROUND_DOUBLE}) /* */
    X86({AVXVNNI, 0, coopt_qs8_bsgemm_8x8c4__avxvnni, ROUND_SINGLE})               /* */
    X86({AVXVNNI, 0, coopt_qs8_bsgemm_dround_8x8c4__avxvnni, ROUND_DOUBLE})        /* */
    DOTPROD({ARM_DOTPROD, 0, coopt_qs8_bsgemm_8x8c4__neondot, ROUND_ANY})          /* */
    {0, 0, coopt_qs8_bsgemm__ref, ROUND_ANY},
};

void coopt_rt_qs8_bsgemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride) {
  qs8_rows_pick(qs8_bsgemm_tiles, m, rounding_of(packed))(packed, m, a, a_stride, c, c_stride);
}

static const qs8_rows_tile qs8_nm24_tiles[] = {
    X86({AVX2, 0, coopt_qs8_nm24_gemm_1x2c16__avx2, ROUND_ANY})               /* */
    DOTPROD({ARM_DOTPROD, 0, coopt_qs8_nm24_gemm_1x2c16__neondot, ROUND_ANY}) /* */
    {0, 0, coopt_qs8_nm24_gemm__ref, ROUND_ANY},
};

void coopt_rt_qs8_nm24_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                            size_t c_stride) {
  qs8_rows_pick(qs8_nm24_tiles, m, rounding_of(packed))(packed, m, a, a_stride, c, c_stride);
}

static const qs8_rows_tile qs8_lut4_tiles[] = {
    X86({AVXVNNI, 4, coopt_qs8_lut4_gemm_4x2c32__avxvnni, ROUND_ANY})         /* */
    X86({AVXVNNI, 0, coopt_qs8_lut4_gemm_1x2c32__avxvnni, ROUND_ANY})         /* */
    X86({AVX2, 0, coopt_qs8_lut4_gemm_1x2c16__avx2, ROUND_ANY})               /* */
    DOTPROD({ARM_DOTPROD, 0, coopt_qs8_lut4_gemm_1x1c16__neondot, ROUND_ANY}) /* */
    {0, 0, coopt_qs8_lut4_gemm__ref, ROUND_ANY},
};

void coopt_rt_qs8_lut4_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                            size_t c_stride) {
  qs8_rows_pick(qs8_lut4_tiles, m, rounding_of(packed))(packed, m, a, a_stride, c, c_stride);
}

/* Not yet vectorized: the reference is the kernel. */
void coopt_rt_qs8_splut4_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride) {
  coopt_qs8_splut4_gemm__ref(packed, m, a, a_stride, c, c_stride);
}

static const qs8_dw_tile qs8_dw3x3_tiles[] = {
    X86({AVX512VNNI, 0, coopt_qs8_dw3x3_32c__avx512vnni, ROUND_SINGLE})        /* */
    X86({AVX512VNNI, 0, coopt_qs8_dw3x3_dround_32c__avx512vnni, ROUND_DOUBLE}) /* */
    X86({AVX2, 0, coopt_qs8_dw3x3_16c__avx2, ROUND_SINGLE})                    /* */
    X86({AVX2, 0, coopt_qs8_dw3x3_dround_16c__avx2, ROUND_DOUBLE})             /* */
    NEON({ARM_NEON, 0, coopt_qs8_dw3x3_16c__neon, ROUND_ANY})                  /* */
    {0, 0, coopt_qs8_dw3x3__ref, ROUND_ANY},
};

void coopt_rt_qs8_dw3x3(const void *packed, const int8_t *in, int8_t *out) {
  qs8_dw_pick(qs8_dw3x3_tiles, 0, rounding_of(packed))(packed, in, out);
}

static const f32_dw_tile f32_dw3x3_tiles[] = {
    X86({AVX2, 0, coopt_f32_dw3x3_8c__avx2_fma, ROUND_ANY})  /* */
    NEON({ARM_NEON, 0, coopt_f32_dw3x3_4c__neon, ROUND_ANY}) /* */
    {0, 0, coopt_f32_dw3x3__ref, ROUND_ANY},
};

void coopt_rt_f32_dw3x3(const void *packed, const float *in, float *out) {
  f32_dw_pick(f32_dw3x3_tiles, 0, ROUND_ANY)(packed, in, out);
}

/* The masked forms' decode: K x N byte writes per call against M x K x N
 * MACs in the dense tile, so it matters most at small M. */
static const decode_tile masked_decode_tiles[] = {
    X86({AVX512VBMI2, 0, coopt_qs8_masked_decode__avx512vbmi2, ROUND_ANY}) /* */
    X86({AVX2, 0, coopt_qs8_masked_decode__avx2, ROUND_ANY})               /* */
    NEON({ARM_NEON, 0, coopt_qs8_masked_decode__neon, ROUND_ANY})          /* */
    {0, 0, coopt_qs8_masked_decode__scalar, ROUND_ANY},
};

void coopt_qs8_masked_decode(const void *packed, size_t p, void *dst) {
  decode_pick(masked_decode_tiles, 0, ROUND_ANY)(packed, p, dst);
}
