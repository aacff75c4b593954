/*
 * libFuzzer target: the runtime's int8 GEMM families, differentially.
 *
 * The input picks a family (dense, sparse 1x4, lookup-table, sparse
 * lookup-table, 2:4, masked, masked lookup-table, block-sparse 8x4), the
 * shape (M, N, K and
 * the row strides), the weights (or indices and per-channel codebooks) in a
 * structure that may or may not fit the family, and the requantization.
 * The packer must accept or reject without crashing; a packed blob must give
 * the same int8 outputs, byte for byte, from
 *   - a naive computation on the unpacked weights (the definition),
 *   - the family's generic C reference kernel (*__ref) where there is one,
 *   - the kernel this machine dispatches to (AVX2 / AVX-VNNI here),
 * and must not write outside the output rows.  Any difference is a finding.
 */
#define _POSIX_C_SOURCE 200809L
#include "FuzzBytes.h"
#include "coopt_rt/kernels.h"
#include "coopt_rt/quant.h"
#include "src/tiles.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DENSE, SPARSE, LUT, SPARSE_LUT, NM24, MASKED, MASKED_LUT, BLOCK, FAMILIES };
static const char *const family_names[FAMILIES] = {"dense", "sparse 1x4", "lut4",        "sparse lut4",
                                                   "2:4",   "masked",     "masked lut4", "block-sparse 8x4"};

#define MAX_N 40
#define MAX_M 20

/* One case: the GEMM's shape, its weights in both forms (values, and
 * indices into per-channel codebooks for the lookup-table families), the
 * requantization, and the packed blob. */
typedef struct gemm_case {
  int family;
  size_t m, n, k, a_stride, c_stride, cs;
  int8_t *w, *codebook;
  uint8_t *idx;
  int32_t mult[MAX_N], shift[MAX_N], bias[MAX_N];
  coopt_rt_requant rq;
  int8_t a_zp;
  void *blob;
  size_t psize;
} gemm_case;

/* The weights, at the input's density, in the structure the family packs
 * (whole 1x4 blocks, whole 8x4 blocks of a panel, 2 of every 4, codebook
 * entries; the masked forms with or without whole 1x4 blocks) or not. */
static void make_weights(gemm_case *g, fuzz_bytes *b) {
  size_t n = g->n, k = g->k;
  unsigned density = take(b, 5); /* 0 all zero .. 4 dense */
  bool lut = g->family == LUT || g->family == SPARSE_LUT || g->family == MASKED_LUT;
  /* The masked forms keep a bit per 1x4 block where the zeros come in
   * whole blocks, and a bit per weight where not: either, by the input. */
  bool whole_blocks = g->family == SPARSE || g->family == SPARSE_LUT ||
                      ((g->family == MASKED || g->family == MASKED_LUT) && take(b, 2) != 0);
  g->cs = 1 + take(b, 16);
  g->w = calloc(n * k, 1), g->codebook = calloc(n * 16, 1);
  g->idx = calloc(n * k, 1);
  for (size_t c = 0; c < n; ++c)
    for (size_t e = 0; e < 16; ++e) /* entry 0 is 0: the zero of sparse lookup tables */
      g->codebook[c * 16 + e] = e == 0 ? 0 : (int8_t)(take(b, 255) - 127);
  for (size_t c = 0; c < n; ++c)
    for (size_t i = 0; i < k; ++i) {
      bool keep = take(b, 4) < density;
      if (whole_blocks)
        keep = (i % 4 == 0 ? take(b, 4) < density : g->w[c * k + i - i % 4] != 0 || g->idx[c * k + i - i % 4] != 0);
      if (g->family == BLOCK && c % COOPT_QS8_NR != 0) /* the panel's first channel decides the block */
        keep = g->w[(c - c % COOPT_QS8_NR) * k + i - i % 4] != 0 && take(b, 8) != 0;
      else if (g->family == BLOCK)
        keep = i % 4 == 0 ? take(b, 4) < density : g->w[c * k + i - i % 4] != 0;
      if (g->family == NM24 && i % 4 >= 2) /* at most 2 of every 4 (structure by position) */
        keep = false;
      if (lut) {
        g->idx[c * k + i] = keep ? (uint8_t)take(b, (unsigned)g->cs) : 0;
        g->w[c * k + i] = g->codebook[c * 16 + g->idx[c * k + i]];
      } else {
        g->w[c * k + i] = keep ? (int8_t)(take(b, 255) - 127) : 0;
      }
    }
}

