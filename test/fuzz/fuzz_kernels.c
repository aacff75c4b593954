/*
 * libFuzzer target: the runtime's int8 GEMM families, differentially.
 *
 * The input picks a family (dense, sparse 1x4, lookup-table, sparse
 * lookup-table, 2:4, masked, masked lookup-table), the shape (M, N, K and
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
#include "src/blob.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DENSE, SPARSE, LUT, SPARSE_LUT, NM24, MASKED, MASKED_LUT, FAMILIES };
static const char *const family_names[FAMILIES] = {"dense", "sparse 1x4", "lut4",       "sparse lut4",
                                                   "2:4",   "masked",     "masked lut4"};

#define MAX_N 40
#define MAX_M 20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_bytes b = {data, size};
  int family = (int)take(&b, FAMILIES);
  size_t m = 1 + take(&b, MAX_M), n = 1 + take(&b, MAX_N), k = 1 + take(&b, 64) * (1 + take(&b, 5));
  size_t a_stride = k + take(&b, 3), c_stride = n + take(&b, 3);
  unsigned density = take(&b, 5); /* 0 all zero .. 4 dense */
  bool lut = family == LUT || family == SPARSE_LUT || family == MASKED_LUT;
  size_t cs = 1 + take(&b, 16);
  int8_t *w = calloc(n * k, 1), *codebook = calloc(n * 16, 1);
  uint8_t *idx = calloc(n * k, 1);
  for (size_t c = 0; c < n; ++c)
    for (size_t e = 0; e < 16; ++e) /* entry 0 is 0: the zero of sparse lookup tables */
      codebook[c * 16 + e] = e == 0 ? 0 : (int8_t)(take(&b, 255) - 127);
  for (size_t c = 0; c < n; ++c)
    for (size_t i = 0; i < k; ++i) {
      bool keep = take(&b, 4) < density;
      if (family == SPARSE || family == SPARSE_LUT) /* whole 1x4 blocks */
        keep = (i % 4 == 0 ? take(&b, 4) < density : w[c * k + i - i % 4] != 0 || idx[c * k + i - i % 4] != 0);
      if (family == NM24 && i % 4 >= 2) /* at most 2 of every 4 (structure by position) */
        keep = false;
      if (lut) {
        idx[c * k + i] = keep ? (uint8_t)take(&b, (unsigned)cs) : 0;
        w[c * k + i] = codebook[c * 16 + idx[c * k + i]];
      } else {
        w[c * k + i] = keep ? (int8_t)(take(&b, 255) - 127) : 0;
      }
    }
  int32_t mult[MAX_N], shift[MAX_N], bias[MAX_N];
  for (size_t c = 0; c < n; ++c) {
    double real = (0.25 + take(&b, 100) / 50.0) / (double)(k * 40 + 1);
    coopt_quantize_multiplier(real, &mult[c], &shift[c]);
    bias[c] = (int32_t)take(&b, 255) * 97 - 12000;
  }
  coopt_rt_requant rq = {mult,
                         shift,
                         take(&b, 2) == 0,
                         take(&b, 2) == 0,
                         (int32_t)take(&b, 41) - 20,
                         (int8_t)(take(&b, 2) ? -128 : -100),
                         (int8_t)(take(&b, 2) ? 127 : 90)};
  int8_t a_zp = (int8_t)(take(&b, 61) - 30);

  size_t psize = 0;
  switch (family) {
  case DENSE: psize = coopt_rt_qs8_gemm_packed_size(n, k); break;
  case SPARSE: psize = coopt_rt_qs8_spgemm_packed_size(n, k, w); break;
  case LUT: psize = coopt_rt_qs8_lut4_gemm_packed_size(n, k); break;
  case SPARSE_LUT: psize = coopt_rt_qs8_splut4_gemm_packed_size(n, k, idx, codebook); break;
  case NM24: psize = coopt_rt_qs8_nm24_gemm_packed_size(n, k); break;
  case MASKED: psize = coopt_rt_qs8_masked_gemm_packed_size(n, k, w); break;
  default: psize = coopt_rt_qs8_masked_lut4_gemm_packed_size(n, k, idx, codebook); break;
  }
  void *blob = NULL;
  if (posix_memalign(&blob, 64, psize ? psize : 64))
    abort();
  memset(blob, 0xA5, psize);
  coopt_rt_error err;
  coopt_rt_status st;
  switch (family) {
  case DENSE: st = coopt_rt_pack_qs8_gemm(n, k, w, bias, a_zp, &rq, blob, psize, &err); break;
  case SPARSE: st = coopt_rt_pack_qs8_spgemm(n, k, w, bias, a_zp, &rq, blob, psize, &err); break;
  case LUT: st = coopt_rt_pack_qs8_lut4_gemm(n, k, idx, codebook, cs, bias, a_zp, &rq, blob, psize, &err); break;
  case SPARSE_LUT:
    st = coopt_rt_pack_qs8_splut4_gemm(n, k, idx, codebook, cs, bias, a_zp, &rq, blob, psize, &err);
    break;
  case NM24: st = coopt_rt_pack_qs8_nm24_gemm(n, k, w, bias, a_zp, &rq, blob, psize, &err); break;
  case MASKED: st = coopt_rt_pack_qs8_masked_gemm(n, k, w, bias, a_zp, &rq, blob, psize, &err); break;
  default: st = coopt_rt_pack_qs8_masked_lut4_gemm(n, k, idx, codebook, cs, bias, a_zp, &rq, blob, psize, &err); break;
  }
  if (st == COOPT_RT_OK) {
    int8_t *a = malloc(m * a_stride);
    for (size_t i = 0; i < m * a_stride; ++i)
      a[i] = (int8_t)(take(&b, 256) - 128);
    /* Outputs with a canary between rows (the stride) and after the end. */
    size_t csize = m * c_stride + 16;
    int8_t *want = malloc(csize), *ref = malloc(csize), *got = malloc(csize);
    memset(want, 0x5A, csize), memset(ref, 0x5A, csize), memset(got, 0x5A, csize);
    for (size_t r = 0; r < m; ++r)
      for (size_t c = 0; c < n; ++c) {
        int64_t s = bias[c];
        for (size_t i = 0; i < k; ++i)
          s += ((int64_t)a[r * a_stride + i] - a_zp) * w[c * k + i];
        size_t q = rq.per_channel ? c : 0;
        int32_t v = coopt_apply_scale_32((int32_t)s, mult[q], shift[q], rq.double_round) + rq.output_zero_point;
        want[r * c_stride + c] = (int8_t)(v < rq.output_min ? rq.output_min : v > rq.output_max ? rq.output_max : v);
      }
    bool have_ref = true;
    switch (family) {
    case DENSE:
      coopt_qs8_gemm__ref(blob, m, a, a_stride, ref, c_stride, NULL, 0);
      coopt_rt_qs8_gemm(blob, m, a, a_stride, got, c_stride);
      break;
    case SPARSE:
      coopt_qs8_spgemm__ref(blob, m, a, a_stride, ref, c_stride);
      coopt_rt_qs8_spgemm(blob, m, a, a_stride, got, c_stride);
      break;
    case LUT:
      coopt_qs8_lut4_gemm__ref(blob, m, a, a_stride, ref, c_stride);
      coopt_rt_qs8_lut4_gemm(blob, m, a, a_stride, got, c_stride);
      break;
    case SPARSE_LUT:
      coopt_qs8_splut4_gemm__ref(blob, m, a, a_stride, ref, c_stride);
      coopt_rt_qs8_splut4_gemm(blob, m, a, a_stride, got, c_stride);
      break;
    case NM24:
      coopt_qs8_nm24_gemm__ref(blob, m, a, a_stride, ref, c_stride);
      coopt_rt_qs8_nm24_gemm(blob, m, a, a_stride, got, c_stride);
      break;
    default: /* the masked forms: the reference is the decoder's, panel by panel */
      have_ref = false;
      coopt_rt_qs8_masked_gemm(blob, m, a, a_stride, got, c_stride);
      for (size_t p = 0; p < (n + COOPT_QS8_NR - 1) / COOPT_QS8_NR; ++p) {
        static uint8_t d0[COOPT_RT_MASKED_CHUNK_BYTES], d1[COOPT_RT_MASKED_CHUNK_BYTES];
        memset(d0, 0, sizeof d0), memset(d1, 0, sizeof d1);
        coopt_qs8_masked_decode__ref(blob, p, d0);
        coopt_qs8_masked_decode(blob, p, d1);
        if (memcmp(d0, d1, sizeof d0) != 0) {
          fprintf(stderr, "%s: n %zu k %zu: panel %zu decodes differently from the reference\n", family_names[family],
                  n, k, p);
          abort();
        }
      }
      break;
    }
    if ((have_ref && memcmp(want, ref, csize) != 0) || memcmp(want, got, csize) != 0) {
      fprintf(stderr, "%s: m %zu n %zu k %zu (strides %zu, %zu): the %s kernel differs from the definition\n",
              family_names[family], m, n, k, a_stride, c_stride,
              have_ref && memcmp(want, ref, csize) != 0 ? "reference" : coopt_rt_isa());
      abort();
    }
    free(a), free(want), free(ref), free(got);
  }
  free(blob), free(w), free(codebook), free(idx);
  return 0;
}
