/*
 * Microkernel tests: for every family, on random data and the edge shapes
 * (1, 2, 3, 9, 17, 33 rows/cols, K not a multiple of the tile, all-zero
 * rows, 0% / 100% sparsity, a single cluster):
 *   1. the reference kernel on the packed blob equals a naive computation
 *      on the unpacked matrix (checks packing and the reference),
 *   2. the dispatched kernel (this build's ISA) equals the reference:
 *      int8 bit-exact, f32 within 1e-5 of the magnitude of the sum.
 * Plus the packing functions' validation of bad input.  The same source
 * runs natively (x86-64 AVX2) and under qemu-aarch64 (NEON, dotprod).
 * Every packed blob ends against a PROT_NONE page (alloc_blob), so a
 * kernel reading past its weights faults wherever the tests run.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "coopt_rt/kernels.h"
#include "../src/tiles.h"
#include "coopt_rt/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures, checks;
#define CHECK(c)                                                                                                       \
  do {                                                                                                                 \
    ++checks;                                                                                                          \
    if (!(c)) {                                                                                                        \
      if (++failures < 20)                                                                                             \
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                                          \
    }                                                                                                                  \
  } while (0)

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
static int8_t rnd_i8(void) { return (int8_t)(rnd() % 255 - 127); }
static float rnd_f(void) { return (float)((int)(rnd() % 20001) - 10000) / 5000.0f; }

/* Every blob a test packs ends where a page ends and the next page is
 * PROT_NONE, so a kernel that reads past its blob faults, on every
 * architecture and without a sanitizer (qemu-user keeps page protections
 * too; the aarch64 builds have no sanitizer here).  A blob starts 16-byte
 * aligned as the packers require: its size rounded up to 16 ends at the
 * page's end.  free_blob finds the mapping again. */
static struct blob_map {
  void *blob, *map;
  size_t len;
} blob_maps[16];

static void *alloc_blob(size_t size) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE), room = size ? (size + 15) / 16 * 16 : 16;
  const size_t pages = (room + page - 1) / page;
  const size_t len = (pages + 1) * page;
  char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED || mprotect(map + pages * page, page, PROT_NONE) != 0)
    abort();
  char *p = map + pages * page - room;
  memset(p, 0xA5, size); /* padding the packer forgets to write shows up */
  for (size_t i = 0; i < sizeof blob_maps / sizeof blob_maps[0]; ++i)
    if (!blob_maps[i].blob) {
      blob_maps[i] = (struct blob_map){p, map, len};
      return p;
    }
  abort();
}

static void free_blob(void *blob) {
  for (size_t i = 0; i < sizeof blob_maps / sizeof blob_maps[0]; ++i)
    if (blob_maps[i].blob == blob) {
      munmap(blob_maps[i].map, blob_maps[i].len);
      blob_maps[i].blob = NULL;
      return;
    }
  abort();
}

static const size_t dims[] = {1, 2, 3, 9, 17, 33};
#define NDIMS (sizeof dims / sizeof dims[0])
static const size_t kdims[] = {1, 3, 4, 9, 16, 17, 33, 64, 100};
#define NKDIMS (sizeof kdims / sizeof kdims[0])

/* Sparsity patterns: 0 dense random, 1 ~75% zeros, 2 all zero, 3 one
 * all-zero row, 4 a single cluster (every weight the same value). */
static void fill_i8(int8_t *w, size_t n, size_t k, int pattern) {
  for (size_t i = 0; i < n * k; ++i) {
    int8_t v = rnd_i8();
    switch (pattern) {
    case 1: v = rnd() % 4 ? 0 : v; break;
    case 2: v = 0; break;
    case 3: v = i / k == n / 2 ? 0 : v; break;
    case 4: v = 37; break;
    }
    w[i] = v;
  }
}

typedef struct qparams {
  int32_t mult[1104], shift[1104]; /* up to test_scratch_past_stack's 1,100 channels */
  int32_t bias[1104];
  coopt_rt_requant rq;
  int8_t a_zp;
} qparams;

static void make_qparams(qparams *q, size_t n, size_t k, bool per_channel, bool double_round) {
  for (size_t c = 0; c < n; ++c) {
    /* Scales that keep outputs mostly in range: ~1 / (K * 127). */
    double real = (0.5 + (rnd() % 1000) / 1000.0) / (double)(k * 40 + 1);
    coopt_quantize_multiplier(real, &q->mult[c], &q->shift[c]);
    q->bias[c] = (int32_t)(rnd() % 20001) - 10000;
  }
  q->rq.multiplier = q->mult;
  q->rq.shift = q->shift;
  q->rq.per_channel = per_channel;
  q->rq.double_round = double_round;
  q->rq.output_zero_point = (int32_t)(rnd() % 41) - 20;
  q->rq.output_min = (int8_t)(rnd() % 2 ? -128 : -100);
  q->rq.output_max = (int8_t)(rnd() % 2 ? 127 : 90);
  q->a_zp = (int8_t)(rnd() % 61 - 30);
}

static int8_t naive_requant(int64_t acc, const qparams *q, size_t c) {
  size_t i = q->rq.per_channel ? c : 0;
  int32_t v = coopt_apply_scale_32((int32_t)acc, q->mult[i], q->shift[i], q->rq.double_round) + q->rq.output_zero_point;
  return (int8_t)(v < q->rq.output_min ? q->rq.output_min : v > q->rq.output_max ? q->rq.output_max : v);
}

static void naive_qs8(size_t m, size_t n, size_t k, const int8_t *a, const int8_t *w, const qparams *q, int8_t *c,
                      int32_t *acc) {
  for (size_t r = 0; r < m; ++r)
    for (size_t ch = 0; ch < n; ++ch) {
      int64_t s = q->bias[ch];
      for (size_t i = 0; i < k; ++i)
        s += ((int64_t)a[r * k + i] - q->a_zp) * w[ch * k + i];
      if (acc)
        acc[r * n + ch] = (int32_t)s;
      c[r * n + ch] = naive_requant(s, q, ch);
    }
}

/* A row family's x86 tile (the tables below; none off x86). */
typedef struct x86_rows_tile {
  uint32_t isa;
  coopt_qs8_rows_fn fn;
  int rounding;
} x86_rows_tile;

/* The x86 tiles of each family, run directly on every shape where this CPU
 * has their features (under COOPT_RT_ISA's cap, as the dispatcher). */
#if defined(COOPT_RT_X86_TILES)
static bool cpu_has(uint32_t isa) { return (coopt_rt_cpu_features() & isa) == isa; }
/* Which blobs a tile takes: either rounding (its requantization is the
 * scalar coopt_requant), or only SINGLE_ROUND or only DOUBLE_ROUND ones (a
 * vector epilogue compiled per rounding; the `_dround` tiles). */
enum { EITHER, SINGLE, DOUBLE };
static bool takes(int rounding, const void *blob) {
  return rounding == EITHER || (rounding == DOUBLE) == (coopt_blob_of(blob)->double_round != 0);
}
static const struct {
  uint32_t isa;
  coopt_qs8_gemm_fn fn;
  int rounding;
} x86_gemm[] = {{COOPT_ISA_X86_AVX2, coopt_qs8_gemm_4x8c4__avx2, SINGLE},
                {COOPT_ISA_X86_AVX2, coopt_qs8_gemm_dround_4x8c4__avx2, DOUBLE},
                {COOPT_ISA_X86_AVXVNNI, coopt_qs8_gemm_4x16c4__avxvnni, SINGLE},
                {COOPT_ISA_X86_AVXVNNI, coopt_qs8_gemm_dround_4x16c4__avxvnni, DOUBLE},
                {COOPT_ISA_X86_AVXVNNI, coopt_qs8_gemm_1x32c4__avxvnni, SINGLE},
                {COOPT_ISA_X86_AVXVNNI, coopt_qs8_gemm_dround_1x32c4__avxvnni, DOUBLE},
                {COOPT_ISA_X86_AVX512VNNI, coopt_qs8_gemm_4x32c4__avx512vnni, SINGLE},
                {COOPT_ISA_X86_AVX512VNNI, coopt_qs8_gemm_dround_4x32c4__avx512vnni, DOUBLE},
                {COOPT_ISA_X86_AVX512VNNI, coopt_qs8_gemm_1x32c4__avx512vnni, SINGLE},
                {COOPT_ISA_X86_AVX512VNNI, coopt_qs8_gemm_dround_1x32c4__avx512vnni, DOUBLE}};