static void make_requant(gemm_case *g, fuzz_bytes *b) {
  for (size_t c = 0; c < g->n; ++c) {
    double real = (0.25 + take(b, 100) / 50.0) / (double)(g->k * 40 + 1);
    coopt_quantize_multiplier(real, &g->mult[c], &g->shift[c]);
    g->bias[c] = (int32_t)take(b, 255) * 97 - 12000;
  }
  g->rq = (coopt_rt_requant){g->mult,
                             g->shift,
                             take(b, 2) == 0,
                             take(b, 2) == 0,
                             (int32_t)take(b, 41) - 20,
                             (int8_t)(take(b, 2) ? -128 : -100),
                             (int8_t)(take(b, 2) ? 127 : 90)};
  g->a_zp = (int8_t)(take(b, 61) - 30);
}

/* Pack for the family into a blob of the size it asks for (pre-filled, so
 * that a byte the packer leaves unwritten shows). */
static coopt_rt_status pack(gemm_case *g) {
  size_t n = g->n, k = g->k;
  switch (g->family) {
  case DENSE: g->psize = coopt_rt_qs8_gemm_packed_size(n, k); break;
  case SPARSE: g->psize = coopt_rt_qs8_spgemm_packed_size(n, k, g->w); break;
  case LUT: g->psize = coopt_rt_qs8_lut4_gemm_packed_size(n, k); break;
  case SPARSE_LUT: g->psize = coopt_rt_qs8_splut4_gemm_packed_size(n, k, g->idx, g->codebook); break;
  case NM24: g->psize = coopt_rt_qs8_nm24_gemm_packed_size(n, k); break;
  case MASKED: g->psize = coopt_rt_qs8_masked_gemm_packed_size(n, k, g->w); break;
  case BLOCK: g->psize = coopt_rt_qs8_bsgemm_packed_size(n, k, g->w); break;
  default: g->psize = coopt_rt_qs8_masked_lut4_gemm_packed_size(n, k, g->idx, g->codebook); break;
  }
  if (posix_memalign(&g->blob, 64, g->psize ? g->psize : 64))
    abort();
  memset(g->blob, 0xA5, g->psize);
  coopt_rt_error err;
  const int32_t *bias = g->bias;
  void *blob = g->blob;
  size_t ps = g->psize;
  switch (g->family) {
  case DENSE: return coopt_rt_pack_qs8_gemm(n, k, g->w, bias, g->a_zp, &g->rq, blob, ps, &err);
  case SPARSE: return coopt_rt_pack_qs8_spgemm(n, k, g->w, bias, g->a_zp, &g->rq, blob, ps, &err);
  case LUT: return coopt_rt_pack_qs8_lut4_gemm(n, k, g->idx, g->codebook, g->cs, bias, g->a_zp, &g->rq, blob, ps, &err);
  case SPARSE_LUT:
    return coopt_rt_pack_qs8_splut4_gemm(n, k, g->idx, g->codebook, g->cs, bias, g->a_zp, &g->rq, blob, ps, &err);
  case NM24: return coopt_rt_pack_qs8_nm24_gemm(n, k, g->w, bias, g->a_zp, &g->rq, blob, ps, &err);
  case MASKED: return coopt_rt_pack_qs8_masked_gemm(n, k, g->w, bias, g->a_zp, &g->rq, blob, ps, &err);
  case BLOCK: return coopt_rt_pack_qs8_bsgemm(n, k, g->w, bias, g->a_zp, &g->rq, blob, ps, &err);
  default:
    return coopt_rt_pack_qs8_masked_lut4_gemm(n, k, g->idx, g->codebook, g->cs, bias, g->a_zp, &g->rq, blob, ps, &err);
  }
}

/* The definition: int64 sums on the unpacked weights, then TOSA's
 * requantization. */
static void expected_output(const gemm_case *g, const int8_t *a, int8_t *want) {
  const coopt_rt_requant *rq = &g->rq;
  for (size_t r = 0; r < g->m; ++r)
    for (size_t c = 0; c < g->n; ++c) {
      int64_t s = g->bias[c];
      for (size_t i = 0; i < g->k; ++i)
        s += ((int64_t)a[r * g->a_stride + i] - g->a_zp) * g->w[c * g->k + i];
      size_t q = rq->per_channel ? c : 0;
      int32_t v = coopt_apply_scale_32((int32_t)s, g->mult[q], g->shift[q], rq->double_round) + rq->output_zero_point;
      want[r * g->c_stride + c] = (int8_t)(v < rq->output_min   ? rq->output_min
                                           : v > rq->output_max ? rq->output_max
                                                                : v);
    }
}