static const x86_rows_tile x86_spgemm[] = {{COOPT_ISA_X86_AVX2, coopt_qs8_spgemm_1x1c4__avx2, EITHER},
                                           {COOPT_ISA_X86_AVX2, coopt_qs8_spgemm_8x1c4__avx2, SINGLE},
                                           {COOPT_ISA_X86_AVX2, coopt_qs8_spgemm_dround_8x1c4__avx2, DOUBLE},
                                           {COOPT_ISA_X86_AVXVNNI, coopt_qs8_spgemm_8x1c4__avxvnni, SINGLE},
                                           {COOPT_ISA_X86_AVXVNNI, coopt_qs8_spgemm_dround_8x1c4__avxvnni, DOUBLE}},
                           x86_lut4[] = {{COOPT_ISA_X86_AVX2, coopt_qs8_lut4_gemm_1x2c16__avx2, EITHER},
                                         {COOPT_ISA_X86_AVXVNNI, coopt_qs8_lut4_gemm_1x2c32__avxvnni, EITHER},
                                         {COOPT_ISA_X86_AVXVNNI, coopt_qs8_lut4_gemm_4x2c32__avxvnni, EITHER}},
                           x86_bsgemm[] = {
                               {COOPT_ISA_X86_AVXVNNI, coopt_qs8_bsgemm_8x8c4__avxvnni, SINGLE},
                               {COOPT_ISA_X86_AVXVNNI, coopt_qs8_bsgemm_dround_8x8c4__avxvnni, DOUBLE},
                               {COOPT_ISA_X86_AVX512VNNI, coopt_qs8_bsgemm_16x8c4__avx512vnni, SINGLE},
                               {COOPT_ISA_X86_AVX512VNNI, coopt_qs8_bsgemm_dround_16x8c4__avx512vnni, DOUBLE}};
static const struct {
  uint32_t isa;
  coopt_masked_decode_fn fn;
} x86_decode[] = {{COOPT_ISA_X86_AVX2, coopt_qs8_masked_decode__avx2},
                  {COOPT_ISA_X86_AVX512VBMI2, coopt_qs8_masked_decode__avx512vbmi2}};

/* Every tile of a row family this CPU has, on the blob and rows the caller
 * just ran through the reference (its output in want). */
static void check_x86_rows_tiles(const x86_rows_tile *tiles, size_t count, const void *blob, size_t m, const int8_t *a,
                                 size_t k, size_t n, const int8_t *want, int8_t *got) {
  for (size_t t = 0; t < count; ++t)
    if (cpu_has(tiles[t].isa) && takes(tiles[t].rounding, blob)) {
      memset(got, 0, m * n);
      tiles[t].fn(blob, m, a, k, got, n);
      CHECK(memcmp(want, got, m * n) == 0);
    }
}
#endif
#if defined(COOPT_RT_X86_TILES)
#define X86_TILES(table) table, sizeof table / sizeof table[0]
#else
#define X86_TILES(table) NULL, 0
#endif

/* A packed blob of a row family against the naive GEMM: the family's
 * reference kernel, the dispatched one and, on x86, every tile of its
 * table this CPU has. */
static void check_rows_blob(const void *blob, size_t m, size_t n, size_t k, const int8_t *a, const int8_t *w,
                            const qparams *q, coopt_qs8_rows_fn ref, coopt_qs8_rows_fn rt, const x86_rows_tile *tiles,
                            size_t count) {
  int8_t *c0 = malloc(m * n), *c1 = calloc(m * n, 1), *c2 = calloc(m * n, 1);
  naive_qs8(m, n, k, a, w, q, c0, NULL);
  ref(blob, m, a, k, c1, n);
  rt(blob, m, a, k, c2, n);
  CHECK(memcmp(c0, c1, m * n) == 0);
  CHECK(memcmp(c1, c2, m * n) == 0);
#if defined(COOPT_RT_X86_TILES)
  check_x86_rows_tiles(tiles, count, blob, m, a, k, n, c1, c2);
#else
  (void)tiles, (void)count;
#endif
  free(c0), free(c1), free(c2);
}

static void test_qs8_gemm(void) {
  for (size_t mi = 0; mi < NDIMS; ++mi)
    for (size_t ni = 0; ni < NDIMS; ++ni)
      for (size_t ki = 0; ki < NKDIMS; ++ki)
        for (int pattern = 0; pattern < 5; ++pattern) {
          size_t m = dims[mi], n = dims[ni], k = kdims[ki];
          int8_t *a = malloc(m * k), *w = malloc(n * k), *c0 = malloc(m * n), *c1 = malloc(m * n), *c2 = malloc(m * n);
          int32_t *acc0 = malloc(m * n * 4), *acc1 = malloc(m * n * 4);
          for (size_t i = 0; i < m * k; ++i)
            a[i] = (int8_t)(rnd() % 256 - 128);
          fill_i8(w, n, k, pattern);
          qparams q;
          make_qparams(&q, n, k, pattern != 4, (ki + ni) % 2);
          size_t size = coopt_rt_qs8_gemm_packed_size(n, k);
          void *blob = alloc_blob(size);
          coopt_rt_error err;
          CHECK(coopt_rt_pack_qs8_gemm(n, k, w, q.bias, q.a_zp, &q.rq, blob, size, &err) == COOPT_RT_OK);
          naive_qs8(m, n, k, a, w, &q, c0, acc0);
          coopt_qs8_gemm__ref(blob, m, a, k, c1, n, NULL, 0);
          coopt_rt_qs8_gemm(blob, m, a, k, c2, n);
          coopt_rt_qs8_gemm_acc(blob, m, a, k, acc1, n);
          CHECK(memcmp(c0, c1, m * n) == 0);
          CHECK(memcmp(c1, c2, m * n) == 0);
          CHECK(memcmp(acc0, acc1, m * n * 4) == 0);
#if defined(__ARM_FEATURE_MATMUL_INT8) && defined(__ARM_FEATURE_DOTPROD)
          /* The dispatcher uses SMMLA for M >= 4; SDOT stays tested too. */
          coopt_qs8_gemm_4x8c4__neondot(blob, m, a, k, c2, n, acc1, n);
          CHECK(memcmp(acc0, acc1, m * n * 4) == 0);
          coopt_qs8_gemm_4x8c4__neondot(blob, m, a, k, c2, n, NULL, 0);
          CHECK(memcmp(c1, c2, m * n) == 0);
          coopt_qs8_gemm_4x8c8__neoni8mm(blob, m, a, k, c2, n, NULL, 0);
          CHECK(memcmp(c1, c2, m * n) == 0);
#endif
#if defined(COOPT_RT_X86_TILES)
          /* Every x86 tile this CPU has, whatever the dispatcher picks. */
          for (size_t t = 0; t < sizeof x86_gemm / sizeof x86_gemm[0]; ++t)
            if (cpu_has(x86_gemm[t].isa) && takes(x86_gemm[t].rounding, blob)) {
              x86_gemm[t].fn(blob, m, a, k, c2, n, acc1, n);
              CHECK(memcmp(acc0, acc1, m * n * 4) == 0);
              memset(c2, 0, m * n);
              x86_gemm[t].fn(blob, m, a, k, c2, n, NULL, 0);
              CHECK(memcmp(c1, c2, m * n) == 0);
            }
#endif
          free(a), free(w), free(c0), free(c1), free(c2), free(acc0), free(acc1), free_blob(blob);
        }
}

static bool close_f(float x, float ref, float magnitude) { return fabsf(x - ref) <= 1e-5f * magnitude + 1e-30f; }

static void test_f32_gemm(void) {
  /* Beyond dims: row counts whose last block of the AVX-512 tile is 5-7 rows
   * (the 8-row body with repeated rows), 2-4 (the 4-row body) or 1. */
  static const size_t more_m[] = {5, 7, 13, 14, 49, 196};
  for (size_t mi = 0; mi < NDIMS + sizeof more_m / sizeof more_m[0]; ++mi)
    for (size_t ni = 0; ni < NDIMS; ++ni)
      for (size_t ki = 0; ki < NKDIMS; ++ki) {
        if (mi >= NDIMS && (ki % 3 || ni % 2 == 0)) /* the extra rows on fewer shapes */
          continue;
        size_t m = mi < NDIMS ? dims[mi] : more_m[mi - NDIMS], n = dims[ni], k = kdims[ki];
        float *a = malloc(m * k * 4), *w = malloc(n * k * 4), *bias = malloc(n * 4), *c1 = malloc(m * n * 4),
              *c2 = malloc(m * n * 4);
        for (size_t i = 0; i < m * k; ++i)
          a[i] = rnd_f();
        for (size_t i = 0; i < n * k; ++i)
          w[i] = ki % 3 == 2 && rnd() % 4 ? 0.0f : rnd_f();
        for (size_t i = 0; i < n; ++i)
          bias[i] = rnd_f();
        float lo = ni % 2 ? -INFINITY : -1.0f, hi = ni % 2 ? INFINITY : 6.0f;
        size_t size = coopt_rt_f32_gemm_packed_size(n, k);
        void *blob = alloc_blob(size);
        coopt_rt_error err;
        CHECK(coopt_rt_pack_f32_gemm(n, k, w, bias, lo, hi, blob, size, &err) == COOPT_RT_OK);
        coopt_f32_gemm__ref(blob, m, a, k, c1, n);
        coopt_rt_f32_gemm(blob, m, a, k, c2, n);
        for (size_t r = 0; r < m; ++r)
          for (size_t ch = 0; ch < n; ++ch) {
            float naive = bias[ch], mag = fabsf(bias[ch]);
            for (size_t i = 0; i < k; ++i)
              naive += a[r * k + i] * w[ch * k + i], mag += fabsf(a[r * k + i] * w[ch * k + i]);
            naive = naive < lo ? lo : naive > hi ? hi : naive;
            CHECK(c1[r * n + ch] == naive);
            CHECK(close_f(c2[r * n + ch], c1[r * n + ch], mag));
          }
#if defined(COOPT_RT_X86_TILES)
        /* The AVX-512 and AVX2 tiles add in the same order: the same bits. */
        if (cpu_has(COOPT_ISA_X86_AVX512VNNI) && cpu_has(COOPT_ISA_X86_AVX2)) {
          coopt_f32_gemm_4x8__avx2_fma(blob, m, a, k, c1, n);
          coopt_f32_gemm_8x32__avx512f(blob, m, a, k, c2, n);
          CHECK(memcmp(c1, c2, m * n * 4) == 0);
        }
#endif
        free(a), free(w), free(bias), free(c1), free(c2), free_blob(blob);
      }
}

static void test_f32_spmm(void) {
  static const size_t ms[] = {1, 7, 8, 16, 33, 70};
  for (size_t mi = 0; mi < 6; ++mi)
    for (size_t ni = 0; ni < NDIMS; ++ni)
      for (size_t ki = 0; ki < NKDIMS; ++ki)
        for (int sparsity = 0; sparsity < 4; ++sparsity) {
          size_t m = ms[mi], n = dims[ni], k = kdims[ki];
          float *in = malloc(k * m * 4), *w = malloc(n * k * 4), *bias = malloc(n * 4), *o1 = malloc(n * m * 4),
                *o2 = malloc(n * m * 4);
          for (size_t i = 0; i < k * m; ++i)
            in[i] = rnd_f();
          /* 0%, 50%, 90% and 100% zeros */
          static const unsigned keep_of_10[] = {10, 5, 1, 0};
          for (size_t i = 0; i < n * k; ++i)
            w[i] = rnd() % 10 < keep_of_10[sparsity] ? rnd_f() : 0.0f;
          for (size_t i = 0; i < n; ++i)
            bias[i] = rnd_f();
          size_t size = coopt_rt_f32_spmm_packed_size(n, k, w);
          void *blob = alloc_blob(size);
          coopt_rt_error err;
          CHECK(coopt_rt_pack_f32_spmm(n, k, w, bias, -INFINITY, 3.0f, m, blob, size, &err) == COOPT_RT_OK);
          coopt_f32_spmm__ref(blob, m, in, o1);
          coopt_rt_f32_spmm(blob, m, in, o2);
          for (size_t ch = 0; ch < n; ++ch)
            for (size_t r = 0; r < m; ++r) {
              float naive = bias[ch], mag = fabsf(bias[ch]);
              for (size_t i = 0; i < k; ++i)
                if (w[ch * k + i] != 0.0f)
                  naive += w[ch * k + i] * in[i * m + r], mag += fabsf(w[ch * k + i] * in[i * m + r]);
              naive = naive > 3.0f ? 3.0f : naive;
              CHECK(o1[ch * m + r] == naive);
              CHECK(close_f(o2[ch * m + r], o1[ch * m + r], mag));
            }
          free(in), free(w), free(bias), free(o1), free(o2), free_blob(blob);
        }
}

/* One 1x4 sparse GEMM against the naive one, through the reference, the
 * dispatched kernel and every x86 tile. */
static void run_spgemm(size_t m, size_t n, size_t k, const int8_t *a, const int8_t *w, const qparams *q) {
  size_t size = coopt_rt_qs8_spgemm_packed_size(n, k, w);
  void *blob = alloc_blob(size);
  coopt_rt_error err;
  CHECK(coopt_rt_pack_qs8_spgemm(n, k, w, q->bias, q->a_zp, &q->rq, blob, size, &err) == COOPT_RT_OK);
  check_rows_blob(blob, m, n, k, a, w, q, coopt_qs8_spgemm__ref, coopt_rt_qs8_spgemm, X86_TILES(x86_spgemm));
  free_blob(blob);
}

static void test_qs8_spgemm(void) {
  for (size_t mi = 0; mi < NDIMS; ++mi)
    for (size_t ni = 0; ni < NDIMS; ++ni)
      for (size_t ki = 0; ki < NKDIMS; ++ki)
        for (int pattern = 0; pattern < 5; ++pattern) {
          size_t m = dims[mi], n = dims[ni], k = kdims[ki];
          int8_t *a = malloc(m * k), *w = malloc(n * k);
          for (size_t i = 0; i < m * k; ++i)
            a[i] = (int8_t)(rnd() % 256 - 128);
          fill_i8(w, n, k, pattern);
          if (pattern == 0) /* 1x4 block sparsity: whole blocks of zeros */
            for (size_t ch = 0; ch < n; ++ch)
              for (size_t i = 0; i < k; i += 4)
                if (rnd() % 4)
                  for (size_t t = i; t < i + 4 && t < k; ++t)
                    w[ch * k + t] = 0;
          qparams q;
          make_qparams(&q, n, k, true, ki % 2);
          run_spgemm(m, n, k, a, w, &q);
          free(a), free(w);
        }
}

/* The sparse forms' one-byte block deltas across gaps of more than 255
 * blocks (K = 4091, so the tail block is partial): each channel is a
 * pattern of kept blocks, and the packed block count must include exactly
 * the fillers the gaps need. */
static void test_sparse_long_gaps(void) {
  enum { M = 5, N = 9, K = 4091, BLOCKS = (K + 3) / 4 };
  /* Kept block positions per channel, -1 ends a list; the fillers after
   * each list are (gap - 1) / 255 for every gap over 255 (from block 0). */
  static const int kept[N][6] = {{0, BLOCKS - 1, -1},       /* the partial tail block 1022 after 0: 4 fillers */
                                 {300, -1},                 /* 1 */
                                 {-1},                      /* all zero */
                                 {255, 510, 766, -1},       /* gaps 255, 255, 256: 1 */
                                 {100, 356, 357, 1000, -1}, /* gaps 100, 256, 1, 643: 1 + 2 */
                                 {BLOCKS - 1, -1},          /* only the tail: 4 */
                                 {0, 1, 2, 3, 4, -1},       /* 0 */
                                 {256, -1},                 /* 1 */
                                 {511, -1}};                /* 255 + 255 + 1: 2 */
  static const size_t fillers = 4 + 1 + 0 + 1 + 3 + 4 + 0 + 1 + 2;
  int8_t *a = malloc(M * K), *w = calloc(N * K, 1), c0[M * N], c1[M * N], c2[M * N];
  uint8_t *idx = calloc(N * K, 1);
  int8_t book[16 * N];
  size_t blocks = 0;
  for (size_t i = 0; i < M * K; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128);
  for (size_t ch = 0; ch < N; ++ch) {
    for (size_t e = 0; e < 16; ++e)
      book[16 * ch + e] = e == 0 ? 0 : rnd_i8();
    for (const int *q = kept[ch]; *q >= 0; ++q, ++blocks)
      for (size_t t = 4 * (size_t)*q; t < 4 * (size_t)*q + 4 && t < K; ++t) {
        idx[ch * K + t] = (uint8_t)(1 + rnd() % 15);
        w[ch * K + t] = book[16 * ch + idx[ch * K + t]];
      }
  }
  qparams q;
  make_qparams(&q, N, K, true, false);
  naive_qs8(M, N, K, a, w, &q, c0, NULL);
  coopt_rt_error err;
  for (int lut = 0; lut < 2; ++lut) {
    size_t size =
        lut ? coopt_rt_qs8_splut4_gemm_packed_size(N, K, idx, book) : coopt_rt_qs8_spgemm_packed_size(N, K, w);
    void *blob = alloc_blob(size);
    coopt_rt_status st =
        lut ? coopt_rt_pack_qs8_splut4_gemm(N, K, idx, book, 16, q.bias, q.a_zp, &q.rq, blob, size, &err)
            : coopt_rt_pack_qs8_spgemm(N, K, w, q.bias, q.a_zp, &q.rq, blob, size, &err);
    CHECK(st == COOPT_RT_OK);
    CHECK(coopt_blob_of(blob)->count == blocks + fillers);
    for (size_t m = 1; m <= M; m += M - 1) {
      memset(c1, 0, sizeof c1), memset(c2, 0, sizeof c2);
      if (lut) {
        coopt_qs8_splut4_gemm__ref(blob, m, a, K, c1, N);
        coopt_rt_qs8_splut4_gemm(blob, m, a, K, c2, N);
      } else {
        coopt_qs8_spgemm__ref(blob, m, a, K, c1, N);
        coopt_rt_qs8_spgemm(blob, m, a, K, c2, N);
      }
      CHECK(memcmp(c0, c1, m * N) == 0);
      CHECK(memcmp(c1, c2, m * N) == 0);
#if defined(COOPT_RT_X86_TILES)
      if (!lut)
        check_x86_rows_tiles(x86_spgemm, sizeof x86_spgemm / sizeof x86_spgemm[0], blob, m, a, K, N, c1, c2);
#endif
    }
    free_blob(blob);
  }
  free(a), free(w), free(idx);
}