/* The family's reference kernel into ref (false: it has none; the masked
 * forms check their decoder against its reference instead) and the
 * dispatched kernel into got. */
static bool run_kernels(const gemm_case *g, const int8_t *a, int8_t *ref, int8_t *got) {
  const void *blob = g->blob;
  size_t m = g->m, as = g->a_stride, cst = g->c_stride;
  switch (g->family) {
  case DENSE:
    coopt_qs8_gemm__ref(blob, m, a, as, ref, cst, NULL, 0);
    coopt_rt_qs8_gemm(blob, m, a, as, got, cst);
    return true;
  case SPARSE:
    coopt_qs8_spgemm__ref(blob, m, a, as, ref, cst);
    coopt_rt_qs8_spgemm(blob, m, a, as, got, cst);
    return true;
  case LUT:
    coopt_qs8_lut4_gemm__ref(blob, m, a, as, ref, cst);
    coopt_rt_qs8_lut4_gemm(blob, m, a, as, got, cst);
    return true;
  case SPARSE_LUT:
    coopt_qs8_splut4_gemm__ref(blob, m, a, as, ref, cst);
    coopt_rt_qs8_splut4_gemm(blob, m, a, as, got, cst);
    return true;
  case NM24:
    coopt_qs8_nm24_gemm__ref(blob, m, a, as, ref, cst);
    coopt_rt_qs8_nm24_gemm(blob, m, a, as, got, cst);
    return true;
  case BLOCK:
    coopt_qs8_bsgemm__ref(blob, m, a, as, ref, cst);
    coopt_rt_qs8_bsgemm(blob, m, a, as, got, cst);
    return true;
  default: /* the masked forms: the reference is the decoder's, panel by panel */
    coopt_rt_qs8_masked_gemm(blob, m, a, as, got, cst);
    for (size_t p = 0; p < (g->n + COOPT_QS8_NR - 1) / COOPT_QS8_NR; ++p) {
      static uint8_t d0[COOPT_RT_MASKED_CHUNK_BYTES], d1[COOPT_RT_MASKED_CHUNK_BYTES];
      memset(d0, 0, sizeof d0), memset(d1, 0, sizeof d1);
      coopt_qs8_masked_decode__ref(blob, p, d0);
      coopt_qs8_masked_decode(blob, p, d1);
      if (memcmp(d0, d1, sizeof d0) != 0) {
        fprintf(stderr, "%s: n %zu k %zu: panel %zu decodes differently from the reference\n", family_names[g->family],
                g->n, g->k, p);
        abort();
      }
    }
    return false;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_bytes b = {data, size};
  gemm_case g = {.family = (int)take(&b, FAMILIES)};
  g.m = 1 + take(&b, MAX_M), g.n = 1 + take(&b, MAX_N), g.k = 1 + take(&b, 64) * (1 + take(&b, 5));
  g.a_stride = g.k + take(&b, 3), g.c_stride = g.n + take(&b, 3);
  make_weights(&g, &b);
  make_requant(&g, &b);
  if (pack(&g) == COOPT_RT_OK) {
    size_t m = g.m, a_stride = g.a_stride;
    int8_t *a = malloc(m * a_stride);
    for (size_t i = 0; i < m * a_stride; ++i)
      a[i] = (int8_t)(take(&b, 256) - 128);
    /* Outputs with a canary between rows (the stride) and after the end. */
    size_t csize = m * g.c_stride + 16;
    int8_t *want = malloc(csize), *ref = malloc(csize), *got = malloc(csize);
    memset(want, 0x5A, csize), memset(ref, 0x5A, csize), memset(got, 0x5A, csize);
    expected_output(&g, a, want);
    bool have_ref = run_kernels(&g, a, ref, got);
    if ((have_ref && memcmp(want, ref, csize) != 0) || memcmp(want, got, csize) != 0) {
      fprintf(stderr, "%s: m %zu n %zu k %zu (strides %zu, %zu): the %s kernel differs from the definition\n",
              family_names[g.family], m, g.n, g.k, a_stride, g.c_stride,
              have_ref && memcmp(want, ref, csize) != 0 ? "reference" : coopt_rt_isa());
      abort();
    }
    free(a), free(want), free(ref), free(got);
  }
  free(g.blob), free(g.w), free(g.codebook), free(g.idx);
  return 0;
}