/* Block-sparse (blocks of a panel's 8 channels x 4 K) against the naive
 * GEMM, through the reference, the dispatcher and every x86 tile this CPU
 * has: whole zero blocks (pattern 0), and the other patterns, whose zeros
 * rarely fill a block. */
static void run_bsgemm(size_t m, size_t n, size_t k, const int8_t *a, const int8_t *w, const qparams *q,
                       size_t want_blocks) {
  size_t size = coopt_rt_qs8_bsgemm_packed_size(n, k, w);
  void *blob = alloc_blob(size);
  coopt_rt_error err;
  CHECK(coopt_rt_pack_qs8_bsgemm(n, k, w, q->bias, q->a_zp, &q->rq, blob, size, &err) == COOPT_RT_OK);
  CHECK(coopt_rt_pack_qs8_bsgemm(n, k, w, q->bias, q->a_zp, &q->rq, blob, size - 1, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(coopt_rt_pack_qs8_bsgemm(n, k, w, q->bias, q->a_zp, &q->rq, blob, size, &err) == COOPT_RT_OK);
  if (want_blocks != SIZE_MAX)
    CHECK(coopt_blob_of(blob)->count == want_blocks);
  check_rows_blob(blob, m, n, k, a, w, q, coopt_qs8_bsgemm__ref, coopt_rt_qs8_bsgemm, X86_TILES(x86_bsgemm));
  free_blob(blob);
}

static void test_qs8_bsgemm(void) {
  for (size_t mi = 0; mi < NDIMS; ++mi)
    for (size_t ni = 0; ni < NDIMS; ++ni)
      for (size_t ki = 0; ki < NKDIMS; ++ki)
        for (int pattern = 0; pattern < 5; ++pattern) {
          size_t m = dims[mi], n = dims[ni], k = kdims[ki];
          int8_t *a = malloc(m * k), *w = malloc(n * k);
          for (size_t i = 0; i < m * k; ++i)
            a[i] = (int8_t)(rnd() % 256 - 128);
          fill_i8(w, n, k, pattern);
          if (pattern == 0) /* 8x4 block sparsity: whole K groups of a panel */
            for (size_t p = 0; p * COOPT_QS8_NR < n; ++p)
              for (size_t g = 0; g * 4 < k; ++g)
                if (rnd() % 2)
                  for (size_t ch = p * COOPT_QS8_NR; ch < n && ch < (p + 1) * COOPT_QS8_NR; ++ch)
                    for (size_t t = 4 * g; t < 4 * g + 4 && t < k; ++t)
                      w[ch * k + t] = 0;
          qparams q;
          make_qparams(&q, n, k, mi % 2 == 0, ki % 2);
          run_bsgemm(m, n, k, a, w, &q, SIZE_MAX);
          free(a), free(w);
        }
  /* One-byte group deltas across gaps of more than 255 groups, and the
   * partial tail group (K = 4091): per panel a list of kept groups, with
   * the fillers its gaps need counted in the blob. */
  enum { N = 20, K = 4091, GROUPS = (K + 3) / 4 };
  static const int kept[3][6] = {{0, GROUPS - 1, -1}, {300, -1}, {100, 356, 357, 1000, -1}};
  const size_t blocks = 2 + 1 + 4, fillers = 4 + 1 + 3;
  int8_t *a = malloc(33 * K), *w = calloc(N * K, 1);
  for (size_t i = 0; i < 33 * K; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128);
  for (size_t p = 0; p < 3; ++p)
    for (const int *g = kept[p]; *g >= 0; ++g)
      for (size_t ch = 8 * p; ch < N && ch < 8 * p + 8; ++ch)
        for (size_t t = 4 * (size_t)*g; t < 4 * (size_t)*g + 4 && t < K; ++t)
          w[ch * K + t] = rnd_i8();
  qparams q;
  make_qparams(&q, N, K, true, false);
  for (size_t m = 1; m <= 33; m += 16)
    run_bsgemm(m, N, K, a, w, &q, blocks + fillers);
  free(a), free(w);
}

/* Layers past the drivers' stack scratch (tiles.h coopt_scratch_get):
 * N = 1,100 per-channel starts (the stack holds 1,024) and K = 2,100 (the
 * x86 8-row sparse tiles' regrouped rows hold K <= 2,048 on the stack, the
 * block-sparse ones K <= 1,024 at 16 rows), so the heap path runs at every
 * level, for the sparse and block-sparse forms. */
static void test_scratch_past_stack(void) {
  enum { M = 17, N = 1100, K = 2100 };
  int8_t *a = malloc(M * K), *w = malloc((size_t)N * K);
  for (size_t i = 0; i < M * K; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128);
  fill_i8(w, N, K, 1);
  for (size_t ch = 0; ch < N; ++ch) /* zero most 8x4 blocks (and so 1x4 blocks) */
    for (size_t g = 0; g < K / 4; ++g)
      if ((ch / 8 * 131 + g * 7) % 5)
        memset(w + ch * K + 4 * g, 0, 4);
  qparams q;
  make_qparams(&q, N, K, true, false);
  run_spgemm(M, N, K, a, w, &q);
  run_bsgemm(M, N, K, a, w, &q, SIZE_MAX);
  free(a), free(w);
}

/* 2:4 weights: per group of 4 along K, `keep` (0..2; 3 = random 0..2)
 * nonzeros at random positions. */
static void fill_nm24(int8_t *w, size_t n, size_t k, int keep) {
  for (size_t c = 0; c < n; ++c)
    for (size_t g = 0; g < k; g += 4) {
      size_t len = k - g < 4 ? k - g : 4;
      memset(w + c * k + g, 0, len);
      int want = keep == 3 ? (int)(rnd() % 3) : keep;
      for (int t = 0; t < want; ++t) {
        size_t at = g + rnd() % len;
        int8_t v = rnd_i8();
        w[c * k + at] = v ? v : 1;
      }
    }
}

static void test_qs8_nm24(void) {
  for (size_t mi = 0; mi < NDIMS; ++mi)
    for (size_t ni = 0; ni < NDIMS; ++ni)
      for (size_t ki = 0; ki < NKDIMS; ++ki)
        for (int keep = 0; keep < 4; ++keep) {
          size_t m = dims[mi], n = dims[ni], k = kdims[ki];
          int8_t *a = malloc(m * k), *w = malloc(n * k), *c0 = malloc(m * n), *c1 = malloc(m * n), *c2 = malloc(m * n);
          for (size_t i = 0; i < m * k; ++i)
            a[i] = (int8_t)(rnd() % 256 - 128);
          fill_nm24(w, n, k, keep);
          qparams q;
          make_qparams(&q, n, k, true, ki % 2);
          size_t size = coopt_rt_qs8_nm24_gemm_packed_size(n, k);
          void *blob = alloc_blob(size);
          coopt_rt_error err;
          CHECK(coopt_rt_pack_qs8_nm24_gemm(n, k, w, q.bias, q.a_zp, &q.rq, blob, size, &err) == COOPT_RT_OK);
          naive_qs8(m, n, k, a, w, &q, c0, NULL);
          coopt_qs8_nm24_gemm__ref(blob, m, a, k, c1, n);
          coopt_rt_qs8_nm24_gemm(blob, m, a, k, c2, n);
          CHECK(memcmp(c0, c1, m * n) == 0);
          CHECK(memcmp(c1, c2, m * n) == 0);
          free(a), free(w), free(c0), free(c1), free(c2), free_blob(blob);
        }
}

static void test_qs8_lut4(bool sparse) {
  for (size_t mi = 0; mi < NDIMS; ++mi)
    for (size_t ni = 0; ni < NDIMS; ++ni)
      for (size_t ki = 0; ki < NKDIMS; ++ki)
        for (size_t book_size = 1; book_size <= 16; book_size += 5) {
          size_t m = dims[mi], n = dims[ni], k = kdims[ki];
          int8_t *a = malloc(m * k), *w = malloc(n * k), *c0 = malloc(m * n), *c1 = malloc(m * n), *c2 = malloc(m * n);
          uint8_t *idx = malloc(n * k);
          int8_t *book = malloc(16 * n);
          for (size_t i = 0; i < m * k; ++i)
            a[i] = (int8_t)(rnd() % 256 - 128);
          for (size_t ch = 0; ch < n; ++ch)
            for (size_t e = 0; e < 16; ++e)
              book[16 * ch + e] = e < book_size ? rnd_i8() : 99; /* entries past the size are ignored */
          if (sparse)                                            /* entry 0 is the zero of the sparse form */
            for (size_t ch = 0; ch < n; ++ch)
              book[16 * ch] = 0;
          for (size_t i = 0; i < n * k; ++i) {
            idx[i] = (uint8_t)(rnd() % book_size);
            if (sparse && rnd() % 4)
              idx[i] = 0;
            w[i] = book[16 * (i / k) + idx[i]];
          }
          qparams q;
          make_qparams(&q, n, k, true, ki % 2);
          size_t size =
              sparse ? coopt_rt_qs8_splut4_gemm_packed_size(n, k, idx, book) : coopt_rt_qs8_lut4_gemm_packed_size(n, k);
          void *blob = alloc_blob(size);
          coopt_rt_error err;
          coopt_rt_status st =
              sparse
                  ? coopt_rt_pack_qs8_splut4_gemm(n, k, idx, book, book_size, q.bias, q.a_zp, &q.rq, blob, size, &err)
                  : coopt_rt_pack_qs8_lut4_gemm(n, k, idx, book, book_size, q.bias, q.a_zp, &q.rq, blob, size, &err);
          CHECK(st == COOPT_RT_OK);
          naive_qs8(m, n, k, a, w, &q, c0, NULL);
          if (sparse) {
            coopt_qs8_splut4_gemm__ref(blob, m, a, k, c1, n);
            coopt_rt_qs8_splut4_gemm(blob, m, a, k, c2, n);
          } else {
            coopt_qs8_lut4_gemm__ref(blob, m, a, k, c1, n);
            coopt_rt_qs8_lut4_gemm(blob, m, a, k, c2, n);
          }
          CHECK(memcmp(c0, c1, m * n) == 0);
          CHECK(memcmp(c1, c2, m * n) == 0);
#if defined(COOPT_RT_X86_TILES)
          if (!sparse)
            check_x86_rows_tiles(x86_lut4, sizeof x86_lut4 / sizeof x86_lut4[0], blob, m, a, k, n, c1, c2);
#endif
          free(a), free(w), free(c0), free(c1), free(c2), free(idx), free(book), free_blob(blob);
        }
}

static void test_dw3x3(void) {
  static const size_t hw[] = {1, 2, 3, 7, 14};
  /* 33 and 300: a partial 32-channel group and more than one 256-channel
   * block of the AVX-512 kernel. */
  static const size_t cs[] = {1, 3, 16, 17, 64, 33, 300};
  /* top, left, bottom, right */
  static const size_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {1, 1, 0, 0}, {2, 0, 1, 2}};
  for (size_t hi = 0; hi < 5; ++hi)
    for (size_t ci = 0; ci < sizeof cs / sizeof cs[0]; ++ci)
      for (size_t stride = 1; stride <= 2; ++stride)
        for (size_t pad = 0; pad < 4; ++pad) {
          if (ci >= 5 && hi % 2) /* the wide cases on fewer shapes */
            continue;
          coopt_rt_dw_shape s = {hw[hi],       hw[(hi + 1) % 5], cs[ci],       stride,
                                 pads[pad][0], pads[pad][1],     pads[pad][2], pads[pad][3]};
          if (s.h + s.pad_top + s.pad_bottom < 3 || s.w + s.pad_left + s.pad_right < 3)
            continue;
          size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
          int8_t *in = malloc(s.h * s.w * C), *w = malloc(9 * C), *o1 = malloc(oh * ow * C), *o0 = malloc(oh * ow * C);
          for (size_t i = 0; i < s.h * s.w * C; ++i)
            in[i] = (int8_t)(rnd() % 256 - 128);
          fill_i8(w, 9, C, (int)(ci % 5));
          qparams q;
          make_qparams(&q, C, 9, true, (hi + ci + pad) % 3 == 0);
          size_t size = coopt_rt_qs8_dw3x3_packed_size(C);
          void *blob = alloc_blob(size);
          coopt_rt_error err;
          CHECK(coopt_rt_pack_qs8_dw3x3(&s, w, q.bias, q.a_zp, &q.rq, blob, size, &err) == COOPT_RT_OK);
          coopt_rt_qs8_dw3x3(blob, in, o1);
          for (size_t y = 0; y < oh; ++y)
            for (size_t x = 0; x < ow; ++x)
              for (size_t ch = 0; ch < C; ++ch) {
                int64_t acc = q.bias[ch];
                for (size_t ky = 0; ky < 3; ++ky)
                  for (size_t kx = 0; kx < 3; ++kx) {
                    long iy = (long)(y * stride + ky) - (long)s.pad_top,
                         ix = (long)(x * stride + kx) - (long)s.pad_left;
                    if (iy >= 0 && ix >= 0 && iy < (long)s.h && ix < (long)s.w)
                      acc +=
                          ((int64_t)in[((size_t)iy * s.w + (size_t)ix) * C + ch] - q.a_zp) * w[(ky * 3 + kx) * C + ch];
                  }
                o0[(y * ow + x) * C + ch] = naive_requant(acc, &q, ch);
              }
          CHECK(memcmp(o0, o1, oh * ow * C) == 0);
          free(in), free(w), free(o0), free(o1), free_blob(blob);

          float *fin = malloc(s.h * s.w * C * 4), *fw = malloc(36 * C), *fb = malloc(4 * C),
                *fo = malloc(oh * ow * C * 4);
          for (size_t i = 0; i < s.h * s.w * C; ++i)
            fin[i] = rnd_f();
          for (size_t i = 0; i < 9 * C; ++i)
            fw[i] = rnd_f();
          for (size_t i = 0; i < C; ++i)
            fb[i] = rnd_f();
          size = coopt_rt_f32_dw3x3_packed_size(C);
          blob = alloc_blob(size);
          CHECK(coopt_rt_pack_f32_dw3x3(&s, fw, fb, 0.0f, 6.0f, blob, size, &err) == COOPT_RT_OK);
          coopt_rt_f32_dw3x3(blob, fin, fo);
          for (size_t y = 0; y < oh; ++y)
            for (size_t x = 0; x < ow; ++x)
              for (size_t ch = 0; ch < C; ++ch) {
                float acc = fb[ch], mag = fabsf(fb[ch]);
                for (size_t ky = 0; ky < 3; ++ky)
                  for (size_t kx = 0; kx < 3; ++kx) {
                    long iy = (long)(y * stride + ky) - (long)s.pad_top,
                         ix = (long)(x * stride + kx) - (long)s.pad_left;
                    if (iy >= 0 && ix >= 0 && iy < (long)s.h && ix < (long)s.w) {
                      float t = fin[((size_t)iy * s.w + (size_t)ix) * C + ch] * fw[(ky * 3 + kx) * C + ch];
                      acc += t, mag += fabsf(t);
                    }
                  }
                acc = acc < 0.0f ? 0.0f : acc > 6.0f ? 6.0f : acc;
                CHECK(close_f(fo[(y * ow + x) * C + ch], acc, mag));
              }
          free(fin), free(fw), free(fb), free(fo), free_blob(blob);
        }
}

/* k x k convolution (im2col blocks + GEMM) against a direct convolution. */
typedef struct conv_case {
  size_t h, w, cin, kh, kw, sh, sw, pt, pl, pb, pr, n;
} conv_case;

static void check_conv_case(const conv_case *cc, int pattern) {
  coopt_rt_conv_shape s = {cc->h, cc->w, cc->cin, cc->kh, cc->kw, cc->sh, cc->sw, cc->pt, cc->pl, cc->pb, cc->pr};
  size_t N = cc->n, C = cc->cin, K = cc->kh * cc->kw * C, oh = coopt_rt_conv_out_h(&s), ow = coopt_rt_conv_out_w(&s);
  int8_t *in = malloc(s.h * s.w * C), *w = malloc(N * K), *o0 = malloc(oh * ow * N), *o1 = malloc(oh * ow * N);
  for (size_t i = 0; i < s.h * s.w * C; ++i)
    in[i] = (int8_t)(rnd() % 256 - 128);
  fill_i8(w, N, K, pattern);
  qparams q;
  make_qparams(&q, N, K, pattern != 4, pattern == 1);
  size_t size = coopt_rt_qs8_conv_packed_size(&s, N);
  void *blob = alloc_blob(size);
  coopt_rt_error err;
  CHECK(coopt_rt_pack_qs8_conv(&s, N, w, q.bias, q.a_zp, &q.rq, blob, size, &err) == COOPT_RT_OK);
  coopt_rt_qs8_conv(blob, in, o1);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x)
      for (size_t ch = 0; ch < N; ++ch) {
        int64_t acc = q.bias[ch];
        for (size_t ky = 0; ky < s.kh; ++ky)
          for (size_t kx = 0; kx < s.kw; ++kx) {
            long iy = (long)(y * s.stride_h + ky) - (long)s.pad_top,
                 ix = (long)(x * s.stride_w + kx) - (long)s.pad_left;
            if (iy >= 0 && ix >= 0 && iy < (long)s.h && ix < (long)s.w)
              for (size_t c = 0; c < C; ++c)
                acc += ((int64_t)in[((size_t)iy * s.w + (size_t)ix) * C + c] - q.a_zp) *
                       w[ch * K + (ky * s.kw + kx) * C + c];
          }
        o0[(y * ow + x) * N + ch] = naive_requant(acc, &q, ch);
      }
  CHECK(memcmp(o0, o1, oh * ow * N) == 0);
  free(in), free(w), free(o0), free(o1), free_blob(blob);

  if (K * 4 > COOPT_RT_CONV_MAX_PATCH_BYTES)
    return;
  float *fin = malloc(s.h * s.w * C * 4), *fw = malloc(N * K * 4), *fb = malloc(4 * N), *fo = malloc(oh * ow * N * 4);
  for (size_t i = 0; i < s.h * s.w * C; ++i)
    fin[i] = rnd_f();
  for (size_t i = 0; i < N * K; ++i)
    fw[i] = pattern == 2 ? 0.0f : rnd_f();
  for (size_t i = 0; i < N; ++i)
    fb[i] = rnd_f();
  size = coopt_rt_f32_conv_packed_size(&s, N);
  blob = alloc_blob(size);
  CHECK(coopt_rt_pack_f32_conv(&s, N, fw, fb, -4.0f, 6.0f, blob, size, &err) == COOPT_RT_OK);
  coopt_rt_f32_conv(blob, fin, fo);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x)
      for (size_t ch = 0; ch < N; ++ch) {
        float acc = fb[ch], mag = fabsf(fb[ch]);
        for (size_t ky = 0; ky < s.kh; ++ky)
          for (size_t kx = 0; kx < s.kw; ++kx) {
            long iy = (long)(y * s.stride_h + ky) - (long)s.pad_top,
                 ix = (long)(x * s.stride_w + kx) - (long)s.pad_left;
            if (iy >= 0 && ix >= 0 && iy < (long)s.h && ix < (long)s.w)
              for (size_t c = 0; c < C; ++c) {
                float t = fin[((size_t)iy * s.w + (size_t)ix) * C + c] * fw[ch * K + (ky * s.kw + kx) * C + c];
                acc += t, mag += fabsf(t);
              }
          }
        acc = acc < -4.0f ? -4.0f : acc > 6.0f ? 6.0f : acc;
        CHECK(close_f(fo[(y * ow + x) * N + ch], acc, mag));
      }
  free(fin), free(fw), free(fb), free(fo), free_blob(blob);
}

static void test_conv(void) {
  static const size_t hw[] = {1, 2, 3, 7, 9};
  static const size_t cins[] = {1, 3, 17};
  static const size_t ns[] = {1, 9, 17};
  static const size_t ks[][2] = {{1, 1}, {3, 3}, {5, 5}, {3, 1}, {1, 2}};
  for (size_t hi = 0; hi < 5; ++hi)
    for (size_t ki = 0; ki < 5; ++ki)
      for (size_t stride = 1; stride <= 2; ++stride)
        for (size_t pad = 0; pad < 2; ++pad) {
          conv_case cc = {hw[hi],
                          hw[(hi + 2) % 5],
                          cins[(hi + ki) % 3],
                          ks[ki][0],
                          ks[ki][1],
                          stride,
                          stride + pad,
                          pad ? ks[ki][0] / 2 : 0,
                          pad ? ks[ki][1] / 2 : 0,
                          pad ? (ks[ki][0] - 1) / 2 : 0,
                          pad ? (ks[ki][1] - 1) / 2 : 0,
                          ns[(hi + ki + stride) % 3]};
          if (cc.h + cc.pt + cc.pb < cc.kh || cc.w + cc.pl + cc.pr < cc.kw)
            continue;
          check_conv_case(&cc, (int)((hi + ki + pad) % 5));
        }
  /* Patches large enough that the image is expanded in several blocks. */
  conv_case big8 = {5, 5, 1024, 3, 3, 1, 1, 1, 1, 1, 1, 5};
  check_conv_case(&big8, 0);
  conv_case big32 = {5, 6, 400, 3, 3, 1, 2, 1, 1, 1, 1, 3};
  check_conv_case(&big32, 1);
  /* Single-channel stems (conv.c's im2col_rows_c1): windows inside the
   * image copied 8 bytes a kernel row, whose loads must stop at the image's
   * end (the input is malloc'd to its exact size, so ASan sees an overread);
   * KW = 8, the widest that path takes, and 9, which goes tap by tap;
   * asymmetric padding; and 10,000 rows, more than one im2col block. */
  static const conv_case c1[] = {
      {28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 1, 64}, {28, 28, 1, 3, 3, 2, 2, 0, 0, 1, 1, 16},
      {9, 13, 1, 2, 8, 1, 1, 0, 3, 1, 4, 9},   {9, 13, 1, 4, 9, 1, 2, 2, 0, 1, 4, 5},
      {7, 3, 1, 3, 3, 1, 1, 0, 0, 0, 0, 3},    {100, 100, 1, 3, 3, 1, 1, 1, 1, 1, 1, 4},
      {6, 11, 1, 5, 5, 2, 3, 2, 1, 0, 2, 17},
  };
  for (size_t i = 0; i < sizeof c1 / sizeof c1[0]; ++i)
    check_conv_case(&c1[i], (int)(i % 5));
}

static bool has(const coopt_rt_error *e, const char *text) { return strstr(e->message, text) != NULL; }

static void test_bad_input(void) {
  coopt_rt_error err;
  int8_t w[64] = {0};
  int32_t mult = 1 << 30, shift = 40, bad_shift = 70;
  coopt_rt_requant rq = {&mult, &shift, false, false, 0, -128, 127};
  void *blob = alloc_blob(4096);
  CHECK(coopt_rt_pack_qs8_gemm(0, 4, w, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "N and K must be in"));
  CHECK(coopt_rt_pack_qs8_gemm(4, 4, NULL, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(coopt_rt_pack_qs8_gemm(4, 4, w, NULL, 0, &rq, (char *)blob + 4, 4000, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "16-byte aligned"));
  CHECK(coopt_rt_pack_qs8_gemm(4, 4, w, NULL, 0, &rq, blob, 16, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "needed"));
  coopt_rt_requant bad = rq;
  bad.shift = &bad_shift;
  CHECK(coopt_rt_pack_qs8_gemm(4, 4, w, NULL, 0, &bad, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "shift 70"));
  bad = rq;
  bad.output_min = 10, bad.output_max = 5;
  CHECK(coopt_rt_pack_qs8_gemm(4, 4, w, NULL, 0, &bad, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(coopt_rt_pack_qs8_gemm(4, 4, w, NULL, 0, NULL, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  /* Indices beyond the codebook: a structure error naming the place. */
  uint8_t idx[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  int8_t book[16] = {0};
  CHECK(coopt_rt_pack_qs8_lut4_gemm(1, 16, idx, book, 8, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_STRUCTURE);
  CHECK(has(&err, "index 8 is beyond the 8-entry codebook"));
  CHECK(coopt_rt_pack_qs8_lut4_gemm(1, 16, idx, book, 17, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(coopt_rt_pack_qs8_lut4_gemm(1, 16, idx, NULL, 16, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  /* Sparse LUT with a K tail and no zero entry to pad with. */
  uint8_t idx3[3] = {0, 0, 0};
  int8_t book1[16] = {5};
  CHECK(coopt_rt_pack_qs8_splut4_gemm(1, 3, idx3, book1, 1, NULL, 0, &rq, blob, 4096, &err) ==
        COOPT_RT_INVALID_STRUCTURE);
  CHECK(has(&err, "no 0 entry"));
  /* A "2:4" matrix that is not: 3 nonzeros in the second group. */
  int8_t w24[8] = {1, 0, 2, 0, 3, 4, 0, 5};
  CHECK(coopt_rt_pack_qs8_nm24_gemm(1, 8, w24, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_STRUCTURE);
  CHECK(has(&err, "not 2:4: output channel 0 has 3 nonzeros in k = 4..7"));
  w24[7] = 0;
  CHECK(coopt_rt_pack_qs8_nm24_gemm(1, 8, w24, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_OK);
  CHECK(coopt_rt_pack_qs8_nm24_gemm(1, 8, w24, NULL, 0, &rq, blob, 16, &err) == COOPT_RT_INVALID_ARGUMENT);
  float fw[4] = {1, NAN, 0, 0};
  CHECK(coopt_rt_pack_f32_spmm(1, 4, fw, NULL, 0, 1, 8, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "not finite"));
  fw[1] = 0;
  CHECK(coopt_rt_pack_f32_spmm(1, 4, fw, NULL, 2, 1, 8, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(coopt_rt_pack_f32_spmm(1, 4, fw, NULL, 0, 1, 0, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  coopt_rt_dw_shape s = {4, 4, 8, 3, 1, 1, 1, 1};
  CHECK(coopt_rt_pack_qs8_dw3x3(&s, w, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "stride 3"));
  s.stride = 1, s.h = 1, s.pad_top = s.pad_bottom = 0;
  CHECK(coopt_rt_pack_qs8_dw3x3(&s, w, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(coopt_rt_pack_qs8_dw3x3(NULL, w, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  coopt_rt_conv_shape cs = {4, 4, 2, 3, 3, 1, 1, 3, 0, 0, 0};
  CHECK(coopt_rt_pack_qs8_conv(&cs, 4, w, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "reaches beyond the 3x3 window"));
  cs.pad_top = 0, cs.stride_h = 0;
  CHECK(coopt_rt_pack_qs8_conv(&cs, 4, w, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  cs.stride_h = 1, cs.cin = 4096;
  CHECK(coopt_rt_pack_f32_conv(&cs, 4, (const float *)w, NULL, 0, 1, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "bytes; at most"));
  cs.cin = 2, cs.h = 1;
  CHECK(coopt_rt_pack_qs8_conv(&cs, 4, w, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "smaller than"));
  cs.h = 4;
  CHECK(coopt_rt_pack_qs8_conv(&cs, 4, w, NULL, 0, &rq, blob, 64, &err) == COOPT_RT_INVALID_ARGUMENT);
  CHECK(has(&err, "needed"));
  CHECK(coopt_rt_pack_qs8_conv(NULL, 4, w, NULL, 0, &rq, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  free_blob(blob);
}

/* One masked blob (lut: from idx and book, else from w) against the naive
 * GEMM and the dense kernel: every decoder's panels are the dense
 * packer's byte for byte, the GEMM's output the dense kernel's.  Returns
 * the blob's header (kind, mask_block) and its size in *size. */
static coopt_blob check_masked(size_t m, size_t n, size_t k, const int8_t *a, const int8_t *w, const uint8_t *idx,
                               const int8_t *book, bool lut, bool double_round, size_t *size) {
  int8_t *c0 = malloc(m * n), *c1 = malloc(m * n), *c2 = malloc(m * n);
  qparams q;
  make_qparams(&q, n < 64 ? n : 64, k, n <= 64, double_round);
  coopt_rt_error err;
  size_t dsize = coopt_rt_qs8_gemm_packed_size(n, k);
  void *dense = alloc_blob(dsize);
  CHECK(coopt_rt_pack_qs8_gemm(n, k, w, q.rq.per_channel ? q.bias : NULL, q.a_zp, &q.rq, dense, dsize, &err) ==
        COOPT_RT_OK);
  *size =
      lut ? coopt_rt_qs8_masked_lut4_gemm_packed_size(n, k, idx, book) : coopt_rt_qs8_masked_gemm_packed_size(n, k, w);
  void *blob = alloc_blob(*size);
  coopt_rt_status st =
      lut ? coopt_rt_pack_qs8_masked_lut4_gemm(n, k, idx, book, 16, q.rq.per_channel ? q.bias : NULL, q.a_zp, &q.rq,
                                               blob, *size, &err)
          : coopt_rt_pack_qs8_masked_gemm(n, k, w, q.rq.per_channel ? q.bias : NULL, q.a_zp, &q.rq, blob, *size, &err);
  CHECK(st == COOPT_RT_OK);
  /* One byte short is refused, and writes nothing (the checks below read
   * the blob packed above, with its bias). */
  CHECK((lut ? coopt_rt_pack_qs8_masked_lut4_gemm(n, k, idx, book, 16, NULL, q.a_zp, &q.rq, blob, *size - 1, &err)
             : coopt_rt_pack_qs8_masked_gemm(n, k, w, NULL, q.a_zp, &q.rq, blob, *size - 1, &err)) ==
        COOPT_RT_INVALID_ARGUMENT);
  /* Every decoded panel is the dense packer's, byte for byte. */
  _Alignas(64) int8_t panel[96 + 8 * COOPT_RT_MASKED_MAX_K + 64];
  size_t pbytes = 96 + 8 * ((k + 3) / 4 * 4);
  for (size_t p = 0; p * 8 < n; ++p) {
    coopt_qs8_masked_decode__ref(blob, p, panel);
    CHECK(memcmp(panel, (const char *)dense + 128 + p * pbytes, pbytes) == 0);
    coopt_qs8_masked_decode(blob, p, panel);
    CHECK(memcmp(panel, (const char *)dense + 128 + p * pbytes, pbytes) == 0);
    coopt_qs8_masked_decode__scalar(blob, p, panel);
    CHECK(memcmp(panel, (const char *)dense + 128 + p * pbytes, pbytes) == 0);
#if defined(__aarch64__) && defined(__ARM_NEON)
    coopt_qs8_masked_decode__neon(blob, p, panel);
    CHECK(memcmp(panel, (const char *)dense + 128 + p * pbytes, pbytes) == 0);
#endif
#if defined(COOPT_RT_X86_TILES)
    for (size_t t = 0; t < sizeof x86_decode / sizeof x86_decode[0]; ++t)
      if (cpu_has(x86_decode[t].isa)) {
        memset(panel, 0x5A, sizeof panel);
        x86_decode[t].fn(blob, p, panel);
        CHECK(memcmp(panel, (const char *)dense + 128 + p * pbytes, pbytes) == 0);
        CHECK((uint8_t)panel[pbytes] == 0x5A); /* nothing written past the panel */
      }
#endif
  }
  coopt_rt_qs8_gemm(dense, m, a, k, c1, n);
  coopt_rt_qs8_masked_gemm(blob, m, a, k, c2, n);
  CHECK(memcmp(c1, c2, m * n) == 0);
  if (q.rq.per_channel) {
    naive_qs8(m, n, k, a, w, &q, c0, NULL);
    CHECK(memcmp(c0, c2, m * n) == 0);
  }
  coopt_blob header = *(const coopt_blob *)blob;
  free(c0), free(c1), free(c2), free_blob(blob), free_blob(dense);
  return header;
}

/* Random activations, per-channel codebooks with entry 0 the zero, and
 * weights (the codebooks' entries in the 4-bit form) zero where zero_at
 * says: 0 none, 1 ~50% of the weights, 2 ~90%, 3 all, 4 ~75% of the 1x4
 * blocks (k = 4g..4g+3 of a channel), a weight of a kept block zero with
 * probability 1/8. */
static void fill_masked(size_t m, size_t n, size_t k, int zero_at, bool lut, int8_t *a, int8_t *w, uint8_t *idx,
                        int8_t *book) {
  for (size_t i = 0; i < m * k; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128);
  for (size_t ch = 0; ch < n; ++ch)
    for (size_t e = 0; e < 16; ++e)
      book[16 * ch + e] = e == 0 ? 0 : rnd_i8();
  bool block_zero = false;
  for (size_t i = 0; i < n * k; ++i) {
    if (i % k % 4 == 0)
      block_zero = rnd() % 4 != 0;
    bool zero = zero_at == 3 || (zero_at == 1 && rnd() % 2) || (zero_at == 2 && rnd() % 10) ||
                (zero_at == 4 && (block_zero || rnd() % 8 == 0));
    idx[i] = zero ? 0 : (uint8_t)(1 + rnd() % 15);
    w[i] = lut ? book[16 * (i / k) + idx[i]] : zero ? 0 : rnd_i8();
  }
}

/* The masked forms over the shapes of the other families plus ones that
 * need several decode chunks (K x 8 panels past
 * COOPT_RT_MASKED_CHUNK_BYTES) and the largest K. */
static void test_qs8_masked(bool lut) {
  static const size_t big[][3] = {{5, 40, 1000}, {3, 33, 4084}, {1, 24, 700}, {7, 9, 513}};
  size_t ncases = NDIMS * NDIMS * NKDIMS * 5 + sizeof big / sizeof big[0];
  for (size_t cs = 0; cs < ncases; ++cs) {
    size_t m, n, k;
    int zero_at = (int)(cs % 5);
    if (cs < NDIMS * NDIMS * NKDIMS * 5) {
      size_t i = cs / 5;
      m = dims[i / (NDIMS * NKDIMS)], n = dims[i / NKDIMS % NDIMS], k = kdims[i % NKDIMS];
    } else {
      const size_t *b = big[cs - NDIMS * NDIMS * NKDIMS * 5];
      m = b[0], n = b[1], k = b[2], zero_at = cs % 2 ? 4 : 1;
    }
    int8_t *a = malloc(m * k), *w = malloc(n * k);
    uint8_t *idx = malloc(n * k);
    int8_t book[16 * 64];
    fill_masked(m, n, k, zero_at, lut, a, w, idx, book);
    size_t size, dsize = coopt_rt_qs8_gemm_packed_size(n, k);
    const coopt_blob h = check_masked(m, n, k, a, w, idx, book, lut, cs % 2, &size);
    /* Whole zero blocks take the mask a bit a block (a quarter of the
     * per-weight one); scattered zeros a bit a weight. */
    if (k >= 64 && n >= 8 && (zero_at == 1 || zero_at == 4))
      CHECK(h.mask_block == (zero_at == 4));
    /* At 50% zeros and K >= 64 the form is smaller than dense; at 75% zero
     * blocks below 0.36x (int8) and 0.26x (4-bit) of it from K = 256. */
    if (zero_at == 1 && k >= 64 && n >= 8)
      CHECK(size < dsize);
    if (zero_at == 4 && k >= 256 && n >= 8)
      CHECK(size < dsize * (lut ? 0.26 : 0.36));
    free(a), free(w), free(idx);
  }
  /* The 4-bit form with K % 4 != 0 stores a kept block's padding as a zero
   * code: a channel without one (here the first, every weight nonzero)
   * keeps the blob's mask per weight, whatever it costs. */
  {
    const size_t m = 3, n = 16, k = 257;
    int8_t *a = malloc(m * k), *w = malloc(n * k), book[16 * 16];
    uint8_t *idx = malloc(n * k);
    fill_masked(m, n, k, 4, true, a, w, idx, book);
    for (size_t kk = 0; kk < k; ++kk)
      idx[kk] = (uint8_t)(1 + kk % 15);
    for (size_t e = 0; e < 16; ++e)
      book[e] = (int8_t)(e + 1);
    for (size_t kk = 0; kk < k; ++kk)
      w[kk] = book[idx[kk]];
    size_t size;
    CHECK(check_masked(m, n, k, a, w, idx, book, true, false, &size).mask_block == 0);
    book[0] = 0; /* with a zero code the blocks are cheaper */
    CHECK(check_masked(m, n, k, a, w, idx, book, true, false, &size).mask_block == 1);
    free(a), free(w), free(idx);
  }
  /* A 4-bit blob whose last stored byte is its last byte, the last group
   * with an odd number of kept blocks: a decoder must not read the whole
   * dword holding that block's 2 bytes (the AVX2 one did, a masked load 2
   * bytes past the blob, found by fuzz-kernels under ASan).  8 x 8, three
   * kept blocks: header, offsets and codebooks to 272, the panel's arrays
   * and 2 mask bytes to 346, 6 bytes of codes to 352, the blob's size. */
  if (lut) {
    const size_t m = 2, n = 8, k = 8;
    int8_t a[2 * 8], w[8 * 8], book[16 * 8];
    uint8_t idx[8 * 8];
    fill_masked(m, n, k, 3, true, a, w, idx, book);
    static const size_t kept[][2] = {{0, 0}, {1, 0}, {2, 4}}; /* channel, first k */
    for (size_t b = 0; b < 3; ++b)
      for (size_t t = 0; t < 4; ++t) {
        const size_t i = kept[b][0] * k + kept[b][1] + t;
        idx[i] = (uint8_t)(1 + (b + t) % 15);
        w[i] = book[16 * kept[b][0] + idx[i]];
      }
    size_t size;
    CHECK(check_masked(m, n, k, a, w, idx, book, true, false, &size).mask_block == 1);
    CHECK(size == 352);
  }
  /* Bad input: K past the decode buffer, indices outside the codebook. */
  coopt_rt_error err = {{0}};
  int8_t w1[8] = {1, 0, 2, 0, 3, 0, 4, 0};
  uint8_t i1[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  int8_t b1[16] = {0, 1, 2, 3};
  int32_t mult = 1 << 30, shift = 20;
  coopt_rt_requant rq = {&mult, &shift, false, false, 0, -128, 127};
  void *blob = alloc_blob(4096);
  CHECK(coopt_rt_pack_qs8_masked_gemm(1, COOPT_RT_MASKED_MAX_K + 1, w1, NULL, 0, &rq, blob, 4096, &err) ==
        COOPT_RT_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "K = 4085") != NULL);
  CHECK(coopt_rt_pack_qs8_masked_lut4_gemm(1, 8, i1, b1, 4, NULL, 0, &rq, blob, 4096, &err) ==
        COOPT_RT_INVALID_STRUCTURE);
  CHECK(strstr(err.message, "channel 0, k 4: index 4 is beyond the 4-entry codebook") != NULL);
  CHECK(coopt_rt_pack_qs8_masked_gemm(1, 8, w1, NULL, 0, NULL, blob, 4096, &err) == COOPT_RT_INVALID_ARGUMENT);
  free_blob(blob);
}

/* The entries compiled code calls (mlir_entry.c), on memref descriptors:
 * the allocating one and the _out one give what the kernel gives, for a
 * GEMM-shaped and an image (batch of 2) kernel.  Compiled models reach
 * only the _out ones now; the allocating ones stay for objects built
 * before coopt-plan-buffers. */
typedef struct memref1 {
  int8_t *allocated, *aligned;
  int64_t offset, size, stride;
} memref1;
typedef struct memref2 {
  int8_t *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} memref2;
typedef struct memref4 {
  int8_t *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} memref4;
void _mlir_ciface_coopt_rt_mlir_qs8_gemm(memref2 *ret, memref1 *blob, memref2 *a);
void _mlir_ciface_coopt_rt_mlir_qs8_gemm_out(memref1 *blob, memref2 *a, memref2 *out);
void _mlir_ciface_coopt_rt_mlir_qs8_dw3x3(memref4 *ret, memref1 *blob, memref4 *in);
void _mlir_ciface_coopt_rt_mlir_qs8_dw3x3_out(memref1 *blob, memref4 *in, memref4 *out);

static void test_mlir_entries(void) {
  enum { M = 5, N = 12, K = 9, H = 5, C = 17 };
  int8_t w[N * K], a[M * K], want[M * N], got[M * N];
  for (size_t i = 0; i < N * K; ++i)
    w[i] = (int8_t)(rnd() % 255 - 127);
  for (size_t i = 0; i < M * K; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128);
  qparams q;
  make_qparams(&q, N, K, true, false);
  size_t size = coopt_rt_qs8_gemm_packed_size(N, K);
  int8_t *blob = alloc_blob(size);
  coopt_rt_error err;
  CHECK(coopt_rt_pack_qs8_gemm(N, K, w, q.bias, q.a_zp, &q.rq, blob, size, &err) == COOPT_RT_OK);
  coopt_rt_qs8_gemm(blob, M, a, K, want, N);
  memref1 b = {blob, blob, 0, (int64_t)size, 1};
  memref2 x = {a, a, 0, {M, K}, {K, 1}}, r;
  _mlir_ciface_coopt_rt_mlir_qs8_gemm(&r, &b, &x);
  CHECK(r.sizes[0] == M && r.sizes[1] == N && r.strides[0] == N && r.strides[1] == 1);
  CHECK(r.aligned && memcmp(r.aligned + r.offset, want, sizeof want) == 0);
  free(r.allocated);
  memset(got, 0, sizeof got);
  memref2 o = {got, got, 0, {M, N}, {N, 1}};
  _mlir_ciface_coopt_rt_mlir_qs8_gemm_out(&b, &x, &o);
  CHECK(memcmp(got, want, sizeof want) == 0);
  free_blob(blob);

  coopt_rt_dw_shape s = {H, H, C, 1, 1, 1, 1, 1};
  int8_t in[2 * H * H * C], dw[9 * C], dwant[2 * H * H * C], dgot[2 * H * H * C];
  for (size_t i = 0; i < sizeof in; ++i)
    in[i] = (int8_t)(rnd() % 256 - 128);
  for (size_t i = 0; i < sizeof dw; ++i)
    dw[i] = (int8_t)(rnd() % 255 - 127);
  qparams dq;
  make_qparams(&dq, C, 9, true, true);
  size = coopt_rt_qs8_dw3x3_packed_size(C);
  blob = alloc_blob(size);
  CHECK(coopt_rt_pack_qs8_dw3x3(&s, dw, dq.bias, dq.a_zp, &dq.rq, blob, size, &err) == COOPT_RT_OK);
  for (size_t i = 0; i < 2; ++i)
    coopt_rt_qs8_dw3x3(blob, in + i * H * H * C, dwant + i * H * H * C);
  memref1 db = {blob, blob, 0, (int64_t)size, 1};
  memref4 din = {in, in, 0, {2, H, H, C}, {H * H * C, H * C, C, 1}}, dr;
  _mlir_ciface_coopt_rt_mlir_qs8_dw3x3(&dr, &db, &din);
  CHECK(dr.sizes[0] == 2 && dr.sizes[1] == H && dr.sizes[2] == H && dr.sizes[3] == C && dr.strides[0] == H * H * C);
  CHECK(dr.aligned && memcmp(dr.aligned + dr.offset, dwant, sizeof dwant) == 0);
  free(dr.allocated);
  memset(dgot, 0, sizeof dgot);
  memref4 dout = {dgot, dgot, 0, {2, H, H, C}, {H * H * C, H * C, C, 1}};
  _mlir_ciface_coopt_rt_mlir_qs8_dw3x3_out(&db, &din, &dout);
  CHECK(memcmp(dgot, dwant, sizeof dwant) == 0);
  free_blob(blob);
}

int main(void) {
  printf("isa: %s\n", coopt_rt_isa());
  test_qs8_gemm();
  test_f32_gemm();
  test_f32_spmm();
  test_qs8_spgemm();
  test_qs8_lut4(false);
  test_qs8_lut4(true);
  test_qs8_nm24();
  test_sparse_long_gaps();
  test_qs8_bsgemm();
  test_scratch_past_stack();
  test_qs8_masked(false);
  test_qs8_masked(true);
  test_dw3x3();
  test_conv();
  test_mlir_entries();
  test_bad_input();
  printf("unit-rt-kernels: %d passed, %d failed\n", checks - failures, failures);
  return failures != 0;
}
